r"""Compiled GD hot loop: blocks of runs side by side ("lanes"), decisions in the kernel.

This is the compiled path of :func:`~dynsys_gd.numeric.engine.run_gd`.  A block of ``L`` runs
is stepped together, parameter-major (array ``th[P, L]``); a *block function* does
``check_every`` steps of every lane with no Python work, then the driver classifies every
lane's run by the outcome tests of :mod:`~dynsys_gd.numeric.engine.outcomes` (``lane_*``) and
refills
a lane whose run has ended with the next pending run.  When no run is pending and at most half
the lanes are busy, the busy lanes are moved to the front and only those are stepped, so the
stragglers at the end of a batch do not pay for idle lanes.

Why numba
---------
numba compiles these loops without ``fastmath`` and with ``error_model="numpy"``: LLVM then
keeps every IEEE operation as written (no fused multiply-add contraction, no reassociation), so
a run gives bit-identical iterates, outcomes and step counts in every lane, block size,
chunking, worker count and executor, and bit-identical to the plain numpy reference path
(:mod:`~dynsys_gd.numeric.engine.gd_numpy`), which performs the same operations in the same order on
whole arrays.  JAX was measured as the alternative (ENGINE-NOTES): XLA contracts ``a*b + c``
into fused multiply-adds, which cannot be switched off, and its trajectories differed by up to 7
steps from the reference.  Decisions use only :math:`+ - \times \div \sqrt{}` and comparisons
(no LAPACK, no transcendental functions).

Gradients
---------
Straight-line blocks (scalar networks up to depth :data:`MAX_STRAIGHT_DEPTH`, matrix networks up
to :data:`MAX_STRAIGHT_PARAMS` parameters, any :math:`\Sigma_{xx}`): the gradient is written out
for the widths (:func:`scalar_lines`, :func:`matrix_lines`: prefix and suffix products computed
once and shared by every layer, the common subexpressions of the symbolic gradient; zero entries
of :math:`\Sigma_{xx}` skipped, unit entries not multiplied), compiled once per shape into a
module in the kernel directory (``DYNSYS_GD_KERNEL_DIR``, default ``~/.cache/dynsys_gd/kernels``)
and cached by numba, like every kernel, in a directory named by a digest of the kernel sources
(:mod:`~dynsys_gd.numeric.engine._jit`: numba alone would not notice a change to a called function
in
another file); the driver receives it as a first-class function, so the driver itself is
compiled once.  Generic kernels (``kind``) cover everything else:

``KIND_SCALAR``
    Scalar linear networks with data, :math:`\partial_i L = (\sigma_{xx} p - \sigma_{yx})
    \prod_{j \ne i} w_j` from prefix and suffix products.
``KIND_LINEAR``
    Linear networks of any widths and any :math:`\Sigma_{xx}`: :math:`\nabla_{W_i} L =
    A_i^\top R B_i^\top`, :math:`R = W\Sigma_{xx} - \Sigma_{yx}`, by generic matrix loops
    whose innermost loop runs over the lanes.
``KIND_POLY``
    Polynomial :class:`~dynsys_gd.models.LossModel` s: the exact gradient polynomials of the
    symbolic derivation as a monomial table (exponents, CSR coefficients), evaluated by
    repeated multiplication.
``KIND_MLP``
    :class:`~dynsys_gd.models.MLP` s of any widths (tanh, ReLU, identity; with or without
    biases): forward pass and backpropagation per data point, accumulated in order
    (:mod:`~dynsys_gd.numeric.engine.mlp_kernel`), with the engine's own vectorisable tanh
    (:mod:`~dynsys_gd.numeric.engine.activations`).

Non-polynomial :class:`~dynsys_gd.models.LossModel` s (``KIND_EXPR``, at most
:data:`MAX_STRAIGHT_PARAMS` parameters) get only the straight-line form, from the sympy gradient
(:func:`expression_lines`: ``sympy.cse`` once, integer powers as products, functions from
:mod:`math`); the reference path runs the same code in Python.

Both forms perform the same operations in the same order, so they agree bit for bit (runs are
replayed single-lane with the generic kernel where needed).  Measured speed is in
``benchmarks/bench_engine.py``; LLVM does not turn the lane loops of the straight-line blocks
into SIMD code (its loop vectoriser gives up when one loop touches more than two rows of an
array), so the gain over a per-trajectory loop comes from doing the outcome tests once per block
and for many runs at once, not from vector instructions.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from .lane_block import _JIT, BLOCK_SIG, _f1, _f2, _i1, _i8, after_gradient
from .outcomes import (
    C_CONV,
    C_DIV,
    C_PER,
    NO_Q,
    RISE,
    SLOW,
    ULP,
    at_budget,
    displacements,
    lane_classify,
    lane_progressing,
    lane_segment,
    lane_trend,
    lane_update,
    stationary,
)

__all__ = [
    "KIND_LINEAR",
    "KIND_MLP",
    "KIND_POLY",
    "KIND_SCALAR",
    "run_lanes",
]

KIND_SCALAR = 0
KIND_LINEAR = 1
KIND_POLY = 2
#: non-polynomial LossModels: only straight-line code generated from the sympy gradient (the
#: block is generated; single-lane replays use the same generated code, see ``expr_gradient``)
KIND_EXPR = 3
#: MLPs: per-data-point forward pass and backpropagation on lanes (:mod:`.mlp_kernel`)
KIND_MLP = 4


# ------------------------------------------------------------------------------------------------
# gradient kernels on lanes: th[P, L] -> g[P, L]
# ------------------------------------------------------------------------------------------------
@numba.njit(**_JIT)
def _grad_scalar(ip: Any, fp: Any, th: Any, g: Any, wk: Any) -> None:  # pragma: no cover
    N = ip[0]
    sxx = fp[0]
    syx = fp[1]
    L = th.shape[1]
    # g rows hold "others" (prefix, then times suffix); wk[0] is the running suffix
    for l in range(L):
        g[0, l] = 1.0
    for i in range(1, N):
        for l in range(L):
            g[i, l] = g[i - 1, l] * th[i - 1, l]
    for l in range(L):
        wk[0, l] = 1.0
    for i in range(N - 2, -1, -1):
        for l in range(L):
            wk[0, l] = wk[0, l] * th[i + 1, l]
            g[i, l] = g[i, l] * wk[0, l]
    for l in range(L):
        p = g[0, l] * th[0, l]
        wk[1, l] = sxx * p - syx
    for i in range(N):
        for l in range(L):
            g[i, l] = g[i, l] * wk[1, l]


@numba.njit(**_JIT)
def _mm(
    A: Any,
    ao: int,
    ars: int,
    acs: int,
    B: Any,
    bo: int,
    brs: int,
    bcs: int,
    O: Any,
    oo: int,
    n: int,
    k: int,
    m: int,
) -> None:  # pragma: no cover
    """O[oo + i*m + j] = sum_q A(i, q) B(q, j), A(i, q) = A[ao + i*ars + q*acs] (rows of lanes)."""
    L = O.shape[1]
    for i in range(n):
        for j in range(m):
            o = oo + i * m + j
            a0 = ao + i * ars
            b0 = bo + j * bcs
            for l in range(L):
                O[o, l] = A[a0, l] * B[b0, l]
            for q in range(1, k):
                ar = a0 + q * acs
                br = b0 + q * brs
                for l in range(L):
                    O[o, l] = O[o, l] + A[ar, l] * B[br, l]


@numba.njit(**_JIT)
def _grad_linear(ip: Any, fp: Any, th: Any, g: Any, wk: Any) -> None:  # pragma: no cover
    # ip = [N, d_0..d_N, off_0..off_N, pre_off_0..pre_off_{N-1}, suf_off_0..suf_off_{N-1},
    #       W_off, R_off, T_off]; fp = [Sxx (d0*d0), Syx (dN*d0)]
    N = ip[0]
    d = ip[1 : N + 2]
    off = ip[N + 2 : 2 * N + 3]
    pre = ip[2 * N + 3 : 3 * N + 3]
    suf = ip[3 * N + 3 : 4 * N + 3]
    Wo = ip[4 * N + 3]
    Ro = ip[4 * N + 4]
    To = ip[4 * N + 5]
    L = th.shape[1]
    d0 = d[0]
    dN = d[N]
    # prefix pre[j] = layer[j-1] ... layer[0]  (d[j] x d[0]), j >= 1
    if N >= 2:
        for r in range(d[1] * d[0]):
            for l in range(L):
                wk[pre[1] + r, l] = th[off[0] + r, l]
    for j in range(2, N):
        _mm(th, off[j - 1], d[j - 1], 1, wk, pre[j - 1], d[0], 1, wk, pre[j], d[j], d[j - 1], d[0])
    # suffix suf[j] = layer[N-1] ... layer[j+1]  (d[N] x d[j+1]), j <= N-2
    if N >= 2:
        for r in range(d[N] * d[N - 1]):
            for l in range(L):
                wk[suf[N - 2] + r, l] = th[off[N - 1] + r, l]
    for j in range(N - 3, -1, -1):
        _mm(
            wk,
            suf[j + 1],
            d[j + 2],
            1,
            th,
            off[j + 1],
            d[j + 1],
            1,
            wk,
            suf[j],
            d[N],
            d[j + 2],
            d[j + 1],
        )
    # W = suf[0] layer[0]
    if N >= 2:
        _mm(wk, suf[0], d[1], 1, th, off[0], d[0], 1, wk, Wo, dN, d[1], d0)
    else:
        for r in range(dN * d0):
            for l in range(L):
                wk[Wo + r, l] = th[off[0] + r, l]
    # R = W Sxx - Syx  (zero coefficients skipped, unit coefficients not multiplied)
    for r in range(dN):
        for c in range(d0):
            ro = Ro + r * d0 + c
            started = False
            for q in range(d0):
                cf = fp[q * d0 + c]
                if cf == 0.0:
                    continue
                src = Wo + r * d0 + q
                if not started:
                    if cf == 1.0:
                        for l in range(L):
                            wk[ro, l] = wk[src, l]
                    else:
                        for l in range(L):
                            wk[ro, l] = cf * wk[src, l]
                    started = True
                elif cf == 1.0:
                    for l in range(L):
                        wk[ro, l] = wk[ro, l] + wk[src, l]
                else:
                    for l in range(L):
                        wk[ro, l] = wk[ro, l] + cf * wk[src, l]
            if not started:
                for l in range(L):
                    wk[ro, l] = 0.0
            sy = fp[d0 * d0 + r * d0 + c]
            for l in range(L):
                wk[ro, l] = wk[ro, l] - sy
    # grad_j = suf[j]^T R pre[j]^T
    for j in range(N):
        a = d[j + 1]
        b = d[j]
        if j < N - 1:
            # T = suf[j]^T R  (a x d0); suf[j] is dN x a
            if j > 0:
                _mm(wk, suf[j], 1, a, wk, Ro, d0, 1, wk, To, a, dN, d0)
                _mm(wk, To, d0, 1, wk, pre[j], 1, d0, g, off[j], a, d0, b)
            else:
                _mm(wk, suf[j], 1, a, wk, Ro, d0, 1, g, off[j], a, dN, d0)
        else:
            if j > 0:
                _mm(wk, Ro, d0, 1, wk, pre[j], 1, d0, g, off[j], a, d0, b)
            else:
                for r in range(a * b):
                    for l in range(L):
                        g[off[j] + r, l] = wk[Ro + r, l]


@numba.njit(**_JIT)
def _grad_poly(ip: Any, fp: Any, th: Any, g: Any, wk: Any) -> None:  # pragma: no cover
    # ip = [nv, maxdeg, M, exps (M*nv), indptr (nv+1), indices (nnz)]; fp = coefficients (nnz)
    nv = ip[0]
    md = ip[1]
    M = ip[2]
    eo = 3
    po = eo + M * nv
    io = po + nv + 1
    L = th.shape[1]
    mono = nv * md  # powers: wk[k*md + e - 1] = th_k^e, e = 1..md
    for k in range(nv):
        if md >= 1:
            for l in range(L):
                wk[k * md, l] = th[k, l]
        for e in range(2, md + 1):
            for l in range(L):
                wk[k * md + e - 1, l] = wk[k * md + e - 2, l] * th[k, l]
    for m in range(M):
        started = False
        for k in range(nv):
            e = ip[eo + m * nv + k]
            if e == 0:
                continue
            src = k * md + e - 1
            if not started:
                for l in range(L):
                    wk[mono + m, l] = wk[src, l]
                started = True
            else:
                for l in range(L):
                    wk[mono + m, l] = wk[mono + m, l] * wk[src, l]
        if not started:
            for l in range(L):
                wk[mono + m, l] = 1.0
    for r in range(nv):
        a = ip[po + r]
        b = ip[po + r + 1]
        if a == b:
            for l in range(L):
                g[r, l] = 0.0
            continue
        cf = fp[a]
        src = mono + ip[io + a]
        for l in range(L):
            g[r, l] = cf * wk[src, l]
        for z in range(a + 1, b):
            cf = fp[z]
            src = mono + ip[io + z]
            for l in range(L):
                g[r, l] = g[r, l] + cf * wk[src, l]


@numba.njit(**_JIT)
def _grad(kind: int, ip: Any, fp: Any, th: Any, g: Any, wk: Any) -> None:  # pragma: no cover
    if kind == KIND_SCALAR:
        _grad_scalar(ip, fp, th, g, wk)
    elif kind == KIND_LINEAR:
        _grad_linear(ip, fp, th, g, wk)
    else:
        _grad_poly(ip, fp, th, g, wk)


@numba.njit(**_JIT)
def lane_gradient(kind: int, ip: Any, fp: Any, nwork: int, th: Any) -> Any:  # pragma: no cover
    """Gradient of a (P, n) array of columns (for tests and recording)."""
    g = np.zeros_like(th)
    wk = np.zeros((max(nwork, 2), th.shape[1]))
    _grad(kind, ip, fp, th, g, wk)
    return g


# ------------------------------------------------------------------------------------------------
# a block of check_every steps on all lanes (generic; straight-line versions are generated)
# ------------------------------------------------------------------------------------------------
_RUN_SIG = numba.types.void(
    numba.types.FunctionType(BLOCK_SIG),
    _i8,
    _i1,
    _f1,
    _i8,
    _f2,
    _f1,
    _i1,
    _f1,
    numba.types.int8[::1],
    _i1,
    _i1,
    _f2,
    _f1,
    _f1,
    numba.types.boolean[::1],
)


@numba.njit(BLOCK_SIG, **_JIT)
def block_generic(
    kind: int, ip: Any, fp: Any, th: Any, g: Any, wk: Any, lr: Any, hist: Any, gsum: Any,
    gmax: Any, c: int, tail: int, H: int,
) -> None:  # pragma: no cover  # fmt: skip
    """``c`` GD steps of every lane; gradient norms summed over the last ``tail`` steps, the
    last ``H`` iterates kept in ``hist``."""
    gg = np.empty(th.shape[1])
    gsum[:] = 0.0
    gmax[:] = 0.0
    for s in range(c):
        _grad(kind, ip, fp, th, g, wk)
        after_gradient(s, th, g, lr, hist, gsum, gmax, gg, c, tail, H)


# ------------------------------------------------------------------------------------------------
# the driver
# ------------------------------------------------------------------------------------------------
@numba.njit(**_JIT)
def _one_step(
    blockfn: Any, kind: int, ip: Any, fp: Any, rth: Any, rg: Any, rwk: Any, lr: float
) -> float:  # pragma: no cover
    """One step of the single-lane state ``rth`` by the block function (the same operations as
    in the lanes); returns the gradient norm at the starting point."""
    P = rth.shape[0]
    lr1 = np.full(1, lr)
    gs = np.zeros(1)
    gm = np.zeros(1)
    h1 = np.zeros((1, P, 1))
    blockfn(kind, ip, fp, rth, rg, rwk, lr1, h1, gs, gm, 1, 1, 1)
    return gs[0]


@numba.njit(**_JIT)
def _replay(
    blockfn: Any,
    kind: int,
    ip: Any,
    fp: Any,
    x0: Any,
    lr: float,
    nsteps: int,
    div: float,
    rth: Any,
    rg: Any,
    rwk: Any,
    T: int,
) -> int:  # pragma: no cover
    """Replay ``nsteps`` steps of one run from ``x0`` (single lane, the whole state): the first
    step whose iterate is non-finite or beyond ``div`` in one of its first ``T`` rows (-1 if
    none); ``rth[:, 0]`` ends as the last iterate within the threshold."""
    P = x0.shape[0]
    prev = np.empty(P)
    for i in range(P):
        rth[i, 0] = x0[i]
    for s in range(nsteps):
        for i in range(P):
            prev[i] = rth[i, 0]
        _one_step(blockfn, kind, ip, fp, rth, rg, rwk, lr)
        bad = False
        for i in range(T):
            if not (abs(rth[i, 0]) <= div):
                bad = True
        if bad:
            for i in range(P):
                rth[i, 0] = prev[i]
            return s + 1
    return -1


@numba.njit(**_JIT)
def _move(
    a: int,
    b: int,
    th: Any,
    lr: Any,
    run: Any,
    t: Any,
    budget: Any,
    eprev: Any,
    streak: Any,
    rmax: Any,
    rprev: Any,
    qmeas: Any,
    Dprev: Any,
    rise: Any,
    seg: Any,
) -> None:  # pragma: no cover
    """Move the state of lane ``a`` to lane ``b`` (and mark ``a`` idle)."""
    for i in range(th.shape[0]):
        th[i, b] = th[i, a]
        th[i, a] = 0.0
    lr[b] = lr[a]
    lr[a] = 0.0
    run[b] = run[a]
    run[a] = -1
    t[b] = t[a]
    budget[b] = budget[a]
    rise[b] = rise[a]
    for kk in range(eprev.shape[0]):
        eprev[kk, b] = eprev[kk, a]
        streak[kk, b] = streak[kk, a]
        rmax[kk, b] = rmax[kk, a]
        rprev[kk, b] = rprev[kk, a]
        qmeas[kk, b] = qmeas[kk, a]
        Dprev[kk, b] = Dprev[kk, a]
    for j in range(seg.shape[0]):
        seg[j, b] = seg[j, a]


@numba.njit(**_JIT)
def _load(
    l: int,
    r: int,
    theta0: Any,
    lrs: Any,
    th: Any,
    lr: Any,
    run: Any,
    t: Any,
    budget: Any,
    max_steps: int,
    eprev: Any,
    streak: Any,
    rmax: Any,
    rprev: Any,
    qmeas: Any,
    kind: int,
    ip: Any,
    fp: Any,
    rth: Any,
    rg: Any,
    rwk: Any,
    blockfn: Any,
) -> None:  # pragma: no cover
    P = theta0.shape[1]
    for i in range(P):
        th[i, l] = theta0[r, i]
        rth[i, 0] = theta0[r, i]
    gn0 = _one_step(blockfn, kind, ip, fp, rth, rg, rwk, lrs[r])
    lr[l] = lrs[r]
    run[l] = r
    t[l] = 0
    budget[l] = max_steps
    for kk in range(eprev.shape[0]):
        eprev[kk, l] = -1.0
        streak[kk, l] = 0
        rmax[kk, l] = 0.0
        rprev[kk, l] = np.inf
        qmeas[kk, l] = NO_Q
    # the first step length is the reference of the first check (evidence of a fast approach)
    eprev[0, l] = lrs[r] * gn0


@numba.njit(_RUN_SIG, **_JIT)
def run_lanes(
    blockfn: Any,
    kind: int,
    ip: Any,
    fp: Any,
    nwork: int,
    theta0: Any,
    lrs: Any,
    ci: Any,
    cf: Any,
    o_code: Any,
    o_steps: Any,
    o_period: Any,
    o_theta: Any,
    o_gtail: Any,
    o_q: Any,
    o_floor: Any,
) -> None:  # pragma: no cover
    """Run every row of ``theta0`` (step size ``lrs[r]``) to an outcome.

    ``ci = [L, check_every, tail, max_period, max_steps, hard_cap, streak, P, T]`` and
    ``cf = [div_threshold, conv_tol, period_tol, min_orbit, grad_tol, floor_ulps]``; budgets
    are multiples of ``check_every``.  Rows of ``theta0`` are optimiser states of ``NS`` entries:
    the ``P`` parameters first, then the optimiser's buffers; the outcome tests watch the first
    ``T`` entries.  Outputs are written per run.
    """
    n, NS = theta0.shape
    P = ci[7]
    T = ci[8]
    L = max(1, min(ci[0], n))  # never more lanes than runs (results do not depend on L)
    c = ci[1]
    tail = ci[2]
    maxp = ci[3]
    max_steps = ci[4]
    hard = ci[5]
    S = ci[6]
    div = cf[0]
    conv_tol = cf[1]
    period_tol = cf[2]
    min_orbit = cf[3]
    grad_tol = cf[4]
    F = cf[5]
    H = 2 * maxp
    nw = max(nwork, 2)
    th = np.zeros((NS, L))
    g = np.zeros((P, L))
    blk = np.zeros((NS, L))
    hist = np.zeros((H, T, L))
    wk = np.zeros((nw, L))
    E = np.zeros((maxp, L))
    D = np.zeros((maxp, L))
    Dprev = np.full((maxp, L), -1.0)
    rth = np.zeros((NS, 1))
    rg = np.zeros((P, 1))
    rwk = np.zeros((nw, 1))
    run = np.full(L, -1, dtype=np.int64)
    t = np.zeros(L, dtype=np.int64)
    budget = np.zeros(L, dtype=np.int64)
    lr = np.zeros(L)
    eprev = np.full((maxp, L), -1.0)
    streak = np.zeros((maxp, L), dtype=np.int64)
    rmax = np.zeros((maxp, L))
    rprev = np.full((maxp, L), np.inf)
    qmeas = np.full((maxp, L), NO_Q)
    rise = np.zeros(L, dtype=np.int64)
    seg = np.zeros((4, L))
    gsum = np.zeros(L)
    gmax = np.zeros(L)
    nxt = 0
    active = 0
    for l in range(L):
        if nxt < n:
            _load(  # the next pending run into lane l
                l, nxt, theta0, lrs, th, lr, run, t, budget, max_steps, eprev, streak, rmax,
                rprev, qmeas, kind, ip, fp, rth, rg, rwk, blockfn,
            )  # fmt: skip
            nxt += 1
            active += 1
    while active > 0:
        if nxt >= n and active <= L // 2:
            # no run pending: move the active lanes to the front and step only those
            j = 0
            for l in range(L):
                if run[l] >= 0:
                    if l != j:
                        _move(
                            l,
                            j,
                            th,
                            lr,
                            run,
                            t,
                            budget,
                            eprev,
                            streak,
                            rmax,
                            rprev,
                            qmeas,
                            Dprev,
                            rise,
                            seg,
                        )
                    j += 1
            L = j
            th = np.ascontiguousarray(th[:, :L])
            lr = np.ascontiguousarray(lr[:L])
            g = np.zeros((P, L))
            wk = np.zeros((nw, L))
            blk = np.zeros((NS, L))
            hist = np.zeros((H, T, L))
            gsum = np.zeros(L)
            gmax = np.zeros(L)
            E = np.zeros((maxp, L))
            D = np.zeros((maxp, L))
        for i in range(NS):
            for l in range(L):
                blk[i, l] = th[i, l]
        blockfn(kind, ip, fp, th, g, wk, lr, hist, gsum, gmax, c, tail, H)
        displacements(hist, maxp, E, D)
        for l in range(L):
            r = run[l]
            if r < 0:
                continue
            t[l] += c
            tl = t[l]
            scale = 1.0
            finite = True
            for i in range(T):
                v = abs(th[i, l])
                if not (v <= div):
                    finite = False
                elif v > scale:
                    scale = v
            code = -1
            period = 0
            floor = False
            q_out = 0.0
            if not finite:
                s_bad = _replay(blockfn, kind, ip, fp, blk[:, l], lr[l], c, div, rth, rg, rwk, T)
                code = C_DIV
                o_steps[r] = tl - c + (s_bad if s_bad > 0 else c)
                for i in range(NS):
                    o_theta[r, i] = rth[i, 0]
                o_gtail[r] = np.inf
            else:
                flv = F * ULP * scale * c
                lane_update(E, l, maxp, flv, S, c, hard, eprev, streak, rmax, rprev, qmeas, rise)
                code, period, floor = lane_classify(
                    E,
                    D,
                    Dprev,
                    l,
                    maxp,
                    scale,
                    c,
                    S,
                    conv_tol,
                    period_tol,
                    min_orbit,
                    flv,
                    streak,
                    rmax,
                    qmeas,
                )
                for kk in range(maxp):
                    Dprev[kk, l] = D[kk, l]
                lane_segment(E, D, l, maxp, tl > budget[l] - max_steps // 2, seg)
                gs = gsum[l]
                gm = gmax[l]
                if code == -2:
                    code, floor = stationary(gm, qmeas[0, l])
                if code == -1 and tl >= budget[l]:
                    prog = lane_progressing(l, maxp, S, c, hard, streak, rmax)
                    unsettled = (
                        rise[l] >= RISE or D[maxp - 1, l] < SLOW * scale or lane_trend(l, seg)
                    )
                    code, budget[l] = at_budget(
                        prog, unsettled, budget[l], hard, max_steps, gm, grad_tol
                    )
                    if code == -1:
                        for j in range(4):
                            seg[j, l] = 0.0
                if code != -1:
                    o_steps[r] = tl
                    for i in range(NS):
                        o_theta[r, i] = th[i, l]
                    o_gtail[r] = gs / tail
                    if code == C_CONV:
                        q_out = qmeas[0, l] if qmeas[0, l] < 1.0 else rmax[0, l]
                    elif code == C_PER:
                        q_out = (
                            qmeas[period - 1, l]
                            if qmeas[period - 1, l] < 1.0
                            else rmax[period - 1, l]
                        )
            if code != -1:
                o_code[r] = code
                o_period[r] = period
                o_floor[r] = floor
                o_q[r] = q_out
                if nxt < n:
                    _load(  # the next pending run into lane l
                        l, nxt, theta0, lrs, th, lr, run, t, budget, max_steps, eprev, streak, rmax,
                        rprev, qmeas, kind, ip, fp, rth, rg, rwk, blockfn,
                    )  # fmt: skip
                    for kk in range(maxp):
                        Dprev[kk, l] = -1.0
                    rise[l] = 0
                    for j in range(4):
                        seg[j, l] = 0.0
                    nxt += 1
                else:
                    run[l] = -1
                    lr[l] = 0.0
                    for i in range(NS):
                        th[i, l] = 0.0
                    active -= 1


# ------------------------------------------------------------------------------------------------
# Python side: describing a model to the kernels
# ------------------------------------------------------------------------------------------------
class LaneModel:
    """A model as the kernels see it: ``kind``, int64 and float64 parameter arrays, the number
    of work rows, and the default number of lanes."""

    def __init__(self, kind: int, ip: Any, fp: Any, nwork: int, n_params: int, lanes: int) -> None:
        self.kind = int(kind)
        self.ip = np.ascontiguousarray(ip, dtype=np.int64)
        self.fp = np.ascontiguousarray(fp, dtype=np.float64)
        self.nwork = int(max(nwork, 2))
        self.n_params = int(n_params)
        self.lanes = int(lanes)
        self.block: Any = block_generic
        self.straight_line = False
        self.lines: list[str] | None = None
        #: the long default budget (cheap steps); MLPs, whose steps cost a pass over the data,
        #: keep the short one (see :meth:`~dynsys_gd.numeric.engine.EngineConfig.budgets`)
        self.long_budget = True

    def gradient_cols(self, th_cols: Any) -> Any:
        """Compiled gradient of columns ``(P, n)``."""
        cols = np.ascontiguousarray(th_cols, dtype=np.float64)
        if self.kind == KIND_MLP:
            from .mlp_kernel import mlp_gradient_cols

            return mlp_gradient_cols(self.ip, self.fp, self.nwork, cols)
        return lane_gradient(self.kind, self.ip, self.fp, self.nwork, cols)


def _lanes_for(rows: int) -> int:
    """Lanes per block: keep the block's state within about 64 KiB (L1/L2 resident)."""
    L = 64
    while L > 8 and rows * L * 8 > 64 * 1024:
        L //= 2
    return L


def linear_layout(widths: tuple[int, ...]) -> tuple[list[int], int]:
    """The int header of KIND_LINEAR and the number of work rows."""
    N = len(widths) - 1
    d = list(widths)
    off = [0]
    for j in range(N):
        off.append(off[-1] + d[j + 1] * d[j])
    pos = 0
    pre = [0] * N
    for j in range(1, N):
        pre[j] = pos
        pos += d[j] * d[0]
    suf = [0] * N
    for j in range(N - 1):
        suf[j] = pos
        pos += d[N] * d[j + 1]
    Wo = pos
    pos += d[N] * d[0]
    Ro = pos
    pos += d[N] * d[0]
    To = pos
    pos += max(d) * d[0]
    return [N, *d, *off, *pre, *suf, Wo, Ro, To], pos


def _lanes_mlp(rows: int) -> int:
    """Lanes per block for an MLP: the lane loops are vectorised, so longer ones pay; keep the
    per-step state (parameters, gradient, work rows) within about 1 MiB (L2 resident)."""
    L = 64
    while L > 8 and rows * L * 8 > 1024 * 1024:
        L //= 2
    return L


def mlp_lane_model(model: Any) -> LaneModel:
    """The compiled description of an :class:`~dynsys_gd.models.MLP` (the MLP kernel is
    imported, and compiled on a cold cache, only when an MLP is first run)."""
    from .mlp_kernel import block_mlp, mlp_layout

    ip, nwork = mlp_layout(tuple(model.widths), model.bias, model.n_samples, model.activation)
    fp = np.concatenate([model.X.ravel(), model.Y.ravel()])
    P = model.n_params
    lm = LaneModel(KIND_MLP, ip, fp, nwork, P, _lanes_mlp(2 * P + nwork))
    lm.block = block_mlp
    lm.long_budget = False
    return lm


def lane_model(model: Any) -> LaneModel | None:
    """The compiled description of ``model``, or None when no compiled kernel covers it."""
    from ...models import MLP, LinearNetwork, LossModel

    if isinstance(model, MLP):
        if "lanes:model" not in model._cache:
            model._cache["lanes:model"] = mlp_lane_model(model)
        return model._cache["lanes:model"]  # type: ignore[no-any-return]

    if isinstance(model, LinearNetwork):
        key = "lanes:model"
        if key in model._cache:
            return model._cache[key]  # type: ignore[no-any-return]
        P = model.n_params
        if model.is_scalar:
            fp = [float(model.Sxx[0, 0]), float(model.Syx[0, 0])]
            lm = LaneModel(KIND_SCALAR, [model.depth], fp, 2, P, 64)
            if model.depth <= MAX_STRAIGHT_DEPTH:
                lines = scalar_lines(model.depth, fp[0], fp[1])
                lm.block = generated_block(lines, P)
                lm.straight_line = True
                lm.lines = lines
        else:
            ip, nwork = linear_layout(tuple(model.widths))
            fpa = np.concatenate(
                [
                    np.asarray(model.Sxx, dtype=np.float64).ravel(),
                    np.asarray(model.Syx, dtype=np.float64).ravel(),
                ]
            )
            lm = LaneModel(KIND_LINEAR, ip, fpa, nwork, P, _lanes_for(3 * P + nwork))
            if P <= MAX_STRAIGHT_PARAMS:
                lines = matrix_lines(tuple(model.widths), model.Sxx, model.Syx)
                lm.block = generated_block(lines, P)
                lm.straight_line = True
                lm.lines = lines
                lm.lanes = 64
        model._cache[key] = lm
        return lm
    if isinstance(model, LossModel):
        key = "lanes:model"
        if key in model._cache:
            return model._cache[key]  # type: ignore[no-any-return]
        out: LaneModel | None = None
        if model.is_polynomial:
            tab = poly_table(model)
            if tab is not None:
                ip, fpl, nwork = tab
                out = LaneModel(
                    KIND_POLY,
                    ip,
                    fpl,
                    nwork,
                    model.n_params,
                    _lanes_for(3 * model.n_params + nwork),
                )
        elif model.n_params <= MAX_STRAIGHT_PARAMS:
            elines = expression_lines(model)
            if elines is not None:
                out = LaneModel(KIND_EXPR, [model.n_params], [0.0], 2, model.n_params, 64)
                out.block = generated_block(elines, model.n_params)
                out.straight_line = True
                out.lines = elines
        model._cache[key] = out
        return out
    return None


def poly_table(model: Any) -> tuple[Any, Any, int] | None:
    """Monomial table of the exact gradient polynomials of a polynomial LossModel."""
    from ...symbolic.derivation import derive

    d = derive(model)
    if not d.polynomial:
        return None
    nv = d.n_params
    index: dict[tuple[int, ...], int] = {}
    rows: list[list[tuple[int, float]]] = []
    for poly in d.gradient_polys:
        terms = []
        for mon, coeff in poly.terms():
            m = index.setdefault(tuple(int(e) for e in mon), len(index))
            terms.append((m, _as_float(coeff)))
        terms.sort()
        rows.append(terms)
    exps = np.array(list(index), dtype=np.int64).reshape(len(index), nv)
    md = int(exps.max()) if exps.size else 0
    indptr = [0]
    indices: list[int] = []
    coeffs: list[float] = []
    for terms in rows:
        for m, cf in terms:
            indices.append(m)
            coeffs.append(cf)
        indptr.append(len(indices))
    ip = [nv, md, exps.shape[0], *exps.ravel().tolist(), *indptr, *indices]
    nwork = nv * md + exps.shape[0]
    return ip, coeffs, nwork


def _as_float(coeff: Any) -> float:
    from fractions import Fraction

    return float(Fraction(int(coeff.numerator), int(coeff.denominator)))


# ------------------------------------------------------------------------------------------------
# straight-line lane blocks generated for small networks
# ------------------------------------------------------------------------------------------------
#: scalar networks up to this depth and matrix networks up to this many parameters get a
#: block of straight-line code generated for their widths (one compilation per shape, cached)
MAX_STRAIGHT_DEPTH = 32
MAX_STRAIGHT_PARAMS = 64


def scalar_lines(N: int, sxx: float, syx: float) -> list[str]:
    """Straight-line gradient ``g0..g{N-1}`` of a scalar network from ``x0..x{N-1}``: the
    operations of :func:`_grad_scalar` in the same order."""
    L = ["o0 = 1.0"]
    for i in range(1, N):
        L.append(f"o{i} = o{i - 1} * x{i - 1}")
    L.append("sf = 1.0")
    for i in range(N - 2, -1, -1):
        L.append(f"sf = sf * x{i + 1}")
        L.append(f"o{i} = o{i} * sf")
    L.append("p = o0 * x0")
    L.append(f"r = {sxx!r} * p - {syx!r}")
    for i in range(N):
        L.append(f"g{i} = o{i} * r")
    return L


def matrix_lines(widths: tuple[int, ...], Sxx: Any, Syx: Any) -> list[str]:
    """Straight-line gradient of a linear network: the operations of :func:`_grad_linear` in
    the same order (prefix and suffix products computed once and shared by every layer's
    gradient, zero entries of Sxx skipped, unit entries not multiplied)."""
    N = len(widths) - 1
    d = list(widths)
    off = [0]
    for j in range(N):
        off.append(off[-1] + d[j + 1] * d[j])

    def layer(j: int, r: int, c: int) -> str:
        return f"x{off[j] + r * d[j] + c}"

    out_lines: list[str] = []

    def mm(A: Any, B: Any, name: str, n: int, k: int, m: int) -> list[list[str]]:
        res = []
        for i in range(n):
            row = []
            for j in range(m):
                v = f"{name}_{i}_{j}"
                out_lines.append(f"{v} = {A(i, 0)} * {B(0, j)}")
                for q in range(1, k):
                    out_lines.append(f"{v} = {v} + {A(i, q)} * {B(q, j)}")
                row.append(v)
            res.append(row)
        return res

    pre: dict[int, list[list[str]]] = {}
    if N >= 2:
        pre[1] = [[layer(0, r, c) for c in range(d[0])] for r in range(d[1])]
    for j in range(2, N):
        Pj = pre[j - 1]
        pre[j] = mm(
            lambda i, q, j=j: layer(j - 1, i, q),
            lambda q, c, Pj=Pj: Pj[q][c],
            f"pre{j}",
            d[j],
            d[j - 1],
            d[0],
        )
    suf: dict[int, list[list[str]]] = {}
    if N >= 2:
        suf[N - 2] = [[layer(N - 1, r, c) for c in range(d[N - 1])] for r in range(d[N])]
    for j in range(N - 3, -1, -1):
        Sj = suf[j + 1]
        suf[j] = mm(
            lambda i, q, Sj=Sj: Sj[i][q],
            lambda q, c, j=j: layer(j + 1, q, c),
            f"suf{j}",
            d[N],
            d[j + 2],
            d[j + 1],
        )
    if N >= 2:
        S0 = suf[0]
        W = mm(lambda i, q: S0[i][q], lambda q, c: layer(0, q, c), "W", d[N], d[1], d[0])
    else:
        W = [[layer(0, r, c) for c in range(d[0])] for r in range(d[N])]
    R = []
    for r in range(d[N]):
        row = []
        for c in range(d[0]):
            terms = []
            for q in range(d[0]):
                cf = float(Sxx[q, c])
                if cf == 0.0:
                    continue
                terms.append(W[r][q] if cf == 1.0 else f"{cf!r} * {W[r][q]}")
            v = f"R_{r}_{c}"
            out_lines.append(f"{v} = {terms[0] if terms else '0.0'}")
            for tm in terms[1:]:
                out_lines.append(f"{v} = {v} + {tm}")
            out_lines.append(f"{v} = {v} - {float(Syx[r, c])!r}")
            row.append(v)
        R.append(row)
    for j in range(N):
        a, b = d[j + 1], d[j]
        if j < N - 1:
            Sj = suf[j]
            T = mm(lambda i, q, Sj=Sj: Sj[q][i], lambda q, c: R[q][c], f"T{j}", a, d[N], d[0])
        else:
            T = R
        if j > 0:
            Pj = pre[j]
            G = mm(lambda i, q, T=T: T[i][q], lambda q, c, Pj=Pj: Pj[c][q], f"G{j}", a, d[0], b)
        else:
            G = T
        for r in range(a):
            for c in range(b):
                out_lines.append(f"g{off[j] + r * b + c} = {G[r][c]}")
    return out_lines


_BLOCK_TEMPLATE = """# generated by dynsys_gd.numeric.engine.lanes (straight-line); do not edit
import math

import numba

from dynsys_gd.numeric.engine.lanes import _JIT, BLOCK_SIG


@numba.njit(BLOCK_SIG, **_JIT)
def block(kind, ip, fp, th, g, wk, lr, hist, gsum, gmax, c, tail, H):
    P, L = th.shape
    for l in range(L):
        gsum[l] = 0.0
        gmax[l] = 0.0
    for s in range(c):
        if s >= c - tail:
            for l in range(L):
{unpack}
{body}
{norm}
                gn = math.sqrt(gg)
                gsum[l] = gsum[l] + gn
                if gn > gmax[l]:
                    gmax[l] = gn
                e = lr[l]
{update}
        else:
            for l in range(L):
{unpack}
{body}
                e = lr[l]
{update}
        if s >= c - H:
            h = s - (c - H)
            for i in range(P):
                for l in range(L):
                    hist[h, i, l] = th[i, l]
"""

#: per-trajectory variant for larger bodies: each lane's run steps ``c`` times on a contiguous
#: copy of its parameters (the straight-line gradient can then be vectorised within a run)
_BLOCK_TEMPLATE_RUN = """# generated by dynsys_gd.numeric.engine.lanes (per-run block); do not edit
import math

import numba
import numpy as np

from dynsys_gd.numeric.engine.lanes import _JIT, BLOCK_SIG


@numba.njit(**_JIT)
def grad(xv, gv):
{unpack}
{body}
{pack}


@numba.njit(BLOCK_SIG, **_JIT)
def block(kind, ip, fp, th, g, wk, lr, hist, gsum, gmax, c, tail, H):
    P, L = th.shape
    xb = np.empty(P)
    gb = np.empty(P)
    for l in range(L):
        for i in range(P):
            xb[i] = th[i, l]
        e = lr[l]
        gs = 0.0
        gm = 0.0
        for s in range(c):
            grad(xb, gb)
            if s >= c - tail:
                gg = gb[0] * gb[0]
                for i in range(1, P):
                    gg = gg + gb[i] * gb[i]
                gn = math.sqrt(gg)
                gs = gs + gn
                if gn > gm:
                    gm = gn
            for i in range(P):
                xb[i] = xb[i] - e * gb[i]
            if s >= c - H:
                h = s - (c - H)
                for i in range(P):
                    hist[h, i, l] = xb[i]
        for i in range(P):
            th[i, l] = xb[i]
        gsum[l] = gs
        gmax[l] = gm
"""

#: straight-line bodies with more parameters than this use the per-run block
PER_RUN_ABOVE = 16

_GENERATED: dict[str, Any] = {}


def generated_block(lines: list[str], P: int) -> Any:
    """Compile (once per shape; cached on disk) a lane block around straight-line gradient
    code; returns the compiled block (signature BLOCK_SIG)."""

    if P > PER_RUN_ABOVE:
        src = _BLOCK_TEMPLATE_RUN.format(
            unpack="\n".join(f"    x{i} = xv[{i}]" for i in range(P)),
            body="\n".join("    " + ln for ln in lines),
            pack="\n".join(f"    gv[{i}] = g{i}" for i in range(P)),
        )
        return _load_block(src)
    pad = " " * 16
    unpack = "\n".join(f"{pad}x{i} = th[{i}, l]" for i in range(P))
    body = "\n".join(pad + ln for ln in lines)
    norm = "\n".join([f"{pad}gg = g0 * g0"] + [f"{pad}gg = gg + g{i} * g{i}" for i in range(1, P)])
    update = "\n".join(f"{pad}th[{i}, l] = x{i} - e * g{i}" for i in range(P))
    src = _BLOCK_TEMPLATE.format(unpack=unpack, body=body, norm=norm, update=update)
    return _load_block(src)


def _load_block(src: str) -> Any:
    """Compile the generated ``src`` from memory (its cache file verified) and return ``block``."""
    from .kernel_cache import load_generated

    return load_generated(src, "lane_block", "block")


# ------------------------------------------------------------------------------------------------
# non-polynomial losses: straight-line code from the sympy gradient (common subexpressions once)
# ------------------------------------------------------------------------------------------------
_MATH_FUNCS = {
    "exp",
    "log",
    "sin",
    "cos",
    "tan",
    "sinh",
    "cosh",
    "tanh",
    "atan",
    "asin",
    "acos",
    "asinh",
    "acosh",
    "atanh",
    "sqrt",
    "log1p",
    "expm1",
    "erf",
    "fabs",
}


def expression_lines(model: Any) -> list[str] | None:
    r"""Straight-line code ``g0..g{P-1}`` from ``x0..x{P-1}`` for the gradient of a loss given
    by a sympy expression: ``sympy.cse`` once, integer powers written as products (so the
    compiled and the Python evaluation round identically), functions from :mod:`math`.
    None when an expression uses something else."""
    import sympy
    from sympy.printing.pycode import PythonCodePrinter

    from ...symbolic.derivation import derive

    d = derive(model)
    P = d.n_params
    xs = [sympy.Symbol(f"x{i}") for i in range(P)]
    sub = dict(zip(d.params, xs, strict=True))
    grads = [sympy.sympify(gi).xreplace(sub) for gi in d.gradient]
    reps, red = sympy.cse(grads, symbols=sympy.numbered_symbols("c"))

    class _Printer(PythonCodePrinter):  # type: ignore[misc]
        def _print_Pow(self, expr: Any, rational: bool = False) -> str:
            b, e = expr.as_base_exp()
            if e.is_Integer and 1 <= int(e) <= 16:
                return "(" + " * ".join([self.parenthesize(b, 100)] * int(e)) + ")"
            if e.is_Integer and -16 <= int(e) <= -1:
                return "(1.0 / (" + " * ".join([self.parenthesize(b, 100)] * -int(e)) + "))"
            if e == sympy.Rational(1, 2):
                return f"math.sqrt({self._print(b)})"
            return f"math.pow({self._print(b)}, {self._print(sympy.Float(e))})"

        def _print_Rational(self, expr: Any) -> str:
            return repr(float(expr))

        def _print_Integer(self, expr: Any) -> str:
            return repr(float(expr))

    pr = _Printer({"fully_qualified_modules": True, "standard": "python3"})
    lines = []
    try:
        for sym, ex in reps:
            lines.append(f"{sym} = {pr.doprint(ex)}")
        for i, ex in enumerate(red):
            lines.append(f"g{i} = {pr.doprint(ex)}")
    except Exception:
        return None
    import re

    for ln in lines:
        for fn in re.findall(r"math\.([a-z0-9_]+)", ln):
            if fn not in _MATH_FUNCS and fn not in ("pow",):
                return None
        if re.search(r"\b(?!math\b)[a-z_]+\.", ln.split("=", 1)[1]) or "numpy" in ln:
            return None
    return lines


def expr_gradient(lines: list[str], P: int) -> Any:
    """Plain Python function ``grad(x) -> g`` (lists of floats) running the same code."""
    src = "import math\ndef grad(x):\n"
    src += "".join(f"    x{i} = x[{i}]\n" for i in range(P))
    src += "".join(f"    {ln}\n" for ln in lines)
    src += "    return [" + ", ".join(f"g{i}" for i in range(P)) + "]\n"
    ns: dict[str, Any] = {}
    exec(compile(src, "<dynsys_gd expression gradient>", "exec"), ns)
    return ns["grad"]
