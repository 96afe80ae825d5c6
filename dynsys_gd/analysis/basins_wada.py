r"""The Wada property of basins on a grid, by the merging method (docs/math/basins.md).

Three or more basins have the Wada property when they share one boundary: every boundary
point is on the boundary of every basin.  Daza, Wagemakers & Sanjuán (*Ascertaining when a
basin is Wada: the merging method*, Sci. Rep. 8, 9954, 2018) observe that merging all basins
but one leaves a Wada boundary unchanged.  So for each basin :math:`k` the grid is split into
:math:`B_k` and the union of the others, its boundary :math:`\partial_k` is taken (the cells
with a 4-neighbour on the other side), and the boundaries are compared pairwise: the fraction
:math:`f_{kj}` of the cells of :math:`\partial_j` farther than ``r`` pixels (taxicab distance)
from :math:`\partial_k`.  For Wada basins every :math:`f_{kj}` vanishes at a small ``r``; for
ordinary basins some boundary runs between two basins only, and the cells along it are far
from the third basin's boundary.

The answer is about the grid: a resolution too coarse to show the third basin near a
boundary makes Wada basins look ordinary, and ``r`` sets the scale below which boundaries
count as one.  It needs at least three basins.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._results import ResultMixin, jsonable
from .._validation import check_int, check_probability
from ..errors import InvalidParameterError
from .fractal import _boundary_cells, _labels

__all__ = ["WadaTest", "wada_test"]

Array = NDArray[Any]


@dataclass(frozen=True, eq=False)
class WadaTest(ResultMixin):
    r"""Result of the merging test for the Wada property.

    Attributes
    ----------
    verdict : str
        ``"Wada"`` when every fraction is at most ``tolerance``, else ``"not Wada"``.
    max_fraction : float
        :math:`\max_{k \ne j} f_{kj}`.
    fractions : ndarray (m, m)
        :math:`f_{kj}`: fraction of the cells of boundary ``j`` farther than ``r`` pixels from
        boundary ``k`` (0 on the diagonal).
    basins : ndarray
        The labels tested, in the order of ``fractions``.
    r : int
        Distance (pixels, taxicab) within which two boundaries count as one.
    tolerance : float
    boundaries : ndarray of bool (m, H, W)
        The merged boundaries (for :meth:`plot`).
    """

    verdict: str
    max_fraction: float
    fractions: Array
    basins: Array
    r: int
    tolerance: float
    boundaries: Array = dataclasses.field(repr=False)

    def __repr__(self) -> str:
        return f"WadaTest({self.verdict!r}, max fraction {self.max_fraction:.4f}, r={self.r})"

    def summary(self) -> str:
        return (
            f"{self.verdict}: at most {self.max_fraction:.4f} of a merged boundary lies more than "
            f"{self.r} pixels from another (tolerance {self.tolerance:g}; {self.basins.size} "
            f"basins, merging method)"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            f.name: jsonable(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name != "boundaries"
        }

    def plot(self, ax: Any = None) -> Any:
        """The merged boundaries, one colour each (where they overlap the last one drawn)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 4.5))
        base = plt.get_cmap("tab10")
        img = np.ones((*self.boundaries.shape[1:], 3))
        for k, b in enumerate(self.boundaries):
            img[b] = base(k % 10)[:3]
        ax.imshow(img, origin="lower", interpolation="nearest")
        ax.set_title(f"merged boundaries: {self.verdict} (max {self.max_fraction:.3f})", fontsize=9)
        return ax.figure


def _distance_to(mask: Array) -> Array:
    """Taxicab distance of every cell to the nearest cell of ``mask``."""
    from scipy import ndimage

    if not mask.any():
        return np.full(mask.shape, np.inf)
    return np.asarray(ndimage.distance_transform_cdt(~mask, metric="taxicab"), dtype=np.float64)


def wada_test(basins: Any, r: int = 5, *, labels: Any = None, tolerance: float = 0.01) -> WadaTest:
    r"""Test the Wada property by merging basins (Daza, Wagemakers & Sanjuán 2018).

    Parameters
    ----------
    basins : BasinGrid or 2-D int array
    r : int
        Two boundaries are the same when each cell of one is within ``r`` pixels (taxicab) of
        the other.
    labels : sequence of int, optional
        The basins to test (default: every label present; pass the attractors' labels to leave
        out diverged or undecided cells, which then count as part of "the others").
    tolerance : float
        Largest fraction of far cells still called "Wada" (numerical noise on the grid).

    Returns
    -------
    WadaTest
    """
    lab = _labels(basins)
    rr = check_int("r", r, minimum=0)
    tol = check_probability("tolerance", tolerance, open_interval=False)
    ids = np.unique(lab) if labels is None else np.unique(np.asarray(labels, dtype=np.int64))
    present = np.isin(ids, lab)
    if ids.size < 3 or not present.all():
        raise InvalidParameterError(
            f"labels must name >= 3 basins present on the grid; got {ids.tolist()}"
        )
    bnd = np.stack([_boundary_cells((lab == k).astype(np.int64)) for k in ids])
    dist = [_distance_to(b) for b in bnd]
    m = ids.size
    frac = np.zeros((m, m))
    for k in range(m):
        for j in range(m):
            if k != j and bnd[j].any():
                frac[k, j] = float(np.mean(dist[k][bnd[j]] > rr))
    worst = float(frac.max())
    return WadaTest("Wada" if worst <= tol else "not Wada", worst, frac, ids, rr, tol, bnd)
