"""stability_analysis with a rank-deficient W*: nothing refused, the minima set named as a
variety with its singular points, S_min certified at depth 2 (SDP) and depth 3 (product-vector
bound), and both S_min agreeing with an independent minimisation of lambda_max(H) over M.

The independent minimisation is written here without the toolkit: the product W(theta), its
Jacobian J (d vec W / d W_i = A_i (.) B_i, row-major) and the Hessian on M,
H = J^T (I (x) Sxx) J (the residual vanishes on M), all by hand; SciPy's SLSQP minimises t
subject to t >= the top eigenvalues of H and W(theta) = W* from random starts projected onto M
by least squares.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from scipy.optimize import least_squares, minimize

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError

SXX = np.array([[2.0, 0.3], [0.3, 1.0]])
W_RANK1 = np.diag([1.0, 0.0])
HEDGE = "not certified (numerical S_min, not certified)"


def _net(widths: tuple[int, ...], W: np.ndarray = W_RANK1) -> dg.LinearNetwork:
    return dg.LinearNetwork.from_covariances(widths, Sxx=SXX, Syx=W @ SXX)


def _layers(theta: np.ndarray, widths: tuple[int, ...]) -> list[np.ndarray]:
    out, o = [], 0
    for a, b in itertools.pairwise(widths):
        out.append(theta[o : o + a * b].reshape(b, a))
        o += a * b
    return out


def _product(theta: np.ndarray, widths: tuple[int, ...]) -> np.ndarray:
    W = np.eye(widths[0])
    for L in _layers(theta, widths):
        W = L @ W
    return W


def _jacobian(theta: np.ndarray, widths: tuple[int, ...]) -> np.ndarray:
    Ls = _layers(theta, widths)
    cols = []
    for i in range(len(Ls)):
        A = np.eye(widths[-1])
        for L in Ls[i + 1 :][::-1]:
            A = A @ L
        B = np.eye(widths[0])
        for L in Ls[:i]:
            B = L @ B
        for a in range(Ls[i].shape[0]):
            for b in range(Ls[i].shape[1]):
                cols.append(np.outer(A[:, a], B[b, :]).ravel())
    return np.array(cols).T


def _top(theta: np.ndarray, widths: tuple[int, ...], k: int = 3) -> np.ndarray:
    J = _jacobian(theta, widths)
    return np.linalg.eigvalsh(J.T @ np.kron(np.eye(widths[-1]), SXX) @ J)[-k:]


def _onto_m(th: np.ndarray, widths: tuple[int, ...], W: np.ndarray) -> np.ndarray:
    """A nearby point of M (least squares on W(theta) - W*, tight tolerances)."""
    res = least_squares(
        lambda t: (_product(t, widths) - W).ravel(), th, xtol=1e-15, ftol=1e-15, gtol=1e-15
    )
    return np.asarray(res.x)


def _independent_smin(widths: tuple[int, ...], W: np.ndarray, starts: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    P = sum(a * b for a, b in itertools.pairwise(widths))
    best = np.inf
    for _ in range(starts):
        th = _onto_m(rng.normal(size=P), widths, W)
        res = minimize(
            lambda x: x[-1],
            np.append(th, _top(th, widths)[-1]),
            method="SLSQP",
            constraints=[
                {"type": "ineq", "fun": lambda x: x[-1] - _top(x[:-1], widths)},
                {"type": "eq", "fun": lambda x: (_product(x[:-1], widths) - W).ravel()},
            ],
            options={"ftol": 1e-15, "maxiter": 500},
        )
        th = _onto_m(res.x[:-1], widths, W)
        if np.max(np.abs(_product(th, widths) - W)) < 1e-14:
            best = min(best, float(_top(th, widths)[-1]))
    return best


def test_hand_written_hessian_is_the_models_on_m() -> None:
    widths = (2, 2, 2, 2)
    th = _onto_m(np.random.default_rng(0).normal(size=12), widths, W_RANK1)
    J = _jacobian(th, widths)
    H = J.T @ np.kron(np.eye(2), SXX) @ J
    np.testing.assert_allclose(H, _net(widths).hessian(th), atol=1e-10)


@pytest.mark.parametrize(
    ("widths", "kind", "starts"), [((2, 2, 2), "certified", 3), ((2, 2, 2, 2), "certified", 4)]
)
def test_rank_deficient_report_agrees_with_an_independent_minimisation(
    widths: tuple[int, ...], kind: str, starts: int
) -> None:
    net = _net(widths)
    eta = dg.critical_lr(net)
    rep = dg.stability_analysis(net, 1.1 * eta, n_samples=100, seed=0)
    ref = _independent_smin(widths, W_RANK1, starts, seed=1)
    # seen: depth 2 4.05813062163471 both ways (rel 1.5e-15); depth 3 6.0527759478085 (1.6e-15)
    assert rep.min_sharpness == pytest.approx(ref, rel=1e-9)
    d = json.loads(json.dumps(rep.to_dict()))
    assert d["smin_kind"] == kind
    assert rep.verdict is dg.LRVerdict.ABOVE and rep.convergence.counts["converged"] == 0
    if kind == "certified":  # the certified lower bound is below a point of M found here
        lo, _hi = rep.flattest.bounds
        assert float(lo) <= ref * (1 + 1e-12) and d["verdict_status"] == "passed"
        assert not rep.prediction.startswith("not certified")
    else:
        assert d["verdict_status"] == "not certified" and rep.prediction.startswith(HEDGE)
    v = d["minima_variety"]
    assert v["rank_w_star"] == 1 and not v["is_manifold"]
    assert v["points"][0]["label"] == "balanced minimum" and v["points"][0]["singular"]
    assert "not the manifold of C2 (rank W* = 1 < min(d_0, d_N) = 2)" in rep.summary()
    assert "stratum of M through the flattest minimum" in rep.minima_distribution
    # the sampled minima lie on M and none is flatter than S_min
    assert rep.minima_sharpness.min() >= rep.min_sharpness * (1 - 1e-9)
    assert [s.label for s in rep.saddles] == ["origin"]
    assert rep.saddles[0].gradient_norm == 0.0


def test_rank_deficient_below_eta_star_has_stable_minima() -> None:
    net = _net((2, 2, 2))
    rep = dg.stability_analysis(net, 0.9 * dg.critical_lr(net), n_samples=0)
    assert rep.verdict is dg.LRVerdict.BELOW and rep.to_dict()["verdict_status"] == "passed"
    assert rep.flattest_spectrum.sharpness == pytest.approx(rep.min_sharpness, rel=1e-12)
    assert rep.stable_fraction > 0


def test_rank_deficient_under_heavy_ball() -> None:
    net = _net((2, 2, 2))
    gd = dg.critical_lr(net)
    rep = dg.stability_analysis(net, 1.4 * gd, optimizer=dg.HeavyBall(0.5), n_samples=0)
    assert rep.critical_lr == pytest.approx(1.5 * gd, rel=1e-12)  # (2 + 2 beta) / S_min
    assert rep.verdict is dg.LRVerdict.BELOW and rep.variety is not None


def test_rank_deficient_depth_one_and_refusals() -> None:
    one = dg.stability_analysis(_net((2, 2)), 0.5, n_samples=0)  # M = {W*}: a point
    assert one.variety is None and one.min_sharpness == pytest.approx(
        np.linalg.eigvalsh(SXX)[-1], rel=1e-14
    )
    with pytest.raises(InvalidParameterError, match="W\\* must be non-zero"):
        dg.stability_analysis(_net((2, 2, 2), np.zeros((2, 2))), 0.5, n_samples=0)
    with pytest.raises(InvalidParameterError, match="hidden widths must be >= rank W\\* = 2"):
        dg.stability_analysis(_net((2, 1, 2), np.eye(2)), 0.5, n_samples=0)
