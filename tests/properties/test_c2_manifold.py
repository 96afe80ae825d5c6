r"""Hypothesis test of C2 (docs/math/claims.md#c2): M = {W(θ) = W*} is a smooth embedded submanifold of
dimension P − d_N d_0 (W* of full rank, hidden widths ≥ min(d_0, d_N)).

At random points of M the Jacobian J = ∂vec W/∂θ has full row rank d_N d_0 (a regular value:
M is a submanifold of dimension P − d_N d_0), and a step ε v along ker J leaves M only to second
order (‖W(θ + εv) − W*‖ = O(ε²)), i.e. ker J is the tangent space.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import dynsys_gd as dg
from dynsys_gd.numeric.kernels import numeric_model
from dynsys_gd.numeric.landscape.fixed_points import random_minima


def _network(widths: tuple[int, ...], seed: int) -> dg.LinearNetwork:
    rng = np.random.default_rng(seed)
    d0, dN = widths[0], widths[-1]
    A = rng.normal(size=(d0, d0))
    Sxx = A @ A.T / d0 + 0.5 * np.eye(d0)
    U, _ = np.linalg.qr(rng.normal(size=(dN, dN)))
    V, _ = np.linalg.qr(rng.normal(size=(d0, d0)))
    k = min(d0, dN)
    S = np.zeros((dN, d0))
    S[np.arange(k), np.arange(k)] = rng.uniform(0.4, 2.0, size=k)
    return dg.LinearNetwork.from_covariances(widths, Sxx=Sxx, Syx=U @ S @ V.T @ Sxx)


widths_st = st.integers(1, 3).flatmap(
    lambda d0: st.integers(1, 3).flatmap(
        lambda dN: st.lists(st.integers(min(d0, dN), 4), min_size=1, max_size=3).map(
            lambda hidden: (d0, *hidden, dN)
        )
    )
)


@given(widths=widths_st, seed=st.integers(0, 2**16))
def test_c2_minima_form_a_manifold_of_dimension_p_minus_dn_d0(widths, seed):
    """C2: at random points of M, rank J = d_N d_0 (full row rank, with a clear singular-value
    gap) and ker J (dimension P − d_N d_0) is tangent to M: moving ε along it changes W by
    O(ε²) while a normal step changes it by O(ε)."""
    net = _network(widths, seed)
    d0, dN = widths[0], widths[-1]
    m = numeric_model(net)
    pts = random_minima(net, 4, seed=seed, spread=0.4, log_scale=0.5)
    W = m.product(pts).reshape(len(pts), -1)
    assert np.allclose(W, net.W_star.ravel()[None], atol=1e-10)
    J = m.jacobian_of_product(pts)
    rng = np.random.default_rng(seed)
    for b in range(len(pts)):
        s = np.linalg.svd(J[b], compute_uv=False)
        assert s.size == dN * d0 and s[-1] > 1e-6 * s[0]
        _, _, Vt = np.linalg.svd(J[b])
        tangent = Vt[dN * d0 :]  # orthonormal basis of ker J
        assert tangent.shape[0] == net.n_params - dN * d0
        if tangent.shape[0] == 0:
            continue
        v = tangent.T @ rng.normal(size=tangent.shape[0])
        v /= np.linalg.norm(v)
        n = Vt[0]
        for eps in (1e-3, 1e-4):
            along = np.linalg.norm(m.product((pts[b] + eps * v)[None]).ravel() - net.W_star.ravel())
            normal = np.linalg.norm(
                m.product((pts[b] + eps * n)[None]).ravel() - net.W_star.ravel()
            )
            assert along <= 50 * eps**2 * (1 + np.abs(pts[b]).max()) ** net.depth
            assert normal >= 0.5 * eps * s[0]
