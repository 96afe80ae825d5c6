"""Claim C5: critical step size.

Eta* = 2/S_min with S_min = N|y|^(2-2/N) (scalar), N sigma_1^(2-2/N) (whitened), a convex (SDP)
minimum for depth 2 (certified), the product-vector bound against an exact point of M for depth
>= 3 (certified), bracketed by lambda_min/max(Sxx) N sigma_1^(2-2/N).
"""

from __future__ import annotations

import numpy as np

from ..models import LinearNetwork
from ._common import _whitened
from ._smin import certified_smin_bounds
from .report import (
    BALL,
    EXACT_SYMBOLIC,
    NUMERICAL,
    SDP,
    ClaimResult,
    ClaimStatement,
    Status,
    Verdict,
    _Collector,
)

SPEC = ClaimStatement(
    "C5",
    "Critical step size",
    "eta* = 2/S_min with S_min = N|y|^(2-2/N) (scalar), N sigma_1^(2-2/N) (whitened), a convex"
    " (SDP) minimum for depth 2, max_x N |x|^(2/N) |W* x|^(2-2/N) / (x^T Sxx^-1 x) for depth >= 3"
    " (certified to the width shown), bracketed by lambda_min/max(Sxx) N sigma_1^(2-2/N)",
)


def check_c5(*, quick: bool = False) -> ClaimResult:
    r"""C5: :math:`S_{\min} = N|y|^{2-2/N}` (scalar, AM–GM), :math:`N\sigma_1^{2-2/N}`
    (whitened), the SDP of :mod:`dynsys_gd.numeric.landscape.depth2_sdp` (depth 2, any
    :math:`\Sigma_{xx}`), :math:`\eta^* = 2/S_{\min}`.

    Every check can fail: the toolkit's value against certified bounds at full precision (no
    rounded constants), the numerical minimum against the depth-2 certificate, and, for depth
    :math:`\ge 3`, two multi-start runs against the certified enclosure of
    :mod:`dynsys_gd.numeric.landscape.smin_deep`.
    """
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

    def enclosure_check(net: LinearNetwork, label: str) -> Verdict:
        """The toolkit's S_min against certified bounds (closed form in ball arithmetic or
        the depth-2 SDP below, certified lambda_max at an exact point of M above)."""
        from ..numeric.landscape.sharpness import flattest_minimum

        fm = flattest_minimum(net)
        b = certified_smin_bounds(net)
        lo, hi = float(b.lower), float(b.upper)
        S = fm.sharpness
        text = (
            f"{label}: certified {b.lower_method} gives S_min >= {lo:.15g}; {b.upper_method} "
            f"gives S_min <= {hi:.15g}; the toolkit reports S_min = {S:.15g} ({fm.method}) "
            f"and eta* = 2/S_min = {2 / S:.15g}."
        )
        # the toolkit's float64 value must lie in the enclosure up to a few rounding errors
        if S < lo * (1 - 1e-13):
            return False, text + " The toolkit's value is below the certified lower bound."
        if S > hi * (1 + 1e-13):
            return False, text + " A certified point of M is flatter than the toolkit's value."
        if hi - lo > 1e-12 * hi:
            return Status.NOT_CERTIFIED, text + (
                f" The certified enclosure is {(hi - lo) / hi:.1e} wide (relative), more than "
                "1e-12, so the value is not confirmed to full precision."
            )
        return True, text + " They agree to 1e-13 (relative)."

    net3 = LinearNetwork.scalar(3, 2.0)
    col.run(
        "scalar N = 3, y = 2: toolkit S_min = 3 * 2^(4/3) to full precision",
        BALL,
        lambda: enclosure_check(net3, "scalar N = 3, y = 2"),
    )
    for depth in (2, 3):

        def whitened(depth: int = depth) -> Verdict:
            return enclosure_check(_whitened(depth), f"whitened depth {depth}")

        col.run(
            f"whitened (2,)*{depth + 1}: toolkit S_min = N sigma_1^(2-2/N) to full precision",
            BALL,
            whitened,
        )

    general2: list[tuple[tuple[int, ...], int]] = (
        [((2, 2, 2), 0)] if quick else [((2, 2, 2), 0), ((3, 4, 3), 1), ((2, 3, 3), 2)]
    )
    for widths, seed in general2:

        def sdp(widths: tuple[int, ...] = widths, seed: int = seed) -> Verdict:
            from ..numeric.landscape.depth2_sdp import certified_min_sharpness_depth2
            from ..numeric.landscape.sharpness import _numerical_flattest

            net = _general(widths, seed)
            cert = certified_min_sharpness_depth2(net)
            _, num, _ = _numerical_flattest(_general(widths, seed))
            lo, hi = float(cert.lower), float(cert.upper)
            text = (
                f"widths {widths}: SDP (Clarabel, status {cert.solver_status}) certified "
                f"S_min in [{lo:.15g}, {hi:.15g}] (relative width {cert.relative_width:.1e}); "
                f"the numerical minimum over M (orbit parametrisation, BFGS + SLSQP, no SDP) is "
                f"{num:.15g}."
            )
            return _enclosure_verdict(
                text, num, lo, hi, cert.relative_width,
                below=" The numerical minimum is below the certified lower bound: the minimiser "
                "left M or the bound is wrong.",
                above=" The exact point of M behind the upper bound is flatter than the "
                "numerical minimum: the minimiser missed it.",
                wide=" The certified enclosure is wider than 1e-9 (relative), so agreement to "
                "1e-9 is not certified.",
            )  # fmt: skip

        col.run(
            f"general Sxx {widths}: numerical S_min within the certified SDP enclosure", SDP, sdp
        )

    def rank_deficient() -> Verdict:
        from ..numeric.landscape.depth2_sdp import certified_min_sharpness_depth2
        from ..numeric.landscape.smin_variety import variety_flattest

        Ws = np.array([[1.0, 0.0], [0.0, 0.0]])
        cert = certified_min_sharpness_depth2(_rank_one((2, 2, 2), Ws))
        _, num, _ = variety_flattest(_rank_one((2, 2, 2), Ws))
        lo, hi = float(cert.lower), float(cert.upper)
        text = (
            f"W* = diag(1, 0) (rank 1: M is a singular variety), Sxx = [[2, 1/2], [1/2, 1]]: "
            f"SDP certified S_min in [{lo:.15g}, {hi:.15g}]; the numerical minimum over all of "
            f"M (SLSQP over every parameter with W(theta) = W*, no SDP) is {num:.15g}."
        )
        return _enclosure_verdict(text, num, lo, hi, cert.relative_width)

    col.run("rank-deficient W*, depth 2: S_min over the variety, certified", SDP, rank_deficient)

    def rank_deficient_deep() -> Verdict:
        from ..numeric.landscape.sharpness import certified_min_sharpness_deep
        from ..numeric.landscape.smin_variety import variety_flattest

        Ws = np.array([[1.0, 2.0], [0.5, 1.0]])
        cert = certified_min_sharpness_deep(_rank_one((2, 2, 2, 2), Ws))
        _, num, _ = variety_flattest(_rank_one((2, 2, 2, 2), Ws))
        lo, hi = float(cert.lower), float(cert.upper)
        text = (
            f"W* = [[1, 2], [1/2, 1]] (rank 1: M is a singular variety), widths (2, 2, 2, 2): "
            f"product-vector bound and an exact point of M give S_min in [{lo:.15g}, {hi:.15g}]; "
            f"the numerical minimum over all of M (SLSQP over every parameter with "
            f"W(theta) = W*) is {num:.15g}."
        )
        return _enclosure_verdict(text, num, lo, hi, cert.relative_width)

    col.run(
        "rank-deficient W*, depth 3: S_min over the variety, certified", BALL, rank_deficient_deep
    )

    def lemma() -> Verdict:
        from ..numeric.kernels import numeric_model
        from ..numeric.landscape.fixed_points import random_minima

        worst = np.inf
        n_pts = 0
        for widths, seed in (((2, 2, 2, 2), 0), ((3, 4, 2), 4), ((2, 3, 3, 3, 2), 5)):
            net = _general(widths, seed)
            pts = random_minima(net, 16, seed=seed, spread=0.6, log_scale=1.0)
            m = numeric_model(net)
            H = m.hessian(pts)
            J = m.jacobian_of_product(pts)  # type: ignore[attr-defined]
            lmin = float(np.linalg.eigvalsh(net.Sxx)[0])
            D = H - lmin * np.swapaxes(J, 1, 2) @ J
            gap = np.linalg.eigvalsh(0.5 * (D + np.swapaxes(D, 1, 2)))[:, 0]
            worst = min(worst, float((gap / np.abs(H).max(axis=(1, 2))).min()))
            n_pts += len(pts)
        text = (
            f"At {n_pts} random points of M of three general-Sxx networks the smallest "
            f"eigenvalue of H - lambda_min(Sxx) J^T J, relative to max|H|, is {worst:.2e}."
        )
        if worst < -1e-9:
            return False, text + " A negative eigenvalue beyond rounding contradicts the lemma."
        return True, text + (
            " The lemma H >= lambda_min(Sxx) J^T J behind the lower end of the "
            "bracket holds (non-negative up to float64 rounding)."
        )

    col.run("lower-bracket lemma: H - lambda_min(Sxx) J^T J is PSD on M", NUMERICAL, lemma)

    general3: list[tuple[tuple[int, ...], int]] = (
        [((2, 2, 2, 2), 0)]
        if quick
        else [((2, 2, 2, 2), 0), ((2, 3, 3, 2), 2), ((2, 4, 4, 2), 3), ((3, 3, 3, 3, 2), 4)]
    )
    for widths, seed in general3:

        def multistart(widths: tuple[int, ...] = widths, seed: int = seed) -> Verdict:
            from ..numeric.landscape.sharpness import _numerical_flattest, flattest_minimum

            net = _general(widths, seed)
            fm = flattest_minimum(net)
            _, other, spread = _numerical_flattest(
                _general(widths, seed), restarts=6, seed=1, early_stop=False
            )
            b = certified_smin_bounds(net)
            lo, hi = float(b.lower), float(b.upper)
            text = (
                f"widths {widths}: the toolkit's S_min = {fm.sharpness:.15g}; an independent "
                f"run from 6 other starts (no early stop) gives {other:.15g} (spread of its "
                f"starts {spread:.1e}); certified: {lo:.15g} <= S_min <= {hi:.15g} "
                f"({b.lower_method}; {b.upper_method})."
            )
            if fm.sharpness > hi * (1 + 1e-12) or other < lo * (1 - 1e-12):
                return False, text + " A value falls outside the certified bounds."
            if abs(other - fm.sharpness) > 1e-9 * fm.sharpness:
                return False, text + (
                    " The two runs disagree by more than 1e-9: the larger one is not the minimum."
                )
            if hi - lo > 1e-9 * hi:
                return Status.NOT_CERTIFIED, text + (
                    f" They agree to 1e-9, but the certified enclosure is {(hi - lo) / hi:.1e} "
                    "wide (relative), so global optimality to 1e-9 is not certified."
                )
            return True, text + (
                f" They agree to 1e-9 and lie in the certified enclosure, {(hi - lo) / hi:.1e} "
                "wide (relative)."
            )

        col.run(
            f"general Sxx {widths}: certified S_min agrees with two multi-start runs",
            BALL,
            multistart,
        )
    return col.result(SPEC)


def _general(widths: tuple[int, ...], seed: int) -> LinearNetwork:
    """A network with a general (non-scalar) Sxx and a random target (fixed seeds)."""
    rng = np.random.default_rng(seed)
    d0, dN = widths[0], widths[-1]
    if seed == 0 and d0 == dN == 2:
        Sxx = np.array([[2.0, 0.5], [0.5, 1.0]])
        Syx = np.array([[1.5, 0.3], [-0.2, 0.7]])
    else:
        A = rng.normal(size=(d0, d0))
        Sxx = A @ A.T / d0 + 0.5 * np.eye(d0)
        Syx = rng.normal(size=(dN, d0))
    return LinearNetwork.from_covariances(widths, Sxx=Sxx, Syx=Syx)


def _rank_one(widths: tuple[int, ...], Ws: np.ndarray) -> LinearNetwork:
    """The network of the rank-deficient checks: Sxx = [[2, 1/2], [1/2, 1]], target ``Ws``."""
    Sxx = np.array([[2.0, 0.5], [0.5, 1.0]])
    return LinearNetwork.from_covariances(widths, Sxx=Sxx, Syx=Ws @ Sxx)


def _enclosure_verdict(
    text: str,
    num: float,
    lo: float,
    hi: float,
    relative_width: float,
    *,
    below: str = " The numerical minimum is below the certified lower bound.",
    above: str = " The minimiser missed the certified point of M.",
    wide: str = " The enclosure is wider than 1e-9.",
) -> Verdict:
    r"""A numerical minimum ``num`` against a certified enclosure :math:`[lo, hi]` of
    :math:`S_{\min}`: it fails below :math:`lo(1 - 10^{-9})` or above :math:`hi(1 + 10^{-9})`,
    is not certified when the enclosure is wider than :math:`10^{-9}` (relative), and holds
    otherwise (docs/math/certified-smin.md)."""
    if num < lo * (1 - 1e-9):
        return False, text + below
    if num > hi * (1 + 1e-9):
        return False, text + above
    if relative_width > 1e-9:
        return Status.NOT_CERTIFIED, text + wide
    return True, text + " They agree to 1e-9."
