"""Benchmark: wall-clock time of ``stability_analysis(N, 0.25)`` (default settings) for the
scalar network of depth N = 2..6, and of ``min_sharpness`` for general-Σxx matrix networks.

Run: ``python benchmarks/bench_stability.py``.  Target: < 2 s per scalar analysis.  The default
``stability_analysis`` skips the Monte-Carlo estimate (``n_samples=0``); a second column times
it with ``n_samples=200`` when :mod:`dynsys_gd.analysis.convergence` is available.
"""

from __future__ import annotations

import importlib.util
import time

import numpy as np

import dynsys_gd as dg


def timed(fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> int:
    has_mc = importlib.util.find_spec("dynsys_gd.analysis.convergence") is not None
    print("stability_analysis(N, 0.25), scalar network, target 1")
    print(f"{'N':>3} {'eta*':>9} {'verdict':>8} {'default [s]':>12} {'n_samples=200 [s]':>18}")
    worst = 0.0
    for depth in range(2, 7):
        rep, t = timed(lambda d=depth: dg.stability_analysis(d, 0.25))
        worst = max(worst, t)
        t_mc = "-"
        if has_mc:
            _, tm = timed(lambda d=depth: dg.stability_analysis(d, 0.25, n_samples=200))
            t_mc = f"{tm:.3f}"
        print(f"{depth:>3} {rep.critical_lr:>9.5f} {rep.verdict.name:>8} {t:>12.3f} {t_mc:>18}")
    print(f"worst default time {worst:.3f} s (target < 2 s): {'OK' if worst < 2 else 'SLOW'}")

    print("\nmin_sharpness, general Sxx (numerical minimisation over M)")
    print(f"{'widths':>14} {'S_min':>14} {'time [s]':>9}")
    rng = np.random.default_rng(0)
    for widths in [(2, 2, 2), (2, 3, 2), (3, 3, 3, 3), (4, 4, 4, 4)]:
        d0 = widths[0]
        A = rng.normal(size=(d0, d0))
        net = dg.LinearNetwork.from_covariances(
            widths, Sxx=A @ A.T / d0 + 0.5 * np.eye(d0), Syx=rng.normal(size=(widths[-1], d0))
        )
        s, t = timed(lambda n=net: dg.min_sharpness(n))
        print(f"{widths!s:>14} {s:>14.10g} {t:>9.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
