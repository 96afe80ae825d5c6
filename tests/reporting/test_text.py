"""Text helpers: a fraction with undecided runs is written as a range (docs/math/convergent-set.md)."""

from __future__ import annotations

import pytest

from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.reporting.text import format_estimate_fraction, format_fraction_ci


def test_plain_fraction_and_range() -> None:
    assert format_fraction_ci(0.37, 0.331, 0.41) == "0.370 [0.331, 0.410]"
    text = format_fraction_ci(0.5, 0.4, 0.88, n_undecided=30, fraction_high=0.8, digits=2)
    assert text == "0.50-0.80 [0.40, 0.88] (a range: 30 undecided)"


def test_estimate_fraction_shows_undecided_runs() -> None:
    from types import SimpleNamespace

    e = SimpleNamespace(
        fraction=0.5, ci_low=0.398, ci_high=0.873, n_undecided=30, fraction_high=0.8
    )
    assert format_estimate_fraction(e) == "0.500-0.800 [0.398, 0.873] (a range: 30 undecided)"
    e0 = SimpleNamespace(
        fraction=0.5, ci_low=0.398, ci_high=0.602, n_undecided=0, fraction_high=0.5
    )
    assert "range" not in format_estimate_fraction(e0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_undecided": 3}, r"fraction_high must be given when n_undecided > 0"),
        ({"n_undecided": -1}, r"n_undecided must be an int >= 0; got -1"),
    ],
)
def test_bad_input(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        format_fraction_ci(0.1, 0.0, 0.2, **kwargs)
