r"""A simple cost model of GD jobs, for the warning before a job that will take minutes.

.. math::
    \text{seconds} \lesssim \frac{\text{runs} \times \text{steps} \times P \times c}
                                 {\text{throughput}}

``steps`` is the hard step cap of a run on the engine path that will run the model
(:meth:`~dynsys_gd.numeric.engine.EngineConfig.budgets`: the budget times the adaptive
extension; runs that converge or diverge early cost far less), :math:`P` the number of
parameters and :math:`c` the data points of a model that has them (an MLP evaluates its network
on every point at every step; 1 otherwise).  The throughputs are rough figures measured on a
2-core machine (CPU time; the compiled lane kernels on scalar networks of depth 3 and 60, the
numpy path, and the compiled MLP kernel on small and larger MLPs).  So the estimate is an
*upper* bound up to the throughput's uncertainty, meant to tell seconds from minutes from hours:
the warning says "may take up to about".
"""

from __future__ import annotations

from typing import Any

from ...runtime.progress import warn_long_job

__all__ = [
    "COMPILED_THROUGHPUT",
    "MLP_THROUGHPUT",
    "NUMPY_THROUGHPUT",
    "estimate_gd_seconds",
    "warn_if_long",
]

#: parameter-steps per second of the compiled lane kernels (measured 3.6e8 to 7e8)
COMPILED_THROUGHPUT = 5.0e8

#: parameter-steps per second of the numpy path on sympy losses and other models
NUMPY_THROUGHPUT = 3.0e6

#: parameter-data-point-steps per second of the compiled MLP kernel (measured 7.4e8 for one run
#: of the (8, 16, 1) tanh MLP on the 64 digits points, up to 2.4e9 for 32 runs of (8, 64, 64, 1))
MLP_THROUGHPUT = 7.0e8


def estimate_gd_seconds(
    model: Any, n_runs: int, config: Any = None, steps: int | None = None
) -> float:
    r"""Rough upper bound of the duration of ``n_runs`` GD runs on ``model`` (seconds).

    ``steps`` overrides the hard step cap of ``config`` (an
    :class:`~dynsys_gd.numeric.engine.EngineConfig`, default settings when None).
    """
    from ...models.mlp import MLP
    from ..kernels import numeric_model
    from .lanes import lane_model
    from .run import EngineConfig

    P = int(numeric_model(model).n_params)
    kernel = lane_model(model)
    compiled = kernel is not None
    if steps is None:
        cfg = EngineConfig() if config is None else config
        steps = cfg.budgets(kernel is not None and kernel.long_budget)[1]
    if isinstance(model, MLP):
        c, rate = int(model.X.shape[0]), MLP_THROUGHPUT
    else:
        c, rate = 1, (COMPILED_THROUGHPUT if compiled else NUMPY_THROUGHPUT)
    return float(n_runs) * float(steps) * P * c / rate


def warn_if_long(
    model: Any,
    n_runs: int,
    what: str,
    *,
    config: Any = None,
    steps: int | None = None,
    threshold: float = 60.0,
) -> float:
    """Estimate a GD job and warn (``LongJobWarning``) when it may exceed ``threshold`` seconds.

    Returns the estimate in seconds.
    """
    sec = estimate_gd_seconds(model, n_runs, config, steps)
    warn_long_job(
        sec,
        f"{what} ({n_runs} runs)",
        threshold=threshold,
        hint="a rough upper bound (runs x step cap x parameters / throughput)",
        stacklevel=4,
    )
    return sec
