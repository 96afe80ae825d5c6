r"""Learning-rate sweeps: the convergent fraction and :math:`g_\infty(\eta)` across η* (C6, C7).

:func:`lr_sweep` estimates, for every step size of a grid, the converged fraction (a range with
the honest interval of :mod:`~dynsys_gd.analysis.convergence` when runs are undecided) and the
asymptotic gradient norm :math:`g_\infty` (median of the tail gradient norm over the decided
non-divergent runs, converged runs counting 0, with a distribution-free interval), locates the
empirical transition and compares it with :math:`\eta^* = 2/S_{\min}` (C5).

Results are kept per ``(lr, sampling block, chunk)``.  Run serially, each ``(block, chunk)``
runs its initialisations at *every* step size of the grid in one engine call, with one step
size per row (every run is independent of the others in its batch, so this is bit-identical to
one call per step size); on an executor every ``(lr, block, chunk)`` is its own work unit, so
all workers have work.
Each lr has its own seed, drawn from the stream ``(seed, "lr_grid", bits of lr)`` of
:mod:`dynsys_gd._streams` (so adding a step size to the grid does not change the others, and
``estimate_convergent_fraction(net, lr, seed=result.lr_seeds[i], ...)`` reproduces point
``i``).  With ``store=`` (a path) every finished task is committed at once to a
:class:`~dynsys_gd.runtime.store.ResultsStore` and tasks already there are skipped, so an
interrupted sweep resumes with bit-identical results.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._results import ResultMixin, jsonable, plotted_by
from .._streams import float_key, stream
from .._types import Model
from .._validation import check_lr_grid, check_positive_float
from ..errors import InvalidParameterError
from ..models import model_fingerprint, model_label
from ..numeric.engine.cost import warn_if_long
from ..numeric.engine.outcomes import OUTCOME_NAMES
from ..numeric.engine.run import EngineConfig, with_optimizer
from ..runtime.executors import WorkerDiedError
from .annotation_sample import annotated_rows, annotated_samples
from .convergence import (
    ANNOTATED_SAMPLES,
    SAMPLING_BLOCK,
    ConvergenceEstimate,
    _portable,
    _task_dict,
    check_common,
    describe_init,
    limit_reference,
    merge_task_results,
    pilot_runs,
    run_rows,
    run_tasks,
    sample_block,
    summarize_runs,
    task_ranges,
)
from .convergence_tasks import _RUN_FIELDS, limit_payload

__all__ = ["SweepResult", "lr_seed", "lr_sweep"]

Array = NDArray[Any]


def lr_seed(seed: int, lr: float) -> int:
    """The seed used for step size ``lr`` in a sweep with master seed ``seed`` (128-bit int from
    the stream ``(seed, "lr_grid", IEEE bits of lr)``)."""
    state = stream(seed, "lr_grid", float_key(lr)).generate_state(4, np.uint32)
    return int.from_bytes(state.tobytes(), "little")


def run_sweep_task(
    model: Any,
    lrs: tuple[float, ...],
    init: Any,
    scale: float,
    seeds: tuple[int, ...],
    block: int,
    start: int,
    stop: int,
    n_samples: int,
    config: EngineConfig | None,
) -> dict[str, Any]:
    """One work unit of a sweep: runs ``start:stop`` of sampling block ``block`` at every step
    size, in one engine call with a per-row step size; a JSON-safe dict with one entry per lr.

    Top-level (picklable) so it can be shipped to any ``concurrent.futures.Executor``.
    """
    from ..numeric.kernels import numeric_model

    P = int(numeric_model(model).n_params)
    size = min(SAMPLING_BLOCK, n_samples - block * SAMPLING_BLOCK)
    m = stop - start
    theta0 = np.concatenate(
        [sample_block(init, scale, sd, block, size, P)[start:stop] for sd in seeds]
    )
    lr_rows = np.repeat(np.asarray(lrs, dtype=np.float64), m)
    offset = block * SAMPLING_BLOCK
    k, cfg = annotated_rows(config, annotated_samples(model), offset, start, stop)
    mask = np.tile(np.arange(m) < k, len(lrs))
    arrays = run_rows(model, theta0, lr_rows, cfg, (*_RUN_FIELDS, "theta", "has_limit"), mask)
    per_lr = [
        _task_dict(block, start, stop, {f: v[i * m : (i + 1) * m] for f, v in arrays.items()})
        | limit_payload(
            model,
            cfg,
            arrays["theta"][i * m : i * m + k],
            arrays["has_limit"][i * m : i * m + k],
        )
        for i in range(len(lrs))
    ]
    return {"block": block, "start": start, "stop": stop, "per_lr": per_lr}


@dataclass(frozen=True, eq=False)
class SweepResult(ResultMixin):
    r"""Convergent fraction and :math:`g_\infty` over a grid of step sizes (C6, C7).

    Attributes
    ----------
    lrs : ndarray
        Step sizes (sorted increasing).
    fraction, fraction_high : ndarray
        :math:`k/n` and :math:`(k+u)/n` per lr (equal where nothing is undecided).
    ci_low, ci_high : ndarray
        Honest interval per lr: lower Clopper–Pearson bound of the converged count, upper
        bound of converged + undecided.
    counts : dict
        Outcome key -> int array over lr.
    n_undecided, n_frozen, n_to_minima, n_to_saddles : ndarray of int
        Undecided runs; frozen runs (they widen the range like undecided ones); converged runs
        ending at minima / at saddles, per lr, counted on the annotated sample (the converged
        runs among the first ``annotated_samples`` initialisations; every converged run when
        ``n_samples`` is at most that).
    g_inf, g_inf_low, g_inf_high : ndarray
        :math:`g_\infty` (decided non-divergent runs) and its distribution-free interval per lr
        (``inf`` if all diverged, ``nan`` if every non-divergent run is undecided).
    transition : tuple of float or None
        ``(largest lr whose fraction is significantly > 0, smallest larger lr where no run
        converged and none is undecided)``, or None when the grid does not bracket a
        transition.
    critical_lr : float or None
        :math:`\eta^*` (from :func:`~dynsys_gd.numeric.landscape.sharpness.critical_lr` for linear
        networks, or as given).
    critical_lr_in_transition : bool or None
        Whether :math:`\eta^*` lies in the transition interval.
    estimates : tuple of ConvergenceEstimate
        Full estimate per lr.
    lr_seeds : tuple of int
        Seed used at each lr.
    annotated_samples : int
        The limits of the converged runs among the first this many initialisations per lr are
        annotated (:func:`~dynsys_gd.analysis.annotation_sample.annotated_samples`).
    """

    lrs: Array
    fraction: Array
    ci_low: Array
    ci_high: Array
    counts: dict[str, Array]
    fraction_high: Array
    n_undecided: Array
    n_frozen: Array
    n_to_minima: Array
    n_to_saddles: Array
    g_inf: Array
    g_inf_low: Array
    g_inf_high: Array
    transition: tuple[float, float] | None
    critical_lr: float | None
    critical_lr_in_transition: bool | None
    estimates: tuple[ConvergenceEstimate, ...]
    lr_seeds: tuple[int, ...]
    n_samples: int
    seed: int
    init: str
    confidence: float
    model: str
    annotated_samples: int = ANNOTATED_SAMPLES

    @property
    def eta_star(self) -> float | None:
        """Deprecated alias of :attr:`critical_lr` (kept for one release)."""
        import warnings

        warnings.warn("eta_star is deprecated; use critical_lr", DeprecationWarning, stacklevel=2)
        return self.critical_lr

    def __repr__(self) -> str:
        return (
            f"SweepResult({len(self.lrs)} lrs in [{self.lrs[0]:g}, {self.lrs[-1]:g}], "
            f"transition={self.transition}, critical_lr={self.critical_lr})"
        )

    def summary(self) -> str:
        lines = [
            f"Learning-rate sweep for {self.model}",
            f"  init: {self.init}; n = {self.n_samples} per lr; seed = {self.seed}",
            f"  {'lr':>10s} {'lr/eta*':>8s} {'fraction':>15s} {'CI':>18s} {'g_inf':>9s}  "
            + " ".join(f"{k:>{max(6, len(k))}s}" for k in OUTCOME_NAMES)
            + f" {'min':>6s} {'saddle':>6s}",
        ]
        for i, lr in enumerate(self.lrs):
            rel = f"{lr / self.critical_lr:8.4f}" if self.critical_lr else f"{'-':>8s}"
            frac = (
                f"{self.fraction[i]:.4f}-{self.fraction_high[i]:.4f}"
                if self.n_undecided[i] + self.n_frozen[i]
                else f"{self.fraction[i]:.4f}"
            )
            lines.append(
                f"  {lr:10.6g} {rel} {frac:>15s} [{self.ci_low[i]:.4f}, "
                f"{self.ci_high[i]:.4f}] {self.g_inf[i]:9.3g}  "
                + " ".join(f"{int(self.counts[k][i]):{max(6, len(k))}d}" for k in OUTCOME_NAMES)
                + f" {int(self.n_to_minima[i]):6d} {int(self.n_to_saddles[i]):6d}"
            )
        lines.append(
            "  (min / saddle: converged runs ending at minima / at saddles; CI: 95% "
            "Clopper-Pearson)".replace("95%", f"{100 * self.confidence:g}%")
        )
        if self.n_samples > self.annotated_samples:
            lines.append(
                f"  (min / saddle counted on a uniform sample: the converged runs among the "
                f"first {self.annotated_samples} of {self.n_samples} initialisations per lr)"
            )
        und = np.flatnonzero(self.n_undecided + self.n_frozen)
        if und.size:
            what = f"{int(self.n_undecided.sum())} undecided"
            if self.n_frozen.sum():
                what += f", {int(self.n_frozen.sum())} frozen"
            lines.append(
                f"  undecided runs at {und.size} of {len(self.lrs)} step sizes "
                f"({what}): there the fraction is a range "
                "(converged to converged + undecided), the CI runs from the lower bound of the "
                "converged to the upper bound of converged + undecided, and g_inf leaves them out"
            )
        if self.transition is None:
            lines.append("  transition: not bracketed by the grid")
        else:
            lines.append(
                f"  empirical transition in ({self.transition[0]:.6g}, {self.transition[1]:.6g}]"
            )
        if self.critical_lr is not None:
            verdict = {True: "inside", False: "OUTSIDE", None: "n/a"}[
                self.critical_lr_in_transition
            ]
            lines.append(f"  eta* = {self.critical_lr:.6g} ({verdict} the transition interval)")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        d = {
            f.name: jsonable(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name not in ("lr_seeds",)
        }
        d["lr_seeds"] = [str(s) for s in self.lr_seeds]
        return d

    _rows_along = "lrs"  # to_pandas(): one row per learning rate
    plot = plotted_by("plot_sweep")


def _transition(lrs: Array, frac_high: Array, lo: Array) -> tuple[float, float] | None:
    """Bracket ``(last lr with ci_low > 0, first larger lr with no converged and no undecided
    run)``: an lr with undecided runs is never taken as "fraction 0"."""
    pos = np.flatnonzero(lo > 0)
    if pos.size == 0:
        return None
    i = int(pos[-1])
    zero = np.flatnonzero((frac_high == 0) & (np.arange(lrs.size) > i))
    if zero.size == 0:
        return None
    return float(lrs[i]), float(lrs[int(zero[0])])


def lr_sweep(
    net: Model,
    lrs: Any,
    *,
    n_samples: int,
    seed: int,
    init: Any = "uniform",
    init_scale: float = 2.0,
    executor: Any = None,
    chunk_size: int | None = None,
    config: EngineConfig | None = None,
    store: Any = None,
    progress: bool | None = None,
    confidence: float = 0.95,
    critical_lr: float | None = None,
    eta_star: float | None = None,
    optimizer: Any = None,
) -> SweepResult:
    r"""Convergent fraction and :math:`g_\infty` over a grid of step sizes (docs/math/claims.md#c6,
    docs/math/claims.md#c7).

    Parameters
    ----------
    net : LinearNetwork, LossModel or NumericModel
        The model.
    lrs : sequence of float
        Step sizes (> 0, distinct); sorted increasing in the result.
    n_samples, seed, init, init_scale, executor, chunk_size, config, progress, confidence
        As in :func:`~dynsys_gd.analysis.convergence.estimate_convergent_fraction`.
    store : str or os.PathLike, optional
        A :class:`~dynsys_gd.runtime.store.ResultsStore` file: finished tasks are committed as
        they complete and skipped on a re-run with the same configuration.
    critical_lr : float, optional
        :math:`\eta^*` to compare with; by default computed for linear networks with
        :func:`~dynsys_gd.numeric.landscape.sharpness.critical_lr`, None for other models.
    eta_star : float, optional
        Deprecated alias of ``critical_lr`` (kept for one release).
    optimizer : Optimizer, optional
        The map that is iterated (default GD); it keys stored results, and the default
        ``critical_lr`` is that optimiser's.

    Returns
    -------
    SweepResult

    Raises
    ------
    InvalidParameterError
        Before any run, for a bad argument (e.g. ``lrs`` empty, not finite and > 0, or not
        distinct), or a store made for a different configuration.
    ~dynsys_gd.runtime.store.StoreError
        When the results store cannot be read or written.
    ~dynsys_gd.runtime.executors.WorkerDiedError
        When a worker process of ``executor`` dies (finished tasks are kept in the store).

    Examples
    --------
    >>> import dynsys_gd as dg
    >>> net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    >>> eta = dg.critical_lr(net)
    >>> sweep = dg.lr_sweep(net, [0.9 * eta, 1.1 * eta], n_samples=100, seed=0)
    >>> [float(f) for f in sweep.fraction]  # converged fractions below and above eta*
    [0.98, 0.0]
    >>> [int(k) for k in sweep.counts["periodic"]]
    [0, 95]
    """
    if eta_star is not None:
        import warnings

        warnings.warn("eta_star= is deprecated; use critical_lr=", DeprecationWarning, stacklevel=2)
        if critical_lr is None:
            critical_lr = eta_star
    grid = [float(v) for v in check_lr_grid("lrs", lrs)]
    config = with_optimizer(config, optimizer)
    net, n, s, scale, conf, cfg = check_common(
        net,
        grid[0],
        n_samples,
        seed,
        init,
        init_scale,
        executor,
        chunk_size,
        config,
        progress,
        confidence,
    )
    annotated = annotated_samples(net)
    if critical_lr is not None:
        critical_lr = check_positive_float("critical_lr", critical_lr)
    else:
        from ..models import LinearNetwork

        if isinstance(net, LinearNetwork):
            from ..numeric.landscape.optimizer_lr import critical_lr as _critical_lr_of

            try:
                critical_lr = float(_critical_lr_of(net, optimizer=cfg.optimizer))
            except InvalidParameterError:
                critical_lr = None
    seeds = [lr_seed(s, lr) for lr in grid]
    warn_if_long(
        net,
        n * len(grid),
        f"the sweep over {len(grid)} learning rates",
        config=cfg,
        pilot=lambda: pilot_runs(net, list(grid), init, scale, seeds, n, cfg),
    )
    init_text = describe_init(init, scale)
    model = _portable(net) if executor is not None else net
    chunk = SAMPLING_BLOCK if chunk_size is None else int(chunk_size)

    # stored entries and work units: one per (lr, sampling block, chunk), so the progress bar
    # ticks once per learning rate and chunk of runs, and every worker of an executor has work
    # (the runs do not depend on how they are grouped)
    keys = {
        (i, b, a, z): f"lr={lr!r}|block={b}|{a}-{z}"
        for i, lr in enumerate(grid)
        for b, a, z in task_ranges(n, chunk)
    }

    st = None
    done: dict[str, dict[str, Any]] = {}
    if store is not None:
        from ..runtime.store import ResultsStore
        from ._task_checks import check_task_result, sampler_identity

        init_id = sampler_identity(init, scale)  # a callable needs a stable name
        st = ResultsStore(
            store,
            {
                "model": model_label(net),
                "model_fingerprint": model_fingerprint(net),
                "lrs": grid,
                "n_samples": n,
                "seed": s,
                "init": init_text,
                "init_id": init_id,
                "chunk_size": int(chunk),
                "engine": cfg.to_dict(),
                "confidence": conf,
                "streams": "dynsys_gd._streams v1",
                "annotated_samples": annotated,
            },
            kind="lr_sweep",
            validate=check_task_result,
        )
    try:
        if st is not None:
            have = st.done_keys()
            for key in keys.values():
                if key in have:
                    got = st.get(key)
                    if got is not None:
                        done[key] = got
        units: list[tuple[tuple[str, ...], tuple[Any, ...]]] = []
        for b, a, z in task_ranges(n, chunk):
            missing = [i for i in range(len(grid)) if keys[(i, b, a, z)] not in done]
            groups = [[i] for i in missing]
            for g in groups:
                if g:
                    unit = (
                        model,
                        tuple(grid[i] for i in g),
                        init,
                        scale,
                        tuple(seeds[i] for i in g),
                        b,
                        a,
                        z,
                        n,
                        cfg,
                    )
                    units.append((tuple(keys[(i, b, a, z)] for i in g), unit))
        keys_of = {id(t): ks for ks, t in units}

        def on_result(task: tuple[Any, ...], res: dict[str, Any]) -> None:
            if st is not None:
                for key, r in zip(keys_of[id(task)], res["per_lr"], strict=True):
                    st.put(key, r)

        results = run_tasks(
            run_sweep_task,
            [t for _, t in units],
            executor,
            progress,
            "lr sweep",
            on_result=on_result,
        )
        for (ks, _), res in zip(units, results, strict=True):
            for key, r in zip(ks, res["per_lr"], strict=True):
                done[key] = r
    except WorkerDiedError as exc:
        if st is None:
            raise
        raise WorkerDiedError(
            f"a worker died; {len(st)} of {len(keys)} tasks are stored in {store}; run the "
            "same command to resume",
            done=exc.done,
            total=exc.total,
        ) from None
    finally:
        if st is not None:
            st.close()

    estimates = []
    for i, lr in enumerate(grid):
        per = [done[keys[(i, b, a, z)]] for b, a, z in task_ranges(n, chunk)]
        arrays = merge_task_results(per, annotated)
        estimates.append(
            summarize_runs(
                arrays,
                lr=lr,
                n_samples=n,
                seed=seeds[i],
                init_text=init_text,
                confidence=conf,
                model_text=model_label(net),
                config=cfg,
                annotated=annotated,
                **limit_reference(net, None),
            )
        )
    lr_arr = np.asarray(grid)
    frac = np.array([e.fraction for e in estimates])
    lo = np.array([e.ci_low for e in estimates])
    hi = np.array([e.ci_high for e in estimates])
    counts = {k: np.array([e.counts[k] for e in estimates], dtype=np.int64) for k in OUTCOME_NAMES}
    frac_high = np.array([e.fraction_high for e in estimates])
    trans = _transition(lr_arr, frac_high, lo)
    inside: bool | None = None
    if trans is not None and critical_lr is not None and math.isfinite(critical_lr):
        inside = bool(trans[0] <= critical_lr <= trans[1])
    return SweepResult(
        lrs=lr_arr,
        fraction=frac,
        ci_low=lo,
        ci_high=hi,
        counts=counts,
        fraction_high=frac_high,
        n_undecided=np.array([e.n_undecided for e in estimates], dtype=np.int64),
        n_frozen=np.array([e.n_frozen for e in estimates], dtype=np.int64),
        n_to_minima=np.array([e.n_to_minima for e in estimates], dtype=np.int64),
        n_to_saddles=np.array([e.n_to_saddles for e in estimates], dtype=np.int64),
        g_inf=np.array([e.g_inf for e in estimates]),
        g_inf_low=np.array([e.g_inf_low for e in estimates]),
        g_inf_high=np.array([e.g_inf_high for e in estimates]),
        transition=trans,
        critical_lr=critical_lr,
        critical_lr_in_transition=inside,
        estimates=tuple(estimates),
        lr_seeds=tuple(seeds),
        n_samples=n,
        seed=s,
        init=init_text,
        confidence=conf,
        model=model_label(net),
        annotated_samples=annotated,
    )
