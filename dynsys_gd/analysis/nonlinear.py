r"""The sharp transition of the asymptotic gradient norm on non-linear networks
(docs/math/nonlinear.md).

docs/math/claims.md#c7: the asymptotic gradient norm :math:`g_\infty(\eta)` — the median over
initialisations of the mean :math:`\lVert\nabla L\rVert` over the last :math:`K` steps of the
runs that do not diverge — is (close to) zero below a critical learning rate and jumps to a
positive value above it.  For non-linear networks there is no closed form for the critical
value; docs/math/nonlinear.md compares the empirical transition with the prediction
:math:`\hat\eta = 2 / S_{\mathrm{flat}}`, where :math:`S_{\mathrm{flat}}` is the sharpness
:math:`\lambda_{\max}(H)` of the flattest minimum GD reaches at smaller learning rates.  C8:
every run that converges ends at a minimum with :math:`\lambda_{\max}(H) \le 2/\eta`; above the
transition, bounded runs hover at the "edge of stability" :math:`\lambda_{\max} \approx 2/\eta`.

This module provides the batched experiment :func:`nonlinear_sweep` and its result
:class:`NonlinearSweepResult` with a table and a figure (the data sets live in
:mod:`dynsys_gd.models.datasets`).

Every run is classified by the one GD engine (:func:`~dynsys_gd.numeric.engine.run_gd`,
docs/math/index.md
§6), so "converged", "periodic", "bounded", "diverged" and "undecided" mean here what they mean
in every other analysis; all (learning rate, initialisation) pairs run in one engine call with
one step size per row.  :math:`g_\infty` follows the one rule of
:func:`~dynsys_gd.analysis.convergence.g_inf_stats`: the median over the decided non-divergent
runs, converged runs counting 0, undecided runs left out (the summary says how many and what
they would change).
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._limits import check_iteration
from .._results import ResultMixin, jsonable, plotted_by
from .._streams import generator
from .._types import Model
from .._validation import (
    check_int,
    check_lr_grid,
    check_positive_float,
    check_real_array,
    check_seed,
    describe,
)
from ..errors import InvalidParameterError
from ..numeric.engine.outcomes import OUTCOME_NAMES, Outcome
from ..numeric.engine.run import EngineConfig
from ..numeric.landscape.lanczos import batched_sharpness

__all__ = [
    "NonlinearSweepResult",
    "nonlinear_sweep",
]

Array = NDArray[np.float64]


# ---------------------------------------------------------------------------------------------
# result
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class NonlinearSweepResult(ResultMixin):
    r"""Result of :func:`nonlinear_sweep` (docs/math/nonlinear.md, docs/math/claims.md#c7,
    docs/math/claims.md#c8).

    Per learning rate (arrays of length ``len(lrs)``): ``g_inf`` (median over the decided
    non-diverged runs of the asymptotic gradient norm: 0 for converged runs, the mean
    :math:`\lVert\nabla L\rVert` over the last ``last_k`` steps otherwise; undecided runs left
    out, ``g_inf_n`` runs used; ``nan`` where none is left) with the 95 % order-statistic
    interval ``g_inf_low``/``g_inf_high``, ``g_inf_tail`` (the median of the measured last-window
    gradient with undecided runs included: an upper bound on g_inf while they still descend;
    used to locate the transition where every non-divergent run is undecided),
    ``final_loss`` (median),
    ``sharpness_median``/``sharpness_min`` of the final points, ``counts`` of outcomes (engine
    outcomes, docs/math/convergent-set.md).  Per run (shape (len(lrs), n_init)): ``g_runs`` (the raw
    tail mean
    gradient norm, ``nan`` for diverged runs), ``sharpness_runs``, ``outcome_codes``,
    ``steps_runs`` (GD steps the engine took).  ``steps`` is the engine's step budget per run
    before its adaptive extension; ``config`` the engine settings.
    ``transition`` is the smallest lr at which :math:`g_\infty` is clearly positive, located in
    the interval ``(transition_low, transition)`` between neighbouring grid points;
    ``predicted_lr`` :math:`= 2/S_{\mathrm{flat}}` with ``flattest_sharpness``
    :math:`S_{\mathrm{flat}}` the
    smallest final sharpness of runs at learning rates below the transition; ``violations``
    lists converged runs with sharpness above :math:`2/\eta` (C8).  ``refined`` lists the
    learning rates added by bisection (``refine``), in the order they were run; they are rows
    of every per-lr array like the grid points.

    Sentinels: a per-lr statistic is NaN when every run at that learning rate diverged (there
    is no run to take it over; ``g_inf`` also when every non-diverged run is undecided or
    frozen), and a per-run ``g_runs`` / ``sharpness_runs`` entry is NaN for a
    diverged run; :meth:`summary` says so in a sentence and :meth:`to_dict` writes them as
    ``null``.  ``seed`` is the seed actually used (drawn from the OS when ``seed=None`` was
    given), so every run can be repeated.
    """

    lrs: Array
    n_init: int
    seed: int | None
    steps: int
    last_k: int
    model: str
    g_inf: Array
    g_inf_low: Array
    g_inf_high: Array
    g_inf_tail: Array
    final_loss: Array
    sharpness_median: Array
    sharpness_min: Array
    counts: tuple[dict[str, int], ...]
    g_runs: Array
    sharpness_runs: Array
    outcome_codes: NDArray[np.int64]
    transition: float | None
    transition_low: float | None
    transition_rule: str
    flattest_sharpness: float | None
    flattest_source: str
    predicted_lr: float | None
    violations: tuple[tuple[float, float], ...]
    elapsed: float
    g_inf_n: NDArray[np.int64]
    steps_runs: NDArray[np.int64]
    config: dict[str, Any]
    n_to_saddles: int = 0
    refined: tuple[float, ...] = ()

    def __repr__(self) -> str:
        t = (
            "none"
            if self.transition is None
            else f"({self.transition_low:.4g}, {self.transition:.4g}]"
        )
        p = "none" if self.predicted_lr is None else f"{self.predicted_lr:.4g}"
        return (
            f"NonlinearSweepResult({len(self.lrs)} lrs, n_init={self.n_init}, "
            f"transition={t}, predicted={p})"
        )

    @property
    def prediction_in_interval(self) -> bool | None:
        """Whether :math:`2/S_\\flat` lies in the transition interval (None if undefined)."""
        if self.transition is None or self.predicted_lr is None or self.transition_low is None:
            return None
        return bool(self.transition_low <= self.predicted_lr <= self.transition)

    def table(self) -> str:
        """Per-lr table: g∞ with CI, loss, sharpness vs 2/η, outcome counts."""
        head = (
            f"{'lr':>9} {'g_inf':>9} {'95% CI':>21} {'loss':>9} {'S_med':>8} {'S_min':>8} "
            f"{'2/lr':>8}  " + " ".join(f"{k:>{max(4, len(k))}}" for k in OUTCOME_NAMES)
        )
        n_und = [int(c["undecided"]) + int(c.get("frozen", 0)) for c in self.counts]
        lines = [head, "-" * len(head)]
        for i, lr in enumerate(self.lrs):

            def f(x: float, w: int = 9, p: str = ".3g") -> str:
                return f"{'-':>{w}}" if not np.isfinite(x) else f"{x:>{w}{p}}"

            ci = (
                "-"
                if not np.isfinite(self.g_inf[i])
                else f"[{self.g_inf_low[i]:.2e}, {self.g_inf_high[i]:.2e}]"
            )
            mark = " <- transition" if self.transition is not None and lr == self.transition else ""
            if lr in self.refined:
                mark += " (bisection)"
            if n_und[i]:
                mark += f" (g_inf over {int(self.g_inf_n[i])} decided runs"
                if not np.isfinite(self.g_inf[i]) and np.isfinite(self.g_inf_tail[i]):
                    mark += f"; last-window gradient of the undecided: {self.g_inf_tail[i]:.2e}"
                mark += ")"
            lines.append(
                f"{lr:>9.4g} {f(self.g_inf[i], 9, '.2e')} {ci:>21} {f(self.final_loss[i])} "
                f"{f(self.sharpness_median[i], 8, '.4g')} {f(self.sharpness_min[i], 8, '.4g')} "
                f"{2 / lr:>8.4g}  "
                + " ".join(f"{self.counts[i][k]:>{max(4, len(k))}d}" for k in OUTCOME_NAMES)
                + mark
            )
        return "\n".join(lines)

    def summary(self) -> str:
        """Human-readable summary: setting, table, transition, prediction, C8 check."""
        out = [
            f"Non-linear network sweep (claims C7, C8): {self.model}",
            f"full-batch GD (the engine of every analysis; budget {self.steps} steps per run "
            f"before its adaptive extension), g_inf = median over decided non-diverged runs of "
            f"the mean |grad L| over the last {self.last_k} steps (converged runs: 0); "
            f"n_init = {self.n_init}, seed = {self.seed}, {self.elapsed:.1f} s",
            "",
            self.table(),
            "",
        ]
        if self.transition is None:
            out.append(f"transition: not located on this grid ({self.transition_rule})")
        else:
            out.append(
                f"transition: g_inf becomes clearly positive between lr = "
                f"{self.transition_low:.4g} and lr = {self.transition:.4g} "
                f"({self.transition_rule})"
            )
        if self.refined:
            out.append(
                f"refined: {len(self.refined)} bisection step(s) in lr added lr = "
                + ", ".join(f"{x:.5g}" for x in self.refined)
                + f" ({self.n_init} runs each, in the table)"
            )
        if self.transition is not None and self.transition_low is not None:
            half = (self.transition - self.transition_low) / (self.transition + self.transition_low)
            out.append(f"transition located to +-{100 * half:.2g} % of its centre")
        if self.predicted_lr is not None and self.flattest_sharpness is not None:
            verdict = {
                True: "inside the interval",
                False: "outside the interval",
                None: "no interval to compare",
            }[self.prediction_in_interval]
            out.append(
                f"prediction: 2 / S_flat = 2 / {self.flattest_sharpness:.5g} = "
                f"{self.predicted_lr:.4g} (S_flat: flattest final point of "
                f"{self.flattest_source} runs below the transition): {verdict}"
            )
        n_und = int(np.sum(self.outcome_codes == Outcome.UNDECIDED.code))
        n_fz = sum(int(c.get("frozen", 0)) for c in self.counts)
        if n_und:
            out.append(
                f"undecided: {n_und} runs reached the step budget without a decision (not "
                "counted as non-convergent); g_inf leaves them out"
            )
        if n_fz:
            out.append(
                f"frozen: {n_fz} runs barely moved (tiny gradient, no approach to a critical "
                "point; not converged); g_inf leaves them out"
            )
        gone = [
            f"{lr:.4g}"
            for i, lr in enumerate(self.lrs)
            if self.counts[i]["diverged"] == self.n_init
        ]
        if gone:
            out.append(
                f"every run diverged at lr = {', '.join(gone)}: no g_inf, loss or "
                "sharpness there (shown as -, null in JSON)"
            )
        n_conv = int(np.sum(self.outcome_codes == Outcome.CONVERGED.code))
        n_min = int(np.sum(self.outcome_codes == Outcome.CONVERGED.code)) - self.n_to_saddles
        out.append(f"converged: {n_conv} runs, to minima {n_min}, to saddles {self.n_to_saddles}")
        out.append(
            f"C8 check: {len(self.violations)} of {n_conv} converged runs end with "
            f"sharpness > 2/lr" + ("" if not self.violations else f": {list(self.violations)[:5]}")
        )
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary of every field (arrays as lists)."""
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["outcome_codes"] = [
            [Outcome.from_code(int(c)).key for c in row] for row in self.outcome_codes
        ]
        d["prediction_in_interval"] = self.prediction_in_interval
        d["convention"] = "L = 1/(2n) sum_k |f(x_k) - y_k|^2"
        for k in (
            "g_inf",
            "g_inf_low",
            "g_inf_high",
            "g_inf_tail",
            "final_loss",
            "sharpness_median",
            "sharpness_min",
            "g_runs",
            "sharpness_runs",
        ):  # NaN: no value (see class doc)
            obj = np.asarray(d[k], dtype=np.float64).astype(object)
            obj[np.isnan(np.asarray(d[k], dtype=np.float64))] = None
            d[k] = obj.tolist()
        return dict(jsonable(d))

    _rows_along = "lrs"  # to_pandas(): one row per learning rate
    plot = plotted_by("plot_nonlinear_sweep")


# ---------------------------------------------------------------------------------------------
# experiment
# ---------------------------------------------------------------------------------------------
def _check_lrs(lrs: Any) -> Array:
    return check_lr_grid("lrs", lrs, min_len=2)


_FIELDS = ("outcome", "steps", "g_tail", "theta", "loss", "at_minimum")


def _run_lr(model: Model, th0: Array, lr: float, cfg: EngineConfig, lanczos_iter: int) -> dict:
    """The ``n_init`` runs at one learning rate (one engine call) and the final sharpness
    :math:`\\lambda_{\\max}(H)` of the non-diverged ones (NaN for diverged runs)."""
    from .convergence import run_rows

    runs = run_rows(model, th0, np.full(th0.shape[0], lr), cfg, fields=_FIELDS)
    ok = runs["outcome"] != Outcome.DIVERGED.code
    sharp = np.full(th0.shape[0], np.nan)
    if np.any(ok):
        n_iter = min(lanczos_iter, int(th0.shape[1]))
        with np.errstate(all="ignore"):
            sharp[ok] = np.asarray(batched_sharpness(model, runs["theta"][ok], n_iter=n_iter))[:, 0]
    runs["sharp"] = sharp
    del runs["theta"]
    return runs


def _finite_stat(rows: Array, fn: Any) -> Array:
    with np.errstate(all="ignore"):
        return np.array([fn(r[np.isfinite(r)]) if np.isfinite(r).any() else np.nan for r in rows])


def _tables(lr_arr: Array, runs: list[dict]) -> dict[str, Any]:
    """Per-lr statistics (g_inf by the one rule of ``g_inf_stats``, loss, sharpness, counts)
    from the per-lr run arrays, rows in the order of ``lr_arr``."""
    from .convergence import g_inf_stats

    codes = np.stack([r["outcome"] for r in runs]).astype(np.int64)
    ok = codes != Outcome.DIVERGED.code
    raw_loss = np.stack([r["loss"] for r in runs])
    loss = np.where(ok & np.isfinite(raw_loss), raw_loss, np.nan)
    g_runs = np.where(ok, np.stack([r["g_tail"] for r in runs]), np.nan)
    sharp = np.stack([r["sharp"] for r in runs])
    stats = [
        g_inf_stats(codes[i], np.where(np.isfinite(g_runs[i]), g_runs[i], np.inf))
        for i in range(lr_arr.size)
    ]
    g_inf = np.array([s[0] for s in stats])
    # the measured last-window gradient with undecided runs included at their measured value
    # (converged runs 0): an upper bound on g_inf of runs that are still descending
    g_tail = np.array([s[0] if s[4] is None else s[4][1] for s in stats])
    g_inf = np.where(np.isinf(g_inf), np.nan, g_inf)  # all diverged: no value (figure, table)
    return {
        "codes": codes,
        "loss": loss,
        "g_runs": g_runs,
        "sharp": sharp,
        "steps": np.stack([r["steps"] for r in runs]),
        "at_minimum": np.stack([r["at_minimum"] for r in runs]).astype(bool),
        "g_inf": g_inf,
        "g_lo": np.where(np.isnan(g_inf), np.nan, np.array([s[1] for s in stats])),
        "g_hi": np.where(np.isnan(g_inf), np.nan, np.array([s[2] for s in stats])),
        "g_tail": np.where(np.isinf(g_tail), np.nan, g_tail),
        "g_n": np.array([s[3] for s in stats], dtype=np.int64),
        "final_loss": _finite_stat(loss, np.median),
        "s_med": _finite_stat(sharp, np.median),
        "s_min": _finite_stat(sharp, np.min),
        "counts": tuple(
            {k: int(np.sum(codes[i] == Outcome.from_key(k).code)) for k in OUTCOME_NAMES}
            for i in range(lr_arr.size)
        ),
    }


def _locate(
    lr_arr: Array, g_inf: Array, g_tail: Array, g_threshold: float | None, min_jump: float
) -> tuple[float | None, float | None, str]:
    """The transition interval ``(low, transition]`` between neighbouring grid points and the
    rule's description (see :func:`nonlinear_sweep`)."""
    transition = transition_low = None
    # where every non-divergent run is undecided g_inf has no value: locate the transition on the
    # measured last-window gradient there (an upper bound while the runs still descend)
    g_loc = np.where(np.isnan(g_inf), g_tail, g_inf)
    used_tail = bool(np.any(np.isnan(g_inf) & np.isfinite(g_tail)))
    # every run diverged (no g_inf, no tail gradient): above the transition, no run stays bounded
    gone = np.isnan(g_inf) & np.isnan(g_tail)
    g_loc = np.where(gone, np.inf, g_loc)
    fin = np.flatnonzero(~np.isnan(g_loc) & (g_loc >= 0))
    if g_threshold is not None:
        rule = f"smallest lr with g_inf >= {g_threshold:g}"
        above = [i for i in fin if g_loc[i] >= g_threshold]
        if above and above[0] > 0:
            i = above[0]
            transition, transition_low = float(lr_arr[i]), float(lr_arr[i - 1])
    else:
        rule = f"largest jump of g_inf between neighbouring lrs, at least x{min_jump:g}"
        best, best_i = 0.0, -1
        for a, b in itertools.pairwise(fin):
            if b != a + 1 or not g_loc[b] > 0:
                continue
            if math.isinf(g_loc[a]) or (math.isinf(g_loc[b]) and g_loc[a] != 0):
                continue  # into an lr where every run diverged: only straight from g_inf = 0
            r = math.inf if g_loc[a] == 0 else float(g_loc[b] / g_loc[a])
            if r > best:
                best, best_i = r, int(b)
        if best_i > 0 and best >= min_jump:
            transition, transition_low = float(lr_arr[best_i]), float(lr_arr[best_i - 1])
            rule += " (here from 0)" if math.isinf(best) else f" (here x{best:.3g})"
    if used_tail:
        rule += (
            "; at lrs where every non-divergent run was undecided, on their measured "
            "last-window gradient (an upper bound on g_inf while they still descend)"
        )
    if transition is not None and bool(gone[lr_arr == transition][0]):
        rule += "; every run diverged at its upper end (no run stays bounded there: g_inf = inf)"
    return transition, transition_low, rule


def nonlinear_sweep(
    model: Model,
    lrs: Any,
    *,
    n_init: int = 16,
    seed: int | None = 0,
    steps: int | None = None,
    last_k: int | None = None,
    init: str = "glorot",
    init_scale: float = 1.0,
    theta0: Any = None,
    config: EngineConfig | None = None,
    min_jump: float = 10.0,
    g_threshold: float | None = None,
    lanczos_iter: int = 40,
    refine: int = 0,
    refine_tol: float = 0.01,
    progress: bool | None = None,
) -> NonlinearSweepResult:
    r"""Learning-rate sweep of full-batch GD on a non-linear network (docs/math/nonlinear.md,
    docs/math/claims.md#c7, docs/math/claims.md#c8).

    Every (learning rate, initialisation) pair is one row of a single engine call
    (:func:`~dynsys_gd.numeric.engine.run_gd` with one step size per row); the same ``n_init``
    initialisations are used at every learning rate.  Outcomes are the engine's
    (docs/math/convergent-set.md).

    Parameters
    ----------
    model : MLP or NumericModel
        The model; it needs ``init(rng, n, scheme, scale)`` unless ``theta0`` is given.
    lrs : sequence of float
        Learning rates (≥ 2, > 0; sorted internally).
    n_init : int
        Initialisations per learning rate.
    seed : int or None
        Seed of the initialisations (stream ``(seed, "nonlinear_init")`` of
        :mod:`dynsys_gd._streams`).
    steps : int, optional
        Engine step budget per run before its adaptive extension (``config.max_steps``;
        default 3000, or the budget of ``config`` when one is given).
    last_k : int, optional
        Window of the tail gradient norm (``config.tail``; default: the engine's, or that of
        ``config``); the engine then checks at least every ``last_k`` steps.
    init, init_scale
        Initialisation scheme and scale passed to ``model.init``.
    theta0 : array_like (n_init, P), optional
        Explicit initialisations (then ``init``/``seed`` are not used for θ₀).
    config : EngineConfig, optional
        Every other engine setting.
    min_jump : float
        Without ``g_threshold``: the transition is the largest ratio
        :math:`g_\infty(\eta_{i+1})/g_\infty(\eta_i)` between neighbouring learning rates
        (infinite from :math:`g_\infty = 0`), accepted when ≥ ``min_jump``.
    g_threshold : float, optional
        Instead: the smallest lr with :math:`g_\infty \ge` ``g_threshold``.
    lanczos_iter : int
        Lanczos steps for the final sharpness
        (:func:`~dynsys_gd.numeric.landscape.lanczos.batched_sharpness`).
    refine : int
        At most this many bisection steps in :math:`\eta` after the grid: each puts a new grid
        point at the geometric midpoint :math:`\sqrt{\eta_{\text{low}}\eta_{\text{high}}}` of
        the current transition interval, with its own ``n_init`` runs from the same
        initialisations, and locates the transition again on the enlarged grid (every point is
        reported; the added ones in ``refined``).
    refine_tol : float
        Refinement stops once the interval is within ±``refine_tol`` (relative) of its centre,
        :math:`\eta_{\text{high}} - \eta_{\text{low}} \le` ``refine_tol``
        :math:`(\eta_{\text{high}} + \eta_{\text{low}})`.
    progress : bool or None
        Bar over the learning rates on stderr (None: on in a terminal or notebook, off in
        tests/CI).  A sweep that may take minutes first issues a ``LongJobWarning``.

    Returns
    -------
    NonlinearSweepResult

    Raises
    ------
    InvalidParameterError
        For a bad argument (checked before any run).
    """
    import dataclasses

    P = getattr(model, "n_params", None)
    if not isinstance(P, int) or not all(hasattr(model, a) for a in ("gradient", "hvp")):
        raise InvalidParameterError(
            f"model must be an MLP or a NumericModel; got {type(model).__name__}"
        )
    lr_arr = _check_lrs(lrs)
    n_init = check_int("n_init", n_init, minimum=1)
    seed = check_seed("seed", seed)
    if seed is None:  # record the seed actually drawn, so the run can be repeated
        seed = int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    if config is not None and not isinstance(config, EngineConfig):
        raise InvalidParameterError(
            f"config must be an EngineConfig or None; got {describe(config)}"
        )
    base = config if config is not None else EngineConfig()
    if steps is None:
        steps = base.max_steps if config is not None else 3000
    steps = check_int("steps", steps, minimum=2)
    if last_k is None:
        last_k = min(base.tail, steps)
    last_k = check_int("last_k", last_k, minimum=1, maximum=steps)
    init_scale = check_positive_float("init_scale", init_scale)
    min_jump = check_positive_float("min_jump", min_jump)
    if g_threshold is not None:
        g_threshold = check_positive_float("g_threshold", g_threshold)
    lanczos_iter = check_int("lanczos_iter", lanczos_iter, minimum=1)
    refine = check_int("refine", refine, minimum=0)
    refine_tol = check_positive_float("refine_tol", refine_tol)
    # the tail window is measured between checks: checks at least every last_k steps
    cfg = dataclasses.replace(
        base, max_steps=steps, tail=last_k, check_every=max(base.check_every, last_k)
    )
    # size model: (8 P + last_k) floats per run; the engine's budget with its extension
    budget = int(cfg.budgets(False)[1])  # hard cap of a run: the short budget of MLPs
    B_all = (lr_arr.size + refine) * n_init  # with every refinement step
    ctx = f"for {B_all} runs of {P} parameters"
    check_iteration("n_init", n_init, steps=0, arrays=B_all * (8 * P + last_k), context=ctx)
    check_iteration("steps", steps, steps=budget, runs=B_all, n_params=P, context=ctx)
    if theta0 is None:
        if not hasattr(model, "init"):
            raise InvalidParameterError("theta0 is required for a model without an init method")
        rng = generator(seed, "nonlinear_init")
        th0 = np.asarray(model.init(rng, n_init, init, init_scale), dtype=np.float64)
    else:
        th0 = check_real_array("theta0", theta0, finite=False)  # complex refused
        if th0.shape != (n_init, P) or not np.all(np.isfinite(th0)):
            raise InvalidParameterError(
                f"theta0 must be a finite array of shape ({n_init}, {P}); got {describe(theta0)}"
            )
    t_start = time.perf_counter()
    from ..numeric.engine.cost import warn_if_long
    from ..runtime.progress import progress_bar

    warn_if_long(model, B_all, f"the sweep over {lr_arr.size} learning rates", config=cfg)
    per_lr: dict[float, dict[str, Array]] = {}
    refined: list[float] = []
    rule_args = (g_threshold, min_jump)
    # one engine call per learning rate, so the bar advances (rows are independent: the same
    # results as one call over all rows)
    with progress_bar(lr_arr.size + refine, "nonlinear sweep (learning rates)", progress) as bar:
        for lr in lr_arr:
            per_lr[float(lr)] = _run_lr(model, th0, float(lr), cfg, lanczos_iter)
            bar.update(1)
        # bisection in eta: each step is a new grid point with its own n_init runs
        for _ in range(refine):
            grid = np.array(sorted(per_lr))
            t = _tables(grid, [per_lr[x] for x in grid])
            hi, lo, _ = _locate(grid, t["g_inf"], t["g_tail"], *rule_args)
            if hi is None or lo is None or (hi - lo) <= refine_tol * (hi + lo):
                break
            mid = math.sqrt(lo * hi)
            if mid in per_lr or not lo < mid < hi:
                break
            per_lr[mid] = _run_lr(model, th0, mid, cfg, lanczos_iter)
            refined.append(mid)
            bar.update(1)
    lr_arr = np.array(sorted(per_lr))
    t = _tables(lr_arr, [per_lr[x] for x in lr_arr])
    g_inf, g_lo, g_hi, g_tail_med, g_n = (t["g_inf"], t["g_lo"], t["g_hi"], t["g_tail"], t["g_n"])
    g_runs, sharp, codes2 = t["g_runs"], t["sharp"], t["codes"]
    final_loss, s_med, s_min = t["final_loss"], t["s_med"], t["s_min"]
    counts = t["counts"]
    transition, transition_low, rule = _locate(lr_arr, g_inf, g_tail_med, *rule_args)
    if refined:
        rule += (
            f"; refined by {len(refined)} bisection step(s) in lr, each a new grid point with "
            f"its own {n_init} runs"
        )
    # prediction from the flattest minimum reached below the transition
    flattest = predicted = None
    source = "none"
    if transition is not None:
        below = lr_arr < transition
        conv = (codes2 == Outcome.CONVERGED.code) & below[:, None] & np.isfinite(sharp)
        # fallback: the runs at the neighbouring lr below the transition (closest to minima)
        nearest = (lr_arr == transition_low)[:, None] & np.isfinite(sharp) & (sharp > 0)
        pool = conv if np.any(conv) else nearest
        source = (
            "converged"
            if np.any(conv)
            else f"non-diverged (none converged) lr = {transition_low:.4g}"
        )
        if np.any(pool):
            flattest = float(np.min(sharp[pool]))
            predicted = 2.0 / flattest if flattest > 0 else None
    conv_all = codes2 == Outcome.CONVERGED.code
    viol = conv_all & (sharp > (2.0 / lr_arr)[:, None] * (1 + 1e-6))
    violations = tuple(
        (float(lr_arr[i]), float(sharp[i, j])) for i, j in zip(*np.nonzero(viol), strict=True)
    )
    shape = codes2.shape
    to_saddles = int(np.sum(conv_all & ~t["at_minimum"]))
    return NonlinearSweepResult(
        lrs=lr_arr,
        n_init=n_init,
        seed=seed,
        steps=steps,
        last_k=last_k,
        model=repr(model),
        g_inf=g_inf,
        g_inf_low=g_lo,
        g_inf_high=g_hi,
        g_inf_tail=g_tail_med,
        final_loss=final_loss,
        sharpness_median=s_med,
        sharpness_min=s_min,
        counts=counts,
        g_runs=g_runs,
        sharpness_runs=sharp,
        outcome_codes=codes2,
        transition=transition,
        transition_low=transition_low,
        transition_rule=rule,
        flattest_sharpness=flattest,
        flattest_source=source,
        predicted_lr=predicted,
        violations=violations,
        elapsed=time.perf_counter() - t_start,
        g_inf_n=g_n,
        steps_runs=t["steps"].astype(np.int64).reshape(shape),
        config=cfg.to_dict(),
        n_to_saddles=to_saddles,
        refined=tuple(refined),
    )
