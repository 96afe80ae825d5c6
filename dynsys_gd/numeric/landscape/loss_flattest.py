r"""The flattest minimum of a sympy loss in a box and its critical step size (C5 for any
model; docs/math/general-losses.md)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._results import jsonable
from ...errors import InvalidParameterError
from ...models import LossModel
from ..kernels import numeric_model
from ._flattest import FlattestResult
from .critical_points import (
    DEFAULT_BOX_HALF_WIDTH,
    _newton_batch,
    critical_points,
)
from .critical_results import CriticalPointInfo, CriticalPointsResult, _check_box, _check_model


# -- flattest minimum for any loss --------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class LossFlattestMinimum(FlattestResult):
    r"""The flattest local minimum of a sympy loss found in a box (C5 for any model).

    Same attribute names as :class:`~dynsys_gd.numeric.landscape.sharpness.FlattestMinimum`.

    Attributes
    ----------
    point : ndarray (P,)
    sharpness : float
        :math:`S_{\min}`: the smallest :math:`\lambda_{\max}(H)` over the minima found (minimised
        over each non-isolated minima set found).
    method : str
        What is exact and what is searched, as a sentence.
    bracket : tuple of float
        ``bounds`` as floats when ``exact``; else a certified enclosure of
        :math:`\lambda_{\max}(H)` at the flattest point when it is an isolated, certified
        minimum; ``(sharpness, sharpness)`` otherwise (no enclosure).
    relative_gap : float
        Relative width of ``bracket``.
    exact : bool
        S_min is the minimum over a proved-complete list of isolated minima in the box.
    box : tuple of (float, float)
    critical_points : CriticalPointsResult
    bounds : tuple of Fraction or None
        When ``exact``: a rigorous enclosure of :math:`S_{\min}` over the minima in the box (the
        smallest lower and upper ends of the certified top-eigenvalue enclosures); else None.
    """

    point: NDArray[np.float64]
    sharpness: float
    method: str
    bracket: tuple[float, float]
    relative_gap: float
    exact: bool
    box: tuple[tuple[float, float], ...]
    critical_points: CriticalPointsResult
    bounds: tuple[Fraction, Fraction] | None = None

    def __repr__(self) -> str:
        return (
            f"LossFlattestMinimum(sharpness={self.sharpness:.10g}, "
            f"eta*={self.critical_lr:.10g}, exact={self.exact})"
        )

    def summary(self) -> str:
        return "\n".join(
            [
                *self._summary_head(),
                f"enclosure of lambda_max  : [{self.bracket[0]:.12g}, {self.bracket[1]:.12g}]",
                f"point                    : ({', '.join(f'{x:.8g}' for x in self.point)})",
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            **self._dict_head(),
            "exact": self.exact,
            "bounds": jsonable(self.bounds),
            "box": jsonable(self.box),
        }


def _lam_max(m: Any, x: NDArray[np.float64]) -> float:
    H = m.hessian(x[None])[0]
    return float(np.linalg.eigvalsh(0.5 * (H + H.T))[-1])


def _descend_on_set(
    m: Any, x: NDArray[np.float64], k: int, *, iters: int = 200
) -> tuple[NDArray[np.float64], float]:
    r"""Minimise :math:`\lambda_{\max}(H)` over a k-dimensional critical set through x:
    a step along the tangent space (null space of H), then Newton back onto the set."""
    f = _lam_max(m, x)
    loss0 = float(m.loss(x[None])[0])
    step = 0.1 * max(1.0, float(np.linalg.norm(x)))
    for _ in range(iters):
        H = m.hessian(x[None])[0]
        lam, V = np.linalg.eigh(0.5 * (H + H.T))
        T = V[:, np.argsort(np.abs(lam))[:k]]
        h = 1e-6 * max(1.0, float(np.linalg.norm(x)))
        grad_t = np.array(
            [
                (_lam_max(m, x + h * T[:, j]) - _lam_max(m, x - h * T[:, j])) / (2 * h)
                for j in range(k)
            ]
        )
        gn = float(np.linalg.norm(grad_t))
        if gn <= 1e-12 * max(1.0, abs(f)):
            break
        d = -(T @ grad_t) / gn
        improved = False
        while step > 1e-13:
            trial = x + step * d
            y, g = _newton_batch(m, trial[None], tol=1e-12, max_iter=40, step_cap=step)
            # stay on the same critical set: same loss value, landed near the trial point
            same = (
                abs(float(m.loss(y)[0]) - loss0) <= 1e-9 * max(1.0, abs(loss0))
                and float(np.linalg.norm(y[0] - trial)) <= step
            )
            if np.isfinite(g[0]) and g[0] <= 1e-10 and same:
                fy = _lam_max(m, y[0])
                if fy < f:
                    x, f = y[0], fy
                    improved = True
                    step *= 1.5
                    break
            step *= 0.5
        if not improved:
            break
    return x, f


def loss_flattest_minimum(
    model: LossModel, box: Any = None, *, which: str = "local", **kwargs: Any
) -> LossFlattestMinimum:
    r"""The flattest minimum of a sympy loss in a box and :math:`S_{\min}` (C5 for any model).

    Parameters
    ----------
    model : LossModel
    box : float, (lo, hi) or P pairs, optional
        Search box (default :math:`[-4, 4]^P`, :data:`DEFAULT_BOX_HALF_WIDTH`).
    which : {"local", "global"}
        Minimise over every local minimum found (default: each stable one attracts GD from a set
        of positive measure) or only over those with the lowest loss found (the global minima of
        the paper's C5).
    **kwargs
        Passed to :func:`critical_points` (``method``, ``n_starts``, ``seed``, ``dps``, ...).

    Returns
    -------
    LossFlattestMinimum
        ``exact`` is True when the minimum is over a proved-complete list of isolated minima in
        the box; otherwise the minima are what a seeded multi-start search found.

    Raises
    ------
    InvalidParameterError
        If no minimum is found in the box.
    """
    model = _check_model(model)
    if which not in ("local", "global"):
        raise InvalidParameterError(f"which must be 'local' or 'global'; got {which!r}")
    bx = _check_box(DEFAULT_BOX_HALF_WIDTH if box is None else box, model.n_params)
    key = repr(("loss_flattest", bx, which, tuple(sorted(kwargs.items()))))
    if key in model._cache:
        return model._cache[key]  # type: ignore[no-any-return]
    res = critical_points(model, bx, **kwargs)
    minima = list(res.minima)
    if not minima:
        raise InvalidParameterError(
            f"model has no local minimum in the box {bx} ({res.method}); got "
            f"{len(res.points)} other critical points"
        )
    if which == "global":
        lmin = min(p.loss for p in minima)
        minima = [p for p in minima if p.loss <= lmin + 1e-9 * max(1.0, abs(lmin))]
    m = numeric_model(model)
    best: tuple[float, NDArray[np.float64], CriticalPointInfo] | None = None
    searched_set = False
    for p in minima:
        if p.isolated is False and p.set_dim > 0:
            x, f = _descend_on_set(m, p.point, p.set_dim)
            searched_set = True
        else:
            x, f = p.point, p.sharpness
        if best is None or f < best[0]:
            best = (f, x, p)
    assert best is not None
    S, x, p = best
    exact = bool(res.complete and all(q.isolated for q in minima))
    bounds: tuple[Fraction, Fraction] | None = None
    if exact and all(q.hessian_enclosures is not None for q in minima):
        # lambda_max of each certified minimum lies in its top enclosure, so the smallest one
        # lies between the smallest lower and the smallest upper end
        tops = [q.hessian_enclosures[-1] for q in minima]  # type: ignore[index]
        bounds = (Fraction(min(a for a, _ in tops)), Fraction(min(b for _, b in tops)))
        bracket = (float(bounds[0]), float(bounds[1]))
    elif p.isolated and p.hessian_enclosures is not None and not searched_set:
        bracket = p.hessian_enclosures[-1]
    else:
        bracket = (S, S)
    if exact:
        method = (
            f"exact: smallest lambda_max(H) over the {len(minima)} isolated local minima of "
            "a proved-complete list of critical points in the box (Groebner basis, "
            "certified in ball arithmetic)"
        )
    else:
        how = (
            "the exact route (not proved complete)"
            if res.exact
            else f"a multi-start Newton search ({res.n_starts} starts, seed {res.seed})"
        )
        method = (
            f"searched: smallest lambda_max(H) over the {len(minima)} local minima found "
            f"by {how} in the box"
        )
        if searched_set:
            method += (
                "; on the non-isolated minima set found, lambda_max was minimised over "
                "the set by projected descent"
            )
        method += " (a flatter minimum elsewhere is not excluded)"
    gap = (bracket[1] - bracket[0]) / S if S else math.inf
    out = LossFlattestMinimum(
        point=np.asarray(x, dtype=np.float64),
        sharpness=float(S),
        method=method,
        bracket=(float(bracket[0]), float(bracket[1])),
        relative_gap=float(gap),
        exact=exact,
        box=bx,
        critical_points=res,
        bounds=bounds,
    )
    model._cache[key] = out
    return out


def loss_min_sharpness(model: LossModel, box: Any = None, **kwargs: Any) -> float:
    r""":math:`S_{\min}` of a sympy loss (see :func:`loss_flattest_minimum`)."""
    return loss_flattest_minimum(model, box, **kwargs).sharpness


def loss_critical_lr(model: LossModel, box: Any = None, **kwargs: Any) -> float:
    r""":math:`\eta^* = 2/S_{\min}` of a sympy loss (see :func:`loss_flattest_minimum`)."""
    return 2.0 / loss_min_sharpness(model, box, **kwargs)
