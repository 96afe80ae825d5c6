r"""Runs that leave the divergence threshold, for the compiled lanes
(:mod:`~dynsys_gd.numeric.engine.lanes`): where they left it, and screening them out early.

A run is diverged at a check when its iterate is beyond ``div_threshold`` or not finite; its step
count is the first step beyond the threshold within the last block and its reported iterate the
last one within it (docs/math/convergent-set.md).  The lanes keep only the last few iterates, so
:func:`replay_diverged` steps copies of those runs again from the start of the block, side by side
and a few steps at a time, with the same block function (the same operations: the same bits).

:func:`screen` steps runs :data:`SCREEN_STEPS` steps before they get a lane.  A GD iterate that
is not finite stays not finite (:math:`\infty - x` is :math:`\pm\infty` or NaN, and NaN stays
NaN), so such a run is diverged at its first check whatever happens in between, and its first
step beyond the threshold lies within the screened steps: it is decided there, with the same
step count and iterate, and never occupies a lane for a whole block.  Runs that leave the
threshold within a few steps are common above the critical step size; where they are rare the
screening switches itself off.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from .lane_block import _JIT, fetch_add, load_acquire
from .outcomes import C_DIV

__all__ = [
    "CTL_BLOCK",
    "CTL_NEXT",
    "CTL_STOP",
    "CTL_STRIDE",
    "REPLAY_CHUNK",
    "SCREEN_STEPS",
    "claim_runs",
    "replay_diverged",
    "screen",
    "stopped",
]

#: the divergence replay steps the diverged runs this many steps at a time (most runs that
#: leave the threshold do so within a few steps of their start)
REPLAY_CHUNK = 16


@numba.njit(**_JIT)
def _first_beyond(hk: Any, T: int, div: float) -> Any:  # pragma: no cover
    """For every lane ``j`` of the kept iterates ``hk[K, S, m]``: the first step ``s`` whose
    iterate is non-finite or beyond ``div`` in one of its first ``T`` rows (``K`` if none);
    loops over the lanes innermost (vectorised)."""
    K = hk.shape[0]
    m = hk.shape[2]
    first = np.full(m, K, dtype=np.int64)
    for s in range(K - 1, -1, -1):
        for i in range(T):
            row = hk[s, i]
            for j in range(m):
                first[j] = s if not (abs(row[j]) <= div) else first[j]
    return first


@numba.njit(**_JIT)
def replay_diverged(
    blockfn: Any,
    kind: int,
    ip: Any,
    fp: Any,
    nwork: int,
    P: int,
    blk: Any,
    lrs: Any,
    dl: Any,
    dr: Any,
    dt: Any,
    nd: int,
    c: int,
    div: float,
    T: int,
    o_steps: Any,
    o_theta: Any,
    o_gtail: Any,
) -> None:  # pragma: no cover
    """Replay the last ``c`` steps of the runs ``dr[:nd]`` that ended the check beyond the
    threshold (lanes ``dl``, states at the start of the check in ``blk``, ``dt`` steps done
    before it): side by side, :data:`REPLAY_CHUNK` steps per block call keeping every
    iterate, until each run's first step whose iterate is non-finite or beyond ``div`` in one
    of its first ``T`` rows.  Writes that step and the last iterate within the threshold
    (the state at the start of the check when the first step is beyond it).  The same
    operations per run as in the lanes, so the same bits."""
    NS = blk.shape[0]
    m = nd
    xs = np.empty((NS, m))
    lr1 = np.empty(m)
    who = np.empty(m, dtype=np.int64)
    for j in range(m):
        who[j] = j
        lr1[j] = lrs[dr[j]]
        for i in range(NS):
            xs[i, j] = blk[i, dl[j]]
    done = 0
    while m > 0:
        h = min(REPLAY_CHUNK, c - done)
        rh = np.empty((h, NS, m))
        gs = np.zeros(m)
        gm = np.zeros(m)
        rg = np.zeros((P, m))
        rwk = np.zeros((max(nwork, 2), m))
        x0 = xs.copy()
        blockfn(kind, ip, fp, xs, rg, rwk, lr1, rh, gs, gm, h, 0, h)
        first = _first_beyond(rh, T, div)
        keep = 0
        for j in range(m):
            jj = who[j]
            r = dr[jj]
            s_bad = first[j] if first[j] < h else -1
            if s_bad >= 0 or done + h >= c:
                last = s_bad - 1 if s_bad >= 0 else h - 1
                for i in range(NS):
                    o_theta[r, i] = x0[i, j] if last < 0 else rh[last, i, j]
                o_steps[r] = dt[jj] + done + (s_bad + 1 if s_bad >= 0 else h)
                o_gtail[r] = np.inf
            else:
                who[keep] = jj
                lr1[keep] = lr1[j]
                for i in range(NS):
                    xs[i, keep] = xs[i, j]
                keep += 1
        done += h
        if keep < m:
            m = keep
            xs = np.ascontiguousarray(xs[:, :m])
            lr1 = np.ascontiguousarray(lr1[:m])


#: steps of the screening of :func:`screen` (at most ``check_every``)
SCREEN_STEPS = 16


@numba.njit(**_JIT)
def screen(
    blockfn: Any,
    kind: int,
    ip: Any,
    fp: Any,
    nwork: int,
    P: int,
    theta0: Any,
    lrs: Any,
    rr: Any,
    m: int,
    K: int,
    div: float,
    T: int,
    pend: Any,
    qs: Any,
    o_code: Any,
    o_steps: Any,
    o_period: Any,
    o_theta: Any,
    o_gtail: Any,
    o_q: Any,
    o_floor: Any,
) -> int:  # pragma: no cover
    """Step copies of runs ``rr[:m]`` ``K`` steps side by side, keeping every iterate; those
    whose iterate is then not finite in one of its first ``T`` rows are decided diverged, at
    their first step beyond ``div`` (read off the kept iterates: no replay), the others are
    queued in ``pend`` (``qs[2]`` entries).  Screening runs only when the state is the
    parameters (``T`` rows, no optimiser buffers).  Returns the number decided."""
    NS = theta0.shape[1]
    xs = np.empty((NS, m))
    lr1 = np.empty(m)
    for j in range(m):
        lr1[j] = lrs[rr[j]]
        for i in range(NS):
            xs[i, j] = theta0[rr[j], i]
    gs = np.zeros(m)
    gm = np.zeros(m)
    hk = np.empty((K, NS, m))
    blockfn(kind, ip, fp, xs, np.zeros((P, m)), np.zeros((max(nwork, 2), m)), lr1, hk, gs, gm,
            K, 0, K)  # fmt: skip
    first = _first_beyond(hk, T, div)
    nd = 0
    for j in range(m):
        r = rr[j]
        bad = False
        for i in range(T):
            v = xs[i, j]
            if not (v - v == 0.0):  # inf or NaN
                bad = True
        if bad:
            # the iterates of the screened steps are all kept: the first one beyond the
            # threshold and the last one within it are read off (the same bits a replay of the
            # same steps would give)
            s_bad = first[j]
            for i in range(NS):
                o_theta[r, i] = theta0[r, i] if s_bad == 0 else hk[s_bad - 1, i, j]
            o_steps[r] = s_bad + 1
            o_gtail[r] = np.inf
            nd += 1
            o_code[r] = C_DIV
            o_period[r] = 0
            o_floor[r] = False
            o_q[r] = 0.0
        else:
            pend[qs[2]] = r
            qs[2] += 1
    return nd


@numba.njit(**_JIT)
def pending(
    qs: Any,
    pend: Any,
    blockfn: Any,
    kind: int,
    ip: Any,
    fp: Any,
    nwork: int,
    P: int,
    theta0: Any,
    lrs: Any,
    K: int,
    div: float,
    T: int,
    o_code: Any,
    o_steps: Any,
    o_period: Any,
    o_theta: Any,
    o_gtail: Any,
    o_q: Any,
    o_floor: Any,
    ctl: Any,
) -> bool:  # pragma: no cover
    """Is a run waiting for a lane?  The queue ``pend[qs[1]:qs[2]]`` is refilled with the next
    ``pend.size`` positions of the shared queue of the call (``ctl``, see :func:`claim_runs`),
    screened while ``qs[5]`` is 1; screening stops once at least ``4 pend.size`` runs were
    screened and fewer than 1 in 8 of them were decided (``qs[3]`` screened, ``qs[4]``
    decided).  ``qs[0]`` becomes 1 once the shared queue is empty or the call is stopped."""
    G = pend.shape[0]
    while qs[1] >= qs[2] and qs[0] == 0:
        rr = np.empty(G, dtype=np.int64)
        m = claim_runs(ctl, theta0.shape[0], G, rr)
        if m == 0:
            qs[0] = 1
            break
        qs[1] = 0
        qs[2] = 0
        if qs[5] == 1:
            hits = screen(
                blockfn, kind, ip, fp, nwork, P, theta0, lrs, rr, m, K, div, T, pend, qs, o_code,
                o_steps, o_period, o_theta, o_gtail, o_q, o_floor,
            )  # fmt: skip
            qs[3] += m
            qs[4] += hits
            if qs[3] >= 4 * G and 8 * qs[4] < qs[3]:
                qs[5] = 0
        else:
            for j in range(m):
                pend[j] = rr[j]
            qs[2] = m
    return qs[1] < qs[2]  # type: ignore[no-any-return]


#: the control array of one call shared by the kernels of its threads: the next queue
#: position (claimed atomically), the stop flag, the stride and the block of the queue order
CTL_NEXT, CTL_STOP, CTL_STRIDE, CTL_BLOCK = 0, 1, 2, 3


@numba.njit(**_JIT)
def stopped(ctl: Any) -> bool:  # pragma: no cover
    """Has the caller asked the kernels of the call to stop (an interrupt)?"""
    return load_acquire(ctl, CTL_STOP) != 0  # type: ignore[no-any-return]


@numba.njit(**_JIT)
def claim_runs(ctl: Any, n: int, G: int, rr: Any) -> int:  # pragma: no cover
    r"""Claim the next (at most) ``G`` positions of the call's queue of ``n`` runs and write
    their runs to ``rr``; returns how many (0: the queue is empty, or the call is stopped).

    The queue visits blocks of :math:`B` consecutive runs (``ctl``'s block) in a
    low-discrepancy order: with :math:`f = \lfloor n / B\rfloor` whole blocks, position
    :math:`p = cB + o` (:math:`c < f`, :math:`o < B`) holds run :math:`((c s) \bmod f) B + o`
    for the stride :math:`s` (coprime to :math:`f`) in ``ctl``, and the positions from
    :math:`fB` on hold the last runs in order
    (:func:`~dynsys_gd.numeric.engine.slices.queue_order`): consecutive stretches sample the
    whole batch, and a claim reads and writes consecutive rows.  The positions are claimed with
    one atomic fetch-and-add, so several threads share the queue and every run is taken
    exactly once; which thread and lane run it never changes its result."""
    if stopped(ctl):
        return 0
    p0 = fetch_add(ctl, CTL_NEXT, G)
    if p0 >= n:
        return 0
    m = min(G, n - p0)
    s = ctl[CTL_STRIDE]
    B = ctl[CTL_BLOCK]
    f = n // B
    for j in range(m):
        p = p0 + j
        c = p // B
        rr[j] = ((c * s) % f) * B + (p - c * B) if c < f else p
    return m  # type: ignore[no-any-return]
