"""The size model: estimates, units, and limits that the environment can change."""

from __future__ import annotations

import pytest

from dynsys_gd import _limits as lim
from dynsys_gd.errors import InvalidParameterError


def test_units_of_the_estimates() -> None:
    assert lim.format_bytes(1.6e12) == "1.5 TiB"
    assert lim.format_bytes(8 * 2**30) == "8 GiB"
    assert lim.format_bytes(512) == "512 bytes"
    assert lim.format_seconds(86400) == "1 day"
    assert lim.format_seconds(4e6) == "46 days"
    assert lim.format_seconds(90) == "1.5 minutes"


def test_estimates_follow_the_documented_model() -> None:
    # 1 microsecond per batch step plus 1 nanosecond per parameter of every run
    assert lim.iteration_seconds(1000, 10, 5) == pytest.approx(1000 * (1e-6 + 50e-9))
    assert lim.symbolic_seconds(14) == pytest.approx(2 * lim.symbolic_seconds(12))


def test_limits_can_be_raised_or_lowered_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lim.check_memory("tail", 1, 4 * 2**30)  # 4 GiB fits the default 8 GiB
    monkeypatch.setenv("DYNSYS_GD_MEMORY_LIMIT", "2GiB")
    with pytest.raises(
        InvalidParameterError,
        match=r"tail=1 needs about 4 GiB of memory; the "
        r"limit is 2 GiB",
    ):
        lim.check_memory("tail", 1, 4 * 2**30)
    monkeypatch.setenv("DYNSYS_GD_TIME_LIMIT", "2d")
    lim.check_time("steps", 1, 1.5 * 86400)
    monkeypatch.setenv("DYNSYS_GD_TIME_LIMIT", "ten")
    with pytest.raises(InvalidParameterError, match=r"DYNSYS_GD_TIME_LIMIT must be a number"):
        lim.check_time("steps", 1, 1.0)
