r"""Bifurcation diagrams of GD in the step size and period-doubling cascades
(docs/math/claims.md#c8, §7).

:func:`bifurcation_diagram` samples the attractor reached from many initialisations at each
step size (after a transient, a scalar observable such as the product :math:`w_1\cdots w_N`, the
loss or a coordinate is recorded) and the period of every run.  For a loss, every run is
classified by the one GD engine (:func:`~dynsys_gd.numeric.engine.run_gd`, all step sizes in one
call with one step size per row): converged runs have period 1, periodic runs the engine's
period, undecided and bounded runs none.  The recorded values need every iterate after the
transient, which the engine does not keep, so they come from a plain iteration of the map
(:func:`~dynsys_gd.numeric.orbits.periodic.iterate_map`); for a family of maps that is not a GD map
(e.g. the logistic map) there is no loss for the engine and the period is read from those
iterates (:func:`~dynsys_gd.numeric.orbits.periodic.detect_period`).  Below :math:`\eta^*`
bounded runs converge (period 1); at :math:`\eta^*` a flip bifurcation (:math:`1 - \eta S_{\min}
= -1`) creates period-2 orbits near the flattest minima (C8).

:func:`period_doubling_cascade` locates successive period-doubling points
:math:`\eta_1 < \eta_2 < \dots` by following the period-:math:`2^j` orbit with Newton steps
(:mod:`dynsys_gd.numeric.orbits.periodic`) and bisecting on its stability (the period the attractor
has: :math:`2^j` while the leading non-neutral Floquet multiplier has modulus < 1, else
:math:`2^{j+1}`), and reports the ratios :math:`(\eta_{j+1} - \eta_j)/(\eta_{j+2} - \eta_{j+1})`
against Feigenbaum's :math:`\delta = 4.6692\dots`.  Checked on the logistic map
(:math:`r_1 = 3`, :math:`r_2 = 1 + \sqrt 6`, :math:`r_3 = 3.544090\dots`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._results import ResultMixin, jsonable, plotted_by
from .._streams import generator
from .._types import MapFamily, Theta
from .._validation import check_int, check_lr_grid, check_positive_float, check_seed
from ..errors import ConvergenceError, InvalidParameterError
from ..models.iterated_map import IteratedMap
from ..numeric.orbits.periodic import (
    GDMap,
    MapSystem,
    detect_period,
    floquet_multipliers,
    iterate_map,
    refine_orbit,
)

__all__ = [
    "FEIGENBAUM_DELTA",
    "BifurcationDiagram",
    "CascadeResult",
    "bifurcation_diagram",
    "locate_flip",
    "period_doubling_cascade",
]

FEIGENBAUM_DELTA = 4.669201609102990
Array = NDArray[Any]


def _is_factory(model: Any) -> bool:
    return (
        callable(model)
        and (isinstance(model, type) or not hasattr(model, "gradient"))
        and not hasattr(model, "widths")
    )


def _factory(model: Any) -> Callable[[float], MapSystem]:
    """``model`` if it is a callable ``parameter -> MapSystem``, else ``lr -> GDMap(model, lr)``."""
    if _is_factory(model):
        return model  # type: ignore[no-any-return]

    def factory(lr: float) -> MapSystem:
        return GDMap(model, lr)

    return factory


def _observable(model: Any, system: MapSystem, observable: Any) -> Callable[[Array], Array]:
    if callable(observable):
        return observable  # type: ignore[no-any-return]
    if isinstance(observable, int):
        k = check_int("observable", observable, minimum=0, maximum=system.n_params - 1)
        return lambda th: th[..., k]
    if observable == "product":
        return lambda th: np.prod(th, axis=-1)
    if observable == "loss":
        kern = getattr(system, "kernels", None)
        if kern is None:
            raise InvalidParameterError("observable 'loss' needs a model; got a plain map")

        def loss(th: Array) -> Array:
            flat = th.reshape(-1, th.shape[-1])
            return np.asarray(kern.loss(flat)).reshape(th.shape[:-1])

        return loss
    raise InvalidParameterError(
        "observable must be 'product', 'loss', a coordinate index or a callable; "
        f"got {observable!r}"
    )


@dataclass(frozen=True)
class BifurcationDiagram(ResultMixin):
    r"""Attractor samples and detected periods against the step size.

    Attributes
    ----------
    lrs : ndarray (L,)
        Step sizes (or map parameters).
    values : ndarray (L, B, R)
        Observable on the last ``R`` states of each of the ``B`` runs (``nan`` for diverged runs).
    periods : ndarray (L, B) of int
        Period: ``1`` converged, ``k`` periodic, ``0`` none (bounded, or undecided: see
        ``outcomes``), ``-1`` diverged.
    critical_lr : float or None
        :math:`\eta^*` if known (marked in figures).
    observable : str
    outcomes : ndarray (L, B) of int or None
        Engine outcome codes (:class:`~dynsys_gd.numeric.engine.outcomes.Outcome`) of every run;
        None
        for a family of maps (no GD engine).
    """

    lrs: NDArray[np.float64]
    values: NDArray[np.float64]
    periods: NDArray[np.int64]
    critical_lr: float | None
    observable: str
    max_period: int
    outcomes: NDArray[np.int64] | None = None

    def undecided_counts(self) -> NDArray[np.int64]:
        """Runs per step size the engine left undecided (zeros for a family of maps)."""
        if self.outcomes is None:
            return np.zeros(len(self.lrs), dtype=np.int64)
        from ..numeric.engine.outcomes import Outcome

        return np.asarray((self.outcomes == Outcome.UNDECIDED.code).sum(axis=1), dtype=np.int64)

    @property
    def eta_star(self) -> float | None:
        """Deprecated alias of :attr:`critical_lr` (kept for one release)."""
        import warnings

        warnings.warn("eta_star is deprecated; use critical_lr", DeprecationWarning, stacklevel=2)
        return self.critical_lr

    def dominant_period(self) -> NDArray[np.int64]:
        """Most common period among bounded runs at each step size (``-1`` if all diverged)."""
        out = np.full(len(self.lrs), -1, dtype=np.int64)
        for i, row in enumerate(self.periods):
            b = row[row >= 0]
            if b.size:
                vals, counts = np.unique(b, return_counts=True)
                out[i] = vals[np.argmax(counts)]
        return out

    def diverged_fraction(self) -> NDArray[np.float64]:
        return np.asarray((self.periods < 0).mean(axis=1), dtype=np.float64)

    def flips(self) -> list[tuple[float, float, int, int]]:
        """Consecutive step sizes where the dominant period changes: ``(lo, hi, p_lo, p_hi)``."""
        d = self.dominant_period()
        return [
            (float(self.lrs[i]), float(self.lrs[i + 1]), int(d[i]), int(d[i + 1]))
            for i in range(len(d) - 1)
            if d[i] != d[i + 1]
        ]

    def first_flip(self) -> tuple[float, float] | None:
        """Bracket of the first change of the dominant period from 1 to 2 (the flip at η*)."""
        for lo, hi, a, b in self.flips():
            if a == 1 and b == 2:
                return lo, hi
        return None

    def __repr__(self) -> str:
        return (
            f"BifurcationDiagram(n_lr={len(self.lrs)}, runs={self.periods.shape[1]}, "
            f"observable={self.observable!r}, first_flip={self.first_flip()})"
        )

    def summary(self) -> str:
        lines = [
            f"bifurcation diagram ({self.observable}), {self.periods.shape[1]} runs per lr"
            + ("" if self.critical_lr is None else f", eta* = {self.critical_lr:.6g}")
        ]
        d = self.dominant_period()
        fr = self.diverged_fraction()
        und = self.undecided_counts()
        for lr, p, f, u in zip(self.lrs, d, fr, und, strict=True):
            ps = "none" if p == 0 else ("all diverged" if p < 0 else str(p))
            extra = f", undecided {int(u)} (counted as no period)" if u else ""
            lines.append(f"  lr = {lr:.6g}: dominant period {ps}, diverged {f:.0%}{extra}")
        ff = self.first_flip()
        if ff is not None:
            lines.append(f"  flip (period 1 -> 2) between {ff[0]:.6g} and {ff[1]:.6g}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "lrs": self.lrs.tolist(),
                "dominant_period": self.dominant_period().tolist(),
                "diverged_fraction": self.diverged_fraction().tolist(),
                "critical_lr": self.critical_lr,
                "observable": self.observable,
                "first_flip": self.first_flip(),
                "max_period": self.max_period,
                "undecided": self.undecided_counts().tolist(),
            }
        )

    plot = plotted_by("plot_bifurcation")

    _rows_along = "lrs"  # to_pandas(): one row per step size


def _check_diagram_size(
    n_init: int, transient: int, n_record: int, runs: int, n_lrs: int, P: int
) -> None:
    """The size model's check (memory of the recorded tails, time of the iteration), before
    any work: every step size iterates ``runs`` runs ``transient + n_record`` steps."""
    from .._limits import check_iteration

    ctx = f"for {runs} runs at {n_lrs} step sizes"
    check_iteration("n_init", n_init, steps=0, arrays=2.0 * runs * P, context=ctx)
    check_iteration(
        "n_record", n_record, steps=0, arrays=float(n_record) * runs * P * n_lrs, context=ctx
    )
    check_iteration(
        "transient",
        transient,
        steps=float(n_lrs) * (transient + n_record),
        runs=runs,
        n_params=P,
        context=ctx,
    )


def bifurcation_diagram(
    model: MapFamily,
    lrs: Any,
    *,
    n_init: int = 32,
    init_scale: float = 2.0,
    theta0: Theta | None = None,
    transient: int = 2000,
    n_record: int = 64,
    observable: Any = "product",
    max_period: int = 16,
    tol: float = 1e-6,
    seed: int | None = 0,
    critical_lr: float | None = None,
    eta_star: float | None = None,
    config: Any = None,
    optimizer: Any = None,
) -> BifurcationDiagram:
    r"""Attractor of GD against the step size (docs/math/claims.md#c8).

    Parameters
    ----------
    model : LinearNetwork, LossModel, NumericModel, or callable ``lr -> MapSystem``
        The loss (GD map :math:`G_\eta`), or a family of maps (e.g. ``LogisticMap``).
    lrs : sequence of float
        Step sizes.
    n_init, init_scale, seed
        Initialisations uniform in :math:`[-s, s]^P` (stream ``(seed, "bifurcation_init")`` of
        :mod:`dynsys_gd._streams`; the same points at every ``lr``) unless ``theta0`` (B, P)
        is given.
    transient, n_record
        Steps discarded, then states recorded (``n_record ≥ 2 max_period``).
    observable : "product", "loss", int or callable
        Scalar recorded: :math:`\prod_i\theta_i` (the product :math:`w_1\cdots w_N` of a scalar
        network; ``xy`` for :math:`\frac12(xy-1)^2`), the loss, a coordinate, or ``f(th)``.
    max_period, tol
        Largest period looked for; ``tol`` is the tolerance of
        :func:`~dynsys_gd.numeric.orbits.periodic.detect_period`, used only for a family of maps (a
        loss is classified by the engine with its own period test).
    config : EngineConfig, optional
        Engine settings for a loss (default ``EngineConfig(max_period=max_period)``).
    critical_lr : float, optional
        :math:`\eta^*`; computed with :func:`~dynsys_gd.numeric.landscape.sharpness.critical_lr`
        for a
        linear network when omitted.
    eta_star : float, optional
        Deprecated alias of ``critical_lr`` (kept for one release).
    optimizer : Optimizer, optional
        For a model: another optimiser's map instead of GD's (docs/math/optimizers.md).  Runs
        start from the same parameters with the optimiser's initial buffers, the observable is
        taken on the parameters, the engine classifies with that optimiser, and the default
        :math:`\eta^*` is its critical step size.
    """
    if eta_star is not None:
        import warnings

        warnings.warn("eta_star= is deprecated; use critical_lr=", DeprecationWarning, stacklevel=2)
        if critical_lr is None:
            critical_lr = eta_star
    lr_arr = check_lr_grid("lrs", lrs, distinct=False, sort=False)  # the order is the user's
    n_init = check_int("n_init", n_init, minimum=1)
    transient = check_int("transient", transient, minimum=0)
    max_period = check_int("max_period", max_period, minimum=1, maximum=64)
    n_record = check_int("n_record", n_record, minimum=2 * max_period)
    init_scale = check_positive_float("init_scale", init_scale)
    seed = check_seed("seed", seed)
    factory = _factory(model)
    opt = _other_optimizer(model, optimizer)
    if not _is_factory(model):
        if critical_lr is None:
            from ..models import LinearNetwork

            if isinstance(model, LinearNetwork):
                from ..numeric.landscape.optimizer_lr import critical_lr as _critical_lr_of

                critical_lr = _critical_lr_of(model, optimizer=opt)
    gd_sys0 = factory(float(lr_arr[0]))
    if opt is not None:  # the optimiser's map on its state, the observable on the parameters
        from ..numeric.engine.run import EngineConfig, with_optimizer
        from ..numeric.orbits.optimizer_map import optimizer_map

        opt_map = optimizer_map(model, opt)
        factory = opt_map.at  # type: ignore[assignment]  # an IteratedMap is a map system
        config = with_optimizer(config or EngineConfig(max_period=max_period), opt)
    sys0 = factory(float(lr_arr[0]))
    P = gd_sys0.n_params
    runs = n_init if theta0 is None else int(np.size(theta0)) // max(1, int(P))
    _check_diagram_size(n_init, transient, n_record, runs, len(lr_arr), int(P))
    if theta0 is None:
        rng = generator(seed, "bifurcation_init")
        th0 = rng.uniform(-init_scale, init_scale, size=(n_init, P))
    else:
        th0 = np.asarray(theta0, dtype=np.float64)
        if th0.ndim != 2 or th0.shape[1] != P:
            raise InvalidParameterError(f"theta0 must have shape (B, {P}); got {th0.shape}")
    B = th0.shape[0]
    values = np.full((lr_arr.size, B, n_record), np.nan)
    periods = np.zeros((lr_arr.size, B), dtype=np.int64)
    name = (
        observable
        if isinstance(observable, str)
        else (
            f"theta[{observable}]"
            if isinstance(observable, int)
            else getattr(observable, "__name__", "observable")
        )
    )
    outcomes: NDArray[np.int64] | None = None
    if not _is_factory(model):
        outcomes, eng_periods = _engine_periods(model, th0, lr_arr, max_period, config)
    start = th0 if opt is None else opt.init_state(th0)
    obs = _observable(model, gd_sys0, observable)
    for i, lr in enumerate(lr_arr):
        system = sys0 if i == 0 else factory(float(lr))
        if opt is None:
            obs = _observable(model, system, observable)
        _, div, tail = iterate_map(system, start, transient + n_record, record=n_record)
        tail = tail[..., :P]
        if outcomes is None:
            per = detect_period(tail, max_period=max_period, tol=tol)
            periods[i] = np.where(div, -1, per)
        else:
            periods[i] = eng_periods[i]
            div = div | (eng_periods[i] < 0)
        with np.errstate(over="ignore", invalid="ignore"):
            v = obs(np.moveaxis(tail, 0, 1))  # (B, R)
        values[i] = np.where(div[:, None], np.nan, v)
    return BifurcationDiagram(
        lrs=lr_arr,
        values=values,
        periods=periods,
        critical_lr=None if critical_lr is None else float(critical_lr),
        observable=str(name),
        max_period=max_period,
        outcomes=outcomes,
    )


def _other_optimizer(model: Any, optimizer: Any) -> Any:
    """The optimiser bound to ``model`` when it is not plain GD (None otherwise); refuses one
    for a family of maps, and a non-autonomous one."""
    from ..optimizers import check_optimizer

    if optimizer is None or check_optimizer(optimizer).is_gd:
        return None
    if _is_factory(model):
        raise InvalidParameterError(
            "optimizer must be None for a family of maps (it applies to a model); got "
            f"{optimizer!r}"
        )
    from ..numeric.orbits.optimizer_map import bound_optimizer

    opt = bound_optimizer(model, optimizer)
    opt.require_autonomous("a bifurcation diagram")
    return opt


def _engine_periods(
    model: Any, th0: Array, lrs: Array, max_period: int, config: Any
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Engine outcomes and periods (1 converged, k periodic, 0 none, -1 diverged) of every run
    from ``th0`` at every step size, in one engine call with one step size per row."""
    from ..numeric.engine.outcomes import Outcome
    from ..numeric.engine.run import EngineConfig
    from .convergence import run_rows

    if config is None:
        config = EngineConfig(max_period=max_period)
    elif not isinstance(config, EngineConfig):
        raise InvalidParameterError(
            f"config must be an EngineConfig or None; got {type(config).__name__}"
        )
    L, B = lrs.size, th0.shape[0]
    runs = run_rows(
        model, np.tile(th0, (L, 1)), np.repeat(lrs, B), config, fields=("outcome", "period")
    )
    codes = runs["outcome"].astype(np.int64)
    per = np.zeros(codes.size, dtype=np.int64)
    per[codes == Outcome.CONVERGED.code] = 1
    is_per = codes == Outcome.PERIODIC.code
    per[is_per] = runs["period"][is_per]
    per[codes == Outcome.DIVERGED.code] = -1
    return codes.reshape(L, B), per.reshape(L, B)


# --------------------------------------------------------------------------------------------
# period-doubling points by continuation + bisection on the stability of the followed orbit


def _leading(system: MapSystem, th: Array, period: int, neutral_tol: float) -> float:
    mu = floquet_multipliers(system, th, period)
    keep = np.abs(mu - 1.0) > neutral_tol
    rest = mu[keep]
    return float(np.abs(rest).max()) if rest.size else 0.0


def _follow(system: MapSystem, th: Array, period: int) -> Array | None:
    """Newton-refined period-``period`` orbit near ``th``; None if Newton fails or the orbit
    collapsed onto a lower period (e.g. the fixed point a period-2 orbit was born from)."""
    try:
        t2, _ = refine_orbit(system, th, period)
    except ConvergenceError:
        return None
    if period > 1:
        from ..numeric.orbits.periodic import _orbit_points

        pts = _orbit_points(system, t2, period)
        scale = 1.0 + float(np.abs(t2).max())
        for j in range(1, period):
            if period % j == 0 and float(np.abs(pts[j] - t2).max()) <= 1e-9 * scale:
                return None
    return t2


def locate_flip(
    factory: Callable[[float], MapSystem],
    lo: float,
    hi: float,
    theta: Any,
    period: int,
    *,
    xtol: float = 1e-11,
    neutral_tol: float = 1e-6,
    n_track: int = 40,
) -> tuple[float, Array]:
    r"""Parameter where the period-``period`` orbit through ``theta`` (stable at ``lo``) loses
    stability, in ``[lo, hi]``.

    The orbit is followed from ``lo`` towards ``hi`` in ``n_track`` Newton-continuation steps
    until its leading non-neutral Floquet multiplier reaches modulus 1, then the bracket is
    bisected to ``xtol`` (each midpoint refined from the orbit at the stable end).
    Returns ``(parameter, orbit point at the stable end)``.
    """
    th = np.asarray(theta, dtype=np.float64).ravel()
    th, _ = refine_orbit(factory(lo), th, period)
    if _leading(factory(lo), th, period, neutral_tol) >= 1.0:
        raise ConvergenceError(f"the period-{period} orbit is not stable at the lower end {lo}")
    a, b = lo, None
    h = (hi - lo) / n_track
    while a < hi:
        p = min(a + h, hi)
        s = factory(float(p))
        t2 = _follow(s, th, period)
        if t2 is None:
            h *= 0.5
            if h < xtol:
                raise ConvergenceError(
                    f"lost the period-{period} orbit at {a:.12g} while following it"
                )
            continue
        if _leading(s, t2, period, neutral_tol) >= 1.0:
            b = float(p)
            break
        a, th = float(p), t2
    if b is None:
        raise ConvergenceError(f"the period-{period} orbit stays stable up to {hi}")
    while b - a > xtol:
        mid = 0.5 * (a + b)
        s = factory(mid)
        t2 = _follow(s, th, period)
        if t2 is None:
            raise ConvergenceError(f"lost the period-{period} orbit at {mid:.12g} in bisection")
        if _leading(s, t2, period, neutral_tol) < 1.0:
            a, th = mid, t2
        else:
            b = mid
    return 0.5 * (a + b), th


@dataclass(frozen=True)
class CascadeResult(ResultMixin):
    r"""Successive period-doubling parameters and their Feigenbaum ratios.

    Attributes
    ----------
    points : ndarray
        :math:`\eta_1 < \eta_2 < \dots`: at :math:`\eta_j` the attracting period
        :math:`p_0 2^{j-1}` orbit flips to period :math:`p_0 2^j`.
    periods : tuple of int
        Period losing stability at each point.
    ratios : ndarray
        :math:`\delta_j = (\eta_{j+1} - \eta_j)/(\eta_{j+2} - \eta_{j+1})`.
    """

    points: NDArray[np.float64]
    periods: tuple[int, ...]
    ratios: NDArray[np.float64]
    name: str = ""

    @property
    def delta_estimate(self) -> float:
        """Last ratio (closest to the accumulation point), ``nan`` if fewer than 3 points."""
        return float(self.ratios[-1]) if self.ratios.size else float("nan")

    def __repr__(self) -> str:
        return (
            f"CascadeResult(points={np.round(self.points, 8).tolist()}, "
            f"delta≈{self.delta_estimate:.4g})"
        )

    def summary(self) -> str:
        lines = [f"period-doubling cascade{(' of ' + self.name) if self.name else ''}:"]
        for p, k in zip(self.points, self.periods, strict=True):
            lines.append(f"  period {k} -> {2 * k} at {p:.10g}")
        for j, r in enumerate(self.ratios):
            lines.append(f"  delta_{j + 1} = {r:.6g}   (Feigenbaum delta = {FEIGENBAUM_DELTA:.6g})")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "points": self.points.tolist(),
                "periods": list(self.periods),
                "ratios": self.ratios.tolist(),
                "feigenbaum_delta": FEIGENBAUM_DELTA,
                "name": self.name,
            }
        )


def period_doubling_cascade(
    model: Any,
    lo: float,
    hi: float,
    theta0: Any,
    *,
    n_doublings: int = 4,
    period: int = 1,
    xtol: float = 1e-11,
    transient: int = 4000,
    neutral_tol: float = 1e-6,
    name: str = "",
    progress: bool | None = None,
) -> CascadeResult:
    r"""Locate ``n_doublings`` successive period doublings starting from a stable period-``period``
    orbit at parameter ``lo`` (reached from ``theta0`` after ``transient`` steps).

    ``model`` is a loss (GD map in :math:`\eta`), a callable ``parameter -> MapSystem``, or an
    :class:`~dynsys_gd.models.IteratedMap` ``f(x, p)``; the last is followed by pseudo-arclength
    continuation with branch switching at each flip (:func:`~dynsys_gd.continue_orbits`: four
    doublings of the logistic map in about 0.1 s of CPU).  Otherwise, after
    each point :math:`\eta_j`, the doubled orbit is reached by iterating at
    :math:`\eta_j + \epsilon` from the old orbit displaced along the flip direction and refined
    by Newton; the next point is searched in :math:`(\eta_j + \epsilon, \eta_j + (\eta_j -
    \eta_{j-1}))` (the whole ``hi`` for the first two).  Ratios of successive intervals estimate
    Feigenbaum's δ where a cascade exists.  ``progress`` draws a bar over the doublings
    located (None: on in a terminal or notebook, off in tests/CI).
    """
    lo = check_positive_float("lo", lo)
    hi = check_positive_float("hi", hi)
    if hi <= lo:
        raise InvalidParameterError(f"hi must be a finite float > lo = {lo}; got {hi}")
    n_doublings = check_int("n_doublings", n_doublings, minimum=1, maximum=12)
    if isinstance(model, IteratedMap) and model.has_parameter:
        return _cascade_by_continuation(model, lo, hi, theta0, n_doublings, period, transient, name)
    factory = _factory(model)
    th0 = np.asarray(theta0, dtype=np.float64).reshape(1, -1)
    _, div, tail = iterate_map(factory(lo), th0, transient, record=4 * period)
    if div[0]:
        raise ConvergenceError(f"the run from theta0 diverged at {lo}")
    th = tail[-1, 0]
    points: list[float] = []
    periods: list[int] = []
    a, k = lo, period
    from ..runtime.progress import progress_bar

    bar = progress_bar(n_doublings, "period doublings", progress)
    for j in range(n_doublings):
        if j:
            bar.update(1)
        upper = hi if j < 2 else min(hi, points[-1] + 1.2 * (points[-1] - points[-2]))
        pt, th = locate_flip(factory, a, upper, th, k, xtol=xtol, neutral_tol=neutral_tol)
        points.append(pt)
        periods.append(k)
        if j == n_doublings - 1:
            break
        gap = (pt - points[-2]) if j >= 1 else (pt - lo)
        eps = gap / 50.0
        s = factory(pt + eps)
        t1, _ = refine_orbit(s, th, k)
        # displace along the flip eigenvector of the monodromy matrix and iterate
        from ..numeric.orbits.periodic import _monodromy, _orbit_points

        M = _monodromy(s, _orbit_points(s, t1, k))
        w, V = np.linalg.eig(M)
        vflip = np.real(V[:, np.argmin(np.real(w))])
        start = (t1 + 1e-3 * np.sqrt(eps) * vflip)[None, :]
        _, div, tail = iterate_map(s, start, 200000 // (k + 1) + 2000, record=4 * k)
        per = int(detect_period(tail, max_period=2 * k, tol=1e-6)[0])
        if div[0] or per != 2 * k:
            raise ConvergenceError(
                f"no period-{2 * k} orbit reached just after the flip at {pt:.10g} (got {per})"
            )
        th = tail[-1, 0]
        a, k = pt + eps, 2 * k
    bar.close()
    pts = np.array(points)
    d = np.diff(pts)
    ratios = d[:-1] / d[1:] if d.size >= 2 else np.array([])
    return CascadeResult(points=pts, periods=tuple(periods), ratios=np.asarray(ratios), name=name)


def _cascade_by_continuation(
    fmap: IteratedMap,
    lo: float,
    hi: float,
    theta0: Any,
    n_doublings: int,
    period: int,
    transient: int,
    name: str,
) -> CascadeResult:
    """The cascade of a parametric map by continuation from the attractor reached at ``lo``."""
    from .continuation import continue_orbits

    x = np.asarray(theta0, dtype=np.float64).reshape(fmap.dim)
    for _ in range(transient):
        x = fmap.step(x, lo)
    if not np.all(np.isfinite(x)):
        raise ConvergenceError(f"the run from theta0 diverged at {lo}")
    res = continue_orbits(
        fmap, (lo, hi), x, period=period, doublings=n_doublings - 1, ds=0.05, ds_max=0.1
    )
    flips = res.flips()[:n_doublings]
    if len(flips) < n_doublings:
        raise ConvergenceError(
            f"only {len(flips)} of {n_doublings} period doublings found in [{lo}, {hi}]"
        )
    pts = np.array([b.param for b in flips])
    d = np.diff(pts)
    ratios = d[:-1] / d[1:] if d.size >= 2 else np.array([])
    periods = tuple(b.period for b in flips)
    return CascadeResult(points=pts, periods=periods, ratios=np.asarray(ratios), name=name)
