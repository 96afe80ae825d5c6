"""Wall time of the default calls on every core against one core, and what the machine allows.

Run: ``python benchmarks/bench_threads.py [--pairs K] [--quick]`` (Linux: it pins the process to
one core with ``os.sched_setaffinity`` for the serial runs).

For ``n`` = 100,000 and 200,000 runs, on the scalar depth-3 network (uniform
:math:`[-2, 2]^3`) and the whitened (2, 2, 2) network (:math:`N(0, I)` for the estimate,
uniform :math:`[-2, 2]^8` for ``run_gd``), each at 0.9 :math:`\\eta^*`:

* ``estimate_convergent_fraction(...)`` with its defaults (threads over its work units), and
* ``run_gd(net, theta0, lr)`` with its defaults (its kernels' threads share one queue of runs;
  the losses and limit annotations after the runs are split over the same threads),

each timed on one core (affinity to core 0: the toolkit then chooses one thread) and on all
cores, in alternating pairs; printed: the median times, their ratio, the spread of the per-pair
ratios and whether both give the same result (bit for bit for ``run_gd``).

The ceiling of the machine is measured the same way on work that shares nothing: two copies of a
plain numba loop written here (one per thread, no GIL), against one copy alone.  On a virtual
machine with noisy neighbours this ceiling is below 2, and it varies from run to run.  The plain
loop is a chain of dependent operations (bound by latency); a second ceiling repeats the
measurement with a vectorised loop bound by the throughput of the execution ports, as the
engine's lane blocks are.  Where the two cores share those ports (hyperthreads of one physical
core) or a neighbour's load competes for them, the second ceiling falls below the first and
varies more.  A third
ceiling is the engine's own: two independent ``run_gd`` calls without limit annotations (one
kernel thread each, on two halves of the runs) at once, against one after the other (their
Python and numpy work, the losses and the checks of the arguments, is part of it); what the
default calls lose below it is the further numpy work around the kernel (sampling, limit
annotations, merging), which holds the GIL or scales poorly on two threads.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

import dynsys_gd as dg
from dynsys_gd.numeric.engine.run import run_gd
from dynsys_gd.runtime.progress import LongJobWarning


@numba.njit(nogil=True)
def _plain_loop(n: int) -> float:  # pragma: no cover - compiled
    s = 0.0
    x = 1.0
    for _ in range(n):
        x = x * 1.0000001 + 1e-9
        s += x
    return s


@numba.njit(nogil=True)
def _vector_loop(a: np.ndarray, reps: int) -> float:  # pragma: no cover - compiled
    # throughput-bound: independent multiplies and adds over an array resident in L1 (LLVM
    # vectorises the inner loop), as the engine's lane blocks are
    for _ in range(reps):
        for i in range(a.shape[0]):
            a[i] = a[i] * 0.999999 + 1e-7
    return float(a[0])


def _wall(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _at_once(fn: Callable[[Any], Any], args: list[Any]) -> float:
    """Wall time of ``fn(a)`` for every ``a`` of ``args``, each on its own thread, all at once."""
    ts = [threading.Thread(target=fn, args=(a,)) for a in args]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.perf_counter() - t0


def ceiling(pairs: int) -> list[float]:
    """Throughput of two independent copies of a plain loop on two threads over one copy."""
    n = 100_000_000
    _plain_loop(10)
    out = []
    for _ in range(pairs):
        t1, _ = _wall(lambda: _plain_loop(n))
        out.append(2.0 * t1 / _at_once(_plain_loop, [n, n]))
    return out


def vector_ceiling(pairs: int) -> list[float]:
    """The same for a throughput-bound vectorised loop (one L1-resident array per copy): below
    the plain loop's ceiling where the two cores share execution ports (hyperthreads)."""
    reps = 400_000
    bufs = [np.ones(2048), np.ones(2048)]
    _vector_loop(bufs[0], 1)
    out = []
    for _ in range(pairs):
        t1, _ = _wall(lambda: _vector_loop(bufs[0], reps))
        t2 = _at_once(lambda a: _vector_loop(a, reps), bufs)
        out.append(2.0 * t1 / t2)
    return out


def kernel_ceiling(net: Any, lr: float, th: np.ndarray, pairs: int) -> list[float]:
    """Two independent kernel calls (no annotations, one thread each, one half of ``th`` each)
    on two threads at once, over the same two calls one after the other (wall time)."""
    cfg = dg.EngineConfig(limits=False, certificate=False)
    halves = np.array_split(th, 2)

    def one(x: np.ndarray) -> Any:
        return run_gd(net, x, lr, config=cfg, workers=1)

    one(th[:64])  # warm: kernels loaded
    out = []
    for _ in range(pairs):
        t1, _ = _wall(lambda: [one(x) for x in halves])
        out.append(t1 / _at_once(one, halves))
    return out


def pair_times(fn: Callable[[], Any], key: Callable[[Any], Any], pairs: int) -> dict[str, Any]:
    """Alternating one-core / all-core timings of ``fn``; medians, per-pair ratios, sameness."""
    cores = os.sched_getaffinity(0)
    fn()  # warm: kernels loaded
    one, every, same = [], [], True
    try:
        for _ in range(pairs):
            os.sched_setaffinity(0, {min(cores)})
            t1, a = _wall(fn)
            os.sched_setaffinity(0, cores)
            t2, b = _wall(fn)
            one.append(t1)
            every.append(t2)
            same = same and key(a) == key(b)
    finally:
        os.sched_setaffinity(0, cores)
    ratios = [x / y for x, y in zip(one, every, strict=True)]
    return {"one": one, "every": every, "ratios": ratios, "same": same}


def _estimate_key(r: Any) -> Any:
    return (r.counts, r.fraction, r.n_certified, r.sharpness_median, r.g_inf)


def _batch_key(r: Any) -> Any:
    return tuple(
        np.asarray(getattr(r, f)).tobytes()
        for f in ("outcome", "steps", "theta", "loss", "sharpness", "certified")
    )


def cases() -> list[tuple[str, Any, str, float]]:
    W = np.array([[1.5, 0.3], [-0.2, 0.7]])
    return [
        ("scalar N=3", dg.LinearNetwork.scalar(depth=3, target=2.0), "uniform", 2.0),
        (
            "whitened (2,2,2)",
            dg.LinearNetwork.from_covariances((2, 2, 2), Sxx=np.eye(2), Syx=W),
            "gaussian",
            1.0,
        ),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--pairs", type=int, default=11, help="alternating pairs per row")
    ap.add_argument("--quick", action="store_true", help="n = 100,000 only, 3 pairs")
    args = ap.parse_args()
    pairs = 3 if args.quick else args.pairs
    warnings.simplefilter("ignore", LongJobWarning)
    print(f"cores: {sorted(os.sched_getaffinity(0))}; {pairs} alternating pairs a row; wall time")
    c = ceiling(pairs)
    print(
        f"machine ceiling (two independent plain loops on two threads): "
        f"x{statistics.median(c):.2f} (pairs {min(c):.2f}-{max(c):.2f})"
    )
    v = vector_ceiling(pairs)
    print(
        f"machine ceiling, vectorised (two independent vectorised loops on two threads): "
        f"x{statistics.median(v):.2f} (pairs {min(v):.2f}-{max(v):.2f})"
    )
    sizes = (100_000,) if args.quick else (100_000, 200_000)
    for n in sizes:
        for name, net, init, scale in cases():
            lr = 0.9 * dg.critical_lr(net)
            th = np.random.default_rng(0).uniform(-2.0, 2.0, (n, net.n_params))
            calls = [
                (
                    "estimate_convergent_fraction",
                    lambda net=net, lr=lr, init=init, scale=scale, n=n: (
                        dg.estimate_convergent_fraction(
                            net, lr, n_samples=n, seed=0, init=init, init_scale=scale
                        )
                    ),
                    _estimate_key,
                ),
                ("run_gd", lambda net=net, lr=lr, th=th: run_gd(net, th, lr), _batch_key),
            ]
            k = kernel_ceiling(net, lr, th, pairs)
            print(
                f"{'engine ceiling':29s} {name:17s} n={n:<7d} two independent engine calls at "
                f"once: x{statistics.median(k):.2f} (pairs {min(k):.2f}-{max(k):.2f})",
                flush=True,
            )
            for label, fn, key in calls:
                r = pair_times(fn, key, pairs)
                m1, m2 = statistics.median(r["one"]), statistics.median(r["every"])
                print(
                    f"{label:29s} {name:17s} n={n:<7d} one core {m1:6.3f} s, all cores "
                    f"{m2:6.3f} s, speed-up x{m1 / m2:.2f} (pairs {min(r['ratios']):.2f}-"
                    f"{max(r['ratios']):.2f}), same result {r['same']}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
