"""Claim C4: properness.

lambda_max(H) is proper on M: S_min is attained and the stable minima form a bounded set.  Only
lambda_max is proper in general: for matrix networks other non-zero eigenvalues can stay bounded
along M (the old statement "every non-zero eigenvalue is proper" is refuted by a check).
"""

from __future__ import annotations

from fractions import Fraction

from ..numeric.landscape.enclosures import certified_spectrum, exact_hessian
from ._common import W_STAR_8, _scalar_symbols, _whitened
from .report import (
    BALL,
    EXACT_SYMBOLIC,
    ClaimResult,
    ClaimStatement,
    Status,
    Verdict,
    _Collector,
)

SPEC = ClaimStatement(
    "C4",
    "Properness",
    "lambda_max(H) is proper on M: S_min is attained and the stable minima form a bounded set (for"
    " matrix networks other non-zero eigenvalues can stay bounded along M)",
)


def check_c4(*, quick: bool = False) -> ClaimResult:
    r"""C4: :math:`\lambda_{\max}(H)` is proper on M (grows without bound along M to infinity):
    exact symbolic limits for scalar networks, certified growth like :math:`t^2` along a curve of
    a matrix network, and a certified refutation of the old statement that every non-zero
    eigenvalue is proper (:func:`old_c4_counterexample`)."""
    import sympy as sp

    col = _Collector()
    for N in (2, 3) if quick else (2, 3, 4, 5):

        def body(N: int = N) -> tuple[bool, str]:
            t = sp.Symbol("t", positive=True)
            y = sp.Symbol("y", positive=True)
            wcurve = [t] * (N - 1) + [y / t ** (N - 1)]
            S = sum((y / wi) ** 2 for wi in wcurve)  # |g|^2 on M, g_i = y / w_i
            big = sp.limit(S, t, sp.oo)
            small = sp.limit(S, t, 0, "+")
            # properness on all of M: |g|^2 >= (y / w_k)^2 for every k, and if |w| -> oo on M
            # then min_k |w_k| -> 0 (the product is fixed), so |g|^2 -> oo.
            w, _, _, on_M = _scalar_symbols(N)
            g = [sp.Mul(*[w[j] for j in range(N) if j != i]).subs(on_M) for i in range(N)]
            ident = all(sp.simplify(g[i] - y / w[i].subs(on_M)) == 0 for i in range(N))
            ok = big is sp.oo and small is sp.oo and ident
            return ok, (
                f"along w = (t, ..., t, y/t^{N - 1}): |g|^2 = {sp.simplify(S)} -> "
                f"{big} (t->oo), {small} (t->0+); on M g_i = y/w_i identically, so "
                "|g|^2 >= y^2 / min_k w_k^2 -> oo as |w| -> oo"
            )

        col.run(f"scalar N = {N}: sharpness -> oo along M to infinity", EXACT_SYMBOLIC, body)

    ts = (10, 100) if quick else (10, 100, 1000)

    def matrix() -> Verdict:
        net = _whitened(2)
        rows = []
        ratios = []
        ok_bound = True
        for t in (1, *ts):
            pt = curve_point(t)
            top = certified_spectrum(exact_hessian(net, pt)).top
            norm2 = sum((x * x for x in pt), Fraction(0))
            # depth 2 on M: H >= lambda_min(Sxx) max(|W_1|^2, |W_2|^2) >= |theta|^2 / (2 h)
            ok_bound = ok_bound and top.lo >= norm2 / 4
            ratios.append(top.lo / t**2)
            rows.append(
                f"t = {t}: lambda_max(H) >= {float(top.lo):.10g}, |theta|^2/4 = "
                f"{float(norm2 / 4):.6g}"
            )
        growth = all(
            ratios[i + 1] >= Fraction(9, 10) * ratios[i] for i in range(1, len(ratios) - 1)
        )
        text = (
            "Along W_1 = diag(t, 1), W_2 = W* diag(1/t, 1) (docs/math/reference-values.md W*, "
            "Sxx = I), certified: " + "; ".join(rows) + ". "
        )
        if not (growth and ok_bound):
            return False, text + "The certified lower bounds do not grow like t^2."
        return True, text + (
            "lambda_max(H)/t^2 stays bounded below, and lambda_max(H) >= |theta|^2/(2h) holds at "
            "every point, as the depth-2 argument (J J^T >= W_2 W_2^T x I and I x W_1^T W_1) "
            "gives on all of M, so lambda_max(H) -> oo along M to infinity."
        )

    col.run(
        "whitened (2, 2, 2): lambda_max(H) grows like t^2 along a curve of M to infinity",
        BALL,
        matrix,
    )

    def old_statement() -> Verdict:
        ok, text = old_c4_counterexample(ts)
        return ok, text

    col.run(
        "the old statement 'every non-zero eigenvalue is proper' fails for a matrix network",
        BALL,
        old_statement,
    )
    return col.result(SPEC)


def curve_point(t: int | Fraction) -> list[Fraction]:
    r"""The exact point :math:`W_1 = \operatorname{diag}(t, 1)`, :math:`W_2 = W^*
    \operatorname{diag}(1/t, 1)` of M for the whitened 2×2 network of
    docs/math/reference-values.md."""
    t = Fraction(t)
    (a, b), (c, d) = W_STAR_8
    return [t, Fraction(0), Fraction(0), Fraction(1), a / t, b, c / t, d]


def old_c4_counterexample(ts: tuple[int, ...] = (10, 100, 1000)) -> Verdict:
    r"""Refute "every non-zero Hessian eigenvalue is proper on M" (the old C4): along the curve
    :func:`curve_point`, for every ``t`` exactly two eigenvalues of :math:`H` are certified to
    lie in :math:`(0, 3]` (separated from the cluster of :math:`\dim M = 4` zeros) while
    :math:`\lambda_{\max}(H) \ge t^2`.  Passed when that is certified for every ``t`` (the
    old statement is false); failed when a certified enclosure shows no bounded non-zero
    eigenvalue; not certified when the clusters overlap."""
    net = _whitened(2)
    parts = []
    for t in ts:
        enc = certified_spectrum(exact_hessian(net, curve_point(t)))
        zero = [c for c in enc.clusters if c.lo <= 0 <= c.hi]
        bounded = [c for c in enc.clusters if c.lo > 0 and c.hi <= 3]
        n_bounded = sum(c.count for c in bounded)
        parts.append(
            f"t = {t}: "
            + ", ".join(
                f"{c.count} in [{float(c.lo):.6g}, {float(c.hi):.6g}]" for c in enc.clusters
            )
        )
        if not zero or zero[0].count != 4 or enc.top.lo < t**2:
            return Status.NOT_CERTIFIED, (
                "; ".join(parts) + ". The enclosures do not separate the zero cluster, the "
                "bounded and the growing eigenvalues at this t, so the method cannot decide."
            )
        if n_bounded == 0 and enc.count_in(Fraction(0), Fraction(3)) == 4:
            return False, "; ".join(parts) + ". No non-zero eigenvalue stays bounded."
        if n_bounded != 2:
            return Status.NOT_CERTIFIED, "; ".join(parts) + (
                ". The bounded eigenvalues are not isolated by the enclosures."
            )
    return True, (
        "; ".join(parts) + ". Certified: at every t two non-zero eigenvalues of H stay "
        "in (0, 3] while lambda_max(H) >= t^2, so these two eigenvalues are not proper "
        "on M; only lambda_max is."
    )
