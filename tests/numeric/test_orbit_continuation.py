"""Continuation of orbits of parametric maps: the logistic cascade (closed forms and the
published third flip), the normal-form sign, Hénon's Lyapunov spectrum, invariant density."""

from __future__ import annotations

import numpy as np

import dynsys_gd as dg
from dynsys_gd.numeric.orbits.continuation import flip_coefficient

THIRD_FLIP = 3.5440903595519  # period 4 -> 8 of the logistic map (published value)


def _logistic() -> dg.IteratedMap:
    return dg.IteratedMap(
        lambda x, r: r * x * (1 - x), 1, lambda x, r: (r * (1 - 2 * x))[..., None], name="logistic"
    )


def _henon() -> dg.IteratedMap:
    def f(v: np.ndarray) -> np.ndarray:
        return np.stack([1 - 1.4 * v[..., 0] ** 2 + v[..., 1], 0.3 * v[..., 0]], -1)

    def jac(v: np.ndarray) -> np.ndarray:
        out = np.zeros((*v.shape, 2))
        out[..., 0, 0] = -2.8 * v[..., 0]
        out[..., 0, 1] = 1.0
        out[..., 1, 0] = 0.3
        return out

    return dg.IteratedMap(f, 2, jac, name="henon")


def test_logistic_cascade_flips_and_feigenbaum() -> None:
    res = dg.continue_orbits(_logistic(), (2.5, 3.57), [0.5], doublings=3, ds=0.05, ds_max=0.1)
    flips = res.flips()
    rs = [b.param for b in flips]
    assert [b.period for b in flips] == [1, 2, 4, 8]
    assert abs(rs[0] - 3.0) < 1e-10
    assert abs(rs[1] - (1 + np.sqrt(6))) < 1e-10
    assert abs(rs[2] - THIRD_FLIP) < 1e-9
    d = np.diff(rs)
    ratios = d[:-1] / d[1:]
    assert abs(ratios[0] - 4.7514) < 1e-3 and abs(ratios[1] - 4.6562) < 1e-3
    assert abs(ratios[1] - 4.669) < abs(ratios[0] - 4.669)  # approaching Feigenbaum's delta
    assert all(b.supercritical for b in flips)
    # the period-1 branch is the closed form x* = 1 - 1/r; stable below r = 3 only
    br = res.branches[0]
    assert np.allclose(br.states[:, 0], 1 - 1 / br.params, atol=1e-12)
    assert np.array_equal(br.stable, br.params < 3)


def test_flip_coefficient_of_the_logistic_at_three_is_nine() -> None:
    """x -> -u - 3u^2 about x* = 2/3: c = a^2 + b = 9 (a, b the quadratic, cubic terms)."""
    c, q = flip_coefficient(_logistic(), np.array([2 / 3]), 3.0)
    assert abs(c - 9.0) < 1e-5 and abs(abs(q[0]) - 1) < 1e-15


def test_subcritical_flip_is_called_subcritical() -> None:
    """x -> -(1 + p) x - x^3 has c = -1: the 2-cycle x^2 = -p exists for p < 0 and is unstable."""
    m = dg.IteratedMap(lambda x, p: -(1 + p) * x - x**3, 1, name="subcritical")
    res = dg.continue_orbits(m, (-0.2, 0.2), [0.0], start=-0.2)
    (b,) = res.bifurcations
    assert b.kind == "flip" and abs(b.param) < 1e-9  # Jacobian by central differences
    assert b.coefficient is not None and abs(b.coefficient + 1) < 1e-4 and b.supercritical is False


def test_fold_and_neimark_sacker_located() -> None:
    """x -> x + p - x^2 folds at p = 0 (x = 0); the delayed logistic map
    (x, y) -> (r x (1 - y), x) has a Neimark-Sacker point at r = 2 (x = y = 1/2)."""
    fold = dg.IteratedMap(lambda x, p: x + p - x**2, 1, name="fold")
    res = dg.continue_orbits(fold, (-1.0, 1.0), [1.0], start=1.0, ds=0.05)
    kinds = [(b.kind, b.param) for b in res.bifurcations]
    assert len(kinds) == 1 and kinds[0][0] == "fold" and abs(kinds[0][1]) < 1e-10

    def delayed(v: np.ndarray, r: float) -> np.ndarray:
        return np.stack([r * v[..., 0] * (1 - v[..., 1]), v[..., 0]], -1)

    dl = dg.IteratedMap(delayed, 2, name="delayed logistic")
    res = dg.continue_orbits(dl, (1.5, 2.3), [1 / 3, 1 / 3])
    ns = [b for b in res.bifurcations if b.kind == "neimark-sacker"]
    assert len(ns) == 1 and abs(ns[0].param - 2.0) < 1e-8


def test_henon_lyapunov_spectrum_and_sum_rule() -> None:
    x0 = 0.1 * np.random.default_rng(0).standard_normal((8, 2))
    spec = dg.lyapunov_spectrum(_henon(), x0, 20000, transient=500)
    assert abs(spec.exponents[0] - 0.419) < 0.005
    assert abs(spec.exponents[1] + 1.623) < 0.005
    assert abs(spec.exponents.sum() - np.log(0.3)) < 1e-8
    assert spec.sum_rule_error < 1e-8
    assert not spec.diverged.any()


def test_invariant_density_of_the_logistic_at_four() -> None:
    """Against the arcsine density 1 / (pi sqrt(x (1 - x)))."""
    x0 = np.random.default_rng(1).uniform(0.01, 0.99, (50, 1))
    d = dg.invariant_density(_logistic(), x0, 4000, lr=4.0, bins=20, value_range=(0.0, 1.0))
    cdf = 2 / np.pi * np.arcsin(np.sqrt(d.edges))
    exact = np.diff(cdf) / np.diff(d.edges)
    l1 = float(np.sum(np.abs(d.density - exact) * np.diff(d.edges)))
    assert d.converged and l1 < 0.02
    # a period-2 orbit (r = 3.2) is not a density: both halves agree, the mass sits in 2 bins
    d2 = dg.invariant_density(_logistic(), x0, 1000, lr=3.2, bins=20, value_range=(0.0, 1.0))
    assert np.count_nonzero(d2.density) == 2


def test_period_doubling_cascade_of_an_iterated_map_by_continuation() -> None:
    casc = dg.period_doubling_cascade(_logistic(), 2.8, 3.57, [0.3], n_doublings=4)
    assert casc.periods == (1, 2, 4, 8)
    assert abs(casc.points[0] - 3.0) < 1e-10 and abs(casc.points[2] - THIRD_FLIP) < 1e-9
    assert abs(casc.ratios[-1] - 4.6562) < 1e-3
