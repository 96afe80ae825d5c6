"""The registry of claims C1–C10 and the runners (``dynsys-gd prove``, the ``proofs/`` scripts)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._validation import describe
from ..errors import InvalidParameterError
from . import (
    c1_nonsingularity,
    c2_manifold,
    c3_spectrum_on_manifold,
    c4_properness,
    c5_critical_lr,
    c6_main_theorem,
    c7_sharp_transition,
    c8_edge_of_stability,
    c9_general_losses,
    c10_nonsingular_mlp,
)
from .report import ClaimResult, ClaimsReport


@dataclass(frozen=True)
class ClaimSpec:
    """A registered claim: id, short title, statement and its default check."""

    claim: str
    title: str
    statement: str
    check: Callable[..., ClaimResult]


_MODULES = (
    c1_nonsingularity,
    c2_manifold,
    c3_spectrum_on_manifold,
    c4_properness,
    c5_critical_lr,
    c6_main_theorem,
    c7_sharp_transition,
    c8_edge_of_stability,
    c9_general_losses,
    c10_nonsingular_mlp,
)

CLAIMS: dict[str, ClaimSpec] = {
    mod.SPEC.claim: ClaimSpec(
        mod.SPEC.claim,
        mod.SPEC.title,
        mod.SPEC.statement,
        getattr(mod, f"check_{mod.SPEC.claim.lower()}"),
    )
    for mod in _MODULES
}


def _claim_ids(claims: Any) -> list[str]:
    if claims is None:
        return list(CLAIMS)
    if isinstance(claims, str):
        claims = [claims]
    out = []
    for c in claims:
        key = str(c).upper()
        if key not in CLAIMS:
            raise InvalidParameterError(
                f"claims must be ids among {', '.join(CLAIMS)}; got {describe(c)}"
            )
        if key not in out:
            out.append(key)
    return out


def run_claim(claim: str, *, quick: bool = False) -> ClaimResult:
    """Run the default checks of one claim (``"C1"`` … ``"C9"``)."""
    (key,) = _claim_ids([claim])
    return CLAIMS[key].check(quick=quick)  # type: ignore[no-any-return]


def run_claims(
    claims: Any = None,
    *,
    quick: bool = False,
    on_result: Callable[[ClaimResult], None] | None = None,
) -> ClaimsReport:
    """Run the checks of the given claims (default: all, C1…C9) and collect a report.

    ``on_result`` is called after each claim (for progressive output).
    """
    ids = _claim_ids(claims)
    t0 = time.perf_counter()
    results = []
    for key in ids:
        r = run_claim(key, quick=quick)
        results.append(r)
        if on_result is not None:
            on_result(r)
    return ClaimsReport(tuple(results), bool(quick), time.perf_counter() - t0)


def proof_main(claim: str, argv: list[str] | None = None) -> int:
    """Entry point of the ``proofs/`` scripts: print the claim and every check with its status,
    method and certificate; return 1 on any FAIL (``--quick`` for the small version)."""
    import argparse

    (key,) = _claim_ids([claim])
    parser = argparse.ArgumentParser(
        description=f"Proof checks of claim {key} (docs/math/index.md): {CLAIMS[key].statement}"
    )
    parser.add_argument("--quick", action="store_true", help="small cases (seconds)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    result = run_claim(key, quick=args.quick)
    if args.json:
        print(result.to_json(indent=2))
    else:
        print(result.summary())
    return 1 if result.failed else 0
