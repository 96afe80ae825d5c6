"""Claim C6: main theorem.

For eta > eta* every minimum is unstable and GD converges from a null set; below eta* the
convergent set has positive measure.  Strict saddles are unstable; non-strict ones are not
decided by linearisation.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from .._validation import _to_exact, check_int
from ..models import LinearNetwork
from ..numeric.landscape.enclosures import certified_spectrum, exact_hessian
from ._common import _check_net, _lr, _whitened
from ._smin import _is_scaled_identity, certified_smin_bounds
from .report import (
    BALL,
    MONTE_CARLO,
    SDP,
    ClaimResult,
    ClaimStatement,
    Status,
    Verdict,
    _Collector,
)

SPEC = ClaimStatement(
    "C6",
    "Main theorem",
    "for eta > eta* every minimum is unstable and GD converges from a null set; below eta* the "
    "convergent set has positive measure; strict saddles are unstable",
)

#: docs/math/reference-values.md: converged fractions at 0.98 eta* of the whitened 2x2 networks,
#: long-run references (n = 10,000, 200,000 steps of an independent float64 loop,
#: benchmarks/reference_fractions.py) with their 95 % Clopper-Pearson intervals
SECTION8_FRACTIONS = {
    (2, "gaussian"): (0.3601, 0.3507, 0.3696),
    (3, "gaussian"): (0.3264, 0.3172, 0.3357),
    (2, "uniform"): (0.1217, 0.1154, 0.1283),
    (3, "uniform"): (0.0670, 0.0622, 0.0721),
}
#: level of the Clopper-Pearson intervals the Monte-Carlo checks are judged by
MC_CONFIDENCE = 0.99


def instability_check(net: LinearNetwork, eta: Fraction, *, max_boxes: int = 0) -> Verdict:
    r"""Three-valued check of "every point of M is linearly unstable at η" (C6).

    passed: a certified lower bound of :math:`S_{\min}` exceeds :math:`2/\eta`;
    failed: the certified :math:`\lambda_{\max}(H)` at an exact point of M is below
    :math:`2/\eta` (a linearly stable minimum: a counterexample, so :math:`\eta < \eta^*`);
    not certified: neither (the two certified bounds straddle :math:`2/\eta`).  Below
    :math:`S_{\min}` the lower bound is the closed forms, the depth-2 SDP or, at depth ≥ 3 with a
    general :math:`\Sigma_{xx}`, the product-vector bound of
    :mod:`dynsys_gd.numeric.landscape.smin_deep` (tight to about 1e-14 on every case we know).
    ``max_boxes`` > 0 lets a depth-3 network with equal widths also try the branch and bound of
    :mod:`dynsys_gd.numeric.landscape.smin_depth3` with that budget when the bounds still
    straddle :math:`2/\eta` (looser; kept as a second, independent route).
    """
    b = certified_smin_bounds(net)
    bound = 2 / eta
    if (
        b.lower <= bound < b.upper
        and net.depth == 3
        and len(set(net.widths)) == 1
        and max_boxes > 0
        and (b.upper - bound) / b.upper >= DEPTH3_MIN_MARGIN
    ):
        b = _depth3_bounds(net, b, bound, max_boxes)
    if b.lower > bound:
        return True, (
            f"Every theta in M has lambda_max(H) >= S_min >= {float(b.lower):.12g} "
            f"(certified: {b.lower_method}) > 2/eta = {float(bound):.12g}."
        )
    if b.upper < bound:
        pt = ", ".join(f"{float(x):.6g}" for x in b.point[:4])
        more = ", ..." if len(b.point) > 4 else ""
        return False, (
            f"The exact point theta = ({pt}{more}) of M has lambda_max(H) <= "
            f"{float(b.upper):.12g} (certified: {b.upper_method}) < 2/eta = {float(bound):.12g}: "
            "it is a linearly stable minimum, so not every minimum is unstable at this eta "
            "(eta is below eta*)."
        )
    return Status.NOT_CERTIFIED, (
        f"The certified lower bound S_min >= {float(b.lower):.12g} ({b.lower_method}) does not "
        f"exceed 2/eta = {float(bound):.12g}, and the certified upper bound S_min <= "
        f"{float(b.upper):.12g} ({b.upper_method}) is not below it, so this method cannot "
        "decide whether every minimum is unstable at this eta."
        + (
            " Here the lower end of the C5 bracket was the best certified lower bound; that "
            "bracket is often loose by a factor near 3."
            if "bracket" in b.lower_method
            else ""
        )
    )


#: a budget (boxes) for callers of :func:`instability_check` that want the depth-3 branch and
#: bound as a second route (the battery no longer needs it: the product-vector bound decides)
DEPTH3_MAX_BOXES = 60_000
#: the branch and bound is tried only when 2/eta lies at least this far (relative) below the
#: certified upper bound of S_min: closer margins need more boxes than the budget
DEPTH3_MIN_MARGIN = Fraction(15, 1000)


def _depth3_bounds(net: LinearNetwork, b: Any, bound: Fraction, max_boxes: int) -> Any:
    """Sharper certified lower bound for a depth-3 network with square layers: the branch and
    bound of :mod:`dynsys_gd.numeric.landscape.smin_depth3`, run until its bound exceeds
    ``bound`` (or its box budget is spent)."""
    import dataclasses

    from ..numeric.landscape.smin_depth3 import certified_min_sharpness_depth3

    goal = bound * (1 + Fraction(1, 10**9))
    c = certified_min_sharpness_depth3(net, goal=goal, max_boxes=max_boxes)
    if c.lower <= b.lower:
        return b
    return dataclasses.replace(
        b,
        lower=c.lower,
        lower_method=f"depth-3 branch and bound, {c.boxes} boxes: {c.method}",
    )


def _mc_interval(est: Any, confidence: float) -> tuple[float, float, int, int]:
    """Honest interval of the converged fraction: lower CP bound of the converged count k,
    upper CP bound of k + u (u undecided runs), and (k, u)."""
    from ..analysis.intervals import clopper_pearson

    n = int(est.n_samples)
    k = int(est.counts.get("converged", 0))
    u = int(est.counts.get("undecided", 0))
    return clopper_pearson(k, n, confidence)[0], clopper_pearson(k + u, n, confidence)[1], k, u


def _mc_text(label: str, lo: float, hi: float, k: int, u: int, n: int) -> str:
    und = f", {u} undecided" if u else ""
    return f"{label}: {k}/{n} converged{und}, fraction in [{lo:.3f}, {hi:.3f}]"


def transition_check(
    net: LinearNetwork, eta_s: float, n_mc: int, seed: int, optimizer: Any = None
) -> Verdict:
    """Monte Carlo on uniform [-2, 2]^P at 0.98 and 1.02 ``eta_s``: passed when no run converges
    above and the fraction below is certainly positive (99 % Clopper–Pearson)."""
    from ..analysis.convergence import estimate_convergent_fraction

    kw: dict[str, Any] = {"n_samples": n_mc, "seed": seed, "optimizer": optimizer}
    b = estimate_convergent_fraction(net, 0.98 * eta_s, **kw)
    a = estimate_convergent_fraction(net, 1.02 * eta_s, **kw)
    blo, bhi, bk, bu = _mc_interval(b, MC_CONFIDENCE)
    alo, ahi, ak, au = _mc_interval(a, MC_CONFIDENCE)
    text = (
        f"uniform [-2, 2]^{net.n_params}, seed {seed}, {MC_CONFIDENCE:.0%} Clopper-Pearson: "
        + _mc_text("0.98 eta*", blo, bhi, bk, bu, n_mc)
        + "; "
        + _mc_text("1.02 eta*", alo, ahi, ak, au, n_mc)
        + "."
    )
    if ak > 0:
        return False, text + " Runs converged above eta*, where every minimum is unstable."
    if blo <= 0:
        return False, text + " The fraction below eta* is not certainly positive."
    return True, text


def stable_minimum_check(net: LinearNetwork, eta: Fraction) -> Verdict:
    r"""Three-valued check of "some point of M is linearly stable at η" (C6, below η*): passed
    when the certified :math:`\lambda_{\max}(H)` at an exact point of M is below :math:`2/\eta`
    (then the stable minima form a non-empty open subset of M)."""
    verdict, text = instability_check(net, eta)
    if verdict is False:
        return True, text.replace(
            "so not every minimum is unstable at this eta (eta is below eta*).",
            "so the stable minima are a non-empty open set.",
        )
    if verdict is True:
        return False, text + " So no minimum is stable at this eta."
    return verdict, text


def _general_net(depth: int) -> LinearNetwork:
    W = np.array([[1.5, 0.3], [-0.2, 0.7]])
    return LinearNetwork.from_covariances(
        (2,) * (depth + 1), Sxx=np.array([[2.0, 0.5], [0.5, 1.0]]), Syx=W
    )


def check_c6(
    net: LinearNetwork | None = None,
    lr: Any = None,
    *,
    quick: bool = False,
    n_samples: int | None = None,
    seed: int = 0,
) -> ClaimResult:
    r"""C6: for :math:`\eta > \eta^*` every minimum is unstable and the convergent set is null;
    below :math:`\eta^*` stable minima exist.

    With ``net`` and ``lr`` the certified instability check is run for that case only
    (:func:`instability_check`): passed above :math:`\eta^*` when a certified lower bound of
    :math:`S_{\min}` exceeds :math:`2/\eta` (closed forms, the depth-2 SDP), failed below
    :math:`\eta^*` (a certified stable minimum is a counterexample), not certified when the
    certified bounds straddle :math:`2/\eta` (at depth ≥ 3 with a general :math:`\Sigma_{xx}`
    the lower bound is the product-vector bound of
    :mod:`dynsys_gd.numeric.landscape.smin_deep`).

    The default battery: scalar N = 3, y = 2, the whitened and a general-:math:`\Sigma_{xx}`
    2×2 network of depth 2 and 3 at 1.02 η* (every minimum unstable) and at 0.98 η* (a
    certified stable minimum), strict and non-strict saddles, and Monte-Carlo fractions judged
    by their 99 % Clopper–Pearson intervals (undecided runs widen them) against
    docs/math/reference-values.md.
    """
    col = _Collector()
    n_mc = (
        check_int("n_samples", n_samples, minimum=1)
        if n_samples is not None
        else (100 if quick else 400)
    )
    if net is not None:
        n = _check_net(net)
        eta = _lr(lr)
        general2 = n.depth == 2 and not (n.is_scalar or _is_scaled_identity(n))
        col.run(
            f"widths {n.widths}, eta = {float(eta):.8g}: every minimum unstable",
            SDP if general2 else BALL,
            lambda: instability_check(n, eta),
        )
        return col.result(SPEC)

    from ..numeric.landscape.sharpness import critical_lr

    scalar = LinearNetwork.scalar(3, 2.0)
    cases: list[tuple[str, Callable[[], LinearNetwork]]] = [
        ("scalar N = 3, y = 2", lambda: scalar),
        ("whitened (2, 2, 2)", lambda: _whitened(2)),
        ("general Sxx (2, 2, 2)", lambda: _general_net(2)),
        ("general Sxx (2, 2, 2, 2)", lambda: _general_net(3)),
    ]
    for name, make in cases:

        def above(make: Callable[[], LinearNetwork] = make) -> Verdict:
            n = make()
            return instability_check(n, _to_exact("lr", 1.02 * critical_lr(n)))

        def below(make: Callable[[], LinearNetwork] = make) -> Verdict:
            n = make()
            return stable_minimum_check(n, _to_exact("lr", 0.98 * critical_lr(n)))

        method = SDP if name == "general Sxx (2, 2, 2)" else BALL
        col.run(f"{name} at 1.02 eta*: every minimum unstable", method, above)
        col.run(f"{name} at 0.98 eta*: a linearly stable minimum exists", method, below)

    def saddles() -> Verdict:
        texts = []
        ok = True
        for N, strict, flat in ((3, [0, 0, 1], [0, 0, 0]), (4, [0, 0, 1, 1], [0, 0, 0, 1])):
            net_ = LinearNetwork.scalar(N, 2.0)
            enc = certified_spectrum(exact_hessian(net_, strict))
            H0 = exact_hessian(net_, flat)
            zero = all(H0[i, j] == 0 for i in range(N) for j in range(N))
            ok = ok and enc.clusters[0].hi < 0 and zero
            texts.append(
                f"N = {N}: theta = {tuple(strict)} (two zero weights) has lambda_min(H) <= "
                f"{float(enc.clusters[0].hi):.6g} < 0 (strict saddle, DG eigenvalue > 1); "
                f"theta = {tuple(flat)} (three zero weights) has H = 0 exactly (non-strict, not "
                "decided by linearisation)"
            )
        return ok, "; ".join(texts) + "."

    col.run("scalar N = 3, 4: strict saddles unstable, three zeros give H = 0", BALL, saddles)

    def mc() -> Verdict:
        return transition_check(scalar, critical_lr(scalar), n_mc, seed)

    col.run("scalar N = 3, y = 2: convergent fraction > 0 below eta*, 0 above", MONTE_CARLO, mc)

    configs = [(2, "gaussian")] if quick else list(SECTION8_FRACTIONS)
    for depth, init in configs:

        def mc_whitened(depth: int = depth, init: str = init) -> Verdict:
            from ..analysis.convergence import estimate_convergent_fraction

            wnet = _whitened(depth)
            eta_w = critical_lr(wnet)
            kw: dict[str, Any] = {
                "n_samples": n_mc,
                "seed": seed,
                "init": init,
                "init_scale": 1.0 if init == "gaussian" else 2.0,
            }
            b = estimate_convergent_fraction(wnet, 0.98 * eta_w, **kw)
            a = estimate_convergent_fraction(wnet, 1.02 * eta_w, **kw)
            ref, ref_lo, ref_hi = SECTION8_FRACTIONS[(depth, init)]
            blo, bhi, bk, bu = _mc_interval(b, MC_CONFIDENCE)
            alo, ahi, ak, au = _mc_interval(a, MC_CONFIDENCE)
            dist = "N(0, I)" if init == "gaussian" else "uniform [-2, 2]^P"
            text = (
                f"{dist}, seed {seed}, {MC_CONFIDENCE:.0%} Clopper-Pearson: "
                + _mc_text("0.98 eta*", blo, bhi, bk, bu, n_mc)
                + f" (docs/math/reference-values.md: {ref} [{ref_lo}, {ref_hi}]); "
                + _mc_text("1.02 eta*", alo, ahi, ak, au, n_mc)
                + " (§8: 0)."
            )
            if ak > 0:
                return False, text + " Runs converged above eta*."
            if bhi < ref_lo or blo > ref_hi:
                return False, text + (
                    f" The interval at 0.98 eta* does not meet the reference interval "
                    f"[{ref_lo}, {ref_hi}]."
                )
            return True, text

        col.run(
            f"whitened (2,)*{depth + 1}, {init}: fraction {SECTION8_FRACTIONS[(depth, init)][0]} "
            "at 0.98 eta*, 0 at 1.02 eta*",
            MONTE_CARLO,
            mc_whitened,
        )
    from types import SimpleNamespace

    from .c6_optimizers import optimizer_checks  # the theorem for the other optimisers' maps

    gd = SimpleNamespace(
        instability_check=instability_check,
        stable_minimum_check=stable_minimum_check,
        transition_check=transition_check,
    )
    optimizer_checks(col, n_mc, seed, gd)
    return col.result(SPEC)
