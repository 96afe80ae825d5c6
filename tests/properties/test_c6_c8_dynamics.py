"""Hypothesis tests of the dynamical claims C6 and C8 (docs/math/claims.md) on scalar linear networks."""

from __future__ import annotations

import numpy as np
from _budget import examples
from hypothesis import example, given, settings
from hypothesis import strategies as st

import dynsys_gd as dg
from dynsys_gd.numeric.engine import EngineConfig, run_gd
from dynsys_gd.numeric.engine.outcomes import Outcome

CONV = Outcome.CONVERGED.code


def _eta_star(depth: int, target: float) -> float:
    """C5: eta* = 2 / (N |y|^{2 - 2/N})."""
    return 2.0 / (depth * abs(target) ** (2.0 - 2.0 / depth))


@settings(max_examples=examples(12))
@given(
    depth=st.integers(2, 4),
    target=st.floats(0.5, 2.0),
    factor=st.floats(0.3, 1.5),
    seed=st.integers(0, 2**31),
)
@example(depth=3, target=2.0, factor=0.99, seed=0)
@example(depth=2, target=1.0, factor=0.999, seed=1)
def test_c8_converged_runs_end_at_fixed_points_with_sharpness_below_2_over_lr(
    depth: int, target: float, factor: float, seed: int
) -> None:
    """C8: every run that converges ends at a fixed point (gradient ~ 0) of a minimum with
    lambda_max(H) <= 2/eta (up to a tiny tolerance)."""
    net = dg.LinearNetwork.scalar(depth=depth, target=target)
    lr = factor * _eta_star(depth, target)
    th = np.random.default_rng(seed).uniform(-1.5, 1.5, (64, depth))
    r = run_gd(net, th, lr, config=EngineConfig(max_steps=2000))
    conv = r.outcome == CONV
    mins = conv & r.at_minimum
    assert np.all(r.sharpness[mins] <= 2.0 / lr * (1 + 1e-9) + 1e-12)
    if conv.any():
        g = np.linalg.norm(dg.numeric_model(net).gradient(r.theta[conv]), axis=1)
        assert np.all(g <= 1e-8)
        np.testing.assert_allclose(np.prod(r.theta[mins], axis=1), target, rtol=1e-8)


@settings(max_examples=examples(10))
@given(
    depth=st.integers(2, 4),
    target=st.floats(0.5, 2.0),
    factor=st.floats(1.03, 1.6),
    seed=st.integers(0, 2**31),
)
@example(depth=3, target=2.0, factor=1.03, seed=0)
def test_c6_no_convergence_to_minima_above_critical_lr(
    depth: int, target: float, factor: float, seed: int
) -> None:
    """C6: for eta > eta* = 2/S_min the convergent set has measure zero: no random
    initialisation converges to a minimum (the fraction is 0)."""
    net = dg.LinearNetwork.scalar(depth=depth, target=target)
    lr = factor * _eta_star(depth, target)
    th = np.random.default_rng(seed).uniform(-1.5, 1.5, (64, depth))
    r = run_gd(net, th, lr, config=EngineConfig(max_steps=1000))
    assert not np.any((r.outcome == CONV) & r.at_minimum)
    assert not np.any(r.outcome == CONV)
