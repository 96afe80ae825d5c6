r"""C6 for the optimiser maps (docs/math/optimizers.md): the main theorem's argument for the map
that each optimiser iterates, one registry entry per optimiser (:data:`OPTIMIZER_CASES`).

An optimiser with threshold :math:`a^*` and curvature matrix :math:`QH` is linearly stable at a
minimum iff :math:`\eta\,\mu < a^*` for every normal eigenvalue :math:`\mu` of :math:`QH`.
With a layer-constant diagonal :math:`Q` the eigenvalues of :math:`QH` are those of
:math:`Q^{1/2}HQ^{1/2}`, the Hessian of the reparametrised network
:math:`\phi \mapsto L(Q^{1/2}\phi)`, which is again a linear network (its covariances
:math:`c^2\Sigma_{xx}`, :math:`c\,\Sigma_{yx}`, :math:`c = \prod_k r_k^{1/2}`).  So the optimiser
at :math:`\eta` is stable exactly where GD is stable on that network at the step
:math:`\eta' = 2\eta/a^*`, and C6's certified GD checks at :math:`\eta'` decide it:

=====================  ==========================================  =====================
optimiser              :math:`a^*`                                 :math:`Q`
=====================  ==========================================  =====================
heavy ball             :math:`2 + 2\beta`                          :math:`I`
Nesterov               :math:`(2 + 2\beta)/(1 + 2\beta)`           :math:`I`
LayerwiseGD            :math:`2`                                   :math:`r_k` on layer k
Adam, frozen :math:`p`  :math:`(2 + 2\beta_1)/(1 - \beta_1)`         :math:`1/p`
=====================  ==========================================  =====================

The determinant of each map's Jacobian on its full state is derived symbolically from the
update (a gradient :math:`g(x) = Hx` with a symbolic symmetric :math:`3 \times 3` Hessian: the
Jacobian at a general point has the same form, with :math:`H` taken at the gradient point):

* heavy ball: :math:`\det DF = \beta^P` and frozen Adam: :math:`\det DF = \beta_1^P`, constants,
  so these maps are non-singular everywhere;
* Nesterov: :math:`\det DF = \beta^P\det(I - \eta H(y))` at the look-ahead
  :math:`y = \theta + \beta m`, *not constant*: it vanishes on the preimage of GD's singular set
  :math:`Z = \{\det(I - \eta H) = 0\}` under the linear surjection
  :math:`(\theta, m) \mapsto \theta + \beta m`, which is null when :math:`Z` is (C1; checked
  here for the network of the checks: :math:`H(0) = 0` exactly, so :math:`\det(I - \eta H)` is
  a polynomial equal to 1 at the origin, not identically zero);
* LayerwiseGD: :math:`\det DF = \det(I - \eta QH) = \det(I - \eta Q^{1/2}HQ^{1/2})`, the
  determinant of GD's map on the reparametrised network (C1).

A small Monte-Carlo transition completes each entry: the converged fraction is positive at
0.98 :math:`\eta^*` and 0 at 1.02 :math:`\eta^*` of that optimiser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .._validation import _to_exact
from ..models import LinearNetwork
from .report import BALL, EXACT_SYMBOLIC, MONTE_CARLO, Verdict

__all__ = ["BETA", "OPTIMIZER_CASES", "OptimizerCase", "optimizer_checks"]

#: the momentum of the heavy-ball and Nesterov checks
BETA = Fraction(1, 2)
#: Adam's first-moment coefficient in the frozen-Adam checks (a* = 6).  At the usual 0.9
#: (a* = 38) the converged fraction from uniform [-2, 2]^3 at 0.98 eta* is about 0.5 % (2 of
#: 400 runs, seed 0), too small for a Monte Carlo of a few hundred runs to show it positive;
#: at 1/2 it is about 26 % (103 of 400)
BETA1 = Fraction(1, 2)
#: the relative step sizes of LayerwiseGD and the inverse of Adam's frozen preconditioner, per
#: layer of the scalar network (Q = diag(r): c = prod sqrt(r_k) = 2, exact in float64)
LAYER_RATES = (Fraction(4), Fraction(1), Fraction(1))
ADAM_Q = (Fraction(1), Fraction(1), Fraction(4))

#: a symbolic update: (theta, buffer, gradient, eta, symbols) -> the new state, as a list
SymbolicUpdate = Callable[[Any, Any, Callable[[Any], Any], Any, dict[str, Any]], list[Any]]


@dataclass(frozen=True)
class OptimizerCase:
    """One optimiser of the C6 checks.

    ``make`` builds it, ``a_star`` is its threshold (exact), ``q`` its layer-constant curvature
    scale on the scalar network (None: :math:`Q = I`), ``update`` its map written in sympy (for
    the determinant), ``expected_det`` the determinant claimed for it, ``det_title`` and
    ``det_words`` what the determinant check states.
    """

    key: str
    label: str
    make: Callable[[], Any]
    a_star: Fraction
    q: tuple[Fraction, ...] | None
    update: SymbolicUpdate
    expected_det: Callable[[Any, Any, dict[str, Any]], Any]
    has_buffer: bool
    formula: str
    det_title: str
    det_words: str


def _heavy_ball(th: Any, m: Any, g: Any, eta: Any, s: dict[str, Any]) -> list[Any]:
    m2 = s["beta"] * m - eta * g(th)  # m' = beta m - eta grad L(theta), theta' = theta + m'
    return [*(th + m2), *m2]


def _nesterov(th: Any, m: Any, g: Any, eta: Any, s: dict[str, Any]) -> list[Any]:
    m2 = s["beta"] * m - eta * g(th + s["beta"] * m)  # the gradient at y = theta + beta m
    return [*(th + m2), *m2]


def _frozen_adam(th: Any, m: Any, g: Any, eta: Any, s: dict[str, Any]) -> list[Any]:
    m2 = s["beta1"] * m + (1 - s["beta1"]) * g(th)  # theta' = theta - eta Q m', Q = 1/p
    return [*(th - eta * s["Q"] * m2), *m2]


def _layerwise(th: Any, m: Any, g: Any, eta: Any, s: dict[str, Any]) -> list[Any]:
    return [*(th - eta * s["Q"] * g(th))]


def _power(name: str) -> Callable[[Any, Any, dict[str, Any]], Any]:
    return lambda H, eta, s: s[name] ** H.shape[0]


def _nesterov_det(H: Any, eta: Any, s: dict[str, Any]) -> Any:
    import sympy as sp

    return s["beta"] ** H.shape[0] * (sp.eye(H.shape[0]) - eta * H).det(method="berkowitz")


def _reparametrised_det(H: Any, eta: Any, s: dict[str, Any]) -> Any:
    import sympy as sp

    root = sp.diag(*[sp.sqrt(x) for x in s["q"]])
    return (sp.eye(H.shape[0]) - eta * root * H * root).det(method="berkowitz")


def _make_layerwise() -> Any:
    from ..optimizers import LayerwiseGD

    return LayerwiseGD([float(r) for r in LAYER_RATES])


def _make_adam() -> Any:
    from ..optimizers import Adam

    return Adam(beta1=float(BETA1), frozen=[float(1 / q) for q in ADAM_Q])


def _make_momentum(nesterov: bool) -> Callable[[], Any]:
    def make() -> Any:
        from ..optimizers import HeavyBall, Nesterov

        return (Nesterov if nesterov else HeavyBall)(float(BETA))

    return make


#: one entry per optimiser whose C6 is checked (GD's own checks are in c6_main_theorem)
OPTIMIZER_CASES: tuple[OptimizerCase, ...] = (
    OptimizerCase(
        key="heavy-ball",
        label=f"heavy ball (beta = {BETA})",
        make=_make_momentum(False),
        a_star=2 + 2 * BETA,
        q=None,
        update=_heavy_ball,
        expected_det=_power("beta"),
        has_buffer=True,
        formula="beta^P",
        det_title="heavy-ball map non-singular: det DF = beta^P",
        det_words="constant and non-zero for beta > 0: the map is non-singular everywhere",
    ),
    OptimizerCase(
        key="nesterov",
        label=f"Nesterov (beta = {BETA})",
        make=_make_momentum(True),
        a_star=(2 + 2 * BETA) / (1 + 2 * BETA),
        q=None,
        update=_nesterov,
        expected_det=_nesterov_det,
        has_buffer=True,
        formula="beta^P det(I - eta H)",
        det_title="Nesterov map: det DF = beta^P det(I - eta H(y)), zero set null",
        det_words="not constant: zero exactly where GD's map is singular at the look-ahead "
        "y = theta + beta m",
    ),
    OptimizerCase(
        key="layerwise-gd",
        label=f"LayerwiseGD (r = ({', '.join(map(str, LAYER_RATES))}))",
        make=_make_layerwise,
        a_star=Fraction(2),
        q=LAYER_RATES,
        update=_layerwise,
        expected_det=_reparametrised_det,
        has_buffer=False,
        formula="det(I - eta Q^1/2 H Q^1/2)",
        det_title="LayerwiseGD map: det DF = det(I - eta Q^1/2 H Q^1/2)",
        det_words="the determinant of GD's map on the reparametrised network, non-zero off a "
        "null set (C1)",
    ),
    OptimizerCase(
        key="adam-frozen",
        label=f"frozen Adam (beta1 = {BETA1}, Q = 1/p = ({', '.join(map(str, ADAM_Q))}))",
        make=_make_adam,
        a_star=(2 + 2 * BETA1) / (1 - BETA1),
        q=ADAM_Q,
        update=_frozen_adam,
        expected_det=_power("beta1"),
        has_buffer=True,
        formula="beta1^P",
        det_title="frozen-Adam map non-singular: det DF = beta1^P",
        det_words="constant and non-zero for beta1 > 0: the map is non-singular everywhere",
    ),
)


def det_check(case: OptimizerCase) -> Verdict:
    """det DF of the case's map, derived from its sympy update with a symbolic symmetric 3 x 3
    Hessian, against ``case.expected_det``."""
    import sympy as sp

    P = 3
    h = sp.symbols("h0:6")
    H = sp.Matrix([[h[0], h[1], h[2]], [h[1], h[3], h[4]], [h[2], h[4], h[5]]])
    eta, beta, beta1 = sp.symbols("eta beta beta1", positive=True)
    q = sp.symbols("q0:3", positive=True)
    syms: dict[str, Any] = {"beta": beta, "beta1": beta1, "q": q, "Q": sp.diag(*q)}
    th = sp.Matrix(sp.symbols("t0:3"))
    m = sp.Matrix(sp.symbols("m0:3"))
    state = [*th, *m] if case.has_buffer else [*th]
    new = sp.Matrix(case.update(th, m, lambda x: H * x, eta, syms))
    # exact polynomial arithmetic (a DomainMatrix over Z[symbols]): fractions of a second
    det = sp.expand(new.jacobian(state).to_DM().det().as_expr())
    expected = sp.expand(case.expected_det(H, eta, syms))
    ok = sp.expand(det - expected) == 0
    text = (
        f"derived from the update with a symbolic symmetric 3 x 3 Hessian H (P = {P})"
        + ("" if case.q is None else " and Q = diag(q0, q1, q2), q_i > 0")
        + ": det DF "
        + (f"= {case.formula} identically" if ok else f"is not {case.formula}: {det}")
        + (f" (= {det})" if ok and len(str(det)) <= 40 else "")
        + f": {case.det_words}."
    )
    if ok and case.key == "nesterov":
        ok, more = _origin_check()
        text += " " + more
    return ok, text


def _origin_check() -> Verdict:
    """H(0) = 0 exactly on the scalar network of the checks, so det(I - eta H) is a polynomial
    in theta equal to 1 at the origin."""
    from ..numeric.landscape.enclosures import exact_hessian

    net = LinearNetwork.scalar(3, 2.0)
    H0 = exact_hessian(net, [0, 0, 0])
    zero = all(H0[i, j] == 0 for i in range(3) for j in range(3))
    return zero, (
        "On the scalar network N = 3, y = 2, H(0) = 0 exactly, so det(I - eta H(theta)) is a "
        "polynomial equal to 1 at theta = 0, its zero set Z is null, and so is the singular set "
        "of the Nesterov map, {(theta, m): theta + beta m in Z}."
        if zero
        else "H(0) is not zero on the scalar network: the origin argument does not apply."
    )


def effective_network(case: OptimizerCase, net: LinearNetwork) -> LinearNetwork:
    """The network on which GD has the stability of the case's optimiser: ``net`` itself, or
    the reparametrised network of :math:`\\phi \\mapsto L(Q^{1/2}\\phi)`."""
    if case.q is None:
        return net
    import numpy as np

    from ..numeric.landscape.optimizer_lr import reparametrised_model

    out = reparametrised_model(net, np.array([float(x) for x in case.q]))
    assert isinstance(out, LinearNetwork)
    return out


def _threshold_text(case: OptimizerCase, opt: Any) -> tuple[bool, str]:
    """Whether the optimiser's own threshold is the closed form of the case."""
    a = opt.threshold()
    ok = a is not None and abs(a - float(case.a_star)) <= 1e-12 * float(case.a_star)
    return ok, f"a* = {case.a_star} (the optimiser's threshold() = {a!r})"


def optimizer_checks(col: Any, n_mc: int, seed: int, gd: Any) -> None:
    """Add the C6 checks of every optimiser of :data:`OPTIMIZER_CASES` to the collector
    ``col``; ``gd`` carries C6's checks (``instability_check``, ``stable_minimum_check``,
    ``transition_check``), passed in so that this module does not import C6's back."""
    for case in OPTIMIZER_CASES:
        _case_checks(col, case, n_mc, seed, gd)


def _case_checks(col: Any, case: OptimizerCase, n_mc: int, seed: int, gd: Any) -> None:
    from ..numeric.landscape.optimizer_lr import critical_lr

    scalar = LinearNetwork.scalar(3, 2.0)
    opt = case.make()
    name = f"{case.label}, scalar N = 3, y = 2"
    where = "GD's eta' = 2 eta/a*" + ("" if case.q is None else " on phi -> L(Q^1/2 phi)")

    def reduced(factor: float, check: Callable[[LinearNetwork, Fraction], Verdict]) -> Verdict:
        same, a_text = _threshold_text(case, opt)
        eta = _to_exact("lr", factor * critical_lr(scalar, optimizer=opt))
        ok, text = check(effective_network(case, scalar), 2 * eta / case.a_star)
        if not same:
            return False, f"{a_text} disagree; {text}"
        return ok, f"at eta = {float(eta):.8g}, i.e. {where}, {a_text}: {text}"

    def above() -> Verdict:
        return reduced(1.02, gd.instability_check)

    def below() -> Verdict:
        return reduced(0.98, gd.stable_minimum_check)

    def mc() -> Verdict:
        return gd.transition_check(scalar, critical_lr(scalar, optimizer=opt), n_mc, seed, opt)

    col.run(f"{name} at 1.02 eta*: every minimum unstable", BALL, above)
    col.run(f"{name} at 0.98 eta*: a linearly stable minimum exists", BALL, below)
    col.run(case.det_title, EXACT_SYMBOLIC, lambda: det_check(case))
    col.run(f"{name}: convergent fraction > 0 below eta*, 0 above", MONTE_CARLO, mc)
