r"""Long-run reference fractions of convergent initialisations (docs/math/convergent-set.md, §8).

An independent float64 computation, sharing no code with :mod:`dynsys_gd`: a plain numba loop
per trajectory (no fastmath, no FMA contraction requested) that runs plain GD for a long fixed
budget and classifies the end state by simple, conservative rules.  The numbers it prints are the
reference table of ``tests/analysis/test_fraction_references.py``.

Rules (per run, after ``T`` steps):

* **diverged** — :math:`\lVert\theta\rVert_\infty > 10^6` or a non-finite value at some step;
* **converged** — the residual :math:`\lVert W(\theta_T) - W^*\rVert` is at most ``1e-8`` and
  the limit is linearly stable (:math:`\lambda_{\max}(H(\theta_T)) \le 2/\eta\,(1 + 10^{-6})`,
  checked afterwards with a finite-difference Hessian); at the float64 floor a run may stall on
  a ~1e-12 two-cycle next to such a minimum, which this rule counts as converged
  (docs/math/convergent-set.md);
* **converged (sub-geometric)** — only for :math:`\tfrac12(xy-1)^2` at :math:`\eta = \eta^* = 1`:
  the distance to :math:`\pm(1, 1)` is below ``0.05`` at ``T`` and has shrunk between ``T/4``
  and ``T`` by a factor of at least 1.5 (:math:`t^{-1/2}` gives 2);
* **not converged** — bounded and not converged, with the residual not shrinking over the
  last half of the budget (ratio > 0.5);
* **undecided** — everything else (counted separately; the references are quoted only when it
  is 0).

Run ``python benchmarks/reference_fractions.py [--n 2000] [--steps 200000]``.  Timings are not
measured here.
"""

from __future__ import annotations

import argparse
import math
import sys

import numpy as np
from numba import njit
from scipy.stats import beta

W_STAR = np.array([[1.5, 0.3], [-0.2, 0.7]])


# ------------------------------------------------------------------------------------------
# scalar network L(w) = 1/2 (w_1 ... w_N - y)^2
@njit(cache=False, fastmath=False, error_model="numpy")
def _scalar_runs(th0, y, lr, steps):  # pragma: no cover - compiled
    n, N = th0.shape
    out = np.empty((n, N))
    res = np.empty((n, 3))  # residual |p - y| at steps/2, 3 steps/4, steps
    div = np.zeros(n, dtype=np.bool_)
    pre = np.empty(N + 1)
    suf = np.empty(N + 1)
    for r in range(n):
        w = th0[r].copy()
        w1 = w.copy()  # theta_{t-1}
        w2 = w.copy()  # theta_{t-2}
        dead = False
        for t in range(steps):
            if t >= 2 and np.all(w == w2):
                # the float64 map is deterministic: theta_t == theta_{t-2} repeats forever
                break
            w2[:] = w1
            w1[:] = w
            pre[0] = 1.0
            for i in range(N):
                pre[i + 1] = pre[i] * w[i]
            suf[N] = 1.0
            for i in range(N - 1, -1, -1):
                suf[i] = suf[i + 1] * w[i]
            e = pre[N] - y
            big = 0.0
            for i in range(N):
                w[i] = w[i] - lr * (e * (pre[i] * suf[i + 1]))
                a = abs(w[i])
                if not (a <= big):
                    big = a
            if not (big <= 1e6):
                dead = True
                break
            if t + 1 == steps // 2:
                res[r, 0] = abs(pre[N] - y)
            elif t + 1 == (3 * steps) // 4:
                res[r, 1] = abs(pre[N] - y)
        div[r] = dead
        p = 1.0
        q = 1.0
        for i in range(N):
            p *= w[i]
            q *= w1[i]
        res[r, 2] = max(abs(p - y), abs(q - y))  # both phases of a float64 two-cycle
        if t + 1 < steps // 2:
            res[r, 0] = res[r, 2]
        if t + 1 < (3 * steps) // 4:
            res[r, 1] = res[r, 2]
        out[r] = w
    return out, res, div


def scalar_hessian_max(w: np.ndarray, y: float) -> np.ndarray:
    """lambda_max of the exact Hessian of 1/2 (prod w - y)^2 at every row (closed form + eigh)."""
    _, N = w.shape
    p = np.prod(w, axis=1)
    g = np.empty_like(w)
    for i in range(N):
        g[:, i] = np.prod(np.delete(w, i, axis=1), axis=1)
    H = g[:, :, None] * g[:, None, :]
    e = p - y
    for i in range(N):
        for j in range(N):
            if i != j:
                H[:, i, j] += e * np.prod(np.delete(w, [i, j], axis=1), axis=1)
    return np.linalg.eigvalsh(H)[:, -1]


# ------------------------------------------------------------------------------------------
# whitened 2x2 networks, L = 1/2 |W_N ... W_1 - W*|_F^2, theta = (W_1, ..., W_N) row-major
@njit(cache=False, fastmath=False, error_model="numpy")
def _mm(A, B):  # pragma: no cover - compiled
    C = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            C[i, j] = A[i, 0] * B[0, j] + A[i, 1] * B[1, j]
    return C


@njit(cache=False, fastmath=False, error_model="numpy")
def _mtm(A, B):  # A^T B  # pragma: no cover - compiled
    C = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            C[i, j] = A[0, i] * B[0, j] + A[1, i] * B[1, j]
    return C


@njit(cache=False, fastmath=False, error_model="numpy")
def _mmt(A, B):  # A B^T  # pragma: no cover - compiled
    C = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            C[i, j] = A[i, 0] * B[j, 0] + A[i, 1] * B[j, 1]
    return C


@njit(cache=False, fastmath=False, error_model="numpy")
def _matrix_grad(Ws, Wstar):  # pragma: no cover - compiled
    N = Ws.shape[0]
    pre = np.empty((N + 1, 2, 2))  # pre[i] = W_{i-1} ... W_0 (pre[0] = I)
    suf = np.empty((N + 1, 2, 2))  # suf[i] = W_{N-1} ... W_i (suf[N] = I)
    pre[0] = np.eye(2)
    for i in range(N):
        pre[i + 1] = _mm(Ws[i], pre[i])
    suf[N] = np.eye(2)
    for i in range(N - 1, -1, -1):
        suf[i] = _mm(suf[i + 1], Ws[i])
    G = pre[N] - Wstar
    out = np.empty_like(Ws)
    for i in range(N):
        out[i] = _mmt(_mtm(suf[i + 1], G), pre[i])
    res = 0.0
    for a in range(2):
        for b in range(2):
            res += G[a, b] * G[a, b]
    return out, math.sqrt(res)


@njit(cache=False, fastmath=False, error_model="numpy")
def _matrix_runs(th0, N, Wstar, lr, steps):  # pragma: no cover - compiled
    n = th0.shape[0]
    out = np.empty_like(th0)
    res = np.empty((n, 3))
    div = np.zeros(n, dtype=np.bool_)
    for r in range(n):
        Ws = th0[r].copy().reshape(N, 2, 2)
        W1 = Ws.copy()
        W2 = Ws.copy()
        dead = False
        rr = 0.0
        for t in range(steps):
            if t >= 2 and np.all(Ws == W2):
                break  # exact float64 fixed point or two-cycle: repeats forever
            W2[:] = W1
            W1[:] = Ws
            g, rr = _matrix_grad(Ws, Wstar)
            big = 0.0
            for i in range(N):
                for a in range(2):
                    for b in range(2):
                        Ws[i, a, b] = Ws[i, a, b] - lr * g[i, a, b]
                        v = abs(Ws[i, a, b])
                        if not (v <= big):
                            big = v
            if not (big <= 1e6):
                dead = True
                break
            if t + 1 == steps // 2:
                res[r, 0] = rr
            elif t + 1 == (3 * steps) // 4:
                res[r, 1] = rr
        div[r] = dead
        _, rr = _matrix_grad(Ws, Wstar)
        _, r1 = _matrix_grad(W1, Wstar)
        res[r, 2] = max(rr, r1)
        if t + 1 < steps // 2:
            res[r, 0] = res[r, 2]
        if t + 1 < (3 * steps) // 4:
            res[r, 1] = res[r, 2]
        out[r] = Ws.reshape(-1)
    return out, res, div


def matrix_hessian_max(theta: np.ndarray, N: int, lr: float) -> np.ndarray:
    """lambda_max of a central finite-difference Hessian (h = 1e-6) at every row."""
    n, P = theta.shape
    lam = np.empty(n)
    h = 1e-6
    for r in range(n):
        H = np.empty((P, P))
        for j in range(P):
            e = np.zeros(P)
            e[j] = h
            gp, _ = _matrix_grad((theta[r] + e).reshape(N, 2, 2), W_STAR)
            gm, _ = _matrix_grad((theta[r] - e).reshape(N, 2, 2), W_STAR)
            H[:, j] = (gp.reshape(-1) - gm.reshape(-1)) / (2 * h)
        lam[r] = np.linalg.eigvalsh(0.5 * (H + H.T))[-1]
    return lam


# ------------------------------------------------------------------------------------------
# 1/2 (xy - 1)^2 at eta = 1 (sub-geometric convergence at the neutral minima +-(1, 1))
@njit(cache=False, fastmath=False, error_model="numpy")
def _xy_runs(th0, lr, steps):  # pragma: no cover - compiled
    n = th0.shape[0]
    dist = np.empty((n, 3))  # distance to the nearer of +-(1, 1) at steps/4, steps/2, steps
    div = np.zeros(n, dtype=np.bool_)
    resid = np.empty(n)
    for r in range(n):
        x, y = th0[r, 0], th0[r, 1]
        dead = False
        for t in range(steps):
            e = x * y - 1.0
            x, y = x - lr * (e * y), y - lr * (e * x)
            if not (abs(x) <= 1e6 and abs(y) <= 1e6):
                dead = True
                break
            k = -1
            if t + 1 == steps // 4:
                k = 0
            elif t + 1 == steps // 2:
                k = 1
            elif t + 1 == steps:
                k = 2
            if k >= 0:
                d1 = math.sqrt((x - 1.0) ** 2 + (y - 1.0) ** 2)
                d2 = math.sqrt((x + 1.0) ** 2 + (y + 1.0) ** 2)
                dist[r, k] = min(d1, d2)
        div[r] = dead
        resid[r] = abs(x * y - 1.0)
    return dist, resid, div


def cp(k: int, n: int, conf: float = 0.95) -> tuple[float, float]:
    a = 1 - conf
    lo = 0.0 if k == 0 else float(beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - a / 2, k + 1, n - k))
    return lo, hi


def _report(
    name: str, conv: np.ndarray, notconv: np.ndarray, div: np.ndarray, und: np.ndarray, method: str
) -> dict[str, object]:
    n = conv.size
    k = int(conv.sum())
    lo, hi = cp(k, n)
    row = {
        "case": name,
        "n": n,
        "converged": k,
        "diverged": int(div.sum()),
        "not_converged": int(notconv.sum()),
        "undecided": int(und.sum()),
        "fraction": k / n,
        "ci": (lo, hi),
        "method": method,
    }
    print(
        f"{name}: n = {n}, converged {k} ({k / n:.4f}, 95% CP [{lo:.4f}, {hi:.4f}]), "
        f"diverged {int(div.sum())}, bounded/periodic {int(notconv.sum())}, undecided "
        f"{int(und.sum())}  [{method}]",
        flush=True,
    )
    return row


def classify(
    res: np.ndarray, div: np.ndarray, lam: np.ndarray, lr: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    conv = ~div & (res[:, 2] <= 1e-8) & (lam <= 2 / lr * (1 + 1e-6))
    stalled = ~div & ~conv & (res[:, 2] > 0.5 * res[:, 0])
    und = ~div & ~conv & ~stalled
    return conv, stalled, und


def scalar_case(
    name: str, N: int, y: float, scale: float, factor: float, n: int, steps: int, seed: int
) -> dict[str, object]:
    eta_star = 2.0 / (N * abs(y) ** (2 - 2 / N))
    lr = factor * eta_star
    rng = np.random.default_rng(seed)
    th0 = rng.uniform(-scale, scale, size=(n, N))
    w, res, div = _scalar_runs(th0, y, lr, steps)
    lam = np.full(n, np.inf)
    ok = ~div & (res[:, 2] <= 1e-8)
    if ok.any():
        lam[ok] = scalar_hessian_max(w[ok], y)
    conv, stalled, und = classify(res, div, lam, lr)
    return _report(name, conv, stalled, div, und, f"numba float64 GD, {steps} steps, seed {seed}")


def matrix_case(
    name: str, N: int, init: str, factor: float, n: int, steps: int, seed: int
) -> dict[str, object]:
    s1 = np.linalg.svd(W_STAR, compute_uv=False)[0]
    eta_star = 2.0 / (N * s1 ** (2 - 2 / N))
    lr = factor * eta_star
    rng = np.random.default_rng(seed)
    P = 4 * N
    th0 = rng.standard_normal((n, P)) if init == "gaussian" else rng.uniform(-2, 2, (n, P))
    th, res, div = _matrix_runs(th0, N, W_STAR, lr, steps)
    lam = np.full(n, np.inf)
    ok = ~div & (res[:, 2] <= 1e-8)
    if ok.any():
        lam[ok] = matrix_hessian_max(th[ok], N, lr)
    conv, stalled, und = classify(res, div, lam, lr)
    return _report(
        name,
        conv,
        stalled,
        div,
        und,
        f"numba float64 GD, {steps} steps, seed {seed}, S_min = {N * s1 ** (2 - 2 / N):.6f}",
    )


def xy_case(n: int, steps: int, seed: int) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    th0 = rng.uniform(-2, 2, size=(n, 2))
    dist, _, div = _xy_runs(th0, 1.0, steps)
    conv = ~div & (dist[:, 2] < 0.05) & (dist[:, 0] >= 1.5 * dist[:, 2])
    with np.errstate(invalid="ignore"):
        stalled = ~div & ~conv & ((dist[:, 2] >= 0.05) & (dist[:, 2] > 0.9 * dist[:, 0]))
    und = ~div & ~conv & ~stalled
    return _report(
        "xy at eta = eta* = 1",
        conv,
        stalled,
        div,
        und,
        f"numba float64 GD, {steps} steps, seed {seed}, distance to +-(1,1) < 0.05 "
        "and shrinking like t^-1/2",
    )


def longdouble_check(
    N: int, y: float, scale: float, factor: float, n: int, steps: int, seed: int
) -> None:
    """Re-run a scalar case in numpy ``longdouble`` (80-bit extended on x86-64) and compare the
    per-run verdicts with the float64 loop (same initialisations)."""
    eta_star = 2.0 / (N * abs(y) ** (2 - 2 / N))
    lr = factor * eta_star
    rng = np.random.default_rng(seed)
    th0 = rng.uniform(-scale, scale, size=(n, N))
    w64, res, div = _scalar_runs(th0, y, lr, steps)
    lam = np.full(n, np.inf)
    ok = ~div & (res[:, 2] <= 1e-8)
    lam[ok] = scalar_hessian_max(w64[ok], y)
    conv64, _, _ = classify(res, div, lam, lr)
    w = th0.astype(np.longdouble)
    L = np.longdouble(lr)
    Y = np.longdouble(y)
    alive = np.ones(n, dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(steps):
            p = np.prod(w, axis=1)
            g = np.empty_like(w)
            for i in range(N):
                g[:, i] = np.prod(np.delete(w, i, axis=1), axis=1)
            w = w - L * ((p - Y)[:, None] * g)
            bad = ~(np.max(np.abs(w), axis=1) <= 1e6)
            alive &= ~bad
            w[bad] = 0.0
        res_ld = np.abs(np.prod(w, axis=1) - Y)
    conv_ld = alive & (res_ld <= 1e-8)
    agree = int(np.sum(conv_ld == conv64))
    print(
        f"  longdouble check (N={N}, y={y}, {factor} eta*, {steps} steps): converged "
        f"{int(conv_ld.sum())} of {n}; verdict agrees with float64 on {agree} of {n} runs; "
        f"median final residual {float(np.median(res_ld[conv_ld])):.2e}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--only", default="")
    ap.add_argument(
        "--longdouble",
        action="store_true",
        help="also re-run the two scalar cases near eta* in extended precision",
    )
    a = ap.parse_args(argv)
    cases = {
        "n5": lambda: scalar_case(
            "N=5, y=0.7, U[-1.2,1.2]^5, 0.995 eta*", 5, 0.7, 1.2, 0.995, a.n, a.steps, a.seed
        ),
        "n3a": lambda: scalar_case(
            "N=3, y=2, U[-2,2]^3, 0.999 eta*", 3, 2.0, 2.0, 0.999, a.n, a.steps, a.seed + 1
        ),
        "n3b": lambda: scalar_case(
            "N=3, y=2, U[-2,2]^3, 0.99 eta*", 3, 2.0, 2.0, 0.99, a.n, a.steps, a.seed + 2
        ),
        "xy": lambda: xy_case(a.n, 5 * a.steps, a.seed + 3),
        "w2g": lambda: matrix_case(
            "whitened N=2, N(0,I), 0.98 eta*", 2, "gaussian", 0.98, a.n, a.steps, a.seed + 4
        ),
        "w3g": lambda: matrix_case(
            "whitened N=3, N(0,I), 0.98 eta*", 3, "gaussian", 0.98, a.n, a.steps, a.seed + 5
        ),
        "w2u": lambda: matrix_case(
            "whitened N=2, U[-2,2]^8, 0.98 eta*", 2, "uniform", 0.98, a.n, a.steps, a.seed + 6
        ),
        "w3u": lambda: matrix_case(
            "whitened N=3, U[-2,2]^12, 0.98 eta*", 3, "uniform", 0.98, a.n, a.steps, a.seed + 7
        ),
    }
    for key, fn in cases.items():
        if a.only and key not in a.only.split(","):
            continue
        fn()
    if a.longdouble:
        longdouble_check(5, 0.7, 1.2, 0.995, a.n, a.steps, a.seed)
        longdouble_check(3, 2.0, 2.0, 0.999, a.n, a.steps, a.seed + 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
