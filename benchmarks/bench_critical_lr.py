"""CPU time of ``critical_lr`` for general Σxx against the previous implementation (C5).

Widths (2, 4, 4, 2) (depth 3, the numerical minimum over M) and depth-2 networks (the certified
SDP), several random Σxx ≠ cI.  The baseline is the implementation of commit 6a52125
(finite-difference BFGS then epigraph SLSQP, one spectrum per call), kept verbatim below and run
in the same process; both are timed with ``time.process_time`` and reported as a ratio.

Run: ``python benchmarks/bench_critical_lr.py [--quick]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from numpy.typing import NDArray

import dynsys_gd as dg
from dynsys_gd.numeric.landscape.fixed_points import balanced_minimum


# -- baseline (6a52125, numeric/landscape/sharpness.py), unchanged
# ----------------------------------------
def _symmetric_from_vector(z: NDArray[np.float64], h: int) -> NDArray[np.float64]:
    S = np.zeros((h, h))
    iu = np.triu_indices(h)
    S[iu] = z
    return S + np.triu(S, 1).T


class _BaselineParametrisation:
    def __init__(self, net: dg.LinearNetwork) -> None:
        self.net = net
        self.base = net.unflatten(balanced_minimum(net))
        self.hidden = net.widths[1:-1]
        self.sizes = [h * (h + 1) // 2 for h in self.hidden]
        self.dim = int(sum(self.sizes))

    def layers(self, z: NDArray[np.float64]) -> list[NDArray[np.float64]]:
        layers = list(self.base)
        pos = 0
        for i, (h, k) in enumerate(zip(self.hidden, self.sizes, strict=True)):
            S = _symmetric_from_vector(z[pos : pos + k], h)
            pos += k
            lam, Q = np.linalg.eigh(S)
            layers[i] = (Q * np.exp(lam)) @ (Q.T @ layers[i])
            layers[i + 1] = (layers[i + 1] @ Q * np.exp(-lam)) @ Q.T
        return layers

    def __call__(self, z: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(self.net.flatten(self.layers(z)), dtype=np.float64)


def baseline_flattest(net: dg.LinearNetwork, *, restarts: int = 3, seed: int = 0) -> float:
    from scipy.optimize import minimize

    par = _BaselineParametrisation(net)
    d0, dN = net.widths[0], net.widths[-1]
    lam_s, Q_s = np.linalg.eigh(net.Sxx)
    root = (Q_s * np.sqrt(lam_s)) @ Q_s.T
    N = net.depth

    def spectrum(z: NDArray[np.float64]) -> NDArray[np.float64]:
        Ls = par.layers(z)
        B = [np.eye(d0)]
        for i in range(1, N):
            B.append(Ls[i - 1] @ B[-1])
        A = [np.eye(dN)] * N
        for i in range(N - 2, -1, -1):
            A[i] = A[i + 1] @ Ls[i + 1]
        with np.errstate(all="ignore"):
            K = sum(np.kron(a @ a.T, root @ (b.T @ b) @ root) for a, b in zip(A, B, strict=True))
        if not np.all(np.isfinite(K)):
            return np.full(d0 * dN, 1e300)
        return np.asarray(np.linalg.eigvalsh(K), dtype=np.float64)

    def f(z: NDArray[np.float64]) -> float:
        return float(spectrum(z)[-1])

    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    starts = [np.zeros(par.dim)] + [
        rng.normal(scale=0.3, size=par.dim) for _ in range(restarts - 1)
    ]
    results: list[float] = []
    D = par.dim
    top = min(d0 * dN, 4)
    for z0 in starts:
        with np.errstate(all="ignore"):
            res = minimize(f, z0, method="BFGS", options={"gtol": 1e-8, "maxiter": 200})
        z, val = (np.asarray(res.x), float(res.fun)) if res.fun <= f(z0) else (z0, f(z0))
        x0 = np.append(z, val)
        e_t = np.zeros(D + 1)
        e_t[-1] = 1.0
        with np.errstate(all="ignore"):
            res = minimize(
                lambda x: x[-1],
                x0,
                jac=lambda x, g=e_t: g,
                method="SLSQP",
                constraints=[{"type": "ineq", "fun": lambda x: x[-1] - spectrum(x[:-1])[-top:]}],
                options={"ftol": 1e-14, "maxiter": 200},
            )
        z2 = np.asarray(res.x[:-1])
        v2 = f(z2)
        if np.all(np.isfinite(z2)) and v2 < val:
            z, val = z2, v2
        results.append(val)
        ranked = sorted(results)
        if len(ranked) >= 2 and ranked[1] - ranked[0] <= 1e-10 * ranked[0]:
            break
    return min(results)


# -- benchmark ----------------------------------------------------------------------------------
def _network(widths: tuple[int, ...], seed: int) -> dg.LinearNetwork:
    rng = np.random.default_rng(seed)
    d0, dN = widths[0], widths[-1]
    A = rng.normal(size=(d0, d0))
    return dg.LinearNetwork.from_covariances(
        widths, Sxx=A @ A.T + 0.2 * np.eye(d0), Syx=rng.normal(size=(dN, d0))
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="two networks per width only")
    args = ap.parse_args()
    seeds = range(2) if args.quick else range(6)
    print("critical_lr, general Sxx: CPU seconds (time.process_time), new vs baseline 6a52125")
    print(
        f"{'widths':>14} {'seed':>4} {'method':>34} {'new s':>8} {'base s':>8} {'ratio':>7} "
        f"{'rel. diff S_min':>15}"
    )
    for widths in ((2, 4, 4, 2), (3, 4, 3)):
        tot_new = tot_base = 0.0
        for seed in seeds:
            net = _network(widths, seed)
            t0 = time.process_time()
            eta = dg.critical_lr(net)
            t_new = time.process_time() - t0
            fm = dg.flattest_minimum(net)
            t0 = time.process_time()
            s_base = baseline_flattest(_network(widths, seed))
            t_base = time.process_time() - t0
            tot_new += t_new
            tot_base += t_base
            s_new = 2.0 / eta
            print(
                f"{widths!s:>14} {seed:>4} {fm.method[:34]:>34} {t_new:8.2f} {t_base:8.2f} "
                f"{t_base / t_new:7.1f} {(s_new - s_base) / s_base:15.1e}"
            )
        print(
            f"{widths!s:>14} {'all':>4} {'':>34} {tot_new:8.2f} {tot_base:8.2f} "
            f"{tot_base / tot_new:7.1f}"
        )


if __name__ == "__main__":
    main()
