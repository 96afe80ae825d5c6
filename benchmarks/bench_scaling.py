"""Throughput of a learning-rate sweep against the executor (serial, process pool, Dask).

Runs the same :func:`dynsys_gd.analysis.sweep.lr_sweep` (claim C6/C9 estimates: converged
fraction per step size across eta* of a scalar depth-3 network) with

* serial (in-process),
* a ``ProcessPoolExecutor`` with 1 and 2 workers,
* a Dask ``LocalCluster`` with 1 and 2 worker processes, and 2 worker threads in-process,

checks that every executor returns the identical ``SweepResult`` (same seed), and prints wall
time, throughput (GD runs per second), speed-up over serial and the overhead of each path over
serial.  Executor start-up (process spawn, cluster start) is timed separately from the sweep.

Run: ``python benchmarks/bench_scaling.py [--quick] [--n-samples N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import dynsys_gd as dg
from dynsys_gd.analysis.sweep import lr_sweep
from dynsys_gd.runtime.executors import make_executor


def _source_hash() -> str:
    """Hash of the package sources: worker processes import the code afresh, so an edit during
    the run (editable install) would make executors disagree for reasons unrelated to them."""
    root = Path(dg.__file__).parent
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def _sweep(net: Any, lrs: list[float], n: int, chunk: int, executor: Any) -> Any:
    return lr_sweep(net, lrs, n_samples=n, seed=2026, chunk_size=chunk, executor=executor)


def bench(
    label: str,
    factory: Callable[[], Any],
    net: Any,
    lrs: list[float],
    n: int,
    chunk: int,
    repeat: int,
) -> tuple[dict[str, Any], Any]:
    t0 = time.perf_counter()
    ex = factory()
    startup = time.perf_counter() - t0
    try:
        # warm-up (not counted): imports and kernel caches in every worker (4 tasks)
        _sweep(net, lrs[:2], 2 * chunk, chunk, ex)
        times = []
        result = None
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = _sweep(net, lrs, n, chunk, ex)
            times.append(time.perf_counter() - t0)
    finally:
        if ex is not None:
            ex.shutdown()
    best = min(times)
    return {
        "executor": label,
        "startup": startup,
        "time": best,
        "runs_per_s": len(lrs) * n / best,
    }, result


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="small sizes (a few seconds)")
    ap.add_argument("--n-samples", type=int, default=None, help="runs per learning rate")
    ap.add_argument("--repeat", type=int, default=None, help="timed repetitions (best kept)")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask rows")
    args = ap.parse_args()

    n = args.n_samples or (512 if args.quick else 2048)
    repeat = args.repeat or (1 if args.quick else 2)
    chunk = 256
    net = dg.LinearNetwork.scalar(3, 1.0)
    eta = dg.critical_lr(net)
    lrs = [float(r * eta) for r in np.linspace(0.7, 1.2, 6)]
    n_tasks = len(lrs) * -(-n // chunk)

    configs: list[tuple[str, Callable[[], Any]]] = [
        ("serial", lambda: None),
        ("processes x1", lambda: __import__("concurrent.futures").futures.ProcessPoolExecutor(1)),
        ("processes x2", lambda: make_executor(workers=2)),
    ]
    if not args.no_dask:
        configs += [
            ("dask local x1 (proc)", lambda: make_executor(workers=1, scheduler="local")),
            ("dask local x2 (proc)", lambda: make_executor(workers=2, scheduler="local")),
            (
                "dask local x2 (threads)",
                lambda: make_executor(workers=2, scheduler="local", processes=False),
            ),
        ]
    print(
        f"lr_sweep on {net!r}: {len(lrs)} step sizes in [0.7, 1.2] eta* (eta* = {eta:.4g}), "
        f"{n} runs each, chunk_size {chunk} -> {n_tasks} tasks; best of {repeat}; "
        f"os.cpu_count() = {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}"
    )
    src = _source_hash()
    rows, ref = [], None
    for label, factory in configs:
        row, res = bench(label, factory, net, lrs, n, chunk, repeat)
        if ref is None:
            ref = res.to_dict()
        row["identical"] = res.to_dict() == ref
        rows.append(row)
    t_serial = rows[0]["time"]
    print(
        f"\n{'executor':<26}{'startup s':>10}{'sweep s':>9}{'runs/s':>10}{'speed-up':>10}"
        f"{'overhead':>10}{'same result':>13}"
    )
    for r in rows:
        print(
            f"{r['executor']:<26}{r['startup']:>10.2f}{r['time']:>9.2f}{r['runs_per_s']:>10.0f}"
            f"{t_serial / r['time']:>9.2f}x{(r['time'] / t_serial - 1) * 100:>9.0f}%"
            f"{'yes' if r['identical'] else 'NO':>13}"
        )
    print(
        "\nfraction per lr/eta*: "
        + ", ".join(
            f"{lr / eta:.2f}: {f:.3f}" for lr, f in zip(ref["lrs"], ref["fraction"], strict=True)
        )
    )
    if _source_hash() != src:
        print(
            "WARNING: dynsys_gd sources changed during the run (editable install; workers "
            "import fresh code): a 'NO' above may come from the edit, not the executor"
        )
    if not all(r["identical"] for r in rows):
        raise SystemExit("executors disagree")


if __name__ == "__main__":
    main()
