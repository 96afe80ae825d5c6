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
Straight-line blocks (scalar networks up to depth
:data:`~dynsys_gd.numeric.engine.codegen.MAX_STRAIGHT_DEPTH`, matrix networks up to
:data:`~dynsys_gd.numeric.engine.codegen.MAX_STRAIGHT_PARAMS` parameters, any
:math:`\Sigma_{xx}`, and non-polynomial :class:`~dynsys_gd.models.LossModel` s, ``KIND_EXPR``):
the gradient is written out for the shape (:mod:`~dynsys_gd.numeric.engine.codegen`), compiled
once per shape into a module in the kernel directory (``DYNSYS_GD_KERNEL_DIR``, default
``~/.cache/dynsys_gd/kernels``) and cached by numba, like every kernel, in a directory named by a
digest of the kernel sources (:mod:`~dynsys_gd.numeric.engine._jit`: numba alone would not
notice a change to a called function in another file); the driver receives it as a first-class
function, so the driver itself is compiled once.  Generic kernels (``kind``) cover everything
else: ``KIND_SCALAR``, ``KIND_LINEAR`` and ``KIND_POLY``
(:mod:`~dynsys_gd.numeric.engine.lane_gradients`), and ``KIND_MLP``:
:class:`~dynsys_gd.models.MLP` s of any widths (tanh, ReLU, identity; with or without biases),
forward pass and backpropagation per data point, accumulated in order
(:mod:`~dynsys_gd.numeric.engine.mlp_kernel`), with the engine's own vectorisable tanh
(:mod:`~dynsys_gd.numeric.engine.activations`).  The reference path runs the generated code of
``KIND_EXPR`` in Python.

Both forms perform the same operations in the same order, so they agree bit for bit, whatever
the number of lanes stepped side by side (the first step of newly loaded runs and the
divergence replay step copies of a few lanes with the same block).  Measured speed is in
``benchmarks/bench_engine.py``.  LLVM vectorises the loops over the lanes of the straight-line
blocks (four lanes per AVX2 instruction, no FMA; the alias checks it needs are allowed in
:mod:`~dynsys_gd.numeric.engine._jit`) and of the outcome checks.

The checks
----------
After each block the driver computes, for every lane at once, the displacements (maxima of
squared distances, one square root each) and the step lengths of the window streak, the decay
statistics
(:func:`~dynsys_gd.numeric.engine.outcomes.lanes_update`) and a flag saying whether the
per-lane classification would decide the lane
(:func:`~dynsys_gd.numeric.engine.outcomes.lanes_candidates`); only flagged lanes, lanes at
their budget and lanes beyond the divergence threshold are then handled one by one.  Runs that
left the threshold are replayed side by side, a few steps at a time, to find their first step
beyond it, and runs whose iterate is no longer finite a few steps after their start are decided
before they take a lane (:mod:`~dynsys_gd.numeric.engine.lane_divergence`).  Every lane gets
exactly the operations of the per-lane rules, so the outcomes are those of the numpy reference
path bit for bit.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from .codegen import (
    LANES_UP_TO,
    MAX_STRAIGHT_DEPTH,
    MAX_STRAIGHT_PARAMS,
    expression_lines,
    generated_block,
    matrix_lines,
    poly_table,
    scalar_lines,
)
from .lane_block import _JIT, BLOCK_SIG, _f1, _f2, _i1, _i8, after_gradient
from .lane_divergence import SCREEN_STEPS, pending, replay_diverged, stopped
from .lane_gradients import (
    KIND_EXPR,
    KIND_LINEAR,
    KIND_MLP,
    KIND_POLY,
    KIND_SCALAR,
    _grad,
    lane_gradient,
)
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
    lane_trend,
    lanes_candidates,
    lanes_scale,
    lanes_segment,
    lanes_update,
    stationary,
    window_spacing,
    window_steps,
)

__all__ = [
    "KIND_LINEAR",
    "KIND_MLP",
    "KIND_POLY",
    "KIND_SCALAR",
    "run_lanes",
]


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
    _i1,
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


@numba.njit(inline="always", **_JIT)
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
) -> None:  # pragma: no cover
    """Run ``r`` into lane ``l`` (its first step length is set by :func:`_first_steps`)."""
    P = theta0.shape[1]
    for i in range(P):
        th[i, l] = theta0[r, i]
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


@numba.njit(**_JIT)
def _first_steps(
    blockfn: Any,
    kind: int,
    ip: Any,
    fp: Any,
    nwork: int,
    P: int,
    th: Any,
    lr: Any,
    ll: Any,
    nl: int,
    eprev: Any,
) -> None:  # pragma: no cover
    r"""The first step length :math:`\eta\lVert\nabla L(\theta_0)\rVert` of the runs just
    loaded into lanes ``ll[:nl]``, the reference of their first check (evidence of a fast
    approach): one step of copies of them side by side (the same operations as in the lanes)."""
    NS = th.shape[0]
    xs = np.empty((NS, nl))
    lr1 = np.empty(nl)
    for j in range(nl):
        lr1[j] = lr[ll[j]]
        for i in range(NS):
            xs[i, j] = th[i, ll[j]]
    gs = np.zeros(nl)
    gm = np.zeros(nl)
    h1 = np.empty((1, NS, nl))
    blockfn(kind, ip, fp, xs, np.zeros((P, nl)), np.zeros((max(nwork, 2), nl)), lr1, h1, gs, gm,
            1, 1, 1)  # fmt: skip
    for j in range(nl):
        eprev[0, ll[j]] = lr1[j] * gs[j]


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
    ctl: Any,
) -> None:  # pragma: no cover
    """Run the rows of ``theta0`` (step size ``lrs[r]``) claimed from the shared queue ``ctl``
    to an outcome.

    ``ci = [L, check_every, tail, max_period, max_steps, hard_cap, streak, P, T]`` and
    ``cf = [div_threshold, conv_tol, period_tol, min_orbit, grad_tol, floor_ulps]``; budgets
    are multiples of ``check_every``.  Rows of ``theta0`` are optimiser states of ``NS`` entries:
    the ``P`` parameters first, then the optimiser's buffers; the outcome tests watch the first
    ``T`` entries.  Outputs are written per run, in the rows of the whole batch.

    ``ctl`` (:data:`~dynsys_gd.numeric.engine.lane_divergence.CTL_NEXT` ...) is the queue of
    the call, shared by the kernels of all its threads: a lane whose run has ended takes the
    next unclaimed run of the queue, so the lanes stay full until the queue is empty (no
    straggler tail before it).  When the stop flag is set the kernel returns after the current
    block, with the unfinished runs' outputs unwritten (the caller then raises).
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
    dw = window_spacing(c, H, S)
    W = np.zeros((S + 1, L))
    Dprev = np.full((maxp, L), -1.0)
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
    scale = np.ones(L)
    fin = np.ones(L, dtype=np.bool_)
    flv = np.zeros(L)
    cand = np.zeros(L, dtype=np.bool_)
    lcode = np.full(L, -1, dtype=np.int64)
    lper = np.zeros(L, dtype=np.int64)
    lfloor = np.zeros(L, dtype=np.bool_)
    lq = np.full(L, NO_Q)
    dl = np.zeros(L, dtype=np.int64)
    dr = np.zeros(L, dtype=np.int64)
    dt = np.zeros(L, dtype=np.int64)
    ll = np.zeros(L, dtype=np.int64)
    # the queue of runs waiting for a lane (see lane_divergence.pending): taken, head, tail,
    # screened, decided by screening, screening on (not for MLPs, whose steps are dear, nor for
    # optimisers with buffers)
    qs = np.zeros(6, dtype=np.int64)
    qs[5] = 1 if (kind != KIND_MLP and NS == T) else 0
    pend = np.zeros(L, dtype=np.int64)
    K = min(SCREEN_STEPS, c)
    active = 0
    for l in range(L):
        if qs[1] < qs[2] or pending(
            qs, pend, blockfn, kind, ip, fp, nwork, P, theta0, lrs, K, div, T, o_code, o_steps,
            o_period, o_theta, o_gtail, o_q, o_floor, ctl,
        ):  # fmt: skip
            _load(  # the next pending run into lane l
                l, pend[qs[1]], theta0, lrs, th, lr, run, t, budget, max_steps, eprev, streak,
                rmax, rprev, qmeas,
            )  # fmt: skip
            qs[1] += 1
            ll[active] = l
            active += 1
    if active > 0:
        _first_steps(blockfn, kind, ip, fp, nwork, P, th, lr, ll, active, eprev)
    while active > 0:
        if stopped(ctl):
            return
        if (
            active <= L // 2
            and -(-active // 4) * 4 < L
            and qs[1] >= qs[2]
            and not pending(
                qs, pend, blockfn, kind, ip, fp, nwork, P, theta0, lrs, K, div, T, o_code,
                o_steps, o_period, o_theta, o_gtail, o_q, o_floor, ctl,
            )
        ):  # fmt: skip
            # no run pending: move the active lanes to the front and step only those (a
            # multiple of 4 lanes: the vectorised loops over the lanes then need no scalar
            # remainder; the idle ones hold 0.0 and are ignored)
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
            L = -(-j // 4) * 4
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
            W = np.zeros((S + 1, L))
            scale = np.ones(L)
            fin = np.ones(L, dtype=np.bool_)
            flv = np.zeros(L)
            cand = np.zeros(L, dtype=np.bool_)
            rise = np.ascontiguousarray(rise[:L])
            t = np.ascontiguousarray(t[:L])
            budget = np.ascontiguousarray(budget[:L])
            run = np.ascontiguousarray(run[:L])
            eprev = np.ascontiguousarray(eprev[:, :L])
            streak = np.ascontiguousarray(streak[:, :L])
            rmax = np.ascontiguousarray(rmax[:, :L])
            rprev = np.ascontiguousarray(rprev[:, :L])
            qmeas = np.ascontiguousarray(qmeas[:, :L])
            Dprev = np.ascontiguousarray(Dprev[:, :L])
            seg = np.ascontiguousarray(seg[:, :L])
        for i in range(NS):
            for l in range(L):
                blk[i, l] = th[i, l]
        blockfn(kind, ip, fp, th, g, wk, lr, hist, gsum, gmax, c, tail, H)
        displacements(hist, maxp, E, D)
        if dw > 0:
            window_steps(hist, dw, S, W)
        for l in range(L):
            t[l] = t[l] + c if run[l] >= 0 else t[l]
        lanes_scale(th, T, div, scale, fin)
        for l in range(L):
            flv[l] = F * ULP * scale[l] * c
        lanes_update(E, maxp, flv, S, c, hard, eprev, streak, rmax, rprev, qmeas, rise)
        lanes_candidates(
            E, D, Dprev, maxp, scale, c, S, conv_tol, period_tol, min_orbit, flv, streak, rmax,
            qmeas, W, dw, cand,
        )  # fmt: skip
        lanes_segment(E, D, maxp, t, budget, max_steps // 2, seg)
        for l in range(L):
            lcode[l] = -1
            lq[l] = NO_Q
            if cand[l] and fin[l] and run[l] >= 0:
                lcode[l], lper[l], lfloor[l], lq[l] = lane_classify(
                    E, D, Dprev, l, maxp, scale[l], c, S, conv_tol, period_tol, min_orbit,
                    flv[l], streak, rmax, qmeas, W, dw,
                )  # fmt: skip
        for kk in range(maxp):
            for l in range(L):
                Dprev[kk, l] = D[kk, l]
        nd = 0
        nl = 0
        for l in range(L):
            r = run[l]
            if r < 0:
                continue
            tl = t[l]
            code = lcode[l]
            if not (code != -1 or tl >= budget[l] or not fin[l]):
                continue  # undecided, within the budget: the common case
            period = lper[l] if code != -1 else 0
            floor = lfloor[l] if code != -1 else False
            q_out = 0.0
            if not fin[l]:
                code = C_DIV
                dl[nd] = l  # replayed below, all together
                dr[nd] = r
                dt[nd] = tl - c
                nd += 1
            else:
                gs = gsum[l]
                gm = gmax[l]
                if code == -2:
                    code, floor = stationary(gm, qmeas[0, l])
                if code == -1 and tl >= budget[l]:
                    prog = lane_progressing(l, maxp, S, c, hard, streak, rmax)
                    unsettled = (
                        rise[l] >= RISE or D[maxp - 1, l] < SLOW * scale[l] or lane_trend(l, seg)
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
                    if code == C_CONV and lq[l] < 1.0:
                        q_out = lq[l]  # converged by its window streak
                    elif code == C_CONV:
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
                if qs[1] < qs[2] or pending(
                    qs, pend, blockfn, kind, ip, fp, nwork, P, theta0, lrs, K, div, T, o_code,
                    o_steps, o_period, o_theta, o_gtail, o_q, o_floor, ctl,
                ):  # fmt: skip
                    _load(  # the next pending run into lane l
                        l, pend[qs[1]], theta0, lrs, th, lr, run, t, budget, max_steps, eprev,
                        streak, rmax, rprev, qmeas,
                    )  # fmt: skip
                    qs[1] += 1
                    ll[nl] = l
                    nl += 1
                    for kk in range(maxp):
                        Dprev[kk, l] = -1.0
                    rise[l] = 0
                    for j in range(4):
                        seg[j, l] = 0.0
                else:
                    run[l] = -1
                    lr[l] = 0.0
                    for i in range(NS):
                        th[i, l] = 0.0
                    active -= 1
        if nd > 0:
            replay_diverged(
                blockfn, kind, ip, fp, nwork, P, blk, lrs, dl, dr, dt, nd, c, div, T, o_steps,
                o_theta, o_gtail,
            )  # fmt: skip
        if nl > 0:
            _first_steps(blockfn, kind, ip, fp, nwork, P, th, lr, ll, nl, eprev)


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
    """Lanes per block of the generic kernels: the loops over the lanes are vectorised, and
    short ones pay their loop overhead on every row (8 lanes ran at half the speed of 64 on a
    (16, 16, 16) network); keep the block's state within about 1 MiB (L2 resident)."""
    L = 64
    while L > 8 and rows * L * 8 > 1024 * 1024:
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
                lm.block = generated_block(lines, P, LANES_UP_TO)
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
                lm.block = generated_block(lines, P, LANES_UP_TO)
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
