r"""The limit-kind lines of the stability report (private): what the converged Monte-Carlo runs
reached (:func:`~dynsys_gd.numeric.landscape.limits.label_limits`) and, when they contradict a
null-set prediction, what attracted them (docs/math/limits.md).

The Monte-Carlo estimate does not keep its limits, so the runs are replayed: the engine is
deterministic in the initialisations, which are drawn from the same streams
(:func:`~dynsys_gd.analysis.convergence.sample_block`), so the replayed runs are the estimate's
runs.  This is done only when the estimate has converged runs and the model is a loss model or
the step size is above :math:`\eta^*`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..numeric.landscape.limits import LimitKind, LimitLabels, label_limits


def replay_limits(
    model: Any, lr: float, n_samples: int, seed: int, kwargs: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """Final iterates and the converged mask of the estimate's runs."""
    from ..numeric.engine.run import run_gd
    from ..numeric.kernels import numeric_model
    from .convergence import SAMPLING_BLOCK, sample_block

    P = int(numeric_model(model).n_params)
    init = kwargs.get("init", "uniform")
    scale = float(kwargs.get("init_scale", 2.0))
    n_blocks = -(-n_samples // SAMPLING_BLOCK)
    theta0 = np.concatenate(
        [
            sample_block(
                init, scale, seed, b, min(SAMPLING_BLOCK, n_samples - b * SAMPLING_BLOCK), P
            )
            for b in range(n_blocks)
        ]
    )
    rb = run_gd(model, theta0, lr, config=kwargs.get("config"))
    return np.asarray(rb.theta), np.asarray(rb.has_limit, dtype=bool)


def limit_labels(
    model: Any,
    lr: float,
    conv: Any,
    seed: int,
    kwargs: dict[str, Any],
    critical_points: Any = None,
) -> LimitLabels | None:
    """Labels of the converged runs of ``conv`` (None when none converged)."""
    if conv is None or int(conv.counts.get("converged", 0)) == 0:
        return None
    X, mask = replay_limits(model, lr, int(conv.n_samples), seed, kwargs)
    return label_limits(model, X, mask, critical_points=critical_points)


def contradiction_line(labels: LimitLabels | None, n_samples: int) -> str:
    """One line when runs converged although the prediction says a Lebesgue-null set."""
    if labels is None or not labels.kinds:
        return ""
    k = len(labels.kinds)
    sets = [s for s in labels.sets if s.kind is not LimitKind.GLOBAL_MINIMUM] or list(labels.sets)
    what = "; ".join(s.describe() for s in sets)
    return (
        f"the Monte Carlo contradicts the null-set prediction: {k} of {n_samples} runs "
        f"converged ({labels.counts_text()}); what attracted them: {what}"
    )
