r"""Figure of a sharpness trace: progressive sharpening and the edge of stability
(docs/math/edge-of-stability.md).

:func:`plot_sharpness_trace` draws, for a
:class:`~dynsys_gd.analysis.edge_of_stability.SharpnessTrace`, the loss (top) and the recorded
sharpness with the optimiser's threshold line :math:`a^*/\eta` (bottom), a small version of
Cohen et al. 2021, Figure 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..analysis.edge_of_stability import SharpnessTrace
from ..errors import InvalidParameterError
from .style import new_figure, styled

__all__ = ["plot_sharpness_trace"]


def _draw_sharpness(trace: SharpnessTrace, ax: Any, label: str | None = None) -> None:
    ok = np.isfinite(trace.sharpness)
    what = r"$\lambda_{\max}(QH)$" if trace.preconditioned else r"$\lambda_{\max}(H)$"
    ax.plot(trace.steps[ok], trace.sharpness[ok], color="C0", lw=1.3, label=label or what)
    a = f"{trace.threshold:.4g}"
    ax.axhline(
        trace.threshold_line, color="k", ls="--", lw=1.1, label=rf"${a}/\eta$ = {trace.threshold_line:.4g}"
    )
    ax.set_xlabel("step")
    ax.set_ylabel("sharpness")
    ax.legend(loc="lower right", fontsize=8)


@styled
def plot_sharpness_trace(
    trace: SharpnessTrace, *, ax: Any = None, title: str | None = None
) -> Any:
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
