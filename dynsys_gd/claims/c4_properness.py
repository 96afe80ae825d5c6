"""Claim C4: properness.

Non-zero Hessian eigenvalues are proper on M: S_min is attained and the stable minima form a
bounded set.
"""

from __future__ import annotations

from ..numeric.enclosures import certified_spectrum, exact_hessian
from ._common import _scalar_symbols, _whitened
from .certificates import (
    rational_point_on_manifold,
)
from .report import (
    BALL,
    EXACT_SYMBOLIC,
    ClaimResult,
    ClaimStatement,
    _Collector,
)

SPEC = ClaimStatement(
    "C4",
    "Properness",
    "non-zero Hessian eigenvalues are proper on M: S_min is attained and the stable minima form"
    " a bounded set",
)


def check_c4(*, quick: bool = False) -> ClaimResult:
    r"""C4: the sharpness is proper on M (grows without bound along M to infinity)."""
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

    def matrix() -> tuple[bool, str]:
        net = _whitened(2)
        base = rational_point_on_manifold(net)
        o = net.offsets
        lows = []
        for t in (1, 10, 100):
            pt = [x * t for x in base[o[0] : o[1]]] + [x / t for x in base[o[1] : o[2]]]
            lows.append(certified_spectrum(exact_hessian(net, pt)).top.lo)
        ok = lows[1] > 10 * lows[0] and lows[2] > 50 * lows[1]
        return ok, (
            "certified lower bounds of lambda_max(H) along (t W_1, W_2 / t) in M: "
            + ", ".join(
                f"t={t}: >= {float(v):.6g}" for t, v in zip((1, 10, 100), lows, strict=True)
            )
        )

    col.run("whitened (2, 2, 2): lambda_max grows like t^2 along a curve of M", BALL, matrix)
    return col.result(SPEC)
