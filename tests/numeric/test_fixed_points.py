"""Critical points of linear networks: balanced / random minima, saddles, mpmath refinement."""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.kernels import numeric_model
from dynsys_gd.numeric.landscape.fixed_points import (
    balanced_minimum,
    random_minima,
    refine_mp,
    saddle_points,
)
from dynsys_gd.numeric.landscape.spectra import FixedPointClass, fixed_point_spectrum

W_STAR = np.array([[1.5, 0.3], [-0.2, 0.7]])
SXX = np.array([[2.0, 0.5], [0.5, 1.0]])


def general_net(widths=(2, 3, 2)):
    return dg.LinearNetwork.from_covariances(widths, Sxx=SXX, Syx=W_STAR @ SXX)


@pytest.mark.parametrize(
    "net",
    [
        dg.LinearNetwork.scalar(3, 2.0),
        dg.LinearNetwork.scalar(4, -0.5),
        dg.LinearNetwork.from_covariances((2, 2, 2, 2), Sxx=np.eye(2), Syx=W_STAR),
        general_net((2, 3, 2)),
        general_net((2, 2)),
    ],
)
def test_balanced_minimum_is_on_m_and_balanced(net):
    th = balanced_minimum(net)
    k = numeric_model(net)
    np.testing.assert_allclose(k.product(th), net.W_star, atol=1e-13)
    assert np.linalg.norm(k.gradient(th)) < 1e-12
    layers = net.unflatten(th)
    for a, b in itertools.pairwise(layers):
        np.testing.assert_allclose(b.T @ b, a @ a.T, atol=1e-13)


def test_scalar_balanced_minimum_is_am_gm_point():
    th = balanced_minimum(dg.LinearNetwork.scalar(3, -8.0))
    np.testing.assert_allclose(np.abs(th), 2.0, rtol=1e-14)
    assert np.prod(th) == pytest.approx(-8.0, rel=1e-14)


def test_random_minima_lie_on_m_and_spread_along_it():
    net = general_net((2, 3, 2))
    pts = random_minima(net, 12, seed=3, spread=0.5, log_scale=1.0)
    assert pts.shape == (12, net.n_params)
    k = numeric_model(net)
    np.testing.assert_allclose(k.product(pts), np.broadcast_to(net.W_star, (12, 2, 2)), atol=1e-12)
    # distinct points, not all near the balanced one
    dist = np.linalg.norm(pts - balanced_minimum(net), axis=1)
    assert dist.min() > 1e-3 and dist.max() > 0.5
    # reproducible from the seed
    np.testing.assert_array_equal(pts, random_minima(net, 12, seed=3, spread=0.5, log_scale=1.0))


def test_scalar_saddles_and_their_types():
    net = dg.LinearNetwork.scalar(3, 2.0)
    saddles = saddle_points(net)
    labels = [s.label for s in saddles]
    assert labels == ["origin", "two zero weights (w_1 = w_2 = 0)"]
    kinds = [
        fixed_point_spectrum(net, s.point, 0.1, on_manifold=False).classification for s in saddles
    ]
    # C6: theta = 0 (N >= 3) is non-strict; two zero weights give a strict saddle
    assert kinds == [FixedPointClass.NON_STRICT_SADDLE, FixedPointClass.STRICT_SADDLE]
    assert all(s.gradient_norm == 0.0 for s in saddles)


def test_depth_two_origin_is_strict_saddle():
    net = dg.LinearNetwork.scalar(2, 1.0)
    (origin,) = saddle_points(net)
    sp = fixed_point_spectrum(net, origin.point, 0.5, on_manifold=False)
    np.testing.assert_allclose(sp.hessian_eigenvalues, [-1.0, 1.0], atol=1e-15)
    assert sp.classification is FixedPointClass.STRICT_SADDLE


def test_matrix_saddles_are_critical_points_general_sxx():
    """P_I W* realised as a balanced product is critical also for non-whitened data."""
    net = general_net((2, 3, 2))
    saddles = saddle_points(net, refine=False)
    assert len(saddles) == 3  # origin and two rank-1 points
    k = numeric_model(net)
    for s in saddles:
        assert np.linalg.norm(k.gradient(s.point)) < 1e-12
        assert np.linalg.norm(k.product(s.point) - net.W_star) > 0.1


def test_depth_one_has_no_saddles():
    assert saddle_points(dg.LinearNetwork.scalar(1, 2.0)) == []


def test_refine_mp_minimum_below_1e_45():
    net = general_net((2, 2, 2))
    rng = np.random.default_rng(0)
    start = balanced_minimum(net) + 1e-3 * rng.normal(size=net.n_params)
    pt, g = refine_mp(net, start, dps=50, on_manifold=True)
    assert g < mpmath.mpf(10) ** -45
    assert isinstance(pt[0], mpmath.mpf)


def test_refine_mp_saddle_below_1e_45():
    net = dg.LinearNetwork.from_covariances((2, 2, 2), Sxx=np.eye(2), Syx=W_STAR)
    s = saddle_points(net)[1]
    start = s.point + 1e-4 * np.arange(1, net.n_params + 1) / net.n_params
    pt, g = refine_mp(net, start, dps=50)
    assert g < mpmath.mpf(10) ** -45
    # it went back to a saddle (not a minimum): the loss is above the minimum 0
    with mpmath.workdps(50):
        loss = numeric_model(net, precision=50).loss(np.array(pt, dtype=object))
    assert float(loss) > 1e-3


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"n": 0}, InvalidParameterError, r"n must be an int >= 1; got 0"),
        ({"n": 2.0}, InvalidParameterError, r"n must be an int"),
        ({"n": 2, "seed": -1}, InvalidParameterError, r"seed must be an int >= 0"),
        ({"n": 2, "spread": -1.0}, InvalidParameterError, r"spread and log_scale must be >= 0"),
    ],
)
def test_random_minima_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        random_minima(dg.LinearNetwork.scalar(2, 1.0), **kwargs)


def test_target_zero_balanced_minimum_is_the_origin():
    """W* = 0: the minima set is a variety through the origin, its balanced point."""
    th = balanced_minimum(dg.LinearNetwork.scalar(3, 0.0))
    assert th.shape == (3,) and np.all(th == 0.0)


@pytest.mark.parametrize(
    "depth, expected",
    [
        # N = 2: every non-minimal critical point is a strict saddle
        (2, [FixedPointClass.STRICT_SADDLE] * 3),
        # N = 3: the origin and the point keeping the top direction are non-strict (escaping
        # needs all three layers: the loss drops at third order); keeping only the smaller
        # direction is strict
        (
            3,
            [
                FixedPointClass.NON_STRICT_SADDLE,
                FixedPointClass.NON_STRICT_SADDLE,
                FixedPointClass.STRICT_SADDLE,
            ],
        ),
    ],
)
def test_whitened_matrix_saddle_types(depth, expected):
    net = dg.LinearNetwork.from_covariances((2,) * (depth + 1), Sxx=np.eye(2), Syx=W_STAR)
    saddles = saddle_points(net)
    assert [s.label for s in saddles] == [
        "origin",
        "rank-1 critical point, directions [0]",
        "rank-1 critical point, directions [1]",
    ]
    got = [
        fixed_point_spectrum(net, s.point, 0.1, on_manifold=False).classification for s in saddles
    ]
    assert got == expected
    # the rank-1 point keeping the top direction is the truncated SVD of W*
    U, s, Vt = np.linalg.svd(W_STAR)
    np.testing.assert_allclose(
        numeric_model(net).product(saddles[1].point), s[0] * np.outer(U[:, 0], Vt[0]), atol=1e-12
    )


def test_sample_minima_are_on_m_and_reach_the_centre_for_any_depth():
    """Samples of M around a centre: on M, at every distance from the centre (strength U[0, 1]),
    with a displacement that does not grow with the depth."""
    from dynsys_gd.numeric.kernels import numeric_model
    from dynsys_gd.numeric.landscape.fixed_points import balanced_minimum, sample_minima

    med = []
    for depth in (3, 6, 12):
        net = dg.LinearNetwork.scalar(depth, 1.5)
        c = balanced_minimum(net)
        pts = sample_minima(net, 64, seed=2, center=c)
        W = numeric_model(net).product(pts)
        np.testing.assert_allclose(W.reshape(-1), 1.5, rtol=1e-12)
        dist = np.linalg.norm(pts - c, axis=1)
        assert dist.min() < 0.05 * dist.max()
        med.append(float(np.median(dist)))
    assert max(med) < 2.0 * min(med)
    net = dg.LinearNetwork.from_covariances((2, 3, 2), Sxx=np.eye(2), Syx=np.eye(2))
    np.testing.assert_array_equal(sample_minima(net, 5, seed=1), sample_minima(net, 5, seed=1))
