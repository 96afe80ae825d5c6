r"""Getting onto the set of critical points: minimum-norm Newton and Gauss–Newton projections.

The minima of a linear network form a manifold M (docs/math/claims.md#c2), not isolated points, so
plain
Newton is ill-posed (the Hessian is singular along M).  Two batched methods converge to the
manifold instead:

* :func:`project_to_minima` (linear networks): Gauss–Newton on the residual
  :math:`r(\theta) = \operatorname{vec}(W(\theta) - W^*)` with the minimum-norm step
  :math:`\delta = -J^+ r`.  Near M, :math:`J` has full row rank and the iteration converges
  quadratically to a point of M close to the start (not to saddles).
* :func:`minimum_norm_newton` (any model with a Hessian): :math:`\delta = -H^+ \nabla L`, with the
  pseudo-inverse truncated at a relative eigenvalue tolerance; converges quadratically to a
  nearby critical point of a Morse–Bott function (saddles included).

Both work on float64 batches; :func:`project_to_minima_mp` is the mpmath version used for
high-precision points (residual below :math:`10^{-45}` at 50 digits).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ...errors import InvalidParameterError
from ...models import LinearNetwork
from ..kernels import NumericModel, numeric_model

__all__ = [
    "minimum_norm_newton",
    "project_to_minima",
    "project_to_minima_mp",
]


def project_to_minima(
    net: LinearNetwork, theta: NDArray[Any], *, tol: float = 1e-14, max_iter: int = 50
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Batched Gauss–Newton projection onto M = {W(θ) = W*}.

    Parameters
    ----------
    net : LinearNetwork
        Must satisfy :meth:`LinearNetwork.require_manifold`.
    theta : ndarray, shape (batch, P) or (P,)
        Starting points (should be near M; far points may land anywhere on M or fail).
    tol : float
        Stop when :math:`\lVert W(\theta) - W^*\rVert_F \le tol \cdot \max(1, \lVert W^*\rVert_F)`.
    max_iter : int
        Iteration cap.

    Returns
    -------
    points : ndarray, same shape as theta
        The projected points.
    residual : ndarray, shape (batch,) or ()
        :math:`\lVert W(\theta) - W^*\rVert_F` at the returned points (inf where the iteration
        blew up).
    """
    net.require_minima()
    k = numeric_model(net)
    th = np.array(theta, dtype=np.float64, copy=True)
    single = th.ndim == 1
    if single:
        th = th[None, :]
    Ws = net.W_star
    scale = max(1.0, float(np.linalg.norm(Ws)))
    res = np.full(th.shape[0], np.inf)
    active = np.ones(th.shape[0], dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(max_iter + 1):
            idx = np.flatnonzero(active)
            if idx.size == 0:
                break
            W = k.product(th[idx])  # type: ignore[attr-defined]
            r = (W - Ws).reshape(idx.size, -1)
            nr = np.linalg.norm(r, axis=1)
            res[idx] = nr
            done = (nr <= tol * scale) | ~np.isfinite(nr)
            active[idx[done]] = False
            idx = idx[~done]
            if idx.size == 0:
                break
            J = k.jacobian_of_product(th[idx])  # type: ignore[attr-defined]
            rr = r[~done]
            # minimum-norm step: delta = -J^T (J J^T)^{-1} r  (J has full row rank near M)
            JJt = J @ np.swapaxes(J, 1, 2)
            try:
                y = np.linalg.solve(JJt, rr[..., None])[..., 0]
            except np.linalg.LinAlgError:
                y = np.einsum("bij,bj->bi", np.linalg.pinv(JJt), rr)
            th[idx] -= np.einsum("bji,bj->bi", J, y)
    res[~np.isfinite(res)] = np.inf
    return (th[0], res[0]) if single else (th, res)


def project_to_minima_mp(
    net: LinearNetwork, theta: Any, *, dps: int = 50, tol: Any = None, max_iter: int = 60
) -> tuple[list[Any], Any]:
    r"""High-precision Gauss–Newton projection of one point onto M (mpmath).

    Returns the point as a list of ``mpmath.mpf`` (valid at ``dps`` digits) and the residual
    :math:`\lVert W(\theta) - W^*\rVert_F`.  The default tolerance is :math:`10^{-(dps-3)}`.
    """
    import mpmath

    net.require_minima()
    if not isinstance(dps, int) or dps < 15:
        raise InvalidParameterError(f"dps must be an int >= 15; got {dps!r}")
    k = numeric_model(net, precision=dps)
    with mpmath.workdps(dps):
        eps = mpmath.mpf(10) ** (-(dps - 3)) if tol is None else mpmath.mpf(tol)
        th = np.array([mpmath.mpf(x) for x in np.asarray(theta).ravel()], dtype=object)
        Sxx = mpmath.matrix(
            [[mpmath.mpf(x.numerator) / x.denominator for x in r] for r in net.Sxx_exact]
        )
        Syx = mpmath.matrix(
            [[mpmath.mpf(x.numerator) / x.denominator for x in r] for r in net.Syx_exact]
        )
        Ws = Syx * mpmath.inverse(Sxx)
        Ws_arr = np.array(Ws.tolist(), dtype=object)
        nr = mpmath.inf
        for _ in range(max_iter):
            W = k.product(th)  # type: ignore[attr-defined]
            r = (W - Ws_arr).ravel()
            nr = mpmath.sqrt(mpmath.fsum(x * x for x in r))
            if nr <= eps:
                break
            J = mpmath.matrix(k.jacobian_of_product(th).tolist())  # type: ignore[attr-defined]
            y = mpmath.lu_solve(J * J.T, mpmath.matrix(list(r)))
            step = J.T * y
            th = th - np.array([step[i] for i in range(len(th))], dtype=object)
        return list(th), nr


def minimum_norm_newton(
    model: Any,
    theta: NDArray[Any],
    *,
    tol: float = 1e-12,
    max_iter: int = 50,
    rank_rtol: float = 1e-9,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Batched minimum-norm Newton iteration :math:`\theta \leftarrow \theta - H^+ \nabla L`.

    Converges to a nearby critical point (minimum or saddle) of a Morse–Bott loss.  Eigenvalues
    of H below ``rank_rtol * max|λ|`` are treated as zero.

    Returns the points and the final gradient norms (inf where the iteration blew up).
    """
    m: NumericModel = numeric_model(model)
    th = np.array(theta, dtype=np.float64, copy=True)
    single = th.ndim == 1
    if single:
        th = th[None, :]
    th, gn = pinv_newton(m, th, tol=tol, max_iter=max_iter, rank_rtol=rank_rtol)
    return (th[0], gn[0]) if single else (th, gn)


def pinv_newton(
    m: NumericModel,
    th: NDArray[np.float64],
    *,
    tol: float,
    max_iter: int,
    rank_rtol: float,
    step_cap: float | None = None,
    symmetrize: bool = False,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""The batched iteration :math:`\theta \leftarrow \theta - H^+ \nabla L` on ``th`` (B, P),
    in place on a copy: a run stops when :math:`\lVert\nabla L\rVert \le` ``tol`` or its
    gradient or Hessian is not finite (gradient norm inf); eigenvalues below ``rank_rtol``
    times the largest modulus count as zero.  ``step_cap`` bounds the length of every step
    (wild first steps from far away); ``symmetrize`` averages H with its transpose first."""
    th = th.copy()
    gn = np.full(th.shape[0], np.inf)
    active = np.ones(th.shape[0], dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(max_iter + 1):
            idx = np.flatnonzero(active)
            if idx.size == 0:
                break
            g = m.gradient(th[idx])
            n = np.linalg.norm(g, axis=1)
            gn[idx] = n
            done = (n <= tol) | ~np.isfinite(n)
            active[idx[done]] = False
            idx, g = idx[~done], g[~done]
            if idx.size == 0:
                break
            H = m.hessian(th[idx])
            if symmetrize:
                H = 0.5 * (H + np.swapaxes(H, 1, 2))
            bad = ~np.all(np.isfinite(H), axis=(1, 2))
            if bad.any():
                active[idx[bad]] = False
                gn[idx[bad]] = np.inf
                idx, g, H = idx[~bad], g[~bad], H[~bad]
                if idx.size == 0:
                    break
            lam, V = np.linalg.eigh(H)
            cut = rank_rtol * np.max(np.abs(lam), axis=1, keepdims=True)
            inv = np.where(np.abs(lam) > cut, 1.0 / np.where(lam == 0, 1.0, lam), 0.0)
            step = np.einsum("bij,bj->bi", V, np.einsum("bji,bj->bi", V, g) * inv)
            if step_cap is not None:
                sn = np.linalg.norm(step, axis=1, keepdims=True)
                step = step * np.minimum(1.0, step_cap / np.maximum(sn, 1e-300))
            th[idx] -= step
    gn[~np.isfinite(gn)] = np.inf
    return th, gn
