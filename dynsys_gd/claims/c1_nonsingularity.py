"""Claim C1: non-singularity of the gd map.

For every eta > 0 and N >= 2, det DG_eta is a polynomial in theta that is not identically zero
(N = 1: singular everywhere iff eta = 1/lambda_i(Sxx)).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from ..models import LinearNetwork
from ..numeric.landscape.enclosures import exact_hessian
from ._common import _check_net, _lr
from .certificates import (
    nonsingularity_certificate,
)
from .report import (
    EXACT_RATIONAL,
    MODULAR,
    ClaimResult,
    ClaimStatement,
    Status,
    Verdict,
    _Collector,
)

SPEC = ClaimStatement(
    "C1",
    "Non-singularity of the GD map",
    "for every eta > 0 and N >= 2, det DG_eta is a polynomial in theta that is not identically "
    "zero (N = 1: singular everywhere iff eta = 1/lambda_i(Sxx))",
)


def check_c1(
    net: LinearNetwork | None = None, lr: Any = None, *, quick: bool = False
) -> ClaimResult:
    r"""C1: :math:`\det DG_\eta \not\equiv 0` for N ≥ 2 (and the N = 1 exception).

    With ``net`` and ``lr`` given, certify that one case (depth 1 at
    :math:`\eta = 1/\lambda_i(\Sigma_{xx})` gives FAIL with the report "singular everywhere").
    Otherwise the default battery: scalar depths 2–5 at several η, a non-whitened 3-4-3 network,
    a large (10,10,10) network mod p (6,6,6 in quick mode), the exact Hessian against the sympy
    derivation, and the depth-1 exception detected.
    """
    col = _Collector()
    if net is not None:
        n = _check_net(net)
        eta = _lr(lr)

        def one() -> Verdict:
            c = nonsingularity_certificate(n, eta)
            if c.nonsingular:
                return True, c.message
            if c.singular_everywhere:  # the depth-1 exception: a certified contradiction
                return False, c.message
            return Status.NOT_CERTIFIED, (
                f"{c.message}. No point with a non-zero determinant was found among the "
                "candidates tried, which does not show that the determinant vanishes "
                "identically."
            )

        col.run(
            f"det DG_eta not identically 0 for widths {n.widths}, eta = {eta}", EXACT_RATIONAL, one
        )
        return col.result(SPEC)

    def scalars() -> tuple[bool, str]:
        parts = []
        ok = True
        for N in (2, 3, 4, 5):
            for eta in (Fraction(1, 10), Fraction(1), Fraction(7, 3)):
                c = nonsingularity_certificate(LinearNetwork.scalar(N, 2), eta)
                ok &= c.nonsingular
                parts.append(f"N={N},eta={eta}: det={c.determinant}")
        return ok, "; ".join(parts[:4]) + f"; ... ({len(parts)} cases, all non-zero)"

    col.run("scalar networks N = 2..5, y = 2, eta in {1/10, 1, 7/3}", EXACT_RATIONAL, scalars)

    def general() -> tuple[bool, str]:
        n = LinearNetwork.from_covariances(
            (3, 4, 3), Sxx=np.diag([1.0, 2.0, 3.0]), Syx=np.ones((3, 3)) + np.eye(3)
        )
        c = nonsingularity_certificate(n, Fraction(1, 3))
        return c.nonsingular, c.message

    col.run("non-whitened network (3, 4, 3), eta = 1/3", EXACT_RATIONAL, general)

    w = (6, 6, 6) if quick else (10, 10, 10)

    def large() -> tuple[bool, str]:
        n = LinearNetwork.from_covariances(w, Sxx=np.eye(w[0]), Syx=2 * np.eye(w[0]))
        c = nonsingularity_certificate(n, Fraction(3, 10), method="modular")
        return c.nonsingular, f"{c.message}; {c.seconds:.2f} s"

    col.run(f"large network {w}, eta = 3/10", MODULAR, large)
    if not quick:

        def large_exact() -> tuple[bool, str]:
            n = LinearNetwork.from_covariances((12, 12, 12), Sxx=np.eye(12), Syx=2 * np.eye(12))
            c = nonsingularity_certificate(n, Fraction(3, 10))
            return c.nonsingular, f"{c.message}; {c.seconds:.2f} s"

        col.run("large network (12, 12, 12) (P = 288), eta = 3/10", EXACT_RATIONAL, large_exact)

    def cross() -> tuple[bool, str]:
        from ..symbolic.derivation import derive

        n = LinearNetwork.from_covariances(
            (2, 3, 2),
            Sxx=np.array([[2.0, 1.0], [1.0, 3.0]]),
            Syx=np.array([[1.0, 2.0], [0.5, -1.0]]),
        )
        rng = np.random.default_rng(0)
        pt = [Fraction(int(a), 3) for a in rng.integers(-5, 6, n.n_params)]
        same = exact_hessian(n, pt) == derive(n).hessian_at_rational(pt)
        return bool(same), (
            "closed-form exact Hessian == sympy derivation at a rational point"
            f" of (2, 3, 2): {bool(same)}"
        )

    col.run("exact closed-form Hessian equals the symbolic one", EXACT_RATIONAL, cross)

    def exception() -> tuple[bool, str]:
        n = LinearNetwork.from_covariances((2, 2), Sxx=np.diag([1.0, 2.0]), Syx=np.eye(2))
        bad = nonsingularity_certificate(n, Fraction(1, 2))
        good = nonsingularity_certificate(n, Fraction(1, 3))
        ok = bad.singular_everywhere and good.nonsingular
        return ok, (
            f"N = 1, Sxx = diag(1, 2): eta = 1/2 -> {bad.message}; eta = 1/3 -> "
            f"det = {good.determinant} (non-singular)"
        )

    col.run(
        "N = 1 exception reported: singular everywhere iff eta = 1/lambda_i(Sxx)",
        EXACT_RATIONAL,
        exception,
    )
    return col.result(SPEC)
