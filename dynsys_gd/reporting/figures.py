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
=====================================  ===========================================================

Theory recap (MATH.md): on M the Jacobian of the GD map has eigenvalue 1 on the tangent space
and :math:`1 - \eta\lambda_i` on the normal directions (C3).  A minimum is linearly stable iff
:math:`\lambda_{\max}(H) < 2/\eta`; the flattest minimum has :math:`S_{\min}` and
:math:`\eta^* = 2/S_{\min}` (C5).  Above :math:`\eta^*` the convergent set is null (C6) and the
asymptotic gradient norm jumps from 0 to a positive value (C7).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

from .._validation import check_positive_float
from ..errors import InvalidParameterError
from ..numeric.outcomes import OUTCOME_NAMES, Outcome
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
    "dg_eigenvalues",
    "normal_spectrum",
    "plot_basin_slice",
    "plot_convergent_fraction",
    "plot_dg_spectrum",
    "plot_gradient_norm_transition",
    "plot_sharpness_along_manifold",
    "rebalancing_curve",
    "save_figure",
]

_ETA = r"learning rate $\eta$"


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
def _first_attr(obj: Any, names: Sequence[str]) -> Any:
    """The first attribute (or mapping key) of ``obj`` among ``names`` that is not None."""
    for n in names:
        val = obj.get(n) if isinstance(obj, Mapping) else getattr(obj, n, None)
        if val is not None:
            return val
    return None


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


def _eta_star_of(obj: Any) -> float | None:
    val = _first_attr(obj, ("critical_lr",))
    return None if val is None else float(val)


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
def _sweep_arrays(sweep: Any) -> dict[str, Any]:
    """Pull lrs / fractions / CIs / counts / η* out of a SweepResult-like object."""
    d: dict[str, Any] = {}
    d["lrs"] = _first_attr(sweep, ("lrs", "lr", "learning_rates", "etas"))
    d["fractions"] = _first_attr(sweep, ("fractions", "fraction", "converged_fraction"))
    d["ci_low"] = _first_attr(sweep, ("ci_low", "ci_lows", "lower"))
    d["ci_high"] = _first_attr(sweep, ("ci_high", "ci_highs", "upper"))
    d["counts"] = _first_attr(sweep, ("counts", "outcome_counts"))
    d["eta_star"] = _eta_star_of(sweep)
    estimates = _first_attr(sweep, ("estimates", "results"))
    if d["fractions"] is None and estimates is not None:
        est = list(estimates)
        d["fractions"] = [e.fraction for e in est]
        d["ci_low"] = [e.ci_low for e in est]
        d["ci_high"] = [e.ci_high for e in est]
        d["counts"] = [e.counts for e in est]
        if d["lrs"] is None:
            d["lrs"] = [e.lr for e in est]
    if d["lrs"] is None or d["fractions"] is None:
        raise InvalidParameterError(
            "sweep must provide learning rates and converged fractions (attributes 'lrs' and "
            f"'fractions', or 'estimates'); got {type(sweep).__name__}"
        )
    return d


@styled
def plot_convergent_fraction(
    lrs: Any,
    fractions: ArrayLike | None = None,
    ci_low: ArrayLike | None = None,
    ci_high: ArrayLike | None = None,
    *,
    eta_star: float | None = None,
    counts: Any = None,
    relative: bool = False,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""Converged fraction of initialisations against the learning rate (MATH.md C6).

    Below :math:`\eta^*` a positive fraction of initialisations converges; above it the
    convergent set has measure zero, so every Monte-Carlo estimate is 0 and only its
    Clopper–Pearson upper bound (about :math:`3/n` at 95 %) remains.

    Parameters
    ----------
    lrs
        Learning rates, or a ``SweepResult``-like object (attributes ``lrs``, ``fractions``,
        ``ci_low``, ``ci_high``, optional ``counts``/``eta_star``; or ``estimates``, a list of
        ``ConvergenceEstimate``), in which case the other arrays are taken from it.
    fractions, ci_low, ci_high
        Converged fraction and its confidence interval per learning rate.
    eta_star
        Critical step size :math:`\eta^* = 2/S_{\min}` (C5), drawn as a dashed line.
    counts
        Optional outcome counts per learning rate (``{outcome: array}`` or a list of
        ``{outcome: int}``); adds a lower panel with the share of every outcome.
    relative
        Plot against :math:`\eta/\eta^*` (requires ``eta_star``).
    ax
        Draw the fraction into this axes (the outcome panel is then omitted).
    title
        Axes title.
    """
    if fractions is None:
        d = _sweep_arrays(lrs)
        lrs, fractions = d["lrs"], d["fractions"]
        ci_low = d["ci_low"] if ci_low is None else ci_low
        ci_high = d["ci_high"] if ci_high is None else ci_high
        counts = d["counts"] if counts is None else counts
        eta_star = d["eta_star"] if eta_star is None else eta_star
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
    with style_context():
        if ax is None and cmat:
            fig, axes = new_figure(2, 1, height=5.4, sharex=True, height_ratios=(2.2, 1.0))
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
        ax_f.plot(x, f, marker="o", color=COLORS["primary"], label="converged fraction")
        zero = f == 0.0
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
    r"""Asymptotic gradient norm :math:`g_\infty(\eta)` on a log scale (MATH.md C7).

    :math:`g_\infty(\eta)` is 0 below :math:`\eta^*` and jumps to a positive value above it.
    Values :math:`\le` ``floor`` (exact zeros of converged runs) cannot be drawn on a log axis:
    they are drawn *at* the floor with open markers, and the legend says so.

    Parameters
    ----------
    lrs
        Learning rates, or an object with attributes ``lrs`` and ``g_inf`` (and optionally
        ``g_inf_low``/``g_inf_high`` quantiles and ``eta_star``).
    g_inf
        Asymptotic gradient norm per learning rate (NaN where no run stayed bounded).
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
    from_object = g_inf is None
    if g_inf is None:
        obj = lrs
        lrs = _first_attr(obj, ("lrs", "lr", "etas"))
        g_inf = _first_attr(obj, ("g_inf", "gradient_norm", "grad_norm"))
        q_low = _first_attr(obj, ("g_inf_low", "q_low")) if q_low is None else q_low
        q_high = _first_attr(obj, ("g_inf_high", "q_high")) if q_high is None else q_high
        eta_star = _eta_star_of(obj) if eta_star is None else eta_star
        if lrs is None or g_inf is None:
            raise InvalidParameterError(
                "lrs must be an array or an object with attributes "
                f"'lrs' and 'g_inf'; got {type(obj).__name__}"
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
        ax.plot(x, drawn, color=COLORS["primary"], marker="o", label=label)
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
        if np.any(~finite):
            ax.plot(
                x[~finite],
                np.full(int((~finite).sum()), floor),
                linestyle="none",
                marker="x",
                color=COLORS["critical"],
                label="every run diverged",
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
@styled
def plot_basin_slice(
    basin: Any,
    *,
    extent: Sequence[float] | None = None,
    lr: float | None = None,
    axis_labels: tuple[str, str] = ("$a$", "$b$"),
    curves: Sequence[tuple[ArrayLike, ArrayLike]] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""Outcome of GD from every point of a 2-D slice :math:`c + a u + b v` of parameter space.

    Parameters
    ----------
    basin
        A :class:`~dynsys_gd.analysis.basins.BasinSlice` (attributes ``outcome`` — a 2-D array
        of :attr:`Outcome.code` ints (or of :class:`Outcome`) with rows indexed by ``b`` and
        columns by ``a`` —, the grid coordinates ``a`` and ``b``, ``lr``), or that 2-D array.
    extent
        ``(a_min, a_max, b_min, b_max)`` of the slice (default from ``basin`` or the unit box).
    lr
        Learning rate, shown in the title.
    axis_labels
        Labels of the two slice coordinates.
    curves
        Optional ``(a, b)`` polylines to overlay (e.g. the minima manifold in the slice).
    """
    codes_src = basin
    if not isinstance(basin, np.ndarray | list | tuple):
        codes_src = _first_attr(basin, ("outcome", "codes", "outcomes", "outcome_codes"))
        if codes_src is None:
            raise InvalidParameterError(
                "basin must be a 2-D array of outcome codes or have an "
                f"'outcome' attribute; got {type(basin).__name__}"
            )
        if extent is None:
            extent = _first_attr(basin, ("extent_box", "extent"))
        a_grid, b_grid = _first_attr(basin, ("a",)), _first_attr(basin, ("b",))
        if extent is None and a_grid is not None and b_grid is not None:
            extent = _pixel_extent(np.asarray(a_grid, float), np.asarray(b_grid, float))
        lr = _first_attr(basin, ("lr",)) if lr is None else lr
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
    cmap, norm = outcome_cmap()
    with style_context({"axes.grid": False}):
        fig, ax = _target(ax, width=5.8, height=4.4)
        ax.grid(False)
        ratio = (ext[1] - ext[0]) / (ext[3] - ext[2])
        ax.imshow(
            codes,
            cmap=cmap,
            norm=norm,
            extent=ext,
            origin="lower",
            interpolation="nearest",
            aspect="equal" if 1 / 3 <= ratio <= 3 else "auto",
        )
        for a, b in curves or ():
            ax.plot(
                np.asarray(a),
                np.asarray(b),
                color="black",
                linewidth=1.0,
                linestyle="--",
                label="minima $M$",
            )
        ax.set_xlim(ext[0], ext[1])
        ax.set_ylim(ext[2], ext[3])
        ax.set_xlabel(axis_labels[0])
        ax.set_ylabel(axis_labels[1])
        present = [OUTCOME_NAMES[c] for c in np.unique(codes)]
        handles = outcome_legend_handles(present)
        if curves:
            handles.extend(ax.get_legend_handles_labels()[0][:1])  # type: ignore[arg-type]
        shares = {k: float(np.mean(codes == Outcome.from_key(k).code)) for k in present}
        for h in handles:
            key = next((k for k in present if OUTCOME_LABELS[k] == h.get_label()), None)
            if key is not None:
                pct = 100 * shares[key]
                txt = "<1" if 0 < pct < 0.5 else f"{pct:.0f}"
                h.set_label(f"{OUTCOME_LABELS[key]} ({txt}%)")
        ax.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False
        )
        t = (
            title
            if title is not None
            else ("outcome of GD on a 2-D slice" + ("" if lr is None else rf", $\eta = {lr:.4g}$"))
        )
        ax.set_title(t)
    return fig


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
    coord: ArrayLike,
    eigenvalues: ArrayLike,
    *,
    lr: float | None = None,
    eta_star: float | None = None,
    coord_label: str = "position along $M$",
    ax: Axes | None = None,
    title: str | None = None,
    logy: bool = False,
) -> Figure:
    r"""Normal Hessian eigenvalues along a curve in the minima manifold M (MATH.md C3–C5).

    A minimum is linearly stable for step size :math:`\eta` iff
    :math:`\lambda_{\max}(H) < 2/\eta`.  The horizontal line :math:`2/\eta` splits M into the
    stable part (shaded) and the unstable part; the minimum of :math:`\lambda_{\max}` over M is
    :math:`S_{\min}` and :math:`\eta^* = 2/S_{\min}` (C5), so for :math:`\eta > \eta^*` the line
    lies below the whole curve.

    Parameters
    ----------
    coord
        Coordinate along the curve (shape ``(n,)``).
    eigenvalues
        ``(n,)`` sharpness :math:`\lambda_{\max}(H)` or ``(n, k)`` non-zero (normal) eigenvalues;
        the largest per row is the sharpness.
    lr
        Step size; draws :math:`2/\eta` and shades the stable part of M.
    eta_star
        If given, the level :math:`S_{\min} = 2/\eta^*` is drawn as well.
    """
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


def rebalancing_curve(net: Any, theta: ArrayLike, ts: ArrayLike) -> NDArray[np.float64]:
    r"""Points :math:`\theta(t) = (e^{t} W_1, e^{-t} W_2, W_3, \dots, W_N)` of a linear network.

    The product :math:`W_N \cdots W_1` does not depend on :math:`t`, so when :math:`\theta` is
    a global minimum the whole curve lies in the minima manifold M (C2) and leaves every
    compact set as :math:`|t| \to \infty` — along it the sharpness grows without bound (C4).

    Parameters
    ----------
    net
        A :class:`~dynsys_gd.LinearNetwork` with depth :math:`\ge 2`.
    theta
        Parameter vector of length ``net.n_params``.
    ts
        Curve parameters.

    Returns
    -------
    ndarray, shape (len(ts), P)
    """
    from .._validation import check_int

    check_int("net.depth", net.depth, minimum=2)
    th = np.asarray(theta, dtype=np.float64)
    if th.shape != (net.n_params,):
        raise InvalidParameterError(f"theta must have shape ({net.n_params},); got {th.shape}")
    t = _vector("ts", ts)
    o = net.offsets
    out = np.repeat(th[None, :], t.shape[0], axis=0)
    out[:, o[0] : o[1]] *= np.exp(t)[:, None]
    out[:, o[1] : o[2]] *= np.exp(-t)[:, None]
    return out


def normal_spectrum(net: Any, thetas: ArrayLike) -> NDArray[np.float64]:
    r"""The :math:`\operatorname{rank} J` largest Hessian eigenvalues at points of M (C3).

    On M, :math:`H = J^\top(\Sigma_{xx}\otimes I)J`; its non-zero eigenvalues (normal
    directions) number :math:`d_N d_0` when :math:`J` is onto, the rest are the zeros of the
    tangent space.  Returned in ascending order per row, shape ``(B, d_N d_0)``.
    """
    from ..numeric.kernels import numeric_model

    th = np.atleast_2d(np.asarray(thetas, dtype=np.float64))
    H = numeric_model(net).hessian(th)
    ev = np.linalg.eigvalsh(H)
    k = min(net.widths[0] * net.widths[-1], ev.shape[-1])
    return np.asarray(ev[:, -k:], dtype=np.float64)


# ----------------------------------------------------------------------------------------------
# spectra of DG in the complex plane (C3)
# ----------------------------------------------------------------------------------------------
def dg_eigenvalues(hessian_eigenvalues: ArrayLike, lr: float) -> NDArray[np.float64]:
    r"""Eigenvalues :math:`1 - \eta\lambda` of :math:`DG_\eta = I - \eta H` (MATH.md §2)."""
    lr = check_positive_float("lr", lr)
    return 1.0 - lr * np.asarray(hessian_eigenvalues, dtype=np.float64)


def _multiplicities(z: NDArray[np.complex128]) -> str:
    """``"1 (×2)"``-style note of repeated eigenvalues (to 1e-9), empty if none repeat."""
    if z.size == 0:
        return ""
    key = np.round(z.real, 9) + 1j * np.round(z.imag, 9)
    vals, counts = np.unique(key, return_counts=True)
    rep = [(v, c) for v, c in zip(vals, counts, strict=True) if c > 1]
    return ", ".join(f"{v.real:.3g}{'' if v.imag == 0 else f'{v.imag:+.3g}j'} ×{c}" for v, c in rep)


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
    unstable when one lies outside (MATH.md §2).  On M the tangent directions give eigenvalue 1
    (C3); an eigenvalue below −1 (a Hessian eigenvalue above :math:`2/\eta`) makes the
    minimum unstable — the flip at :math:`\eta^*` (C8).

    Parameters
    ----------
    spectra
        Eigenvalues (real or complex), or ``{label: eigenvalues}`` for several fixed points.
    lr
        Step size; required when ``hessian=True`` and shown in the title.
    hessian
        ``spectra`` are Hessian eigenvalues; convert them with :func:`dg_eigenvalues`.
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
            mult = _multiplicities(z[~outside])
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
                label=f"{label}" + (f" ({mult})" if mult else ""),
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
