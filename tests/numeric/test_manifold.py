"""Projection onto the minima manifold and minimum-norm Newton."""

from __future__ import annotations

import mpmath
import numpy as np

import dynsys_gd as dg
from dynsys_gd.numeric.kernels import numeric_model
from dynsys_gd.numeric.landscape.manifold import (
    minimum_norm_newton,
    project_to_minima,
    project_to_minima_mp,
)


def test_projection_lands_on_m_close_to_start():
    net = dg.LinearNetwork.from_covariances(
        (2, 3, 2), Sxx=[[2.0, 0.5], [0.5, 1.0]], Syx=[[1.5, 0.3], [-0.2, 0.7]]
    )
    rng = np.random.default_rng(0)
    start, _ = project_to_minima(net, rng.normal(size=(6, net.n_params)))
    nudged = start + 1e-3 * rng.normal(size=start.shape)
    pts, res = project_to_minima(net, nudged)
    assert np.all(res < 1e-13)
    np.testing.assert_allclose(
        numeric_model(net).product(pts), np.broadcast_to(net.W_star, (6, 2, 2)), atol=1e-13
    )
    # Gauss-Newton moves only O(distance to M)
    assert np.max(np.linalg.norm(pts - nudged, axis=1)) < 1e-2


def test_high_precision_projection_residual_below_1e_45():
    net = dg.LinearNetwork.scalar(3, target=2.0)
    pt, res = project_to_minima_mp(net, [1.1, 1.3, 1.4], dps=50)
    assert res < mpmath.mpf(10) ** -45
    with mpmath.workdps(50):
        g = numeric_model(net, precision=50).gradient(np.array(pt, dtype=object))
        assert max(abs(x) for x in g) < mpmath.mpf(10) ** -45


def test_minimum_norm_newton_finds_critical_points():
    x, y = __import__("sympy").symbols("x y")
    m = dg.LossModel((x * y - 1) ** 2 / 2, (x, y))
    pts, gn = minimum_norm_newton(m, np.array([[1.2, 0.9], [0.05, -0.02]]))
    assert np.all(gn < 1e-12)
    np.testing.assert_allclose(pts[0, 0] * pts[0, 1], 1.0, atol=1e-12)  # a minimum
    np.testing.assert_allclose(pts[1], 0.0, atol=1e-12)  # the saddle at the origin
