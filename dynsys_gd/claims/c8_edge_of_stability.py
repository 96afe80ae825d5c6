"""Claim C8: edge of stability.

Converged runs end at minima with lambda_max(H) <= 2/eta; above eta* bounded runs settle on
period-2 orbits.
"""

from __future__ import annotations

from ..models import LinearNetwork
from .c7_sharp_transition import _runs
from .report import (
    MONTE_CARLO,
    ClaimResult,
    ClaimStatement,
    _Collector,
)

SPEC = ClaimStatement(
    "C8",
    "Edge of stability",
    "converged runs end at minima with lambda_max(H) <= 2/eta; above eta* bounded runs settle "
    "on period-2 orbits",
)


def check_c8(*, quick: bool = False, seed: int = 0) -> ClaimResult:
    r"""C8: every converged run ends at a minimum with :math:`\lambda_{\max}(H) \le 2/\eta`;
    above :math:`\eta^*` bounded runs settle on period-2 orbits."""
    from ..numeric.engine.outcomes import Outcome

    col = _Collector()
    n = 60 if quick else 300
    net = LinearNetwork.scalar(3, 2.0)
    eta_s = 2 / (3 * 2 ** (4 / 3))

    def stable() -> tuple[bool, str]:
        parts = []
        ok = True
        for f in (0.6, 0.9):
            eta = f * eta_s
            rb = _runs(net, eta, n, seed, 4000)
            conv = rb.outcome == Outcome.CONVERGED.code
            mins = conv & rb.at_minimum
            worst = float(rb.sharpness[mins].max()) if mins.any() else 0.0
            ok &= bool(mins.any()) and worst <= (2 / eta) * (1 + 1e-6)
            parts.append(
                f"eta = {f} eta*: {int(mins.sum())}/{n} converged to minima, max "
                f"lambda_max = {worst:.6g} <= 2/eta = {2 / eta:.6g}"
            )
        return ok, "; ".join(parts)

    col.run("converged runs end with lambda_max(H) <= 2/eta", MONTE_CARLO, stable)

    def period2() -> tuple[bool, str]:
        rb = _runs(net, 1.05 * eta_s, n, seed, 4000)
        per = rb.outcome == Outcome.PERIODIC.code
        conv = int((rb.outcome == Outcome.CONVERGED.code).sum())
        p2 = int((per & (rb.period == 2)).sum())
        counts = {o.key: int((rb.outcome == o.code).sum()) for o in Outcome}
        ok = p2 > 0 and conv == 0
        return ok, (
            f"eta = 1.05 eta*, n = {n}: outcomes {counts}; {p2} period-2 orbits "
            "(flip bifurcation at eta*), 0 converged"
        )

    col.run("above eta*: period-2 orbits, no convergence", MONTE_CARLO, period2)
    return col.result(SPEC)
