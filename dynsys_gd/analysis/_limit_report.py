r"""The limit-kind lines of the stability report (private): what the converged Monte-Carlo runs
reached (:func:`~dynsys_gd.numeric.landscape.limits.label_limits`) and, when they contradict a
null-set prediction, what attracted them (docs/math/limits.md).

Below :math:`\eta^*` the lines read the estimate's own counts of limit kinds
(:func:`labels_from_counts`).  Above it the contradiction line names a point on each set, and
the Monte-Carlo estimate does not keep its limits, so the runs are replayed: the engine is
deterministic in the initialisations, which are drawn from the same streams
(:func:`~dynsys_gd.analysis.convergence.sample_block`), so the replayed runs are the estimate's
runs.  This is done only when the estimate has converged runs and the model is a loss model or
the step size is above :math:`\eta^*`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..numeric.landscape.limits import LIMIT_RTOL, LimitKind, LimitLabels, label_limits


def min_loss_kwargs(cps: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The estimate's keyword arguments with ``min_loss``, the lowest loss of the minima of a
    loss model's critical-point list (what :func:`label_limits` compares with), unless given."""
    if cps is None or not len(cps.minima) or "min_loss" in kwargs:
        return kwargs
    return {"min_loss": min(float(p.loss) for p in cps.minima), **kwargs}


def labels_from_counts(conv: Any) -> LimitLabels | None:
    """The estimate's limit-kind counts as :class:`LimitLabels` (kinds grouped by kind, not in
    run order; no sets: the estimate keeps no limits); None when the estimate has no counts or
    labelled only a sample of its converged runs."""
    g = getattr(conv, "n_limit_global", None)
    if conv is None or g is None or conv.n_annotated != conv.n_converged:
        return None
    if conv.n_converged == 0:
        return None
    kinds = (
        (LimitKind.GLOBAL_MINIMUM,) * g
        + (LimitKind.LOCAL_MINIMUM,) * int(conv.n_limit_local)
        + (LimitKind.SADDLE,) * int(conv.n_limit_saddle)
    )
    ref = float(conv.limit_min_loss)
    return LimitLabels(kinds, (), ref, conv.limit_min_loss_source, LIMIT_RTOL * max(1.0, abs(ref)))


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
