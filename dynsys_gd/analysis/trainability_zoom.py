r"""A zoom sequence on a trainability map: the boundary dimension at every depth
(docs/math/basins.md).

Starting from a :class:`~dynsys_gd.TrainabilityMap`, each level zooms by ``factor`` around a
point of the trainability boundary: the pair of neighbouring pixels (one diverged, one not)
closest to the window's centre is refined by multisection (GD from points spaced along the
segment between them, keeping the first sign change) until the bracket is much finer than a
pixel of the next window, so every window is centred on the boundary to within a fraction of
its own pixels.  Each level records the box-counting dimension of the boundary with its fit
interval, the diverged fraction and how many float64 values separate neighbouring pixels.

Float64 bounds the depth twice.  The coordinates: on an axis of relative width :math:`w`
(decades times :math:`\ln 10` on a log axis) with :math:`n` pixels zoomed by :math:`F`,
neighbouring pixels differ by about :math:`w/(Fn)` relative, i.e. :math:`w/(Fn\varepsilon_{64})`
ulps; below 10 the grid is flagged as not resolved.  The dynamics: every GD step rounds at
the relative level :math:`\varepsilon_{64}` too, so near that depth the boundary drawn is partly
that of the rounding, even where the coordinates are still resolved.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._results import ResultMixin, jsonable
from .._validation import check_int, check_positive_float, describe
from ..errors import InvalidParameterError
from .pixel_steps import DIVERGED
from .trainability import TrainabilityMap, _run_points

__all__ = ["ZoomSequence", "zoom_sequence"]

Array = NDArray[Any]

#: fewer float64 values than this between neighbouring pixels: the grid is not resolved
RESOLVED_ULPS = 10.0
#: below this neighbour correlation the map is pixel noise, not a resolved boundary
NOISE_PHI = 0.2


@dataclass(frozen=True, eq=False)
class ZoomSequence(ResultMixin):
    r"""Boundary dimension of a trainability map at successive zoom levels.

    Attributes
    ----------
    zoom : ndarray
        Total zoom factor of each level (1 for the starting map).
    centers : ndarray (L, 2)
        Window centres (points of the boundary found by multisection; the first is the
        starting map's centre).
    dimension, interval : ndarray (L,), (L, 2)
        Box-counting dimension of the boundary in each window and its 95 % fit interval
        (NaN where the window holds no boundary).
    diverged_fraction : ndarray
    ulps_per_pixel : ndarray
        Smallest number of float64 values between neighbouring pixel coordinates.
    neighbour_correlation : ndarray
        :math:`\phi = (a - a_0)/(1 - a_0)`, with :math:`a` the fraction of neighbouring pixels
        (along either axis) with the same outcome and :math:`a_0 = p^2 + (1-p)^2` its value for
        independent pixels at diverged fraction :math:`p`: near 1 for a boundary the grid
        resolves, near 0 when neighbouring pixels are uncorrelated (salt and pepper; the box
        count then measures noise and tends to 2).
    threshold : float
        The dimension the sequence is compared with (Sohl-Dickstein's fractal boundary: above
        1.1 at every level).
    stopped : str
        Why the sequence ended before the requested depth ("" if it did not).
    maps : tuple of TrainabilityMap
    """

    zoom: Array
    centers: Array
    dimension: Array
    interval: Array
    diverged_fraction: Array
    ulps_per_pixel: Array
    neighbour_correlation: Array
    threshold: float
    stopped: str
    maps: tuple[TrainabilityMap, ...] = dataclasses.field(repr=False, default=())

    @property
    def resolved(self) -> Array:
        """Per level: float64 separates neighbouring pixels by at least 10 ulps."""
        return np.asarray(self.ulps_per_pixel >= RESOLVED_ULPS)

    @property
    def structured(self) -> Array:
        r"""Per level: neighbouring pixels are correlated (:math:`\phi \ge 0.2`), so the box
        count measures a boundary the grid resolves rather than pixel noise."""
        return np.asarray(self.neighbour_correlation >= NOISE_PHI)

    @property
    def above(self) -> Array:
        """Per level: the fitted dimension exceeds ``threshold`` (NaN counts as not)."""
        return np.asarray(np.nan_to_num(self.dimension, nan=-np.inf) > self.threshold)

    @property
    def depth_above(self) -> float:
        """Deepest zoom down to which every level measured a dimension above ``threshold``
        (0 if the first level did not)."""
        ok = self.above
        k = int(np.argmin(ok)) if not ok.all() else ok.size
        return float(self.zoom[k - 1]) if k > 0 else 0.0

    def float64_limit(self) -> float:
        """Zoom at which neighbouring pixels come within 10 ulps: the first unresolved level,
        or extrapolated from the deepest one (ulps per pixel fall as 1/zoom)."""
        bad = np.flatnonzero(~self.resolved)
        if bad.size:
            return float(self.zoom[bad[0]])
        return float(self.zoom[-1] * self.ulps_per_pixel[-1] / RESOLVED_ULPS)

    def __repr__(self) -> str:
        return (
            f"ZoomSequence({self.zoom.size} levels to 1/{self.zoom[-1]:.0e}, "
            f"D > {self.threshold:g} down to 1/{self.depth_above:.0e})"
        )

    def summary(self) -> str:
        lines = [f"Zoom sequence on a trainability map ({self.zoom.size} levels):"]
        for k in range(self.zoom.size):
            lo, hi = self.interval[k]
            res = "resolved" if self.resolved[k] else "NOT resolved by float64"
            noise = "" if self.structured[k] else "; neighbours uncorrelated: pixel noise"
            lines.append(
                f"  zoom {self.zoom[k]:.0e}: D = {self.dimension[k]:.3f} [{lo:.3f}, {hi:.3f}], "
                f"diverged {self.diverged_fraction[k]:.3f}, neighbour correlation "
                f"{self.neighbour_correlation[k]:.2f}{noise}, {self.ulps_per_pixel[k]:.3g} "
                f"ulps/pixel ({res})"
            )
        if self.above.all():
            verdict = f"D > {self.threshold:g} at every level down to 1/{self.zoom[-1]:.0e}"
        else:
            k = int(np.argmin(self.above))
            verdict = (
                f"D > {self.threshold:g} down to 1/{self.depth_above:.0e} only; at "
                f"1/{self.zoom[k]:.0e} D = {self.dimension[k]:.3f}"
            )
        lines.append(verdict + (f"; stopped: {self.stopped}" if self.stopped else ""))
        if not self.structured.all():
            k = int(np.argmin(self.structured))
            lines.append(
                f"from zoom {self.zoom[k]:.0e} on, neighbouring pixels are (nearly) uncorrelated: "
                "the grid no longer resolves the boundary and D there measures noise"
            )
        lines.append(
            f"float64 stops resolving the grid near zoom {self.float64_limit():.1e}"
            + ("" if self.resolved.all() else " (reached)")
        )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        d = {
            f.name: jsonable(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name != "maps"
        }
        d["float64_limit"] = self.float64_limit()
        return d

    def _table_(self) -> dict[str, Any]:
        return {
            "zoom": self.zoom,
            "center_1": self.centers[:, 0],
            "center_2": self.centers[:, 1],
            "dimension": self.dimension,
            "lower": self.interval[:, 0],
            "upper": self.interval[:, 1],
            "diverged_fraction": self.diverged_fraction,
            "ulps_per_pixel": self.ulps_per_pixel,
            "neighbour_correlation": self.neighbour_correlation,
        }

    def plot(self, ax: Any = None) -> Any:
        """Dimension against zoom depth with its intervals; unresolved levels shaded."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.5))
        x = np.log10(self.zoom)
        err = np.abs(self.interval.T - self.dimension)
        ax.errorbar(x, self.dimension, yerr=err, fmt="o-", capsize=3, label="box count")
        ax.axhline(self.threshold, color="r", ls="--", label=f"D = {self.threshold:g}")
        for xi in x[~self.resolved]:
            ax.axvspan(xi - 0.5, xi + 0.5, color="0.85")
        ax.set_xlabel("log10 zoom")
        ax.set_ylabel("boundary dimension D")
        ax.legend(fontsize=8)
        return ax.figure


def _boundary_pair(div: Array) -> tuple[int, int, int] | None:
    """The neighbouring pixels with different outcomes closest to the centre:
    ``(axis, i, j)`` for the pair (i, j)-(i, j+1) (axis 0) or (i, j)-(i+1, j) (axis 1)."""
    h, w = div.shape
    best: tuple[float, tuple[int, int, int]] | None = None
    for axis, diff in ((0, div[:, 1:] != div[:, :-1]), (1, div[1:, :] != div[:-1, :])):
        ii, jj = np.nonzero(diff)
        if ii.size == 0:
            continue
        ci = ii + (0.5 if axis == 1 else 0.0)
        cj = jj + (0.5 if axis == 0 else 0.0)
        d = (ci - (h - 1) / 2) ** 2 + (cj - (w - 1) / 2) ** 2
        k = int(np.argmin(d))
        if best is None or d[k] < best[0]:
            best = (float(d[k]), (axis, int(ii[k]), int(jj[k])))
    return None if best is None else best[1]


def _refine(
    tmap: TrainabilityMap, pair: tuple[int, int, int], target: float
) -> tuple[float, float]:
    """A boundary point between the two pixels of ``pair``, bracketed to a relative (log axis)
    or absolute width below ``target`` by multisection with 33 points per round."""
    axis, i, j = pair
    a, b = tmap.axes
    if axis == 0:  # pixels (i, j) and (i, j + 1): a varies, b fixed
        lo, hi, fixed = float(a[j]), float(a[j + 1]), float(b[i])
    else:  # pixels (i, j) and (i + 1, j)
        lo, hi, fixed = float(b[i]), float(b[i + 1]), float(a[j])
    d_lo = bool(tmap.diverged[i, j])
    lg = tmap._opts["log"][axis]
    opts = {k: tmap._opts[k] for k in ("steps", "chunk", "workers", "executor")}
    for _ in range(8):
        width = abs(np.log(hi / lo)) if lg else abs(hi - lo)
        if not width > target:
            break
        xs = np.exp(np.linspace(np.log(lo), np.log(hi), 33)) if lg else np.linspace(lo, hi, 33)
        xs = xs[1:-1]
        if xs.size == 0 or np.all(xs == lo) or np.all(xs == hi):
            break  # float64 cannot split the bracket further
        other = np.full(xs.size, fixed)
        A, B = (xs, other) if axis == 0 else (other, xs)
        run = _run_points(
            tmap._model, tmap._theta0, tmap.kind, A, B, bound=float(tmap._opts["bound"]), **opts
        )
        flip = np.flatnonzero((run.outcome == DIVERGED) != d_lo)
        if flip.size == 0:
            lo = xs[-1]
        else:
            k = int(flip[0])
            hi = xs[k]
            lo = xs[k - 1] if k > 0 else lo
    mid = float(np.sqrt(lo * hi)) if lg else float((lo + hi) / 2)
    return (mid, float(fixed)) if axis == 0 else (float(fixed), mid)


def _correlation(div: Array) -> float:
    """Neighbour correlation of the outcomes (see :class:`ZoomSequence`)."""
    p = float(div.mean())
    a0 = p * p + (1 - p) * (1 - p)
    if a0 >= 1.0:
        return 1.0  # one outcome only: trivially correlated
    same = np.concatenate([(div[:, 1:] == div[:, :-1]).ravel(), (div[1:] == div[:-1]).ravel()])
    return float((same.mean() - a0) / (1 - a0))


def _measure(tmap: TrainabilityMap, largest: int) -> tuple[float, tuple[float, float]]:
    try:
        fit = tmap.dimension(smallest=2, largest=largest)
    except InvalidParameterError:
        return float("nan"), (float("nan"), float("nan"))
    return fit.value, fit.interval


def zoom_sequence(
    tmap: TrainabilityMap,
    depth: float = 1e10,
    factor: float = 10.0,
    *,
    threshold: float = 1.1,
    largest: int | None = None,
) -> ZoomSequence:
    r"""Zoom into a trainability map level by level, centred on the boundary each time, and
    measure the boundary dimension at every level.

    Parameters
    ----------
    tmap : TrainabilityMap
        The starting map (level 1); every level uses its pixels, budget and options.
    depth : float
        Deepest total zoom factor (``1e10``: windows down to :math:`10^{-10}` of the first).
    factor : float
        Zoom factor between levels.
    threshold : float
        The dimension compared with (``D > 1.1`` at every level).
    largest : int, optional
        Largest box side of the box count, in pixels (default: 1/8 of the map's side).

    Returns
    -------
    ZoomSequence
        The sequence stops early, saying why, when a window holds no boundary.
    """
    if not isinstance(tmap, TrainabilityMap):
        raise InvalidParameterError(f"tmap must be a TrainabilityMap; got {describe(tmap)}")
    F = check_positive_float("factor", factor)
    if not F > 1:
        raise InvalidParameterError(f"factor must be > 1; got {describe(factor)}")
    total = check_positive_float("depth", depth)
    if not total >= F:
        raise InvalidParameterError(f"depth must be >= factor ({F:g}); got {describe(depth)}")
    th = check_positive_float("threshold", threshold)
    n = min(tmap.diverged.shape)
    big = check_int("largest", largest if largest is not None else max(4, n // 8), minimum=3)
    levels = int(np.floor(np.log(total) / np.log(F) + 1e-9))
    maps = [tmap]
    zooms = [1.0]
    a, b = tmap.axes
    centers = [
        (
            float(np.sqrt(a[0] * a[-1])) if tmap._opts["log"][0] else float((a[0] + a[-1]) / 2),
            float(np.sqrt(b[0] * b[-1])) if tmap._opts["log"][1] else float((b[0] + b[-1]) / 2),
        )
    ]
    stopped = ""
    for _ in range(levels):
        cur = maps[-1]
        pair = _boundary_pair(cur.diverged)
        if pair is None:
            stopped = f"no boundary in the window at zoom {zooms[-1]:.0e}"
            break
        ax = cur.axes[pair[0]]
        pixel = np.log(ax[1] / ax[0]) if cur._opts["log"][pair[0]] else ax[1] - ax[0]
        c = _refine(cur, pair, abs(pixel) / (F * 8))
        maps.append(cur.zoom(c, F))
        zooms.append(zooms[-1] * F)
        centers.append(c)
    dims = [_measure(m, big) for m in maps]
    return ZoomSequence(
        zoom=np.asarray(zooms),
        centers=np.asarray(centers),
        dimension=np.asarray([d[0] for d in dims]),
        interval=np.asarray([d[1] for d in dims]),
        diverged_fraction=np.asarray([float(m.diverged.mean()) for m in maps]),
        ulps_per_pixel=np.asarray([m.ulps_per_pixel for m in maps]),
        neighbour_correlation=np.asarray([_correlation(m.diverged) for m in maps]),
        threshold=th,
        stopped=stopped,
        maps=tuple(maps),
    )
