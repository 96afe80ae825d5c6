"""S_min over the minima set when W* is rank-deficient (a singular variety, not a manifold):
certified at depth 2, numerical at depth 3, both against an independent constrained minimisation
of lambda_max(H) over M written here (SLSQP on all parameters with W(theta) = W* as an equality
constraint); and the singular points of M reported."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

import dynsys_gd as dg

SXX = np.array([[2.0, 0.5], [0.5, 1.0]])
W_RANK1 = np.diag([1.0, 0.0])


def _net(widths, Sxx, W):
    return dg.LinearNetwork.from_covariances(widths, Sxx=Sxx, Syx=W @ Sxx)


def _product(layers):
    out = layers[0]
    for L in layers[1:]:
        out = L @ out
    return out


def _independent_smin(net, W, starts=4, seed=1):
    """min lambda_max(H) s.t. W_N...W_1 = W*, over all parameters, from random starts; the
    Hessian is the toolkit's closed form (checked elsewhere against sympy), the minimiser is
    SciPy's only."""
    rng = np.random.default_rng(seed)
    P = net.n_params

    def lam(th):
        H = net.hessian(th)
        return np.linalg.eigvalsh(0.5 * (H + H.T))[-3:]

    def eq(x):
        return (_product(net.unflatten(x[:-1])) - W).ravel()

    best = np.inf
    for _ in range(starts):
        th0 = rng.normal(size=P)
        # start on M: the last layer by least squares (first layer G W* when too narrow)
        layers = net.unflatten(th0)
        if net.widths[1] < net.widths[0]:
            layers[0] = rng.normal(size=(net.widths[1], W.shape[0])) @ W
        B = _product(layers[:-1])
        layers[-1] = W @ np.linalg.pinv(B)
        th0 = net.flatten(layers)
        x0 = np.append(th0, lam(th0)[-1])
        res = minimize(
            lambda x: x[-1],
            x0,
            method="SLSQP",
            constraints=[
                {"type": "ineq", "fun": lambda x: x[-1] - lam(x[:-1])},
                {"type": "eq", "fun": eq},
            ],
            options={"ftol": 1e-12, "maxiter": 500},
        )
        if np.linalg.norm(eq(res.x)) < 1e-7:
            best = min(best, float(lam(res.x[:-1])[-1]))
    return best


def test_depth2_whitened_rank_deficient_is_the_closed_form():
    net = _net((2, 2, 2), np.eye(2), W_RANK1)
    fm = dg.flattest_minimum(net)
    assert fm.sharpness == pytest.approx(2.0, rel=1e-12)  # N sigma_1^(2 - 2/N)
    assert _independent_smin(net, W_RANK1) == pytest.approx(2.0, rel=1e-6)


def _narrow_smin(net):
    """(2, 1, 2) with W* = diag(1, 0): M = {W_1 = (a, 0), W_2 = (1/a, 0)^T}, a curve; minimise
    lambda_max(H) over a by a grid and a bounded scalar search."""
    from scipy.optimize import minimize_scalar

    def f(log_a):
        a = np.exp(log_a)
        H = net.hessian(np.array([a, 0.0, 1.0 / a, 0.0]))
        return float(np.linalg.eigvalsh(0.5 * (H + H.T))[-1])

    grid = np.linspace(-3, 3, 601)
    k = int(np.argmin([f(g) for g in grid]))
    res = minimize_scalar(
        f, bounds=(grid[k] - 0.01, grid[k] + 0.01), method="bounded", options={"xatol": 1e-12}
    )
    return float(res.fun)


def test_rank_one_target_with_whitened_data_is_accepted():
    """W* = [[1, 2], [2, 4]] (rank 1, sigma_1 = 5) used to be refused; S_min = 2 * 5."""
    net = dg.LinearNetwork.from_covariances((2, 2, 2), Sxx=np.eye(2), Syx=[[1.0, 2.0], [2.0, 4.0]])
    assert dg.min_sharpness(net) == pytest.approx(10.0, rel=1e-12)
    assert dg.critical_lr(net) == pytest.approx(0.2, rel=1e-12)


@pytest.mark.parametrize("widths", [(2, 2, 2), (2, 1, 2)])
def test_depth2_general_sxx_rank_deficient_is_certified(widths):
    net = _net(widths, SXX, W_RANK1)
    fm = dg.flattest_minimum(net)
    assert fm.method == "certified SDP (depth 2)"
    lo, hi = fm.bounds
    assert float(hi - lo) / float(hi) < 1e-9
    ref = _narrow_smin(net) if widths[1] == 1 else _independent_smin(net, W_RANK1)
    assert float(lo) <= ref * (1 + 1e-7)  # the certified lower bound is below a point of M
    assert ref == pytest.approx(fm.sharpness, rel=1e-6)
    assert dg.critical_lr(net) == pytest.approx(2.0 / ref, rel=1e-6)


def test_depth3_general_sxx_rank_deficient_is_certified():
    net = _net((2, 2, 2, 2), SXX, W_RANK1)
    fm = dg.flattest_minimum(net)
    assert fm.method == "certified product-vector bound (depth >= 3)" and fm.certified
    lo, hi = fm.bounds
    assert float(hi - lo) / float(hi) < 1e-9
    assert float(lo) <= fm.sharpness <= float(hi)
    blo, bhi = fm.bracket
    assert blo <= fm.sharpness <= bhi
    ref = _independent_smin(net, W_RANK1)
    assert fm.sharpness == pytest.approx(ref, rel=1e-6)
    # the returned point lies on M and has that sharpness
    assert np.allclose(_product(net.unflatten(fm.point)), W_RANK1, atol=1e-12)
    H = net.hessian(fm.point)
    assert np.linalg.eigvalsh(H)[-1] == pytest.approx(fm.sharpness, rel=1e-9)


def test_singular_points_of_the_minima_variety():
    net = _net((2, 2, 2), np.eye(2), W_RANK1)
    v = dg.minima_variety(net)
    assert not v.is_manifold and v.rank_w_star == 1
    assert v.generic_rank == 4 and v.dimension == net.n_params - 4
    balanced, flattest = v.points
    # balanced: W_1 = W_2 = diag(1, 0); J has co-rank (2 - 1)(2 - 1) = 1 there
    assert balanced.layer_ranks == (1, 1) and balanced.jacobian_rank == 3
    assert balanced.singular and balanced.structural
    assert flattest.singular  # with whitened data the flattest minimum is a singular point
    assert "rank W_1 < d_0 and rank W_2 < d_N" in v.summary()
    fm = dg.flattest_minimum(net)
    assert (fm.target_rank, fm.jacobian_rank, fm.singular_point) == (1, 3, True)
    assert "singular variety (rank W* = 1)" in fm.summary()
    assert fm.to_dict()["singular_point"] is True
    # with a general Sxx the flattest minimum is a smooth point (W_1 of rank 2)
    fm2 = dg.flattest_minimum(_net((2, 2, 2), SXX, W_RANK1))
    assert fm2.singular_point is False and fm2.jacobian_rank == 4
    # a point of M with W_1 = I is smooth
    smooth = net.flatten([np.eye(2), W_RANK1])
    from dynsys_gd.numeric.landscape.variety import jacobian_rank

    assert jacobian_rank(net, smooth) == 4


def test_narrow_hidden_layer_generic_rank_is_measured():
    """(3, 2, 3), W* of rank 1: J never has full rank 9 on M.  The co-rank of J is
    (3 - rank W_2)(3 - rank W_1), and rank 1 = rank W_2 W_1 >= rank W_1 + rank W_2 - 2
    (Sylvester) forces one layer to rank 1: the largest rank on M is 9 - 2 * 1 = 7."""
    net = _net((3, 2, 3), np.eye(3), np.diag([1.0, 0.0, 0.0]))
    v = dg.minima_variety(net, samples=4)
    assert v.generic_rank == 7 and v.dimension == net.n_params - 7
    assert v.points[0].layer_ranks == (1, 1) and v.points[0].jacobian_rank == 9 - 2 * 2
    assert v.points[0].singular and "J never has full rank 9" in v.singular_locus


def test_full_rank_target_is_a_manifold():
    net = _net((2, 3, 2), SXX, np.array([[1.5, 0.3], [-0.2, 0.7]]))
    v = dg.minima_variety(net, samples=2)
    assert v.is_manifold and not any(p.singular for p in v.points)
    assert v.to_dict()["singular_locus"].startswith("none")


@pytest.mark.parametrize("depth", [2, 3])
def test_zero_target_has_zero_smin(depth):
    """W* = 0: theta = 0 is a minimum with J = 0, so H(0) = 0, S_min = 0 and eta* = inf (no
    step size makes every minimum unstable); depth 1 keeps S_min = lambda_max(Sxx)."""
    net = _net((2,) * (depth + 1), SXX, np.zeros((2, 2)))
    fm = dg.flattest_minimum(net)
    assert fm.sharpness == 0.0 and np.all(fm.point == 0.0)
    assert np.abs(net.hessian(fm.point)).max() == 0.0
    assert dg.critical_lr(net) == float("inf") and fm.singular_point
    scalar = dg.LinearNetwork.scalar(depth, 0.0)
    assert dg.min_sharpness(scalar) == 0.0
    flat1 = dg.min_sharpness(_net((2, 2), SXX, np.zeros((2, 2))))
    assert flat1 == pytest.approx(np.linalg.eigvalsh(SXX)[-1], rel=1e-15)


def test_basin_plane_through_a_rank_deficient_flattest_minimum():
    from dynsys_gd.analysis.basins import default_plane

    net = _net((2, 2, 2), np.eye(2), W_RANK1)
    c, u, _v = default_plane(net)
    assert np.allclose(_product(net.unflatten(c)), W_RANK1, atol=1e-12)
    from dynsys_gd.numeric.kernels import numeric_model

    J = numeric_model(net).jacobian_of_product(c[None])[0]
    assert np.linalg.norm(J @ u) < 1e-12  # u is tangent to the fibre {W(theta) = W*}


def test_large_networks_search_the_orbit_only_and_say_so(monkeypatch):
    from dynsys_gd.numeric.landscape import sharpness, smin_variety

    monkeypatch.setattr(smin_variety, "MAX_PARAMS", 5)
    monkeypatch.setattr(sharpness, "DEEP_CERTIFY_MAX_OUTER", 0)  # the numerical route alone
    net = _net((2, 2, 2, 2), SXX, W_RANK1)
    fm = dg.flattest_minimum(net)
    assert "symmetry orbit of the balanced minimum only" in fm.method
    assert "more than 5 parameters" in fm.method
