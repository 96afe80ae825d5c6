"""Input checks shared by the figure functions: 1-D arrays, the target axes, outcome counts per
learning rate (every bad input is an :class:`~dynsys_gd.errors.InvalidParameterError`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

from ..errors import InvalidParameterError
from ..numeric.engine.outcomes import OUTCOME_NAMES, Outcome
from .style import new_figure

__all__: list[str] = []


def _vector(name: str, value: ArrayLike, n: int | None = None) -> NDArray[np.float64]:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"{name} must be a 1-D array of real numbers; got {type(value).__name__}"
        ) from exc
    if arr.ndim != 1:
        raise InvalidParameterError(f"{name} must be a 1-D array; got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise InvalidParameterError(
            f"{name} must have length {n} (one value per learning rate); got length {arr.shape[0]}"
        )
    return arr


def _target(ax: Axes | None, **fig_kw: Any) -> tuple[Figure, Axes]:
    if ax is None:
        new_fig, ax_new = new_figure(**fig_kw)
        return new_fig, ax_new
    root: Any = ax.get_figure(root=True)
    if not isinstance(root, Figure):
        raise InvalidParameterError("ax must belong to a matplotlib Figure")
    return root, ax


def _as_counts_matrix(counts: Any, n: int) -> dict[str, NDArray[np.float64]]:
    """Outcome counts per learning rate as ``{key: array(n)}`` from a mapping of arrays or a
    sequence of per-lr dicts."""
    out: dict[str, NDArray[np.float64]] = {}
    if isinstance(counts, Mapping):
        for k, v in counts.items():
            key = k.key if isinstance(k, Outcome) else str(k)
            out[key] = _vector(f"counts[{key!r}]", v, n)
        return out
    seq = list(counts)
    if len(seq) != n:
        raise InvalidParameterError(
            f"counts must have one entry per learning rate ({n}); got {len(seq)}"
        )
    keys = [k for k in OUTCOME_NAMES if any(k in dict(c) for c in seq)]
    for k in keys:
        out[k] = np.array([float(dict(c).get(k, 0)) for c in seq])
    return out
