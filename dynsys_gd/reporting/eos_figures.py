r"""Figure of a sharpness trace: progressive sharpening and the edge of stability
(docs/math/edge-of-stability.md).

:func:`plot_sharpness_trace` draws, for a
:class:`~dynsys_gd.analysis.edge_of_stability.SharpnessTrace`, the loss (top) and the recorded
sharpness with the optimiser's threshold line :math:`a^*/\eta` (bottom), a small version of
Cohen et al. 2021, Figure 1; :func:`plot_catapult_phase_diagram` the phases of a
:class:`~dynsys_gd.analysis.catapult.CatapultPhaseDiagram`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..analysis.catapult import CATAPULT_OUTCOMES, CatapultPhaseDiagram
from ..analysis.edge_of_stability import SharpnessTrace
from ..errors import InvalidParameterError
from .style import new_figure, styled

__all__ = ["plot_catapult_phase_diagram", "plot_sharpness_trace"]


def _draw_sharpness(trace: SharpnessTrace, ax: Any, label: str | None = None) -> None:
    ok = np.isfinite(trace.sharpness)
    what = r"$\lambda_{\max}(QH)$" if trace.preconditioned else r"$\lambda_{\max}(H)$"
    ax.plot(trace.steps[ok], trace.sharpness[ok], color="C0", lw=1.3, label=label or what)
    a = f"{trace.threshold:.4g}"
    ax.axhline(
        trace.threshold_line,
        color="k",
        ls="--",
        lw=1.1,
        label=rf"${a}/\eta$ = {trace.threshold_line:.4g}",
    )
    ax.set_xlabel("step")
    ax.set_ylabel("sharpness")
    ax.legend(loc="lower right", fontsize=8)


@styled
def plot_sharpness_trace(trace: SharpnessTrace, *, ax: Any = None, title: str | None = None) -> Any:
    r"""Loss (log scale, top) and sharpness with the threshold line :math:`a^*/\eta` (bottom)
    against the step; with ``ax`` only the sharpness panel is drawn into it.

    Returns a :class:`matplotlib.figure.Figure`.
    """
    if not isinstance(trace, SharpnessTrace):
        raise InvalidParameterError(f"trace must be a SharpnessTrace; got {type(trace).__name__}")
    if ax is not None:
        _draw_sharpness(trace, ax)
        return ax.figure
    fig, (ax1, ax2) = new_figure(2, 1, sharex=True, height_ratios=(1.0, 1.3), height=5.0)
    pos = trace.loss > 0
    ax1.plot(trace.steps[pos], trace.loss[pos], color="C1", lw=1.2)
    ax1.set_yscale("log")
    ax1.set_ylabel("train loss")
    _draw_sharpness(trace, ax2)
    ax1.set_title(title or f"{trace.optimizer}, $\\eta$ = {trace.lr:.4g}", fontsize=9)
    return fig


@styled
def plot_catapult_phase_diagram(
    diagram: CatapultPhaseDiagram, *, ax: Any = None, title: str | None = None
) -> Any:
    r"""Share of runs in each phase (lazy, catapult, divergent, ...) against
    :math:`\eta\lambda_0`, with the lines :math:`\eta\lambda_0 = 2` and :math:`4` (Lewkowycz et al.
    2020, uv model) marked.  Returns a :class:`matplotlib.figure.Figure`."""
    if not isinstance(diagram, CatapultPhaseDiagram):
        raise InvalidParameterError(
            f"diagram must be a CatapultPhaseDiagram; got {type(diagram).__name__}"
        )
    if ax is None:
        fig, ax = new_figure()
    else:
        fig = ax.figure
    colors = {
        "lazy": "#2a9d4b",
        "catapult": "#3b75c4",
        "divergent": "#d1362f",
        "spiked": "#9467bd",
        "undecided": "0.6",
    }
    fr = diagram.fractions
    bottom = np.zeros(len(diagram.c_values))
    width = np.min(np.diff(diagram.c_values)) if len(diagram.c_values) > 1 else 0.1
    for k in CATAPULT_OUTCOMES:
        if np.any(fr[k] > 0):
            ax.bar(diagram.c_values, fr[k], width=width, bottom=bottom, color=colors[k], label=k)
            bottom = bottom + fr[k]
    for x, lab in ((2.0, r"$\eta\lambda_0 = 2$"), (4.0, r"$\eta\lambda_0 = 4$")):
        ax.axvline(x, color="k", ls="--" if x == 2.0 else ":", lw=1.1, label=lab)
    ax.set_xlabel(r"$\eta\lambda_0$")
    ax.set_ylabel("share of runs")
    ax.set_ylim(0, 1.0)
    ax.legend(loc="center left", fontsize=8, bbox_to_anchor=(1.0, 0.5))
    if title:
        ax.set_title(title, fontsize=9)
    return fig
