r"""How fractal a basin boundary is, from a grid of labels (docs/math/basins.md).

* :func:`boundary_dimension`: box counting.  :math:`N(s)`, the number of ``s x s``-pixel boxes
  holding a boundary cell (a cell with a differently labelled neighbour), scales as
  :math:`s^{-D}`; ``D`` is the slope of :math:`\log N` against :math:`\log(1/s)`.
* :func:`uncertainty_exponent`: Grebogi, McDonald, Ott & Yorke (1983).  The fraction
  :math:`f(\varepsilon)` of cells whose label differs from that of a cell ``k`` pixels away
  along either axis (:math:`\varepsilon = k` pixels) scales as :math:`\varepsilon^{\alpha}`;
  :math:`D = d - \alpha` with :math:`d = 2`.
* :func:`basin_entropy`: Daza et al. (2016).  Tile the grid into boxes of ``box x box`` cells;
  :math:`S_i = -\sum_j p_{ij}\log p_{ij}` in box ``i``; :math:`S_b` is the mean over all boxes,
  :math:`S_{bb}` the mean over boxes with more than one label.  :math:`S_{bb} > \log 2` is a
  sufficient condition for a fractal boundary.
* :func:`fractal_test`: after Puy et al. (2021).  The mean entropy of random boundary discs of
  radius ``box`` is compared with its value for a straight (smooth) boundary, computed on the
  same pixel discs cut by random straight lines; "fractal" when the measured mean differs from
  it by more than ``z`` standard errors, either way (two-sided, as in Puy et al. and
  Attractors.jl's ``basins_fractal_test``).

Slopes are least-squares fits over the stated range of scales; the interval is the fit's 95 %
t-interval, which measures the scatter about a straight line, not the systematic error of the
fitting range (compare fits over sub-ranges before trusting a second digit).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._results import ResultMixin, jsonable
from .._validation import check_choice, check_int, check_positive_float, describe
from ..errors import InvalidParameterError

__all__ = [
    "BasinEntropy",
    "FractalTest",
    "ScalingFit",
    "basin_entropy",
    "boundary_dimension",
    "fractal_test",
    "uncertainty_exponent",
]

Array = NDArray[Any]


def _labels(basins: Any) -> Array:
    lab = getattr(basins, "labels", basins)
    arr = np.asarray(lab)
    if arr.ndim != 2 or min(arr.shape) < 8 or not np.issubdtype(arr.dtype, np.integer):
        raise InvalidParameterError(
            f"basins must be a BasinGrid or a 2-D integer array of at least 8 x 8 labels; got "
            f"{describe(basins)}"
        )
    return arr.astype(np.int64)


def _fit(x: Array, y: Array) -> tuple[float, float, tuple[float, float]]:
    """Least-squares slope, intercept and the slope's 95 % t-interval."""
    from scipy import stats

    res = stats.linregress(x, y)
    n = x.size
    half = float(stats.t.ppf(0.975, n - 2) * res.stderr) if n > 2 else float("nan")
    return float(res.slope), float(res.intercept), (res.slope - half, res.slope + half)


@dataclass(frozen=True, eq=False)
class ScalingFit(ResultMixin):
    r"""A power law fitted on a log-log plot.

    Attributes
    ----------
    kind : str
        ``"box-counting dimension"`` or ``"uncertainty exponent"``.
    value : float
        The fitted exponent (``D`` or :math:`\alpha`).
    interval : (float, float)
        95 % t-interval of the slope.
    scales : ndarray
        The scales used, in pixels (box sides, or offsets :math:`\varepsilon`).
    counts : ndarray
        :math:`N(s)` or :math:`f(\varepsilon)` at each scale.
    fit_range : (float, float)
        Smallest and largest scale fitted, in pixels.
    pixel : float
        Size of one pixel in the grid's first coordinate (1.0 for a bare array).
    intercept : float
        Intercept of the fitted line.
    method : str
        What made a box count (``"cells"`` or ``"mixed"``; empty for the uncertainty exponent).
    """

    kind: str
    value: float
    interval: tuple[float, float]
    scales: Array
    counts: Array
    fit_range: tuple[float, float]
    pixel: float = 1.0
    intercept: float = 0.0
    method: str = ""

    @property
    def alpha(self) -> float:
        """The uncertainty exponent :math:`\\alpha = 2 - D` (for either kind)."""
        return self.value if self.kind == "uncertainty exponent" else 2.0 - self.value

    @property
    def dimension(self) -> float:
        """The boundary dimension :math:`D = 2 - \\alpha` (for either kind)."""
        return self.value if self.kind == "box-counting dimension" else 2.0 - self.value

    def __repr__(self) -> str:
        lo, hi = self.interval
        return f"ScalingFit({self.kind} = {self.value:.3f} [{lo:.3f}, {hi:.3f}])"

    def summary(self) -> str:
        lo, hi = self.interval
        return (
            f"{self.kind}: {self.value:.3f} (95% fit interval [{lo:.3f}, {hi:.3f}]), fitted on "
            f"scales {self.fit_range[0]:g}-{self.fit_range[1]:g} pixels ({self.scales.size} "
            f"points{', boxes counted: ' + self.method if self.method else ''}); boundary "
            f"dimension D = {self.dimension:.3f}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def plot(self, ax: Any = None) -> Any:
        """The log-log data and the fitted line."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(4.5, 3.5))
        x = np.log(self.scales)
        sign = -1.0 if self.kind == "box-counting dimension" else 1.0
        ax.plot(x, np.log(self.counts), "o", label="measured")
        ax.plot(
            x, self.intercept + sign * self.value * x, "-", label=f"slope {sign * self.value:.3f}"
        )
        ax.set_xlabel("log scale (pixels)")
        ax.set_ylabel("log N(s)" if sign < 0 else "log f(eps)")
        ax.set_title(self.kind, fontsize=9)
        ax.legend(fontsize=8)
        return ax.figure


def _pixel(basins: Any) -> float:
    axes = getattr(basins, "axes", None)
    return 1.0 if axes is None else float(abs(axes[0][1] - axes[0][0]))


def _scales(n: int, smallest: int, largest: int | None) -> Array:
    hi = largest if largest is not None else max(smallest + 2, n // 32)
    s = np.unique(np.round(np.geomspace(smallest, hi, 10)).astype(np.int64))
    return s[(s >= 1) & (s <= n // 2)]


def _boundary_cells(lab: Array) -> Array:
    """Cells with a differently labelled neighbour along an axis (both cells of each pair)."""
    edge = np.zeros(lab.shape, dtype=bool)
    dv = lab[1:, :] != lab[:-1, :]
    dh = lab[:, 1:] != lab[:, :-1]
    edge[1:, :] |= dv
    edge[:-1, :] |= dv
    edge[:, 1:] |= dh
    edge[:, :-1] |= dh
    return edge


def _box_counts(lab: Array, sizes: Array, method: str) -> Array:
    """Boxes of each side (tiling from the corner, partial boxes dropped) that hold a boundary
    cell (``"cells"``) or more than one label (``"mixed"``)."""
    edge = _boundary_cells(lab) if method == "cells" else None
    counts = []
    for s in sizes:
        s = int(s)
        h, w = (lab.shape[0] // s) * s, (lab.shape[1] // s) * s
        if edge is not None:
            boxes = edge[:h, :w].reshape(h // s, s, w // s, s)
            counts.append(int(boxes.any(axis=(1, 3)).sum()))
        else:
            b = lab[:h, :w].reshape(h // s, s, w // s, s)
            counts.append(int(np.sum(b.min(axis=(1, 3)) != b.max(axis=(1, 3)))))
    return np.asarray(counts, dtype=np.float64)


def _explicit_scales(scales: Any, n: int, minimum: int) -> Array:
    arr = np.asarray(scales)
    ok = arr.ndim == 1 and arr.size >= 3 and np.issubdtype(arr.dtype, np.integer)
    if not ok or arr.min() < minimum or arr.max() > n // 2 or np.unique(arr).size != arr.size:
        raise InvalidParameterError(
            f"scales must be >= 3 distinct integer box sides in [{minimum}, {n // 2}]; got "
            f"{describe(scales)}"
        )
    return np.sort(arr.astype(np.int64))


def boundary_dimension(
    basins: Any,
    *,
    smallest: int = 2,
    largest: int | None = None,
    scales: Any = None,
    method: str = "cells",
) -> ScalingFit:
    r"""Box-counting dimension of the boundary between labels.

    Parameters
    ----------
    basins : BasinGrid or 2-D int array
    smallest, largest : int
        Box sides fitted, in pixels (default 2 to 1/32 of the shorter side; 10 sides spaced
        evenly in :math:`\log s`).
    scales : sequence of int, optional
        The box sides to fit instead (e.g. ``range(5, 31)``, Attractors.jl's range for the
        Newton map).
    method : {"cells", "mixed"}
        What makes a box count.  ``"cells"``: it holds a boundary cell (a cell with a
        differently labelled neighbour; the digital boundary is two cells thick, which biases
        :math:`D` up at small boxes).  ``"mixed"``: it holds more than one label, the count of
        Attractors.jl's ``basins_fractal_dimension`` (a box of ``s`` pixels spans only ``s - 1``
        pixel spacings, which biases :math:`D` down at small boxes: a straight line measures
        :math:`2 - s/(s - 1)` locally).

    Notes
    -----
    :math:`N(s) \propto s^{-D}` is fitted by least squares on :math:`(\log s, \log N)`;
    Attractors.jl's ``uncertainty_exponent`` is :math:`2 - D` of the ``"mixed"`` count.
    """
    lab = _labels(basins)
    m = check_choice("method", method, ("cells", "mixed"))
    check_int("smallest", smallest, minimum=2)
    if scales is not None:
        sizes = _explicit_scales(scales, min(lab.shape), 1 if m == "cells" else 2)
    else:
        sizes = _scales(min(lab.shape), smallest, largest)
    c = _box_counts(lab, sizes, m)
    ok = c > 0
    if ok.sum() < 3:
        raise InvalidParameterError("basins must have a boundary (>= 2 labels); got one label")
    slope, icpt, (lo, hi) = _fit(np.log(sizes[ok].astype(float)), np.log(c[ok]))
    return ScalingFit(
        "box-counting dimension",
        -slope,
        (-hi, -lo),
        sizes[ok].astype(float),
        c[ok],
        (float(sizes[ok][0]), float(sizes[ok][-1])),
        _pixel(basins),
        icpt,
        m,
    )


def uncertainty_exponent(
    basins: Any, *, smallest: int = 1, largest: int | None = None
) -> ScalingFit:
    r"""Uncertainty exponent :math:`\alpha` from the fraction of uncertain cells
    :math:`f(\varepsilon) \propto \varepsilon^\alpha` (:math:`\varepsilon` in pixels).

    A cell is uncertain at :math:`\varepsilon = k` when one of the cells ``k`` pixels away along
    either axis has another label; cells closer than ``largest`` to the edge are not counted, so
    every scale uses the same cells.
    """
    lab = _labels(basins)
    check_int("smallest", smallest, minimum=1)
    ks = _scales(min(lab.shape), smallest, largest)
    m = int(ks[-1])
    core = lab[m:-m, m:-m]
    H, W = core.shape
    fr = []
    for k in ks:
        k = int(k)
        unc = np.zeros_like(core, dtype=bool)
        for di, dj in ((k, 0), (-k, 0), (0, k), (0, -k)):
            unc |= lab[m + di : m + di + H, m + dj : m + dj + W] != core
        fr.append(float(unc.mean()))
    f = np.asarray(fr)
    ok = f > 0
    if ok.sum() < 3:
        raise InvalidParameterError("basins must have a boundary (>= 2 labels); got one label")
    slope, icpt, ci = _fit(np.log(ks[ok].astype(float)), np.log(f[ok]))
    return ScalingFit(
        "uncertainty exponent",
        slope,
        ci,
        ks[ok].astype(float),
        f[ok],
        (float(ks[ok][0]), float(ks[ok][-1])),
        _pixel(basins),
        icpt,
    )


def _entropy_rows(rows: Array, nlab: int) -> Array:
    """Gibbs entropy of each row of labels (labels 0..nlab-1)."""
    out = np.zeros(rows.shape[0])
    for v in range(nlab):
        p = (rows == v).mean(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out -= np.where(p > 0, p * np.log(p), 0.0)
    return out


@dataclass(frozen=True, eq=False)
class BasinEntropy(ResultMixin):
    """Basin entropy :math:`S_b` and boundary basin entropy :math:`S_{bb}` (Daza et al. 2016).

    Attributes
    ----------
    sb, sbb : float
        Mean box entropy over all boxes, and over the boxes holding more than one label.
    box : int
        Box side in pixels.
    n_boxes, n_boundary : int
        Boxes in all and boxes on the boundary.
    entropies : ndarray
        The entropy of every box (for the histogram of :meth:`plot`).
    """

    sb: float
    sbb: float
    box: int
    n_boxes: int
    n_boundary: int
    entropies: Array

    @property
    def log2_criterion(self) -> bool:
        """:math:`S_{bb} > \\log 2`: a sufficient condition for a fractal boundary."""
        return bool(self.sbb > np.log(2.0))

    def __repr__(self) -> str:
        return f"BasinEntropy(sb={self.sb:.4f}, sbb={self.sbb:.4f}, box={self.box})"

    def summary(self) -> str:
        return (
            f"basin entropy S_b = {self.sb:.4f}, boundary basin entropy S_bb = {self.sbb:.4f} "
            f"(boxes of {self.box} x {self.box} cells, {self.n_boundary} of {self.n_boxes} on "
            f"the boundary); S_bb > log 2: {self.log2_criterion}"
        )

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}
        d.pop("entropies")
        return d

    def plot(self, ax: Any = None) -> Any:
        """Histogram of the boundary boxes' entropies, with :math:`S_{bb}` and log 2."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(4.5, 3.5))
        e = self.entropies[self.entropies > 0]
        ax.hist(e, bins=30)
        ax.axvline(self.sbb, color="k", label=f"S_bb = {self.sbb:.3f}")
        ax.axvline(np.log(2), color="r", ls="--", label="log 2")
        ax.set_xlabel("box entropy")
        ax.legend(fontsize=8)
        return ax.figure


def basin_entropy(basins: Any, box: int = 5) -> BasinEntropy:
    """:math:`S_b` and :math:`S_{bb}` on boxes of ``box x box`` cells (natural log)."""
    lab = _labels(basins)
    s = check_int("box", box, minimum=2, maximum=min(lab.shape) // 2)
    _, inv = np.unique(lab, return_inverse=True)
    inv = inv.reshape(lab.shape)
    h, w = (lab.shape[0] // s) * s, (lab.shape[1] // s) * s
    rows = inv[:h, :w].reshape(h // s, s, w // s, s).transpose(0, 2, 1, 3).reshape(-1, s * s)
    ent = _entropy_rows(rows, int(inv.max()) + 1)
    nb = int(np.sum(rows.min(axis=1) != rows.max(axis=1)))
    return BasinEntropy(
        float(ent.mean()), float(ent.sum() / nb) if nb else 0.0, s, int(ent.size), nb, ent
    )


@dataclass(frozen=True, eq=False)
class FractalTest(ResultMixin):
    r"""Fractal or smooth, from the boundary entropy of random discs (after Puy et al. 2021).

    Attributes
    ----------
    verdict : str
        ``"fractal"`` or ``"smooth"``.
    statistic : float
        :math:`z = (\bar S - \bar S_0)/\sqrt{s^2/n + s_0^2/n_0}`: the measured mean disc
        entropy :math:`\bar S` against its value :math:`\bar S_0` for straight boundaries.
    sbb, sbb_smooth : float
        :math:`\bar S` and :math:`\bar S_0`.
    threshold : float
        The verdict is "fractal" when ``|statistic| > threshold``: a mean above the straight-line
        value means discs mixed more evenly than by a line (interleaved basins), one below means
        thin fingers or filaments at the disc scale; both are structure a smooth boundary does
        not have at that scale.
    radius, n_discs : int
    entropies, smooth_entropies : ndarray
    """

    verdict: str
    statistic: float
    sbb: float
    sbb_smooth: float
    threshold: float
    radius: int
    n_discs: int
    entropies: Array
    smooth_entropies: Array

    def __repr__(self) -> str:
        return f"FractalTest({self.verdict!r}, z={self.statistic:.2f})"

    def summary(self) -> str:
        return (
            f"{self.verdict}: mean boundary-disc entropy {self.sbb:.4f} against "
            f"{self.sbb_smooth:.4f}"
            f" for a straight boundary, z = {self.statistic:.2f} (threshold {self.threshold:g}; "
            f"{self.n_discs} discs of radius {self.radius} pixels)"
        )

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}
        d.pop("entropies")
        d.pop("smooth_entropies")
        return d

    def plot(self, ax: Any = None) -> Any:
        """Histograms of the disc entropies, measured and for straight boundaries."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(4.5, 3.5))
        bins = np.linspace(0, max(np.log(3), float(self.entropies.max())), 30)
        ax.hist(self.smooth_entropies, bins=bins, alpha=0.5, density=True, label="straight")
        ax.hist(self.entropies, bins=bins, alpha=0.5, density=True, label="measured")
        ax.set_xlabel("disc entropy")
        ax.set_title(f"{self.verdict} (z = {self.statistic:.1f})", fontsize=9)
        ax.legend(fontsize=8)
        return ax.figure


def _disc(r: int) -> tuple[Array, Array]:
    i, j = np.mgrid[-r : r + 1, -r : r + 1]
    inside = i * i + j * j <= r * r
    return i[inside], j[inside]


def _smooth_reference(r: int, n: int, rng: np.random.Generator) -> Array:
    """Entropies of pixel discs of radius r cut by random straight lines (cut discs only)."""
    di, dj = _disc(r)
    out: list[Array] = []
    while sum(o.size for o in out) < n:
        th = rng.uniform(0, np.pi, 4 * n)
        off = rng.uniform(-r - 1, r + 1, 4 * n)
        side = (np.cos(th)[:, None] * di[None, :] + np.sin(th)[:, None] * dj[None, :]) > off[
            :, None
        ]
        rows = side.astype(np.int64)
        cut = rows.min(axis=1) != rows.max(axis=1)
        out.append(_entropy_rows(rows[cut], 2))
    return np.concatenate(out)[:n]


def fractal_test(
    basins: Any, box: int = 20, *, n_discs: int = 1000, threshold: float = 3.0, seed: int = 0
) -> FractalTest:
    r"""Decide "fractal" or "smooth" at the scale of discs of radius ``box`` pixels.

    Discs are centred at random cells whose disc holds more than one label; their mean entropy
    is compared with that of the same pixel discs cut by straight lines at random angles and
    offsets, and the boundary is "fractal" when they differ by more than ``threshold``
    standard errors either way.  The answer refers to the scale ``box``: a smooth boundary
    curved within one disc (a radius of curvature near ``box`` pixels lowers the mean), or a
    fractal whose structure is finer than a pixel, can mislead it.
    """
    lab = _labels(basins)
    r = check_int("box", box, minimum=2, maximum=min(lab.shape) // 2 - 1)
    n = check_int("n_discs", n_discs, minimum=30)
    z0 = check_positive_float("threshold", threshold)
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    _, inv = np.unique(lab, return_inverse=True)
    inv = inv.reshape(lab.shape)
    di, dj = _disc(r)
    H, W = lab.shape
    ents: list[Array] = []
    tries = 0
    while sum(e.size for e in ents) < n and tries < 50:
        tries += 1
        ci = rng.integers(r, H - r, 4 * n)
        cj = rng.integers(r, W - r, 4 * n)
        rows = inv[ci[:, None] + di[None, :], cj[:, None] + dj[None, :]]
        cut = rows.min(axis=1) != rows.max(axis=1)
        ents.append(_entropy_rows(rows[cut], int(inv.max()) + 1))
    e = np.concatenate(ents)[:n] if ents else np.zeros(0)
    if e.size < 30:
        raise InvalidParameterError("basins must have a boundary (>= 2 labels); got one label")
    ref = _smooth_reference(r, 4 * n, rng)
    se = np.sqrt(e.var(ddof=1) / e.size + ref.var(ddof=1) / ref.size)
    z = float((e.mean() - ref.mean()) / se)
    return FractalTest(
        "fractal" if abs(z) > z0 else "smooth",
        z,
        float(e.mean()),
        float(ref.mean()),
        z0,
        r,
        int(e.size),
        e,
        ref,
    )
