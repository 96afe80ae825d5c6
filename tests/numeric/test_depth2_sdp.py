"""Certified S_min of depth-2 linear networks with a general Σxx (docs/math/claims.md#c5, convex form)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.landscape.depth2_sdp import (
    certified_min_sharpness_depth2,
    dual_lower_bound,
    exact_point_on_manifold,
)
from dynsys_gd.numeric.landscape.fixed_points import random_minima
from dynsys_gd.numeric.landscape.sharpness import _numerical_flattest, sharpness, sharpness_bracket


def _general(widths, seed):
    rng = np.random.default_rng(seed)
    d0, dN = widths[0], widths[-1]
    A = rng.normal(size=(d0, d0))
    Sxx = A @ A.T + 0.3 * np.eye(d0)
    return dg.LinearNetwork.from_covariances(widths, Sxx=Sxx, Syx=rng.normal(size=(dN, d0)))


CASES = [
    ((2, 2, 2), 1),
    ((2, 3, 2), 2),
    ((3, 3, 2), 3),
    ((2, 2, 3), 4),
    ((3, 4, 3), 5),
    ((3, 3, 1), 6),
]


@pytest.mark.parametrize(("widths", "seed"), CASES)
def test_certificate_agrees_with_independent_numerical_minimum(widths, seed):
    """Six networks with Σxx ≠ cI: the certified enclosure is narrower than 1e-9 (relative), and
    the numerical minimum over M (orbit parametrisation + epigraph SLSQP, a different method)
    agrees with it to 1e-9 and lies in it (up to its own float64 rounding, 1e-13)."""
    net = _general(widths, seed)
    cert = certified_min_sharpness_depth2(net)
    assert not np.allclose(net.Sxx, net.Sxx[0, 0] * np.eye(widths[0]))
    assert cert.lower <= cert.upper
    assert cert.relative_width < 1e-9
    _, num, _ = _numerical_flattest(_general(widths, seed))
    assert abs(num - float(cert.upper)) <= 1e-9 * num
    assert float(cert.lower) * (1 - 1e-13) <= num <= float(cert.upper) * (1 + 1e-13)
    lo, hi = sharpness_bracket(net)
    assert lo * (1 - 1e-12) <= float(cert.lower) and float(cert.upper) <= hi * (1 + 1e-12)


def test_lower_bound_holds_at_random_points_of_m():
    """The dual bound is a bound over all of M: λ_max(H) at random points of M is above it."""
    net = _general((3, 4, 2), 11)
    cert = certified_min_sharpness_depth2(net)
    pts = random_minima(net, 32, seed=3, spread=0.7, log_scale=1.0)
    assert np.all(sharpness(net, pts) >= float(cert.lower) * (1 - 1e-12))


def test_any_dual_matrix_gives_a_valid_bound():
    """Weak duality does not trust the solver: a random PSD Z gives a (poor) valid bound."""
    net = _general((2, 3, 2), 7)
    cert = certified_min_sharpness_depth2(net)
    rng = np.random.default_rng(0)
    for _ in range(5):
        F = rng.normal(size=(4, 2))
        lb = dual_lower_bound(net, F @ F.T)
        assert Fraction(0) <= lb <= cert.upper


def test_point_is_exactly_on_m():
    net = _general((2, 3, 2), 2)
    cert = certified_min_sharpness_depth2(net)
    exact = exact_point_on_manifold(net, cert.point)
    import flint

    o = net.offsets
    W1 = flint.fmpq_mat(3, 2, [flint.fmpq(x.numerator, x.denominator) for x in exact[: o[1]]])
    W2 = flint.fmpq_mat(2, 3, [flint.fmpq(x.numerator, x.denominator) for x in exact[o[1] :]])
    S = flint.fmpq_mat([[flint.fmpq(x.numerator, x.denominator) for x in r] for r in net.Sxx_exact])
    Y = flint.fmpq_mat([[flint.fmpq(x.numerator, x.denominator) for x in r] for r in net.Syx_exact])
    assert W2 * W1 * S == Y


def test_whitened_matches_closed_form():
    W = np.array([[1.5, 0.3], [-0.2, 0.7]])
    net = dg.LinearNetwork.from_covariances((2, 2, 2), Sxx=np.eye(2), Syx=W)
    cert = certified_min_sharpness_depth2(net)
    closed = 2 * np.linalg.svd(W, compute_uv=False)[0]
    assert float(cert.lower) <= closed * (1 + 1e-15) and closed <= float(cert.upper) * (1 + 1e-15)
    assert cert.relative_width < 1e-10


def test_refuses_other_depths():
    net = dg.LinearNetwork.from_covariances((2, 2, 2, 2), Sxx=np.eye(2), Syx=np.eye(2))
    with pytest.raises(InvalidParameterError, match="depth 2"):
        certified_min_sharpness_depth2(net)


def test_narrow_hidden_layer_uses_a_numerical_point_for_the_upper_bound():
    """Hidden width h < d_0 (allowed when d_N <= h): W_1^T W_1 is singular on all of M, the
    dual bound still holds on all of M and the upper bound comes from the numerical minimum."""
    net = _general((3, 2, 1), 3)
    with pytest.raises(InvalidParameterError, match="point must be given"):
        certified_min_sharpness_depth2(net)
    f = dg.flattest_minimum(net)
    assert f.method == "certified SDP (depth 2)"
    lo, hi = f.bounds
    assert lo <= hi and float(hi - lo) <= 1e-9 * float(hi)
    pts = random_minima(net, 16, seed=1)
    assert np.all(sharpness(net, pts) >= float(lo) * (1 - 1e-12))


@pytest.mark.parametrize(("cond", "narrow"), [(1e4, True), (1e8, False)])
def test_ill_conditioned_sxx(cond, narrow):
    """The solver runs in whitened coordinates, so cond(Σxx) = 1e4 is still certified to 1e-9;
    at 1e8 (W* ~ 1e8) the SDP degrades, and flattest_minimum then takes the better of the SDP
    point and the numerical minimum: never worse than the numerical minimiser, bounds valid."""
    rng = np.random.default_rng(1)
    Q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    S = Q @ np.diag([1.0, 1e-2, 1 / cond]) @ Q.T
    Y = rng.normal(size=(3, 3))
    net = dg.LinearNetwork.from_covariances((3, 3, 3), Sxx=S, Syx=Y)
    f = dg.flattest_minimum(net)
    lo, hi = (float(b) for b in f.bounds)
    _, num, _ = _numerical_flattest(dg.LinearNetwork.from_covariances((3, 3, 3), Sxx=S, Syx=Y))
    # at cond 1e8 the exact point of M next to the float minimiser differs from it by ~1e-9
    # (relative, W* ~ 1e8), which shows in lambda_max
    assert lo <= num * (1 + 1e-12) and f.sharpness <= num * (1 + (1e-9 if narrow else 1e-8))
    assert f.sharpness <= hi * (1 + 1e-12)
    if narrow:
        assert hi - lo <= 1e-9 * hi
