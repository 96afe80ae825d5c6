r"""Figures of the transition at the critical step size (matplotlib, safe under ``Agg``).

Every function takes result objects of the analysis layer *or* plain arrays, draws in the
house style of :mod:`dynsys_gd.reporting.style`, and returns the
:class:`~matplotlib.figure.Figure` (pass ``ax=`` to draw into an existing axes instead).
:func:`save_figure` writes ``<stem>.png`` and ``<stem>.pdf``.

=====================================  ===========================================================
function                               shows
=====================================  ===========================================================
:func:`plot_convergent_fraction`       converged fraction vs η with Clopper–Pearson bands, η*
                                       marked, optional outcome shares (C6)
:func:`plot_gradient_norm_transition`  asymptotic gradient norm g∞(η) on a log scale (C7); exact
                                       zeros drawn at a floor, with a note
:func:`plot_basin_slice`               outcomes on a 2-D slice of parameter space (C6, C8)
:func:`plot_sharpness_along_manifold`  λ_max(H) along the minima manifold M with the 2/η line
                                       (C3–C5)
:func:`plot_dg_spectrum`               eigenvalues of DG_η = I − ηH in the complex plane with the
                                       unit circle (C3)
:func:`plot_sweep`                     a ``SweepResult``: fraction and g∞ against η (C6, C7)
:func:`plot_outcomes`                  a ``ConvergenceEstimate``: one bar per outcome (C6)
:func:`plot_fixed_point_spectrum`      a ``FixedPointSpectrum``: DG eigenvalues, unit circle (C3)
:func:`plot_stability_report`          a ``StabilityReport``: DG at the flattest minimum, the
                                       sampled minima against 2/η (C3, C5)
=====================================  ===========================================================

Theory recap (docs/math/index.md): on M the Jacobian of the GD map has eigenvalue 1 on the tangent
space
and :math:`1 - \eta\lambda_i` on the normal directions (C3).  A minimum is linearly stable iff
:math:`\lambda_{\max}(H) < 2/\eta`; the flattest minimum has :math:`S_{\min}` and
:math:`\eta^* = 2/S_{\min}` (C5).  Above :math:`\eta^*` the convergent set is null (C6) and the
asymptotic gradient norm jumps from 0 to a positive value (C7).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from numpy.typing import ArrayLike, NDArray

from .._validation import check_positive_float
from ..analysis.basins import Attractor, BasinSlice
from ..analysis.convergence import ConvergenceEstimate
from ..analysis.stability import StabilityReport
from ..analysis.sweep import SweepResult
from ..errors import InvalidParameterError
from ..numeric.engine.outcomes import OUTCOME_NAMES, Outcome
from ..numeric.landscape.curves import ManifoldSharpness
from ..numeric.landscape.spectra import FixedPointSpectrum
from .style import (
    COLORS,
    OUTCOME_COLORS,
    OUTCOME_LABELS,
    mark_critical_lr,
    new_figure,
    outcome_cmap,
    outcome_legend_handles,
    save_figure,
    style_context,
    styled,
)

__all__ = [
    "plot_basin_slice",
    "plot_convergent_fraction",
    "plot_dg_spectrum",
    "plot_fixed_point_spectrum",
    "plot_gradient_norm_transition",
    "plot_outcomes",
    "plot_sharpness_along_manifold",
    "plot_stability_report",
    "plot_sweep",
    "save_figure",
]

_ETA = r"learning rate $\eta$"


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
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
# basins of attraction (C6, C8)
# ----------------------------------------------------------------------------------------------
#: colours of attractors on basin slices: minima (blues, purples), saddles (greys), cycles
#: (oranges); non-attracted outcomes keep their OUTCOME_COLORS
_MINIMA_COLORS = ("#0072B2", "#56B4E9", "#332288", "#44AA99", "#88CCEE", "#1F4E79", "#6699CC")
_SADDLE_COLORS = ("#444444", "#8C6D31", "#777777")
_CYCLE_COLORS = ("#E69F00", "#F0E442", "#B8860B")
_MAX_ATTRACTORS = 9  # legend entries for attractors; the rest are grouped by kind


def _attractor_groups(attractors: Sequence[Attractor]) -> tuple[list[str], list[str], list[int]]:
    """Legend names, colours and, per attractor, its group index (small ones grouped by kind)."""
    names: list[str] = []
    colors: list[str] = []
    group: dict[int, int] = {}
    used = {"minimum": 0, "saddle": 0, "cycle": 0}
    palette = {"minimum": _MINIMA_COLORS, "saddle": _SADDLE_COLORS, "cycle": _CYCLE_COLORS}
    other: dict[str, int] = {}
    big = sorted(attractors, key=lambda t: -t.n_points)[:_MAX_ATTRACTORS]
    keep = {t.label for t in big}
    kinds = {"minimum": 0, "saddle": 1, "cycle": 2}
    # colours follow the position of the attractor (not its size), so one attractor keeps its
    # colour across slices at different step sizes
    for t in sorted(attractors, key=lambda t: (kinds[t.kind], tuple(-t.point))):
        if t.label in keep:
            pal = palette[t.kind]
            colors.append(pal[used[t.kind] % len(pal)])
            used[t.kind] += 1
            names.append(t.name)
            group[t.label] = len(names) - 1
        else:
            if t.kind not in other:
                colors.append(COLORS["muted"])
                names.append(
                    {"minimum": "other minima", "saddle": "other saddles"}.get(
                        t.kind, "other cycles"
                    )
                )
                other[t.kind] = len(names) - 1
            group[t.label] = other[t.kind]
    return names, colors, [group[t.label] for t in attractors]


@styled
def plot_basin_slice(
    basin: BasinSlice | ArrayLike,
    *,
    extent: Sequence[float] | None = None,
    lr: float | None = None,
    axis_labels: tuple[str, str] = ("$a$", "$b$"),
    curves: Sequence[tuple[ArrayLike, ArrayLike]] | None = None,
    attractors: bool = True,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""Outcome of GD from every point of a 2-D slice :math:`c + a u + b v` of parameter space.

    For a :class:`~dynsys_gd.analysis.basins.BasinSlice` every converged or periodic point is
    coloured by the attractor it reached (as Attractors.jl does): each connected piece of the
    minima reached, each saddle, each cycle has its own colour and legend entry with its share
    of the slice; diverged, bounded and undecided points keep their outcome colours.  Where the
    slice knows M (``minima_level``), M is drawn as a dashed black curve.

    Parameters
    ----------
    basin
        A :class:`~dynsys_gd.analysis.basins.BasinSlice`, or a 2-D array of
        :attr:`Outcome.code` ints (or of :class:`Outcome`) with rows indexed by ``b`` and
        columns by ``a``.
    extent
        ``(a_min, a_max, b_min, b_max)`` of the slice (default from ``basin`` or the unit box).
    lr
        Learning rate, shown in the title.
    axis_labels
        Labels of the two slice coordinates.
    curves
        Optional ``(a, b)`` polylines of M to overlay (when the slice does not know M).
    attractors
        Colour by attractor (default) rather than by outcome.
    """
    bs = basin if isinstance(basin, BasinSlice) else None
    if bs is not None:
        codes_src: Any = bs.outcome
        if extent is None:
            extent = _pixel_extent(np.asarray(bs.a, float), np.asarray(bs.b, float))
        lr = bs.lr if lr is None else lr
    elif isinstance(basin, np.ndarray | list | tuple):
        codes_src = basin
    else:
        raise InvalidParameterError(
            "basin must be a BasinSlice or a 2-D array of outcome codes; got "
            f"{type(basin).__name__}"
        )
    arr = np.asarray(codes_src)
    if arr.dtype == object:
        arr = np.vectorize(
            lambda o: o.code if isinstance(o, Outcome) else int(o), otypes=[np.int64]
        )(arr)
    if arr.ndim != 2 or arr.size == 0:
        raise InvalidParameterError(
            f"basin outcomes must be a non-empty 2-D array; got shape {arr.shape}"
        )
    codes = arr.astype(np.int64)
    if codes.min() < 0 or codes.max() >= len(OUTCOME_NAMES):
        raise InvalidParameterError(
            f"basin outcome codes must be in 0..{len(OUTCOME_NAMES) - 1}"
            f"; got values in [{codes.min()}, {codes.max()}]"
        )
    ext = _extent_box(extent)
    by_attractor = (
        attractors and bs is not None and bs.attractor is not None and len(bs.attractors) > 0
    )
    with style_context({"axes.grid": False}):
        fig, ax = _target(ax, width=9.0, height=4.6)
        ax.grid(False)
        ratio = (ext[1] - ext[0]) / (ext[3] - ext[2])
        aspect: Literal["equal", "auto"] = "equal" if 1 / 3 <= ratio <= 3 else "auto"
        handles: list[Any] = []
        if by_attractor:
            assert bs is not None and bs.attractor is not None
            names, colors, group_of = _attractor_groups(bs.attractors)
            G = len(names)
            lab = np.asarray(bs.attractor, dtype=np.int64)
            img = np.where(lab >= 0, np.asarray([*group_of, 0])[np.maximum(lab, 0)], G + codes)
            all_colors = colors + [OUTCOME_COLORS[k] for k in OUTCOME_NAMES]
            cmap = ListedColormap(all_colors)
            norm = BoundaryNorm([i - 0.5 for i in range(len(all_colors) + 1)], len(all_colors))
            ax.imshow(
                img,
                cmap=cmap,
                norm=norm,
                extent=ext,
                origin="lower",
                interpolation="nearest",
                aspect=aspect,
            )
            for gi, (nm, col) in enumerate(zip(names, colors, strict=True)):
                share = float(np.mean(img == gi))
                handles.append(Patch(facecolor=col, edgecolor="none", label=f"{nm}{_pct(share)}"))
            for k in OUTCOME_NAMES:
                share = float(np.mean(img == G + Outcome.from_key(k).code))
                if share > 0:
                    handles.append(
                        Patch(
                            facecolor=OUTCOME_COLORS[k],
                            edgecolor="none",
                            label=f"{OUTCOME_LABELS[k]}{_pct(share)}",
                        )
                    )
        else:
            cmap0, norm0 = outcome_cmap()
            ax.imshow(
                codes,
                cmap=cmap0,
                norm=norm0,
                extent=ext,
                origin="lower",
                interpolation="nearest",
                aspect=aspect,
            )
            present = [OUTCOME_NAMES[c] for c in np.unique(codes)]
            for h in outcome_legend_handles(present):
                key = next(k for k in present if OUTCOME_LABELS[k] == h.get_label())
                share = float(np.mean(codes == Outcome.from_key(key).code))
                h.set_label(f"{OUTCOME_LABELS[key]}{_pct(share)}")
                handles.append(h)
        drew_m = False
        if bs is not None and bs.minima_level is not None:
            assert bs.level_a is not None and bs.level_b is not None
            lv = bs.minima_level
            if np.nanmin(lv) < 0 < np.nanmax(lv):
                ax.contour(
                    bs.level_a,
                    bs.level_b,
                    lv,
                    levels=[0.0],
                    colors="black",
                    linewidths=1.1,
                    linestyles="--",
                )
                drew_m = True
        for a, b in curves or ():
            ax.plot(np.asarray(a), np.asarray(b), color="black", linewidth=1.1, linestyle="--")
            drew_m = True
        if drew_m:
            handles.append(
                Line2D([], [], color="black", linewidth=1.1, linestyle="--", label="minima $M$")
            )
        ax.set_xlim(ext[0], ext[1])
        ax.set_ylim(ext[2], ext[3])
        ax.set_xlabel(axis_labels[0])
        ax.set_ylabel(axis_labels[1])
        ax.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False
        )
        what = "attractor reached by GD" if by_attractor else "outcome of GD"
        t = (
            title
            if title is not None
            else (f"{what} on a 2-D slice" + ("" if lr is None else rf", $\eta = {lr:.4g}$"))
        )
        ax.set_title(t)
    return fig


def _pct(share: float) -> str:
    """`` — 68%`` (appended to a legend label)."""
    pct = 100 * share
    return " — " + ("<1%" if 0 < pct < 0.5 else f"{pct:.0f}%")


def _pixel_extent(a: NDArray[np.float64], b: NDArray[np.float64]) -> tuple[float, ...]:
    """Image extent whose pixels are centred on the grid coordinates ``a`` (columns), ``b``."""
    da = (a[-1] - a[0]) / max(a.size - 1, 1) if a.size > 1 else 1.0
    db = (b[-1] - b[0]) / max(b.size - 1, 1) if b.size > 1 else 1.0
    return (
        float(a[0] - da / 2),
        float(a[-1] + da / 2),
        float(b[0] - db / 2),
        float(b[-1] + db / 2),
    )


def _extent_box(extent: Any) -> tuple[float, float, float, float]:
    if extent is None:
        return (-1.0, 1.0, -1.0, 1.0)
    if np.isscalar(extent):
        e = check_positive_float("extent", extent)
        return (-e, e, -e, e)
    vals = np.asarray(extent, dtype=np.float64).ravel()
    if vals.shape[0] == 2:
        return (-float(vals[0]), float(vals[0]), -float(vals[1]), float(vals[1]))
    if (
        vals.shape[0] != 4
        or not np.all(np.isfinite(vals))
        or vals[0] >= vals[1]
        or vals[2] >= vals[3]
    ):
        raise InvalidParameterError(
            "extent must be (a_min, a_max, b_min, b_max) with "
            f"a_min < a_max and b_min < b_max; got {extent!r}"
        )
    return (float(vals[0]), float(vals[1]), float(vals[2]), float(vals[3]))


# ----------------------------------------------------------------------------------------------
# sharpness along the minima manifold (C3-C5)
# ----------------------------------------------------------------------------------------------
@styled
def plot_sharpness_along_manifold(
    coord: ManifoldSharpness | ArrayLike,
    eigenvalues: ArrayLike | None = None,
    *,
    lr: float | None = None,
    eta_star: float | None = None,
    coord_label: str = "position along $M$",
    ax: Axes | None = None,
    title: str | None = None,
    logy: bool = False,
) -> Figure:
    r"""Normal Hessian eigenvalues along a curve in the minima manifold M (docs/math/claims.md#c3 to
    docs/math/claims.md#c5).

    A minimum is linearly stable for step size :math:`\eta` iff
    :math:`\lambda_{\max}(H) < 2/\eta`.  The horizontal line :math:`2/\eta` splits M into the
    stable part (shaded) and the unstable part; the minimum of :math:`\lambda_{\max}` over M is
    :math:`S_{\min}` and :math:`\eta^* = 2/S_{\min}` (C5), so for :math:`\eta > \eta^*` the line
    lies below the whole curve.

    Parameters
    ----------
    coord
        Coordinate along the curve (shape ``(n,)``), or a
        :class:`~dynsys_gd.numeric.landscape.curves.ManifoldSharpness` (from
        :func:`~dynsys_gd.numeric.landscape.curves.sharpness_along_manifold`; its :math:`\eta^*` is
        drawn unless ``eta_star`` is given).
    eigenvalues
        ``(n,)`` sharpness :math:`\lambda_{\max}(H)` or ``(n, k)`` non-zero (normal) eigenvalues;
        the largest per row is the sharpness.
    lr
        Step size; draws :math:`2/\eta` and shades the stable part of M.
    eta_star
        If given, the level :math:`S_{\min} = 2/\eta^*` is drawn as well.
    """
    if isinstance(coord, ManifoldSharpness):
        curve = coord
        coord, eigenvalues = curve.t, curve.normal_eigenvalues
        eta_star = curve.critical_lr if eta_star is None else eta_star
        if coord_label == "position along $M$":
            coord_label = r"$t$ on the curve $(e^{t}W_1, e^{-t}W_2, W_3, \dots)$ in $M$"
    elif eigenvalues is None:
        raise InvalidParameterError(
            "eigenvalues must be given with an array of coordinates (or pass a "
            f"ManifoldSharpness); got coord of type {type(coord).__name__} and no eigenvalues"
        )
    s = _vector("coord", coord)
    ev = np.asarray(eigenvalues, dtype=np.float64)
    if ev.ndim == 1:
        ev = ev[:, None]
    if ev.ndim != 2 or ev.shape[0] != s.shape[0]:
        raise InvalidParameterError(
            f"eigenvalues must have shape ({s.shape[0]},) or "
            f"({s.shape[0]}, k); got {np.shape(eigenvalues)}"
        )
    order = np.argsort(s)
    s, ev = s[order], np.sort(ev[order], axis=1)
    sharp = ev[:, -1]
    with style_context():
        fig, ax = _target(ax)
        for j in range(ev.shape[1] - 1):
            ax.plot(
                s,
                ev[:, j],
                color=COLORS["muted"],
                linewidth=1.0,
                label="other normal eigenvalues" if j == 0 else "_nolegend_",
            )
        ax.plot(s, sharp, color=COLORS["primary"], label=r"sharpness $\lambda_{\max}(H)$")
        i_min = int(np.nanargmin(sharp))
        ax.plot(
            s[i_min],
            sharp[i_min],
            marker="*",
            markersize=11,
            color=COLORS["secondary"],
            linestyle="none",
            label=rf"flattest: $S = {sharp[i_min]:.4g}$",
        )
        if eta_star is not None:
            eta_star = check_positive_float("eta_star", eta_star)
            ax.axhline(
                2.0 / eta_star,
                color=COLORS["secondary"],
                linestyle=":",
                linewidth=1.0,
                label=rf"$S_{{\min}} = 2/\eta^* = {2.0 / eta_star:.4g}$",
            )
        if lr is not None:
            lr = check_positive_float("lr", lr)
            thr = 2.0 / lr
            ax.axhline(
                thr,
                color=COLORS["critical"],
                linestyle="--",
                label=rf"$2/\eta = {thr:.4g}$ ($\eta = {lr:.4g}$)",
            )
            stable = sharp < thr
            if np.any(stable):
                ax.fill_between(
                    s,
                    0,
                    1,
                    where=stable,
                    transform=ax.get_xaxis_transform(),
                    color=COLORS["tertiary"],
                    alpha=0.12,
                    linewidth=0,
                    label="linearly stable minima",
                )
        if logy:
            ax.set_yscale("log")
        else:
            top = float(np.nanmax(sharp))
            if lr is not None:
                top = max(min(top, 4.0 * 2.0 / lr), 1.3 * 2.0 / lr)
            ax.set_ylim(0.0, 1.08 * top)
        ax.set_xlabel(coord_label)
        ax.set_ylabel("Hessian eigenvalue on $M$")
        if title:
            ax.set_title(title)
        ax.legend(loc="best")
    return fig


# ----------------------------------------------------------------------------------------------
# spectra of DG in the complex plane (C3)
# ----------------------------------------------------------------------------------------------
def _multiplicities(z: NDArray[np.complex128]) -> list[tuple[complex, int]]:
    """Repeated eigenvalues (equal to 1e-9) with their multiplicities."""
    if z.size == 0:
        return []
    key = np.round(z.real, 9) + 1j * np.round(z.imag, 9)
    vals, counts = np.unique(key, return_counts=True)
    return [(complex(v), int(c)) for v, c in zip(vals, counts, strict=True) if c > 1]


@styled
def plot_dg_spectrum(
    spectra: ArrayLike | Mapping[str, ArrayLike],
    *,
    lr: float | None = None,
    hessian: bool = False,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""Eigenvalues of the GD Jacobian :math:`DG_\eta` in the complex plane with the unit circle.

    A fixed point is linearly stable when all eigenvalues lie in the closed unit disc and
    unstable when one lies outside (docs/math/gd-map.md).  On M the tangent directions give
    eigenvalue 1
    (C3); an eigenvalue below −1 (a Hessian eigenvalue above :math:`2/\eta`) makes the
    minimum unstable — the flip at :math:`\eta^*` (C8).

    Parameters
    ----------
    spectra
        Eigenvalues (real or complex), or ``{label: eigenvalues}`` for several fixed points.
    lr
        Step size; required when ``hessian=True`` and shown in the title.  A repeated
        eigenvalue is marked "×k" next to its marker (not in the legend).
    hessian
        ``spectra`` are Hessian eigenvalues; convert them to :math:`1 - \eta\lambda`.
    """
    groups = dict(spectra) if isinstance(spectra, Mapping) else {"fixed point": spectra}
    if not groups:
        raise InvalidParameterError("spectra must contain at least one set of eigenvalues")
    if hessian and lr is None:
        raise InvalidParameterError("lr must be given when hessian=True (DG = I - lr H)")
    markers = ["o", "s", "^", "D", "v", "P", "X"]
    with style_context():
        fig, ax = _target(ax, width=7.0, height=3.8)
        t = np.linspace(0.0, 2.0 * np.pi, 400)
        ax.plot(np.cos(t), np.sin(t), color=COLORS["reference"], linewidth=1.0, label="unit circle")
        xmin, xmax, ymax = -1.0, 1.0, 1.0
        n_out = 0
        for i, (label, vals) in enumerate(groups.items()):
            z = np.asarray(vals).astype(np.complex128).ravel()
            if hessian:
                assert lr is not None
                z = 1.0 - check_positive_float("lr", lr) * z
            outside = np.abs(z) > 1.0 + 1e-12
            n_out += int(outside.sum())
            if z.size:
                xmin = min(xmin, float(z.real.min()))
                xmax = max(xmax, float(z.real.max()))
                ymax = max(ymax, float(np.abs(z.imag).max()))
            color = f"C{i % 7}"
            # later groups are drawn smaller and on top, so coinciding eigenvalues of several
            # fixed points (e.g. the tangent eigenvalue 1) stay visible as nested markers
            size = max(3.5, 9.0 - 1.8 * i)
            for v, c in _multiplicities(z):  # "×k" next to a repeated eigenvalue
                ax.annotate(
                    f"×{c}",
                    xy=(v.real, v.imag),
                    xytext=(6, 6 + 9 * i),
                    textcoords="offset points",
                    color=color,
                    fontsize=7,
                )
            ax.plot(
                z.real[~outside],
                z.imag[~outside],
                linestyle="none",
                marker=markers[i % len(markers)],
                color=color,
                markersize=size,
                markeredgecolor="white",
                markeredgewidth=0.6,
                zorder=3 + i,
                label=str(label),
            )
            if np.any(outside):
                ax.plot(
                    z.real[outside],
                    z.imag[outside],
                    linestyle="none",
                    marker=markers[i % len(markers)],
                    markerfacecolor="none",
                    markeredgecolor=COLORS["critical"],
                    markersize=9,
                    markeredgewidth=1.4,
                    label="_nolegend_",
                )
        if n_out:
            ax.plot(
                [],
                [],
                linestyle="none",
                marker="o",
                markerfacecolor="none",
                markeredgecolor=COLORS["critical"],
                markersize=9,
                label=r"$|z| > 1$: unstable direction",
            )
        lo_x = min(-1.25, 1.1 * xmin)
        hi_x = max(1.25, 1.1 * xmax)
        lim_y = max(1.25, 1.15 * ymax)
        ax.set_xlim(lo_x, hi_x)
        ax.set_ylim(-lim_y, lim_y)
        ax.set_aspect("equal")
        ax.axhline(0, color=COLORS["reference"], linewidth=0.5)
        ax.axvline(0, color=COLORS["reference"], linewidth=0.5)
        ax.set_xlabel(r"Re $z$")
        ax.set_ylabel(r"Im $z$")
        ax.set_title(
            title
            if title is not None
            else (
                r"spectrum of $DG_\eta = I - \eta H$"
                + ("" if lr is None else rf", $\eta = {lr:.4g}$")
            )
        )
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
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


@styled
def plot_fixed_point_spectrum(
    spectrum: FixedPointSpectrum,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    label: str | None = None,
) -> Figure:
    r"""The eigenvalues of :math:`DG_\eta` at one fixed point with the unit circle (C3)."""
    if not isinstance(spectrum, FixedPointSpectrum):
        raise InvalidParameterError(
            f"spectrum must be a FixedPointSpectrum; got {type(spectrum).__name__}"
        )
    name = label or ("minimum (on M)" if spectrum.on_manifold else "critical point")
    return plot_dg_spectrum({name: spectrum.dg_eigenvalues}, lr=spectrum.lr, ax=ax, title=title)


@styled
def plot_stability_report(report: StabilityReport, *, title: str | None = None) -> Figure:
    r"""The figure of a :class:`~dynsys_gd.analysis.stability.StabilityReport`: the spectrum of
    :math:`DG_\eta` at the flattest minimum with the unit circle (C3, left) and the sharpness of
    the sampled minima against :math:`2/\eta` and :math:`S_{\min}` (C5, right): a minimum is
    linearly stable iff its sharpness is below :math:`2/\eta`."""
    if not isinstance(report, StabilityReport):
        raise InvalidParameterError(
            f"report must be a StabilityReport; got {type(report).__name__}"
        )
    with style_context():
        fig, axes = new_figure(1, 2, width=11.0, height=3.8)
        plot_dg_spectrum(
            {"flattest minimum": report.flattest_spectrum.dg_eigenvalues},
            lr=report.lr,
            ax=axes[0],
            title=rf"$DG_\eta$ at the flattest minimum, $\eta = {report.lr:.4g}$",
        )
        ax = axes[1]
        s = np.sort(report.minima_sharpness)
        stable = s < 2.0 / report.lr
        idx = np.arange(1, s.size + 1)
        ax.plot(idx[stable], s[stable], "o", color=COLORS["tertiary"], label="stable at this lr")
        ax.plot(
            idx[~stable],
            s[~stable],
            "o",
            color=COLORS["critical"],
            markerfacecolor="none",
            label="unstable at this lr",
        )
        ax.axhline(
            2.0 / report.lr,
            color=COLORS["critical"],
            linestyle="--",
            label=rf"$2/\eta = {2.0 / report.lr:.4g}$",
        )
        ax.axhline(
            report.min_sharpness,
            color=COLORS["secondary"],
            linestyle=":",
            label=rf"$S_{{\min}} = {report.min_sharpness:.4g}$",
        )
        ax.set_xlabel("sampled minima (sorted by sharpness)")
        ax.set_ylabel(r"sharpness $\lambda_{\max}(H)$")
        ax.set_title(
            f"{s.size} sampled minima of M: {report.stable_fraction:.0%} stable", fontsize=10
        )
        ax.legend(loc="upper left", fontsize=8)
        if title:
            fig.suptitle(title)
    return fig
