r"""Certified minimal sharpness of depth-2 linear networks for any :math:`\Sigma_{xx}`
(docs/math/claims.md#c5).

The convex formulation
----------------------
For :math:`W = W_2W_1` on the minima manifold M and :math:`P = W_1^\top W_1`, the non-zero
spectrum of :math:`H` is that of :math:`\Sigma_{xx}^{1/2}P\Sigma_{xx}^{1/2}\otimes I +
\Sigma_{xx}\otimes W_2W_2^\top`, and :math:`W_2W_2^\top \succeq W^*P^{-1}W^{*\top}` with
equality for the minimum-norm :math:`W_2`.  With :math:`R = \Sigma_{xx}^{1/2}` this matrix is
:math:`(R\otimes I)(P\otimes I + I\otimes X)(R\otimes I)`, so
:math:`\lambda_{\max} \le t \iff P\otimes I + I\otimes X \preceq t\,\Sigma_{xx}^{-1}\otimes I`
and

.. math::
   S_{\min} = \min\ t \quad\text{s.t.}\quad
   P\otimes I_{d_N} + I_{d_0}\otimes W^*QW^{*\top} \preceq t\,\Sigma_{xx}^{-1}\otimes I_{d_N},
   \qquad \begin{pmatrix} P & I\\ I & Q\end{pmatrix} \succeq 0,

a semidefinite programme (the Schur complement gives :math:`Q \succeq P^{-1}`, tight at the
optimum because the first constraint is monotone in :math:`Q`).  No square root of
:math:`\Sigma_{xx}` appears, so every coefficient is an exact rational.

Rigorous lower bound (weak duality, in exact and ball arithmetic)
-----------------------------------------------------------------
Let :math:`Z = \sum_k z_kz_k^\top \succeq 0` (any :math:`z_k`, here the solver's dual matrix
truncated to its numerical range and rounded to floats, which are exact binary rationals) and
write each :math:`z_k \in \mathbb R^{d_0}\otimes\mathbb R^{d_N}` as a :math:`d_0\times d_N`
matrix :math:`Z_k`.  For *every* :math:`\theta\in M` (any hidden width, :math:`P` singular or
not), with :math:`A = \sum_k Z_kZ_k^\top`, :math:`\tilde B = \sum_k Z_k^\top Z_k` and
:math:`s = \langle Z, \Sigma_{xx}^{-1}\otimes I\rangle`,

.. math::
   s\,\lambda_{\max}(H(\theta)) \ge \langle Z, P\otimes I + I\otimes W_2W_2^\top\rangle
   = \lVert W_1A^{1/2}\rVert_F^2 + \lVert \tilde B^{1/2}W_2\rVert_F^2
   \ge 2\,\lVert \tilde B^{1/2}W^*A^{1/2}\rVert_*

(the last step is Cauchy–Schwarz with :math:`W_2W_1 = W^*` against every contraction).  The
singular values of :math:`\tilde B^{1/2}W^*A^{1/2}` are those of :math:`F_BW^*F_A` with
:math:`F_A = [Z_1,\dots,Z_K]`, :math:`F_B = [Z_1;\dots;Z_K]`, i.e. the square roots of the
eigenvalues of the exact rational PSD matrix :math:`G = F_A^\top W^{*\top}\tilde BW^*F_A`.
Those are enclosed by :func:`~dynsys_gd.numeric.landscape.enclosures.certified_spectrum` and the
bound
:math:`S_{\min} \ge (2/s)\sum_i\sqrt{\mu_i}` is summed in ball arithmetic (negative lower ends
clipped to 0).  Nothing about the solver needs to be trusted: any :math:`Z` gives a valid bound,
a good one gives a tight bound.

Rank-deficient :math:`W^*`
---------------------------
Nothing above needs :math:`W^*` of full rank (docs/math/claims.md#c5): M is then a singular
variety, the dual bound holds at each of its points, and the SDP value is still
:math:`S_{\min}` (an optimal P may be singular; :math:`P + \epsilon I` loses at most
:math:`\epsilon\lambda_{\max}(\Sigma_{xx})`).  When neither layer of the float point has full
rank, the exact point of M comes from the exact factorisation :math:`W^* = CD`
(:func:`exact_point_on_manifold`).

Rigorous upper bound
--------------------
The primal :math:`P = LL^\top` gives :math:`W_1 = [L^\top; 0]`, :math:`W_2 = [W^*L^{-\top}, 0]`
(hidden width :math:`h \ge d_0`).  :math:`W_2` is rounded to floats and :math:`W_1` corrected in
exact rational arithmetic, :math:`W_1 \leftarrow W_1 + W_2^\top(W_2W_2^\top)^{-1}(W^* -
W_2W_1)`, so the point lies exactly on M; the largest eigenvalue of its exact Hessian is
enclosed in ball arithmetic, and its upper end bounds :math:`S_{\min}` from above.  Before that,
the float point is polished by the epigraph form of :math:`\min_P\lambda_{\max}` (SLSQP), which
fixes the last digits the interior-point solver leaves.

Solver
------
`Clarabel <https://clarabel.org>`_ (Oxford control group; Apache-2.0; Rust core with Python
wheels for every platform on PyPI; the default conic solver of CVXPY since 1.4), called
directly with its ``PSDTriangleConeT``: an interior-point method, so it returns a primal–dual
pair with a small gap, which is exactly what the two certificates above need; no modelling layer
(CVXPY) is required for a problem this small and structured.  SCS (first order) would give only
~1e-6 accurate duals.  For :math:`h < d_0` (then :math:`P` is singular on all of M) the SDP value
is still a certified lower bound; the upper bound then comes from a numerical minimum passed
in by the caller.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._results import ResultMixin, jsonable
from ...errors import InvalidParameterError
from ...models import LinearNetwork

__all__ = [
    "SminCertificate",
    "certified_min_sharpness_depth2",
    "dual_lower_bound",
    "exact_point_on_manifold",
]

METHOD = "certified SDP (depth 2): dual bound in ball arithmetic, exact point of M"


@dataclass(frozen=True, repr=False)
class SminCertificate(ResultMixin):
    r"""Certified enclosure :math:`\text{lower} \le S_{\min} \le \text{upper}` (C5, depth 2).

    Attributes
    ----------
    lower, upper : Fraction
        Rigorous bounds (exact binary rationals).
    value : float
        :math:`\lambda_{\max}(H)` at ``point`` in float64 (the numerical minimum).
    point : ndarray (P,)
        The float64 values of an exact rational point of M whose certified
        :math:`\lambda_{\max}(H)` is at most ``upper``.
    solver_status : str
        Clarabel's status string.
    method : str
        How the bounds were obtained.
    """

    lower: Fraction
    upper: Fraction
    value: float
    point: NDArray[np.float64]
    solver_status: str
    method: str = METHOD

    @property
    def relative_width(self) -> float:
        """:math:`(\\text{upper} - \\text{lower})/\\text{upper}`."""
        return float((self.upper - self.lower) / self.upper)

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies in ``[lower, upper]`` (exactly, as a binary rational)."""
        return self.lower <= Fraction(x) <= self.upper

    def __repr__(self) -> str:
        return (
            f"SminCertificate([{float(self.lower):.15g}, {float(self.upper):.15g}], "
            f"relative width {self.relative_width:.1e})"
        )

    def summary(self) -> str:
        return "\n".join(
            [
                f"S_min in [{float(self.lower):.15g}, {float(self.upper):.15g}] (certified)",
                f"relative width : {self.relative_width:.2e}",
                f"numerical value: {self.value:.15g}",
                f"method         : {self.method}",
                f"solver status  : {self.solver_status}",
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "lower": jsonable(self.lower),
            "upper": jsonable(self.upper),
            "lower_float": float(self.lower),
            "upper_float": float(self.upper),
            "value": self.value,
            "point": jsonable(self.point),
            "solver_status": self.solver_status,
            "method": self.method,
        }


# -- exact helpers ------------------------------------------------------------------------------
def _fq(x: Fraction | float | int) -> Any:
    import flint

    f = Fraction(x)
    return flint.fmpq(f.numerator, f.denominator)


def _fmat(rows: Any) -> Any:
    import flint

    return flint.fmpq_mat([[_fq(x) for x in r] for r in rows])


def _to_fraction(q: Any) -> Fraction:
    return Fraction(int(q.p), int(q.q))


def _exact_moments(net: LinearNetwork) -> tuple[Any, Any]:
    """Exact :math:`\\Sigma_{xx}^{-1}` and :math:`W^*` as ``fmpq_mat``."""
    S = _fmat(net.Sxx_exact)
    Y = _fmat(net.Syx_exact)
    Sinv = S.inv()
    return Sinv, Y * Sinv


def _check_depth2(net: Any) -> LinearNetwork:
    if not isinstance(net, LinearNetwork):
        raise InvalidParameterError(
            f"net must be a LinearNetwork; got {type(net).__name__} ({net!r:.60})"
        )
    if net.depth != 2:
        raise InvalidParameterError(
            f"net must have depth 2 for the convex formulation of S_min; got depth {net.depth} "
            f"(widths {net.widths})"
        )
    net.require_minima()
    return net


# -- the SDP -----------------------------------------------------------------------------------
def _svec_index(n: int) -> list[tuple[int, int]]:
    """Clarabel's PSD-triangle order: upper triangle, column by column."""
    return [(i, j) for j in range(n) for i in range(j + 1)]


def _svec(M: NDArray[Any]) -> NDArray[np.float64]:
    r2 = math.sqrt(2.0)
    return np.array([M[i, j] * (1.0 if i == j else r2) for i, j in _svec_index(M.shape[0])])


def _smat(v: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    M = np.zeros((n, n))
    r2 = math.sqrt(2.0)
    for val, (i, j) in zip(v, _svec_index(n), strict=True):
        if i == j:
            M[i, i] = val
        else:
            M[i, j] = M[j, i] = val / r2
    return M


def _sym_basis(n: int) -> list[NDArray[np.float64]]:
    out = []
    for i, j in _svec_index(n):
        E = np.zeros((n, n))
        E[i, j] = E[j, i] = 1.0
        out.append(E)
    return out


def _solve_sdp(
    T: NDArray[np.float64], C: NDArray[np.float64], Ws: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], float, str]:
    r"""Solve :math:`\min t` s.t. :math:`tT\otimes I - P\otimes I - C\otimes W_sQW_s^\top
    \succeq 0`, :math:`[[P, I], [I, Q]] \succeq 0`; return (P, Z, t, status) with Z the dual
    matrix of the first constraint."""
    import clarabel
    from scipy import sparse

    d0 = T.shape[0]
    dN = Ws.shape[0]
    basis = _sym_basis(d0)
    m = len(basis)
    n1, n2 = d0 * dN, 2 * d0
    I_N, I_0 = np.eye(dN), np.eye(d0)
    # LMI1: t Sinv⊗I - P⊗I - I⊗(W* Q W*^T) ⪰ 0 ;  LMI2: [[P, I], [I, Q]] ⪰ 0
    cols1 = [_svec(np.kron(T, I_N))]
    cols2 = [np.zeros(n2 * (n2 + 1) // 2)]
    for E in basis:  # P coordinates
        cols1.append(_svec(-np.kron(E, I_N)))
        G = np.zeros((n2, n2))
        G[:d0, :d0] = E
        cols2.append(_svec(G))
    for E in basis:  # Q coordinates
        cols1.append(_svec(-np.kron(C, Ws @ E @ Ws.T)))
        G = np.zeros((n2, n2))
        G[d0:, d0:] = E
        cols2.append(_svec(G))
    F1 = np.array(cols1).T
    F2 = np.array(cols2).T
    S0 = np.zeros((n2, n2))
    S0[:d0, d0:] = I_0
    S0[d0:, :d0] = I_0
    A = sparse.csc_matrix(-np.vstack([F1, F2]))
    b = np.concatenate([np.zeros(F1.shape[0]), _svec(S0)])
    q = np.zeros(1 + 2 * m)
    q[0] = 1.0
    Pq = sparse.csc_matrix((1 + 2 * m, 1 + 2 * m))
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = 1e-12
    settings.tol_gap_rel = 1e-12
    settings.tol_feas = 1e-12
    settings.max_iter = 200
    solver = clarabel.DefaultSolver(
        Pq, q, A, b, [clarabel.PSDTriangleConeT(n1), clarabel.PSDTriangleConeT(n2)], settings
    )
    sol = solver.solve()
    x = np.asarray(sol.x)
    z = np.asarray(sol.z)
    P = sum(x[1 + k] * basis[k] for k in range(m))
    Z = _smat(z[: F1.shape[0]], n1)
    return np.asarray(P, dtype=np.float64), Z, float(x[0]), str(sol.status)


# -- lower bound --------------------------------------------------------------------------------
def dual_lower_bound(
    net: LinearNetwork,
    Z: NDArray[np.float64],
    *,
    rank_rtol: float = 1e-9,
    prec: int = 128,
    check: bool = True,
) -> Fraction:
    r"""Rigorous lower bound of :math:`S_{\min}` (depth 2) from any symmetric ``Z`` (see the
    module docstring): ``Z`` is replaced by :math:`FF^\top` with :math:`F` its float
    eigenvectors scaled by the square roots of the eigenvalues above ``rank_rtol`` times the
    largest, so the bound is valid whatever ``Z`` is (a poor ``Z`` gives a poor bound).
    ``check=False`` skips the validation of ``net`` (for callers that did it)."""
    import flint

    from .enclosures import arb_to_interval, certified_spectrum

    if check:
        net = _check_depth2(net)
    d0, dN = net.widths[0], net.widths[-1]
    Zs = 0.5 * (Z + Z.T)
    lam, V = np.linalg.eigh(Zs)
    if lam[-1] <= 0:
        return Fraction(0)
    keep = lam > rank_rtol * lam[-1]
    F = V[:, keep] * np.sqrt(lam[keep])
    Sinv, Ws = _exact_moments(net)
    # Z_k (d0 x dN) from the columns of F, vec in the order (d0, dN)
    Zk = [_fmat(F[:, k].reshape(d0, dN).tolist()) for k in range(F.shape[1])]
    s = Fraction(0)
    for Z_ in Zk:
        T = Z_.transpose() * Sinv * Z_
        s += sum((_to_fraction(T[r, r]) for r in range(dN)), Fraction(0))
    Bt = Zk[0].transpose() * Zk[0]
    for Z_ in Zk[1:]:
        Bt += Z_.transpose() * Z_
    FA = flint.fmpq_mat(d0, dN * len(Zk))
    for k, Z_ in enumerate(Zk):
        for a in range(d0):
            for r in range(dN):
                FA[a, k * dN + r] = Z_[a, r]
    G = FA.transpose() * Ws.transpose() * Bt * Ws * FA
    # reduce G to a congruent d0 x d0 problem when it is larger: eig(G) \ {0} = eig(A Ws^T Bt Ws)
    enc = certified_spectrum(G, prec=prec)
    old = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        total = flint.arb(0)
        for c in enc.clusters:
            if c.lo > 0:
                total += c.count * flint.arb(_fq(c.lo)).sqrt()
        bound = 2 * total / flint.arb(_fq(s))
        lo = arb_to_interval(bound)[0]
    finally:
        flint.ctx.prec = old
    return max(lo, Fraction(0))


# -- upper bound --------------------------------------------------------------------------------
def exact_point_on_manifold(
    net: LinearNetwork, theta: NDArray[np.float64], *, check: bool = True
) -> list[Fraction]:
    r"""An exact rational point of M next to a float point of a depth-2 network.

    With :math:`W_1` of full column rank, :math:`W_1` is kept at its float value and
    :math:`W_2 \leftarrow W_2 + (W^* - W_2W_1)(W_1^\top W_1)^{-1}W_1^\top`; otherwise, with
    :math:`W_2` of full row rank, :math:`W_1 \leftarrow W_1 + W_2^\top(W_2W_2^\top)^{-1}(W^* -
    W_2W_1)`; with neither (possible only for a rank-deficient :math:`W^*`), through the exact
    factorisation :math:`W^* = CD` (:func:`_exact_rank_factor_point`).  All in exact rational
    arithmetic, so :math:`W_2W_1 = W^*` exactly.
    ``check=False`` skips the validation of ``net`` (for callers that did it).
    """
    if check:
        net = _check_depth2(net)
    W1f, W2f = net.unflatten(np.asarray(theta, dtype=np.float64))
    _, Ws = _exact_moments(net)
    W1 = _fmat(W1f.tolist())
    W2 = _fmat(W2f.tolist())
    G1 = W1.transpose() * W1
    G2 = W2 * W2.transpose()
    if G1.det() != 0:
        W2 = W2 + (Ws - W2 * W1) * G1.inv() * W1.transpose()
    elif G2.det() != 0:
        W1 = W1 + W2.transpose() * G2.inv() * (Ws - W2 * W1)
    else:
        W1, W2 = _exact_rank_factor_point(Ws, W1f, W2f)
    out = [_to_fraction(W1[i, j]) for i in range(W1.nrows()) for j in range(W1.ncols())]
    out += [_to_fraction(W2[i, j]) for i in range(W2.nrows()) for j in range(W2.ncols())]
    return out


def _exact_rank_factor_point(Ws: Any, W1f: NDArray[Any], W2f: NDArray[Any]) -> tuple[Any, Any]:
    r"""An exact point of M near a float one when neither layer has full rank (possible only
    for a rank-deficient :math:`W^*`).

    :math:`W^* = CD` exactly, with :math:`D` the non-zero rows of the reduced row echelon form
    of :math:`W^*` and :math:`C` its pivot columns (rank r).  Then :math:`K = W_1D^+` (rounded
    to rationals, h × r) and :math:`W_1 \leftarrow KD`, :math:`W_2 \leftarrow W_2 + (C -
    W_2K)(K^\top K)^{-1}K^\top`, so :math:`W_2K = C` and :math:`W_2W_1 = CD = W^*` exactly.
    The component of :math:`W_1` outside the row space of :math:`W^*` is dropped (it is zero
    when :math:`\operatorname{rank} W_1 = r`)."""
    R, r = Ws.rref()
    d0 = Ws.ncols()
    D = _fmat([[_to_fraction(R[i, j]) for j in range(d0)] for i in range(r)])
    piv = [next(j for j in range(d0) if R[i, j] != 0) for i in range(r)]
    C = _fmat([[_to_fraction(Ws[a, j]) for j in piv] for a in range(Ws.nrows())])
    Df = np.array([[float(_to_fraction(D[i, j])) for j in range(d0)] for i in range(r)])
    K = _fmat((W1f @ np.linalg.pinv(Df)).tolist())
    KtK = K.transpose() * K
    if KtK.det() == 0:
        raise InvalidParameterError(
            "theta must have W_1 of rank >= rank W* on the row space of W*; got less"
        )
    W2 = _fmat(W2f.tolist())
    W2 = W2 + (C - W2 * K) * KtK.inv() * K.transpose()
    return K * D, W2


def _point_from_P(net: LinearNetwork, P: NDArray[np.float64]) -> NDArray[np.float64]:
    d0, h, dN = net.widths
    L = np.linalg.cholesky(0.5 * (P + P.T))
    W1 = np.zeros((h, d0))
    W1[:d0] = L.T
    W2 = np.zeros((dN, h))
    W2[:, :d0] = np.linalg.solve(L, net.W_star.T).T  # W* L^{-T}
    return np.asarray(net.flatten([W1, W2]), dtype=np.float64)


def _lam_max(
    net: LinearNetwork, P: NDArray[np.float64], Sinv: NDArray[np.float64], Ws: NDArray[np.float64]
) -> NDArray[np.float64]:
    r"""Generalised eigenvalues of :math:`(P\otimes I + I\otimes W^*P^{-1}W^{*\top},
    \Sigma_{xx}^{-1}\otimes I)`, ascending."""
    from scipy.linalg import eigh

    dN = Ws.shape[0]
    X = Ws @ np.linalg.solve(P, Ws.T)
    M = np.kron(P, np.eye(dN)) + np.kron(np.eye(P.shape[0]), 0.5 * (X + X.T))
    return np.asarray(eigh(M, np.kron(Sinv, np.eye(dN)), eigvals_only=True))


def _polish(
    net: LinearNetwork, P: NDArray[np.float64], Sinv: NDArray[np.float64], Ws: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Epigraph form of min_P lambda_max over P = L L^T (SLSQP), from the solver's P."""
    from scipy.optimize import minimize

    d0 = P.shape[0]
    il = np.tril_indices(d0)
    L0 = np.linalg.cholesky(0.5 * (P + P.T))
    top = min(d0 * Ws.shape[0], 4)

    def P_of(v: NDArray[np.float64]) -> NDArray[np.float64]:
        L = np.zeros((d0, d0))
        L[il] = v
        return L @ L.T

    def spec(v: NDArray[np.float64]) -> NDArray[np.float64]:
        try:
            return _lam_max(net, P_of(v), Sinv, Ws)
        except (np.linalg.LinAlgError, ValueError):
            return np.full(d0 * Ws.shape[0], 1e300)

    v0 = np.asarray(L0[il], dtype=np.float64)
    f0 = float(spec(v0)[-1])
    x0 = np.append(v0, f0)
    e = np.zeros(x0.size)
    e[-1] = 1.0
    with np.errstate(all="ignore"):
        res = minimize(
            lambda x: x[-1],
            x0,
            jac=lambda x: e,
            method="SLSQP",
            constraints=[{"type": "ineq", "fun": lambda x: x[-1] - spec(x[:-1])[-top:]}],
            options={"ftol": 1e-13 * max(1.0, f0), "maxiter": 100},
        )
    v = np.asarray(res.x[:-1])
    if np.all(np.isfinite(v)) and float(spec(v)[-1]) < f0:
        return P_of(v)
    return P


def certified_min_sharpness_depth2(
    net: LinearNetwork, *, prec: int = 128, point: Any = None
) -> SminCertificate:
    r"""Certified enclosure of :math:`S_{\min}` for a depth-2 linear network, any
    :math:`\Sigma_{xx}` (C5; method in the module docstring).

    Parameters
    ----------
    net : LinearNetwork
        Depth 2 with a manifold of minima (:meth:`LinearNetwork.require_manifold`).
    prec : int
        Ball-arithmetic precision in bits.
    point : array (P,), optional
        A float point near M also tried for the upper bound (the smaller certified bound
        wins).  Needed when the hidden width is below :math:`d_0` (then
        :math:`W_1^\top W_1` is singular on all of M and the SDP's primal point is not
        realisable) and useful when the solver's primal point is poor (very ill-conditioned
        :math:`\Sigma_{xx}`); :func:`~dynsys_gd.numeric.landscape.sharpness.flattest_minimum`
        passes its
        numerical minimum then.

    Returns
    -------
    SminCertificate
        ``lower <= S_min <= upper``, both rigorous; typically a relative width below 1e-12.
        Cached on ``net`` when ``point`` is not given.
    """
    from .enclosures import certified_spectrum, exact_hessian

    net = _check_depth2(net)
    key = f"depth2_sdp:{prec}"
    cache = net._cache  # type: ignore[attr-defined]
    if point is None and key in cache:
        return cache[key]  # type: ignore[no-any-return]
    d0, h, _dN = net.widths
    if h < d0 and point is None:
        raise InvalidParameterError(
            f"point must be given for hidden width h = {h} < d_0 = {d0} (the SDP's primal point "
            "is not realisable there); got None"
        )
    Sinv = np.linalg.inv(net.Sxx)
    Sinv = 0.5 * (Sinv + Sinv.T)
    Ws = net.W_star
    # the solver works in whitened coordinates P' = R P R (R = Sxx^{1/2}; better conditioned):
    # t I - P' x I - Sxx x (Ws R) Q' (Ws R)^T >= 0, whose dual Z' maps to Z = (R x I) Z' (R x I)
    lam, U = np.linalg.eigh(net.Sxx)
    R = (U * np.sqrt(lam)) @ U.T
    Rinv = (U / np.sqrt(lam)) @ U.T
    Pw, Zw, _t, status = _solve_sdp(np.eye(d0), np.asarray(net.Sxx), Ws @ R)
    P = Rinv @ Pw @ Rinv
    RI = np.kron(R, np.eye(_dN))
    Z = RI @ Zw @ RI
    lower = dual_lower_bound(net, Z, prec=prec, check=False)
    candidates = []  # float points near M for the upper bound
    if h >= d0:
        P = _polish(net, P, Sinv, Ws)
        candidates.append(_point_from_P(net, P))
    if point is not None:
        candidates.append(np.asarray(point, dtype=np.float64).ravel())
    best: tuple[Fraction, list[Fraction]] | None = None
    for cand in candidates:
        try:
            exact = exact_point_on_manifold(net, cand, check=False)
        except InvalidParameterError:
            continue
        up = certified_spectrum(exact_hessian(net, exact), prec=prec).upper
        if best is None or up < best[0]:
            best = (up, exact)
    if best is None:
        raise InvalidParameterError(
            "point must be a float point near M with W_1 of full column rank or W_2 of full row "
            "rank; got one with neither"
        )
    upper, exact = best
    pt = np.array([float(x) for x in exact])
    from ..kernels import numeric_model

    H = numeric_model(net).hessian(pt[None])[0]
    value = float(np.linalg.eigvalsh(0.5 * (H + H.T))[-1])
    out = SminCertificate(lower, upper, value, pt, status)
    if point is None:
        cache[key] = out
    return out
