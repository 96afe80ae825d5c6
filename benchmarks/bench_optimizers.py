"""Engine speed per trajectory-step of heavy ball and Nesterov against plain GD.

CPU time of this process, pairs taken one after the other, median of 3 repeats; the figure is
(trajectory-steps per CPU-second of the optimiser) / (the same for GD), on the same
initialisations (the flattest minimum plus Gaussian noise of 0.05, so every run converges and the
per-run fixed costs do not dominate) at 0.9 of each optimiser's own critical step size.  The
engine's outcome tests count as far as they are per step (``limits=False`` skips the post-run
Hessians).

    python benchmarks/bench_optimizers.py [--n 20000]
"""

from __future__ import annotations

import argparse
import os
import time

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402

import dynsys_gd as dg  # noqa: E402


def rate(model: object, th: np.ndarray, lr: float, opt: object) -> float:
    cfg = dg.EngineConfig(limits=False, certificate=False)
    t = time.process_time()
    rb = dg.run_gd(model, th, lr, config=cfg, optimizer=opt)  # type: ignore[arg-type]
    return float(rb.steps.sum()) / (time.process_time() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--repeats", type=int, default=3)
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
            for _ in range(a.repeats):
                g = rate(model, th, gd_lr, None)
                o = rate(model, th, lr, opt)
                ratios.append(o / g)
            print(
                f"{name:18s} {type(opt).__name__:9s} steps/s ratio to GD: median "
                f"{np.median(ratios):.2f} (runs {', '.join(f'{r:.2f}' for r in ratios)}; "
                f"n = {a.n})"
            )


if __name__ == "__main__":
    main()
