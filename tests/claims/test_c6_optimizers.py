"""C6 for the optimiser maps (claims/c6_optimizers.py): each registry entry's threshold is the
optimiser's own, the certified reduction to GD agrees with an independent float64 look at the
optimiser's state Jacobian at the flattest minimum, and the determinant check fails on a wrong
formula.  (The whole battery runs in tests/test_proofs.py through proofs/c6_*.py --quick.)"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.claims.c6_main_theorem import instability_check, stable_minimum_check
from dynsys_gd.claims.c6_optimizers import (
    OPTIMIZER_CASES,
    OptimizerCase,
    _power,
    det_check,
    effective_network,
)
from dynsys_gd.claims.report import Status
from dynsys_gd.numeric.kernels import numeric_model
from dynsys_gd.numeric.orbits.optimizer_map import bound_optimizer

NET = dg.LinearNetwork.scalar(3, 2.0)
S_MIN = 3 * 2 ** (4 / 3)  # AM-GM: N |y|^(2 - 2/N)
IDS = [c.key for c in OPTIMIZER_CASES]


def test_one_entry_per_optimiser() -> None:
    assert IDS == ["heavy-ball", "nesterov", "layerwise-gd", "adam-frozen"]


@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=IDS)
def test_threshold_is_the_optimisers_own(case: OptimizerCase) -> None:
    assert float(case.a_star) == pytest.approx(case.make().threshold(), rel=1e-15)
    if case.q is None:  # Q = I: eta* = a*/S_min in closed form
        got = dg.critical_lr(NET, optimizer=case.make())
        assert got == pytest.approx(float(case.a_star) / S_MIN, rel=1e-12)


def _largest_non_neutral(case: OptimizerCase, lr: float) -> float:
    """The largest modulus of the optimiser's state-Jacobian eigenvalues at the flattest
    minimum of mu_max(QH), leaving out the multipliers 1 tangent to M (float64)."""
    opt = bound_optimizer(NET, case.make())
    phi = dg.flattest_minimum(effective_network(case, NET)).point
    q = np.ones(3) if case.q is None else np.array([float(x) for x in case.q])
    theta = np.sqrt(q) * phi  # theta = Q^(1/2) phi
    m = numeric_model(NET)
    state = opt.fixed_state(theta[None])
    y = opt.gradient_point(state)
    J = opt.state_jacobian(m.hessian(y), state, lr, m.gradient(y))[0]
    z = np.linalg.eigvals(J)
    return float(np.max(np.abs(z[np.abs(z - 1.0) > 1e-8])))


@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=IDS)
def test_reduction_agrees_with_the_state_jacobian(case: OptimizerCase) -> None:
    eta = dg.critical_lr(NET, optimizer=case.make())
    assert _largest_non_neutral(case, 0.98 * eta) < 1.0 - 1e-6
    assert _largest_non_neutral(case, 1.02 * eta) > 1.0 + 1e-6
    eff = effective_network(case, NET)
    for factor, check in ((1.02, instability_check), (0.98, stable_minimum_check)):
        ok, text = check(eff, 2 * Fraction(factor * eta) / case.a_star)
        assert ok is True, text


def test_the_determinant_check_can_fail() -> None:
    hb = OPTIMIZER_CASES[0]
    assert det_check(hb)[0] is True
    wrong = dataclasses.replace(hb, expected_det=_power("beta1"), formula="beta1^P")
    ok, text = det_check(wrong)
    assert ok is False and "is not beta1^P" in text


def test_a_threshold_other_than_the_optimisers_fails_the_certified_checks() -> None:
    from dynsys_gd.claims.c6_optimizers import _case_checks
    from dynsys_gd.claims.report import _Collector

    bad = dataclasses.replace(OPTIMIZER_CASES[0], a_star=Fraction(4))  # heavy ball is 3
    col = _Collector()
    gd = SimpleNamespace(
        instability_check=instability_check,
        stable_minimum_check=stable_minimum_check,
        transition_check=lambda *a: (True, "skipped"),
    )
    _case_checks(col, bad, 10, 0, gd)
    status = {c.name.split(": ")[-1]: c.status for c in col.checks}
    assert status["every minimum unstable"] is Status.FAILED
    assert status["a linearly stable minimum exists"] is Status.FAILED
