r"""Basin fractions of each attractor across the step size, with attractors matched from one
:math:`\eta` to the next (docs/math/continuation.md).

At each :math:`\eta`, ``n_samples`` initialisations uniform in :math:`[-s, s]^P` are iterated
under the optimiser map.  A run ends on

* "diverged": it left :math:`\lVert x\rVert_\infty \le` ``div_threshold`` (or became non-finite);
* a period-:math:`k` attractor (:math:`k \le` ``max_period``): :math:`\lVert G^k(x) - x\rVert_\infty
  <` ``tol`` for the smallest such :math:`k`, with the :math:`k` points at least 1e-4 apart
  (relative), so that a slow spiral into a fixed point is not taken for a cycle;
* "undecided": neither within ``n_steps`` (never counted as converged or diverged).

Runs on the same attractor are grouped by single linkage of their final orbits (distance below
``link``; a continuum of minima forms one group per connected piece).  Groups are matched across
:math:`\eta` to the previous group of the same period whose points come nearest (distance below
``match``), as Attractors.jl matches by distance; otherwise they get a new label.  Each fraction
has its exact Clopper--Pearson interval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from .._results import ResultMixin, jsonable, plotted_by
from .._validation import check_batch, check_int, check_positive_float, check_seed
from ..numeric.kernels import numeric_model
from ..numeric.orbits.optimizer_map import bound_optimizer, optimizer_map
from .intervals import clopper_pearson

__all__ = ["AttractorFractions", "attractor_fractions"]

Array = NDArray[Any]


@dataclass(frozen=True)
class AttractorFractions(ResultMixin):
    r"""Fractions of initialisations ending on each attractor, per step size.

    Attributes
    ----------
    lrs : ndarray (L,)
    labels : list of str
        Attractor identities, consistent across ``lrs`` ("diverged", "undecided", and
        "period-k #j" for the j-th attractor of period k met).
    counts : ndarray (L, A) of int
    ci_low, ci_high : ndarray (L, A)
        Clopper--Pearson bounds of each fraction.
    n_samples : int
    confidence : float
    """

    lrs: NDArray[np.float64]
    labels: list[str]
    counts: NDArray[np.int64]
    ci_low: NDArray[np.float64]
    ci_high: NDArray[np.float64]
    n_samples: int
    confidence: float

    plot: ClassVar[Callable[..., Any]] = plotted_by("plot_attractor_fractions")

    @property
    def fractions(self) -> NDArray[np.float64]:
        return self.counts / self.n_samples

    def _table_(self) -> dict[str, Any]:
        rows: dict[str, list[Any]] = {k: [] for k in ("lr", "attractor", "count", "fraction")}
        rows.update({"ci_low": [], "ci_high": []})
        for i, lr in enumerate(self.lrs):
            for j, lab in enumerate(self.labels):
                rows["lr"].append(float(lr))
                rows["attractor"].append(lab)
                rows["count"].append(int(self.counts[i, j]))
                rows["fraction"].append(float(self.fractions[i, j]))
                rows["ci_low"].append(float(self.ci_low[i, j]))
                rows["ci_high"].append(float(self.ci_high[i, j]))
        return rows

    def summary(self) -> str:
        lines = [f"attractor fractions ({self.n_samples} samples per step size)"]
        for i, lr in enumerate(self.lrs):
            parts = [
                f"{lab} {self.fractions[i, j]:.3f} "
                f"[{self.ci_low[i, j]:.3f}, {self.ci_high[i, j]:.3f}]"
                for j, lab in enumerate(self.labels)
                if self.counts[i, j]
            ]
            lines.append(f"  lr={lr:g}: " + "; ".join(parts))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "lrs": jsonable(self.lrs),
            "labels": list(self.labels),
            "counts": jsonable(self.counts),
            "ci_low": jsonable(self.ci_low),
            "ci_high": jsonable(self.ci_high),
            "n_samples": self.n_samples,
            "confidence": self.confidence,
        }

    def __repr__(self) -> str:
        return f"AttractorFractions({self.lrs.size} step sizes, {len(self.labels)} attractors)"


def _groups(pts: Array, link: float) -> list[Array]:
    """Single-linkage components of the rows of ``pts`` (indices)."""
    n = len(pts)
    parent = np.arange(n)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    for i in range(n):
        d = np.abs(pts[i + 1 :] - pts[i]).max(axis=1) if i + 1 < n else np.empty(0)
        for j in np.nonzero(d < link)[0]:
            a, b = find(i), find(i + 1 + int(j))
            if a != b:
                parent[a] = b
    roots = np.array([find(i) for i in range(n)])
    return [np.nonzero(roots == r)[0] for r in np.unique(roots)]


def attractor_fractions(
    model: Any,
    lrs: Sequence[float],
    *,
    n_samples: int = 1000,
    seed: int = 0,
    init_scale: float = 2.0,
    theta0: Any = None,
    optimizer: Any = None,
    n_steps: int = 5000,
    max_period: int = 8,
    tol: float = 1e-8,
    link: float = 0.2,
    match: float = 0.5,
    div_threshold: float = 1e6,
    confidence: float = 0.95,
) -> AttractorFractions:
    r"""Basin fraction of each attractor at each step size (see the module text).

    ``theta0`` (B, P) replaces the uniform samples (then ``n_samples`` is B); buffers of the
    optimiser start at zero.

    Examples
    --------
    >>> import dynsys_gd as dg
    >>> af = dg.attractor_fractions(dg.LinearNetwork.scalar(2, 1.0), [0.5, 1.1], n_samples=200)
    >>> af.labels[:2]
    ['diverged', 'undecided']
    """
    n_samples = check_int("n_samples", n_samples, minimum=1)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    max_period = check_int("max_period", max_period, minimum=1)
    s = check_positive_float("init_scale", init_scale)
    tol = check_positive_float("tol", tol)
    link = check_positive_float("link", link)
    match = check_positive_float("match", match)
    seed_v = check_seed("seed", seed)
    lr_arr = np.array([check_positive_float("lrs", v) for v in lrs], dtype=np.float64)
    opt = bound_optimizer(model, optimizer)
    opt.require_autonomous("attractor fractions")
    fmap = optimizer_map(model, optimizer)
    P = fmap.dim
    rng = np.random.default_rng(seed_v)
    n_par = int(numeric_model(model).n_params)
    if theta0 is None:
        theta0 = rng.uniform(-s, s, size=(n_samples, n_par))
    else:
        theta0 = check_batch("theta0", theta0, n_par)
        n_samples = len(theta0)
    x0 = opt.fixed_state(theta0)  # buffers start at zero
    labels = ["diverged", "undecided"]
    reps: dict[str, Array] = {}
    rows: list[dict[str, int]] = []
    for lr in lr_arr:
        x, div = _iterate(fmap, x0, float(lr), n_steps, div_threshold)
        row = {"diverged": int(div.sum()), "undecided": 0}
        per, orb = _periods(fmap, x, float(lr), max_period, tol, div)
        row["undecided"] = int(((per == 0) & ~div).sum())
        new_reps: dict[str, Array] = {}
        for k in range(1, max_period + 1):
            idx = np.nonzero(per == k)[0]
            if idx.size == 0:
                continue
            # one point per cycle (the one with the smallest first coordinate), so that the k
            # phases of a cycle are one attractor
            first = np.argmin(orb[idx, :k, 0], axis=1)
            canon = orb[idx, first]
            for g in _groups(canon, link):
                pts = orb[idx[g], :k].reshape(-1, P)
                lab = _match(pts, k, reps, match, labels, set(new_reps))
                new_reps[lab] = pts
                row[lab] = row.get(lab, 0) + int(g.size)
        reps.update(new_reps)
        rows.append(row)
    counts = np.array([[r.get(lab, 0) for lab in labels] for r in rows], dtype=np.int64)
    lo = np.zeros(counts.shape)
    hi = np.zeros(counts.shape)
    for i, j in np.ndindex(*counts.shape):
        lo[i, j], hi[i, j] = clopper_pearson(int(counts[i, j]), n_samples, confidence)
    return AttractorFractions(lr_arr, labels, counts, lo, hi, n_samples, confidence)


def _iterate(fmap: Any, x0: Array, lr: float, n: int, thr: float) -> tuple[Array, Array]:
    x = x0.copy()
    div = np.zeros(len(x), dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(n):
            x = fmap.step(x, lr)
            div |= ~np.isfinite(x).all(axis=1) | (np.abs(x).max(axis=1) > thr)
            x[div] = 0.0
    return x, div


def _periods(
    fmap: Any, x: Array, lr: float, kmax: int, tol: float, div: Array, sep: float = 1e-4
) -> tuple[Array, Array]:
    """Smallest period k <= kmax with |G^k(x) - x| < tol (0: none), and the orbits (B, kmax, P)."""
    orb = np.empty((len(x), kmax, x.shape[1]))
    per = np.zeros(len(x), dtype=np.int64)
    y = x
    with np.errstate(all="ignore"):
        for k in range(1, kmax + 1):
            orb[:, k - 1] = y
            y = fmap.step(y, lr)
            scale = np.maximum(1.0, np.abs(x).max(axis=1))
            err = np.abs(y - x).max(axis=1)
            hit = (per == 0) & ~div & (err < tol * scale)
            if k > 1:  # a genuine k-cycle: its points are apart (not a slow spiral into a point)
                gaps = np.abs(orb[:, 1:k] - x[:, None, :]).max(axis=2).min(axis=1)
                hit &= gaps > sep * scale
            per[hit] = k
    return per, orb


def _match(
    pts: Array, k: int, reps: dict[str, Array], match: float, labels: list[str], taken: set[str]
) -> str:
    best, dist = None, match
    for lab, rp in reps.items():
        if lab in taken or not lab.startswith(f"period-{k} "):
            continue
        d = float(np.min(np.abs(pts[:, None, :] - rp[None, :, :]).max(axis=2)))
        if d < dist:
            best, dist = lab, d
    if best is None:
        n = sum(1 for lab in labels if lab.startswith(f"period-{k} "))
        best = f"period-{k} #{n + 1}"
        labels.append(best)
    return best
