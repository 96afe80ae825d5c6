r"""The closed-form spectra on M of :mod:`~dynsys_gd.numeric.engine.limit_spectra`, compiled:
one limit at a time and without the GIL, for linear networks with :math:`d_N d_0` up to
:data:`MAX_CODIM`.

For each final iterate :math:`\theta` (a row) this computes what
:func:`~dynsys_gd.numeric.engine.limit_spectra.net_limit_spectra` computes on a batch: the
Gauss–Newton projection :math:`\theta^*` onto :math:`M = \{W(\theta) = W^*\}` and its residual
(the iteration of :func:`~dynsys_gd.numeric.landscape.manifold.project_to_minima`: minimum-norm
steps :math:`\delta = -J^\top (J J^\top)^{-1} r` until
:math:`\lVert W - W^*\rVert_F \le 10^{-14}\max(1, \lVert W^*\rVert_F)`, at most 50), the matrix
:math:`G = \sum_i (A_i A_i^\top) \otimes ((B_i C)^\top B_i C)` at :math:`\theta^*` and its
eigenvalues, and the bounds on the distance of the spectrum at :math:`\theta` from them.

The layer products are those of the batched code: :math:`B_0 = I`, :math:`B_i = W_i B_{i-1}`,
:math:`A_{N-1} = I`, :math:`A_i = A_{i+1} W_{i+2}` (layers 1-based), and, with the layer
:math:`W_{i+1} = ` its block of :math:`\theta`, :math:`\partial W_{pq} / \partial (W_{i+1})_{ab}
= (A_i)_{pa} (B_i)_{bq}`.  Hence :math:`J J^\top = \sum_i (A_i A_i^\top) \otimes (B_i^\top B_i)`
and the step of layer :math:`i + 1` is :math:`A_i^\top Y B_i^\top` for the solution :math:`Y` of
:math:`J J^\top \operatorname{vec} Y = \operatorname{vec} r` (row-major), so no Jacobian is
formed.  :math:`J J^\top` is solved by Cholesky and the eigenvalues of :math:`G` come from
cyclic Jacobi rotations, with no LAPACK call (whose fixed cost, about a microsecond a call,
would dominate at these orders).  The sums run in a fixed order; the results agree with the
batched numpy code to rounding (not bit for bit: the order of the sums and the eigenvalue
method differ), and every row is computed the same way whatever the batch, so a call gives the
same bits for any split of its rows over threads.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

from ._jit import JIT

__all__ = ["spectra_rows"]

#: Gauss–Newton projection: relative residual tolerance and iteration cap (those of
#: :func:`~dynsys_gd.numeric.landscape.manifold.project_to_minima`)
PROJ_TOL = 1e-14
PROJ_ITER = 50
#: rounding slack of the bounds (those of :mod:`~dynsys_gd.numeric.engine.limit_spectra`)
SLACK = 1e-9
EIG_SLACK = 1e-12
#: the compiled rows serve networks with :math:`d_N d_0` up to this (G's eigenvalues by the
#: cyclic Jacobi method, about a microsecond at order 4; wider outputs and inputs take the
#: batched numpy form, whose LAPACK calls win from there on)
MAX_CODIM = 16
#: Jacobi sweeps at most (a sweep is every off-diagonal pair once; quadratic convergence makes
#: 6-10 sweeps the rule for these sizes)
JACOBI_SWEEPS = 60


# the two helpers called most (every product of small matrices) are inlined by numba: a call
# between compiled functions reference-counts each array argument, which cost a third of the
# time per limit; inlining every helper made the first compilation twice as long for no more
@numba.njit(inline="always", **JIT)
def _mm(X: Any, Y: Any, n: int, k: int, m: int, out: Any) -> None:  # pragma: no cover
    """``out[:n, :m] = X[:n, :k] @ Y[:k, :m]`` (each entry summed over k in order)."""
    for i in range(n):
        for j in range(m):
            s = 0.0
            for q in range(k):
                s = s + X[i, q] * Y[q, j]
            out[i, j] = s


@numba.njit(inline="always", **JIT)
def _layer(x: Any, d: Any, off: Any, i: int, out: Any) -> None:  # pragma: no cover
    """Layer ``i + 1`` (0-based ``i``) of the row ``x``, shape ``(d[i+1], d[i])``, into ``out``."""
    r, c = d[i + 1], d[i]
    for a in range(r):
        for b in range(c):
            out[a, b] = x[off[i] + a * c + b]


@numba.njit(**JIT)
def _eye(n: int, out: Any) -> None:  # pragma: no cover
    for a in range(n):
        for b in range(n):
            out[a, b] = 1.0 if a == b else 0.0


@numba.njit(**JIT)
def _factors(x: Any, d: Any, off: Any, A: Any, B: Any, Wl: Any) -> None:  # pragma: no cover
    r"""Suffix products ``A[i]`` (:math:`d_N \times d_{i+1}`) and prefix products ``B[i]``
    (:math:`d_i \times d_0`) of the row ``x``; ``Wl`` is scratch for one layer."""
    N = d.size - 1
    _eye(d[0], B[0])
    for i in range(1, N):
        _layer(x, d, off, i - 1, Wl)
        _mm(Wl, B[i - 1], d[i], d[i - 1], d[0], B[i])
    _eye(d[N], A[N - 1])
    for i in range(N - 2, -1, -1):
        _layer(x, d, off, i + 1, Wl)
        _mm(A[i + 1], Wl, d[N], d[i + 2], d[i + 1], A[i])


@numba.njit(**JIT)
def _times_chol(x: Any, d: Any, off: Any, C: Any, BC: Any, Wl: Any) -> None:  # pragma: no cover
    r"""``BC[i]`` = :math:`W_i \cdots W_1 C` of the row ``x`` (the recursion of the batched
    code: ``BC[0] = C``, ``BC[i] = W_i BC[i-1]``)."""
    N = d.size - 1
    for a in range(d[0]):
        for b in range(d[0]):
            BC[0, a, b] = C[a, b]
    for i in range(1, N):
        _layer(x, d, off, i - 1, Wl)
        _mm(Wl, BC[i - 1], d[i], d[i - 1], d[0], BC[i])


@numba.njit(**JIT)
def _product(x: Any, d: Any, off: Any, A: Any, Wl: Any, W: Any) -> None:  # pragma: no cover
    """``W = A[0] @ W_1`` (the end-to-end matrix; ``A`` from :func:`_factors`)."""
    _layer(x, d, off, 0, Wl)
    _mm(A[0], Wl, d[d.size - 1], d[1], d[0], W)


@numba.njit(**JIT)
def _kron_sum(A: Any, B: Any, d: Any, tA: Any, tB: Any, K: Any) -> None:  # pragma: no cover
    r"""``K = sum_i (A_i A_i^T) (x) (B_i^T B_i)`` over the layers, row-major indices
    :math:`(p, q), (a, b)`: ``K[p d0 + q, a d0 + b] += AA[p, a] BB[q, b]``."""
    N = d.size - 1
    dN, d0 = d[N], d[0]
    c = dN * d0
    for r in range(c):
        for s in range(c):
            K[r, s] = 0.0
    for i in range(N):
        _mm(A[i], A[i].T, dN, d[i + 1], dN, tA)  # A_i A_i^T
        _mm(B[i].T, B[i], d0, d[i], d0, tB)  # B_i^T B_i
        for p in range(dN):
            for q in range(d0):
                for a in range(dN):
                    for b in range(d0):
                        r, t = p * d0 + q, a * d0 + b
                        K[r, t] = K[r, t] + tA[p, a] * tB[q, b]


@numba.njit(**JIT)
def _fro(X: Any, n: int, m: int) -> float:  # pragma: no cover
    s = 0.0
    for i in range(n):
        for j in range(m):
            s = s + X[i, j] * X[i, j]
    return math.sqrt(s)


@numba.njit(**JIT)
def _fro_diff(X: Any, Y: Any, n: int, m: int) -> float:  # pragma: no cover
    s = 0.0
    for i in range(n):
        for j in range(m):
            v = X[i, j] - Y[i, j]
            s = s + v * v
    return math.sqrt(s)


@numba.njit(**JIT)
def _jacobi_eigvals(K: Any, n: int, work: Any, out: Any) -> None:  # pragma: no cover
    r"""Eigenvalues of the symmetric ``K[:n, :n]``, ascending, into ``out[:n]`` (cyclic Jacobi
    rotations on a copy in ``work``: each rotation zeroes one off-diagonal pair, with
    :math:`t = \operatorname{sign}(\vartheta) / (|\vartheta| + \sqrt{\vartheta^2 + 1})`,
    :math:`\vartheta = (a_{qq} - a_{pp}) / 2a_{pq}`; sweeps until every off-diagonal entry is
    negligible against its diagonal pair; the eigenvalues are accurate to a few ulps of the
    largest)."""
    for i in range(n):
        for j in range(n):
            work[i, j] = K[i, j]
    for _ in range(JACOBI_SWEEPS):
        off = 0.0
        for p in range(n):
            for q in range(p + 1, n):
                off = off + abs(work[p, q])
        if off == 0.0:
            break
        for p in range(n):
            for q in range(p + 1, n):
                apq = work[p, q]
                if apq == 0.0:
                    continue
                app, aqq = work[p, p], work[q, q]
                g = 100.0 * abs(apq)
                if abs(app) + g == abs(app) and abs(aqq) + g == abs(aqq):
                    work[p, q] = 0.0
                    work[q, p] = 0.0
                    continue
                th = (aqq - app) / (2.0 * apq)
                t = 1.0 / (abs(th) + math.sqrt(th * th + 1.0))
                if th < 0.0:
                    t = -t
                c = 1.0 / math.sqrt(t * t + 1.0)
                s = t * c
                work[p, p] = app - t * apq
                work[q, q] = aqq + t * apq
                work[p, q] = 0.0
                work[q, p] = 0.0
                for r in range(n):
                    if r != p and r != q:
                        arp, arq = work[r, p], work[r, q]
                        v = c * arp - s * arq
                        w = s * arp + c * arq
                        work[r, p] = v
                        work[p, r] = v
                        work[r, q] = w
                        work[q, r] = w
    for i in range(n):
        v = work[i, i]
        j = i
        while j > 0 and out[j - 1] > v:
            out[j] = out[j - 1]
            j -= 1
        out[j] = v


@numba.njit(**JIT)
def _chol_solve(K: Any, n: int, L: Any, rv: Any, y: Any) -> bool:  # pragma: no cover
    """Solve ``K[:n, :n] y = rv`` by Cholesky (``L`` scratch); False when ``K`` is not
    numerically positive definite (a non-positive or non-finite pivot)."""
    for j in range(n):
        s = K[j, j]
        for k in range(j):
            s = s - L[j, k] * L[j, k]
        if not s > 0.0 or not math.isfinite(s):
            return False
        L[j, j] = math.sqrt(s)
        for i in range(j + 1, n):
            t = K[i, j]
            for k in range(j):
                t = t - L[i, k] * L[j, k]
            L[i, j] = t / L[j, j]
    for i in range(n):
        t = rv[i]
        for k in range(i):
            t = t - L[i, k] * y[k]
        y[i] = t / L[i, i]
    for i in range(n - 1, -1, -1):
        t = y[i]
        for k in range(i + 1, n):
            t = t - L[k, i] * y[k]
        y[i] = t / L[i, i]
    return True


@numba.njit(**JIT)
def _residual_bound(
    x: Any, d: Any, off: Any, A: Any, Sxx: Any, Syx: Any, Wl: Any, W: Any, R: Any, nrm: Any
) -> float:  # pragma: no cover
    r""":math:`N \lVert W\Sigma_{xx} - \Sigma_{yx}\rVert_F \max_{i<j}\prod_{l\ne i,j}
    \lVert W_l\rVert_F` of the row ``x`` (0 for one layer); ``A`` its suffix products."""
    N = d.size - 1
    if N < 2:
        return 0.0
    dN, d0 = d[N], d[0]
    _product(x, d, off, A, Wl, W)
    _mm(W, Sxx, dN, d0, d0, R)
    for p in range(dN):
        for q in range(d0):
            R[p, q] = R[p, q] - Syx[p, q]
    r = _fro(R, dN, d0)
    for i in range(N):
        _layer(x, d, off, i, Wl)
        nrm[i] = _fro(Wl, d[i + 1], d[i])
    # the largest product leaving out two layers leaves out the two smallest norms
    for i in range(1, N):
        v = nrm[i]
        j = i
        while j > 0 and nrm[j - 1] > v:
            nrm[j] = nrm[j - 1]
            j -= 1
        nrm[j] = v
    rest = 1.0
    for i in range(2, N):
        rest = rest * nrm[i]
    return N * r * rest


@numba.njit(**JIT)
def _project(
    x: Any,
    d: Any,
    off: Any,
    Ws: Any,
    scale: float,
    A: Any,
    B: Any,
    Wl: Any,
    W: Any,
    K: Any,
    tA: Any,
    tB: Any,
    Y: Any,
    T: Any,
    Lc: Any,
    rv: Any,
    y: Any,
) -> float:  # pragma: no cover
    r"""Gauss–Newton projection of the row ``x`` onto M, in place; returns the residual
    :math:`\lVert W - W^*\rVert_F` at the last point evaluated (inf if not finite), or -1 when
    :math:`J J^\top` is singular to working precision on the way (no minimum-norm step here).
    The other arguments are scratch of :func:`spectra_rows`."""
    N = d.size - 1
    dN, d0 = d[N], d[0]
    c = dN * d0
    res = np.inf
    for _ in range(PROJ_ITER + 1):
        _factors(x, d, off, A, B, Wl)
        _product(x, d, off, A, Wl, W)
        s = 0.0
        for p in range(dN):
            for q in range(d0):
                v = W[p, q] - Ws[p, q]
                rv[p * d0 + q] = v
                s = s + v * v
        res = math.sqrt(s)
        if res <= PROJ_TOL * scale or not math.isfinite(res):
            break
        _kron_sum(A, B, d, tA, tB, K)
        if not _chol_solve(K, c, Lc, rv, y):
            return -1.0  # J J^T singular to working precision: left to the batched form
        for p in range(dN):
            for q in range(d0):
                Y[p, q] = y[p * d0 + q]
        for i in range(N):
            # the step of layer i + 1: A_i^T Y B_i^T
            a_, b_ = d[i + 1], d[i]
            for a in range(a_):
                for q in range(d0):
                    t = 0.0
                    for p in range(dN):
                        t = t + A[i, p, a] * Y[p, q]
                    T[a, q] = t
            for a in range(a_):
                for b in range(b_):
                    t = 0.0
                    for q in range(d0):
                        t = t + T[a, q] * B[i, b, q]
                    # A and B were formed before any layer moved: every step is J's
                    x[off[i] + a * b_ + b] = x[off[i] + a * b_ + b] - t
    return res if math.isfinite(res) else np.inf


@numba.njit(**JIT)
def spectra_rows(
    th: Any,
    d: Any,
    off: Any,
    Ws: Any,
    C: Any,
    Sxx: Any,
    Syx: Any,
    scale: float,
    fixed: Any,
    res: Any,
    normal: Any,
    bound: Any,
    bound_fixed: Any,
) -> None:  # pragma: no cover
    r"""For every row of ``th`` (k, P): the projection ``fixed`` onto M and its residual
    ``res`` (-1, and the other outputs unwritten, where the projection met a singular
    :math:`J J^\top`), the eigenvalues ``normal`` (ascending; ``inf`` where the projection is
    not valid, residual above :math:`10^{-11}` ``scale``, or :math:`G` is not finite) of
    :math:`G` at the projection, and the bounds ``bound`` (at the row) and ``bound_fixed``
    (at the projection) of :func:`~dynsys_gd.numeric.engine.limit_spectra.net_limit_spectra`,
    with its rounding slack.  ``d`` the widths, ``off`` the layer offsets, ``C`` the Cholesky
    factor of :math:`\Sigma_{xx}`, ``scale`` :math:`\max(1, \lVert W^*\rVert_F)`."""
    N = d.size - 1
    dN, d0 = d[N], d[0]
    c = dN * d0
    md = 0
    for i in range(N + 1):
        md = max(md, d[i])
    A = np.zeros((N, dN, md))
    B = np.zeros((N, md, d0))
    As = np.zeros((N, dN, md))
    Bs = np.zeros((N, md, d0))
    BC = np.zeros((N, md, d0))
    BCs = np.zeros((N, md, d0))
    Wl = np.zeros((md, md))
    W = np.zeros((dN, d0))
    R = np.zeros((dN, d0))
    K = np.zeros((c, c))
    tA = np.zeros((dN, dN))
    tB = np.zeros((d0, d0))
    Y = np.zeros((dN, d0))
    T = np.zeros((md, d0))
    nrm = np.zeros(N)
    Lc = np.zeros((c, c))
    rv = np.zeros(c)
    y = np.zeros(c)
    lam = np.zeros(c)
    for r in range(th.shape[0]):
        x = th[r]
        xs = fixed[r]
        for j in range(x.size):
            xs[j] = x[j]
        res[r] = _project(xs, d, off, Ws, scale, As, Bs, Wl, W, K, tA, tB, Y, T, Lc, rv, y)
        if res[r] < 0.0:
            continue
        valid = res[r] <= 1e-11 * scale
        _factors(x, d, off, A, B, Wl)
        _times_chol(x, d, off, C, BC, Wl)
        _factors(xs, d, off, As, Bs, Wl)
        _times_chol(xs, d, off, C, BCs, Wl)
        _kron_sum(As, BCs, d, tA, tB, K)
        jn = 0.0
        jns = 0.0
        dj = 0.0
        for i in range(N):
            fa = _fro(A[i], dN, d[i + 1])
            fb = _fro(BC[i], d[i], d0)
            fas = _fro(As[i], dN, d[i + 1])
            fbs = _fro(BCs[i], d[i], d0)
            jn = jn + (fa * fb) ** 2
            jns = jns + (fas * fbs) ** 2
            e = _fro_diff(A[i], As[i], dN, d[i + 1]) * fb + fas * _fro_diff(BC[i], BCs[i], d[i], d0)
            dj = dj + e * e
        ok = valid
        for p in range(c):
            for q in range(c):
                ok = ok and math.isfinite(K[p, q])
        if ok:
            _jacobi_eigvals(K, c, Lc, lam)
            for p in range(c):
                normal[r, p] = lam[p]
        else:
            for p in range(c):
                normal[r, p] = np.inf
        top = abs(normal[r, c - 1]) if math.isfinite(normal[r, c - 1]) else 0.0
        slack = EIG_SLACK * max(1.0, top)
        b = math.sqrt(dj) * (math.sqrt(jn) + math.sqrt(jns))
        b = b + _residual_bound(x, d, off, A, Sxx, Syx, Wl, W, R, nrm)
        bf = _residual_bound(xs, d, off, As, Sxx, Syx, Wl, W, R, nrm)
        bound[r] = b * (1 + SLACK) + slack if math.isfinite(b) else np.inf
        bound_fixed[r] = bf * (1 + SLACK) + slack if math.isfinite(bf) else np.inf
