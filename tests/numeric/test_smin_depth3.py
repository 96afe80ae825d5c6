"""Certified S_min of a depth-3 network with square layers and a general Sxx: the per-box dual
bound is rigorous and tight at the optimum, and the enclosure holds an independent optimum."""

from fractions import Fraction

import numpy as np
import pytest
from scipy.optimize import minimize

from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.models import LinearNetwork
from dynsys_gd.numeric.landscape import smin_depth3 as s3
from dynsys_gd.numeric.landscape.sharpness import flattest_minimum

SXX = np.array([[2.0, 0.5], [0.5, 1.0]])
W = np.array([[1.5, 0.3], [-0.2, 0.7]])


def _net() -> LinearNetwork:
    return LinearNetwork.from_covariances((2, 2, 2, 2), Sxx=SXX, Syx=W)


def _independent_smin(ws: np.ndarray, S: np.ndarray) -> float:
    """min over W1, W2 of lambda_max(H) with W3 = W*(W2 W1)^-1, H = J^T (I x S) J built from
    the layer products (no project code), Nelder-Mead from a few starts."""

    def lam(z: np.ndarray) -> float:
        W1, W2 = z[:4].reshape(2, 2), z[4:].reshape(2, 2)
        B = W2 @ W1
        if abs(np.linalg.det(B)) < 1e-8:
            return 1e6
        W3 = ws @ np.linalg.inv(B)
        pre = [np.eye(2), W1, W2 @ W1]
        suf = [W3 @ W2, W3, np.eye(2)]
        cols = []
        for j in range(3):
            for a in range(2):
                for k in range(2):
                    E = np.zeros((2, 2))
                    E[a, k] = 1.0
                    cols.append((suf[j] @ E @ pre[j]).ravel())
        J = np.array(cols).T
        H = J.T @ np.kron(np.eye(2), S) @ J
        return float(np.linalg.eigvalsh(H)[-1])

    best = np.inf
    rng = np.random.default_rng(1)
    for _ in range(2):
        z0 = np.concatenate([np.eye(2).ravel(), np.eye(2).ravel()]) + 0.2 * rng.normal(size=8)
        r = minimize(
            lam,
            z0,
            method="Nelder-Mead",
            options={"maxiter": 20000, "xatol": 1e-12, "fatol": 1e-14},
        )
        r = minimize(
            lam,
            r.x,
            method="Nelder-Mead",
            options={"maxiter": 20000, "xatol": 1e-13, "fatol": 1e-15},
        )
        best = min(best, r.fun)
    return best


@pytest.mark.slow  # the independent Nelder-Mead optimiser: about 15-30 s
def test_dual_bound_is_tight_at_the_optimum_and_below_it_elsewhere():
    net = _net()
    from dynsys_gd.numeric.landscape.smin_certificate import exact_upper_bound

    upper, pt, value = exact_upper_bound(net, flattest_minimum(net).point)
    dat = s3._Data(net)
    ymin = dat.lam_w * dat.lam_s / upper
    L3 = net.unflatten(pt)[2]
    Lc = np.linalg.cholesky(L3 @ L3.T)
    z = np.array([np.log(Lc[0, 0]), np.log(Lc[1, 1]), Lc[1, 0]])
    bounds = []
    for h in (1e-9, 1e-2):
        YL, YU = s3._box_matrices(z - h, z + h, 2, ymin)
        YLf = np.array([[float(s3._frac(YL[i, j])) for j in range(2)] for i in range(2)])
        DU = dat.W.transpose() * YU.inv() * dat.W
        DUf = np.array([[float(s3._frac(DU[i, j])) for j in range(2)] for i in range(2)])
        F = s3._dual_from_sdp(YLf, DUf, dat)
        bounds.append(s3._certified_phi(F, YL, DU, dat))
    assert bounds[1] < bounds[0] <= upper
    assert float(upper - bounds[0]) < 1e-6  # the SDP's tolerance, not the method's
    indep = _independent_smin(np.asarray(net.W_star), SXX)
    assert abs(indep - value) < 1e-6
    assert Fraction(indep) >= bounds[0] - Fraction(1, 10**9)


def test_small_budget_gives_a_valid_enclosure():
    net = _net()
    c = s3.certified_min_sharpness_depth3(net, max_boxes=40)
    assert c.lower <= Fraction(c.value) <= c.upper and c.boxes <= 40
    assert not c.reached_goal and "branch and bound" in c.method
    assert c.to_dict()["width"] == pytest.approx(float(c.upper - c.lower))


def test_refuses_other_networks():
    with pytest.raises(InvalidParameterError, match="depth 3 and equal widths"):
        s3.certified_min_sharpness_depth3(
            LinearNetwork.from_covariances((2, 3, 3, 2), Sxx=SXX, Syx=W)
        )
