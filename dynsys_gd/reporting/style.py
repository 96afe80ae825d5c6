r"""One matplotlib style for every figure of dynsys_gd, and the outcome colour map.

Every drawing function of the toolkit is decorated with :func:`styled`: it draws inside
:func:`style_context` (a :func:`matplotlib.rc_context`), so the style never changes matplotlib's
global state, and the figure it returns displays inline in Jupyter without any set-up call.
Colours for run outcomes come from :data:`OUTCOME_COLORS` / :func:`outcome_cmap`; the critical
step size :math:`\eta^* = 2/S_{\min}` (C5, ``docs/math/claims.md#c5``) is marked with
:func:`mark_critical_lr`, and files are written with :func:`save_figure`. Your own figures get the
same look inside ``with style_context():``; :func:`apply_style` is an explicit opt-in that
changes the global rcParams, and the toolkit never calls it.

Nothing here selects a backend: importing this module never opens a window, and all functions
work under the non-interactive ``Agg`` backend.

Examples
--------
>>> from dynsys_gd.reporting.style import new_figure, mark_critical_lr, save_figure
>>> fig, ax = new_figure()
>>> _ = ax.plot([0.1, 0.2, 0.3], [1.0, 0.5, 0.0])
>>> _ = mark_critical_lr(ax, 0.2645)
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import matplotlib as mpl
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .._validation import check_positive_float
from ..errors import InvalidParameterError
from ..numeric.engine.outcomes import OUTCOME_NAMES, Outcome

__all__ = [
    "COLORS",
    "OUTCOME_COLORS",
    "OUTCOME_LABELS",
    "STYLE",
    "apply_style",
    "eta_star_label",
    "mark_critical_lr",
    "new_figure",
    "outcome_cmap",
    "outcome_legend_handles",
    "save_figure",
    "style_context",
    "styled",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")

#: Named colours used across figures (colour-blind friendly, after Okabe & Ito).
COLORS: dict[str, str] = {
    "primary": "#0072B2",  # blue: main curve (fractions, g_inf, sharpness)
    "secondary": "#E69F00",  # orange: second series / comparison
    "tertiary": "#009E73",  # green
    "critical": "#D55E00",  # vermillion: eta*, 2/eta thresholds, instability
    "reference": "#555555",  # grey: unit circle, reference lines, floors
    "band": "#56B4E9",  # light blue: confidence bands
    "muted": "#999999",
}

#: Outcome key (``Outcome.key``) -> colour.  Same colours in every basin image and bar chart.
OUTCOME_COLORS: dict[str, str] = {
    "converged": "#0072B2",  # blue
    "diverged": "#D55E00",  # vermillion
    "periodic": "#E69F00",  # orange
    "bounded": "#009E73",  # green
    "undecided": "#BBBBBB",  # light grey
    "frozen": "#CC79A7",  # reddish purple
}

#: Outcome key -> short legend label.
OUTCOME_LABELS: dict[str, str] = {
    "converged": "converged",
    "diverged": "diverged",
    "periodic": "periodic orbit",
    "bounded": "bounded, not convergent",
    "undecided": "undecided (budget)",
    "frozen": "frozen (tiny gradient)",
}

#: rcParams applied by :func:`apply_style` / :func:`style_context`.
STYLE: dict[str, Any] = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.05,
    "font.size": 10.0,
    "axes.titlesize": 11.0,
    "axes.labelsize": 10.0,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(
        color=[
            COLORS["primary"],
            COLORS["secondary"],
            COLORS["tertiary"],
            COLORS["critical"],
            "#CC79A7",
            "#F0E442",
            COLORS["reference"],
        ]
    ),
    "lines.linewidth": 1.6,
    "lines.markersize": 4.5,
    "legend.frameon": False,
    "legend.fontsize": 9.0,
    "image.origin": "lower",
    "mathtext.fontset": "dejavusans",
    "pdf.fonttype": 42,
}

#: Matplotlib can only write these formats in :func:`save_figure`.
_FORMATS = ("png", "pdf", "svg")


def apply_style(*, notebook_display: bool = True) -> None:
    """Apply :data:`STYLE` to the global matplotlib rcParams (explicit opt-in).

    The toolkit never calls this: its drawing functions use :func:`style_context` through
    :func:`styled`. Call it only to give figures of your own the house style globally.

    Parameters
    ----------
    notebook_display : bool
        Also make figures created without ``pyplot`` display as images in IPython / Jupyter
        (the drawing functions of the toolkit do this by themselves).
    """
    params: Any = STYLE
    mpl.rcParams.update(params)
    if notebook_display:
        _register_ipython_display()


def _png(fig: Figure) -> bytes:
    from IPython.core.pylabtools import print_figure

    with style_context():
        data: bytes = print_figure(fig, "png", bbox_inches="tight")
    return data


def _register_ipython_display() -> None:
    """In an IPython shell, display :class:`~matplotlib.figure.Figure` values as PNG images.

    Figures of the toolkit are created without ``pyplot`` (no GUI backend, no ``plt.close``), so
    IPython's matplotlib integration does not know them. This registers a PNG formatter for the
    type in the running shell only, rendered inside :func:`style_context`; it is called when a
    figure is made (never on import) and does nothing outside IPython.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython not installed
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    fmt = shell.display_formatter.formatters["image/png"]
    fmt.for_type(Figure, _png)


@contextlib.contextmanager
def style_context(extra: Mapping[str, Any] | None = None) -> Iterator[None]:
    """Context in which :data:`STYLE` (updated with ``extra``) is active; restores rcParams.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> before = mpl.rcParams["axes.grid"]
    >>> with style_context():
    ...     inside = mpl.rcParams["axes.grid"]
    >>> inside, mpl.rcParams["axes.grid"] == before
    (True, True)
    """
    params: Any = dict(STYLE)
    if extra:
        params.update(extra)
    with mpl.rc_context(params):
        yield


def _fix_ticks(fig: Any) -> None:
    # Ticks (and their grid lines) are created lazily, often only when the figure is drawn:
    # create the first ones while the style is active, later ones copy their properties.
    for ax in getattr(fig, "axes", ()):
        for axis in (getattr(ax, "xaxis", None), getattr(ax, "yaxis", None)):
            if axis is not None:
                axis.get_major_ticks(1)
                axis.get_minor_ticks(1)


def styled(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Decorator for drawing functions: draw inside :func:`style_context`.

    The decorated function runs with :data:`STYLE` active and matplotlib's rcParams are restored
    afterwards. When it returns a :class:`~matplotlib.figure.Figure` (or a tuple starting with
    one), the figure's ticks are styled now and, in IPython / Jupyter, the figure displays as an
    image when it is a cell's value.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> @styled
    ... def draw():
    ...     fig, ax = new_figure()
    ...     _ = ax.plot([0, 1], [0, 1])
    ...     return fig, mpl.rcParams["axes.spines.top"]
    >>> before = mpl.rcParams["axes.spines.top"]
    >>> fig, spines_inside = draw()
    >>> spines_inside, mpl.rcParams["axes.spines.top"] == before
    (False, True)
    """

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with style_context():
            result = func(*args, **kwargs)
            fig = result[0] if isinstance(result, tuple) and result else result
            if isinstance(fig, Figure):
                _fix_ticks(fig)
        if isinstance(fig, Figure):
            _register_ipython_display()
        return result

    return wrapper


def new_figure(
    nrows: int = 1,
    ncols: int = 1,
    *,
    width: float | None = None,
    height: float | None = None,
    sharex: bool = False,
    height_ratios: Sequence[float] | None = None,
    **subplot_kw: Any,
) -> tuple[Figure, Any]:
    """A styled figure with a grid of axes and constrained layout (nothing clipped).

    The figure is created with :class:`matplotlib.figure.Figure` directly (not ``pyplot``), so it
    is never registered with a GUI backend and needs no ``plt.close``.  In notebooks it still
    displays as the cell's value.

    Parameters
    ----------
    nrows, ncols
        Grid of axes.
    width, height
        Figure size in inches (default scales :data:`STYLE` ``figure.figsize`` with the grid).
    sharex
        Share the x axis between the axes.
    height_ratios
        Relative heights of the rows.
    **subplot_kw
        Passed to every axes (e.g. ``projection``).

    Returns
    -------
    (fig, ax)
        ``ax`` is one Axes for a 1×1 grid, else an array of Axes (``squeeze=True``).
    """
    w0, h0 = STYLE["figure.figsize"]
    w = (w0 * (0.8 * ncols + 0.2)) if width is None else check_positive_float("width", width)
    h = (h0 * (0.85 * nrows + 0.15)) if height is None else check_positive_float("height", height)
    with style_context():
        fig = Figure(figsize=(w, h), layout="constrained")
        axes = fig.subplots(
            nrows,
            ncols,
            squeeze=True,
            sharex=sharex,
            height_ratios=height_ratios,
            subplot_kw=subplot_kw or None,
        )
    _register_ipython_display()
    return fig, axes


def eta_star_label(eta_star: float, *, digits: int = 4) -> str:
    r"""Legend label ``η* = 2/S_min = 0.2646`` (C5, ``docs/math/claims.md#c5``)."""
    return rf"$\eta^* = 2/S_{{\min}} = {eta_star:.{digits}g}$"


def mark_critical_lr(
    ax: Axes,
    eta_star: float,
    *,
    label: str | None = None,
    orientation: str = "vertical",
    annotate: bool = True,
) -> Any:
    r"""Draw the critical step size :math:`\eta^*` (C5) as a dashed line.

    Parameters
    ----------
    ax
        Target axes.
    eta_star
        The critical learning rate :math:`\eta^* = 2 / S_{\min}` (finite, > 0).
    label
        Legend label; default :func:`eta_star_label`.
    orientation
        ``"vertical"`` (η on the x axis) or ``"horizontal"`` (η on the y axis).
    annotate
        Also write ``η*`` next to the line at the top of the axes.
    """
    eta_star = check_positive_float("eta_star", eta_star)
    if orientation not in ("vertical", "horizontal"):
        raise InvalidParameterError(
            f"orientation must be one of 'vertical', 'horizontal'; got {orientation!r}"
        )
    lab = eta_star_label(eta_star) if label is None else label
    kw: dict[str, Any] = {
        "color": COLORS["critical"],
        "linestyle": "--",
        "linewidth": 1.3,
        "label": lab,
        "zorder": 3,
    }
    if orientation == "vertical":
        line = ax.axvline(eta_star, **kw)
        if annotate:
            ax.annotate(
                r"$\eta^*$",
                xy=(eta_star, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -12),
                textcoords="offset points",
                color=COLORS["critical"],
                fontsize=9,
            )
    else:
        line = ax.axhline(eta_star, **kw)
        if annotate:
            ax.annotate(
                r"$\eta^*$",
                xy=(1.0, eta_star),
                xycoords=("axes fraction", "data"),
                xytext=(-16, 3),
                textcoords="offset points",
                color=COLORS["critical"],
                fontsize=9,
            )
    return line


def outcome_cmap(keys: Sequence[str] = OUTCOME_NAMES) -> tuple[ListedColormap, BoundaryNorm]:
    """Colour map and norm for integer outcome codes (``Outcome.code``) in an image.

    ``imshow(codes, cmap=cmap, norm=norm)`` paints code ``i`` with
    ``OUTCOME_COLORS[keys[i]]``; the default order matches :attr:`Outcome.code`.
    """
    for k in keys:
        if k not in OUTCOME_COLORS:
            raise InvalidParameterError(
                f"keys must be outcome names {', '.join(OUTCOME_NAMES)}; got {k!r}"
            )
    cmap = ListedColormap([OUTCOME_COLORS[k] for k in keys], name="dynsys_gd_outcomes")
    norm = BoundaryNorm([i - 0.5 for i in range(len(keys) + 1)], len(keys))
    return cmap, norm


def outcome_legend_handles(present: Sequence[str | Outcome] | None = None) -> list[Patch]:
    """Legend patches for outcomes (all of them, or only those in ``present``)."""
    keys = (
        list(OUTCOME_NAMES)
        if present is None
        else [p.key if isinstance(p, Outcome) else str(p) for p in present]
    )
    return [
        Patch(facecolor=OUTCOME_COLORS[k], edgecolor="none", label=OUTCOME_LABELS[k])
        for k in OUTCOME_NAMES
        if k in keys
    ]


def save_figure(
    fig: Figure,
    path_stem: str | Path,
    *,
    formats: Sequence[str] = ("png", "pdf"),
    dpi: int | None = None,
) -> list[Path]:
    """Write ``fig`` to ``<path_stem>.png`` and ``<path_stem>.pdf`` (parents are created).

    Parameters
    ----------
    fig
        The figure.
    path_stem
        Path without suffix (a given suffix such as ``.png`` is replaced).
    formats
        File formats among ``"png"``, ``"pdf"``, ``"svg"``.
    dpi
        Raster resolution (default :data:`STYLE` ``savefig.dpi``).

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    InvalidParameterError
        For an unknown format.
    OSError
        When the directory cannot be created or the file cannot be written.
    """
    if not isinstance(fig, Figure):
        raise InvalidParameterError(f"fig must be a matplotlib Figure; got {type(fig).__name__}")
    for f in formats:
        if f not in _FORMATS:
            raise InvalidParameterError(
                f"formats must be among {', '.join(map(repr, _FORMATS))}; got {f!r}"
            )
    stem = Path(path_stem)
    if stem.suffix.lower().lstrip(".") in _FORMATS:
        stem = stem.with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    out = []
    with style_context():
        for f in formats:
            path = stem.with_name(stem.name + "." + f)
            fig.savefig(
                path,
                format=f,
                dpi=dpi or STYLE["savefig.dpi"],
                bbox_inches="tight",
                pad_inches=STYLE["savefig.pad_inches"],
                metadata={"Creator": "dynsys_gd"} if f != "png" else None,
            )
            out.append(path)
    return out
