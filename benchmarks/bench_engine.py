"""Throughput of the batched GD engine (trajectory-steps per second).

Run: ``python benchmarks/bench_engine.py [--quick]``.

Compares :func:`dynsys_gd.numeric.engine.run_gd` (batched numpy, with outcome checks, compaction
and the convergence certificate) against

* a plain per-trajectory Python loop (the same GD map, one trajectory at a time; a subset is
  timed and the rate extrapolated), target: engine >= 100x faster;
* a fused compiled per-trajectory loop with numba (optional), with the same gradient-norm /
  divergence stopping rule but no certificate or period detection.

Workloads: scalar depth-3 network (y = 2, batch 20,000, uniform [-2, 2]^3, eta = 0.9 eta*) and
a 2x2x2 matrix network (whitened, W* = [[1.5, .3], [-.2, .7]], batch 20,000, N(0, I) init,
eta = 0.9 eta*).  Rates count the steps actually taken by every run.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import dynsys_gd as dg
from dynsys_gd.numeric.engine import EngineConfig, run_gd
from dynsys_gd.numeric.kernels import numeric_model

MAX_STEPS = 2000
GRAD_TOL = 1e-10
DIV = 1e6


def python_loop_scalar3(th0: np.ndarray, lr: float, y: float) -> int:
    """Plain Python GD for L = 1/2 (w1 w2 w3 - y)^2, one trajectory at a time."""
    total = 0
    for w in th0.tolist():
        a, b, c = w
        for t in range(1, MAX_STEPS + 1):
            r = a * b * c - y
            ga, gb, gc = r * b * c, r * a * c, r * a * b
            a, b, c = a - lr * ga, b - lr * gb, c - lr * gc
            total += 1
            if abs(a) > DIV or abs(b) > DIV or abs(c) > DIV:
                break
            if t % 50 == 0 and (ga * ga + gb * gb + gc * gc) ** 0.5 <= GRAD_TOL:
                break
    return total


def python_loop_generic(model: Any, th0: np.ndarray, lr: float) -> int:
    """Plain per-trajectory loop calling the model's numpy gradient on one row."""
    m = numeric_model(model)
    total = 0
    with np.errstate(all="ignore"):
        for row in th0:
            th = row[None, :].copy()
            for t in range(1, MAX_STEPS + 1):
                g = m.gradient(th)
                th = th - lr * g
                total += 1
                if not np.all(np.abs(th) <= DIV):
                    break
                if t % 50 == 0 and np.linalg.norm(g) <= GRAD_TOL:
                    break
    return total


def make_numba_scalar3() -> Callable[..., int] | None:
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(cache=False)
    def run(th0: np.ndarray, lr: float, y: float) -> int:  # pragma: no cover - compiled
        total = 0
        for i in range(th0.shape[0]):
            a, b, c = th0[i, 0], th0[i, 1], th0[i, 2]
            for t in range(1, MAX_STEPS + 1):
                r = a * b * c - y
                ga, gb, gc = r * b * c, r * a * c, r * a * b
                a, b, c = a - lr * ga, b - lr * gb, c - lr * gc
                total += 1
                if abs(a) > DIV or abs(b) > DIV or abs(c) > DIV:
                    break
                if t % 50 == 0 and (ga * ga + gb * gb + gc * gc) ** 0.5 <= GRAD_TOL:
                    break
        return total

    return run  # type: ignore[no-any-return]


def make_numba_matrix222() -> Callable[..., int] | None:
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(cache=False)
    def run(th0: np.ndarray, lr: float, Ws: np.ndarray) -> int:  # pragma: no cover - compiled
        total = 0
        for i in range(th0.shape[0]):
            W1 = th0[i, 0:4].reshape(2, 2).copy()
            W2 = th0[i, 4:8].reshape(2, 2).copy()
            for t in range(1, MAX_STEPS + 1):
                R = W2 @ W1 - Ws  # Sxx = I: grad_W L = W - W*
                G1 = W2.T @ R
                G2 = R @ W1.T
                W1 -= lr * G1
                W2 -= lr * G2
                total += 1
                if np.max(np.abs(W1)) > DIV or np.max(np.abs(W2)) > DIV:
                    break
                if t % 50 == 0 and np.sqrt(np.sum(G1 * G1) + np.sum(G2 * G2)) <= GRAD_TOL:
                    break
        return total

    return run  # type: ignore[no-any-return]


def timed(fn: Callable[[], int]) -> tuple[int, float]:
    t0 = time.perf_counter()
    steps = fn()
    return steps, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller batches (smoke test)")
    args = ap.parse_args()
    batch = 2000 if args.quick else 20000
    n_py = 20 if args.quick else 100
    cfg = EngineConfig(max_steps=MAX_STEPS, grad_tol=GRAD_TOL, div_threshold=DIV, adaptive=False)
    rows = []

    # --- scalar depth 3 --------------------------------------------------------------------
    y = 2.0
    net = dg.LinearNetwork.scalar(depth=3, target=y)
    lr = 0.9 * 2 / (3 * 2 ** (4 / 3))
    th0 = np.random.default_rng(0).uniform(-2, 2, (batch, 3))
    run_gd(net, th0[:100], lr, config=cfg)  # warm-up
    t0 = time.perf_counter()
    rb = run_gd(net, th0, lr, config=cfg)
    t_eng = time.perf_counter() - t0
    s_eng = int(rb.steps.sum())
    s_py, t_py = timed(lambda: python_loop_scalar3(th0[:n_py], lr, y))
    s_pg, t_pg = timed(lambda: python_loop_generic(net, th0[: max(5, n_py // 5)], lr))
    nb = make_numba_scalar3()
    nb_rate = None
    if nb is not None:
        nb(th0[:2], lr, y)  # compile
        s_nb, t_nb = timed(lambda: nb(th0, lr, y))
        nb_rate = s_nb / t_nb
    rows.append(
        ("scalar N=3, y=2", batch, s_eng / t_eng, s_pg / t_pg, s_py / t_py, nb_rate, rb.counts())
    )

    # --- 2x2x2 matrix network ---------------------------------------------------------------
    Ws = np.array([[1.5, 0.3], [-0.2, 0.7]])
    net2 = dg.LinearNetwork.from_covariances((2, 2, 2), Sxx=np.eye(2), Syx=Ws)
    lr2 = 0.9 * 2 / 3.062329
    th2 = np.random.default_rng(1).normal(0.0, 1.0, (batch, 8))
    run_gd(net2, th2[:100], lr2, config=cfg)
    t0 = time.perf_counter()
    rb2 = run_gd(net2, th2, lr2, config=cfg)
    t_eng2 = time.perf_counter() - t0
    s_eng2 = int(rb2.steps.sum())
    s_py2, t_py2 = timed(lambda: python_loop_generic(net2, th2[: max(5, n_py // 5)], lr2))
    nb2 = make_numba_matrix222()
    nb_rate2 = None
    if nb2 is not None:
        nb2(th2[:2], lr2, Ws)
        s_nb2, t_nb2 = timed(lambda: nb2(th2, lr2, Ws))
        nb_rate2 = s_nb2 / t_nb2
    rows.append(
        (
            "2x2x2 matrix, whitened",
            batch,
            s_eng2 / t_eng2,
            s_py2 / t_py2,
            None,
            nb_rate2,
            rb2.counts(),
        )
    )

    print("trajectory-steps per second (higher is better); max_steps =", MAX_STEPS)
    print("python = per-trajectory loop calling the model's gradient; fused = hand-written pure")
    print("Python closed form (scalar only); numba = fused compiled per-trajectory loop")
    print(
        f"{'workload':24s} {'batch':>6s} {'engine':>10s} {'python':>10s} {'fused':>10s} "
        f"{'numba':>10s} {'eng/py':>8s} {'eng/fused':>9s} {'eng/numba':>9s}"
    )

    def fmt(x: float | None, w: int, spec: str) -> str:
        return f"{x:{w}{spec}}" if x else f"{'n/a':>{w}s}"

    for name, b, eng, py, fused, nbr, _ in rows:
        print(
            f"{name:24s} {b:6d} {eng:10.3g} {py:10.3g} {fmt(fused, 10, '.3g')} "
            f"{fmt(nbr, 10, '.3g')} {eng / py:8.1f} "
            f"{fmt(eng / fused if fused else None, 9, '.2f')} "
            f"{fmt(eng / nbr if nbr else None, 9, '.3f')}"
        )
    for name, *_, counts in rows:
        print(f"  engine outcomes, {name}: {counts}")


if __name__ == "__main__":
    main()
