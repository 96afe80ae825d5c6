r"""Basins of attraction on a grid, for any map or a model with its step size
(docs/math/basins.md).

:func:`basins_of_attraction` iterates every cell of a grid side by side
(:mod:`~dynsys_gd.analysis.pixel_steps`): for an :class:`~dynsys_gd.IteratedMap` the map itself,
for a model the GD step :math:`\theta \leftarrow \theta - \eta\,q \odot \nabla L(\theta)` on the
model's compiled column gradient (``q`` the per-parameter factors of the optimiser: 1 for GD,
the layer factors :math:`r_k` of ``LayerwiseGD``), fused with the recurrence tests in one
compiled loop per chunk for scalar and linear networks and polynomial losses
(:mod:`~dynsys_gd.analysis.pixel_gd`, the same bits as the numpy step).  Each cell is labelled
by the attractor its orbit reached, found by recurrence and then grouped: fixed points are
clustered by their limits (for a model, minima and saddles apart, the minima of a linear network
by the component of the set of minima), period-k orbits by a phase-independent point of the
orbit; divergence and undecided runs get labels of their own and are never mixed with the
attractors.
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
from ..numeric.engine.outcomes import Outcome
from .basins import Attractor, _clusters, label_attractors
from .pixel_steps import CONVERGED, DIVERGED, PERIODIC, PixelRun, iterate_pixels

__all__ = ["DIVERGED_LABEL", "UNDECIDED_LABEL", "BasinGrid", "basins_of_attraction"]

Array = NDArray[Any]

#: label of cells whose orbit diverged
DIVERGED_LABEL = -1
#: label of cells whose orbit settled on nothing within the budget
UNDECIDED_LABEL = -2


@dataclass(frozen=True, eq=False)
class BasinGrid(ResultMixin):
    r"""Attractor labels on a 2-D grid.

    Attributes
    ----------
    axes : tuple of ndarray
        The grid coordinates ``(a, b)``: ``labels[i, j]`` belongs to ``(a[j], b[i])``.
    labels : ndarray of int64, shape (len(b), len(a))
        Index into ``attractors``; :data:`DIVERGED_LABEL` (-1) diverged, :data:`UNDECIDED_LABEL`
        (-2) undecided within the budget.
    period : ndarray of int64
        Period of the attractor reached (0 for diverged or undecided cells).
    steps : ndarray of int64
        Step at which each cell's run was classified.
    attractors : tuple of Attractor
        The attractors found.
    system : str
        What was iterated.
    budget : int
        Step budget per cell.
    """

    axes: tuple[Array, Array]
    labels: Array
    period: Array
    steps: Array
    attractors: tuple[Attractor, ...]
    system: str
    budget: int

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.labels.shape[0]), int(self.labels.shape[1]))

    def fractions(self) -> dict[str, float]:
        """Fraction of cells per attractor name, plus "diverged" and "undecided"."""
        n = self.labels.size
        out = {t.name: float(np.sum(self.labels == t.label)) / n for t in self.attractors}
        out["diverged"] = float(np.sum(self.labels == DIVERGED_LABEL)) / n
        out["undecided"] = float(np.sum(self.labels == UNDECIDED_LABEL)) / n
        return out

    def divergence_map(self) -> BasinGrid:
        """The same grid with two labels: 0 (did not diverge) and -1 (diverged): the
        converging/diverging boundary the fractal measures of a trainability map look at."""
        lab = np.where(self.labels == DIVERGED_LABEL, DIVERGED_LABEL, 0)
        keep = Attractor(0, "not diverged", 0, np.zeros(0), int(np.sum(lab == 0)))
        return dataclasses.replace(self, labels=lab, attractors=(keep,))

    def __repr__(self) -> str:
        return (
            f"BasinGrid({self.shape[0]}x{self.shape[1]}, {len(self.attractors)} attractors, "
            f"{self.system})"
        )

    def summary(self) -> str:
        a, b = self.axes
        lines = [
            f"Basins of {self.system}: grid {self.shape[1]} x {self.shape[0]}, "
            f"a in [{a[0]:g}, {a[-1]:g}], b in [{b[0]:g}, {b[-1]:g}], budget {self.budget} steps"
        ]
        lines += [f"  {k}: {v:.4f} of the cells" for k, v in self.fractions().items()]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def _table_(self) -> dict[str, Any]:
        A, B = np.meshgrid(*self.axes)
        return {
            "a": A.ravel(),
            "b": B.ravel(),
            "label": self.labels.ravel(),
            "period": self.period.ravel(),
            "steps": self.steps.ravel(),
        }

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """The labels as an image (diverged white, undecided grey)."""
        import matplotlib.pyplot as plt
        from matplotlib.colors import ListedColormap

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 4.5))
        k = max(1, len(self.attractors))
        base = plt.get_cmap("tab10")
        colours = ["white", "0.6"] + [base(i % 10) for i in range(k)]
        img = np.where(self.labels == DIVERGED_LABEL, 0, np.where(self.labels < 0, 1, 0))
        img = np.where(self.labels >= 0, self.labels + 2, img)
        a, b = self.axes
        ax.imshow(
            img,
            origin="lower",
            extent=(a[0], a[-1], b[0], b[-1]),
            cmap=ListedColormap(colours),
            vmin=-0.5,
            vmax=k + 1.5,
            interpolation="nearest",
            aspect="auto",
            **kwargs,
        )
        ax.set_title(f"basins of {self.system} (white: diverged, grey: undecided)", fontsize=9)
        return ax.figure


def _axes(grid: Any) -> tuple[Array, Array]:
    if not isinstance(grid, tuple | list) or len(grid) != 2:
        raise InvalidParameterError(
            f"grid must be a pair (a, b) of 1-D coordinate arrays; got {describe(grid)}"
        )
    out = []
    for name, g in zip(("grid[0]", "grid[1]"), grid, strict=True):
        arr = np.asarray(g, dtype=np.float64)
        if arr.ndim != 1 or arr.size < 2 or not np.all(np.isfinite(arr)):
            raise InvalidParameterError(
                f"{name} must be a finite 1-D array of >= 2 coordinates; got {describe(g)}"
            )
        out.append(arr)
    return out[0], out[1]


def _plane_points(
    a: Array, b: Array, dim: int, plane: Any
) -> tuple[Array, Array | None, Array | None, Array | None]:
    """Columns ``(dim, n)`` of the grid points, row-major over (b, a)."""
    A, B = np.meshgrid(a, b)
    if plane is None:
        if dim != 2:
            raise InvalidParameterError(
                f"plane must be given as (center, u, v) for a system of dimension {dim}; got None"
            )
        return np.stack([A.ravel(), B.ravel()]), None, None, None
    c, u, v = (np.asarray(p, dtype=np.float64).ravel() for p in plane)
    if c.size != dim or u.size != dim or v.size != dim:
        raise InvalidParameterError(
            f"plane must be (center, u, v), each of length {dim}; got {describe(plane)}"
        )
    pts = c[:, None] + u[:, None] * A.ravel()[None, :] + v[:, None] * B.ravel()[None, :]
    return pts, c, u, v


def _cycle_points(step: Any, x: Array, aux: Array, period: Array) -> Array:
    """A phase-independent point of each cycle: the orbit point with the smallest first
    coordinate (``x`` columns are points of the orbits)."""
    best = x.copy()
    for p in np.unique(period):
        cols = np.flatnonzero(period == p)
        cur = x[:, cols]
        b = cur.copy()
        for _ in range(int(p) - 1):
            with np.errstate(all="ignore"):
                cur = step(cur, aux[:, cols])
            smaller = cur[0] < b[0]
            b[:, smaller] = cur[:, smaller]
        best[:, cols] = b
    return best


def _label_map(
    run: PixelRun, step: Any, aux: Array, user: Any
) -> tuple[Array, tuple[Attractor, ...]]:
    """Attractor labels for a map: clusters of fixed points, then of cycles (or the user's
    reference points, each fixed point going to the nearest)."""
    n = run.outcome.size
    labels = np.full(n, UNDECIDED_LABEL, dtype=np.int64)
    labels[run.outcome == DIVERGED] = DIVERGED_LABEL
    attractors: list[Attractor] = []
    if user is not None:
        ref = np.atleast_2d(np.asarray(user, dtype=np.float64))
        ok = np.flatnonzero(run.outcome == CONVERGED)
        dist = np.linalg.norm(run.x.T[ok][:, None, :] - ref[None, :, :], axis=2)
        labels[ok] = np.argmin(dist, axis=1)
        for i, r in enumerate(ref):
            attractors.append(Attractor(i, "fixed point", 1, r.copy(), int(np.sum(labels == i))))
        return labels, tuple(attractors)
    reached = (run.outcome == CONVERGED) | (run.outcome == PERIODIC)
    pts = run.x.T
    scale = float(np.median(np.linalg.norm(pts[reached], axis=1))) if reached.any() else 1.0
    eps = 1e-3 * max(1.0, scale)
    groups = (("fixed point", run.outcome == CONVERGED), ("cycle", run.outcome == PERIODIC))
    for kind, mask in groups:
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            continue
        key = pts[idx]
        if kind == "cycle":
            key = _cycle_points(step, run.x[:, idx], aux[:, idx], run.period[idx]).T
            key = np.hstack([key, 1e3 * eps * run.period[idx, None].astype(np.float64)])
        cl = _clusters(key, eps)
        for c in range(int(cl.max()) + 1):
            members = idx[cl == c]
            lab = len(attractors)
            labels[members] = lab
            rep = np.median(key[cl == c][:, : pts.shape[1]], axis=0)
            per = int(run.period[members[0]])
            attractors.append(Attractor(lab, kind, per, rep, int(members.size)))
    return labels, tuple(attractors)


def _model_step(model: Any, optimizer: Any, lr: float) -> tuple[Any, Array, str]:
    """The GD (or layer-wise GD) step on the model's compiled column gradient."""
    from ..numeric.engine.lanes import lane_model
    from ..numeric.orbits.optimizer_map import bound_optimizer

    lm = lane_model(model)
    if lm is None:
        raise InvalidParameterError(
            f"model must have a compiled kernel (linear network, polynomial loss, MLP); got "
            f"{describe(model)}"
        )
    opt = bound_optimizer(model, optimizer)
    q = np.asarray(getattr(opt, "q", np.ones(lm.n_params)), dtype=np.float64)
    if q.size != lm.n_params or type(opt).__name__ not in ("GD", "LayerwiseGD"):
        raise InvalidParameterError(
            "optimizer must be None, GD or LayerwiseGD for basins on a grid; got "
            f"{describe(optimizer)}"
        )
    from .pixel_gd import GDStep

    return GDStep(lm, lr * q), np.zeros((0, 1)), f"GD at lr = {lr:g}"


def basins_of_attraction(
    system: Any,
    grid: Any,
    lr: float | None = None,
    optimizer: Any = None,
    *,
    plane: Any = None,
    p: float | None = None,
    attractors: Any = None,
    steps: int = 1000,
    check_every: int = 20,
    max_period: int = 8,
    tol: float = 1e-10,
    bound: float = 1e8,
    chunk: int = 65536,
    workers: int = 1,
    executor: Any = None,
) -> BasinGrid:
    r"""Label every cell of a 2-D grid by the attractor its orbit reaches.

    Parameters
    ----------
    system : IteratedMap or model
        A map :math:`f(x)` (or :math:`f(x, p)` with ``p`` given), vectorised on the last axis; or
        a model (linear network, polynomial loss, MLP) iterated by GD at step size ``lr``.
    grid : (ndarray, ndarray)
        Coordinates ``(a, b)``; cell ``(i, j)`` starts at ``(a[j], b[i])`` (dimension 2) or at
        ``center + a[j] u + b[i] v`` with ``plane=(center, u, v)``.
    lr : float
        Step size (models only).
    optimizer : GD or LayerwiseGD, optional
        The optimiser of a model (None: GD).
    attractors : array_like (k, d), optional
        Known fixed points: every converged cell is labelled by the nearest one instead of
        finding the attractors by clustering.
    steps, check_every, max_period, tol, bound, chunk, workers, executor
        See :func:`~dynsys_gd.analysis.pixel_steps.iterate_pixels`.  The result is
        bit-identical for every ``chunk``, ``workers`` and executor (threads, Dask).

    Returns
    -------
    BasinGrid
    """
    from ..models.iterated_map import IteratedMap

    a, b = _axes(grid)
    eta = 0.0
    nsteps = check_int("steps", steps, minimum=1)
    check_int("check_every", check_every, minimum=1)
    check_int("max_period", max_period, minimum=1, maximum=64)
    check_positive_float("tol", tol)
    check_positive_float("bound", bound)
    check_int("chunk", chunk, minimum=1)
    check_int("workers", workers, minimum=1)
    if isinstance(system, IteratedMap):
        if lr is not None or optimizer is not None:
            raise InvalidParameterError(
                f"lr and optimizer must be None for an IteratedMap; got lr={lr!r}"
            )
        fmap = (
            system if not system.has_parameter else system.at(float(p) if p is not None else np.nan)
        )
        if system.has_parameter and p is None:
            raise InvalidParameterError("p must be given for a map f(x, p); got None")
        f = fmap.f

        def step(x: Array, aux: Array) -> Array:
            return np.asarray(f(x.T), dtype=np.float64).T

        dim, aux = system.dim, np.zeros((0, 1))
        what = repr(system)
        x0, *_ = _plane_points(a, b, dim, plane)
    else:
        if lr is None:
            raise InvalidParameterError("lr must be a float > 0 for a model; got None")
        eta = check_positive_float("lr", lr)
        step, aux, what = _model_step(system, optimizer, eta)
        from ..numeric.kernels import numeric_model

        dim = int(numeric_model(system).n_params)
        x0, *_ = _plane_points(a, b, dim, plane)
    n = x0.shape[1]
    aux = np.zeros((0, n))
    run = iterate_pixels(
        step,
        x0,
        aux=aux,
        steps=nsteps,
        check_every=check_every,
        max_period=max_period,
        tol=tol,
        bound=bound,
        chunk=chunk,
        workers=workers,
        executor=executor,
    )
    if isinstance(system, IteratedMap):
        labels, found = _label_map(run, step, aux, attractors)
    else:
        labels, found = _label_model(system, run, eta, step, aux)
    shape = (b.size, a.size)
    return BasinGrid(
        axes=(a, b),
        labels=labels.reshape(shape),
        period=run.period.reshape(shape),
        steps=run.steps.reshape(shape),
        attractors=found,
        system=what,
        budget=nsteps,
    )


def _label_model(
    model: Any, run: PixelRun, lr: float, step: Any, aux: Array
) -> tuple[Array, tuple[Attractor, ...]]:
    """Labels for a model: minima components, saddles and cycles as in
    :func:`~dynsys_gd.analysis.basins.label_attractors`."""
    from ..numeric.kernels import numeric_model

    m = numeric_model(model)
    theta = np.ascontiguousarray(run.x.T)
    outcome = np.where(
        run.outcome == CONVERGED,
        Outcome.CONVERGED.code,
        np.where(run.outcome == PERIODIC, Outcome.PERIODIC.code, Outcome.UNDECIDED.code),
    ).astype(np.int8)
    outcome[run.outcome == DIVERGED] = Outcome.DIVERGED.code
    at_min = np.zeros(theta.shape[0], dtype=bool)
    conv = np.flatnonzero(run.outcome == CONVERGED)
    for s in range(0, conv.size, 65536):
        rows = conv[s : s + 65536]
        H = np.asarray(m.hessian(theta[rows]), dtype=np.float64)
        at_min[rows] = np.linalg.eigvalsh(H)[:, 0] >= -1e-8 * np.maximum(
            1.0, np.abs(np.linalg.eigvalsh(H)[:, -1])
        )
    labels, found = label_attractors(model, theta, outcome, at_min, run.period, lr)
    labels = np.where(run.outcome == DIVERGED, DIVERGED_LABEL, labels)
    labels = np.where((labels < 0) & (run.outcome != DIVERGED), UNDECIDED_LABEL, labels)
    return labels, found
