"""Largest Lyapunov exponents by tangent-map iteration (docs/math/beyond.md)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.orbits.lyapunov import lyapunov_exponent
from dynsys_gd.numeric.orbits.periodic import LogisticMap, period_two_orbit

x, y = sp.symbols("x y")
XY = dg.LossModel(sp.Rational(1, 2) * (x * y - 1) ** 2, (x, y), name="xy")


def test_logistic_r4_is_ln2() -> None:
    """The logistic map at r = 4 has lambda_1 = ln 2 (within 1e-3)."""
    rng = np.random.default_rng(1)
    res = lyapunov_exponent(
        LogisticMap(4.0), rng.uniform(0.05, 0.95, (1000, 1)), n_steps=4000, transient=100
    )
    assert abs(res.mean - np.log(2)) < 1e-3
    assert not res.diverged.any()
    assert res.stderr < 1e-3
    assert "Lyapunov" in res.summary() and res.to_dict()["n_steps"] == 4000


def test_logistic_stable_cycle_negative() -> None:
    """On the attracting 2-cycle at r = 3.2, lambda_1 = ½ ln|4 + 2r - r²| < 0."""
    res = lyapunov_exponent(LogisticMap(3.2), np.full((4, 1), 0.3), n_steps=2000, transient=500)
    assert res.mean == pytest.approx(0.5 * np.log(abs(4 + 6.4 - 3.2**2)), abs=1e-6)


def test_gd_period_two_exponent_matches_floquet() -> None:
    """C8: on the xy 2-cycle at lr = 1.05, lambda_1 = ½ ln|mu_max| (mu_max = 0.9)."""
    orb = period_two_orbit(XY, 1.05, theta_min=[1.0, 1.0])
    res = lyapunov_exponent(XY, orb.points[:1] + 1e-3, 1.05, n_steps=3000, transient=500)
    assert res.mean == pytest.approx(0.5 * np.log(abs(orb.leading_multiplier)), abs=1e-6)


def test_gd_chaotic_above_cascade() -> None:
    """Beyond the period-doubling accumulation (~1.3025) bounded xy runs are chaotic."""
    res = lyapunov_exponent(XY, np.array([[1.0, 1.0 + 1e-6]]), 1.45, n_steps=3000, transient=500)
    assert not res.diverged[0]
    assert res.exponents[0] > 0.1


def test_diverging_runs_are_marked_without_warnings() -> None:
    res = lyapunov_exponent(XY, np.array([[5.0, 5.0], [1.0, 1.0]]), 1.05, n_steps=50, transient=10)
    assert res.diverged.tolist() == [True, False]
    assert np.isinf(res.exponents[0])


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"lr": None}, InvalidParameterError, "lr must be a finite float > 0"),
        ({"lr": 1.0, "n_steps": 0}, InvalidParameterError, "n_steps"),
        ({"lr": 1.0, "theta0": np.zeros((2, 3))}, InvalidParameterError, r"theta0 must have shape"),
        ({"lr": 1.0, "seed": -1}, InvalidParameterError, "seed"),
    ],
)
def test_bad_input(kwargs, exc, match) -> None:  # type: ignore[no-untyped-def]
    kw = {"theta0": np.ones((2, 2)), **kwargs}
    with pytest.raises(exc, match=match):
        lyapunov_exponent(XY, **kw)
