r"""A simple cost model of GD jobs, for the warning before a job that will take minutes.

.. math::
    \text{seconds} \approx \frac{\text{runs} \times \text{steps} \times P \times c}
                                {\text{throughput}}

with ``steps`` the step budget of a run (``EngineConfig.max_steps``; runs that converge early
cost less, runs extended near :math:`\eta^*` more), :math:`P` the number of parameters and
:math:`c` the data points of a model that has them (an MLP evaluates its network on every
point at every step; 1 otherwise).  The throughputs are rough figures of the engine on one core
of a small machine (calibrated on a 60-parameter scalar network and the default MLP of
``dynsys-gd nonlinear``); the estimate is only meant to tell seconds from minutes from hours, and
:func:`warn_if_long` says so in its message.
"""

from __future__ import annotations

from typing import Any

from ..runtime.progress import warn_long_job

__all__ = ["LINEAR_THROUGHPUT", "MLP_THROUGHPUT", "estimate_gd_seconds", "warn_if_long"]

#: parameter-steps per second of the engine on linear networks and sympy losses (rough)
LINEAR_THROUGHPUT = 3.0e6

#: parameter-data-point-steps per second on MLPs (rough)
MLP_THROUGHPUT = 1.0e8


def _size(model: Any) -> tuple[int, int, float]:
    """(parameters, data points per step, throughput) of a model."""
    from ..models.mlp import MLP
    from .kernels import numeric_model

    P = int(numeric_model(model).n_params)
    if isinstance(model, MLP):
        return P, int(model.X.shape[0]), MLP_THROUGHPUT
    return P, 1, LINEAR_THROUGHPUT


def estimate_gd_seconds(model: Any, n_runs: int, steps: int) -> float:
    r"""Rough duration of ``n_runs`` GD runs of at most ``steps`` steps on ``model`` (s)."""
    P, c, rate = _size(model)
    return float(n_runs) * float(steps) * P * c / rate


def warn_if_long(
    model: Any, n_runs: int, steps: int, what: str, *, threshold: float = 60.0, hint: str = ""
) -> float:
    """Estimate a GD job and warn (``LongJobWarning``) when it exceeds ``threshold`` seconds.

    Returns the estimate in seconds.
    """
    sec = estimate_gd_seconds(model, n_runs, steps)
    warn_long_job(
        sec,
        f"{what} ({n_runs} runs x up to {steps} steps)",
        threshold=threshold,
        hint=hint or "a rough estimate (runs x steps x parameters / throughput)",
        stacklevel=4,
    )
    return sec
