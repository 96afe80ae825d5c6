r"""Continuation in the step size: branches of fixed points and period-:math:`k` orbits of an
optimiser map (or any parametric map), their bifurcations with normal forms, and flip curves in
two parameters (docs/math/continuation.md).

For GD on a model, the sharp transition at :math:`\eta^*` is a flip of the map in the normal
direction of the minima manifold; past it GD trains along the period-2 orbits born there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from .._results import ResultMixin, jsonable, plotted_by
from .._validation import check_int, check_positive_float, describe
from ..errors import InvalidParameterError
from ..models.iterated_map import IteratedMap
from ..numeric.orbits.continuation import (
    ContinuationBranch,
    LocatedBifurcation,
    _locate,
    continue_branch,
    switch_at_flip,
)
from ..numeric.orbits.optimizer_map import bound_optimizer, optimizer_map

__all__ = ["ContinuationResult", "FlipCurve", "continue_orbits", "flip_curve"]

Array = NDArray[Any]


@dataclass(frozen=True)
class ContinuationResult(ResultMixin):
    r"""Branches continued across a parameter range and the bifurcations found on them.

    Attributes
    ----------
    branches : list of ContinuationBranch
        Each with ``.period``, ``.params``, ``.states`` (one point of the orbit per row),
        ``.stable`` and ``.points`` (with ``.multipliers``).
    bifurcations : list of LocatedBifurcation
        ``.kind`` ("flip", "fold", "neimark-sacker"), ``.param``, ``.period``, ``.x``,
        ``.coefficient`` (flip normal-form coefficient) and ``.supercritical`` (flips).
    param_range : (float, float)
    """

    branches: list[ContinuationBranch]
    bifurcations: list[LocatedBifurcation]
    param_range: tuple[float, float]

    plot: ClassVar[Callable[..., Any]] = plotted_by("plot_continuation")

    def flips(self) -> list[LocatedBifurcation]:
        """The flips, by increasing distance along the cascade (period, then parameter)."""
        return sorted(
            (b for b in self.bifurcations if b.kind == "flip"), key=lambda b: (b.period, b.param)
        )

    def summary(self) -> str:
        lines = [
            f"continuation over p in [{self.param_range[0]:g}, {self.param_range[1]:g}]: "
            f"{len(self.branches)} branches, {len(self.bifurcations)} bifurcations"
        ]
        for b in self.bifurcations:
            extra = ""
            if b.kind == "flip" and b.coefficient is not None:
                crit = "supercritical" if b.supercritical else "subcritical"
                extra = f", normal-form coefficient {b.coefficient:.6g} ({crit})"
            lines.append(f"  {b.kind} of the period-{b.period} branch at p = {b.param:.15g}{extra}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "param_range": list(self.param_range),
            "branches": [
                {
                    "period": br.period,
                    "params": jsonable(br.params),
                    "states": jsonable(br.states),
                    "stable": jsonable(br.stable),
                }
                for br in self.branches
            ],
            "bifurcations": [
                {
                    "kind": b.kind,
                    "param": b.param,
                    "period": b.period,
                    "x": jsonable(b.x),
                    "coefficient": b.coefficient,
                    "supercritical": b.supercritical,
                }
                for b in self.bifurcations
            ],
        }

    def __repr__(self) -> str:
        kinds = ", ".join(f"{b.kind}@{b.param:.6g}" for b in self.bifurcations)
        return f"ContinuationResult({len(self.branches)} branches; {kinds})"


def as_parametric_map(system: Any, optimizer: Any = None) -> IteratedMap:
    """``system`` as a map in its parameter: an IteratedMap f(x, p) as is, a model as its
    optimiser map in the step size."""
    if isinstance(system, IteratedMap):
        if not system.has_parameter:
            raise InvalidParameterError(
                f"system must be a map f(x, p) with a parameter or a model; got {system!r}"
            )
        if optimizer is not None:
            raise InvalidParameterError(
                f"optimizer must be None for an IteratedMap system; got {describe(optimizer)}"
            )
        return system
    if isinstance(system, (int, float, str, list, tuple, np.ndarray)) or system is None:
        raise InvalidParameterError(
            f"system must be a model or an IteratedMap f(x, p); got {describe(system)}"
        )
    bound_optimizer(system, optimizer).require_autonomous("continuation")
    return optimizer_map(system, optimizer)


def _start_state(system: Any, optimizer: Any, x0: Any, dim: int) -> Array:
    x = np.asarray(x0, dtype=np.float64).reshape(-1)
    if not isinstance(system, IteratedMap) and x.size != dim:
        x = bound_optimizer(system, optimizer).fixed_state(x)
    if x.size != dim or not np.all(np.isfinite(x)):
        raise InvalidParameterError(
            f"x0 must be a finite state of size {dim} (or the parameters of a critical point); "
            f"got {describe(x0)}"
        )
    return x


def _check_range(lr_range: Any) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in lr_range)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"lr_range must be a pair (low, high) of finite floats with low < high; "
            f"got {describe(lr_range)}"
        ) from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise InvalidParameterError(
            f"lr_range must be a pair (low, high) of finite floats with low < high; "
            f"got {describe(lr_range)}"
        )
    return lo, hi


def continue_orbits(
    system: Any,
    lr_range: Sequence[float],
    x0: Any,
    *,
    period: int = 1,
    optimizer: Any = None,
    start: float | None = None,
    doublings: int = 0,
    ds: float = 0.01,
    ds_max: float = 0.05,
    max_points: int = 2000,
) -> ContinuationResult:
    r"""Continue the period-``period`` orbit through ``x0`` across ``lr_range`` by
    pseudo-arclength, locate its flips, folds and Neimark--Sacker points, and switch at flips
    onto the period-doubled branches ``doublings`` times.

    Parameters
    ----------
    system : model or IteratedMap
        A model (the map is its optimiser map :math:`G_\eta` with ``optimizer``, state
        :math:`\theta` and buffers) or an IteratedMap ``f(x, p)``.
    lr_range : (float, float)
        The parameter interval (:math:`\eta` for a model).
    x0 : array
        A point of the orbit at the parameter ``start`` (a model's parameters :math:`\theta` are
        completed to the optimiser's fixed state).
    period : int
    optimizer : Optimizer, optional
        Autonomous optimiser for a model (default GD).
    start : float, optional
        Parameter of ``x0`` (default: the low end of ``lr_range``).  The branch is followed
        towards increasing parameter, or decreasing when ``start`` is the high end.
    doublings : int
        How many times to switch at the first flip of the newest branch onto the doubled one.
    ds, ds_max : float
        First and largest arclength step.
    max_points : int
        Points per branch at most.

    Returns
    -------
    ContinuationResult

    Examples
    --------
    >>> import dynsys_gd as dg
    >>> res = dg.continue_orbits(dg.LinearNetwork.scalar(2, 1.0), (0.5, 1.2), [1.0, 1.0])
    >>> [(b.kind, round(b.param, 12), b.supercritical) for b in res.bifurcations]
    [('flip', 1.0, True)]
    """
    fmap = as_parametric_map(system, optimizer)
    lo, hi = _check_range(lr_range)
    k = check_int("period", period, minimum=1)
    n_dbl = check_int("doublings", doublings, minimum=0)
    ds = check_positive_float("ds", ds)
    ds_max = check_positive_float("ds_max", ds_max)
    max_points = check_int("max_points", max_points, minimum=2)
    p0 = lo if start is None else float(start)
    x = _start_state(system, optimizer, x0, fmap.dim)
    opts = {"ds": ds, "ds_max": ds_max, "max_points": max_points}
    direction = np.zeros(fmap.dim + 1)
    direction[-1] = -1.0 if p0 >= hi else 1.0  # towards the inside of the range
    branch = continue_branch(
        fmap,
        x,
        p0,
        (lo, hi),
        period=k,
        direction=direction,
        **opts,  # type: ignore[arg-type]
    )
    branches = [branch]
    for _ in range(n_dbl):
        flips = sorted((b for b in branch.bifurcations if b.kind == "flip"), key=lambda b: b.param)
        if not flips:
            break
        branch = switch_at_flip(fmap, flips[0], (lo, hi), **opts)  # type: ignore[arg-type]
        if not branch.points:
            break
        branches.append(branch)
    bifs = [b for br in branches for b in br.bifurcations]
    return ContinuationResult(branches, bifs, (lo, hi))


@dataclass(frozen=True)
class FlipCurve(ResultMixin):
    r"""A flip followed in two parameters: :math:`p^*(q)` for each second parameter ``q``."""

    qs: NDArray[np.float64]
    params: NDArray[np.float64]
    period: int

    _rows_along: ClassVar[str | None] = "qs"

    def summary(self) -> str:
        pairs = zip(self.qs, self.params, strict=True)
        rows = ", ".join(f"q={q:g}: p*={p:.12g}" for q, p in pairs)
        return f"flip curve of the period-{self.period} orbit: {rows}"

    def to_dict(self) -> dict[str, Any]:
        return {"qs": jsonable(self.qs), "params": jsonable(self.params), "period": self.period}

    def __repr__(self) -> str:
        return f"FlipCurve({self.qs.size} points, period={self.period})"


def flip_curve(
    family: Callable[[float], Any],
    qs: Sequence[float],
    x0: Any,
    lr0: float,
    *,
    period: int = 1,
) -> FlipCurve:
    r"""Follow a flip in two parameters :math:`(p, q)`.

    ``family(q)`` returns ``(system, optimizer)`` or an IteratedMap ``f(x, p)`` for the second
    parameter ``q`` (a target, a data scale, the momentum :math:`\beta`, ...).  At each ``q`` in
    order the flip is located by Newton's method on the augmented system from the previous one
    (natural continuation in ``q``), starting from ``(x0, lr0)``.

    Examples
    --------
    >>> import dynsys_gd as dg
    >>> fam = lambda b: (dg.LinearNetwork.scalar(2, 1.0), dg.HeavyBall(b))
    >>> curve = dg.flip_curve(fam, [0.0, 0.5], [1.0, 1.0], 1.0)
    >>> [round(float(p), 10) for p in curve.params]  # (2 + 2 beta) / S_min with S_min = 2
    [1.0, 1.5]
    """
    k = check_int("period", period, minimum=1)
    u_p = check_positive_float("lr0", lr0)
    x_prev = np.asarray(x0, dtype=np.float64).reshape(-1)
    out = []
    for q in qs:
        made = family(float(q))
        system, opt = made if isinstance(made, tuple) else (made, None)
        fmap = as_parametric_map(system, opt)
        x = _start_state(system, opt, x_prev, fmap.dim) if x_prev.size != fmap.dim else x_prev
        u = _locate(fmap, np.append(x, u_p), k, "flip")
        x_prev, u_p = u[:-1], float(u[-1])
        out.append(u_p)
    return FlipCurve(np.asarray(qs, dtype=np.float64), np.asarray(out), k)
