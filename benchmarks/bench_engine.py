"""The GD engine against independent compiled loops, as CPU-time ratios (time to the same answer).

Run: ``python benchmarks/bench_engine.py [--quick]``.

Two baselines are written here, without importing any kernel of the project, with the naive
rule: a run has converged when :math:`\\lVert\nabla L\rVert < 10^{-10}`, diverged when
:math:`\\lVert\nabla L\rVert^2 \\ge 10^{24}` (or not finite), and is undecided after 4,000 steps:

* **fused**: one numba loop per trajectory, the gradient as straight-line code generated here
  for the widths (scalar locals, products written out), the rule tested at every step;
* **lanes**: 64 runs side by side (the same straight-line code inside a loop over the lanes,
  which LLVM vectorises), the rule tested every 8 steps, a decided lane refilled with the next
  run.

The naive rule with 4,000 steps leaves slow runs undecided that the engine decides (it
extends the budget of runs still approaching something, up to its hard cap of 1,004,800 steps on
linear networks), so a third baseline, **fused, cap**, is the fused loop with the engine's hard
cap: it reaches the engine's converged count on every workload here, and is the "time to the same
answer".

Two tasks are timed against them, on the same initialisations:

(a) **kernel**: ``run_gd(..., config=EngineConfig(limits=False, certificate=False),
    workers=1)``, the engine's kernel alone on one thread;
(b) **default call**: ``estimate_convergent_fraction(net, lr, n_samples=n, seed=0, init=...,
    init_scale=...)`` with every engine default (limit annotations, certificate, intervals,
    threads), the call a user makes, on the distribution of (a) (uniform on
    :math:`[-2, 2]^3`, random signs times uniform on [0.7, 1.3], :math:`N(0, I)`,
    :math:`N(0, 0.25 I)`) and the same ``n``; the baselines classify the estimate's own ``n``
    initialisations (drawn by its sampler) and count the converged runs.

Every figure is CPU time of this process (``time.process_time``: both threads count when the
engine uses two), each ratio the median of 7 repetitions (``--pairs``) taken pair by pair;
a ratio above 1 means the engine is faster.  The engine's classification is stricter than the
naive rule (geometric decay to a limit, periodic orbits, the float64 floor), so the converged
counts are printed side by side.

The MLP rows compare ``run_gd`` with the engine before the compiled lanes
(``benchmarks/legacy_engine.py``), as before.
"""

from __future__ import annotations

import os

# the timed tasks are single-threaded unless stated: BLAS pools are held to one thread
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

import dynsys_gd as dg
from dynsys_gd.numeric.engine import EngineConfig, run_gd

GRAD_TOL = 1e-10
DIV_GN2 = 1e24
MAX_STEPS = 4000
LANES = 64
CHECK = 8

# --------------------------------------------------------------------------------------------
# straight-line gradient code, generated here (independent of the project's generators)
# --------------------------------------------------------------------------------------------


class _Emitter:
    """Writes straight-line code: every product entry a new local."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.k = 0

    def new(self, expr: str) -> str:
        name = f"t{self.k}"
        self.k += 1
        self.lines.append(f"{name} = {expr}")
        return name

    def matmul(self, A: list[list[str]], B: list[list[str]]) -> list[list[str]]:
        return [
            [
                self.new(" + ".join(f"{A[i][k]} * {B[k][j]}" for k in range(len(B))))
                for j in range(len(B[0]))
            ]
            for i in range(len(A))
        ]


def _transpose(A: list[list[str]]) -> list[list[str]]:
    return [list(r) for r in zip(*A, strict=True)]


def gradient_lines(widths: tuple[int, ...], Sxx: Any, Syx: Any) -> list[str]:
    r"""Straight-line code of :math:`\nabla L` for :math:`L = \tfrac12\operatorname{tr}(W\Sigma_{xx}
    W^\top) - \operatorname{tr}(\Sigma_{yx}^\top W)`, :math:`W = W_N\cdots W_1`, parameters
    ``x0, x1, ...`` (layer by layer, row-major), gradient ``g0, g1, ...``:
    :math:`\partial L/\partial W_i = A_i^\top (W\Sigma_{xx} - \Sigma_{yx}) B_i^\top` with
    :math:`A_i = W_N\cdots W_{i+1}`, :math:`B_i = W_{i-1}\cdots W_1`."""
    e = _Emitter()
    N = len(widths) - 1
    Ws, off = [], 0
    for i in range(N):
        a, b = widths[i + 1], widths[i]
        Ws.append([[f"x{off + r * b + c}" for c in range(b)] for r in range(a)])
        off += a * b
    pre = [Ws[0]]  # pre[i] = W_{i+1} ... W_1 (0-based: W_i ... W_0)
    for i in range(1, N):
        pre.append(e.matmul(Ws[i], pre[-1]))
    suf: list[Any] = [None] * N  # suf[i] = W_{N-1} ... W_{i+1} (None for the top layer)
    for i in range(N - 2, -1, -1):
        suf[i] = Ws[N - 1] if i == N - 2 else e.matmul(suf[i + 1], Ws[i + 1])
    Sx = [[repr(float(v)) for v in row] for row in np.asarray(Sxx, dtype=float)]
    WS = e.matmul(pre[-1], Sx)
    Sy = np.asarray(Syx, dtype=float)
    G = [
        [e.new(f"{WS[r][c]} - {float(Sy[r, c])!r}") for c in range(len(WS[0]))]
        for r in range(len(WS))
    ]
    out, k = [], 0
    for i in range(N):
        T = G if suf[i] is None else e.matmul(_transpose(suf[i]), G)
        Gi = T if i == 0 else e.matmul(T, _transpose(pre[i - 1]))
        for row in Gi:
            for v in row:
                out.append(f"g{k} = {v}")
                k += 1
    return e.lines + out


_FUSED = """
@numba.njit(error_model="numpy")
def fused(theta0, lr, code, steps, max_steps):
    for r in range(theta0.shape[0]):
{load}
        code[r] = 2
        steps[r] = max_steps
        for t in range(max_steps):
{grad}
            gn2 = {gn2}
            if gn2 < GRAD_TOL * GRAD_TOL:
                code[r] = 0
                steps[r] = t
                break
            if not gn2 < DIV_GN2:
                code[r] = 1
                steps[r] = t
                break
{move}
"""

_LANES = """
@numba.njit(error_model="numpy")
def lanes(theta0, lr, code, steps, max_steps):
    n, P = theta0.shape
    X = np.zeros((P, LANES))
    run = np.full(LANES, -1)
    age = np.zeros(LANES, dtype=np.int64)
    gn = np.zeros(LANES)
    nxt = 0
    active = 0
    for l in range(LANES):
        if nxt < n:
            for i in range(P):
                X[i, l] = theta0[nxt, i]
            run[l] = nxt
            nxt += 1
            active += 1
    while active > 0:
        for s in range(CHECK):
            for l in range(LANES):
{lload}
{lgrad}
{lmove}
        for l in range(LANES):
{cload}
{cgrad}
            gn[l] = {gn2}
        for l in range(LANES):
            r = run[l]
            if r < 0:
                continue
            age[l] += CHECK
            c = -1
            if gn[l] < GRAD_TOL * GRAD_TOL:
                c = 0
            elif not gn[l] < DIV_GN2:
                c = 1
            elif age[l] >= max_steps:
                c = 2
            if c < 0:
                continue
            code[r] = c
            steps[r] = age[l]
            age[l] = 0
            if nxt < n:
                for i in range(P):
                    X[i, l] = theta0[nxt, i]
                run[l] = nxt
                nxt += 1
            else:
                for i in range(P):
                    X[i, l] = 0.0  # a critical point: an idle lane stays finite
                run[l] = -1
                active -= 1
"""


def compile_baselines(lines: list[str], P: int) -> tuple[Callable[..., None], Callable[..., None]]:
    """The fused and the lane-vectorised loops around the straight-line gradient."""

    def ind(block: list[str], k: int) -> str:
        return "\n".join(" " * k + ln for ln in block)

    gn2 = " + ".join(f"g{i} * g{i}" for i in range(P))
    src = _FUSED.format(
        load=ind([f"x{i} = theta0[r, {i}]" for i in range(P)], 8),
        grad=ind(lines, 12),
        gn2=gn2,
        move=ind([f"x{i} = x{i} - lr * g{i}" for i in range(P)], 12),
    ) + _LANES.format(
        lload=ind([f"x{i} = X[{i}, l]" for i in range(P)], 16),
        lgrad=ind(lines, 16),
        lmove=ind([f"X[{i}, l] = x{i} - lr * g{i}" for i in range(P)], 16),
        cload=ind([f"x{i} = X[{i}, l]" for i in range(P)], 12),
        cgrad=ind(lines, 12),
        gn2=gn2,
    )
    ns: dict[str, Any] = {
        "numba": numba,
        "np": np,
        "MAX_STEPS": MAX_STEPS,
        "GRAD_TOL": GRAD_TOL,
        "DIV_GN2": DIV_GN2,
        "LANES": LANES,
        "CHECK": CHECK,
    }
    exec(compile(src, "<baselines>", "exec"), ns)
    return ns["fused"], ns["lanes"]


def baseline(
    fn: Callable[..., None], th: np.ndarray, lr: float, max_steps: int = MAX_STEPS
) -> tuple[np.ndarray, np.ndarray]:
    n = th.shape[0]
    code = np.full(n, -1, dtype=np.int64)
    steps = np.zeros(n, dtype=np.int64)
    fn(np.ascontiguousarray(th), float(lr), code, steps, int(max_steps))
    return code, steps


def _check_gradient(net: Any, lines: list[str]) -> None:
    """The generated gradient equals the model's at a random point (a guard, not timed)."""
    P = net.n_params
    x = np.random.default_rng(9).normal(0.0, 0.7, P)
    env: dict[str, float] = {f"x{i}": float(x[i]) for i in range(P)}
    exec("\n".join(lines), {}, env)
    g = np.array([env[f"g{i}"] for i in range(P)])
    from dynsys_gd.numeric.kernels import numeric_model

    ref = np.asarray(numeric_model(net).gradient(x[None, :]), dtype=float)[0]
    assert np.allclose(g, ref, rtol=1e-10, atol=1e-12), (g, ref)


#: timed pairs per ratio (``--pairs``; odd, so the median is one of them)
PAIRS = 7


def _median_ratio(t_engine: Callable[[], float], t_base: Callable[[], float]) -> tuple[float, ...]:
    """Median over :data:`PAIRS` pairs of (engine CPU-s, baseline CPU-s, baseline / engine)."""
    pairs = [(t_engine(), t_base()) for _ in range(PAIRS)]
    ratios = [b / a for a, b in pairs]
    k = ratios.index(statistics.median(ratios))
    return pairs[k][0], pairs[k][1], ratios[k]


def _cpu(fn: Callable[[], Any]) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def signed_near_one(rng: np.random.Generator, n: int, P: int) -> np.ndarray:
    """Initialisations with entries of random sign and modulus uniform on [0.7, 1.3] (the
    depth-10 workload: near the balanced minima)."""
    out: np.ndarray = rng.choice([-1.0, 1.0], (n, P)) * rng.uniform(0.7, 1.3, (n, P))
    return out


def workloads(quick: bool) -> list[tuple[str, Any, float, np.ndarray, dict[str, Any]]]:
    """(name, network, lr = 0.9 eta*, kernel initialisations, the estimate's ``init`` and
    ``init_scale`` drawing from the same distribution)."""
    big = 1000 if quick else 20000
    small = 200 if quick else 2000
    out = []
    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    th = np.random.default_rng(0).uniform(-2, 2, (big, 3))
    uni = {"init": "uniform", "init_scale": 2.0}
    out.append(("scalar N=3, y=2", net, 0.9 * 2 / (3 * 2 ** (4 / 3)), th, uni))
    net = dg.LinearNetwork.scalar(depth=10, target=1.0)
    th = signed_near_one(np.random.default_rng(1), small, 10)
    near = {"init": signed_near_one, "init_scale": 1.0}
    out.append(("scalar N=10, y=1", net, 0.9 * 2 / 10, th, near))
    Ws = np.array([[1.5, 0.3], [-0.2, 0.7]])
    net = dg.LinearNetwork.from_covariances((2, 2, 2), Sxx=np.eye(2), Syx=Ws)
    th = np.random.default_rng(2).normal(0.0, 1.0, (big, 8))
    gauss1 = {"init": "gaussian", "init_scale": 1.0}
    out.append(("whitened (2,2,2)", net, 0.9 * 2 / 3.062329, th, gauss1))
    W4 = np.array(
        [[1.2, 0.3, 0.0, -0.1], [0.2, 0.9, 0.1, 0.0], [0.0, -0.2, 0.8, 0.3], [0.1, 0.0, 0.2, 0.6]]
    )
    net = dg.LinearNetwork.from_covariances((4, 4, 4, 4), Sxx=np.eye(4), Syx=W4)
    s1 = float(np.linalg.svd(W4, compute_uv=False)[0])
    th = np.random.default_rng(3).normal(0.0, 0.5, (small, net.n_params))
    gauss05 = {"init": "gaussian", "init_scale": 0.5}
    out.append(("whitened (4,4,4,4)", net, 0.9 * 2 / (3 * s1 ** (4 / 3)), th, gauss05))
    return out


def _row(
    name: str, n: int, task: str, label: str, te: float, tb: float, r: float, mine: int, code: Any
) -> str:
    return (
        f"{name:20s} n={n:<6d} {task} vs {label:11s}: engine {te:7.3f} s, baseline {tb:7.3f} s, "
        f"ratio {r:5.2f}x; converged engine {mine} / baseline {int(np.sum(code == 0))} "
        f"(undecided {int(np.sum(code == 2))})"
    )


def bench_row(name: str, net: Any, lr: float, th: np.ndarray, init: dict[str, Any]) -> list[str]:
    from dynsys_gd.analysis.convergence import sample_block

    P = net.n_params
    n = th.shape[0]
    lines = gradient_lines(tuple(net.widths), net.Sxx, net.Syx)
    _check_gradient(net, lines)
    fused, lanes = compile_baselines(lines, P)
    kcfg = EngineConfig(limits=False, certificate=False)
    # the engine's hard step cap: the naive rule with it decides the runs the engine decides
    cap = EngineConfig().budgets(True)[1]
    base = [("fused", fused, MAX_STEPS), ("lanes", lanes, MAX_STEPS), ("fused, cap", fused, cap)]
    # warm-up: compile the baselines, load the engine's cached kernels
    baseline(fused, th[:4], lr)
    baseline(lanes, th[:4], lr)
    run_gd(net, th[:8], lr, config=kcfg, workers=1)
    dg.estimate_convergent_fraction(net, lr, n_samples=16, seed=0, **init)
    rows = []
    # (a) the kernel alone, one thread
    rb = run_gd(net, th, lr, config=kcfg, workers=1)
    eng = lambda: _cpu(lambda: run_gd(net, th, lr, config=kcfg, workers=1))  # noqa: E731
    for label, fn, steps in base:
        code, _ = baseline(fn, th, lr, steps)
        te, tb, r = _median_ratio(eng, lambda fn=fn, s=steps: _cpu(lambda: baseline(fn, th, lr, s)))
        rows.append(_row(name, n, "(a) kernel  ", label, te, tb, r, rb.counts()["converged"], code))
    # (b) the user's default call on the same distribution, on the estimate's initialisations
    sampler, scale = init["init"], init["init_scale"]
    x0 = np.concatenate(
        [
            sample_block(sampler, scale, 0, b, min(4096, n - 4096 * b), P)
            for b in range(-(-n // 4096))
        ]
    )
    est = dg.estimate_convergent_fraction(net, lr, n_samples=n, seed=0, **init)
    call = lambda: _cpu(  # noqa: E731
        lambda: dg.estimate_convergent_fraction(net, lr, n_samples=n, seed=0, **init)
    )
    for label, fn, steps in base:
        code, _ = baseline(fn, x0, lr, steps)
        te, tb, r = _median_ratio(
            call, lambda fn=fn, s=steps: _cpu(lambda: baseline(fn, x0, lr, s))
        )
        rows.append(_row(name, n, "(b) default ", label, te, tb, r, est.n_converged, code))
    return rows


def main() -> None:
    import warnings

    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small batches (smoke test)")
    ap.add_argument("--no-mlp", action="store_true", help="skip the MLP rows")
    ap.add_argument("--pairs", type=int, default=7, help="timed pairs per ratio (odd)")
    args = ap.parse_args()
    global PAIRS
    PAIRS = 3 if args.quick else max(1, args.pairs | 1)
    from dynsys_gd.runtime.progress import LongJobWarning

    warnings.simplefilter("ignore", LongJobWarning)
    print(
        f"CPU time (time.process_time), one process, median of {PAIRS} pairs; "
        "ratio = baseline / engine"
    )
    for name, net, lr, th, init in workloads(args.quick):
        for line in bench_row(name, net, lr, th, init):
            print(line, flush=True)
    print("engine outcomes: see the converged counts above")
    if not args.no_mlp:
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
