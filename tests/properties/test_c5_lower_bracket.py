r"""Hypothesis test of the lower-bracket lemma of C5 (docs/math/claims.md#c5, docs/math/claims.md#c6).

On M, :math:`H = J^\top(I\otimes\Sigma_{xx})J \succeq \lambda_{\min}(\Sigma_{xx})J^\top J`, and the
whitened result for :math:`J^\top J` gives :math:`\lambda_{\max}(J^\top J) \ge N\sigma_1^{2-2/N}`,
so :math:`S_{\min} \ge \lambda_{\min}(\Sigma_{xx})N\sigma_1(W^*)^{2-2/N}` — the bound an
instability check may use (and must call "not certified", not "failed", when it is not enough).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import dynsys_gd as dg
from dynsys_gd.numeric.kernels import numeric_model
from dynsys_gd.numeric.landscape.fixed_points import random_minima


def _network(depth: int, d0: int, dN: int, seed: int) -> dg.LinearNetwork:
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d0, d0))
    Sxx = A @ A.T / d0 + rng.uniform(0.05, 1.0) * np.eye(d0)
    U, _ = np.linalg.qr(rng.normal(size=(dN, dN)))
    V, _ = np.linalg.qr(rng.normal(size=(d0, d0)))
    k = min(d0, dN)
    S = np.zeros((dN, d0))
    S[np.arange(k), np.arange(k)] = rng.uniform(0.3, 2.0, size=k)
    W = U @ S @ V.T
    h = max(d0, dN)
    return dg.LinearNetwork.from_covariances(
        (d0,) + (h,) * (depth - 1) + (dN,), Sxx=Sxx, Syx=W @ Sxx
    )


@given(
    depth=st.integers(2, 4), d0=st.integers(1, 3), dN=st.integers(1, 3), seed=st.integers(0, 2**16)
)
def test_c5_lower_bracket_lemma_at_random_points_of_m(depth, d0, dN, seed):
    """C5 lower bracket: at random points θ of M (random Σxx ≻ 0, random W* of full rank),
    H(θ) − λ_min(Σxx) J(θ)ᵀJ(θ) ⪰ 0, λ_max(J(θ)ᵀJ(θ)) ≥ N σ₁^{2−2/N} and therefore
    λ_max(H(θ)) ≥ λ_min(Σxx) N σ₁^{2−2/N}."""
    net = _network(depth, d0, dN, seed)
    pts = random_minima(net, 6, seed=seed, spread=0.6, log_scale=1.0)
    m = numeric_model(net)
    H = m.hessian(pts)
    J = m.jacobian_of_product(pts)
    JtJ = np.swapaxes(J, 1, 2) @ J
    lmin = float(np.linalg.eigvalsh(net.Sxx)[0])
    s1 = float(np.linalg.svd(net.W_star, compute_uv=False)[0])
    whitened = depth * s1 ** (2 - 2 / depth)
    scale = np.abs(H).max(axis=(1, 2))
    D = H - lmin * JtJ
    gap = np.linalg.eigvalsh(0.5 * (D + np.swapaxes(D, 1, 2)))[:, 0]
    assert np.all(gap >= -1e-9 * scale)
    assert np.all(np.linalg.eigvalsh(JtJ)[:, -1] >= whitened * (1 - 1e-9))
    assert np.all(np.linalg.eigvalsh(H)[:, -1] >= lmin * whitened * (1 - 1e-9))
