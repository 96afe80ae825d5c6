r"""C6 for heavy-ball momentum (docs/math/optimizers.md): the main theorem's argument for the map
that momentum iterates.

Heavy ball with :math:`0 \le \beta < 1` is linearly stable at a minimum iff
:math:`\eta\lambda < 2 + 2\beta` for every normal eigenvalue :math:`\lambda` of :math:`H`, i.e.
iff GD is stable there at the step :math:`\eta' = 2\eta/(2 + 2\beta)`.  So the certified GD checks
of C6 at :math:`\eta'` decide heavy ball at :math:`\eta` exactly.  Its map is non-singular
everywhere: by the Schur complement of the momentum block, :math:`\det DF = \beta^P` (checked
here symbolically).  A Monte-Carlo check completes the picture: the converged fraction is
positive below :math:`(2 + 2\beta)/S_{\min}` and 0 above.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from .._validation import _to_exact
from ..models import LinearNetwork
from .report import BALL, EXACT_SYMBOLIC, MONTE_CARLO, Verdict

__all__ = ["BETA", "momentum_checks"]

#: the momentum of the checks
BETA = Fraction(1, 2)


def _gd_step(eta: Fraction) -> Fraction:
    """GD's step with the same stability as heavy ball at ``eta``: 2 eta / (2 + 2 beta)."""
    return 2 * eta / (2 + 2 * BETA)


def det_check() -> Verdict:
    """det DF of the heavy-ball map with a symbolic symmetric Hessian, P = 3."""
    import sympy as sp

    P = 3
    h = sp.symbols("h0:6")
    H = sp.Matrix([[h[0], h[1], h[2]], [h[1], h[3], h[4]], [h[2], h[4], h[5]]])
    eta, beta = sp.symbols("eta beta", positive=True)
    eye = sp.eye(P)
    J = sp.BlockMatrix([[eye - eta * H, beta * eye], [-eta * H, beta * eye]]).as_explicit()
    det = sp.expand(J.det())
    ok = sp.simplify(det - beta**P) == 0
    return ok, (
        f"with a symbolic symmetric 3 x 3 Hessian H, det [[I - eta H, beta I], [-eta H, beta I]] "
        f"= {det}: non-zero for every theta when beta > 0, so the map is non-singular."
    )


def momentum_checks(col: Any, n_mc: int, seed: int, gd: Any) -> None:
    """Add the heavy-ball checks of C6 to the collector ``col``; ``gd`` carries C6's checks
    (``instability_check``, ``stable_minimum_check``, ``transition_check``), passed in so that
    this module does not import C6's back."""
    from ..numeric.landscape.optimizer_lr import critical_lr
    from ..optimizers import HeavyBall

    instability_check, stable_minimum_check = gd.instability_check, gd.stable_minimum_check

    scalar = LinearNetwork.scalar(3, 2.0)
    hb = HeavyBall(float(BETA))
    name = f"heavy ball (beta = {BETA}), scalar N = 3, y = 2"

    def above() -> Verdict:
        eta = _to_exact("lr", 1.02 * critical_lr(scalar, optimizer=hb))
        ok, text = instability_check(scalar, _gd_step(eta))
        return ok, f"at eta = {float(eta):.8g}, i.e. GD's eta' = 2 eta/(2 + 2 beta): {text}"

    def below() -> Verdict:
        eta = _to_exact("lr", 0.98 * critical_lr(scalar, optimizer=hb))
        ok, text = stable_minimum_check(scalar, _gd_step(eta))
        return ok, f"at eta = {float(eta):.8g}, i.e. GD's eta' = 2 eta/(2 + 2 beta): {text}"

    def mc() -> Verdict:
        return gd.transition_check(scalar, critical_lr(scalar, optimizer=hb), n_mc, seed, hb)

    col.run(f"{name} at 1.02 eta*: every minimum unstable", BALL, above)
    col.run(f"{name} at 0.98 eta*: a linearly stable minimum exists", BALL, below)
    col.run("heavy-ball map non-singular: det DF = beta^P", EXACT_SYMBOLIC, det_check)
    col.run(f"{name}: convergent fraction > 0 below eta*, 0 above", MONTE_CARLO, mc)
