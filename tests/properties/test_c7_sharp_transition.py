r"""Hypothesis test of C7 (docs/math/claims.md#c7): the asymptotic gradient norm g∞(η) is 0 below η* and
positive above it.

g∞ is the median over non-divergent runs of the mean ‖∇L‖ over the last steps, with 0 for a run
the engine classifies as converged (its limit is a critical point).  Scalar networks, depth 2–4,
random target, initialisations near the flattest minimum (a small Gaussian perturbation), at
0.9 η* and 1.1 η* with η* = 2/(N|y|^{2−2/N}) from the closed form.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import dynsys_gd as dg
from dynsys_gd.numeric.engine import EngineConfig, run_gd
from dynsys_gd.numeric.engine.outcomes import Outcome
from dynsys_gd.numeric.landscape.fixed_points import balanced_minimum


def _g_inf(net: dg.LinearNetwork, lr: float, theta0: np.ndarray) -> tuple[float, int]:
    rb = run_gd(net, theta0, lr, config=EngineConfig(max_steps=3000))
    keep = rb.outcome != Outcome.DIVERGED.code
    conv = rb.outcome == Outcome.CONVERGED.code
    g = np.where(conv, 0.0, rb.g_tail)
    return (float(np.median(g[keep])) if keep.any() else float("nan")), int(keep.sum())


@given(
    depth=st.integers(2, 4),
    y=st.floats(0.5, 2.0),
    sign=st.sampled_from([1.0, -1.0]),
    seed=st.integers(0, 2**16),
)
def test_c7_gradient_norm_jumps_at_eta_star(depth, y, sign, seed):
    """C7: g∞(0.9 η*) = 0 and g∞(1.1 η*) > 1e-3 (runs started within 0.05 of a flattest
    minimum; at 1.1 η* they leave it, since every minimum is unstable, and stay bounded)."""
    net = dg.LinearNetwork.scalar(depth, sign * y)
    eta_star = 2.0 / (depth * y ** (2 - 2 / depth))
    rng = np.random.default_rng(seed)
    theta0 = balanced_minimum(net)[None] + 0.05 * rng.normal(size=(8, depth))
    below, n_below = _g_inf(net, 0.9 * eta_star, theta0)
    above, n_above = _g_inf(net, 1.1 * eta_star, theta0)
    assert n_below > 0 and below == 0.0
    assert n_above > 0 and above > 1e-3
