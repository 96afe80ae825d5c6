"""Three-valued verdicts of the claim checks (passed, failed, not certified) on cases whose
answer is known: C6 with a general Σxx above and below η*, the old C4 statement, the report."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.claims import Status, check_c6
from dynsys_gd.claims.c4_properness import old_c4_counterexample
from dynsys_gd.claims.report import Check, ClaimResult, ClaimsReport, _Collector


def _general(widths: tuple[int, ...], seed: int) -> dg.LinearNetwork:
    rng = np.random.default_rng(seed)
    d0, dN = widths[0], widths[-1]
    A = rng.normal(size=(d0, d0))
    Sxx = A @ A.T / d0 + 0.4 * np.eye(d0)
    assert not np.allclose(Sxx, Sxx[0, 0] * np.eye(d0))
    return dg.LinearNetwork.from_covariances(widths, Sxx=Sxx, Syx=rng.normal(size=(dN, d0)))


GENERAL = [((2, 2, 2), 0), ((3, 3, 2), 1), ((2, 2, 2, 2), 2), ((2, 3, 3, 2), 3)]


@pytest.mark.parametrize(("widths", "seed"), GENERAL)
@pytest.mark.parametrize("factor", [1.01, 1.2, 3.5])
def test_c6_general_sxx_above_eta_star_is_never_failed(widths, seed, factor):
    """C6 is true above η*: the check passes, at depth 2 by the certified SDP and at depth 3 by
    the product-vector bound of S_min (tight, so even 1.01 η* is decided)."""
    net = _general(widths, seed)
    r = check_c6(net, factor * dg.critical_lr(net))
    (c,) = r.checks
    assert c.status is Status.PASSED, c.certificate
    if net.depth == 3:
        assert "product-vector bound" in c.certificate


@pytest.mark.parametrize(("widths", "seed"), GENERAL)
@pytest.mark.parametrize("factor", [0.5, 0.9, 0.99])
def test_c6_general_sxx_below_eta_star_is_failed(widths, seed, factor):
    """Below η* a certified linearly stable minimum (an exact point of M) refutes "every
    minimum is unstable": the check fails."""
    net = _general(widths, seed)
    r = check_c6(net, factor * dg.critical_lr(net))
    assert r.failed and r.checks[0].status is Status.FAILED
    assert "linearly stable minimum" in r.checks[0].certificate


def test_c6_depth3_general_straddling_bounds_are_not_certified():
    """Between the certified lower and upper bounds of S_min (here the C5 bracket, forced by
    replacing the cached bounds) the check says not certified, with the reason."""
    import dataclasses

    from dynsys_gd.claims._smin import _closed_form_lower, certified_smin_bounds

    net = _general((2, 2, 2, 2), 2)
    b = certified_smin_bounds(net)
    lam = min(np.linalg.eigvalsh(net.Sxx)) * (1 - 1e-9)  # below lambda_min(Sxx): still valid
    weak = dataclasses.replace(
        b,
        lower=_closed_form_lower(net, Fraction(lam)),
        lower_method="C5 lower bracket lambda_min(Sxx) N sigma_1^(2-2/N)",
    )
    net._cache["claims:smin_bounds"] = weak
    (c,) = check_c6(net, 1.01 * dg.critical_lr(net)).checks
    assert c.status is Status.NOT_CERTIFIED
    assert "bracket" in c.certificate and "cannot decide" in c.certificate


def test_old_c4_statement_is_refuted():
    """'Every non-zero eigenvalue of H is proper on M' is false for a matrix network: along
    W1 = diag(t, 1), W2 = W* diag(1/t, 1) two non-zero eigenvalues stay in (0, 3] (certified)."""
    verdict, text = old_c4_counterexample((10, 100, 1000))
    assert verdict is True
    assert "two non-zero eigenvalues of H stay in (0, 3]" in text


def test_collector_maps_verdicts_and_errors():
    col = _Collector()
    col.run("a", "m", lambda: (True, "ok"))
    col.run("b", "m", lambda: (Status.NOT_CERTIFIED, "the bound is too weak"))
    col.run("c", "m", lambda: (False, "a counterexample"))

    def boom() -> tuple[bool, str]:
        raise RuntimeError("bug")

    col.run("d", "m", boom)
    st = [c.status for c in col.checks]
    assert st == [Status.PASSED, Status.NOT_CERTIFIED, Status.FAILED, Status.FAILED]
    assert "RuntimeError: bug" in col.checks[3].certificate


def test_claim_verdicts_and_report_text():
    ok = Check("a", Status.PASSED, "exact rational", "c")
    nc = Check("b", Status.NOT_CERTIFIED, "certified ball arithmetic", "the bound is too weak")
    bad = Check("c", Status.FAILED, "Monte Carlo", "a counterexample")
    r1 = ClaimResult("C1", "t", "s1", (ok, ok))
    r2 = ClaimResult("C2", "t", "s2", (ok, nc))
    r3 = ClaimResult("C3", "t", "s3", (ok, bad, nc))
    assert (r1.status, r2.status, r3.status) == (Status.PASSED, Status.NOT_CERTIFIED, Status.FAILED)
    assert r2.verdict == "not certified (1 passed, 1 not certified)"
    rep = ClaimsReport((r1, r2), quick=True, seconds=1.0)
    assert rep.passed  # not certified does not fail a run
    text = rep.summary()
    assert "C2 not certified: b. the bound is too weak" in text
    assert (
        "| C2 | s2 | not certified (1 passed, 1 not certified) | exact rational, certified ball arithmetic |"
        in text
    )
    assert not ClaimsReport((r1, r3), quick=True, seconds=1.0).passed


def test_prove_exits_non_zero_only_on_failed(monkeypatch, capsys):
    from dynsys_gd.claims import registry
    from dynsys_gd.cli import main

    spec = registry.CLAIMS["C2"]

    def fake(status: Status):
        def check(*, quick: bool = False) -> ClaimResult:
            c = Check("x", status, "exact rational", "because of a stated reason")
            return ClaimResult("C2", spec.title, spec.statement, (c,))

        return registry.ClaimSpec(spec.claim, spec.title, spec.statement, check)

    monkeypatch.setitem(registry.CLAIMS, "C2", fake(Status.NOT_CERTIFIED))
    assert main(["prove", "--claims", "C2"]) == 0
    assert "C2 not certified: x. because of a stated reason" in capsys.readouterr().out
    monkeypatch.setitem(registry.CLAIMS, "C2", fake(Status.FAILED))
    assert main(["prove", "--claims", "C2"]) == 1
    assert "C2 FAILED: x. because of a stated reason" in capsys.readouterr().out


def test_c9_at_the_threshold_is_not_certified():
    """At eta = eta* = 1 the flattest minima of the three losses have a DG eigenvalue exactly −1:
    linearisation decides nothing, so the curve checks are not certified (not failed)."""
    from fractions import Fraction

    from dynsys_gd.claims import check_c9

    r = check_c9(Fraction(1), quick=True)
    curve = [c for c in r.checks if "curve of minima" in c.name]
    assert len(curve) == 3
    assert all(c.status is Status.NOT_CERTIFIED for c in curve)
    assert all("cannot decide" in c.certificate for c in curve)
    assert not r.failed
