"""Certified S_min of deep linear networks with a general Σxx against an independent optimiser.

For (2, 2, 2, 2), (2, 3, 3, 2) and (3, 4, 3) with a general Σxx, and a few more shapes with
``--more``: the certified enclosure of
:func:`dynsys_gd.numeric.landscape.sharpness.certified_min_sharpness_deep` (its width and CPU
time) next to an independent minimisation of λ_max(H) over M written here from scratch (no
project code): free W_1..W_{N-1}, W_N = W* B^+ with B = W_{N-1}...W_1 (every point of M with
B of full column rank has this W_N up to a term that only adds a PSD part to H), H = J^T (I ⊗
Σxx) J with J built from the layer products, BFGS from many seeded starts then Nelder–Mead,
and λ_max at the best point re-evaluated in mpmath at 40 digits.

Run: ``python benchmarks/reference_deep_smin.py [--starts 12] [--more]``.
"""

from __future__ import annotations

import argparse
import time
from fractions import Fraction

import mpmath
import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

Arr = NDArray[np.float64]

CASES: list[tuple[tuple[int, ...], Arr, Arr]] = [
    (
        (2, 2, 2, 2),
        np.array([[2.0, 0.5], [0.5, 1.0]]),
        np.array([[1.5, 0.3], [-0.2, 0.7]]),
    ),
    (
        (2, 3, 3, 2),
        np.array([[1.5, -0.375], [-0.375, 0.75]]),
        np.array([[0.875, -1.125], [0.625, 1.25]]),
    ),
    (
        (3, 4, 3),
        np.array([[2.0, 0.25, -0.5], [0.25, 1.0, 0.125], [-0.5, 0.125, 1.5]]),
        np.array([[1.0, -0.5, 0.25], [0.75, 0.5, -1.0], [0.0, 1.25, 0.5]]),
    ),
]
MORE: list[tuple[tuple[int, ...], Arr, Arr]] = [
    (
        (3, 3, 3, 3),
        np.array([[2.0, 0.25, -0.5], [0.25, 1.0, 0.125], [-0.5, 0.125, 1.5]]),
        np.array([[1.0, -0.5, 0.25], [0.75, 0.5, -1.0], [0.0, 1.25, 0.5]]),
    ),
    (
        (2, 2, 2, 2, 2),
        np.array([[1.0, 0.625], [0.625, 2.0]]),
        np.array([[0.5, 1.5], [-1.0, 0.25]]),
    ),
]


def _layers(z: Arr, widths: tuple[int, ...], ws: Arr) -> list[Arr]:
    """W_1..W_{N-1} from z, W_N = W* B^+ (minimal norm)."""
    out, k = [], 0
    for i in range(len(widths) - 2):
        n = widths[i + 1] * widths[i]
        out.append(z[k : k + n].reshape(widths[i + 1], widths[i]))
        k += n
    B = np.eye(widths[0])
    for W in out:
        B = W @ B
    out.append(ws @ np.linalg.pinv(B))
    return out


def _jacobian_mp(Ws: list[mpmath.matrix], dims: tuple[int, ...]) -> list[list[mpmath.mpf]]:
    """Columns d vec_row(W_N...W_1) / d (W_l)_{ab} in mpmath, one unit matrix E at a time."""
    N = len(Ws)
    cols = []
    for l in range(N):
        pre = mpmath.eye(dims[0])
        for W in Ws[:l]:
            pre = W * pre
        suf = mpmath.eye(dims[l + 1])
        for W in Ws[l + 1 :]:
            suf = W * suf
        for a in range(dims[l + 1]):
            for b in range(dims[l]):
                E = mpmath.zeros(dims[l + 1], dims[l])
                E[a, b] = 1
                M = suf * E * pre
                cols.append([M[i, j] for i in range(M.rows) for j in range(M.cols)])
    return cols


def lam_max(z: Arr, widths: tuple[int, ...], ws: Arr, S: Arr) -> float:
    """λ_max(H) in float64; vec_row(A E B) = (A ⊗ B^T) vec_row(E) gives J block by block."""
    Ws = _layers(z, widths, ws)
    if not np.all(np.isfinite(Ws[-1])) or np.abs(Ws[-1]).max() > 1e6:
        return 1e6
    blocks = []
    for l in range(len(Ws)):
        pre = np.eye(widths[0])
        for W in Ws[:l]:
            pre = W @ pre
        suf = np.eye(widths[l + 1])
        for W in Ws[l + 1 :]:
            suf = W @ suf
        blocks.append(np.kron(suf, pre.T))
    J = np.hstack(blocks)
    H = J.T @ np.kron(np.eye(widths[-1]), S) @ J
    return float(np.linalg.eigvalsh(0.5 * (H + H.T))[-1])


def lam_max_mp(z: Arr, widths: tuple[int, ...], S: Arr, Syx: Arr) -> mpmath.mpf:
    """λ_max(H) at the same point, every step in mpmath (40 digits, W* from the exact data)."""
    mpmath.mp.dps = 40

    def exact(v: float) -> mpmath.mpf:
        q = Fraction(v)
        return mpmath.mpf(q.numerator) / q.denominator

    Sm = mpmath.matrix([[exact(v) for v in r] for r in S.tolist()])
    Ym = mpmath.matrix([[exact(v) for v in r] for r in Syx.tolist()])
    wsm = Ym * Sm**-1
    Ws = [mpmath.matrix(W.tolist()) for W in _layers(z, widths, np.zeros((widths[-1], widths[0])))]
    Ws = Ws[:-1]
    B = mpmath.eye(widths[0])
    for W in Ws:
        B = W * B
    Ws.append(wsm * (B.T * B) ** -1 * B.T)
    J = mpmath.matrix(_jacobian_mp(Ws, widths)).T
    D = mpmath.zeros(widths[-1] * widths[0], widths[-1] * widths[0])
    for i in range(widths[-1]):
        for a in range(widths[0]):
            for b in range(widths[0]):
                D[i * widths[0] + a, i * widths[0] + b] = Sm[a, b]
    H = J.T * D * J
    return max(mpmath.eigsy(H, eigvals_only=True))


def independent_smin(widths: tuple[int, ...], S: Arr, Syx: Arr, starts: int) -> tuple[float, Arr]:
    ws = Syx @ np.linalg.inv(S)
    n = sum(widths[i + 1] * widths[i] for i in range(len(widths) - 2))
    rng = np.random.default_rng(20261207)
    best, best_z = np.inf, np.zeros(n)
    for _ in range(starts):
        z0 = rng.normal(size=n)
        f = lambda z: lam_max(z, widths, ws, S)  # noqa: E731
        r = minimize(f, z0, method="BFGS", options={"gtol": 1e-10, "maxiter": 2000})
        r2 = minimize(
            f,
            r.x,
            method="Nelder-Mead",
            options={"maxiter": 20000, "xatol": 1e-11, "fatol": 1e-15, "adaptive": True},
        )
        z = r2.x if r2.fun < r.fun else r.x
        if f(z) < best:
            best, best_z = f(z), z
    return best, best_z


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--starts", type=int, default=12)
    ap.add_argument("--more", action="store_true")
    args = ap.parse_args()
    from dynsys_gd.models import LinearNetwork
    from dynsys_gd.numeric.landscape.sharpness import certified_min_sharpness_deep

    for widths, S, Syx in CASES + (MORE if args.more else []):
        net = LinearNetwork.from_covariances(widths, Sxx=S, Syx=Syx)
        t0 = time.process_time()
        c = certified_min_sharpness_deep(net)
        t_cert = time.process_time() - t0
        t0 = time.process_time()
        ind, z = independent_smin(widths, S, Syx, args.starts)
        t_ind = time.process_time() - t0
        ind_mp = lam_max_mp(z, widths, S, Syx)
        lo, hi = float(c.lower), float(c.upper)
        ind_q = Fraction(mpmath.nstr(ind_mp, 35, strip_zeros=False))
        below = float(ind_q - c.lower)  # >= 0 unless the lower bound were wrong (or 1e-35)
        above = float(ind_q - c.upper)  # >= 0 would mean the certified point is no flatter
        print(f"widths {widths}: certified S_min in [{lo:.16g}, {hi:.16g}]")
        print(f"  width {c.width:.2e} (relative {c.relative_width:.1e}), CPU {t_cert:.2f} s")
        print(f"  method: {c.method}")
        print(
            f"  independent optimiser ({args.starts} starts, CPU {t_ind:.1f} s): "
            f"{ind:.16g} (float64), {mpmath.nstr(ind_mp, 20)} (mpmath at its point)"
        )
        print(
            f"  independent - lower = {below:.2e}, independent - upper = {above:.2e}; "
            f"agree to 1e-9: {abs(above) <= 1e-9 and below >= -1e-30}"
        )


if __name__ == "__main__":
    main()
