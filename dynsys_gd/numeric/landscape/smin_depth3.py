r"""Certified :math:`S_{\min}` of a depth-3 linear network with square layers and any
:math:`\Sigma_{xx}`: a branch and bound over one Gram matrix with a convex dual bound in each
box (docs/math/certified-smin.md).

**Reduction.**  With all widths :math:`d` and :math:`W^*` invertible, on M write
:math:`X = W_1^\top W_1` and :math:`Y = W_3W_3^\top` (both :math:`\succ 0`).  The non-zero
spectrum of the Hessian is that of :math:`K = (I\otimes S^{1/2})\,\mathcal M\,(I\otimes
S^{1/2})`, :math:`S = \Sigma_{xx}`, with

.. math::
   \mathcal M(X, Y) = (W^*X^{-1}W^{*\top})\otimes I + Y\otimes X + I\otimes(W^{*\top}Y^{-1}W^*),

so :math:`S_{\min} = \min_{X, Y\succ 0}\lambda_{\max}(\mathcal M, I\otimes S^{-1})` (every
pair is realised by :math:`W_1 = X^{1/2}`, :math:`W_3 = Y^{1/2}`,
:math:`W_2 = W_3^{-1}W^*W_1^{-1}`).

**Compactness.**  With U a certified upper bound of :math:`S_{\min}`, a point with
:math:`\lambda_{\max} \le U` has :math:`\lambda_{\min}(Y) \ge \lambda_{\min}(W^{*\top}W^*)
\lambda_{\min}(S)/U` (third term) and :math:`\lambda_{\max}(Y) \le U^2/(4\lambda_{\min}(S)^2
\lambda_{\min}(W^{*\top}W^*))` (first two terms on :math:`u\otimes v`, AM–GM in
:math:`\lambda_{\max}(X)`).

**Bound on a box of Y.**  For Y in an entry box with centre :math:`Y_c` and radii R,
:math:`\lVert Y - Y_c\rVert_2 \le r = \max_i\sum_j R_{ij}`, so :math:`Y \succeq Y_L = Y_c - rI`
(or :math:`\lambda_{\min}(Y) I` from above when that is not positive definite) and
:math:`Y \preceq Y_U = Y_c + rI`; replacing Y by :math:`Y_L` and :math:`Y^{-1}` by
:math:`Y_U^{-1}` lowers :math:`\mathcal M`.  For any :math:`Z = \sum_k z_kz_k^\top \succeq 0`
(:math:`z_k \leftrightarrow Z_k \in \mathbb R^{d\times d}`) weak duality and the matrix AM–GM
inequality :math:`\langle A, X\rangle + \langle B, X^{-1}\rangle \ge
2\operatorname{tr}(B^{1/2}AB^{1/2})^{1/2}` give, for every X and every Y in the box,

.. math::
   \lambda_{\max} \ge \frac{\sum_k \operatorname{tr}(Z_kD_UZ_k^\top)
   + 2\sum_i\sqrt{\lambda_i(F^\top AF)}}{\sum_k\operatorname{tr}(Z_kS^{-1}Z_k^\top)},\quad
   A = \sum_k Z_k^\top Y_LZ_k,\ F = [W^{*\top}Z_1, W^{*\top}Z_2, \dots],\
   D_U = W^{*\top}Y_U^{-1}W^*,

evaluated in exact rational and ball arithmetic (the eigenvalues certified).  Z is chosen in
floats by maximising this bound (rank 2, warm started from the parent box); any Z is valid.

**Search.**  Best first over boxes of Y, bisecting the widest entry, until every box's bound
reaches the goal or the box budget (an operation count) is spent.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._validation import check_int, describe
from ...errors import InvalidParameterError
from ...models import LinearNetwork
from .smin_certificate import DeepSminCertificate

__all__ = ["certified_min_sharpness_depth3"]

METHOD = (
    "branch and bound over Y = W3 W3^T with a certified dual bound per box "
    "(matrix AM-GM in X = W1^T W1, ball arithmetic); upper bound at an exact point of M"
)
RANK = 2


def _fq(x: Fraction) -> Any:
    import flint

    return flint.fmpq(x.numerator, x.denominator)


def _fmat(rows: Any) -> Any:
    import flint

    return flint.fmpq_mat([[_fq(Fraction(v)) for v in r] for r in rows])


def _frac(q: Any) -> Fraction:
    return Fraction(int(q.p), int(q.q))


def _check(net: Any) -> LinearNetwork:
    if not isinstance(net, LinearNetwork):
        raise InvalidParameterError(f"net must be a LinearNetwork; got {describe(net)}")
    net.require_manifold()
    if net.depth != 3 or len(set(net.widths)) != 1:
        raise InvalidParameterError(
            f"net must have depth 3 and equal widths; got widths {net.widths}"
        )
    return net


class _Data:
    def __init__(self, net: LinearNetwork) -> None:
        from .enclosures import certified_spectrum

        self.d = net.widths[0]
        self.S = _fmat(net.Sxx_exact)
        self.Sinv = self.S.inv()
        self.W = _fmat(net.Syx_exact) * self.Sinv
        self.Sf = np.array(
            [[float(_frac(self.S[i, j])) for j in range(self.d)] for i in range(self.d)]
        )
        self.Sinvf = np.linalg.inv(self.Sf)
        self.Wf = np.asarray(net.W_star, dtype=np.float64)
        self.lam_s = certified_spectrum(self.S).lower
        self.lam_w = certified_spectrum(self.W.transpose() * self.W).lower
        if self.lam_s <= 0 or self.lam_w <= 0:
            raise InvalidParameterError("net must have Sxx > 0 and W* invertible; got otherwise")


def _phi(F: NDArray[np.float64], d: int, YL: Any, DU: Any, dat: _Data) -> float:
    """The dual bound in floats for Z = F F^T (F: d*d x RANK)."""
    Zk = [F[:, k].reshape(d, d) for k in range(F.shape[1])]
    A = sum(Z.T @ YL @ Z for Z in Zk)
    Fb = np.concatenate([dat.Wf.T @ Z for Z in Zk], axis=1)
    G = Fb.T @ A @ Fb
    ev = np.clip(np.linalg.eigvalsh(0.5 * (G + G.T)), 0.0, None)
    num = sum(np.trace(Z @ DU @ Z.T) for Z in Zk) + 2.0 * np.sqrt(ev).sum()
    den = sum(np.trace(Z @ dat.Sinvf @ Z.T) for Z in Zk)
    return float(num / den)


def _dual_from_sdp(YL: Any, DU: Any, dat: _Data) -> NDArray[np.float64] | None:
    r"""Float dual matrix of :math:`\min t` s.t. :math:`[[t(I\otimes S^{-1}) - Y_L\otimes X -
    I\otimes D_U, W^*\otimes I], [W^{*\top}\otimes I, X\otimes I]] \succeq 0` (clarabel), as a
    factor F with :math:`Z_{11} = FF^\top` (the block that multiplies the eigenvalue
    constraint); None if the solver fails."""
    import clarabel
    from scipy import sparse

    from .depth2_sdp import _smat, _svec, _sym_basis

    d = dat.d
    n = d * d
    eye = np.eye(d)

    def block(tl: NDArray[Any], br: NDArray[Any], off: NDArray[Any]) -> NDArray[Any]:
        out = np.zeros((2 * n, 2 * n))
        out[:n, :n] = tl
        out[n:, n:] = br
        out[:n, n:] = off
        out[n:, :n] = off.T
        return out

    zero = np.zeros((n, n))
    F0 = block(-np.kron(eye, DU), zero, np.kron(dat.Wf, eye))
    cols = [_svec(block(np.kron(eye, dat.Sinvf), zero, zero))]
    for E in _sym_basis(d):
        cols.append(_svec(block(-np.kron(YL, E), np.kron(E, eye), zero)))
    A = sparse.csc_matrix(-np.array(cols).T)
    q = np.zeros(len(cols))
    q[0] = 1.0
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.max_iter = 200
    solver = clarabel.DefaultSolver(
        sparse.csc_matrix((len(cols), len(cols))),
        q,
        A,
        _svec(F0),
        [clarabel.PSDTriangleConeT(2 * n)],
        settings,
    )
    sol = solver.solve()
    z = np.asarray(sol.z)
    if not np.all(np.isfinite(z)):
        return None
    Z = _smat(z, 2 * n)[:n, :n]
    lam, V = np.linalg.eigh(0.5 * (Z + Z.T))
    keep = lam > 1e-12 * max(lam[-1], 1e-300)
    if not np.any(keep):
        return None
    return np.asarray(V[:, keep] * np.sqrt(lam[keep]), dtype=np.float64)


def _certified_phi(F: NDArray[np.float64], YL: Any, DU: Any, dat: _Data) -> Fraction:
    """The same bound, rigorous: exact rationals and certified eigenvalues."""
    import flint

    from .enclosures import arb_to_interval, certified_spectrum

    d = dat.d
    Zk = [_fmat(F[:, k].reshape(d, d).tolist()) for k in range(F.shape[1])]
    A = Zk[0].transpose() * YL * Zk[0]
    for Z in Zk[1:]:
        A += Z.transpose() * YL * Z
    Fb = flint.fmpq_mat(d, d * len(Zk))
    for k, Z in enumerate(Zk):
        WZ = dat.W.transpose() * Z
        for i in range(d):
            for j in range(d):
                Fb[i, k * d + j] = WZ[i, j]
    G = Fb.transpose() * A * Fb
    lin = Fraction(0)
    den = Fraction(0)
    for Z in Zk:
        T1 = Z * DU * Z.transpose()
        T2 = Z * dat.Sinv * Z.transpose()
        lin += sum((_frac(T1[i, i]) for i in range(d)), Fraction(0))
        den += sum((_frac(T2[i, i]) for i in range(d)), Fraction(0))
    if den <= 0:
        return Fraction(0)
    enc = certified_spectrum(G)
    old = flint.ctx.prec
    flint.ctx.prec = 128
    try:
        total = flint.arb(_fq(lin))
        for c in enc.clusters:
            if c.lo > 0:
                total += 2 * c.count * flint.arb(_fq(c.lo)).sqrt()
        lo = arb_to_interval(total / flint.arb(_fq(den)))[0]
    finally:
        flint.ctx.prec = old
    return max(lo, Fraction(0))


def _factor_box(
    lo: NDArray[Any], hi: NDArray[Any], d: int
) -> tuple[list[list[Fraction]], list[list[Fraction]]]:
    """Centre and entry radii (exact binary rationals) of the Cholesky factors L of a box of
    ``z`` (log-diagonal, then the strictly lower entries row by row); exp rounded outward."""
    from . import _intervals as iv

    C = [[Fraction(0)] * d for _ in range(d)]
    R = [[Fraction(0)] * d for _ in range(d)]
    for i in range(d):
        e = iv.exp((np.array([lo[i]]), np.array([hi[i]])))
        a, b = Fraction(float(e[0][0])), Fraction(float(e[1][0]))
        C[i][i], R[i][i] = (a + b) / 2, (b - a) / 2
    k = d
    for i in range(d):
        for j in range(i):
            a, b = Fraction(float(lo[k])), Fraction(float(hi[k]))
            C[i][j], R[i][j] = (a + b) / 2, (b - a) / 2
            k += 1
    return C, R


def _box_matrices(
    lo: NDArray[Any], hi: NDArray[Any], d: int, ymin: Fraction
) -> tuple[Any, Any] | None:
    r"""Exact :math:`Y_L \preceq Y \preceq Y_U` for every :math:`Y = LL^\top` of the box (or
    None when it holds no Y with :math:`\lambda_{\min}(Y) \ge y_{\min}`): with
    :math:`L = L_c + E`, :math:`|E| \le R`, :math:`G = L_c^{-1}E` has
    :math:`\lVert G\rVert_2 \le g`, the smaller of the Frobenius norm of
    :math:`|L_c^{-1}|R` and the square root of the product of its 1- and inf-norms, and
    :math:`Y = L_c(I + G)(I + G)^\top L_c^\top` lies between :math:`(1 \mp g)^2L_cL_c^\top`."""
    import math

    C, R = _factor_box(lo, hi, d)
    Lc = _fmat(C)
    Linv = Lc.inv()
    M = [
        [sum((abs(_frac(Linv[i, k])) * R[k][j] for k in range(d)), Fraction(0)) for j in range(d)]
        for i in range(d)
    ]
    # ||G||_2^2 <= min(||M||_F^2, ||M||_1 ||M||_inf)
    g2 = min(
        sum((x * x for row in M for x in row), Fraction(0)),
        max(sum(row) for row in M) * max(sum(M[i][j] for i in range(d)) for j in range(d)),
    )
    g = Fraction(math.sqrt(float(g2)) * (1 + 1e-9) + 1e-300)
    while g * g < g2:
        g *= Fraction(1_000_001, 1_000_000)
    Yc = Lc * Lc.transpose()
    YU = Yc * _fq((1 + g) ** 2)
    if sum((_frac(YU[i, i]) for i in range(d)), Fraction(0)) < ymin:  # lambda_max <= trace
        return None
    # both are valid lower bounds for the Y that matter; keep the scaled centre when it exists
    YL = Yc * _fq((1 - g) ** 2) if g < 1 else _fmat(np.eye(d).tolist()) * _fq(ymin)
    return YL, YU


def _split_axis(lo: NDArray[Any], hi: NDArray[Any], d: int) -> int:
    """The coordinate whose radius contributes most to g (floats; only a heuristic)."""
    C, R = _factor_box(lo, hi, d)
    Linv = np.abs(np.linalg.inv(np.array([[float(x) for x in r] for r in C])))
    Rf = np.array([[float(x) for x in r] for r in R])
    pos = [(i, i) for i in range(d)] + [(i, j) for i in range(d) for j in range(i)]
    score = [float(np.linalg.norm(Linv[:, i] * Rf[i, j])) for i, j in pos]
    return int(np.argmax(score))


@dataclass(eq=False)
class _Box:
    lo: NDArray[np.float64]
    hi: NDArray[np.float64]
    F: NDArray[np.float64]
    lb: Fraction


def certified_min_sharpness_depth3(
    net: LinearNetwork, *, goal: Any = None, max_boxes: int = 4000
) -> DeepSminCertificate:
    r"""Certified enclosure of :math:`S_{\min}` for a depth-3 linear network with equal widths
    and any :math:`\Sigma_{xx}` (method in the module docstring).

    Parameters
    ----------
    net : LinearNetwork
        Depth 3, all widths equal, :math:`\Sigma_{xx} \succ 0`, :math:`W^*` invertible.
    goal : float or Fraction, optional
        Boxes whose bound reaches ``goal`` are not split further (e.g. :math:`2/\eta` when only
        :math:`S_{\min} > 2/\eta` is needed); default: the certified upper bound.
    max_boxes : int
        Operation budget: boxes evaluated.

    Returns
    -------
    DeepSminCertificate
        Cached on ``net`` per ``(goal, max_boxes)``.

    Raises
    ------
    InvalidParameterError
        Before any work, for another network or a bad budget.
    """
    from .sharpness import flattest_minimum
    from .smin_certificate import exact_upper_bound

    net = _check(net)
    max_boxes = check_int("max_boxes", max_boxes, minimum=1)
    key = f"smin_depth3:{goal!r}:{max_boxes}"
    cache = net._cache  # type: ignore[attr-defined]
    if key in cache:
        return cache[key]  # type: ignore[no-any-return]
    upper, point, value = exact_upper_bound(net, flattest_minimum(net).point)
    dat = _Data(net)
    d = dat.d
    ymin = dat.lam_w * dat.lam_s / upper
    ymax = upper**2 / (4 * dat.lam_s**2 * dat.lam_w)
    target = upper if goal is None else min(Fraction(goal), upper)
    # Y = L L^T, L lower triangular with diagonal exp(z_i): ymin <= lambda_min(Y) =
    # sigma_min(L)^2 <= L_ii^2 <= y_ii <= lambda_max(Y) <= ymax, and |L_ij| <= sqrt(y_ii)
    import math

    top = 0.5 * math.log(float(ymax)) + 1e-12
    bottom = 0.5 * math.log(float(ymin)) - 1e-12
    m = d * (d + 1) // 2
    lo0 = np.array([bottom] * d + [-math.sqrt(float(ymax)) - 1e-12] * (m - d))
    hi0 = np.array([top] * d + [math.sqrt(float(ymax)) + 1e-12] * (m - d))
    # warm start: top generalised eigenvectors of M at the numerical flattest point
    L = net.unflatten(np.asarray(point, dtype=np.float64))
    X = L[0].T @ L[0]
    Y = L[2] @ L[2].T
    M = (
        np.kron(dat.Wf @ np.linalg.inv(X) @ dat.Wf.T, np.eye(d))
        + np.kron(Y, X)
        + np.kron(np.eye(d), dat.Wf.T @ np.linalg.inv(Y) @ dat.Wf)
    )
    from scipy.linalg import eigh

    _, V = eigh(M, np.kron(np.eye(d), dat.Sinvf))
    F0 = V[:, -RANK:] * 0.5

    def evaluate(
        lo: NDArray[np.float64], hi: NDArray[np.float64], F: NDArray[np.float64]
    ) -> _Box | None:
        mats = _box_matrices(lo, hi, d, ymin)
        if mats is None:
            return None
        YL, YU = mats
        YLf = np.array([[float(_frac(YL[i, j])) for j in range(d)] for i in range(d)])
        YUinv = YU.inv()
        DU = dat.W.transpose() * YUinv * dat.W
        DUf = np.array([[float(_frac(DU[i, j])) for j in range(d)] for i in range(d)])
        # the parent's dual is usually good enough near the end of the search; the SDP is
        # solved only when it is not (the bound is rigorous for any dual)
        Fb: NDArray[np.float64] = F
        if _phi(F, d, YLf, DUf, dat) < float(target) * (1 + 1e-9):
            sdp = _dual_from_sdp(YLf, DUf, dat)
            Fb = F if sdp is None else sdp
        return _Box(lo, hi, Fb, _certified_phi(Fb, YL, DU, dat))

    import heapq
    import itertools

    order = itertools.count()
    heap: list[tuple[Fraction, int, _Box]] = []  # boxes still below the goal
    done: list[Fraction] = []  # bounds of the boxes that reached it

    def push(box: _Box | None) -> None:
        if box is None or box.lb > upper:  # no point with lambda_max <= U in it
            return
        if box.lb >= target:
            done.append(box.lb)
        else:
            heapq.heappush(heap, (box.lb, next(order), box))

    evaluated = 1
    push(evaluate(lo0, hi0, F0))
    while heap and evaluated + 2 <= max_boxes:
        _, _, b = heapq.heappop(heap)
        ax = _split_axis(b.lo, b.hi, d)
        mid = 0.5 * (b.lo[ax] + b.hi[ax])
        alo, ahi = b.lo.copy(), b.hi.copy()
        ahi[ax] = mid
        blo, bhi = b.lo.copy(), b.hi.copy()
        blo[ax] = mid
        for lo, hi in ((alo, ahi), (blo, bhi)):
            evaluated += 1
            push(evaluate(lo, hi, b.F))
    lbs = done + [h[0] for h in heap]
    lower = min([*lbs, upper])
    out = DeepSminCertificate(
        lower=lower,
        upper=upper,
        value=value,
        point=np.asarray(point, dtype=np.float64),
        goal=float(target),
        reached_goal=lower >= target,
        boxes=evaluated,
        method=METHOD,
    )
    cache[key] = out
    return out
