"""Continuation in the step size of optimiser maps: the flip of 1/2 (xy - 1)^2 at eta* = 1 and
its period-2 orbits (against a 50-digit Newton solve), a matrix network's flip at 2 / S_min,
heavy ball's flip at (2 + 2 beta) / S_min and its flip curve in (eta, beta)."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError

W_STAR = np.array([[1.5, 0.3], [-0.2, 0.7]])


def _xy() -> dg.LinearNetwork:
    return dg.LinearNetwork.scalar(2, 1.0)  # 1/2 (xy - 1)^2


def _period_two_reference(eta: float) -> list[complex]:
    """Multipliers of the diagonal 2-cycle of GD on 1/2 (xy - 1)^2 at ``eta``, 50 digits.

    On x = y the map is a -> a - eta (a^2 - 1) a; the 2-cycle point a solves g(g(a)) = a with
    a != 1, by Newton in mpmath; then DG = I - eta H, H = [[y^2, 2xy - 1], [2xy - 1, x^2]]."""
    mp.mp.dps = 50
    e = mp.mpf(eta)

    def g(a: mp.mpf) -> mp.mpf:
        return a - e * (a * a - 1) * a

    a = mp.findroot(lambda t: g(g(t)) - t, mp.mpf("1.14"))
    M = mp.eye(2)
    for z in (a, g(a)):
        H = mp.matrix([[z * z, 2 * z * z - 1], [2 * z * z - 1, z * z]])
        M = (mp.eye(2) - e * H) * M
    ev = mp.eig(M)[0]
    return sorted((complex(v) for v in ev), key=lambda v: v.real)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_xy_flip_at_one_supercritical_and_period_two_multipliers(sign: float) -> None:
    res = dg.continue_orbits(_xy(), (0.5, 1.2), [sign, sign], doublings=1)
    (flip,) = res.bifurcations
    assert flip.kind == "flip" and abs(flip.param - 1.0) < 1e-12 and flip.supercritical
    # diagonal reduction a -> a - eta (a^2-1) a: a^2 + b = 9 - 1 = 8 with unit step along
    # (1, 1), i.e. 8 / 2 = 4 for the unit eigenvector (1, 1) / sqrt 2
    assert flip.coefficient is not None and abs(flip.coefficient - 4.0) < 1e-4
    p1, p2 = res.branches
    assert p1.stable[p1.params < 0.999].all() and not p1.stable[p1.params > 1.001].any()
    assert p2.period == 2 and p2.params[-1] == 1.2
    ref = _period_two_reference(1.2)
    got = sorted(p2.points[-1].multipliers.astype(complex), key=lambda v: v.real)
    assert np.allclose(got, ref, rtol=0, atol=1e-9)
    assert p2.stable[-1]  # multipliers -0.68 and 0.6 at eta = 1.2


def test_matrix_network_flip_at_two_over_s_min() -> None:
    """Whitened (2, 2, 2), W* = U S V^T: the balanced minimum W1 = S^(1/2) V^T, W2 = U S^(1/2)
    flips at eta* = 2 / S_min = 1 / sigma_1(W*) (S_min = 3.062329)."""
    net = dg.LinearNetwork.from_covariances((2, 2, 2), Sxx=np.eye(2), Syx=W_STAR)
    U, s, Vt = np.linalg.svd(W_STAR)
    theta = net.flatten([np.diag(np.sqrt(s)) @ Vt, U @ np.diag(np.sqrt(s))])
    assert np.abs(dg.numeric_model(net).gradient(theta[None])).max() < 1e-14
    res = dg.continue_orbits(net, (0.5, 0.8), theta)
    flips = [b for b in res.bifurcations if b.kind == "flip"]
    assert len(flips) == 1 and flips[0].supercritical
    assert abs(flips[0].param - 1 / s[0]) < 1e-9
    assert abs(2 / flips[0].param - 3.062329) < 1e-6


def test_heavy_ball_flip_and_flip_curve() -> None:
    res = dg.continue_orbits(_xy(), (1.0, 1.7), [1.0, 1.0], optimizer=dg.HeavyBall(0.5))
    (flip,) = res.bifurcations
    assert flip.kind == "flip" and abs(flip.param - 1.5) < 1e-12  # (2 + 2 beta) / S_min
    betas = [0.0, 0.2, 0.4, 0.6, 0.8]
    curve = dg.flip_curve(lambda b: (_xy(), dg.HeavyBall(b)), betas, [1.0, 1.0], 1.0)
    assert np.allclose(curve.params, (2 + 2 * np.array(betas)) / 2, rtol=0, atol=1e-12)
    assert list(curve.to_pandas().columns) == ["qs", "params"]


def test_result_faces_and_bad_input() -> None:
    res = dg.continue_orbits(_xy(), (0.5, 1.2), [1.0, 1.0], doublings=1)
    assert "flip of the period-1 branch at p = 1" in res.summary()
    assert "supercritical" in res.summary()
    d = res.to_dict()
    assert d["bifurcations"][0]["supercritical"] is True and len(d["branches"]) == 2
    assert res.plot() is not None
    with pytest.raises(InvalidParameterError, match="lr_range must be"):
        dg.continue_orbits(_xy(), (1.2, 0.5), [1.0, 1.0])
    with pytest.raises(InvalidParameterError, match="x0 must be"):
        dg.continue_orbits(_xy(), (0.5, 1.2), [1.0, 1.0, 1.0])
    with pytest.raises(InvalidParameterError, match="system must be"):
        dg.continue_orbits(dg.IteratedMap(lambda x: x, 1), (0.5, 1.2), [1.0])
