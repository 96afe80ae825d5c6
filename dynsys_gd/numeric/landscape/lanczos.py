r"""Sharpness (top Hessian eigenvalues) from Hessian-vector products by Lanczos.

The sharpness :math:`\lambda_{\max}(H(\theta))` decides linear stability of a minimum under GD:
:math:`DG_\eta = I - \eta H` has an eigenvalue :math:`1 - \eta\lambda` of modulus > 1 exactly when
:math:`\lambda > 2/\eta` (docs/math/gd-map.md).  docs/math/claims.md#c8: every run that converges
ends at a minimum
with :math:`\lambda_{\max}(H) \le 2/\eta`; §5: the transition of non-linear networks is compared
with :math:`2/\lambda_{\max}` of the flattest minimum found.

Two routines, both needing only ``model.hvp`` (any
:class:`~dynsys_gd.numeric.kernels.NumericModel`):

* :func:`lanczos_sharpness` — one point, implicitly restarted Lanczos
  (``scipy.sparse.linalg.eigsh`` on a ``LinearOperator``), to near machine precision.
* :func:`batched_sharpness` — many points at once: ``m`` Lanczos steps with full
  reorthogonalisation run in lock-step over the batch (one batched HVP per step, no Python loop
  over points), returning the top Ritz values and the residual bound
  :math:`|\beta_m s_{m,j}|` of each (Kaniel–Paige: it bounds the distance of the Ritz value to
  the spectrum).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._validation import check_int, check_positive_float, check_real_array, check_seed
from ...errors import ConvergenceError, InvalidParameterError

__all__ = ["batched_sharpness", "lanczos_sharpness"]

Array = NDArray[np.float64]


def _point(model: Any, theta: Any) -> Array:
    P = getattr(model, "n_params", None)
    if not isinstance(P, int) or not hasattr(model, "hvp"):
        raise InvalidParameterError(
            f"model must provide n_params and hvp (a NumericModel); got {type(model).__name__}"
        )
    th = check_real_array("theta", theta, finite=False)
    if th.shape != (P,):
        raise InvalidParameterError(f"theta must have shape ({P},); got shape {th.shape}")
    if not np.all(np.isfinite(th)):
        raise InvalidParameterError("theta must be finite (no NaN or inf)")
    return th


def lanczos_sharpness(
    model: Any,
    theta: Any,
    *,
    k: int = 1,
    tol: float = 1e-12,
    maxiter: int | None = None,
    seed: int | None = 0,
) -> Array:
    r"""Top ``k`` eigenvalues of :math:`H(\theta)` (largest algebraic first) by Lanczos on HVPs.

    Parameters
    ----------
    model : NumericModel
        Anything with ``n_params`` and a batched ``hvp(theta, v)``.
    theta : array_like, shape (P,)
        One parameter vector.
    k : int
        Number of eigenvalues (1 ≤ k ≤ P).
    tol : float
        Relative accuracy passed to ``eigsh`` (> 0).
    maxiter : int or None
        Maximum number of Arnoldi update iterations (``eigsh`` default when None).
    seed : int or None
        Seed of the starting vector (deterministic by default).

    Returns
    -------
    ndarray, shape (k,)
        :math:`\lambda_1 \ge \dots \ge \lambda_k`; ``[0]`` is the sharpness
        :math:`\lambda_{\max}(H)`.

    Raises
    ------
    ConvergenceError
        If ``eigsh`` does not converge.

    Notes
    -----
    When ``k ≥ P − 1`` ARPACK cannot be used; the spectrum is then computed from the dense
    matrix built column by column from HVPs (tiny P only).
    """
    th = _point(model, theta)
    P = model.n_params
    k = check_int("k", k, minimum=1, maximum=P)
    tol = check_positive_float("tol", tol)
    seed = check_seed("seed", seed)
    if maxiter is not None:
        maxiter = check_int("maxiter", maxiter, minimum=1)
    if k >= P - 1:
        H = np.asarray(model.hvp(np.broadcast_to(th, (P, P)), np.eye(P)), dtype=np.float64)
        ev = np.linalg.eigvalsh(0.5 * (H + H.T))
        return np.asarray(ev[::-1][:k])
    from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh

    def matvec(v: Array) -> Array:
        return np.asarray(
            model.hvp(th[None, :], np.asarray(v, dtype=np.float64).reshape(1, P))[0],
            dtype=np.float64,
        )

    op = LinearOperator((P, P), matvec=matvec, dtype=np.float64)
    v0 = np.random.default_rng(seed).standard_normal(P)
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            vals = eigsh(
                op, k=k, which="LA", tol=tol, v0=v0, maxiter=maxiter, return_eigenvectors=False
            )
    except ArpackNoConvergence as exc:
        raise ConvergenceError(f"Lanczos (eigsh) did not converge for k={k}, tol={tol}") from exc
    return np.sort(np.asarray(vals, dtype=np.float64))[::-1]


def batched_sharpness(
    model: Any,
    theta: Any,
    *,
    k: int = 1,
    n_iter: int | None = None,
    seed: int | None = 0,
    return_residuals: bool = False,
) -> Array | tuple[Array, Array]:
    r"""Top ``k`` Hessian eigenvalues at many points by lock-step Lanczos, shape (B, k).

    Runs ``m = n_iter`` (default ``min(P, 40)``) Lanczos steps with full reorthogonalisation on
    every point of the batch simultaneously: with :math:`Q_j` the Krylov basis and :math:`T_m`
    the tridiagonal matrix, the Ritz values (eigenvalues of :math:`T_m`) approach the extreme
    eigenvalues of :math:`H` from inside the spectrum, and each top Ritz value
    :math:`\theta_j` with Ritz vector coefficient :math:`s_{m,j}` satisfies
    :math:`\min_i|\lambda_i - \theta_j| \le |\beta_m s_{m,j}|`.  With ``m = P`` the result is
    exact up to rounding.

    Parameters
    ----------
    model : NumericModel
        Anything with ``n_params`` and a batched ``hvp``.
    theta : array_like, shape (B, P)
        Points (finite).
    k : int
        Number of eigenvalues per point.
    n_iter : int or None
        Lanczos steps (k ≤ n_iter ≤ P).
    seed : int or None
        Seed of the starting vectors.
    return_residuals : bool
        Also return the residual bounds, shape (B, k).
    """
    P = getattr(model, "n_params", None)
    if not isinstance(P, int) or not hasattr(model, "hvp"):
        raise InvalidParameterError(
            f"model must provide n_params and hvp (a NumericModel); got {type(model).__name__}"
        )
    th = np.asarray(theta, dtype=np.float64)
    if th.ndim != 2 or th.shape[1] != P or th.shape[0] == 0:
        raise InvalidParameterError(
            f"theta must have shape (batch, {P}) with batch >= 1; got shape {th.shape}"
        )
    if not np.all(np.isfinite(th)):
        raise InvalidParameterError("theta must be finite (no NaN or inf)")
    k = check_int("k", k, minimum=1, maximum=P)
    m = min(P, 40) if n_iter is None else check_int("n_iter", n_iter, minimum=1, maximum=P)
    if m < k:
        m = k
    seed = check_seed("seed", seed)
    B = th.shape[0]
    q = np.random.default_rng(seed).standard_normal((B, P))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    Q = np.zeros((B, m, P))
    alpha = np.zeros((B, m))
    beta = np.zeros((B, m))
    active = np.ones(B, dtype=bool)  # breakdown (invariant subspace found) freezes a point
    steps = np.full(B, m)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for j in range(m):
            Q[:, j] = q
            w = np.asarray(model.hvp(th, q), dtype=np.float64)
            alpha[:, j] = np.einsum("bp,bp->b", w, q)
            # full reorthogonalisation (twice is enough)
            for _ in range(2):
                w = w - np.einsum(
                    "bj,bjp->bp", np.einsum("bjp,bp->bj", Q[:, : j + 1], w), Q[:, : j + 1]
                )
            nb = np.linalg.norm(w, axis=1)
            beta[:, j] = nb
            if j == m - 1:
                break
            scale = np.maximum(np.abs(alpha[:, : j + 1]).max(axis=1), 1e-300)
            broke = active & (nb <= 1e-12 * scale)
            steps[broke] = j + 1
            active &= ~broke
            q = np.where(active[:, None], w / np.where(nb > 0, nb, 1.0)[:, None], 0.0)
    vals = np.empty((B, k))
    res = np.empty((B, k))
    for b in range(B):  # tiny m×m eigenproblems
        s = int(steps[b])
        T = np.diag(alpha[b, :s]) + np.diag(beta[b, : s - 1], 1) + np.diag(beta[b, : s - 1], -1)
        ev, S = np.linalg.eigh(T)
        order = np.argsort(ev)[::-1]
        kk = min(k, s)
        vals[b, :kk] = ev[order[:kk]]
        res[b, :kk] = np.abs(beta[b, s - 1] * S[-1, order[:kk]]) if s == m else 0.0
        if kk < k:  # invariant subspace smaller than k: remaining eigenvalues are not known
            vals[b, kk:] = np.nan
            res[b, kk:] = np.inf
    if return_residuals:
        return vals, res
    return vals
