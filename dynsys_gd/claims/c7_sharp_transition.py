"""Claim C7: sharp transition.

The asymptotic gradient norm g_inf(eta) is 0 below eta* and positive above.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._streams import generator
from ..models import LinearNetwork
from .report import (
    MONTE_CARLO,
    ClaimResult,
    ClaimStatement,
    _Collector,
)

SPEC = ClaimStatement(
    "C7",
    "Sharp transition",
    "the asymptotic gradient norm g_inf(eta) is 0 below eta* and positive above",
)


def _runs(net: LinearNetwork, lr: float, n: int, seed: int, steps: int) -> Any:
    from ..numeric.engine.run import EngineConfig, run_gd

    rng = generator(seed, "claim_runs")
    theta0 = rng.uniform(-2.0, 2.0, size=(n, net.n_params))
    return run_gd(net, theta0, lr, config=EngineConfig(max_steps=steps))


def check_c7(*, quick: bool = False, seed: int = 0) -> ClaimResult:
    r"""C7: :math:`g_\infty(\eta) = 0` below :math:`\eta^*` and :math:`> 0` above (scalar N = 3,
    y = 2, uniform [−2, 2]³ initialisations)."""
    from ..numeric.engine.outcomes import Outcome

    col = _Collector()
    n = 60 if quick else 300
    net = LinearNetwork.scalar(3, 2.0)
    eta_s = 2 / (3 * 2 ** (4 / 3))

    def body() -> tuple[bool, str]:
        vals: dict[float, float] = {}
        nconv: dict[float, int] = {}
        for f in (0.9, 1.1):
            rb = _runs(net, f * eta_s, n, seed, 4000)
            keep = rb.outcome != Outcome.DIVERGED.code
            # a run classified converged has a (certified) limit at a critical point, where the
            # gradient is 0: its asymptotic gradient norm is 0, whatever the tail mean was when
            # the run was stopped early; other runs contribute their tail mean.
            conv = rb.outcome == Outcome.CONVERGED.code
            g = np.where(conv, 0.0, rb.g_tail)
            vals[f] = float(np.median(g[keep])) if keep.any() else float("inf")
            nconv[f] = int(conv.sum())
        ok = vals[0.9] == 0.0 and vals[1.1] > 1e-3
        return ok, (
            f"n = {n} runs each (seed {seed}); g_inf = median over non-divergent runs "
            f"of the mean |grad L| over the last steps (0 for converged runs): "
            f"g_inf(0.9 eta*) = {vals[0.9]:.3g} ({nconv[0.9]} converged), "
            f"g_inf(1.1 eta*) = {vals[1.1]:.3g} ({nconv[1.1]} converged)"
        )

    col.run("scalar N = 3, y = 2: g_inf jumps from 0 to > 0 across eta*", MONTE_CARLO, body)

    def sweep() -> tuple[bool, str]:
        from ..analysis.sweep import lr_sweep

        factors = (0.9, 0.98, 1.02, 1.1)
        res = lr_sweep(net, [f * eta_s for f in factors], n_samples=n, seed=seed)
        below = [float(g) for g, f in zip(res.g_inf, factors, strict=True) if f < 1]
        above = [float(g) for g, f in zip(res.g_inf, factors, strict=True) if f > 1]
        ok = max(below) < 1e-6 and min(above) > 1e-3 and bool(res.critical_lr_in_transition)
        return ok, (
            "lr_sweep at (0.9, 0.98, 1.02, 1.1) eta*, n = "
            f"{n}: g_inf = "
            + ", ".join(f"{float(g):.3g}" for g in res.g_inf)
            + "; fractions = "
            + ", ".join(f"{float(v):.3f}" for v in res.fraction)
            + f"; transition {res.transition} contains eta* = {eta_s:.6f}: "
            f"{res.critical_lr_in_transition}"
        )

    col.run("lr_sweep: g_inf 0 below eta*, > 0 above, transition brackets eta*", MONTE_CARLO, sweep)
    return col.result(SPEC)
