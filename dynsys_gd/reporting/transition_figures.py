r"""Figures of the transition against the learning rate: the converged fraction (C6) and the
asymptotic gradient norm (C7).

=====================================  ===========================================================
function                               shows
=====================================  ===========================================================
:func:`plot_convergent_fraction`       converged fraction vs η with Clopper–Pearson bands, η*
                                       marked, optional outcome shares (C6)
:func:`plot_gradient_norm_transition`  asymptotic gradient norm g∞(η) on a log scale (C7); exact
                                       zeros drawn at a floor, with a note
:func:`plot_sweep`                     a ``SweepResult``: fraction and g∞ against η (C6, C7)
:func:`plot_outcomes`                  a ``ConvergenceEstimate``: one bar per outcome (C6)
=====================================  ===========================================================

Above :math:`\eta^* = 2/S_{\min}` the convergent set is null (C6) and the asymptotic gradient
norm jumps from 0 to a positive value (C7); see docs/math/index.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

from .._validation import check_positive_float
from ..analysis.convergence import ConvergenceEstimate
from ..analysis.sweep import SweepResult
from ..errors import InvalidParameterError
from ..numeric.engine.outcomes import OUTCOME_NAMES
from ._figure_inputs import _as_counts_matrix, _target, _vector
from .style import (
    COLORS,
    OUTCOME_COLORS,
    OUTCOME_LABELS,
    mark_critical_lr,
    new_figure,
    style_context,
    styled,
)

_ETA = r"learning rate $\eta$"

__all__ = [
    "plot_convergent_fraction",
    "plot_gradient_norm_transition",
    "plot_outcomes",
    "plot_sweep",
]


# ----------------------------------------------------------------------------------------------
# fraction of convergent initialisations vs learning rate (C6)
# ----------------------------------------------------------------------------------------------
#: outcomes that leave a run open (neither converged nor not): they widen the fraction
_OPEN = ("undecided", "frozen")


def _open_share(counts: Mapping[str, Any], n: int) -> NDArray[np.float64]:
    """Share of runs per learning rate whose outcome is open (undecided or frozen)."""
    tot = sum(np.asarray(counts[k], dtype=np.float64) for k in _OPEN if k in counts)
    return np.asarray(tot, dtype=np.float64) / n


def _sweep_arrays(sweep: SweepResult) -> dict[str, Any]:
    """Learning rates, fractions, intervals, counts, undecided shares and η* of a sweep."""
    return {
        "lrs": sweep.lrs,
        "fractions": sweep.fraction,
        "ci_low": sweep.ci_low,
        "ci_high": sweep.ci_high,
        "counts": sweep.counts,
        # open runs (undecided or frozen) make the fraction the range [fraction, fraction_high]
        "undecided": np.asarray(sweep.fraction_high - sweep.fraction, dtype=np.float64),
        "eta_star": sweep.critical_lr,
    }


@styled
def plot_convergent_fraction(
    lrs: Any,
    fractions: ArrayLike | None = None,
    ci_low: ArrayLike | None = None,
    ci_high: ArrayLike | None = None,
    *,
    eta_star: float | None = None,
    counts: Any = None,
    undecided: ArrayLike | None = None,
    relative: bool = False,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""Converged fraction of initialisations against the learning rate (docs/math/claims.md#c6).

    Below :math:`\eta^*` a positive fraction of initialisations converges; above it the
    convergent set has measure zero, so every Monte-Carlo estimate is 0 and only its
    Clopper–Pearson upper bound (about :math:`3/n` at 95 %) remains.

    Parameters
    ----------
    lrs
        Learning rates, or a :class:`~dynsys_gd.analysis.sweep.SweepResult` (its fields
        ``lrs``, ``fraction``, ``ci_low``, ``ci_high``, ``counts`` and ``critical_lr`` are
        used).
    fractions, ci_low, ci_high
        Converged fraction and its confidence interval per learning rate.
    eta_star
        Critical step size :math:`\eta^* = 2/S_{\min}` (C5), drawn as a dashed line.
    counts
        Optional outcome counts per learning rate (``{outcome: array}`` or a list of
        ``{outcome: int}``); adds a lower panel with the share of every outcome.
    undecided
        Share of open runs (undecided or frozen) per learning rate (default: from ``counts``).
        They are unknown, not failures: drawn as a hatched bar above the converged fraction
        (they could have converged), and a point where no run converged but some are open is
        drawn as "?" instead of a 0.
    relative
        Plot against :math:`\eta/\eta^*` (requires ``eta_star``).
    ax
        Draw the fraction into this axes (the outcome panel is then omitted).
    title
        Axes title.
    """
    if isinstance(lrs, SweepResult):
        d = _sweep_arrays(lrs)
        lrs, fractions = d["lrs"], d["fractions"]
        ci_low = d["ci_low"] if ci_low is None else ci_low
        ci_high = d["ci_high"] if ci_high is None else ci_high
        counts = d["counts"] if counts is None else counts
        undecided = d["undecided"] if undecided is None else undecided
        eta_star = d["eta_star"] if eta_star is None else eta_star
    elif fractions is None:
        raise InvalidParameterError(
            "fractions must be given with an array of learning rates (or pass a SweepResult); "
            f"got lrs of type {type(lrs).__name__} and no fractions"
        )
    x = _vector("lrs", lrs)
    n = x.shape[0]
    if n == 0:
        raise InvalidParameterError("lrs must contain at least one learning rate; got none")
    f = _vector("fractions", fractions, n)
    if eta_star is not None:
        eta_star = check_positive_float("eta_star", eta_star)
    if relative:
        if eta_star is None:
            raise InvalidParameterError("relative=True needs eta_star (a finite float > 0)")
        x = x / eta_star
    order = np.argsort(x)
    x, f = x[order], f[order]
    cmat = (
        None if counts is None else {k: v[order] for k, v in _as_counts_matrix(counts, n).items()}
    )
    if undecided is not None:
        und = _vector("undecided", undecided, n)[order]
    elif cmat and any(k in cmat for k in _OPEN):
        tot = np.sum(np.vstack(list(cmat.values())), axis=0)
        und = _open_share(cmat, 1) / np.where(tot > 0, tot, 1.0)
    else:
        und = np.zeros(n)
    with style_context():
        if ax is None and cmat:
            fig, axes = new_figure(
                2, 1, width=8.6, height=5.4, sharex=True, height_ratios=(2.2, 1.0)
            )
            ax_f, ax_c = axes[0], axes[1]
        else:
            fig, ax_f = _target(ax)
            ax_c = None
        if ci_low is not None and ci_high is not None:
            lo = _vector("ci_low", ci_low, n)[order]
            hi = _vector("ci_high", ci_high, n)[order]
            ax_f.fill_between(
                x,
                lo,
                hi,
                color=COLORS["band"],
                alpha=0.35,
                linewidth=0,
                label="95% Clopper–Pearson interval",
                step=None,
            )
        # no straight line through the jump: segments on either side of eta* only
        cut = None if eta_star is None else (1.0 if relative else eta_star)
        sides = [np.ones(n, bool)] if cut is None else [x < cut, x >= cut]
        for side in sides:
            if side.sum() > 1:
                ax_f.plot(
                    x[side], f[side], color=COLORS["primary"], linewidth=1.2, label="_nolegend_"
                )
        known = und == 0.0
        ax_f.plot(
            x, f, linestyle="none", marker="o", color=COLORS["primary"], label="converged fraction"
        )
        zero = (f == 0.0) & known
        if np.any(zero):
            ax_f.plot(
                x[zero],
                f[zero],
                linestyle="none",
                marker="o",
                markerfacecolor="white",
                color=COLORS["primary"],
                label="no run converged",
            )
        if np.any(~known):
            width = 0.8 * float(np.min(np.diff(x))) if n > 1 else 0.02 * abs(float(x[0]))
            ax_f.bar(
                x[~known],
                und[~known],
                bottom=f[~known],
                width=width,
                color=OUTCOME_COLORS["undecided"],
                alpha=0.6,
                edgecolor=COLORS["reference"],
                hatch="////",
                linewidth=0.6,
                label="undecided or frozen runs (unknown: could converge)",
                zorder=2,
            )
            open_ = (f == 0.0) & ~known
            if np.any(open_):
                ax_f.plot(
                    x[open_],
                    f[open_],
                    linestyle="none",
                    marker="$?$",
                    markersize=9,
                    zorder=5,
                    color=COLORS["reference"],
                    label="no run decided to converge",
                )
        if eta_star is not None:
            mark_critical_lr(
                ax_f,
                1.0 if relative else eta_star,
                label=(r"$\eta = \eta^*$" if relative else None),
            )
        ax_f.set_ylim(-0.03, 1.03)
        ax_f.set_ylabel("fraction of initialisations\nthat converge")
        if title:
            ax_f.set_title(title)
        if ax is None:
            ax_f.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
        else:
            ax_f.legend(loc="best")
        xlabel = r"$\eta / \eta^*$" if relative else _ETA
        if ax_c is not None and cmat:
            total = np.sum(np.vstack(list(cmat.values())), axis=0)
            total = np.where(total > 0, total, 1.0)
            bottom = np.zeros(n)
            keys = [k for k in OUTCOME_NAMES if k in cmat] + [
                k for k in cmat if k not in OUTCOME_NAMES
            ]
            keys = [k for k in keys if np.any(cmat[k] > 0)]  # outcomes that occurred
            for k in keys:
                share = cmat[k] / total
                ax_c.fill_between(
                    x,
                    bottom,
                    bottom + share,
                    step="mid",
                    linewidth=0,
                    color=OUTCOME_COLORS.get(k, COLORS["muted"]),
                    label=OUTCOME_LABELS.get(k, k),
                    alpha=0.9,
                )
                bottom = bottom + share
            if eta_star is not None:
                mark_critical_lr(
                    ax_c, 1.0 if relative else eta_star, annotate=False, label="_nolegend_"
                )
            ax_c.set_ylim(0, 1)
            ax_c.set_ylabel("share of runs")
            ax_c.set_xlabel(xlabel)
            ax_c.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
            ax_f.tick_params(labelbottom=False)
        else:
            ax_f.set_xlabel(xlabel)
    return fig


# ----------------------------------------------------------------------------------------------
# asymptotic gradient norm (C7)
# ----------------------------------------------------------------------------------------------
@styled
def plot_gradient_norm_transition(
    lrs: Any,
    g_inf: ArrayLike | None = None,
    *,
    eta_star: float | None = None,
    floor: float = 1e-16,
    q_low: ArrayLike | None = None,
    q_high: ArrayLike | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    label: str = r"$g_\infty(\eta)$ (median)",
    band_label: str | None = None,
    eta_star_label: str | None = None,
) -> Figure:
    r"""Asymptotic gradient norm :math:`g_\infty(\eta)` on a log scale (docs/math/claims.md#c7).

    :math:`g_\infty(\eta)` is 0 below :math:`\eta^*` and jumps to a positive value above it.
    Values :math:`\le` ``floor`` (exact zeros of converged runs) cannot be drawn on a log axis:
    they are drawn *at* the floor with open markers, and the legend says so.

    Parameters
    ----------
    lrs
        Learning rates, or a :class:`~dynsys_gd.analysis.sweep.SweepResult` (its ``g_inf``,
        ``g_inf_low``/``g_inf_high`` and ``critical_lr`` are used).
    g_inf
        Asymptotic gradient norm per learning rate (``inf`` where every run diverged, NaN where
        every non-diverged run is open: undecided or frozen).
    eta_star
        Critical step size, marked by a dashed line.
    floor
        Smallest value drawn; smaller values (and zeros) are drawn at the floor.
    q_low, q_high
        Optional band (e.g. quartiles over initialisations); taken from a sweep object they
        are the confidence interval of the median.
    eta_star_label
        Legend label of the η* line (default ``η* = 2/S_min = …``).
    band_label
        Legend label of the band (default "interquartile range", or "95% CI of the median"
        for a sweep object).
    """
    from_object = isinstance(lrs, SweepResult)
    if isinstance(lrs, SweepResult):
        sw = lrs
        lrs, g_inf = sw.lrs, sw.g_inf
        q_low = sw.g_inf_low if q_low is None else q_low
        q_high = sw.g_inf_high if q_high is None else q_high
        eta_star = sw.critical_lr if eta_star is None else eta_star
    elif g_inf is None:
        raise InvalidParameterError(
            "g_inf must be given with an array of learning rates (or pass a SweepResult); got "
            f"lrs of type {type(lrs).__name__} and no g_inf"
        )
    x = _vector("lrs", lrs)
    g = _vector("g_inf", g_inf, x.shape[0])
    floor = check_positive_float("floor", floor)
    if eta_star is not None:
        eta_star = check_positive_float("eta_star", eta_star)
    order = np.argsort(x)
    x, g = x[order], g[order]
    finite = np.isfinite(g)
    low = finite & (g <= floor)
    with style_context():
        fig, ax = _target(ax)
        if q_low is not None and q_high is not None:
            lo = np.maximum(_vector("q_low", q_low, x.shape[0])[order], floor)
            hi = np.maximum(_vector("q_high", q_high, x.shape[0])[order], floor)
            ok = np.isfinite(lo) & np.isfinite(hi)
            ax.fill_between(
                x[ok],
                lo[ok],
                hi[ok],
                color=COLORS["band"],
                alpha=0.35,
                linewidth=0,
                label=band_label
                or ("95% CI of the median" if from_object else "interquartile range"),
            )
        drawn = np.where(finite, np.maximum(g, floor), np.nan)
        # no straight line through the jump at eta*: a segment on either side
        sides = [np.ones(x.shape[0], bool)] if eta_star is None else [x < eta_star, x >= eta_star]
        for side in sides:
            if side.sum() > 1:
                ax.plot(x[side], drawn[side], color=COLORS["primary"], label="_nolegend_")
        ax.plot(x, drawn, color=COLORS["primary"], marker="o", linestyle="none", label=label)
        if np.any(low):
            ax.plot(
                x[low],
                np.full(int(low.sum()), floor),
                linestyle="none",
                marker="o",
                markerfacecolor="white",
                color=COLORS["primary"],
                markersize=6,
                label=rf"$g_\infty = 0$ (drawn at floor {floor:.0e})",
            )
        ax.axhline(floor, color=COLORS["reference"], linewidth=0.8, linestyle=":")
        div = np.isinf(g)
        if np.any(div):
            ax.plot(
                x[div],
                np.full(int(div.sum()), floor),
                linestyle="none",
                marker="x",
                color=COLORS["critical"],
                label="every run diverged",
            )
        unknown = np.isnan(g)
        if np.any(unknown):
            ax.plot(
                x[unknown],
                np.full(int(unknown.sum()), floor),
                linestyle="none",
                marker="$?$",
                markersize=9,
                color=COLORS["reference"],
                label=r"$g_\infty$ unknown: every non-diverged run is open",
            )
        if eta_star is not None:
            mark_critical_lr(ax, eta_star, label=eta_star_label)
        ax.set_yscale("log")
        ymax = np.nanmax(drawn) if np.any(np.isfinite(drawn)) else 1.0
        ax.set_ylim(floor / 5.0, max(ymax, floor) * 10.0)
        ax.set_xlabel(_ETA)
        ax.set_ylabel(r"asymptotic gradient norm $g_\infty$")
        if title:
            ax.set_title(title)
        ax.legend(loc="best")
    return fig


# ----------------------------------------------------------------------------------------------
# one estimate: outcome bars (C6)
# ----------------------------------------------------------------------------------------------
@styled
def plot_outcomes(
    estimate: ConvergenceEstimate,
    *,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""Bars of the outcome counts of one Monte-Carlo estimate, with the converged fraction and
    its interval in the title (C6).  Undecided runs (budget exhausted) are drawn as their own
    grey bar: they are unknown, not failures."""
    if not isinstance(estimate, ConvergenceEstimate):
        raise InvalidParameterError(
            f"estimate must be a ConvergenceEstimate; got {type(estimate).__name__}"
        )
    keys = list(OUTCOME_NAMES)
    vals = [int(estimate.counts.get(k, 0)) for k in keys]
    with style_context():
        fig, ax = _target(ax, width=6.4, height=3.6)
        x = np.arange(len(keys))
        bars = ax.bar(x, vals, color=[OUTCOME_COLORS[k] for k in keys], width=0.7)
        for rect, v in zip(bars, vals, strict=True):
            ax.annotate(
                f"{v}",
                xy=(rect.get_x() + rect.get_width() / 2, rect.get_height()),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                fontsize=8,
            )
        ax.set_xticks(x, [OUTCOME_LABELS[k] for k in keys], rotation=15, ha="right")
        ax.set_ylabel(f"runs (of n = {estimate.n_samples})")
        conv = estimate.counts.get("converged", 0)
        split = (
            f"; to minima {estimate.n_to_minima}, to saddles {estimate.n_to_saddles}"
            + (
                f" (of {estimate.n_annotated} sampled)"
                if getattr(estimate, "annotation_sampled", False)
                else ""
            )
            if conv
            else ""
        )
        frac = (
            f"{estimate.fraction:.3f}"
            if estimate.n_open == 0
            else f"{estimate.fraction:.3f} to {estimate.fraction_high:.3f} ({estimate.n_open} open)"
        )
        ax.set_title(
            title
            if title is not None
            else (
                rf"$\eta = {estimate.lr:.4g}$: converged {frac} "
                rf"[{estimate.ci_low:.3f}, {estimate.ci_high:.3f}]" + split
            ),
            fontsize=9,
        )
        ax.set_ylim(0, max([*vals, 1]) * 1.15)
        ax.grid(axis="x", visible=False)
    return fig


# ----------------------------------------------------------------------------------------------
# a sweep: fraction and g_inf against the learning rate (C6, C7)
# ----------------------------------------------------------------------------------------------
@styled
def plot_sweep(
    sweep: SweepResult,
    *,
    eta_star: float | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""The converged fraction (C6, top) and :math:`g_\infty` (C7, bottom, log scale) of a
    :class:`~dynsys_gd.analysis.sweep.SweepResult` against the learning rate, :math:`\eta^*`
    marked.  With ``ax`` only the fraction is drawn into it."""
    if not isinstance(sweep, SweepResult):
        raise InvalidParameterError(f"sweep must be a SweepResult; got {type(sweep).__name__}")
    if ax is not None:
        return plot_convergent_fraction(sweep, eta_star=eta_star, ax=ax, title=title)
    es = sweep.critical_lr if eta_star is None else eta_star
    with style_context():
        fig, axes = new_figure(2, 1, width=8.6, height=6.0, sharex=True, height_ratios=(1.4, 1.0))
        plot_convergent_fraction(sweep, eta_star=es, ax=axes[0], title=title)
        plot_gradient_norm_transition(sweep, eta_star=es, ax=axes[1])
        axes[0].set_xlabel("")
        axes[0].tick_params(labelbottom=False)
        for a in axes:
            a.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig
