r"""Benchmark: the convergent fraction near the critical step size, serial vs two processes.

``estimate_convergent_fraction`` on the scalar network N = 5, y = 0.7, initialisations uniform
in [-1.2, 1.2]^5, at 0.995 η* (every run converges, the slowest after about 64,000 steps; long-run
reference 2,000 of 2,000, see ``tests/analysis/test_fraction_references.py``), n = 2,000, default
engine settings.  Reported per executor: the outcome counts (how many runs were decided), wall time
(``time.perf_counter``) and CPU time (``time.process_time`` of this process plus the CPU time of
the worker processes, read with ``resource.getrusage(RUSAGE_CHILDREN)`` after the pool has shut
down).  The serial run and the process-pool run must give the same estimate (checked).

A warm-up call (n = 20) runs first in this process so the serial figure does not include
compilation; the pool's workers compile for themselves and their start-up is included in its
figures (that is what a user waits for).

Run: ``python benchmarks/bench_fraction.py [--n 2000] [--workers 2] [--quick]``.
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import dynsys_gd as dg
from dynsys_gd.analysis.convergence import estimate_convergent_fraction


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--n", type=int, default=2000, help="Monte-Carlo samples (default 2000)")
    ap.add_argument("--workers", type=int, default=2, help="process-pool workers (default 2)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="n = 200 (smoke test)")
    a = ap.parse_args(argv)
    n = 200 if a.quick else a.n
    net = dg.LinearNetwork.scalar(depth=5, target=0.7)
    eta = float(dg.critical_lr(net))
    lr = 0.995 * eta
    kw = {"n_samples": n, "seed": a.seed, "init": "uniform", "init_scale": 1.2}
    print(
        f"estimate_convergent_fraction: {net!r}, lr = 0.995 eta* = {lr:.6g}, "
        f"uniform [-1.2, 1.2]^5, n = {n}, seed = {a.seed}, default engine settings"
    )
    estimate_convergent_fraction(net, lr, n_samples=20, seed=a.seed + 1, init_scale=1.2)

    rows = []
    w0, c0 = time.perf_counter(), time.process_time()
    serial = estimate_convergent_fraction(net, lr, **kw)
    rows.append(("serial", serial, time.perf_counter() - w0, time.process_time() - c0))

    chunk = max(1, math.ceil(n / (2 * a.workers)))
    k0 = _children_cpu()
    w0, c0 = time.perf_counter(), time.process_time()
    with ProcessPoolExecutor(a.workers) as ex:
        pooled = estimate_convergent_fraction(net, lr, executor=ex, chunk_size=chunk, **kw)
    wall = time.perf_counter() - w0
    cpu = time.process_time() - c0 + _children_cpu() - k0
    rows.append((f"processes x{a.workers} (chunk {chunk})", pooled, wall, cpu))

    same = serial.to_dict() == pooled.to_dict()
    for name, est, wall, cpu in rows:
        c = est.counts
        decided = n - est.n_open  # undecided and frozen runs are not decided
        print(
            f"  {name:24s} decided {decided}/{n} ({decided / n:.1%}); converged "
            f"{c['converged']} (to minima {est.n_to_minima}, to saddles {est.n_to_saddles}), "
            f"diverged {c['diverged']}; "
            f"fraction {est.fraction:.4f}, CI [{est.ci_low:.4f}, {est.ci_high:.4f}]; "
            f"wall {wall:.2f} s, CPU {cpu:.2f} s"
        )
    target = rows[1][2] < 10.0 and rows[1][1].n_open <= 0.01 * n
    print(f"  serial and pooled estimates identical: {same}")
    print(
        f"  target (>= 99 % decided and < 10 s wall on {a.workers} workers): "
        f"{'met' if target else 'NOT met'}"
    )
    print(
        f"  CPU ratio serial / pooled: {rows[0][3] / max(rows[1][3], 1e-9):.2f}; wall ratio: "
        f"{rows[0][2] / max(rows[1][2], 1e-9):.2f}"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
