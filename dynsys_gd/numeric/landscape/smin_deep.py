r"""Certified :math:`S_{\min}` of a linear network of any depth and widths with any
:math:`\Sigma_{xx}`: a product-vector lower bound against :math:`\lambda_{\max}(H)` at an exact
point of M (docs/math/certified-smin.md).

**Reduction.**  On M the residual vanishes, so :math:`H = J^\top(\Sigma_{xx}\otimes I)J`
(:math:`\operatorname{vec}(AXB) = (B^\top\otimes A)\operatorname{vec}X`) and its non-zero
spectrum is that of

.. math::
   K = \sum_{l=1}^N (S^{1/2}B_l^\top B_lS^{1/2})\otimes(A_lA_l^\top),\qquad
   A_l = W_N\cdots W_{l+1},\ B_l = W_{l-1}\cdots W_1,\ S = \Sigma_{xx}.

**Lower bound.**  For unit :math:`q \in \mathbb R^{d_0}`, :math:`p \in \mathbb R^{d_N}`,
:math:`\lambda_{\max}(K) \ge (q\otimes p)^\top K(q\otimes p) = \sum_l |p_l|^2|u_{l-1}|^2` with
:math:`u_0 = S^{1/2}q`, :math:`u_l = W_lu_{l-1}`, :math:`p_N = p`,
:math:`p_{l-1} = W_l^\top p_l`.  Every :math:`p_l^\top u_l` equals
:math:`c = p^\top W^*S^{1/2}q`, so by Cauchy–Schwarz :math:`\prod_l |p_l||u_{l-1}| \ge
|S^{1/2}q|\,|c|^{N-1}`, and by AM–GM the sum is at least
:math:`N(|S^{1/2}q|^2c^{2N-2})^{1/N}`.  With :math:`x = S^{1/2}q` and the best p,

.. math::
   S_{\min} \;\ge\; \rho(x) = N\,\frac{|x|^{2/N}\,|W^*x|^{2-2/N}}{x^\top S^{-1}x}
   \qquad\text{for every } x \ne 0,

evaluated at a rational x in exact rational and ball arithmetic.  The toolkit takes x at the
numerical maximum of :math:`\rho` (multistart BFGS on the sphere); any x is valid.  At
:math:`x = ` the top right singular vector of :math:`W^*`, :math:`\rho` is at least the C5
bracket :math:`\lambda_{\min}(S)N\sigma_1^{2-2/N}`, so the bound is never worse than it.

**Upper bound.**  At an exact rational point of M next to the toolkit's numerical flattest
minimum, :math:`\lambda_{\max}(H) \le t` is proved by the exact positive definiteness of the
small matrix :math:`t(S^{-1}\otimes I) - \sum_l (B_l^\top B_l)\otimes(A_lA_l^\top)`
(:func:`small_pencil`), for t a few ulps above the float value.

The enclosure is as tight as the minimax gap :math:`\min_M\lambda_{\max} - \max_x\rho(x)`
allows; on every case we know it is zero (the top eigenvector of K at a flattest minimum is a
product vector), and the result reports its width, so a case where it is not is seen, not
hidden.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._validation import check_int, describe
from ...errors import InvalidParameterError
from ...models import LinearNetwork
from .smin_certificate import DeepSminCertificate

__all__ = ["certify_at", "product_lower_bound", "rho"]

METHOD = (
    "product-vector bound N |x|^(2/N) |W* x|^(2-2/N) / (x^T Sxx^-1 x) at a rational x "
    "(ball arithmetic); upper bound: lambda_max(H) <= t at an exact point of M, proved by "
    "t (Sxx^-1 x I) - J J^T > 0 in exact rationals"
)


def _fq(x: Fraction) -> Any:
    import flint

    return flint.fmpq(x.numerator, x.denominator)


def _frac(q: Any) -> Fraction:
    return Fraction(int(q.p), int(q.q))


def _check(net: Any) -> LinearNetwork:
    if not isinstance(net, LinearNetwork):
        raise InvalidParameterError(f"net must be a LinearNetwork; got {describe(net)}")
    net.require_minima()
    if net.depth < 2:
        raise InvalidParameterError(f"net must have depth >= 2; got depth {net.depth}")
    return net


def _exact_data(net: LinearNetwork) -> tuple[Any, Any]:
    r"""Exact :math:`G = W^{*\top}W^*` and :math:`S^{-1}` (``fmpq_mat``)."""
    import flint

    S = flint.fmpq_mat([[_fq(x) for x in r] for r in net.Sxx_exact])
    Sinv = S.inv()
    Ws = flint.fmpq_mat([[_fq(x) for x in r] for r in net.Syx_exact]) * Sinv
    return Ws.transpose() * Ws, Sinv


def rho(net: LinearNetwork, x: Any) -> float:
    r""":math:`\rho(x) = N|x|^{2/N}|W^*x|^{2-2/N}/(x^\top\Sigma_{xx}^{-1}x)` in float64 (a lower
    bound of :math:`S_{\min}` for every :math:`x \ne 0`; numerical)."""
    net = _check(net)
    x = np.asarray(x, dtype=np.float64)
    N = net.depth
    Ws = np.asarray(net.W_star, dtype=np.float64)
    Sinv = np.linalg.inv(np.asarray(net.Sxx, dtype=np.float64))
    xx = float(x @ x)
    ww = float(np.sum((Ws @ x) ** 2))
    return float(N * xx ** (1 / N) * ww ** ((N - 1) / N) / (x @ Sinv @ x))


def _best_direction(net: LinearNetwork, starts: int = 8) -> NDArray[np.float64]:
    r"""Numerical maximiser of :math:`\log\rho` on the unit sphere: BFGS from the singular
    vectors of :math:`W^*`, the eigenvectors of :math:`\Sigma_{xx}` and seeded random starts."""
    from scipy.optimize import minimize

    from ..._streams import generator

    N = net.depth
    Ws = np.asarray(net.W_star, dtype=np.float64)
    G = Ws.T @ Ws
    S = np.asarray(net.Sxx, dtype=np.float64)
    Sinv = np.linalg.inv(S)
    d0 = S.shape[0]

    def neg_log(x: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        xx, ww, ss = x @ x, x @ G @ x, x @ Sinv @ x
        if min(xx, ww, ss) <= 0:
            return 1e300, np.zeros_like(x)
        val = -(np.log(xx) / N + (N - 1) / N * np.log(ww) - np.log(ss))
        grad = -(2 * x / (N * xx) + 2 * (N - 1) / N * (G @ x) / ww - 2 * (Sinv @ x) / ss)
        return float(val), grad

    cands = [*np.linalg.svd(Ws)[2], *np.linalg.eigh(S)[1].T]
    rng = generator(0, "smin_deep_directions")
    cands += list(rng.normal(size=(starts, d0)))
    best_x, best_v = cands[0], np.inf
    for x0 in cands:
        r = minimize(
            neg_log,
            x0 / np.linalg.norm(x0),
            jac=True,
            method="BFGS",
            options={"gtol": 1e-13, "maxiter": 500},
        )
        if r.fun < best_v:
            best_x, best_v = r.x / np.linalg.norm(r.x), float(r.fun)
    return np.asarray(best_x, dtype=np.float64)


def product_lower_bound(
    net: LinearNetwork, x: Any = None, *, prec: int = 128
) -> tuple[Fraction, NDArray[np.float64]]:
    r"""Certified lower bound :math:`\rho(x) \le S_{\min}` (module docstring) and the x used.

    Parameters
    ----------
    net : LinearNetwork
        Depth :math:`\ge 2` with minima (:meth:`LinearNetwork.require_minima`).
    x : array (d_0,), optional
        The direction (its float entries are taken at their exact binary values); default: the
        numerical maximiser of :math:`\rho`.
    prec : int
        Ball-arithmetic precision in bits.

    Returns
    -------
    (Fraction, ndarray)
        The lower end of the ball enclosing :math:`\rho(x)`, and x.
    """
    import flint

    from .enclosures import arb_to_interval

    net = _check(net)
    prec = check_int("prec", prec, minimum=53)
    xs = _best_direction(net) if x is None else np.asarray(x, dtype=np.float64)
    d0 = net.widths[0]
    if xs.shape != (d0,) or not np.all(np.isfinite(xs)) or not np.any(xs != 0):
        raise InvalidParameterError(f"x must be a finite non-zero vector of length {d0}; got {x!r}")
    G, Sinv = _exact_data(net)
    xq = flint.fmpq_mat([[_fq(Fraction(float(v)))] for v in xs])
    xx = _frac((xq.transpose() * xq)[0, 0])
    ww = _frac((xq.transpose() * G * xq)[0, 0])
    ss = _frac((xq.transpose() * Sinv * xq)[0, 0])
    if ww == 0:
        return Fraction(0), xs
    N = net.depth
    old = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        logs = (flint.arb(_fq(xx)).log() + (N - 1) * flint.arb(_fq(ww)).log()) / N
        val = N * logs.exp() / flint.arb(_fq(ss))
        lo = arb_to_interval(val)[0]
    finally:
        flint.ctx.prec = old
    return max(lo, Fraction(0)), xs


def _kron(A: Any, B: Any) -> Any:
    """Exact Kronecker product of two ``fmpq_mat``."""
    import flint

    out = flint.fmpq_mat(A.nrows() * B.nrows(), A.ncols() * B.ncols())
    for i in range(A.nrows()):
        for j in range(A.ncols()):
            a = A[i, j]
            if a == 0:
                continue
            for k in range(B.nrows()):
                for m in range(B.ncols()):
                    out[i * B.nrows() + k, j * B.ncols() + m] = a * B[k, m]
    return out


def _positive_definite(M: Any) -> bool:
    """Exact test of a symmetric ``fmpq_mat``: every pivot of Gaussian elimination > 0."""
    n = M.nrows()
    a = [[M[i, j] for j in range(n)] for i in range(n)]
    for k in range(n):
        if a[k][k] <= 0:
            return False
        for i in range(k + 1, n):
            f = a[i][k] / a[k][k]
            for j in range(k + 1, n):
                a[i][j] -= f * a[k][j]
    return True


def small_pencil(net: LinearNetwork, exact: list[Fraction]) -> tuple[Any, Any]:
    r"""Exact :math:`(JJ^\top, D^{-1})` at an exact point of M: :math:`JJ^\top =
    \sum_l (B_l^\top B_l)\otimes(A_lA_l^\top)` and :math:`D^{-1} = S^{-1}\otimes I`
    (column-stacking vec, size :math:`d_0d_N`).  The non-zero eigenvalues of H on M are the
    eigenvalues of the pencil, so :math:`\lambda_{\max}(H) \le t` iff
    :math:`tD^{-1} - JJ^\top \succeq 0`."""
    import flint

    d = net.widths
    layers, k = [], 0
    for i in range(net.depth):
        rows = [[_fq(exact[k + r * d[i] + c]) for c in range(d[i])] for r in range(d[i + 1])]
        layers.append(flint.fmpq_mat(rows))
        k += d[i] * d[i + 1]

    def eye(n: int) -> Any:
        e = flint.fmpq_mat(n, n)
        for i in range(n):
            e[i, i] = 1
        return e

    G = flint.fmpq_mat(d[0] * d[-1], d[0] * d[-1])
    for ell in range(net.depth):
        B = eye(d[0])
        for W in layers[:ell]:
            B = W * B
        A = eye(d[ell + 1])
        for W in layers[ell + 1 :]:
            A = W * A
        G += _kron(B.transpose() * B, A * A.transpose())
    S = flint.fmpq_mat([[_fq(x) for x in r] for r in net.Sxx_exact])
    return G, _kron(S.inv(), eye(d[-1]))


def _certified_top(G: Any, Dinv: Any) -> tuple[Fraction, float]:
    r"""(t, float estimate) with :math:`\lambda_{\max}(G, D^{-1}) \le t` proved exactly by
    :math:`tD^{-1} - G \succ 0`, t a few ulps above the float estimate."""
    from scipy.linalg import eigh

    n = G.nrows()
    if all(G[i, j] == 0 for i in range(n) for j in range(n)):  # H = 0 (e.g. theta = 0, W* = 0)
        return Fraction(0), 0.0
    Gf = np.array([[float(_frac(G[i, j])) for j in range(n)] for i in range(n)])
    Df = np.array([[float(_frac(Dinv[i, j])) for j in range(n)] for i in range(n)])
    est = float(eigh(Gf, Df, eigvals_only=True)[-1])
    base = Fraction(max(est, 0.0))
    gap = max(base, Fraction(1)) * Fraction(1, 2**48)
    for _ in range(80):
        t = base + gap
        if _positive_definite(Dinv * _fq(t) - G):
            return t, est
        gap *= 4
    raise RuntimeError("no certified upper bound of lambda_max found")  # pragma: no cover


def certify_at(net: LinearNetwork, point: Any, *, prec: int = 128) -> DeepSminCertificate:
    r"""Certified enclosure of :math:`S_{\min}` for a linear network of depth :math:`\ge 2`,
    any widths and any :math:`\Sigma_{xx}` (method in the module docstring), with the upper
    bound taken at the exact point of M nearest ``point``.  The public entry point, which finds
    ``point`` itself and caches the result, is
    :func:`~dynsys_gd.numeric.landscape.sharpness.certified_min_sharpness_deep`.

    Parameters
    ----------
    net : LinearNetwork
        Depth :math:`\ge 2`, with minima (:meth:`LinearNetwork.require_minima`; a
        rank-deficient :math:`W^*` is accepted).
    point : array (P,)
        A float point near M for the upper bound.
    prec : int
        Ball-arithmetic precision in bits.

    Returns
    -------
    DeepSminCertificate
        ``lower <= S_min <= upper``, both rigorous; ``width`` says how tight.

    Raises
    ------
    InvalidParameterError
        Before any work, for another model, depth 1, a network without minima or a bad point.
    """
    from .smin_certificate import exact_point_near

    net = _check(net)
    prec = check_int("prec", prec, minimum=53)
    theta = np.asarray(point, dtype=np.float64)
    if theta.shape != (net.n_params,) or not np.all(np.isfinite(theta)):
        raise InvalidParameterError(
            f"point must be a finite vector of length n_params = {net.n_params}; got shape "
            f"{theta.shape}"
        )
    lower, x = product_lower_bound(net, prec=prec)
    # W* = 0: theta = 0 lies on M and has H = 0, so S_min = 0 (the corrections need a rank)
    exact = [Fraction(0)] * net.n_params if net.target_rank == 0 else exact_point_near(net, theta)
    upper, value = _certified_top(*small_pencil(net, exact))
    pt = np.array([float(v) for v in exact])
    if lower > upper:  # both are rigorous: this would be a bug, never a result
        raise RuntimeError(f"certified lower bound {float(lower)} exceeds upper {float(upper)}")
    out = DeepSminCertificate(
        lower=lower,
        upper=upper,
        value=value,
        point=pt,
        goal=float(upper),
        reached_goal=lower >= upper,  # no goal here: the enclosure is the result
        boxes=0,
        method=METHOD,
        direction=x,
    )
    return out
