r"""The spectrum of :math:`H` at the limits of a linear network in closed form on M, with a
bound on how far the spectrum at the final iterate can lie from it (docs/math/claims.md#c3,
docs/math/convergent-set.md).

A converged run of a linear network ends within a tiny distance of the minima manifold
:math:`M = \{W(\theta) = W^*\}`.  At its projection :math:`\theta^*` onto M (the Gauss–Newton
projection of :func:`~dynsys_gd.numeric.landscape.manifold.project_to_minima`, the critical point
the limit certificate uses), the residual term of :math:`H` vanishes, so

.. math::
    H(\theta^*) = J^\top (I \otimes \Sigma_{xx}) J = \tilde J^\top \tilde J, \qquad
    \tilde J = (I \otimes C^\top) J, \quad \Sigma_{xx} = C C^\top,

with :math:`J` the Jacobian of the row-major :math:`\operatorname{vec} W`.  Its non-zero
eigenvalues (the *normal* spectrum, :math:`d_N d_0` of them, the codimension of M) are those of the
small matrix :math:`G = \tilde J \tilde J^\top`; the other :math:`P - d_N d_0` are 0.

How far :math:`H(\theta)` at the final iterate :math:`\theta` lies from :math:`\tilde J_*^\top
\tilde J_*` (evaluated at :math:`\theta^*`) is bounded without forming any Hessian:

.. math::
    \lVert H(\theta) - \tilde J_*^\top \tilde J_*\rVert_2 \le
    \lVert \tilde J - \tilde J_*\rVert_F (\lVert \tilde J\rVert_F + \lVert \tilde J_*\rVert_F)
    + N \lVert W\Sigma_{xx} - \Sigma_{yx}\rVert_F \max_{i<j} \prod_{l \ne i, j}
    \lVert W_l\rVert_F,

the first term from :math:`A^\top A - B^\top B = A^\top (A - B) + (A - B)^\top B`, the second from
the residual term :math:`\langle W\Sigma_{xx} - \Sigma_{yx}, D^2 W[u, v]\rangle`, in which each of
the :math:`N(N-1)` products of :math:`D^2 W[u, v]` has two layers replaced by blocks of unit
vectors (:math:`\sum_{i \ne j} \lVert U_i\rVert \lVert V_j\rVert \le N`).  By Weyl's inequality
every eigenvalue of :math:`H(\theta)` lies within that bound of the matching eigenvalue of the
closed form, so a bound far below the tolerances decides the same questions (minimum or saddle,
contraction) as the dense eigenvalues at :math:`\theta`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["NetLimitSpectra", "net_limit_spectra", "net_limit_spectra_reference"]

Array = NDArray[Any]

#: slack on the bounds for rounding: relative to the bound, and relative to the largest
#: eigenvalue (the eigenvalues of G and the dense ones are accurate to a few P ulps of it)
_SLACK = 1e-9
_EIG_SLACK = 1e-12


@dataclass(frozen=True)
class NetLimitSpectra:
    r"""Per limit (rows of the converged runs): the projection onto M and the spectrum there.

    Attributes
    ----------
    fixed : ndarray (k, P)
        :math:`\theta^*`, the projections onto M.
    valid : ndarray of bool (k,)
        Projection converged (residual :math:`\le 10^{-11}\max(1, \lVert W^*\rVert_F)`).
    normal : ndarray (k, d_N d_0)
        Normal eigenvalues of :math:`H(\theta^*)`, ascending (``inf`` rows where not valid or
        not finite).
    bound : ndarray (k,)
        Upper bound of :math:`\lVert H(\theta) - \tilde J_*^\top \tilde J_*\rVert_2` at the
        final iterate (with rounding slack).
    bound_fixed : ndarray (k,)
        The same at :math:`\theta^*` itself (the residual term left by the projection).
    tangent : bool
        True when M has tangent directions (:math:`P > d_N d_0`): the other eigenvalues are 0.
    """

    fixed: Array
    valid: Array
    normal: Array
    bound: Array
    bound_fixed: Array
    tangent: bool

    def rows(self, i: Array) -> NetLimitSpectra:
        """The same for the rows ``i``."""
        return NetLimitSpectra(
            self.fixed[i], self.valid[i], self.normal[i], self.bound[i], self.bound_fixed[i],
            self.tangent,
        )  # fmt: skip


def _residual_bound(net: Any, m: Any, th: Array) -> Array:
    r""":math:`N \lVert W\Sigma_{xx} - \Sigma_{yx}\rVert_F \max_{i<j}\prod_{l\ne i,j}
    \lVert W_l\rVert_F` per row (0 for one layer)."""
    N = len(net.widths) - 1
    if N < 2:
        return np.zeros(th.shape[0])
    W = np.asarray(m.product(th), dtype=np.float64)
    R = W @ np.asarray(net.Sxx, dtype=np.float64) - np.asarray(net.Syx, dtype=np.float64)
    r = np.sqrt(np.einsum("xij,xij->x", R, R))
    norms = np.stack(
        [np.sqrt(np.einsum("xij,xij->x", L, L)) for L in net.unflatten(th)], axis=1
    )  # (k, N)
    # the largest product leaving out two layers leaves out the two smallest norms
    rest = np.prod(np.sort(norms, axis=1)[:, 2:], axis=1)
    out: Array = N * r * rest
    return out


def _factors(net: Any, th: Array, chol: Array) -> tuple[list[Array], list[Array]]:
    r"""Per layer :math:`i`: the product above it :math:`A_i = W_N \cdots W_{i+1}` and the
    product below it times :math:`C`, :math:`B_i C = W_{i-1} \cdots W_1 C`; the layer's block of
    :math:`\tilde J` is :math:`A_i \otimes (B_i C)^\top` (up to the order of its entries)."""
    layers = net.unflatten(th)
    N = len(layers)
    k = th.shape[0]
    BC = [np.broadcast_to(chol, (k, *chol.shape))]
    for i in range(1, N):
        BC.append(layers[i - 1] @ BC[i - 1])
    dN = net.widths[-1]
    A: list[Array] = [np.broadcast_to(np.eye(dN), (k, dN, dN))] * N
    for i in range(N - 2, -1, -1):
        A[i] = A[i + 1] @ layers[i + 1]
    return A, BC


def _fro(x: Array) -> Array:
    out: Array = np.sqrt(np.einsum("xij,xij->x", x, x))
    return out


def net_limit_spectra(net: Any, m: Any, th: Array, chol: Array, scale: float) -> NetLimitSpectra:
    r"""The closed-form spectrum on M and the bounds of the module docstring for final
    iterates ``th`` (k, P) of a linear network with a minima manifold; ``chol`` is the
    Cholesky factor :math:`C` of :math:`\Sigma_{xx}`, ``scale`` is
    :math:`\max(1, \lVert W^*\rVert_F)`.

    Compiled, one limit at a time and without the GIL
    (:func:`~dynsys_gd.numeric.engine.limit_spectra_kernel.spectra_rows`), for
    :math:`2 \le d_N d_0 \le` :data:`~dynsys_gd.numeric.engine.limit_spectra_kernel.MAX_CODIM`.
    Scalar outputs and inputs (:math:`d_N d_0 = 1`, where the batched arrays are as fast per
    row and a one-off job is spared loading the kernel) and wider networks take the batched
    numpy form :func:`net_limit_spectra_reference`; so do, a row at a time, the rare rows whose
    Gauss–Newton system turns singular on the way (the compiled form has no minimum-norm
    step).  Every row's result is independent of the rows beside it.
    """
    from .limit_spectra_kernel import MAX_CODIM, spectra_rows

    k, P = th.shape
    codim = net.widths[-1] * net.widths[0]
    if not 2 <= codim <= MAX_CODIM:
        return net_limit_spectra_reference(net, m, th, chol, scale)
    x = np.ascontiguousarray(th, dtype=np.float64)
    fixed = np.empty((k, P))
    res = np.empty(k)
    normal = np.empty((k, codim))
    bound = np.empty(k)
    bound_fixed = np.empty(k)
    f64 = np.float64
    spectra_rows(
        x,
        np.asarray(net.widths, dtype=np.int64),
        np.asarray(net.offsets, dtype=np.int64),
        np.ascontiguousarray(net.W_star, dtype=f64),
        np.ascontiguousarray(chol, dtype=f64),
        np.ascontiguousarray(net.Sxx, dtype=f64),
        np.ascontiguousarray(net.Syx, dtype=f64),
        float(scale),
        fixed,
        res,
        normal,
        bound,
        bound_fixed,
    )
    valid = res <= 1e-11 * scale
    for i in np.flatnonzero(res < 0.0):
        one = net_limit_spectra_reference(net, m, x[i : i + 1], chol, scale)
        fixed[i], valid[i], normal[i] = one.fixed[0], one.valid[0], one.normal[0]
        bound[i], bound_fixed[i] = one.bound[0], one.bound_fixed[0]
    return NetLimitSpectra(fixed, valid, normal, bound, bound_fixed, P > codim)


def net_limit_spectra_reference(
    net: Any, m: Any, th: Array, chol: Array, scale: float
) -> NetLimitSpectra:
    r""":func:`net_limit_spectra` on the whole batch at once, in numpy (the reference the
    compiled form is tested against; the same quantities to rounding).

    Everything comes from the products of the layers: :math:`G = \sum_i (A_i A_i^\top) \otimes
    ((B_i C)^\top B_i C)` (no Jacobian is formed), :math:`\lVert\tilde J\rVert_F^2 = \sum_i
    \lVert A_i\rVert_F^2 \lVert B_i C\rVert_F^2` and :math:`\lVert\tilde J - \tilde
    J_*\rVert_F^2 \le \sum_i (\lVert A_i - A_i^*\rVert_F \lVert B_i C\rVert_F + \lVert
    A_i^*\rVert_F \lVert (B_i - B_i^*) C\rVert_F)^2`.
    """
    from ..landscape.manifold import project_to_minima

    k, P = th.shape
    dN, d0 = net.widths[-1], net.widths[0]
    codim = dN * d0
    with np.errstate(all="ignore"):
        fixed, res = project_to_minima(net, th)
        valid = res <= 1e-11 * scale
        A, BC = _factors(net, th, chol)
        As, BCs = _factors(net, fixed, chol)
        G = np.zeros((k, codim, codim))
        jn = np.zeros(k)  # |Jt|_F^2
        jns = np.zeros(k)  # |Jt*|_F^2
        dj = np.zeros(k)  # bound of |Jt - Jt*|_F^2
        for i in range(len(A)):
            AA = As[i] @ np.swapaxes(As[i], 1, 2)
            BB = np.swapaxes(BCs[i], 1, 2) @ BCs[i]
            G += np.einsum("xpa,xqb->xpqab", AA, BB).reshape(k, codim, codim)
            fa, fb, fas, fbs = _fro(A[i]), _fro(BC[i]), _fro(As[i]), _fro(BCs[i])
            jn += (fa * fb) ** 2
            jns += (fas * fbs) ** 2
            dj += (_fro(A[i] - As[i]) * fb + fas * _fro(BC[i] - BCs[i])) ** 2
        normal = np.full((k, codim), np.inf)
        ok = valid & np.all(np.isfinite(G), axis=(1, 2))
        if ok.any():
            normal[ok] = np.linalg.eigvalsh(G[ok])
        top = np.where(np.isfinite(normal[:, -1]), np.abs(normal[:, -1]), 0.0)
        slack = _EIG_SLACK * np.maximum(1.0, top)
        bound = np.sqrt(dj) * (np.sqrt(jn) + np.sqrt(jns)) + _residual_bound(net, m, th)
        bound_fixed = _residual_bound(net, m, fixed)
        bound = np.where(np.isfinite(bound), bound * (1 + _SLACK) + slack, np.inf)
        bound_fixed = np.where(np.isfinite(bound_fixed), bound_fixed * (1 + _SLACK) + slack, np.inf)
    return NetLimitSpectra(fixed, valid, normal, bound, bound_fixed, P > codim)
