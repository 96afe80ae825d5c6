"""Minimal sharpness over M and the critical learning rate (docs/math/claims.md#c4, docs/math/claims.md#c5, §8 numbers)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.optimize import minimize

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.landscape.fixed_points import random_minima
from dynsys_gd.numeric.landscape.manifold import project_to_minima
from dynsys_gd.numeric.landscape.sharpness import (
    FlattestMinimum,
    critical_lr,
    flattest_minimum,
    min_sharpness,
    sharpness,
    sharpness_bracket,
)

W_STAR = np.array([[1.5, 0.3], [-0.2, 0.7]])


def test_xy_minus_one_is_the_depth_two_scalar_network():
    """docs/math/reference-values.md: ½(xy − 1)² = scalar depth-2 network with y = 1: S_min = 2, η* = 1."""
    net = dg.LinearNetwork.scalar(2, 1.0)
    assert min_sharpness(net) == 2.0
    assert critical_lr(net) == 1.0
    f = flattest_minimum(net)
    assert f.method == "closed form (AM–GM)"
    np.testing.assert_allclose(np.abs(f.point), [1.0, 1.0])


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5, 7])
def test_scalar_unit_target_eta_star_is_two_over_n(depth):
    net = dg.LinearNetwork.scalar(depth, 1.0)
    assert critical_lr(net) == pytest.approx(2.0 / depth, rel=1e-12)


def test_depth_three_target_two():
    """docs/math/reference-values.md: N = 3, y = 2: η* = 2/(3·2^{4/3}) ≈ 0.264567."""
    net = dg.LinearNetwork.scalar(3, 2.0)
    eta = critical_lr(net)
    assert eta == pytest.approx(2.0 / (3.0 * 2.0 ** (4.0 / 3.0)), rel=1e-12)
    assert round(eta, 6) == 0.264567
    # the closed form is attained at the AM–GM point (checked against the numeric Hessian)
    f = flattest_minimum(net)
    assert f.relative_gap < 1e-12
    assert float(sharpness(net, f.point)) == pytest.approx(f.sharpness, rel=1e-12)


def test_scalar_with_data_sigma_xx():
    """C5 with data: S_min = σxx N |w*|^{2−2/N}."""
    X = np.array([[1.0], [2.0], [-1.0]])
    Y = np.array([[0.5], [1.7], [-0.2]])
    net = dg.LinearNetwork((1, 1, 1, 1), X=X, Y=Y)
    sxx = float(np.mean(X**2))
    w = float(np.mean(X * Y)) / sxx
    expected = sxx * 3 * abs(w) ** (2 - 2 / 3)
    assert min_sharpness(net) == pytest.approx(expected, rel=1e-12)
    f = flattest_minimum(net)
    assert float(sharpness(net, f.point)) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("depth, expected", [(2, 3.062329), (3, 5.294403)])
def test_whitened_two_by_two(depth, expected):
    """docs/math/reference-values.md: whitened 2×2 nets, W* = [[1.5, 0.3], [−0.2, 0.7]]."""
    net = dg.LinearNetwork.from_covariances((2,) * (depth + 1), Sxx=np.eye(2), Syx=W_STAR)
    f = flattest_minimum(net)
    assert f.method == "closed form (whitened)"
    assert f.sharpness == pytest.approx(expected, abs=1e-6)
    s1 = np.linalg.svd(W_STAR, compute_uv=False)[0]
    assert f.sharpness == pytest.approx(depth * s1 ** (2 - 2 / depth), rel=1e-12)
    # the closed form holds at the balanced point (rel. error <= 1e-9)
    assert f.relative_gap <= 1e-9


def test_scaled_identity_and_wide_hidden_layers():
    net = dg.LinearNetwork.from_covariances((2, 4, 3, 2), Sxx=2.5 * np.eye(2), Syx=2.5 * W_STAR)
    f = flattest_minimum(net)
    s1 = np.linalg.svd(W_STAR, compute_uv=False)[0]
    assert f.method == "closed form (whitened)"
    assert f.sharpness == pytest.approx(2.5 * 3 * s1 ** (4 / 3), rel=1e-12)
    assert f.relative_gap <= 1e-9


def test_whitened_closed_form_matches_numerical_minimisation():
    """The numerical method (forced) recovers the whitened closed form to 1e-9."""
    from dynsys_gd.numeric.landscape.sharpness import _numerical_flattest

    for depth, expected in [(2, 3.062328609), (3, 5.294402840)]:
        net = dg.LinearNetwork.from_covariances((2,) * (depth + 1), Sxx=np.eye(2), Syx=W_STAR)
        _, S, _ = _numerical_flattest(net)
        assert S == pytest.approx(min_sharpness(net), rel=1e-9)
        assert S == pytest.approx(expected, abs=1e-8)


def test_depth_one_is_linear_regression():
    Sxx = np.array([[2.0, 0.5], [0.5, 1.0]])
    net = dg.LinearNetwork.from_covariances((2, 2), Sxx=Sxx, Syx=W_STAR @ Sxx)
    assert min_sharpness(net) == pytest.approx(np.linalg.eigvalsh(Sxx)[-1], rel=1e-14)
    assert flattest_minimum(net).method == "closed form (depth 1)"


def _independent_s_min(net, n_start=2, seed=5):
    """Independent check: full-parameter epigraph problem min t s.t. W(θ) = W*,
    t ≥ every eigenvalue of J^T (I ⊗ Sxx) J, by SLSQP from random points of M (a different
    parametrisation and optimiser than the package's orbit parametrisation)."""
    k = dg.numeric_model(net)
    P, m = net.n_params, net.widths[0] * net.widths[-1]
    e_t = np.eye(P + 1)[P]
    best = np.inf
    for th0 in random_minima(net, n_start, seed=seed, spread=0.2, log_scale=0.2):

        def lam(x):
            G = k.gauss_newton(x[:P])
            return np.linalg.eigvalsh(0.5 * (G + G.T))[-m:]

        x0 = np.append(th0, lam(np.append(th0, 0.0))[-1])
        cons = [
            {
                "type": "eq",
                "fun": lambda x: (k.product(x[:P]) - net.W_star).ravel(),
                "jac": lambda x: np.hstack([k.jacobian_of_product(x[:P]), np.zeros((m, 1))]),
            },
            {"type": "ineq", "fun": lambda x: x[P] - lam(x)},
        ]
        res = minimize(
            lambda x: x[P],
            x0,
            jac=lambda x: e_t,
            constraints=cons,
            method="SLSQP",
            options={"ftol": 1e-14, "maxiter": 1000},
        )
        th, _ = project_to_minima(net, res.x[:P])
        best = min(best, float(sharpness(net, th)))
    return best


@pytest.mark.parametrize(
    "widths, seed",
    [
        ((2, 2, 2), 0),
        ((2, 3, 2), 1),
        ((2, 2, 2, 2), 2),
        ((3, 3, 3), 3),
        ((4, 4, 4, 4), 4),
    ],
)
def test_general_sxx_matches_independent_optimisation(widths, seed):
    """C5, general Σxx: numerical S_min agrees with an independent optimiser to 1e-6 and lies
    in the bracket λ_min(Σxx) N σ1^{2−2/N} ≤ S_min ≤ λ_max(Σxx) N σ1^{2−2/N}."""
    rng = np.random.default_rng(seed)
    d0 = widths[0]
    A = rng.normal(size=(d0, d0))
    Sxx = A @ A.T / d0 + 0.5 * np.eye(d0)
    net = dg.LinearNetwork.from_covariances(widths, Sxx=Sxx, Syx=rng.normal(size=(widths[-1], d0)))
    f = flattest_minimum(net)
    if net.depth == 2:  # the certified SDP (C5, convex form): bounds enclose the minimum
        assert f.method == "certified SDP (depth 2)" and f.certified
        assert float(f.bounds[0]) <= f.sharpness * (1 + 1e-13)
        assert f.sharpness <= float(f.bounds[1]) * (1 + 1e-13)
    else:  # depth >= 3 with d_0 d_N <= 16: the product-vector certificate, 1e-9 tight
        assert f.method == "certified product-vector bound (depth >= 3)" and f.certified
        assert float(f.bounds[0]) <= f.sharpness <= float(f.bounds[1])
        assert float(f.bounds[1] - f.bounds[0]) / f.sharpness < 1e-9
    lo, hi = sharpness_bracket(net)
    assert lo <= f.sharpness <= hi
    # the returned point is on M and has the reported sharpness
    k = dg.numeric_model(net)
    np.testing.assert_allclose(k.product(f.point), net.W_star, atol=1e-10)
    assert float(sharpness(net, f.point)) == pytest.approx(f.sharpness, rel=1e-9)
    assert _independent_s_min(net) == pytest.approx(f.sharpness, rel=1e-6)
    # no sampled minimum is flatter
    assert np.all(sharpness(net, random_minima(net, 16, seed=seed)) >= f.sharpness * (1 - 1e-9))


def test_result_is_cached_on_the_network():
    net = dg.LinearNetwork.scalar(4, 3.0)
    f1 = flattest_minimum(net)
    assert flattest_minimum(net) is f1
    assert "flattest_minimum" in net._cache


def test_flattest_minimum_views():
    f = flattest_minimum(dg.LinearNetwork.scalar(3, 2.0))
    assert isinstance(f, FlattestMinimum)
    d = json.loads(f.to_json())
    assert d["method"] == "closed form (AM–GM)"
    assert d["critical_lr"] == pytest.approx(0.264567, abs=1e-6)
    assert "eta* = 2 / S_min" in f.summary()
    assert repr(f).startswith("FlattestMinimum(sharpness=7.5595")
    lo, hi = f.bracket
    assert lo == hi == pytest.approx(f.sharpness)


@pytest.mark.parametrize("func", [min_sharpness, critical_lr, flattest_minimum])
@pytest.mark.parametrize(
    "net, exc, match",
    [
        (
            dg.LinearNetwork.from_covariances((2, 1, 2), Sxx=np.eye(2), Syx=W_STAR),
            InvalidParameterError,
            r"hidden widths must be >= rank W\* = 2",
        ),
        ("scalar", InvalidParameterError, r"net must be a LinearNetwork; got str"),
        (None, InvalidParameterError, r"net must be a LinearNetwork; got NoneType"),
    ],
)
def test_bad_input(func, net, exc, match):
    with pytest.raises(exc, match=match):
        func(net)
