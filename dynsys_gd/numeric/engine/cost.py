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

from collections.abc import Callable
from typing import Any

from ...runtime.progress import warn_long_job

__all__ = [
    "COMPILED_THROUGHPUT",
    "MLP_THROUGHPUT",
    "NUMPY_THROUGHPUT",
    "estimate_gd_seconds",
    "seconds_per_run_bound",
    "warn_if_long",
]

from .slices import AUTO_THREAD_RUNS
from .throughput import (
    COMPILED_THROUGHPUT,
    MLP_THROUGHPUT,
    NUMPY_THROUGHPUT,
    seconds_per_run_bound,
)


def _kernel_class(model: Any) -> tuple[bool, bool]:
    """(compiled, long budget) of ``model`` without building or loading a kernel: linear
    networks and polynomial or small sympy losses have compiled lane kernels with the long
    budget, MLPs the compiled MLP kernel with the short one, other models the numpy path."""
    from ...models import MLP, LinearNetwork, LossModel

    if isinstance(model, MLP):
        return True, False
    if isinstance(model, LinearNetwork):
        return True, True
    if isinstance(model, LossModel):
        cached = model._cache.get("lanes:model", False)
        if cached is not False:  # the kernel was already described: use what it says
            return cached is not None, cached is not None and cached.long_budget
        compiled = model.is_polynomial or model.n_params <= _STRAIGHT_PARAMS
        return compiled, compiled
    return False, False


#: non-polynomial sympy losses up to this many parameters get a compiled kernel
_STRAIGHT_PARAMS = 64


def estimate_gd_seconds(
    model: Any, n_runs: int, config: Any = None, steps: int | None = None
) -> float:
    r"""Rough upper bound of the duration of ``n_runs`` GD runs on ``model`` (seconds).

    ``steps`` overrides the hard step cap of ``config`` (an
    :class:`~dynsys_gd.numeric.engine.EngineConfig`, default settings when None).  Loads no
    kernel (the model's kernel class is read from its type).
    """
    from ...models.mlp import MLP
    from ..kernels import numeric_model
    from .run import EngineConfig

    P = int(numeric_model(model).n_params)
    compiled, long_budget = _kernel_class(model)
    if steps is None:
        cfg = EngineConfig() if config is None else config
        steps = cfg.budgets(long_budget)[1]
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
    pilot: Callable[[], tuple[int, float, float]] | None = None,
) -> float:
    """Estimate a GD job and warn (``LongJobWarning``) when it may exceed ``threshold`` seconds.

    The upper bound of :func:`estimate_gd_seconds` (the step cap) is far above the duration of
    most jobs, whose runs end long before the cap.  So when it exceeds ``threshold`` and a
    ``pilot`` is given, the pilot runs: ``pilot() -> (runs, parallel, serial)`` times a few of
    the job's own runs and extrapolates to CPU seconds of the whole job, split into the part
    spread over the cores (the runs) and the part that is not (the limit annotations); the
    warning (if any) gives ``parallel / cores + serial``.  The pilot's runs are a uniform
    sample of the job's, so this is an estimate, not a bound (a rare very slow run can be
    missed).  Without a pilot the warning gives the upper bound.

    Returns the estimate in seconds.
    """
    sec = estimate_gd_seconds(model, n_runs, config, steps)
    if not sec > threshold:
        return sec
    if pilot is None:
        warn_long_job(
            sec,
            f"{what} ({n_runs} runs)",
            threshold=threshold,
            hint="a rough upper bound (runs x step cap x parameters / throughput)",
            stacklevel=4,
        )
        return sec
    runs, parallel, serial = pilot()
    cores = _cores() if n_runs >= AUTO_THREAD_RUNS else 1
    est = parallel / cores + serial
    warn_long_job(
        est,
        f"{what} ({n_runs} runs)",
        threshold=threshold,
        hint=f"extrapolated from {runs} of its runs timed first (an estimate, typically within "
        "a factor of 3)",
        stacklevel=4,
        verb="should take about",
    )
    return est


def _cores() -> int:
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)
