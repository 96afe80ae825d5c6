r"""Certified eigenvalue enclosures of :math:`H` and :math:`DG_\eta = I - \eta H`
(docs/math/claims.md#c3, docs/math/claims.md#c5, docs/math/claims.md#c6,
docs/math/claims.md#c9).

Method (rigorous, python-flint ball arithmetic)
------------------------------------------------
For a real symmetric matrix :math:`A` given exactly (``flint.fmpq_mat``) or as balls
(``flint.arb_mat``):

1. a float64 eigendecomposition :math:`A \approx V\Lambda V^\top` gives an approximate eigenbasis
   :math:`V` (its float entries are exact binary rationals);
2. :math:`B = V^{-1} A V` is computed in ball arithmetic, with :math:`V^{-1}` a rigorous ball
   enclosure of the inverse; :math:`B` is similar to :math:`A`, so it has exactly the same
   eigenvalues;
3. Gershgorin's theorem on :math:`B`: every eigenvalue lies in a disc centred at
   :math:`B_{ii}` of radius :math:`\sum_{j\ne i}|B_{ij}|`, and a connected union of :math:`k`
   discs disjoint from the others contains exactly :math:`k` eigenvalues.  :math:`A` is
   symmetric, so its eigenvalues are real and each disc is intersected with the real line.

Multiple eigenvalues (the eigenvalue 0 of :math:`H`, i.e. 1 of :math:`DG_\eta`, of multiplicity
:math:`\dim M` on the minima manifold, C3) are handled as *clusters*: the discs of a multiple
eigenvalue overlap and the cluster reports its multiplicity exactly, while the normal spectrum
is enclosed by separate, tight intervals.  All bounds are returned as exact
:class:`fractions.Fraction` end points (the ball end points are exact binary numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ..._results import ResultMixin, jsonable
from ..._validation import _to_exact, check_int, describe
from ...errors import InvalidParameterError
from ...models import LinearNetwork

__all__ = [
    "EigenCluster",
    "SpectrumEnclosure",
    "arb_to_interval",
    "certified_dg_spectrum",
    "certified_spectrum",
    "exact_hessian",
]


def _arf_to_fraction(x: Any) -> Fraction:
    man, exp = x.man_exp()
    man, exp = int(man), int(exp)
    return Fraction(man) * (Fraction(2) ** exp)


def arb_to_interval(x: Any) -> tuple[Fraction, Fraction]:
    """Exact rational end points ``(lo, hi)`` of a ``flint.arb`` ball (mid ∓ rad)."""
    return _arf_to_fraction(x.lower()), _arf_to_fraction(x.upper())


@dataclass(frozen=True)
class EigenCluster:
    """``count`` eigenvalues (with multiplicity) lie in ``[lo, hi]`` (certified)."""

    lo: Fraction
    hi: Fraction
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"lo": float(self.lo), "hi": float(self.hi), "count": self.count}


@dataclass(frozen=True, repr=False)
class SpectrumEnclosure(ResultMixin):
    r"""Certified enclosure of the real spectrum of a symmetric matrix.

    Attributes
    ----------
    clusters : tuple of EigenCluster
        Disjoint intervals in increasing order; together they hold all eigenvalues, and each
        holds exactly ``count`` of them (Gershgorin on a similar matrix).
    size : int
        Matrix size.
    method : str
        Always "certified ball arithmetic (Gershgorin on V^-1 A V)".
    """

    clusters: tuple[EigenCluster, ...]
    size: int
    method: str = "certified ball arithmetic (Gershgorin on V^-1 A V)"

    @property
    def lower(self) -> Fraction:
        """Certified lower bound of the smallest eigenvalue."""
        return self.clusters[0].lo

    @property
    def upper(self) -> Fraction:
        """Certified upper bound of the largest eigenvalue."""
        return self.clusters[-1].hi

    @property
    def top(self) -> EigenCluster:
        """The cluster holding the largest eigenvalue(s)."""
        return self.clusters[-1]

    def count_in(self, lo: Fraction, hi: Fraction) -> int | None:
        """Exact number of eigenvalues in ``[lo, hi]`` if every cluster lies inside or outside
        it, else ``None`` (undecided)."""
        n = 0
        for c in self.clusters:
            if lo <= c.lo and c.hi <= hi:
                n += c.count
            elif c.hi < lo or c.lo > hi:
                continue
            else:
                return None
        return n

    def __repr__(self) -> str:
        return (
            f"SpectrumEnclosure(size={self.size}, clusters={len(self.clusters)}, "
            f"range=[{float(self.lower):.6g}, {float(self.upper):.6g}])"
        )

    def summary(self) -> str:
        lines = [f"{self.method}; {self.size} eigenvalues in {len(self.clusters)} clusters"]
        for c in self.clusters:
            lines.append(f"  {c.count:4d} in [{float(c.lo):.12g}, {float(c.hi):.12g}]")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "method": self.method,
            "clusters": jsonable([c.to_dict() for c in self.clusters]),
        }


def _as_arb_mat(A: Any, prec: int) -> tuple[Any, np.ndarray]:
    import flint

    if isinstance(A, flint.fmpq_mat):
        n = A.nrows()
        entries = [[A[i, j] for j in range(A.ncols())] for i in range(n)]
        B = flint.arb_mat([[flint.arb(x) for x in row] for row in entries])
        F = np.array(
            [[float(Fraction(int(x.p), int(x.q))) for x in row] for row in entries], dtype=float
        )
        return B, F
    if isinstance(A, flint.arb_mat):
        n = A.nrows()
        F = np.array([[float(A[i, j].mid()) for j in range(A.ncols())] for i in range(n)])
        return A, F
    arr = np.asarray(A)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise InvalidParameterError(f"A must be a non-empty square matrix; got {describe(A)}")
    exact = [[_to_exact("A", x) for x in row] for row in arr.tolist()]
    Q = flint.fmpq_mat([[flint.fmpq(x.numerator, x.denominator) for x in r] for r in exact])
    return _as_arb_mat(Q, prec)


def certified_spectrum(A: Any, *, prec: int = 128) -> SpectrumEnclosure:
    r"""Certified enclosure of all eigenvalues of a real symmetric matrix (see module doc).

    Parameters
    ----------
    A : flint.fmpq_mat, flint.arb_mat or array_like
        Symmetric matrix; floats are taken at their exact binary value.
    prec : int
        Working precision in bits of the ball arithmetic (>= 53).

    Returns
    -------
    SpectrumEnclosure
    """
    import flint

    bits = check_int("prec", prec, minimum=53)
    old = flint.ctx.prec
    flint.ctx.prec = bits
    try:
        B, F = _as_arb_mat(A, bits)
        n = B.nrows()
        if n != B.ncols():
            raise InvalidParameterError(f"A must be square; got shape ({n}, {B.ncols()})")
        if not np.allclose(F, F.T, rtol=0, atol=1e-12 * max(1.0, float(np.abs(F).max()))):
            raise InvalidParameterError("A must be symmetric; got a non-symmetric matrix")
        _, V = np.linalg.eigh(0.5 * (F + F.T))
        Va = flint.arb_mat([[flint.arb(float(x)) for x in row] for row in V])
        Vinv = Va.inv()
        C = Vinv * B * Va
        discs: list[tuple[Fraction, Fraction]] = []
        for i in range(n):
            rad = flint.arb(0)
            for j in range(n):
                if j != i:
                    rad += abs(C[i, j])
            lo_c, hi_c = arb_to_interval(C[i, i])
            r = arb_to_interval(rad)[1]
            discs.append((lo_c - r, hi_c + r))
    finally:
        flint.ctx.prec = old
    discs.sort()
    clusters: list[EigenCluster] = []
    cur_lo, cur_hi, cnt = discs[0][0], discs[0][1], 1
    for lo, hi in discs[1:]:
        if lo <= cur_hi:
            cur_hi = max(cur_hi, hi)
            cnt += 1
        else:
            clusters.append(EigenCluster(cur_lo, cur_hi, cnt))
            cur_lo, cur_hi, cnt = lo, hi, 1
    clusters.append(EigenCluster(cur_lo, cur_hi, cnt))
    return SpectrumEnclosure(tuple(clusters), n)


def certified_dg_spectrum(H: Any, lr: Any, *, prec: int = 128) -> SpectrumEnclosure:
    r"""Certified enclosure of the spectrum of :math:`DG_\eta = I - \eta H` (C3).

    Each Hessian cluster :math:`[a, b]` maps to :math:`[1 - \eta b, 1 - \eta a]` exactly (η is
    taken as an exact rational), so the eigenvalue 1 of multiplicity :math:`\dim M` on the minima
    manifold is the image of the Hessian cluster at 0.
    """
    eta = _to_exact("lr", lr)
    if eta <= 0:
        raise InvalidParameterError(f"lr must be a finite float > 0; got {lr!r}")
    enc = certified_spectrum(H, prec=prec)
    cl = [EigenCluster(1 - eta * c.hi, 1 - eta * c.lo, c.count) for c in reversed(enc.clusters)]
    return SpectrumEnclosure(tuple(cl), enc.size)


# -- exact Hessian of a linear network ----------------------------------------------------------
def _fq(x: Fraction) -> Any:
    import flint

    return flint.fmpq(x.numerator, x.denominator)


def _eye(n: int) -> Any:
    import flint

    return flint.fmpq_mat(n, n, [1 if r == c else 0 for r in range(n) for c in range(n)])


def exact_product_and_jacobian(
    net: LinearNetwork, q: list[Any]
) -> tuple[list[Any], list[Any], list[Any], Any, Any]:
    r"""Exact layers, suffix/prefix products, :math:`W(\theta)` and the Jacobian :math:`J` of
    row-major :math:`\operatorname{vec} W` at a rational point (``flint.fmpq`` coordinates).

    Returns ``(Ws, As, Bs, W, J)`` with :math:`A_i = W_N\cdots W_{i+1}`,
    :math:`B_i = W_{i-1}\cdots W_1` and :math:`J_i = A_i \otimes B_i^\top`.
    """
    import flint

    o = net.offsets
    N = net.depth
    d = net.widths
    Ws = [flint.fmpq_mat(a, b, q[o[i] : o[i + 1]]) for i, (a, b) in enumerate(net.layer_shapes)]
    Bs = [_eye(d[0])]
    for i in range(N - 1):
        Bs.append(Ws[i] * Bs[-1])
    As: list[Any] = [None] * N
    As[N - 1] = _eye(d[N])
    for i in range(N - 2, -1, -1):
        As[i] = As[i + 1] * Ws[i + 1]
    W = As[0] * Ws[0]
    dN, d0 = d[N], d[0]
    J = flint.fmpq_mat(dN * d0, net.n_params)
    for i in range(N):
        A, B = As[i], Bs[i]
        a_, b_ = net.layer_shapes[i]
        for r in range(dN):
            for c in range(d0):
                row = r * d0 + c
                for u in range(a_):
                    Aru = A[r, u]
                    if Aru == 0:
                        continue
                    for v in range(b_):
                        J[row, o[i] + u * b_ + v] = Aru * B[v, c]
    return Ws, As, Bs, W, J


def exact_hessian(net: LinearNetwork, theta: Any) -> Any:
    r"""Exact Hessian of a linear network at a rational point, as ``flint.fmpq_mat``.

    Closed form (see :mod:`dynsys_gd.numeric.kernels`): with :math:`A_i = W_N\cdots W_{i+1}`,
    :math:`B_i = W_{i-1}\cdots W_1`, :math:`J_i = A_i\otimes B_i^\top` and
    :math:`R = W\Sigma_{xx}-\Sigma_{yx}`,

    .. math::
       H = J^\top (I\otimes\Sigma_{xx}) J + H_R, \qquad
       (H_R)_{(j,ab),(i,cd)} = (W_{j-1}\cdots W_{i+1})_{bc}\,(A_j^\top R B_i^\top)_{ad}
       \quad (j > i),

    evaluated with exact rational matrices (no symbolic expansion), so it scales to hundreds of
    parameters.  Floats in ``theta`` are taken at their exact binary value.
    """
    import flint

    if not isinstance(net, LinearNetwork):
        raise InvalidParameterError(f"net must be a LinearNetwork; got {describe(net)}")
    vals = list(np.asarray(theta, dtype=object).ravel().tolist())
    if len(vals) != net.n_params:
        raise InvalidParameterError(f"theta must have {net.n_params} coordinates; got {len(vals)}")
    q = [_fq(_to_exact("theta", v)) for v in vals]
    o = net.offsets
    N = net.depth
    d = net.widths
    Ws, As, Bs, W, J = exact_product_and_jacobian(net, q)
    Sxx = flint.fmpq_mat([[_fq(x) for x in r] for r in net.Sxx_exact])
    Syx = flint.fmpq_mat([[_fq(x) for x in r] for r in net.Syx_exact])
    R = W * Sxx - Syx
    dN, d0 = d[N], d[0]
    # I ⊗ Sxx applied blockwise
    K = flint.fmpq_mat(dN * d0, dN * d0)
    for r in range(dN):
        for a in range(d0):
            for b in range(d0):
                K[r * d0 + a, r * d0 + b] = Sxx[a, b]
    H = J.transpose() * K * J
    if any(R[r, c] != 0 for r in range(dN) for c in range(d0)):
        for j in range(N):
            for i in range(j):
                M = _eye(d[i + 1])
                for k in range(i + 1, j):
                    M = Ws[k] * M
                # M = W_{j-1}..W_{i+1}: d_{j-1+1}? shape (d_j, d_{i+1}) as layer j has input d_j
                T = As[j].transpose() * R * Bs[i].transpose()  # (d_{j+1} x d_i)
                aj, bj = net.layer_shapes[j]
                ai, bi = net.layer_shapes[i]
                for a in range(aj):
                    for b in range(bj):
                        p = o[j] + a * bj + b
                        for c in range(ai):
                            Mbc = M[b, c]
                            if Mbc == 0:
                                continue
                            for dd in range(bi):
                                val = Mbc * T[a, dd]
                                qi = o[i] + c * bi + dd
                                H[p, qi] += val
                                H[qi, p] += val
    return H
