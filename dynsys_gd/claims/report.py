r"""Claim-check results: verdicts, checks, per-claim results and the report of a run.

Every check returns a :class:`ClaimResult` holding a list of :class:`Check` s, each with a
status (PASS / FAIL / SKIP), the *method* that produced it and the *certificate* (the exact
value, the enclosure or the confidence interval that makes it a proof or a measurement):

=========================  =====================================================================
method                     meaning
=========================  =====================================================================
exact symbolic             sympy identities / limits, for every value of the symbols
exact rational             python-flint ``fmpq_mat`` arithmetic at rational points
modular (mod p)            determinant modulo a prime (non-zero mod p ⇒ non-zero)
certified ball arithmetic  python-flint ``arb`` enclosures (Gershgorin on a similar matrix)
numerical (float64)        float64 computations with stated tolerances
Monte Carlo                sampled GD runs with a Clopper–Pearson interval
=========================  =====================================================================

A check that needs a toolkit module that is not installed is SKIP (never PASS).  An exception
inside a check is a FAIL carrying the error text, so the runner always completes.

Run everything with :func:`run_claims` (also ``dynsys-gd prove`` and the scripts in
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from .._results import ResultMixin

EXACT_SYMBOLIC = "exact symbolic"
EXACT_RATIONAL = "exact rational"
MODULAR = "modular (mod p)"
BALL = "certified ball arithmetic"
NUMERICAL = "numerical (float64)"
MONTE_CARLO = "Monte Carlo"
METHODS = (EXACT_SYMBOLIC, EXACT_RATIONAL, MODULAR, BALL, NUMERICAL, MONTE_CARLO)

#: MATH.md §8: whitened 2x2 target


class Status(Enum):
    """Verdict of one check."""

    PASS = "PASS"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True)
class Check:
    """One verified statement: its status, the method and the certificate."""

    name: str
    status: Status
    method: str
    certificate: str
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status is Status.PASS

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "method": self.method,
            "certificate": self.certificate,
            "seconds": round(self.seconds, 4),
        }


@dataclass(frozen=True, repr=False)
class ClaimResult(ResultMixin):
    """The checks of one claim; ``passed`` when none FAILED and at least one PASSED."""

    claim: str
    title: str
    statement: str
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return not any(c.status is Status.FAIL for c in self.checks) and any(
            c.passed for c in self.checks
        )

    @property
    def failed(self) -> bool:
        return any(c.status is Status.FAIL for c in self.checks)

    def __repr__(self) -> str:
        n = {s: sum(c.status is s for c in self.checks) for s in Status}
        return (
            f"ClaimResult({self.claim}, pass={n[Status.PASS]}, fail={n[Status.FAIL]}, "
            f"skip={n[Status.SKIP]})"
        )

    def summary(self) -> str:
        lines = [f"{self.claim} {self.title}", f"  claim: {self.statement}"]
        for c in self.checks:
            lines.append(f"  [{c.status.value}] {c.name}")
            lines.append(f"         method: {c.method}")
            lines.append(f"         certificate: {c.certificate}")
        lines.append(f"  => {self.claim} {'PASS' if self.passed else 'FAIL'}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim": self.claim,
            "title": self.title,
            "statement": self.statement,
            "passed": self.passed,
            "checks": [c.to_dict() for c in self.checks],
        }


@dataclass(frozen=True, repr=False)
class ClaimsReport(ResultMixin):
    """Results of several claims (what ``dynsys-gd prove`` prints)."""

    results: tuple[ClaimResult, ...]
    quick: bool
    seconds: float

    @property
    def passed(self) -> bool:
        return not any(r.failed for r in self.results)

    def rows(self) -> list[list[str]]:
        """Table rows: claim | check | method | result."""
        return [[r.claim, c.name, c.method, c.status.value] for r in self.results for c in r.checks]

    def __repr__(self) -> str:
        return (
            f"ClaimsReport({len(self.results)} claims, passed={self.passed}, {self.seconds:.1f} s)"
        )

    def summary(self) -> str:
        rows = self.rows()
        heads = ["claim", "check", "method", "result"]
        widths = [
            max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(heads)
        ]
        widths[1] = min(widths[1], 70)

        def fmt(r: list[str]) -> str:
            cells = [
                r[i] if len(r[i]) <= widths[i] else r[i][: widths[i] - 1] + "…" for i in range(4)
            ]
            return " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))

        out = [fmt(heads), "-+-".join("-" * w for w in widths)]
        out += [fmt(r) for r in rows]
        n_fail = sum(r[3] == "FAIL" for r in rows)
        n_skip = sum(r[3] == "SKIP" for r in rows)
        out.append(
            f"{len(rows) - n_fail - n_skip} passed, {n_fail} failed, {n_skip} skipped "
            f"({self.seconds:.1f} s{', quick' if self.quick else ''})"
        )
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "quick": self.quick,
            "seconds": round(self.seconds, 3),
            "results": [r.to_dict() for r in self.results],
        }


@dataclass(frozen=True)
class ClaimStatement:
    """What a claim says: its id (``"C1"`` … ``"C9"``), a short title and the statement."""

    claim: str
    title: str
    statement: str


class _Collector:
    """Runs check bodies, timing them and turning exceptions into FAIL / SKIP."""

    def __init__(self) -> None:
        self.checks: list[Check] = []

    def run(self, name: str, method: str, body: Callable[[], tuple[bool, str]]) -> None:
        t0 = time.perf_counter()
        try:
            ok, cert = body()
            status = Status.PASS if ok else Status.FAIL
        except ImportError as exc:
            status, cert = Status.SKIP, f"not available: {exc}"
        except Exception as exc:
            status, cert = Status.FAIL, f"error: {type(exc).__name__}: {exc}"
        self.checks.append(Check(name, status, method, cert, time.perf_counter() - t0))

    def result(self, spec: ClaimStatement) -> ClaimResult:
        """The :class:`ClaimResult` of the checks run so far for the claim ``spec``."""
        return ClaimResult(spec.claim, spec.title, spec.statement, tuple(self.checks))
