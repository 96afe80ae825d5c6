r"""What the converged runs of GD reached: a global minimum, a non-global local minimum or a
saddle (docs/math/limits.md).

A limit :math:`\theta` of a converged run is a critical point (:math:`\nabla L(\theta) \approx
0`).  It is labelled

* **global minimum** when :math:`|L(\theta) - L_{\min}| \le \tau` with the known minimum loss
  :math:`L_{\min}` (linear networks: the loss on M; a loss model: the lowest loss of the
  minima in its critical-point list, or of the limits themselves) and the tolerance
  :math:`\tau = \text{rtol}\cdot\max(1, |L_{\min}|)`;
* **saddle** otherwise when :math:`\lambda_{\min}(H(\theta)) < -\tau_H`;
* **non-global local minimum** otherwise (second-order test: :math:`H \succeq 0` up to
  :math:`\tau_H = \sqrt{\text{rtol}}\max(1, \lVert H\rVert)`; where :math:`H` is singular the
  loss is probed on spheres of radii 1e-4 and 1e-3 in 64 seeded directions, and a lower
  value makes the limit a saddle); for a linear network, whose local minima are all global,
  such a limit is a (non-strict) saddle.  The labels are numerical, not certified.

Limits of one kind at one loss level are grouped into a :class:`LimitSet`; its ``dimension`` is
the number of zero eigenvalues of :math:`H` at its point (the dimension of the critical set
through it, numerically), its ``span`` the range of every coordinate over its limits (a
coordinate that does not move names an equation of the set, e.g. ``a = 0``), and ``listed``
says whether a critical point of a given list lies in it (a set the search missed has
``listed = False``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._results import ResultMixin, jsonable
from ..._validation import describe
from ...errors import InvalidParameterError
from ...models import LinearNetwork, LossModel
from ...models.protocol import missing_model_methods
from ..kernels import numeric_model

__all__ = [
    "LimitKind",
    "LimitLabels",
    "LimitSet",
    "count_limit_kinds",
    "label_limits",
    "limit_levels",
    "reference_min_loss",
]

#: relative tolerance of "loss equal to the minimum loss" and of "zero eigenvalue"
LIMIT_RTOL = 1e-8
#: spread below which a coordinate counts as constant over a set of limits
CONSTANT_ATOL = 1e-6


class LimitKind(Enum):
    """What a converged run reached; values read as words."""

    GLOBAL_MINIMUM = "global minimum"
    LOCAL_MINIMUM = "non-global local minimum"
    SADDLE = "saddle"


_PLURAL = {
    LimitKind.GLOBAL_MINIMUM: "global minima",
    LimitKind.LOCAL_MINIMUM: "non-global local minima",
    LimitKind.SADDLE: "saddles",
}


@dataclass(frozen=True)
class LimitSet:
    """Limits of one kind at one loss level: how many, a point, the dimension and the span."""

    kind: LimitKind
    loss: float
    count: int
    point: NDArray[np.float64]
    dimension: int
    span: tuple[tuple[float, float], ...]
    listed: bool | None
    names: tuple[str, ...]

    def equations(self) -> str:
        """The set in words, e.g. ``{a = 0, b in [-1.9, -0.1]}``."""
        parts = []
        for name, (lo, hi) in zip(self.names, self.span, strict=True):
            if hi - lo <= CONSTANT_ATOL:
                mid = 0.5 * (lo + hi)
                parts.append(f"{name} = {0.0 if abs(mid) <= CONSTANT_ATOL else mid:.6g}")
            else:
                parts.append(f"{name} in [{lo:.4g}, {hi:.4g}]")
        return "{" + ", ".join(parts) + "}"

    def describe(self) -> str:
        what = (
            f"a critical set of dimension {self.dimension}"
            if self.dimension > 0
            else "an isolated critical point"
        )
        miss = (
            " that the critical-point search missed"
            if self.listed is False
            else (" in the critical-point list" if self.listed else "")
        )
        pt = ", ".join(f"{x:.6g}" for x in self.point)
        return (
            f"{self.count} run(s) to {_PLURAL[self.kind]} at loss {self.loss:.6g}: {what}{miss}, "
            f"limits spanning {self.equations()}, a point on it ({pt})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.name.lower(),
            "loss": jsonable(self.loss),
            "count": self.count,
            "point": jsonable(self.point),
            "dimension": self.dimension,
            "span": jsonable(self.span),
            "listed": self.listed,
            "equations": self.equations(),
        }


@dataclass(frozen=True, repr=False)
class LimitLabels(ResultMixin):
    """Labels of the limits of converged runs.

    Attributes
    ----------
    kinds : tuple of LimitKind
        One per converged limit, in input order.
    sets : tuple of LimitSet
        The limits grouped by kind and loss level.
    min_loss : float
        The minimum loss the global label refers to.
    min_loss_source : str
        Where ``min_loss`` comes from.
    tolerance : float
        :math:`\\tau`.
    """

    kinds: tuple[LimitKind, ...]
    sets: tuple[LimitSet, ...]
    min_loss: float
    min_loss_source: str
    tolerance: float

    @property
    def counts(self) -> dict[str, int]:
        """Kind name (lower case) -> number of limits."""
        return {k.name.lower(): sum(x is k for x in self.kinds) for k in LimitKind}

    def counts_text(self) -> str:
        c = self.counts
        return (
            f"{c['global_minimum']} at global minima, {c['local_minimum']} at non-global local "
            f"minima, {c['saddle']} at saddles"
        )

    def __repr__(self) -> str:
        return f"LimitLabels({self.counts_text()})"

    def summary(self) -> str:
        lines = [
            f"{len(self.kinds)} limits: {self.counts_text()}",
            f"minimum loss {self.min_loss:.10g} ({self.min_loss_source}), tolerance "
            f"{self.tolerance:.1e}",
        ]
        lines += [f"  {s.describe()}" for s in self.sets]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "sets": [s.to_dict() for s in self.sets],
            "min_loss": jsonable(self.min_loss),
            "min_loss_source": self.min_loss_source,
            "tolerance": self.tolerance,
        }


#: radii and number of directions of the probe of degenerate limits
PROBE_RADII = (1e-4, 1e-3)
PROBE_DIRECTIONS = 64


def _descends(m: Any, X: NDArray[np.float64], losses: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Whether the loss drops below its value at each degenerate limit at some probe point
    (seeded directions on spheres of radii PROBE_RADII): then it is not a minimum."""
    from ..._streams import generator

    P = X.shape[1]
    U = generator(0, "limit_probe").normal(size=(PROBE_DIRECTIONS, P))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    out = np.zeros(X.shape[0], dtype=bool)
    for i, (x, L) in enumerate(zip(X, losses, strict=True)):
        pts = np.concatenate([x[None] + r * U for r in PROBE_RADII])
        out[i] = bool(np.any(m.loss(pts) < L - 1e-12 * max(1.0, abs(L))))
    return out


def _names(model: Any, P: int) -> tuple[str, ...]:
    if isinstance(model, LossModel):
        return tuple(str(p) for p in model.params)
    return tuple(f"theta_{i}" for i in range(P))


def _reference_loss(
    model: Any, m: Any, critical_points: Any, losses: NDArray[np.float64], psd: NDArray[np.bool_]
) -> tuple[float, str]:
    if isinstance(model, LinearNetwork):
        from .fixed_points import balanced_minimum

        return float(m.loss(balanced_minimum(model)[None])[0]), "the loss on M"
    cands: list[tuple[float, str]] = []
    if critical_points is not None and len(critical_points.minima):
        how = "proved-complete list" if critical_points.complete else "list found by a search"
        cands.append(
            (min(p.loss for p in critical_points.minima), f"lowest minimum of the {how} in the box")
        )
    if np.any(psd):
        cands.append((float(losses[psd].min()), "lowest loss among the limits"))
    if not cands:
        return float(losses.min()), "lowest loss among the limits"
    return min(cands, key=lambda c: c[0])


def _second_order(
    m: Any, X: NDArray[np.float64], rtol: float
) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.int64]]:
    """Loss, "a minimum" (second-order test, probed where H is singular) and the number of zero
    Hessian eigenvalues at each limit."""
    losses = np.asarray(m.loss(X), dtype=np.float64)
    H = np.asarray(m.hessian(X), dtype=np.float64)
    ev = np.linalg.eigvalsh(0.5 * (H + np.swapaxes(H, 1, 2)))
    scale = np.maximum(1.0, np.abs(ev).max(axis=1))
    htol = np.sqrt(rtol) * scale  # eigenvalues of a float Hessian at a float limit
    psd = ev[:, 0] >= -htol
    zero = (np.abs(ev) <= htol[:, None]).sum(axis=1)
    degenerate = np.flatnonzero(psd & (zero > 0))
    if degenerate.size:  # the second-order test does not decide: probe the loss around
        psd[degenerate] = ~_descends(m, X[degenerate], losses[degenerate])
    return losses, psd, zero


#: significant digits of the loss levels of :func:`limit_levels` (far finer than LIMIT_RTOL)
LEVEL_DIGITS = 12
#: limits whose Hessians :func:`limit_levels` holds at once
LEVEL_BATCH = 256


def limit_levels(
    model: LinearNetwork | LossModel,
    limits: Any,
    converged: Any,
    rtol: float = LIMIT_RTOL,
    *,
    min_loss: float | None = None,
) -> tuple[int, dict[float, int]]:
    r"""The per-run part of :func:`label_limits`, mergeable over blocks of runs.

    Returns the number of converged limits that fail the second-order test (saddles) and, for
    the others, loss level (rounded to :data:`LEVEL_DIGITS` significant digits) -> number of
    limits.  Every entry depends on its own run only, so sums over any split of the runs are
    the same; :func:`count_limit_kinds` turns the merged levels into the three counts once the
    minimum loss is known.  A limit whose loss is within the tolerance of a known ``min_loss``
    is a global minimum whatever its Hessian, so it skips the second-order test (on the
    minima manifold of a network every limit is degenerate, and the probe is the cost).
    """
    X = np.asarray(limits, dtype=np.float64)[np.asarray(converged, dtype=bool)]
    X = X[np.all(np.isfinite(X), axis=1)]
    if X.shape[0] == 0:
        return 0, {}
    m = numeric_model(model)
    levels: dict[float, int] = {}
    saddles = 0
    if min_loss is not None:
        losses = np.asarray(m.loss(X), dtype=np.float64)
        at_min = np.abs(losses - min_loss) <= rtol * max(1.0, abs(min_loss))
        for L in losses[at_min]:
            key = float(f"{L:.{LEVEL_DIGITS}g}")
            levels[key] = levels.get(key, 0) + 1
        X = X[~at_min]
    for i in range(0, X.shape[0], LEVEL_BATCH):  # bounded memory: LEVEL_BATCH dense Hessians
        losses, psd, _ = _second_order(m, X[i : i + LEVEL_BATCH], rtol)
        saddles += int((~psd).sum())
        for L in losses[psd]:
            key = float(f"{L:.{LEVEL_DIGITS}g}")
            levels[key] = levels.get(key, 0) + 1
    return saddles, levels


def count_limit_kinds(
    saddles: int,
    levels: dict[float, int],
    min_loss: float | None,
    *,
    local_minima_exist: bool = True,
    rtol: float = LIMIT_RTOL,
) -> tuple[dict[str, int], float]:
    r"""The three counts of :func:`label_limits` from merged :func:`limit_levels`.

    ``min_loss`` None, or above the lowest level: the lowest level (the lowest loss among the
    limits that are minima).
    A minimum-like limit is global when :math:`|L - L_{\min}| \le \tau`, else a non-global
    local minimum (a saddle when ``local_minima_exist`` is False: a linear network).
    Returns ``(counts, L_min)``.
    """
    lowest = min(levels) if levels else float("nan")
    if min_loss is None or lowest < min_loss - rtol * max(1.0, abs(min_loss)):
        min_loss = lowest  # a limit below the given minimum loss lowers it (label_limits too)
    tol = rtol * max(1.0, abs(min_loss))
    n_glob = sum(c for L, c in levels.items() if abs(L - min_loss) <= tol)
    rest = sum(levels.values()) - n_glob
    counts = {
        "global_minimum": n_glob,
        "local_minimum": rest if local_minima_exist else 0,
        "saddle": saddles + (0 if local_minima_exist else rest),
    }
    return counts, float(min_loss)


def reference_min_loss(model: Any) -> float | None:
    """The minimum loss known without a search: a linear network's loss on M (computed once per
    network: its moments are read-only); else None."""
    if isinstance(model, LinearNetwork):
        if "reference_min_loss" not in model._cache:
            from .fixed_points import balanced_minimum

            m = numeric_model(model)
            model._cache["reference_min_loss"] = float(m.loss(balanced_minimum(model)[None])[0])
        return float(model._cache["reference_min_loss"])
    return None


def label_limits(
    model: LinearNetwork | LossModel,
    limits: Any,
    converged: Any = None,
    *,
    min_loss: float | None = None,
    critical_points: Any = None,
    rtol: float = LIMIT_RTOL,
) -> LimitLabels:
    r"""Label each converged limit a global minimum, a non-global local minimum or a saddle.

    Parameters
    ----------
    model : LinearNetwork, LossModel or a model of the protocol (numerical labels, parameters
        named ``theta_i``)
    limits : array (k, P)
        Final iterates of the runs (``RunBatch.theta``).
    converged : array of bool (k,), optional
        Which runs converged (``RunBatch.has_limit``); default all.
    min_loss : float, optional
        The minimum loss when it is known otherwise (default: see the module docstring).
    critical_points : CriticalPointsResult, optional
        A loss model's critical-point list: gives the minimum loss and ``LimitSet.listed``.
    rtol : float
        Relative tolerance of equal losses and of zero eigenvalues.

    Returns
    -------
    LimitLabels

    Raises
    ------
    InvalidParameterError
        Before any work: a model that implements neither kind nor the model protocol, ``limits``
        not of shape (k, P), a ``converged`` mask of the wrong shape, or a non-finite limit of
        a converged run.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> a, b = sp.symbols("a b")
    >>> m = dg.LossModel((a**2 * b - 1) ** 2 / 2, (a, b))
    >>> lab = dg.label_limits(m, np.array([[1.0, 1.0], [0.0, -1.0]]))
    >>> lab.counts
    {'global_minimum': 1, 'local_minimum': 1, 'saddle': 0}
    >>> lab.sets[1].equations()
    '{a = 0, b = -1}'
    """
    if not isinstance(model, LinearNetwork | LossModel) and missing_model_methods(
        model, ("n_params", "loss", "gradient", "hessian")
    ):
        raise InvalidParameterError(
            "model must be a LinearNetwork, a LossModel or a model of the protocol "
            f"dynsys_gd.Model; got {describe(model)}"
        )
    X = np.asarray(limits, dtype=np.float64)
    m = numeric_model(model)
    P = int(m.n_params)
    if X.ndim != 2 or X.shape[1] != P:
        raise InvalidParameterError(f"limits must have shape (k, {P}); got {describe(limits)}")
    if converged is not None:
        mask = np.asarray(converged, dtype=bool)
        if mask.shape != (X.shape[0],):
            raise InvalidParameterError(
                f"converged must have shape ({X.shape[0]},); got {describe(converged)}"
            )
        X = X[mask]
    if not np.all(np.isfinite(X)):
        raise InvalidParameterError("limits must be finite for converged runs; got inf or nan")
    if X.shape[0] == 0:
        return LimitLabels((), (), float("nan"), "no converged run", 0.0)
    losses, psd, zero = _second_order(m, X, rtol)
    if min_loss is None:
        ref, source = _reference_loss(model, m, critical_points, losses, psd)
    else:
        ref, source = float(min_loss), "given"
    tol = rtol * max(1.0, abs(ref))
    # every local minimum of a linear network is global: its other critical points are saddles
    local_ok = not isinstance(model, LinearNetwork)
    kinds = [
        LimitKind.GLOBAL_MINIMUM
        if abs(L - ref) <= tol
        else (LimitKind.LOCAL_MINIMUM if ok and local_ok else LimitKind.SADDLE)
        for L, ok in zip(losses, psd, strict=True)
    ]
    names = _names(model, P)
    sets = []
    for kind in LimitKind:
        idx = [i for i, k in enumerate(kinds) if k is kind]
        while idx:
            L0 = losses[idx[0]]
            grp = [i for i in idx if abs(losses[i] - L0) <= 1e-6 * max(1.0, abs(L0))]
            idx = [i for i in idx if i not in grp]
            pts = X[grp]
            listed: bool | None = None
            if critical_points is not None:
                listed = any(
                    np.min(np.linalg.norm(pts - np.asarray(p.point)[None], axis=1))
                    <= 1e-6 * (1.0 + float(np.linalg.norm(p.point)))
                    for p in critical_points.points
                )
            sets.append(
                LimitSet(
                    kind=kind,
                    loss=float(L0),
                    count=len(grp),
                    point=pts[0].copy(),
                    dimension=int(zero[grp[0]]),
                    span=tuple((float(pts[:, j].min()), float(pts[:, j].max())) for j in range(P)),
                    listed=listed,
                    names=names,
                )
            )
    return LimitLabels(tuple(kinds), tuple(sets), ref, source, tol)
