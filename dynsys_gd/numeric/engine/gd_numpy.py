r"""Plain numpy reference path of the GD engine (``run_gd(..., backend="numpy")``).

The same algorithm as the compiled lanes (:mod:`~dynsys_gd.numeric.engine.lanes`): blocks of
``check_every`` steps on the whole batch of still-running runs (parameter-major columns
``th[P, B]``), then the outcome tests of :mod:`~dynsys_gd.numeric.engine.outcomes` (``batch_*``) on
every
run, then compaction.  For the models the compiled path covers, the gradients here perform the
same IEEE operations in the same order as the kernels (elementwise numpy operations never fuse
a multiply and an add), so both paths give bit-identical iterates, outcomes and step counts;
the tests check it run by run.  Any other :class:`~dynsys_gd.numeric.kernels.NumericModel` (a
user's model, a loss no compiled kernel covers) runs here with its own batched ``gradient``.

This path also serves recording (:class:`~dynsys_gd.numeric.engine.RecordSpec`): a recorded run
is replayed here with a hook that keeps every k-th iterate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .outcomes import (
    C_CONV,
    C_DIV,
    C_PER,
    RISE,
    SLOW,
    ULP,
    BatchState,
    batch_at_budget,
    batch_classify,
    batch_displacements,
    batch_progressing,
    batch_segment,
    batch_stationary,
    batch_trend,
    batch_update,
    batch_window_steps,
    window_spacing,
)

__all__ = ["column_gradient", "run_numpy"]

Array = NDArray[Any]
ColGrad = Callable[[Array], Array]


def _scalar_cols(ip: Array, fp: Array) -> ColGrad:
    N = int(ip[0])
    sxx = float(fp[0])
    syx = float(fp[1])

    def grad(th: Array) -> Array:
        B = th.shape[1]
        g = np.empty_like(th)
        g[0] = 1.0
        for i in range(1, N):
            g[i] = g[i - 1] * th[i - 1]
        suf = np.ones(B)
        for i in range(N - 2, -1, -1):
            suf = suf * th[i + 1]
            g[i] = g[i] * suf
        p = g[0] * th[0]
        r = sxx * p - syx
        for i in range(N):
            g[i] = g[i] * r
        return g

    return grad


def _mm(
    A: Array,
    ao: int,
    ars: int,
    acs: int,
    Bm: Array,
    bo: int,
    brs: int,
    bcs: int,
    O: Array,
    oo: int,
    n: int,
    k: int,
    m: int,
) -> None:
    for i in range(n):
        for j in range(m):
            a0 = ao + i * ars
            b0 = bo + j * bcs
            acc = A[a0] * Bm[b0]
            for q in range(1, k):
                acc = acc + A[a0 + q * acs] * Bm[b0 + q * brs]
            O[oo + i * m + j] = acc


def _linear_cols(ip: Array, fp: Array, nwork: int) -> ColGrad:
    N = int(ip[0])
    d = [int(x) for x in ip[1 : N + 2]]
    off = [int(x) for x in ip[N + 2 : 2 * N + 3]]
    pre = [int(x) for x in ip[2 * N + 3 : 3 * N + 3]]
    suf = [int(x) for x in ip[3 * N + 3 : 4 * N + 3]]
    Wo, Ro, To = (int(x) for x in ip[4 * N + 3 : 4 * N + 6])
    d0, dN = d[0], d[N]
    Sxx = [float(x) for x in fp[: d0 * d0]]
    Syx = [float(x) for x in fp[d0 * d0 :]]

    def grad(th: Array) -> Array:
        B = th.shape[1]
        wk = np.empty((max(nwork, 2), B))
        g = np.empty_like(th)
        if N >= 2:
            wk[pre[1] : pre[1] + d[1] * d[0]] = th[off[0] : off[0] + d[1] * d[0]]
        for j in range(2, N):
            _mm(
                th,
                off[j - 1],
                d[j - 1],
                1,
                wk,
                pre[j - 1],
                d[0],
                1,
                wk,
                pre[j],
                d[j],
                d[j - 1],
                d[0],
            )
        if N >= 2:
            wk[suf[N - 2] : suf[N - 2] + d[N] * d[N - 1]] = th[
                off[N - 1] : off[N - 1] + d[N] * d[N - 1]
            ]
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
        if N >= 2:
            _mm(wk, suf[0], d[1], 1, th, off[0], d[0], 1, wk, Wo, dN, d[1], d0)
        else:
            wk[Wo : Wo + dN * d0] = th[off[0] : off[0] + dN * d0]
        for r in range(dN):
            for c in range(d0):
                acc = None
                for q in range(d0):
                    cf = Sxx[q * d0 + c]
                    if cf == 0.0:
                        continue
                    src = wk[Wo + r * d0 + q]
                    term = src if cf == 1.0 else cf * src
                    acc = term.copy() if acc is None else acc + term
                if acc is None:
                    acc = np.zeros(B)
                wk[Ro + r * d0 + c] = acc - Syx[r * d0 + c]
        for j in range(N):
            a, b = d[j + 1], d[j]
            if j < N - 1:
                if j > 0:
                    _mm(wk, suf[j], 1, a, wk, Ro, d0, 1, wk, To, a, dN, d0)
                    _mm(wk, To, d0, 1, wk, pre[j], 1, d0, g, off[j], a, d0, b)
                else:
                    _mm(wk, suf[j], 1, a, wk, Ro, d0, 1, g, off[j], a, dN, d0)
            elif j > 0:
                _mm(wk, Ro, d0, 1, wk, pre[j], 1, d0, g, off[j], a, d0, b)
            else:
                g[off[j] : off[j] + a * b] = wk[Ro : Ro + a * b]
        return g

    return grad


def _poly_cols(ip: Array, fp: Array) -> ColGrad:
    nv, md, M = int(ip[0]), int(ip[1]), int(ip[2])
    exps = np.asarray(ip[3 : 3 + M * nv]).reshape(M, nv)
    po = 3 + M * nv
    indptr = [int(x) for x in ip[po : po + nv + 1]]
    indices = [int(x) for x in ip[po + nv + 1 :]]
    coeffs = [float(x) for x in fp]
    mons = [[(k, int(e)) for k, e in enumerate(row) if e] for row in exps.tolist()]

    def grad(th: Array) -> Array:
        B = th.shape[1]
        pw = [[th[k]] for k in range(nv)]
        for k in range(nv):
            for _ in range(2, md + 1):
                pw[k].append(pw[k][-1] * th[k])
        mon = []
        for fac in mons:
            if not fac:
                mon.append(np.ones(B))
                continue
            k, e = fac[0]
            v = pw[k][e - 1]
            for k, e in fac[1:]:
                v = v * pw[k][e - 1]
            mon.append(v)
        g = np.empty_like(th)
        for r in range(nv):
            a, b = indptr[r], indptr[r + 1]
            if a == b:
                g[r] = 0.0
                continue
            acc = coeffs[a] * mon[indices[a]]
            for z in range(a + 1, b):
                acc = acc + coeffs[z] * mon[indices[z]]
            g[r] = acc
        return g

    return grad


def column_gradient(model: Any, lane_model: Any = None) -> ColGrad:
    """Gradient of parameter-major columns ``(P, B)`` for ``model``: the reference twin of the
    compiled kernel when there is one (``lane_model``), else the model's own batched gradient."""
    from .codegen import expr_gradient
    from .lane_gradients import KIND_EXPR, KIND_LINEAR, KIND_MLP, KIND_SCALAR
    from .mlp_kernel import mlp_columns

    if lane_model is not None and lane_model.kind == KIND_EXPR:
        f = expr_gradient(lane_model.lines, lane_model.n_params)

        def grad_expr(th: Array) -> Array:
            g = np.empty_like(th)
            for b in range(th.shape[1]):
                try:
                    g[:, b] = f(th[:, b].tolist())
                except (OverflowError, ValueError, ZeroDivisionError):
                    g[:, b] = np.nan  # math raises where IEEE gives inf / nan: a non-finite step
            return g

        return grad_expr
    if lane_model is not None:
        if lane_model.kind == KIND_SCALAR:
            return _scalar_cols(lane_model.ip, lane_model.fp)
        if lane_model.kind == KIND_LINEAR:
            return _linear_cols(lane_model.ip, lane_model.fp, lane_model.nwork)
        if lane_model.kind == KIND_MLP:
            return mlp_columns(lane_model.ip, lane_model.fp)
        return _poly_cols(lane_model.ip, lane_model.fp)
    from ..kernels import numeric_model

    m = numeric_model(model)

    def grad(th: Array) -> Array:
        return np.ascontiguousarray(
            np.asarray(m.gradient(np.ascontiguousarray(th.T)), dtype=np.float64).T
        )

    return grad


def _norms(g: Array) -> Array:
    acc = g[0] * g[0]
    for i in range(1, g.shape[0]):
        acc = acc + g[i] * g[i]
    return np.sqrt(acc)


def _norms_fast(g: Array) -> Array:
    return np.sqrt(np.einsum("ij,ij->j", g, g))


def _displacements_fast(hist: Array, maxp: int) -> tuple[Array, Array]:
    """(E, D) of
    :func:`~dynsys_gd.numeric.engine.outcomes.batch_displacements` with vectorised norms
    (for models without a compiled twin, where no bit-identity with the kernels is needed)."""
    H = hist.shape[0]
    steps = [_norms_fast(hist[H - 1 - j] - hist[H - 2 - j]) for j in range(maxp)]
    E = np.zeros((maxp, hist.shape[2]))
    D = np.zeros_like(E)
    E[0] = np.maximum(steps[0], steps[1])
    D[0] = D[1] = E[0]
    for k in range(2, maxp + 1):
        E[k - 1] = np.max(
            [_norms_fast(hist[H - 1 - j] - hist[H - 1 - j - k]) for j in range(k)], axis=0
        )
        if k >= 3:
            D[k - 1] = np.maximum(D[k - 2], steps[k - 1])
    return E, D


def _window_fast(hist: Array, d: int, S: int) -> Array:
    """:func:`~dynsys_gd.numeric.engine.outcomes.batch_window_steps` with vectorised norms."""
    H = hist.shape[0]
    return np.array([_norms_fast(hist[H - 1 - m * d] - hist[H - 2 - m * d]) for m in range(S + 1)])


def gd_step(grad: ColGrad, th: Array, lr: Array) -> Array:
    r"""One GD step of columns, :math:`\theta - \eta\nabla L(\theta)` (the default ``step`` of
    :func:`run_numpy`; the rule of :class:`~dynsys_gd.optimizers.GD` on whole arrays)."""
    return th - lr * grad(th)


def _replay_divergence(
    grad: ColGrad, blk: Array, lr: Array, c: int, div: float, step: Any, T: int
) -> tuple[Array, Array]:
    """Replay a block of runs that ended beyond the threshold: the first step whose state is
    beyond ``div`` (or not finite) in its first ``T`` rows and the last state within it (as the
    compiled replay)."""
    th = blk.copy()
    first = np.full(th.shape[1], c, dtype=np.int64)
    last = th.copy()
    live = np.ones(th.shape[1], dtype=bool)
    for s in range(c):
        new = step(grad, th, lr)
        bad = live & ~np.all(np.abs(new[:T]) <= div, axis=0)
        first[bad] = s + 1
        live &= ~bad
        last[:, live] = new[:, live]
        if not live.any():
            break
        th = new
    return first, last


def run_numpy(
    grad: ColGrad,
    theta0: Array,
    lrs: Array,
    ci: Array,
    cf: Array,
    hook: Callable[[Array, Array, int], None] | None = None,
    exact: bool = True,
    step: Callable[..., Array] | None = None,
    point: Callable[[Array], Array] | None = None,
) -> dict[str, Array]:
    """The reference engine: same inputs and outputs as
    :func:`~dynsys_gd.numeric.engine.lanes.run_lanes`
    (``hook(idx, th_cols, t)`` is called after every step with the run indices and iterates).

    ``exact=False`` (models without a compiled twin) computes norms with vectorised sums instead
    of the kernels' sequential order: faster for many parameters, same rules.

    Rows of ``theta0`` are optimiser states (parameters first); ``step(grad, st, lr)`` is the
    optimiser's numpy step on columns (default: GD) and ``point(st)`` its gradient point (default:
    the parameters)."""
    norms = _norms if exact else _norms_fast
    n, SZ = theta0.shape
    _L, c, tail, maxp, max_steps, hard, S, P, T = (int(x) for x in ci)
    step = step or gd_step
    point = point or (lambda st_cols: st_cols[:P])
    last_g: list[Array] = []

    def grad_kept(y: Array) -> Array:  # the gradient of the step, kept for its norm
        g = grad(y)
        last_g[:] = [g]
        return g

    div, conv_tol, period_tol, min_orbit, grad_tol, F = (float(x) for x in cf)
    H = 2 * maxp
    dw = int(window_spacing(c, H, S))
    o_code = np.full(n, -1, dtype=np.int8)
    o_steps = np.zeros(n, dtype=np.int64)
    o_period = np.zeros(n, dtype=np.int64)
    o_theta = np.zeros((n, SZ))
    o_gtail = np.zeros(n)
    o_q = np.zeros(n)
    o_floor = np.zeros(n, dtype=bool)
    idx = np.arange(n)
    th = np.ascontiguousarray(theta0.T, dtype=np.float64).copy()
    lr = np.asarray(lrs, dtype=np.float64).copy()
    st = BatchState(maxp, n)
    budget = np.full(n, max_steps, dtype=np.int64)
    seg = np.zeros((4, n))
    t = 0
    with np.errstate(all="ignore"):
        st.eprev[0] = lr * norms(grad(point(th)))
        while idx.size:
            blk = th.copy()
            hist = np.empty((H, T, idx.size))
            gsum = np.zeros(idx.size)
            gmax = np.zeros(idx.size)
            for s in range(c):
                th = step(grad_kept, th, lr)
                if s >= c - tail:
                    gn = norms(last_g[0])
                    gsum = gsum + gn
                    gmax = np.where(gn > gmax, gn, gmax)
                if hook is not None:
                    hook(idx, th, t + s + 1)
                if s >= c - H:
                    hist[s - (c - H)] = th[:T]
            t += c
            finite = np.all(np.abs(th[:T]) <= div, axis=0)
            scale = np.maximum(1.0, np.max(np.where(finite, np.abs(th[:T]), 0.0), axis=0))
            code = np.full(idx.size, -1, dtype=np.int64)
            period = np.zeros(idx.size, dtype=np.int64)
            floor = np.zeros(idx.size, dtype=bool)
            q_out = np.zeros(idx.size)
            bad = ~finite
            if bad.any():
                o = idx[bad]
                first_bad, last_ok = _replay_divergence(grad, blk[:, bad], lr[bad], c, div, step, T)
                o_steps[o] = t - c + first_bad
                o_theta[o] = last_ok.T
                o_gtail[o] = np.inf
                code[bad] = C_DIV
            E, D = batch_displacements(hist, maxp) if exact else _displacements_fast(hist, maxp)
            if dw == 0:  # no window streak: W is not read
                W = np.zeros((S + 1, idx.size))
            else:
                W = batch_window_steps(hist, dw, S) if exact else _window_fast(hist, dw, S)
            flv = F * ULP * scale * c
            good = ~bad
            sub = BatchState(maxp, int(good.sum()))
            for name in ("eprev", "streak", "rmax", "rprev", "qmeas", "Dprev"):
                setattr(sub, name, getattr(st, name)[:, good])
            sub.rise = st.rise[good]
            Eg, Dg = E[:, good], D[:, good]
            batch_update(Eg, sub, flv[good], S, c, hard)
            cg, pg, fg, qw = batch_classify(
                Eg,
                Dg,
                sub,
                scale[good],
                c,
                S,
                conv_tol,
                period_tol,
                min_orbit,
                flv[good],
                W[:, good],
                dw,
            )
            sub.Dprev = Dg.copy()
            sg = seg[:, good]
            batch_segment(Eg, Dg, t > budget[good] - max_steps // 2, sg)
            gm = gmax[good]
            m2 = cg == -2
            if m2.any():
                sc, sf = batch_stationary(gm[m2], sub.qmeas[0][m2])
                cg[m2] = sc
                fg[m2] = sf
            bud = budget[good]
            atb = (cg == -1) & (t >= bud)
            if atb.any():
                prog = batch_progressing(sub, S, c, hard)
                unsettled = (
                    (sub.rise >= RISE) | (Dg[maxp - 1] < SLOW * scale[good]) | batch_trend(sg)
                )
                bc, nb = batch_at_budget(
                    prog[atb], unsettled[atb], bud[atb], hard, max_steps, gm[atb], grad_tol
                )
                cg[atb] = bc
                bud[atb] = nb
                ext = np.flatnonzero(atb)[bc == -1]
                sg[:, ext] = 0.0
            seg[:, good] = sg
            budget[good] = bud
            # write back the state
            for name in ("eprev", "streak", "rmax", "rprev", "qmeas", "Dprev"):
                arr = getattr(st, name)
                arr[:, good] = getattr(sub, name)
            st.rise[good] = sub.rise
            code[good] = cg
            period[good] = pg
            floor[good] = fg
            gi = np.flatnonzero(good)
            q1 = sub.qmeas[0]
            conv = cg == C_CONV
            q_out[gi[conv]] = np.where(
                qw[conv] < 1.0,  # converged by its window streak
                qw[conv],
                np.where(q1[conv] < 1.0, q1[conv], sub.rmax[0][conv]),
            )
            per = cg == C_PER
            if per.any():
                kk = pg[per] - 1
                cols = np.flatnonzero(per)
                qk = sub.qmeas[kk, cols]
                q_out[gi[per]] = np.where(qk < 1.0, qk, sub.rmax[kk, cols])
            done = code != -1
            if done.any():
                o = idx[done]
                o_code[o] = code[done]
                o_period[o] = period[done]
                o_floor[o] = floor[done]
                o_q[o] = q_out[done]
                fin = done & good
                of = idx[fin]
                o_steps[of] = t
                o_theta[of] = th[:, fin].T
                o_gtail[of] = gsum[fin] / tail
                keep = ~done
                idx = idx[keep]
                th = np.ascontiguousarray(th[:, keep])
                lr = lr[keep]
                budget = budget[keep]
                seg = seg[:, keep]
                st.take(keep)
    return {
        "code": o_code,
        "steps": o_steps,
        "period": o_period,
        "theta": o_theta,
        "gtail": o_gtail,
        "q": o_q,
        "floor": o_floor,
    }
