r"""Certified bounds of :math:`S_{\min}` used by the checks of C5 and C6 (private).

* lower bound: the closed forms of C5 in ball arithmetic (depth 1, scalar AM–GM, whitened
  :math:`\Sigma_{xx} = cI`), the certified SDP for depth 2 and any :math:`\Sigma_{xx}`
  (:mod:`dynsys_gd.numeric.landscape.depth2_sdp`), otherwise (depth :math:`\ge 3`, any
  widths and :math:`\Sigma_{xx}`) the product-vector bound
  :math:`N|x|^{2/N}|W^*x|^{2-2/N}/(x^\top\Sigma_{xx}^{-1}x)` of
  :mod:`dynsys_gd.numeric.landscape.smin_deep` (never below the lower end of the C5 bracket,
  which is kept if it were better);
* upper bound: the certified :math:`\lambda_{\max}(H)` at an exact rational point of M next to
  the toolkit's flattest minimum (its best-conditioned layer corrected in exact arithmetic so
  that :math:`W(\theta) = W^*` holds exactly:
  :func:`~dynsys_gd.numeric.landscape.smin_certificate.exact_point_near`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ..models import LinearNetwork
from ..numeric.landscape.enclosures import arb_to_interval, certified_spectrum, exact_hessian
from ..numeric.landscape.smin_certificate import exact_point_near
from .certificates import exact_w_star


@dataclass(frozen=True)
class SminBounds:
    """``lower <= S_min <= upper`` (both certified) and how each was obtained."""

    lower: Fraction
    lower_method: str
    upper: Fraction
    upper_method: str
    point: tuple[Fraction, ...]


def _fq(x: Fraction) -> Any:
    import flint

    return flint.fmpq(x.numerator, x.denominator)


def _ball(x: Fraction) -> Any:
    import flint

    return flint.arb(_fq(x))


def _to_fraction(q: Any) -> Fraction:
    return Fraction(int(q.p), int(q.q))


def _closed_form_lower(net: LinearNetwork, factor: Fraction) -> Fraction:
    r"""``factor`` :math:`\cdot N\sigma_1(W^*)^{2-2/N}` rounded down (ball arithmetic)."""
    import flint

    N = net.depth
    Ws = exact_w_star(net)
    s2 = certified_spectrum(Ws.transpose() * Ws).top.lo  # sigma_1^2 >= s2
    if s2 <= 0 or factor <= 0:
        return Fraction(0)
    old = flint.ctx.prec
    flint.ctx.prec = 128
    try:
        val = _ball(factor) * N * _ball(s2) ** flint.fmpq(N - 1, N)
        return arb_to_interval(val)[0]
    finally:
        flint.ctx.prec = old


def _is_scaled_identity(net: LinearNetwork) -> bool:
    S = net.Sxx_exact
    return all(S[i][j] == (S[0][0] if i == j else 0) for i in range(len(S)) for j in range(len(S)))


def certified_smin_bounds(net: LinearNetwork) -> SminBounds:
    """Certified lower and upper bounds of :math:`S_{\\min}` (see the module docstring)."""
    from ..numeric.landscape.sharpness import flattest_minimum

    net.require_minima()
    key = "claims:smin_bounds"
    cache = net._cache  # type: ignore[attr-defined]
    if key in cache:
        return cache[key]  # type: ignore[no-any-return]
    import flint

    S = flint.fmpq_mat([[_fq(x) for x in r] for r in net.Sxx_exact])
    if net.depth == 1:
        enc = certified_spectrum(S)
        out = SminBounds(
            enc.top.lo,
            "lambda_max(Sxx), certified",
            enc.top.hi,
            "lambda_max(Sxx), certified",
            tuple(exact_point_near(net, np.zeros(net.n_params))),
        )
        cache[key] = out
        return out
    if net.depth == 2 and not (net.is_scalar or _is_scaled_identity(net)):
        from ..numeric.landscape.depth2_sdp import exact_point_on_manifold

        fm = flattest_minimum(net)  # the certified SDP: fm.bounds
        assert fm.bounds is not None
        out = SminBounds(
            fm.bounds[0],
            "depth-2 SDP, dual bound in ball arithmetic",
            fm.bounds[1],
            "certified lambda_max(H) at an exact point of M",
            tuple(exact_point_on_manifold(net, fm.point)),
        )
        cache[key] = out
        return out
    if net.is_scalar or _is_scaled_identity(net):
        lower = _closed_form_lower(net, net.Sxx_exact[0][0])
        how = (
            "closed form sigma_xx N |w*|^(2-2/N) (AM-GM)"
            if net.is_scalar
            else "closed form c N sigma_1^(2-2/N) (Sxx = cI)"
        )
    else:
        from ..numeric.landscape.smin_deep import product_lower_bound

        bracket = _closed_form_lower(net, certified_spectrum(S).lower)
        lower, _x = product_lower_bound(net)
        how = "product-vector bound N |x|^(2/N) |W* x|^(2-2/N) / (x^T Sxx^-1 x), ball arithmetic"
        if bracket > lower:  # never in our cases: the bound at the top singular vector is >= it
            lower, how = bracket, "C5 lower bracket lambda_min(Sxx) N sigma_1^(2-2/N)"
    point = exact_point_near(net, flattest_minimum(net).point)
    upper = certified_spectrum(exact_hessian(net, point)).upper
    out = SminBounds(
        lower, how, upper, "certified lambda_max(H) at an exact point of M", tuple(point)
    )
    cache[key] = out
    return out
