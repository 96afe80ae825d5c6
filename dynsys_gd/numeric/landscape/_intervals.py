r"""Vectorised interval arithmetic in float64 with outward rounding (private).

An interval is a pair ``(lo, hi)`` of arrays of the same shape.  Every operation computes its
end points in round-to-nearest and moves them one ulp outward (``nextafter``); IEEE 754 rounds
each elementary operation correctly, so the true result of the operation on any numbers in the
operand intervals lies inside the returned interval.  Used by the branch and bound of
:mod:`dynsys_gd.numeric.landscape.smin_depth3` (the Gram matrix of a box of Cholesky factors).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

Arr = NDArray[np.float64]
Iv = tuple[Arr, Arr]


def down(x: Arr) -> Arr:
    """One ulp towards -inf."""
    return np.nextafter(x, -np.inf)


def up(x: Arr) -> Arr:
    """One ulp towards +inf."""
    return np.nextafter(x, np.inf)


def from_fraction(q: Fraction) -> tuple[float, float]:
    """Floats ``lo <= q <= hi`` (exact when q is a binary float)."""
    f = float(q)
    lo = f if Fraction(f) <= q else float(np.nextafter(f, -np.inf))
    hi = f if Fraction(f) >= q else float(np.nextafter(f, np.inf))
    return lo, hi


def point(x: Arr) -> Iv:
    """The degenerate interval ``[x, x]`` (x exact floats)."""
    x = np.asarray(x, dtype=np.float64)
    return x, x.copy()


def add(a: Iv, b: Iv) -> Iv:
    return down(a[0] + b[0]), up(a[1] + b[1])


def sub(a: Iv, b: Iv) -> Iv:
    return down(a[0] - b[1]), up(a[1] - b[0])


def neg(a: Iv) -> Iv:
    return -a[1], -a[0]


def mul(a: Iv, b: Iv) -> Iv:
    p = (a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1])
    lo = np.minimum(np.minimum(p[0], p[1]), np.minimum(p[2], p[3]))
    hi = np.maximum(np.maximum(p[0], p[1]), np.maximum(p[2], p[3]))
    return down(lo), up(hi)


def square(a: Iv) -> Iv:
    lo2, hi2 = a[0] * a[0], a[1] * a[1]
    hi = np.maximum(lo2, hi2)
    lo = np.where((a[0] <= 0) & (a[1] >= 0), 0.0, np.minimum(lo2, hi2))
    return np.maximum(down(lo), 0.0), up(hi)


def exp(a: Iv) -> Iv:
    """``exp(a)``; libm's exp is within 1 ulp, so the ends move 2 ulps outward."""
    return down(down(np.exp(a[0]))), up(up(np.exp(a[1])))


def recip_pos(a: Iv) -> Iv:
    """``1/a`` for intervals with ``a.lo > 0``."""
    if np.any(a[0] <= 0):
        raise ValueError("recip_pos needs positive intervals")
    return down(1.0 / a[1]), up(1.0 / a[0])


def matmul(a: Iv, b: Iv) -> Iv:
    """Interval matrix product over the last two axes (shapes (..., n, k) @ (..., k, m))."""
    k = a[0].shape[-1]
    out: Iv | None = None
    for j in range(k):
        t = mul(
            (a[0][..., :, j : j + 1], a[1][..., :, j : j + 1]),
            (b[0][..., j : j + 1, :], b[1][..., j : j + 1, :]),
        )
        out = t if out is None else add(out, t)
    assert out is not None
    return out


def upper_tri_inverse(r: Iv) -> Iv:
    r"""Inverse of upper-triangular interval matrices (..., d, d) with positive diagonals, by
    back substitution: :math:`X_{ii} = 1/r_{ii}`,
    :math:`X_{ij} = -(\sum_{k=i}^{j-1} X_{ik} r_{kj})/r_{jj}`."""
    d = r[0].shape[-1]
    lo = np.zeros_like(r[0])
    hi = np.zeros_like(r[1])
    inv_diag = [recip_pos((r[0][..., j, j], r[1][..., j, j])) for j in range(d)]
    for i in range(d):
        lo[..., i, i], hi[..., i, i] = inv_diag[i]
        for j in range(i + 1, d):
            acc: Iv | None = None
            for k in range(i, j):
                t = mul((lo[..., i, k], hi[..., i, k]), (r[0][..., k, j], r[1][..., k, j]))
                acc = t if acc is None else add(acc, t)
            assert acc is not None
            v = neg(mul(acc, inv_diag[j]))
            lo[..., i, j], hi[..., i, j] = v
    return lo, hi
