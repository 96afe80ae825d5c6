r"""Figures of basins of attraction: outcomes and attractors on a 2-D slice of parameter space
(:func:`plot_basin_slice`; C6, C8)."""

from __future__ import annotations

from collections.abc import Sequence
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
from ..errors import InvalidParameterError
from ..numeric.engine.outcomes import OUTCOME_NAMES, Outcome
from ._figure_inputs import _target
from .style import (
    COLORS,
    OUTCOME_COLORS,
    OUTCOME_LABELS,
    outcome_cmap,
    outcome_legend_handles,
    style_context,
    styled,
)

__all__ = [
    "plot_basin_slice",
]


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
