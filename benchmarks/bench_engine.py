"""Throughput of the GD engine against a fused per-trajectory compiled loop (CPU time).

Run: ``python benchmarks/bench_engine.py [--quick]``.

For each workload (0.9 eta*) the same task is done twice in one process and timed with
``time.process_time``:

* ``run_gd`` (compiled lanes: blocks of runs side by side, outcome tests in the kernel);
* a reference written here: one numba loop per trajectory whose gradient is straight-line code
  generated for the widths of the network (scalar locals, products unrolled), with exactly the
  same classification (it calls the engine's compiled outcome tests on the same statistics).

Both classify every run identically and take the same steps (checked and printed), so the
ratio of CPU times is the ratio of throughputs.  The engine's annotations of converged limits
(Hessian spectra and certificate, LAPACK after the runs; ``EngineConfig(limits=False,
certificate=False)``) are not part of that task and are switched off; with them on, the
(4,4,4,4) row spends more time in the 48 x 48 Hessian spectra than in the steps.  The MLP rows
compare ``run_gd`` (the compiled MLP kernel) with the engine as it was before the compiled
lanes (``benchmarks/legacy_engine.py``: numpy, the MLP's own batched gradient through BLAS), on
the same initialisations with a fixed number of steps, in trajectory-steps per CPU-second
(the two classify differently, so this is a rate, not a like-for-like task).
"""

from __future__ import annotations

import os

# CPU time of the process counts BLAS worker threads that spin after a call (numpy's OpenBLAS,
# scikit-learn's OpenMP when the digits data are loaded): the tasks timed here are
# single-threaded, so the thread pools are held to one thread before numpy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import time
from typing import Any

import numpy as np

import dynsys_gd as dg
from dynsys_gd.numeric.engine import EngineConfig, run_gd

# --------------------------------------------------------------------------------------------
# straight-line gradient code for the widths (same operations, same order as the kernels)
# --------------------------------------------------------------------------------------------


def _scalar_source(N: int, sxx: float, syx: float) -> list[str]:
    """Straight-line gradient code of a scalar network (the engine's generator)."""
    from dynsys_gd.numeric.engine.lanes import scalar_lines

    return scalar_lines(N, sxx, syx)


def _matrix_source(widths: tuple[int, ...], Sxx: Any, Syx: Any) -> list[str]:
    """Straight-line gradient code for the widths of a linear network (the engine's generator:
    products unrolled into scalar locals)."""
    from dynsys_gd.numeric.engine.lanes import matrix_lines

    return matrix_lines(widths, Sxx, Syx)


_DRIVER = """
import math
import numpy as np
import numba
from dynsys_gd.numeric.engine.outcomes import (displacements, lane_update, lane_classify,
stationary,
    lane_progressing, at_budget, lane_segment, lane_trend, ULP, RISE, SLOW, NO_Q, C_DIV,
    C_CONV, C_PER)

@numba.njit(error_model="numpy")
def grad(xv, gv):
{unpack}
{body}
{pack}

@numba.njit(error_model="numpy")
def run(theta0, lrs, ci, cf, o_code, o_steps, o_period):
    n, P = theta0.shape
    c = ci[1]; tail = ci[2]; maxp = ci[3]; max_steps = ci[4]; hard = ci[5]; S = ci[6]
    div = cf[0]; conv_tol = cf[1]; period_tol = cf[2]; min_orbit = cf[3]; grad_tol = cf[4]
    F = cf[5]
    H = 2 * maxp
    x = np.empty(P); g = np.empty(P); blk = np.empty(P); rx = np.empty(P)
    hist = np.empty((H, P, 1)); E = np.empty((maxp, 1)); D = np.empty((maxp, 1))
    eprev = np.empty((maxp, 1)); streak = np.empty((maxp, 1), dtype=np.int64)
    rmax = np.empty((maxp, 1)); rprev = np.empty((maxp, 1)); qmeas = np.empty((maxp, 1))
    Dprev = np.empty((maxp, 1)); rise = np.zeros(1, dtype=np.int64); seg = np.zeros((4, 1))
    for r in range(n):
        lr = lrs[r]
        for i in range(P):
            x[i] = theta0[r, i]
        grad(x, g)
        gg = g[0] * g[0]
        for i in range(1, P):
            gg = gg + g[i] * g[i]
        eprev[:, 0] = -1.0; streak[:, 0] = 0; rmax[:, 0] = 0.0; rprev[:, 0] = np.inf
        qmeas[:, 0] = NO_Q; Dprev[:, 0] = -1.0; rise[0] = 0; seg[:, 0] = 0.0
        eprev[0, 0] = lr * math.sqrt(gg)
        t = 0
        budget = max_steps
        while True:
            for i in range(P):
                blk[i] = x[i]
            for s in range(c):
                grad(x, g)
                for i in range(P):
                    x[i] = x[i] - lr * g[i]
                if s >= c - H:
                    for i in range(P):
                        hist[s - (c - H), i, 0] = x[i]
            t += c
            scale = 1.0
            finite = True
            for i in range(P):
                v = abs(x[i])
                if not (v <= div):
                    finite = False
                elif v > scale:
                    scale = v
            if not finite:
                for i in range(P):
                    rx[i] = blk[i]
                sb = c
                for s in range(c):
                    grad(rx, g)
                    bad = False
                    for i in range(P):
                        if not (abs(rx[i] - lr * g[i]) <= div):
                            bad = True
                    if bad:
                        sb = s + 1
                        break
                    for i in range(P):
                        rx[i] = rx[i] - lr * g[i]
                o_code[r] = C_DIV; o_steps[r] = t - c + sb; o_period[r] = 0
                break
            displacements(hist, maxp, E, D)
            flv = F * ULP * scale * c
            lane_update(E, 0, maxp, flv, S, c, hard, eprev, streak, rmax, rprev, qmeas, rise)
            code, period, floor = lane_classify(E, D, Dprev, 0, maxp, scale, c, S, conv_tol,
                                                period_tol, min_orbit, flv, streak, rmax, qmeas)
            for kk in range(maxp):
                Dprev[kk, 0] = D[kk, 0]
            lane_segment(E, D, 0, maxp, t > budget - max_steps // 2, seg)
            gm = 0.0
            if code != -1 or t >= budget:
                for i in range(P):
                    rx[i] = blk[i]
                for s in range(c):
                    grad(rx, g)
                    if s >= c - tail:
                        gg = g[0] * g[0]
                        for i in range(1, P):
                            gg = gg + g[i] * g[i]
                        gn = math.sqrt(gg)
                        if gn > gm:
                            gm = gn
                    for i in range(P):
                        rx[i] = rx[i] - lr * g[i]
            if code == -2:
                code, floor = stationary(gm, qmeas[0, 0])
            if code == -1 and t >= budget:
                prog = lane_progressing(0, maxp, S, c, hard, streak, rmax)
                unsettled = rise[0] >= RISE or D[maxp - 1, 0] < SLOW * scale or lane_trend(0, seg)
                code, budget = at_budget(prog, unsettled, budget, hard, max_steps, gm, grad_tol)
                if code == -1:
                    seg[:, 0] = 0.0
            if code != -1:
                o_code[r] = code; o_steps[r] = t; o_period[r] = period
                break
"""


def make_reference(source: list[str], P: int) -> Any:
    """Compile the per-trajectory reference loop around straight-line gradient code."""
    unpack = "\n".join(f"    x{i} = xv[{i}]" for i in range(P))
    body = "\n".join("    " + ln for ln in source)
    pack = "\n".join(f"    gv[{i}] = g{i}" for i in range(P))
    ns: dict[str, Any] = {}
    exec(compile(_DRIVER.format(unpack=unpack, body=body, pack=pack), "<reference>", "exec"), ns)
    return ns["run"]


def reference_run(ref: Any, th: np.ndarray, lr: float, cfg: EngineConfig) -> dict[str, Any]:
    from dynsys_gd.numeric.engine.run import _engine_arrays

    n = th.shape[0]
    ci, cf = _engine_arrays(cfg, True, 1)
    out = {
        "code": np.zeros(n, dtype=np.int8),
        "steps": np.zeros(n, dtype=np.int64),
        "period": np.zeros(n, dtype=np.int64),
    }
    ref(np.ascontiguousarray(th), np.full(n, lr), ci, cf, out["code"], out["steps"], out["period"])
    return out


def bench_linear(
    name: str, net: Any, source: list[str], th: np.ndarray, lr: float, cfg: EngineConfig
) -> tuple[str, float, float, bool, dict[str, int]]:
    P = net.n_params
    ref = make_reference(source, P)
    run_gd(net, th[:8], lr, config=cfg)  # warm-up (compiled kernels are cached on disk)
    reference_run(ref, th[:8], lr, cfg)  # compile the reference
    t0 = time.process_time()
    rb = run_gd(net, th, lr, config=cfg)
    t_eng = time.process_time() - t0
    t0 = time.process_time()
    ro = reference_run(ref, th, lr, cfg)
    t_ref = time.process_time() - t0
    same = bool(
        np.array_equal(rb.outcome, ro["code"])
        and np.array_equal(rb.steps, ro["steps"])
        and np.array_equal(rb.period, ro["period"])
    )
    steps = float(rb.steps.sum())
    return name, steps / t_eng, steps / t_ref, same, rb.counts()


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small batches (smoke test)")
    args = ap.parse_args()
    big = 1000 if args.quick else 20000
    small = 200 if args.quick else 2000
    # the task is the classification: the annotations of converged limits (Hessian spectra and
    # certificate, LAPACK after the runs) are not part of it and are switched off
    cfg = EngineConfig(certificate=False, limits=False)
    rows = []

    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    lr = 0.9 * 2 / (3 * 2 ** (4 / 3))
    th = np.random.default_rng(0).uniform(-2, 2, (big, 3))
    rows.append(
        bench_linear(f"scalar N=3, y=2, n={big}", net, _scalar_source(3, 1.0, 2.0), th, lr, cfg)
    )

    net = dg.LinearNetwork.scalar(depth=10, target=1.0)
    lr = 0.9 * 2 / 10
    rng = np.random.default_rng(1)
    th = rng.choice([-1.0, 1.0], (small, 10)) * rng.uniform(0.7, 1.3, (small, 10))
    rows.append(
        bench_linear(f"scalar N=10, y=1, n={small}", net, _scalar_source(10, 1.0, 1.0), th, lr, cfg)
    )

    Ws = np.array([[1.5, 0.3], [-0.2, 0.7]])
    net = dg.LinearNetwork.from_covariances((2, 2, 2), Sxx=np.eye(2), Syx=Ws)
    lr = 0.9 * 2 / 3.062329
    th = np.random.default_rng(2).normal(0.0, 1.0, (big, 8))
    rows.append(
        bench_linear(
            f"whitened (2,2,2), n={big}",
            net,
            _matrix_source((2, 2, 2), net.Sxx, net.Syx),
            th,
            lr,
            cfg,
        )
    )

    W4 = np.array(
        [[1.2, 0.3, 0.0, -0.1], [0.2, 0.9, 0.1, 0.0], [0.0, -0.2, 0.8, 0.3], [0.1, 0.0, 0.2, 0.6]]
    )
    net = dg.LinearNetwork.from_covariances((4, 4, 4, 4), Sxx=np.eye(4), Syx=W4)
    s1 = float(np.linalg.svd(W4, compute_uv=False)[0])
    lr = 0.9 * 2 / (3 * s1 ** (4 / 3))
    th = np.random.default_rng(3).normal(0.0, 0.5, (small, net.n_params))
    rows.append(
        bench_linear(
            f"whitened (4,4,4,4), n={small}",
            net,
            _matrix_source((4, 4, 4, 4), net.Sxx, net.Syx),
            th,
            lr,
            cfg,
        )
    )

    print("CPU time (time.process_time), one process; rates in trajectory-steps per second")
    print(f"{'workload':30s} {'engine':>10s} {'reference':>10s} {'ratio':>7s}  same runs")
    for name, eng, ref, same, _ in rows:
        print(f"{name:30s} {eng:10.3g} {ref:10.3g} {eng / ref:7.2f}  {same}")
    for name, *_, counts in rows:
        print(f"  engine outcomes, {name}: {counts}")
    mlp_rows(args.quick)


def mlp_rows(quick: bool) -> None:
    """MLPs: trajectory-steps per CPU-second of run_gd (compiled MLP kernel) against the engine
    as it was before the compiled lanes (``legacy_engine.py``: numpy, the MLP's own batched
    gradient through BLAS), on the same initialisations with a fixed step budget."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import legacy_engine

    from dynsys_gd.models.datasets import digits_dataset

    ds = digits_dataset()
    cases = [((8, 16, 1), 8)] if quick else [((8, 16, 1), 16), ((8, 16, 1), 256), ((8, 32, 1), 128)]
    steps = 128 if quick else 1024
    print(f"MLPs (tanh, digits, {ds.X.shape[0]} points), {steps} steps per run, lr 0.3")
    print(f"{'workload':30s} {'run_gd':>10s} {'before':>10s} {'ratio':>7s}")
    for widths, n in cases:
        mlp = dg.MLP(widths, "tanh", X=ds.X, Y=ds.Y)
        th = mlp.init(np.random.default_rng(0), n)
        cfg = EngineConfig(max_steps=steps, adaptive=False, certificate=False, limits=False)
        old_cfg = legacy_engine.EngineConfig(max_steps=steps, adaptive=False, certificate=False)
        run_gd(mlp, th[:2], 0.3, config=EngineConfig(max_steps=128, adaptive=False))  # warm-up
        legacy_engine.run_gd(mlp, th[:2], 0.3, config=legacy_engine.EngineConfig(max_steps=100))
        t0 = time.process_time()
        rb = run_gd(mlp, th, 0.3, config=cfg)
        t_new = time.process_time() - t0
        t0 = time.process_time()
        ro = legacy_engine.run_gd(mlp, th, 0.3, config=old_cfg)
        t_old = time.process_time() - t0
        r_new = rb.steps.sum() / t_new
        r_old = ro.steps.sum() / t_old
        name = f"MLP {widths}, n={n}"
        print(f"{name:30s} {r_new:10.3g} {r_old:10.3g} {r_new / r_old:7.2f}")
        print(f"  engine outcomes, {name}: {rb.counts()}")


if __name__ == "__main__":
    main()
