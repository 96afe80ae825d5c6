r"""Claim-check results: verdicts, checks, per-claim results and the report of a run.

Every check has one of three verdicts (:class:`Status`):

* **passed** — the statement was proved (exactly, by a certified enclosure) or the measurement
  agrees with it (a Monte-Carlo confidence interval containing the reference value);
* **failed** — a counterexample or a certified contradiction was found (or the check raised an
  error, which is a defect of the toolkit and must not pass silently);
* **not certified** — the method could not decide (e.g. a certified lower bound that is not
  large enough).  Not certified is not false: the reason is stated in sentences.

Each :class:`Check` also names the *method* that produced it and its *certificate* (the exact
value, the enclosure or the confidence interval that makes it a proof or a measurement):

=========================  =====================================================================
method                     meaning
=========================  =====================================================================
exact symbolic             sympy identities / limits, for every value of the symbols
exact rational             python-flint ``fmpq_mat`` arithmetic at rational points
modular (mod p)            determinant modulo a prime (non-zero mod p ⇒ non-zero)
certified ball arithmetic  python-flint ``arb`` enclosures (Gershgorin on a similar matrix)
certified SDP              a semidefinite programme whose dual point is turned into a bound in
                           ball arithmetic (depth-2 :math:`S_{\min}`, C5)
numerical (float64)        float64 computations with stated tolerances
Monte Carlo                sampled GD runs with a Clopper–Pearson interval
=========================  =====================================================================

Run everything with :func:`run_claims` (also ``dynsys-gd prove`` and the scripts in
``proofs/``).
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
SDP = "certified SDP + ball arithmetic"
NUMERICAL = "numerical (float64)"
MONTE_CARLO = "Monte Carlo"
METHODS = (EXACT_SYMBOLIC, EXACT_RATIONAL, MODULAR, BALL, SDP, NUMERICAL, MONTE_CARLO)


class Status(Enum):
    """Verdict of one check: passed, failed (a counterexample or a certified contradiction) or
    not certified (the method could not decide)."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_CERTIFIED = "not certified"


@dataclass(frozen=True)
class Check:
    """One checked statement: its verdict, the method and the certificate.

    For a check that is not certified (or failed) ``certificate`` says why, in sentences.
    """

    name: str
    status: Status
    method: str
    certificate: str
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    @property
    def failed(self) -> bool:
        return self.status is Status.FAILED

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "method": self.method,
            "certificate": self.certificate,
            "seconds": round(self.seconds, 4),
        }


def _count_text(checks: tuple[Check, ...] | list[Check]) -> str:
    n = {s: sum(c.status is s for c in checks) for s in Status}
    parts = [f"{n[Status.PASSED]} passed"]
    if n[Status.FAILED]:
        parts.append(f"{n[Status.FAILED]} failed")
    if n[Status.NOT_CERTIFIED]:
        parts.append(f"{n[Status.NOT_CERTIFIED]} not certified")
    return ", ".join(parts)


@dataclass(frozen=True, repr=False)
class ClaimResult(ResultMixin):
    """The checks of one claim.

    Its verdict: failed when a check failed; passed when every check passed; otherwise (some
    checks not certified, none failed) not certified.
    """

    claim: str
    title: str
    statement: str
    checks: tuple[Check, ...]

    @property
    def status(self) -> Status:
        if any(c.failed for c in self.checks):
            return Status.FAILED
        if self.checks and all(c.passed for c in self.checks):
            return Status.PASSED
        return Status.NOT_CERTIFIED

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    @property
    def failed(self) -> bool:
        return self.status is Status.FAILED

    @property
    def verdict(self) -> str:
        """E.g. ``"passed (5 checks)"`` or ``"not certified (3 passed, 1 not certified)"``."""
        if self.status is Status.PASSED:
            return f"passed ({len(self.checks)} check{'s' if len(self.checks) != 1 else ''})"
        return f"{self.status.value} ({_count_text(self.checks)})"

    @property
    def methods(self) -> str:
        """The distinct methods of the checks, in order of first use."""
        seen: list[str] = []
        for c in self.checks:
            if c.method not in seen:
                seen.append(c.method)
        return ", ".join(seen)

    def __repr__(self) -> str:
        return f"ClaimResult({self.claim}, {self.verdict})"

    def summary(self) -> str:
        lines = [f"{self.claim} {self.title}", f"  claim: {self.statement}"]
        for c in self.checks:
            lines.append(f"  [{c.status.value}] {c.name}")
            lines.append(f"         method: {c.method}")
            label = (
                "certificate"
                if c.passed
                else ("why not certified" if c.status is Status.NOT_CERTIFIED else "why failed")
            )
            lines.append(f"         {label}: {c.certificate}")
        lines.append(f"  => {self.claim} {self.verdict}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim": self.claim,
            "title": self.title,
            "statement": self.statement,
            "status": self.status.value,
            "verdict": self.verdict,
            "passed": self.passed,
            "checks": [c.to_dict() for c in self.checks],
        }


def _table(heads: list[str], rows: list[list[str]], limits: dict[int, int]) -> list[str]:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(heads)
    ]
    for i, w in limits.items():
        widths[i] = min(widths[i], w)

    def fmt(r: list[str]) -> str:
        cells = [
            r[i] if len(r[i]) <= widths[i] else r[i][: widths[i] - 1] + "…"
            for i in range(len(heads))
        ]
        return " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [fmt(heads), "-+-".join("-" * w for w in widths)] + [fmt(r) for r in rows]


@dataclass(frozen=True, repr=False)
class ClaimsReport(ResultMixin):
    """Results of several claims (what ``dynsys-gd prove`` prints)."""

    results: tuple[ClaimResult, ...]
    quick: bool
    seconds: float

    @property
    def passed(self) -> bool:
        """No check failed (not certified checks do not make a run fail)."""
        return not any(r.failed for r in self.results)

    @property
    def checks(self) -> list[Check]:
        return [c for r in self.results for c in r.checks]

    def rows(self) -> list[list[str]]:
        """Table rows: claim | check | method | verdict."""
        return [[r.claim, c.name, c.method, c.status.value] for r in self.results for c in r.checks]

    def claim_rows(self) -> list[list[str]]:
        """One row per claim: claim | statement | verdict | methods."""
        return [[r.claim, r.statement, r.verdict, r.methods] for r in self.results]

    def claims_table(self) -> str:
        """The table of claims as Markdown (one row per claim: statement, verdict, methods), as
        printed at the end of ``dynsys-gd prove`` and shown in the README."""
        lines = ["| claim | statement | verdict | methods |", "|---|---|---|---|"]
        for row in self.claim_rows():
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"ClaimsReport({len(self.results)} claims, {_count_text(self.checks)})"

    def summary(self) -> str:
        out = _table(["claim", "check", "method", "verdict"], self.rows(), {1: 72})
        open_ = [(r.claim, c) for r in self.results for c in r.checks if not c.passed]
        if open_:
            out.append("")
            for claim, c in open_:
                label = "not certified" if c.status is Status.NOT_CERTIFIED else "FAILED"
                out.append(f"{claim} {label}: {c.name}. {c.certificate}")
        out.append("")
        out.append(self.claims_table())
        out.append("")
        out.append(
            f"{_count_text(self.checks)} ({self.seconds:.1f} s{', quick' if self.quick else ''})"
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


#: What a check body returns: a verdict (``True`` = passed, ``False`` = failed, or a
#: :class:`Status`) and the certificate text (for not certified / failed: why, in sentences).
Verdict = tuple[bool | Status, str]


class _Collector:
    """Runs check bodies, timing them; an exception inside a check is a failed check carrying
    the error text (a defect must not pass), so the runner always completes."""

    def __init__(self) -> None:
        self.checks: list[Check] = []

    def run(self, name: str, method: str, body: Callable[[], Verdict]) -> None:
        t0 = time.perf_counter()
        try:
            verdict, cert = body()
            if isinstance(verdict, Status):
                status = verdict
            else:
                status = Status.PASSED if verdict else Status.FAILED
        except Exception as exc:
            status, cert = (
                Status.FAILED,
                (
                    f"The check raised {type(exc).__name__}: {exc}. "
                    "This is a defect of the check, not a counterexample."
                ),
            )
        self.checks.append(Check(name, status, method, cert, time.perf_counter() - t0))

    def result(self, spec: ClaimStatement) -> ClaimResult:
        """The :class:`ClaimResult` of the checks run so far for the claim ``spec``."""
        return ClaimResult(spec.claim, spec.title, spec.statement, tuple(self.checks))
