"""Periodic orbits of G_eta and their Floquet multipliers (docs/math/claims.md#c8, §7)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp
from _budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

import dynsys_gd as dg
from dynsys_gd.errors import ConvergenceError, InvalidParameterError
from dynsys_gd.numeric.orbits.periodic import (
    GDMap,
    LogisticMap,
    detect_period,
    find_periodic_orbits,
    floquet_multipliers,
    make_orbit,
    period_two_orbit,
    refine_orbit,
)

x, y = sp.symbols("x y")
XY = dg.LossModel(sp.Rational(1, 2) * (x * y - 1) ** 2, (x, y), name="xy")


def test_xy_period_two_orbit_just_above_eta_star() -> None:
    """C8: just above eta* = 1 the period-2 orbit of ½(xy-1)² near (1, 1) exists and is stable."""
    orb = period_two_orbit(XY, 1.05, theta_min=[1.0, 1.0])
    assert orb.period == 2
    assert orb.residual < 1e-12
    # orbit on the diagonal, symmetric about the flattest minimum (1, 1)
    assert np.allclose(orb.points[:, 0], orb.points[:, 1], atol=1e-10)
    u = orb.points[:, 0]
    f = lambda v: v - 1.05 * v * (v * v - 1)  # noqa: E731
    assert f(u[0]) == pytest.approx(u[1], abs=1e-12) and f(u[1]) == pytest.approx(u[0], abs=1e-12)
    # stability: multipliers are the eigenvalues of DG(p1) DG(p0), all inside the unit circle
    H = dg.numeric_model(XY).hessian(orb.points)
    M = (np.eye(2) - 1.05 * H[1]) @ (np.eye(2) - 1.05 * H[0])
    assert np.sort(np.abs(orb.multipliers)) == pytest.approx(np.sort(np.abs(np.linalg.eigvals(M))))
    assert orb.stable and orb.n_neutral == 0
    assert abs(orb.leading_multiplier) == pytest.approx(0.9, abs=1e-9)
    d = orb.to_dict()
    assert d["period"] == 2 and d["stable"] is True
    assert "period-2 orbit" in orb.summary()


def test_flip_multiplier_tends_to_minus_one_at_eta_star() -> None:
    """C8: the 2-cycle is born at eta* (its leading multiplier -> 1 as lr -> eta*+)."""
    mus = [
        abs(period_two_orbit(XY, lr, theta_min=[1.0, 1.0]).leading_multiplier)
        for lr in (1.2, 1.1, 1.02)
    ]
    assert mus[0] < mus[1] < mus[2] < 1.0


def test_fixed_point_on_m_has_neutral_multiplier() -> None:
    """C3: a point of M has multiplier 1 (tangent) and 1 - eta (x² + y²) (normal)."""
    orb = make_orbit(GDMap(XY, 0.9), [1.1, 1 / 1.1 + 1e-3], 1)
    p = orb.points[0]
    assert p[0] * p[1] == pytest.approx(1.0, abs=1e-10)
    assert orb.n_neutral == 1
    assert orb.leading_multiplier.real == pytest.approx(1 - 0.9 * (p @ p), abs=1e-9)
    assert orb.stable


def test_find_orbits_from_random_initialisations() -> None:
    rng = np.random.default_rng(0)
    orbits = find_periodic_orbits(XY, 1.05, rng.uniform(-2, 2, (48, 2)), transient=2000)
    assert orbits and all(o.period == 2 and o.stable for o in orbits)
    # the two 2-cycles are images of each other under theta -> -theta
    assert len(orbits) == 2
    assert np.allclose(np.sort(orbits[0].points.ravel()), np.sort(-orbits[1].points.ravel()))


def test_mpmath_refinement_agrees_with_float() -> None:
    orb = period_two_orbit(XY, 1.1, theta_min=[1.0, 1.0])
    s = GDMap(XY, 1.1, precision=60)
    th, res = refine_orbit(s, orb.points[0], 2)
    assert res < 1e-50
    with mpmath.workdps(60):
        assert float(th[0]) == pytest.approx(orb.points[0, 0], abs=1e-13)
    mu = floquet_multipliers(s, th, 2)
    assert np.abs(mu) == pytest.approx(np.abs(orb.multipliers), abs=1e-10)


def test_scalar_depth3_period_two_just_above_eta_star() -> None:
    """C5, C8: N = 3, y = 2, eta* ≈ 0.264567; a stable 2-cycle at 1.02 eta*."""
    net = dg.LinearNetwork.scalar(3, 2.0)
    orb = period_two_orbit(net, 1.02 * 0.264567)
    assert orb.period == 2 and orb.stable
    assert np.all(np.abs(np.abs(orb.points) - 2 ** (1 / 3)) < 0.15)


def test_logistic_two_cycle() -> None:
    r = 3.2
    orb = make_orbit(LogisticMap(r), [0.5], 2)
    # closed form of the 2-cycle: x = (r + 1 ± sqrt((r-3)(r+1))) / (2r)
    xs = (r + 1 + np.array([-1, 1]) * np.sqrt((r - 3) * (r + 1))) / (2 * r)
    assert np.sort(orb.points[:, 0]) == pytest.approx(xs, abs=1e-12)
    assert orb.multipliers[0].real == pytest.approx(-r * r + 2 * r + 4, abs=1e-9)


@settings(max_examples=examples(10), deadline=None)
@given(r=st.floats(min_value=3.05, max_value=3.4))
def test_c8_logistic_two_cycle_multiplier_closed_form(r: float) -> None:
    """C8 (flip bifurcation): the logistic 2-cycle has multiplier 4 + 2r - r², in (-1, 1) for
    3 < r < 1 + sqrt 6."""
    orb = make_orbit(LogisticMap(r), [0.5 + 0.1], 2)
    assert orb.period == 2
    assert orb.multipliers[0].real == pytest.approx(4 + 2 * r - r * r, abs=1e-8)
    assert orb.stable


def test_detect_period() -> None:
    t = np.arange(40)
    tail = np.stack(
        [
            np.where(t % 3 == 0, 1.0, np.where(t % 3 == 1, 2.0, 3.0)),
            np.ones(40),
            (t % 2).astype(float),
            np.sin(t),
        ],
        axis=1,
    )[:, :, None]
    assert detect_period(tail, max_period=8).tolist() == [3, 1, 2, 0]


def test_no_two_cycle_below_eta_star() -> None:
    with pytest.raises(ConvergenceError, match="no period-2 orbit"):
        period_two_orbit(XY, 0.9, theta_min=[1.0, 1.0])


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: GDMap(XY, -0.1), InvalidParameterError, "lr must be a finite float > 0"),
        (lambda: LogisticMap(0.0), InvalidParameterError, "r must be a finite float > 0"),
        (lambda: period_two_orbit(XY, 1.05), InvalidParameterError, "theta_min must be given"),
        (
            lambda: find_periodic_orbits(XY, 1.05, np.zeros((2, 3))),
            InvalidParameterError,
            r"theta0 must have shape \(B, 2\)",
        ),
        (
            lambda: find_periodic_orbits(XY, 1.05, np.zeros((2, 2)), max_period=0),
            InvalidParameterError,
            "max_period",
        ),
        (lambda: refine_orbit(GDMap(XY, 1.05), [1.0, 1.0], 0), InvalidParameterError, "period"),
    ],
)
def test_bad_input(call, exc, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(exc, match=match):
        call()


@settings(max_examples=examples(5), deadline=None)
@given(depth=st.sampled_from([2, 3]), target=st.fractions(min_value=1 / 2, max_value=2))
def test_c8_flip_bifurcation_at_eta_star_scalar_networks(depth: int, target) -> None:  # type: ignore[no-untyped-def]
    """C8 (with C5): for the scalar network the period-2 orbit near the flattest minimum exists
    just above eta* = 2 / (N y^{2-2/N}) and is stable; just below it GD converges instead."""
    y_ = float(target)
    net = dg.LinearNetwork.scalar(depth, y_)
    eta_star = 2.0 / (depth * y_ ** (2 - 2 / depth))
    orb = period_two_orbit(net, 1.03 * eta_star, transient=6000)
    assert orb.period == 2 and orb.stable
    assert abs(orb.leading_multiplier) < 1.0
    with pytest.raises(ConvergenceError):
        period_two_orbit(net, 0.97 * eta_star, transient=6000)


def test_unstable_period_two_orbits_of_xy_found_with_multipliers() -> None:
    """§7: at eta = 1.05 the GD map of ½(xy − 1)² has an unstable 2-cycle on the anti-diagonal,
    (a, −a) ↔ (−a, a) with a² = 2/eta − 1, whose multipliers are (1 + eta(1 + a²))² = 9 (across)
    and (1 − eta(1 + 3a²))² = (2 eta − 5)² = 8.41 (along); iteration never reaches it, deflated
    Newton does, and flags it unstable."""
    eta = 1.05
    theta0 = np.random.default_rng(0).uniform(-2, 2, size=(24, 2))
    orbits = find_periodic_orbits(XY, eta, theta0, max_period=2, transient=500, unstable=True)
    anti = [o for o in orbits if o.period == 2 and np.allclose(o.points[:, 0], -o.points[:, 1])]
    assert len(anti) == 1
    (orb,) = anti
    a = np.sqrt(2 / eta - 1)
    assert np.allclose(np.sort(np.abs(orb.points[:, 0])), [a, a], atol=1e-10)
    mu = np.sort(orb.multipliers.real)[::-1]
    assert np.allclose(mu, [(1 + eta * (1 + a * a)) ** 2, (2 * eta - 5) ** 2], atol=1e-9)
    assert np.allclose(mu, [9.0, 8.41], atol=1e-9)
    assert not orb.stable and orb.extra["found_by"] == "Newton with deflation"
    # the attracting 2-cycles near the flattest minima are still found by iteration, stable
    stable2 = [o for o in orbits if o.period == 2 and o.stable]
    assert stable2 and all(o.extra["found_by"] == "iteration" for o in stable2)
    # without the option only attracting orbits are returned
    plain = find_periodic_orbits(XY, eta, theta0, max_period=2, transient=500)
    assert all(o.stable for o in plain)


def test_unstable_option_is_validated() -> None:
    with pytest.raises(InvalidParameterError, match="unstable must be a bool"):
        find_periodic_orbits(XY, 1.05, np.zeros((1, 2)), unstable="yes")
