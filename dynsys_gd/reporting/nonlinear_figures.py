r"""Figure of the non-linear learning-rate sweep (docs/math/nonlinear.md, docs/math/claims.md#c7,
docs/math/claims.md#c8).

:func:`plot_nonlinear_sweep` draws :math:`g_\infty(\eta)` and the final sharpness against
:math:`2/\eta` for a :class:`~dynsys_gd.analysis.nonlinear.NonlinearSweepResult`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..analysis.nonlinear import NonlinearSweepResult
from ..errors import InvalidParameterError
from ..numeric.engine.outcomes import Outcome
from .style import styled

__all__ = ["plot_nonlinear_sweep"]


def _plot_g_inf(res: NonlinearSweepResult, ax: Any) -> None:
    lrs = res.lrs
    for i, lr in enumerate(lrs):
        g = res.g_runs[i]
        g = g[np.isfinite(g) & (g > 0)]
        ax.scatter(
            np.full(g.size, lr),
            g,
            s=6,
            color="0.6",
            alpha=0.5,
            zorder=1,
            label="single runs" if i == 0 else None,
        )
    m = np.isfinite(res.g_inf) & (res.g_inf > 0)
    yerr = np.vstack([res.g_inf[m] - res.g_inf_low[m], res.g_inf_high[m] - res.g_inf[m]])
    ax.errorbar(
        lrs[m],
        res.g_inf[m],
        yerr=np.clip(yerr, 0, None),
        fmt="o-",
        color="C0",
        capsize=2,
        zorder=3,
        label=r"$g_\infty$ (median, 95% CI)",
    )
    div = np.array([c["diverged"] == res.n_init for c in res.counts])
    if np.any(div):
        ax.scatter(
            lrs[div],
            np.full(div.sum(), np.nanmax(res.g_runs) if m.any() else 1.0),
            marker="x",
            color="C3",
            zorder=3,
            label="all runs diverged",
        )
    if res.transition is not None and res.transition_low is not None:
        ax.axvspan(
            res.transition_low,
            res.transition,
            color="C1",
            alpha=0.2,
            zorder=0,
            label=f"transition ({res.transition_low:.3g}, {res.transition:.3g}]",
        )
    if res.predicted_lr is not None:
        ax.axvline(
            res.predicted_lr,
            color="k",
            ls="--",
            lw=1.3,
            zorder=2,
            label=rf"prediction $2/S_{{\mathrm{{flat}}}} = {res.predicted_lr:.3g}$",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"learning rate $\eta$")
    ax.set_ylabel(r"asymptotic gradient norm $g_\infty$")
    ax.legend(loc="upper left", fontsize=8)


@styled
def plot_nonlinear_sweep(result: NonlinearSweepResult, *, title: str | None = None) -> Any:
    r"""Two-panel figure: :math:`g_\infty` vs η (C7) and final sharpness vs η with :math:`2/\eta`
    (C8), the transition interval shaded and the prediction :math:`2/S_{\mathrm{flat}}` marked.

    Returns a :class:`matplotlib.figure.Figure` (created without pyplot).
    """
    if not isinstance(result, NonlinearSweepResult):
        raise InvalidParameterError(
            f"result must be a NonlinearSweepResult; got {type(result).__name__}"
        )
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11.0, 4.3), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    _plot_g_inf(result, ax1)
    lrs = result.lrs
    conv = result.outcome_codes == Outcome.CONVERGED.code
    other = ~conv & np.isfinite(result.sharpness_runs)
    for mask, col, lab in (
        (conv, "C2", "final sharpness, converged runs"),
        (other, "C4", "final sharpness, other non-diverged runs"),
    ):
        ii, jj = np.nonzero(mask)
        if ii.size:
            ax2.scatter(
                lrs[ii],
                result.sharpness_runs[ii, jj],
                s=9,
                color=col,
                alpha=0.6,
                label=lab,
                zorder=2,
            )
    grid = np.geomspace(lrs[0], lrs[-1], 200)
    ax2.plot(grid, 2 / grid, color="k", lw=1.2, label=r"$2/\eta$ (stability limit)")
    if result.transition is not None and result.transition_low is not None:
        ax2.axvspan(
            result.transition_low,
            result.transition,
            color="C1",
            alpha=0.2,
            zorder=0,
            label="transition interval",
        )
    if result.predicted_lr is not None:
        ax2.axvline(
            result.predicted_lr,
            color="k",
            ls="--",
            lw=1.3,
            label=r"prediction $2/S_{\mathrm{flat}}$",
        )
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel(r"learning rate $\eta$")
    ax2.set_ylabel(r"$\lambda_{\max}(H)$ at the final point")
    ax2.legend(loc="lower left", fontsize=8)
    fig.suptitle(title or "Sharp transition of GD on a non-linear network (C7, C8)", fontsize=11)
    return fig
