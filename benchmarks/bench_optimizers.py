r"""Engine speed per trajectory-step of heavy ball and Nesterov against plain GD.

CPU time of this process, pairs taken one after the other (GD first in odd repeats, the
optimiser first in even ones, so a drift in the machine's load does not favour either), median
of the repeats; the figure is (trajectory-steps per CPU-second of the optimiser) / (the same for
GD), on the same initialisations (the flattest minimum plus Gaussian noise of 0.05, so every run
converges) at 0.9 of each optimiser's own critical step size.  Most of these runs are decided
at their first check (128 steps), so the figure includes the engine's per-run and per-check
work (shared by every optimiser) as well as the steps.  The engine's outcome tests count as far
as they are per step (``limits=False`` skips the post-run Hessians).

``--blocks`` also times the steps alone.  There the ratio is bounded by the arithmetic of the maps:
per step and lane, the compiled blocks do 14 (GD), 20 (heavy ball) and 23 (Nesterov) floating
point operations on the scalar depth-3 network, and 56, 72 and 80 on the whitened (2, 2, 2)
network (counted in the vectorised loops' machine code): heavy ball adds
:math:`m' = \beta m - \eta g`, :math:`\theta' = \theta + m'` (two operations a coordinate
more than GD's :math:`\theta - \eta g`), Nesterov also forms its gradient point
:math:`\theta + \beta m`.  A block bound by the floating-point ports runs at about the inverse
ratio of these counts (0.70 and 0.61 of GD's steps per second on the scalar network, 0.78 and
0.70 on (2, 2, 2)); blocks bound partly by loads, stores and latency do better.  The blocks are
timed in nanoseconds per lane-step (64 lanes, 128 steps a call, from the same
initialisations): the optimiser's update and its gradient, without the driver's outcome tests
and per-run work.

    python benchmarks/bench_optimizers.py [--n 20000] [--repeats 3] [--blocks]
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402

import dynsys_gd as dg  # noqa: E402


def rate(model: object, th: np.ndarray, lr: float, opt: object) -> float:
    cfg = dg.EngineConfig(limits=False, certificate=False)
    t = time.process_time()
    rb = dg.run_gd(model, th, lr, config=cfg, optimizer=opt)  # type: ignore[arg-type]
    return float(rb.steps.sum()) / (time.process_time() - t)


def block_call(model: Any, opt: Any, th: np.ndarray, lr: float, lanes: int = 64) -> Any:
    """A closure doing one block call of 128 steps on ``lanes`` lanes (fresh state each call)."""
    from dynsys_gd.numeric.engine.lanes import lane_model
    from dynsys_gd.numeric.engine.optimizer_blocks import optimizer_block

    lm = lane_model(model)
    assert lm is not None  # the straight-line workloads have a compiled kernel
    P = lm.n_params
    if opt is None:
        blk, fp, S = lm.block, lm.fp, P
    else:
        blk = optimizer_block(opt, lm)
        fp = np.ascontiguousarray(np.concatenate([lm.fp, opt.constants(P)]))
        S = opt.state_size(P)
    st0 = np.zeros((S, lanes))
    st0[:P] = th[:lanes].T
    lrs = np.full(lanes, lr)
    c, tail, H = 128, 64, 16
    g, wk = np.zeros((P, lanes)), np.zeros((max(lm.nwork, 2), lanes))
    hist, gs, gm = np.zeros((H, P, lanes)), np.zeros(lanes), np.zeros(lanes)

    def call(reps: int) -> float:
        st = st0.copy()
        t = time.process_time()
        for _ in range(reps):
            blk(lm.kind, lm.ip, fp, st, g, wk, lrs, hist, gs, gm, c, tail, H)
        return (time.process_time() - t) / (reps * c * lanes) * 1e9

    call(1)
    return call


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--blocks", action="store_true", help="also time the compiled blocks alone")
    a = ap.parse_args()
    W = np.array([[1.5, 0.3], [-0.2, 0.7]])
    workloads = {
        "scalar depth 3": dg.LinearNetwork.scalar(depth=3, target=2.0),
        "whitened (2,2,2)": dg.LinearNetwork.from_covariances((2, 2, 2), Sxx=np.eye(2), Syx=W),
    }
    for name, model in workloads.items():
        P = model.n_params
        star = dg.flattest_minimum(model).point
        th = star + 0.05 * np.random.default_rng(0).standard_normal((a.n, P))
        gd_lr = 0.9 * dg.critical_lr(model)
        for opt in (dg.HeavyBall(0.5), dg.Nesterov(0.5)):
            lr = 0.9 * dg.critical_lr(model, optimizer=opt)
            rate(model, th[:200], gd_lr, None)  # compile and warm both
            rate(model, th[:200], lr, opt)
            ratios = []
            for k in range(a.repeats):
                if k % 2 == 0:
                    g = rate(model, th, gd_lr, None)
                    o = rate(model, th, lr, opt)
                else:
                    o = rate(model, th, lr, opt)
                    g = rate(model, th, gd_lr, None)
                ratios.append(o / g)
            print(
                f"{name:18s} {type(opt).__name__:9s} steps/s ratio to GD: median "
                f"{np.median(ratios):.2f} (runs {', '.join(f'{r:.2f}' for r in ratios)}; "
                f"n = {a.n})"
            )
            if a.blocks:
                gd_call = block_call(model, None, th, gd_lr)
                opt_call = block_call(model, opt, th, lr)
                ns_g, ns_o = [], []
                for _ in range(max(5, a.repeats)):
                    ns_g.append(gd_call(200))
                    ns_o.append(opt_call(200))
                mg, mo = float(np.median(ns_g)), float(np.median(ns_o))
                print(
                    f"{'':18s} {'':9s} blocks alone: GD {mg:.2f} ns, {type(opt).__name__} "
                    f"{mo:.2f} ns per lane-step (ratio {mg / mo:.2f})"
                )


if __name__ == "__main__":
    main()
