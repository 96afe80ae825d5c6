"""The hypothesis profiles really change how many examples every property test draws."""

from __future__ import annotations

import re
from pathlib import Path

from _budget import examples
from hypothesis import settings

TESTS = Path(__file__).parent


def test_no_test_pins_a_literal_example_count() -> None:
    """A literal ``max_examples=N`` would win over HYPOTHESIS_PROFILE=thorough."""
    pinned = [
        f"{p.relative_to(TESTS)}:{i + 1}"
        for p in sorted(TESTS.rglob("*.py"))
        if p.name not in ("conftest.py", "_budget.py")
        for i, line in enumerate(p.read_text().splitlines())
        if re.search(r"max_examples\s*=\s*\d", line)
    ]
    assert pinned == []


def test_thorough_draws_hundreds_of_examples_for_every_budget() -> None:
    current = settings.default
    try:
        settings.load_profile("thorough")
        assert settings.default.max_examples == 1000
        assert examples(25) == 1000 and examples(5) == 200 and examples(6) == 240
        settings.load_profile("ci")
        assert examples(6) == 6 and examples(25) == 25
    finally:
        settings.register_profile("_restore", current)
        settings.load_profile("_restore")
