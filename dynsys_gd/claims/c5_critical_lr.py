"""Claim C5: critical step size.

Eta* = 2/S_min with S_min = N|y|^(2-2/N) (scalar), N sigma_1^(2-2/N) (whitened), bracketed by
lambda_min/max(Sxx) N sigma_1^(2-2/N).
"""

from __future__ import annotations

import numpy as np

from ..models import LinearNetwork
from ..numeric.enclosures import arb_to_interval, certified_spectrum, exact_hessian
from ._common import W_STAR_8, _ball_interval_text, _whitened
from .report import (
    BALL,
    EXACT_SYMBOLIC,
    NUMERICAL,
    ClaimResult,
    ClaimStatement,
    _Collector,
)

SPEC = ClaimStatement(
    "C5",
    "Critical step size",
    "eta* = 2/S_min with S_min = N|y|^(2-2/N) (scalar), N sigma_1^(2-2/N) (whitened), bracketed"
    " by lambda_min/max(Sxx) N sigma_1^(2-2/N)",
)


def check_c5(*, quick: bool = False) -> ClaimResult:
    r"""C5: :math:`S_{\min} = N|y|^{2-2/N}` (scalar, AM–GM), :math:`N\sigma_1^{2-2/N}`
    (whitened), :math:`\eta^* = 2/S_{\min}`."""
    import sympy as sp

    col = _Collector()
    for N in (2, 3, 4) if quick else (2, 3, 4, 5, 6):

        def body(N: int = N) -> tuple[bool, str]:
            w = sp.symbols(f"w1:{N + 1}", positive=True)
            y = sp.Symbol("y", positive=True)
            f = sum(y**2 / wi**2 for wi in w)  # |g|^2 on M
            # AM-GM: f >= N (prod y^2/w_i^2)^(1/N) = N (y^(2N) / y^2)^(1/N) on prod w = y
            amgm = sp.simplify(N * (y ** (2 * N) / y**2) ** sp.Rational(1, N))
            target = N * y ** (2 - sp.Rational(2, N))
            bal = {wi: y ** sp.Rational(1, N) for wi in w}
            at_bal = sp.simplify(f.subs(bal))
            # Lagrange: grad f = mu grad(prod w) at the balanced point (same mu for all i)
            prod = sp.Mul(*w)
            mus = {sp.simplify((sp.diff(f, wi) / sp.diff(prod, wi)).subs(bal)) for wi in w}
            ok = (
                sp.simplify(amgm - target) == 0
                and sp.simplify(at_bal - target) == 0
                and len(mus) == 1
            )
            return ok, (
                f"min of sum y^2/w_i^2 on prod w = y: AM-GM bound {target} attained at "
                f"w_i = y^(1/N) (Lagrange multiplier {mus.pop()}); "
                f"eta* = 2/({target})"
            )

        col.run(f"scalar N = {N}: S_min = N y^(2-2/N) (AM-GM, Lagrange)", EXACT_SYMBOLIC, body)

    def scalar_num() -> tuple[bool, str]:
        from ..numeric.sharpness import flattest_minimum

        fm = flattest_minimum(LinearNetwork.scalar(3, 2.0))
        expected = 3 * 2 ** (4 / 3)
        eta = 2 / fm.sharpness
        ok = abs(fm.sharpness - expected) < 1e-9 * expected and abs(eta - 0.264567) < 1e-6
        return ok, (
            f"flattest_minimum(N=3, y=2).sharpness = {fm.sharpness:.12g}, closed form "
            f"{expected:.12g}; eta* = {eta:.6f} (MATH.md §8: 0.264567)"
        )

    col.run("scalar N = 3, y = 2: toolkit S_min and eta* = 0.264567", NUMERICAL, scalar_num)

    for depth, value in ((2, 3.062329), (3, 5.294403)):

        def whitened(depth: int = depth, value: float = value) -> tuple[bool, str]:
            import flint

            from ..numeric.sharpness import flattest_minimum

            net = _whitened(depth)
            fm = flattest_minimum(net)
            enc = certified_spectrum(exact_hessian(net, fm.point))
            lo, hi = enc.top.lo, enc.top.hi
            # closed form N sigma_1^(2 - 2/N) in ball arithmetic from the exact W*^T W*
            Wq = flint.fmpq_mat(
                [[flint.fmpq(x.numerator, x.denominator) for x in r] for r in W_STAR_8]
            )
            s2 = certified_spectrum(Wq.transpose() * Wq).top
            s2_ball = flint.arb(flint.fmpq(s2.lo.numerator, s2.lo.denominator))
            s2_ball = s2_ball.union(flint.arb(flint.fmpq(s2.hi.numerator, s2.hi.denominator)))
            closed = depth * s2_ball ** flint.fmpq(depth - 1, depth)
            clo, chi = arb_to_interval(closed)
            ok = (
                abs(float(hi) - value) < 1e-6 * value
                and enc.top.count == 1
                and float(hi) - float(lo) < 1e-9
                and abs(float(clo) - float(lo)) < 1e-9
            )
            return ok, (
                f"lambda_max(H) at the flattest minimum in {_ball_interval_text(lo, hi)};"
                f" closed form N sigma_1^(2-2/N) in {_ball_interval_text(clo, chi)}; "
                f"MATH.md §8: {value}"
            )

        col.run(f"whitened (2,)*{depth + 1}: S_min = N sigma_1^(2-2/N) = {value}", BALL, whitened)

    if not quick:

        def general() -> tuple[bool, str]:
            from ..numeric.sharpness import flattest_minimum

            net = LinearNetwork.from_covariances(
                (2, 2, 2),
                Sxx=np.array([[2.0, 0.5], [0.5, 1.0]]),
                Syx=np.array([[1.5, 0.3], [-0.2, 0.7]]),
            )
            fm = flattest_minimum(net)
            lo, hi = fm.bracket
            enc = certified_spectrum(exact_hessian(net, fm.point))
            ok = lo <= fm.sharpness <= hi and enc.top.lo <= fm.sharpness * (1 + 1e-9)
            return ok, (
                f"numerical S_min = {fm.sharpness:.10g} in the C5 bracket [{lo:.10g}, "
                f"{hi:.10g}]; certified lambda_max at its point in "
                f"{_ball_interval_text(enc.top.lo, enc.top.hi)}"
            )

        col.run("general Sxx (2, 2, 2): S_min within the C5 bracket", NUMERICAL, general)
    return col.result(SPEC)
