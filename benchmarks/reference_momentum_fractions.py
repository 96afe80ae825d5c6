"""Independent long-run reference for the converged fraction of heavy-ball momentum.

Written without the project's engine: a plain numba loop per run of
``m' = beta m - lr grad L(theta)``, ``theta' = theta + m'`` from ``m = 0``, with the naive rule
(converged when |grad L| < 1e-10 and |m| < 1e-10; diverged when |theta|_inf > 1e6), for up to
``--steps`` steps.  Runs still going at the cap are reported as "still running" (neither).

    python benchmarks/reference_momentum_fractions.py --n 10000 --steps 1000000

Losses: 1/2 (x y - 1)^2 on uniform [-2, 2]^2, and the whitened (2, 2, 2) linear network with
W* = [[1.5, 0.3], [-0.2, 0.7]] on uniform [-2, 2]^8, each at 0.99 and 1.01 times the heavy-ball
critical step size (2 + 2 beta) / S_min (S_min = 2 and 3.062329...).
"""

from __future__ import annotations

import argparse
import math

import numba
import numpy as np

W_STAR = np.array([[1.5, 0.3], [-0.2, 0.7]])


@numba.njit(cache=False)
def grad_xy(th: np.ndarray, g: np.ndarray) -> None:
    r = th[0] * th[1] - 1.0
    g[0] = r * th[1]
    g[1] = r * th[0]


@numba.njit(cache=False)
def grad_net(th: np.ndarray, g: np.ndarray) -> None:
    # W1 = th[0:4] (2x2 row-major), W2 = th[4:8]; L = 1/2 |W2 W1 - W*|_F^2 (whitened data)
    a, b, c, d = th[0], th[1], th[2], th[3]
    e, f, h, k = th[4], th[5], th[6], th[7]
    r00 = e * a + f * c - 1.5
    r01 = e * b + f * d - 0.3
    r10 = h * a + k * c + 0.2
    r11 = h * b + k * d - 0.7
    # dL/dW1 = W2^T R, dL/dW2 = R W1^T
    g[0] = e * r00 + h * r10
    g[1] = e * r01 + h * r11
    g[2] = f * r00 + k * r10
    g[3] = f * r01 + k * r11
    g[4] = r00 * a + r01 * b
    g[5] = r00 * c + r01 * d
    g[6] = r10 * a + r11 * b
    g[7] = r10 * c + r11 * d


@numba.njit(cache=False)
def run_all(which: int, theta0: np.ndarray, lr: float, beta: float, steps: int) -> np.ndarray:
    n, P = theta0.shape
    out = np.zeros(n, dtype=np.int64)  # 1 converged, 2 diverged, 0 still running
    g = np.zeros(P)
    for r in range(n):
        th = theta0[r].copy()
        m = np.zeros(P)
        for _ in range(steps):
            if which == 0:
                grad_xy(th, g)
            else:
                grad_net(th, g)
            gn = 0.0
            mn = 0.0
            big = 0.0
            for i in range(P):
                m[i] = beta * m[i] - lr * g[i]
                th[i] = th[i] + m[i]
                gn += g[i] * g[i]
                mn += m[i] * m[i]
                big = max(big, abs(th[i]))
            if not (big <= 1e6):
                out[r] = 2
                break
            if math.sqrt(gn) < 1e-10 and math.sqrt(mn) < 1e-10:
                out[r] = 1
                break
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--steps", type=int, default=1_000_000)
    ap.add_argument("--beta", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    thr = 2.0 + 2.0 * a.beta
    s_net = 2.0 * np.linalg.svd(W_STAR, compute_uv=False)[0]  # N sigma_1^(2 - 2/N), N = 2
    for which, name, P, smin in ((0, "1/2(xy-1)^2", 2, 2.0), (1, "whitened (2,2,2)", 8, s_net)):
        rng = np.random.default_rng(a.seed)
        theta0 = rng.uniform(-2.0, 2.0, size=(a.n, P))
        for f in (0.99, 1.01):
            lr = f * thr / smin
            out = run_all(which, theta0, lr, a.beta, a.steps)
            k, d, u = (int((out == v).sum()) for v in (1, 2, 0))
            print(
                f"{name:18s} lr = {f:.2f} x {thr / smin:.6f}: converged {k}, diverged {d}, "
                f"still running {u} (n = {a.n}, {a.steps} steps)"
            )


if __name__ == "__main__":
    main()
