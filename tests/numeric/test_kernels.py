"""Closed-form numeric kernels agree with the symbolic reference (issue: foundation)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.numeric.kernels import LinearNetworkKernels, gd_map, numeric_model
from dynsys_gd.numeric.landscape.manifold import project_to_minima
from dynsys_gd.symbolic.codegen import compile_model


def _networks():
    rng = np.random.default_rng(5)
    nets = [
        dg.LinearNetwork.scalar(n, target=t)
        for n, t in [(1, 1.0), (2, 1.0), (3, 2.0), (4, -0.5), (5, 1.3), (6, 0.8)]
    ]
    nets.append(
        dg.LinearNetwork((3, 5, 4, 2), X=rng.normal(size=(8, 3)), Y=rng.normal(size=(8, 2)))
    )
    nets.append(dg.LinearNetwork((2, 1, 3), X=rng.normal(size=(4, 2)), Y=rng.normal(size=(4, 3))))
    nets.append(
        dg.LinearNetwork.from_covariances(
            (2, 3, 2, 2), Sxx=[[2.0, 0.3], [0.3, 0.5]], Syx=[[1.5, 0.3], [-0.2, 0.7]]
        )
    )
    return nets


@pytest.mark.parametrize("net", _networks(), ids=repr)
def test_kernels_match_symbolic_layer(net):
    k = numeric_model(net)
    ref = compile_model(net)
    rng = np.random.default_rng(6)
    theta = rng.normal(size=(6, net.n_params))
    np.testing.assert_allclose(k.loss(theta), ref["loss"](theta), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(k.gradient(theta), ref["gradient"](theta), rtol=1e-10, atol=1e-11)
    np.testing.assert_allclose(k.hessian(theta), ref["hessian"](theta), rtol=1e-10, atol=1e-11)
    v = rng.normal(size=theta.shape)
    np.testing.assert_allclose(
        k.hvp(theta, v), np.einsum("bij,bj->bi", ref["hessian"](theta), v), rtol=1e-10, atol=1e-11
    )


@pytest.mark.parametrize("net", _networks()[2::3], ids=repr)
def test_mpmath_kernels_match_symbolic_at_50_digits(net):
    km = numeric_model(net, precision=50)
    ref = compile_model(net, backend="mpmath")
    with mpmath.workdps(50):
        theta = np.array([mpmath.mpf(k + 2) / 11 for k in range(net.n_params)], dtype=object)
        for name in ("gradient", "hessian"):
            diff = np.abs(getattr(km, name)(theta) - ref[name](theta)).max()
            assert diff < mpmath.mpf(10) ** -45


def test_mpmath_kernels_refuse_low_precision():
    with pytest.raises(dg.InvalidParameterError, match="precision must be None or an int >= 15"):
        LinearNetworkKernels(dg.LinearNetwork.scalar(2), precision=5)


def _has_manifold(net):
    try:
        net.require_manifold()
    except dg.InvalidParameterError:
        return False
    return True


@pytest.mark.parametrize("net", [n for n in _networks() if _has_manifold(n)], ids=repr)
def test_gd_map_fixes_points_of_the_minima_manifold(net):
    rng = np.random.default_rng(7)
    # start at moderate weights: far along M, float64 rounding is amplified by the products
    starts = (
        rng.uniform(0.5, 1.5, size=(5, net.n_params))
        if net.is_scalar
        else rng.normal(size=(5, net.n_params))
    )
    points, res = project_to_minima(net, starts)
    ok = res < 1e-12
    assert ok.sum() >= 3
    k = numeric_model(net)
    for lr in (0.01, 0.5, 3.0):
        np.testing.assert_allclose(gd_map(k, points[ok], lr), points[ok], rtol=1e-11, atol=1e-11)


def test_gd_map_fixes_scalar_saddles():
    """Scalar net: points with two or more zero weights are critical (strict or non-strict saddles)."""
    k = numeric_model(dg.LinearNetwork.scalar(4, target=1.5))
    saddles = np.array([[0.0, 0.0, 1.3, -2.0], [0.0, 0.0, 0.0, 0.0], [0.7, 0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(k.gradient(saddles), 0.0)
    np.testing.assert_array_equal(gd_map(k, saddles, 0.9), saddles)
    # theta = 0 for N >= 3: H = 0, so DG = I (non-strict saddle)
    np.testing.assert_array_equal(k.hessian(np.zeros(4)), 0.0)


def test_hessian_on_manifold_is_gauss_newton():
    """C3: on M the residual vanishes and H = J^T (I (x) Sxx) J."""
    net = _networks()[-1]
    rng = np.random.default_rng(8)
    points, res = project_to_minima(net, rng.normal(size=(6, net.n_params)))
    points = points[res < 1e-12]  # the projection reports the points it could not finish
    assert len(points) >= 3
    k = numeric_model(net)
    np.testing.assert_allclose(k.hessian(points), k.gauss_newton(points), atol=1e-11)
    # off M the residual part is non-zero, so H differs from the Gauss-Newton matrix
    off = points + 0.1
    assert np.abs(k.hessian(off) - k.gauss_newton(off)).max() > 1e-3


def test_single_point_and_batch_shapes():
    net = dg.LinearNetwork.scalar(3, target=2.0)
    k = numeric_model(net)
    th = np.array([1.0, 2.0, 0.5])
    assert k.loss(th).shape == ()
    assert k.gradient(th).shape == (3,)
    assert k.hessian(th).shape == (3, 3)
    assert k.loss(np.stack([th, th])).shape == (2,)
    with pytest.raises(dg.InvalidParameterError, match=r"theta must have shape \(batch, 3\)"):
        k.gradient(np.ones(4))


def test_loss_keeps_relative_accuracy_near_the_manifold():
    net = dg.LinearNetwork.scalar(3, target=2.0)
    k = numeric_model(net)
    w = 2.0 ** (1 / 3)
    th = np.array([w, w, w * (1 + 1e-12)])
    p = np.prod(th)
    assert k.loss(th) == pytest.approx(0.5 * (p - 2.0) ** 2, rel=1e-3)
