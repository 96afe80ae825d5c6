r"""Figures of continuation in the step size: branches with stability and bifurcations, and
stacked attractor fractions (docs/math/continuation.md)."""

from __future__ import annotations

from typing import cast

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..analysis.attractors import AttractorFractions
from ..analysis.continuation import ContinuationResult
from ..errors import InvalidParameterError
from .style import COLORS, new_figure, styled

__all__ = ["plot_attractor_fractions", "plot_continuation"]

_MARK = {"flip": "o", "fold": "s", "neimark-sacker": "D"}


@styled
def plot_continuation(
    result: ContinuationResult,
    *,
    ax: Axes | None = None,
    coordinate: int = 0,
    title: str | None = None,
) -> Figure:
    """Coordinate ``coordinate`` of each branch (every point of each orbit) against the
    parameter: stable solid, unstable dashed; bifurcations marked by kind."""
    if not isinstance(result, ContinuationResult):
        raise InvalidParameterError(
            f"result must be a ContinuationResult; got {type(result).__name__}"
        )
    fig, ax = new_figure() if ax is None else (cast(Figure, ax.get_figure(root=True)), ax)
    colors = [COLORS["primary"], COLORS["secondary"], COLORS["tertiary"], COLORS["muted"]]
    for i, br in enumerate(result.branches):
        if not br.points:
            continue
        c = colors[i % len(colors)]
        ps, st = br.params, br.stable
        ys = br.states[:, coordinate]
        for style, mask in (("-", st), ("--", ~st)):
            y = np.where(mask, ys, np.nan)
            ax.plot(
                ps, y, style, color=c, lw=1.2, label=f"period {br.period}" if style == "-" else None
            )
    for b in result.bifurcations:
        ax.plot(b.param, b.x[coordinate], _MARK.get(b.kind, "x"), color=COLORS["critical"], ms=5)
    ax.set_xlabel("parameter (step size)")
    ax.set_ylabel(f"state coordinate {coordinate}")
    ax.set_title(title or "continuation (solid stable, dashed unstable; o flip, s fold)")
    ax.legend(fontsize="small")
    return fig


@styled
def plot_attractor_fractions(
    result: AttractorFractions, *, ax: Axes | None = None, title: str | None = None
) -> Figure:
    """Stacked basin fractions of the attractors against the step size."""
    if not isinstance(result, AttractorFractions):
        raise InvalidParameterError(
            f"result must be an AttractorFractions; got {type(result).__name__}"
        )
    fig, ax = new_figure() if ax is None else (cast(Figure, ax.get_figure(root=True)), ax)
    fr = result.fractions.T
    ax.stackplot(result.lrs, fr, labels=result.labels, alpha=0.85)
    ax.set_xlabel("step size")
    ax.set_ylabel("fraction of initialisations")
    ax.set_ylim(0, 1)
    ax.set_title(title or "attractor fractions")
    ax.legend(fontsize="small", loc="upper left")
    return fig
