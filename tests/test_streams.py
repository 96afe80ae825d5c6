"""The seeded-stream helper: one independent, reproducible stream per (seed, purpose, index)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from dynsys_gd._streams import float_key, generator, stream
from dynsys_gd.errors import InvalidParameterError


def _draw(seed, purpose, index=0, size=64):
    return generator(seed, purpose, index).standard_normal(size)


def test_same_key_same_stream_and_different_keys_differ() -> None:
    a = _draw(3, "monte_carlo", 0)
    np.testing.assert_array_equal(a, _draw(3, "monte_carlo", 0))
    others = [
        _draw(4, "monte_carlo", 0),
        _draw(3, "monte_carlo", 1),
        _draw(3, "minima", 0),
        _draw(3, "lr_grid", 0),
        _draw(3, "monte_carlo", (0, 0)),
    ]
    for b in others:
        assert not np.any(a == b)


def test_minima_and_monte_carlo_block_zero_are_not_the_same_draws() -> None:
    """The old scheme gave both SeedSequence(seed).spawn(1)[0]; the helper never returns a
    plain spawn child."""
    old = np.random.default_rng(np.random.SeedSequence(0).spawn(1)[0]).uniform(size=8)
    assert not np.any(generator(0, "monte_carlo", 0).uniform(size=8) == old)
    assert not np.any(generator(0, "minima").uniform(size=8) == old)


def test_streams_look_independent() -> None:
    """Correlation of neighbouring streams is at the 1/sqrt(n) noise level."""
    n = 20000
    x = _draw(11, "monte_carlo", 0, n)
    for y in (_draw(11, "monte_carlo", 1, n), _draw(11, "minima", 0, n)):
        assert abs(float(np.corrcoef(x, y)[0, 1])) < 5 / np.sqrt(n)


def test_stream_does_not_depend_on_the_process() -> None:
    """Purpose words come from a fixed digest, not from Python's salted hash()."""
    code = (
        "from dynsys_gd._streams import generator;"
        "print(repr(generator(5, 'monte_carlo', 2).uniform()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout) == generator(5, "monte_carlo", 2).uniform()


def test_float_key_names_a_float_exactly() -> None:
    assert float_key(0.5) != float_key(np.nextafter(0.5, 1.0))
    assert float_key(0.5) == float_key(np.float64(0.5))
    assert isinstance(stream(0, "lr_grid", float_key(0.3)), np.random.SeedSequence)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((-1, "monte_carlo", 0), r"seed must be an int >= 0; got -1"),
        ((0, "", 0), r"purpose must be a lower-case name"),
        ((0, "Monte Carlo", 0), r"purpose must be a lower-case name"),
        ((0, 3, 0), r"purpose must be a lower-case name"),
        ((0, "minima", -2), r"index must be an int >= 0; got -2"),
        ((0, "minima", 1.5), r"index must be an int >= 0 or a non-empty sequence"),
        ((0, "minima", ()), r"index must be an int >= 0 or a non-empty sequence"),
        ((0, "minima", True), r"index must be an int >= 0 or a non-empty sequence"),
    ],
)
def test_bad_input(args: tuple, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        stream(*args)
