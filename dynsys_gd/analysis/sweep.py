r"""Learning-rate sweeps: the convergent fraction and :math:`g_\infty(\eta)` across η* (C6, C7).

:func:`lr_sweep` estimates, for every step size of a grid, the converged fraction (with its
Clopper–Pearson interval) and the asymptotic gradient norm :math:`g_\infty` (median of the tail
gradient norm over non-divergent runs, converged runs counting 0, with a distribution-free
interval), locates the empirical transition and compares it with
:math:`\eta^* = 2/S_{\min}` (C5).

Work is cut into ``(lr, sampling block, chunk)`` tasks.  Each lr has its own seed, derived from
``(seed, lr)`` by ``SeedSequence`` (so adding a step size to the grid does not change the others,
and ``estimate_convergent_fraction(net, lr, seed=result.lr_seeds[i], ...)`` reproduces point
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

from .._results import ResultMixin, jsonable
from .._validation import check_positive_float, describe
from ..errors import InvalidParameterError
from ..models import model_fingerprint
from ..numeric.engine import EngineConfig
from ..numeric.outcomes import OUTCOME_NAMES
from ..runtime.executors import WorkerDiedError
from .convergence import (
    SAMPLING_BLOCK,
    ConvergenceEstimate,
    _portable,
    check_common,
    describe_init,
    merge_task_results,
    run_task,
    run_tasks,
    summarize_runs,
    task_ranges,
)

__all__ = ["SweepResult", "lr_seed", "lr_sweep"]

Array = NDArray[Any]


def lr_seed(seed: int, lr: float) -> int:
    """The seed used for step size ``lr`` in a sweep with master seed ``seed`` (128-bit int)."""
    bits = int(np.array(float(lr), dtype=np.float64).view(np.uint64))
    state = np.random.SeedSequence([int(seed), bits]).generate_state(4, np.uint32)
    return int.from_bytes(state.tobytes(), "little")


@dataclass(frozen=True, eq=False)
class SweepResult(ResultMixin):
    r"""Convergent fraction and :math:`g_\infty` over a grid of step sizes (C6, C7).

    Attributes
    ----------
    lrs : ndarray
        Step sizes (sorted increasing).
    fraction, ci_low, ci_high : ndarray
        Converged fraction and Clopper–Pearson interval per lr.
    counts : dict
        Outcome key -> int array over lr.
    g_inf, g_inf_low, g_inf_high : ndarray
        :math:`g_\infty` and its distribution-free interval per lr (``inf`` if all diverged).
    transition : tuple of float or None
        ``(largest lr whose fraction is significantly > 0, smallest larger lr with fraction 0)``,
        or None when the grid does not bracket a transition.
    critical_lr : float or None
        :math:`\eta^*` (from :func:`~dynsys_gd.numeric.sharpness.critical_lr` for linear
        networks, or as given).
    critical_lr_in_transition : bool or None
        Whether :math:`\eta^*` lies in the transition interval.
    estimates : tuple of ConvergenceEstimate
        Full estimate per lr.
    lr_seeds : tuple of int
        Seed used at each lr.
    """

    lrs: Array
    fraction: Array
    ci_low: Array
    ci_high: Array
    counts: dict[str, Array]
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
            f"  {'lr':>10s} {'lr/eta*':>8s} {'fraction':>9s} {'CI':>19s} {'g_inf':>10s}  "
            + " ".join(f"{k[:4]:>6s}" for k in OUTCOME_NAMES),
        ]
        for i, lr in enumerate(self.lrs):
            rel = f"{lr / self.critical_lr:8.4f}" if self.critical_lr else f"{'-':>8s}"
            lines.append(
                f"  {lr:10.6g} {rel} {self.fraction[i]:9.4f} [{self.ci_low[i]:.4f}, "
                f"{self.ci_high[i]:.4f}] {self.g_inf[i]:10.3g}  "
                + " ".join(f"{int(self.counts[k][i]):6d}" for k in OUTCOME_NAMES)
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


def _transition(lrs: Array, frac: Array, lo: Array) -> tuple[float, float] | None:
    pos = np.flatnonzero(lo > 0)
    if pos.size == 0:
        return None
    i = int(pos[-1])
    zero = np.flatnonzero((frac == 0) & (np.arange(lrs.size) > i))
    if zero.size == 0:
        return None
    return float(lrs[i]), float(lrs[int(zero[0])])


def lr_sweep(
    net: Any,
    lrs: Any,
    *,
    n_samples: int,
    seed: int,
    init: Any = "uniform",
    init_scale: float = 2.0,
    executor: Any = None,
    chunk_size: int = SAMPLING_BLOCK,
    config: EngineConfig | None = None,
    store: Any = None,
    progress: bool = False,
    confidence: float = 0.95,
    critical_lr: float | None = None,
    eta_star: float | None = None,
) -> SweepResult:
    r"""Convergent fraction and :math:`g_\infty` over a grid of step sizes (MATH.md C6, C7).

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
        :func:`~dynsys_gd.numeric.sharpness.critical_lr`, None for other models.
    eta_star : float, optional
        Deprecated alias of ``critical_lr`` (kept for one release).

    Returns
    -------
    SweepResult
    """
    if eta_star is not None:
        import warnings

        warnings.warn("eta_star= is deprecated; use critical_lr=", DeprecationWarning, stacklevel=2)
        if critical_lr is None:
            critical_lr = eta_star
    if isinstance(lrs, str | bytes) or np.ndim(lrs) != 1 or len(lrs) == 0:
        raise InvalidParameterError(
            f"lrs must be a non-empty 1-D sequence of floats > 0; got {describe(lrs)}"
        )
    grid = sorted(check_positive_float(f"lrs[{i}]", v) for i, v in enumerate(lrs))
    if len(set(grid)) != len(grid):
        raise InvalidParameterError(f"lrs must be distinct; got {list(lrs)!r}")
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
    if critical_lr is not None:
        critical_lr = check_positive_float("critical_lr", critical_lr)
    else:
        from ..models import LinearNetwork

        if isinstance(net, LinearNetwork):
            from ..numeric.sharpness import critical_lr as _critical_lr_of

            try:
                critical_lr = float(_critical_lr_of(net))
            except InvalidParameterError:
                critical_lr = None
    seeds = [lr_seed(s, lr) for lr in grid]
    init_text = describe_init(init, scale)
    model = _portable(net) if executor is not None else net

    keyed: list[tuple[str, int, tuple[Any, ...]]] = []
    for i, lr in enumerate(grid):
        for b, a, z in task_ranges(n, chunk_size):
            key = f"lr={lr!r}|block={b}|{a}-{z}"
            keyed.append((key, i, (model, lr, init, scale, seeds[i], b, a, z, n, cfg)))

    st = None
    done: dict[str, dict[str, Any]] = {}
    if store is not None:
        from ..runtime.store import ResultsStore
        from ._task_checks import check_task_result, sampler_identity

        init_id = sampler_identity(init, scale)  # a callable needs a stable name
        st = ResultsStore(
            store,
            {
                "model": repr(net),
                "model_fingerprint": model_fingerprint(net),
                "lrs": grid,
                "n_samples": n,
                "seed": s,
                "init": init_text,
                "init_id": init_id,
                "chunk_size": int(chunk_size),
                "engine": cfg.to_dict(),
                "confidence": conf,
            },
            kind="lr_sweep",
            validate=check_task_result,
        )
    try:
        if st is not None:
            have = st.done_keys()
            for key, _, _ in keyed:
                if key in have:
                    got = st.get(key)
                    if got is not None:
                        done[key] = got
        todo = [(key, i, t) for key, i, t in keyed if key not in done]
        key_of = {id(t): key for key, _, t in todo}

        def on_result(task: tuple[Any, ...], res: dict[str, Any]) -> None:
            if st is not None:
                st.put(key_of[id(task)], res)

        results = run_tasks(
            run_task, [t for _, _, t in todo], executor, progress, "lr sweep", on_result=on_result
        )
        for (key, _, _), res in zip(todo, results, strict=True):
            done[key] = res
    except WorkerDiedError as exc:
        if st is None:
            raise
        raise WorkerDiedError(
            f"a worker died; {len(st)} of {len(keyed)} tasks are stored in {store}; run the "
            "same command to resume",
            done=exc.done,
            total=exc.total,
        ) from None
    finally:
        if st is not None:
            st.close()

    estimates = []
    for i, lr in enumerate(grid):
        per = [done[key] for key, j, _ in keyed if j == i]
        arrays = merge_task_results(per)
        estimates.append(
            summarize_runs(
                arrays,
                lr=lr,
                n_samples=n,
                seed=seeds[i],
                init_text=init_text,
                confidence=conf,
                model_text=repr(net),
                config=cfg,
            )
        )
    lr_arr = np.asarray(grid)
    frac = np.array([e.fraction for e in estimates])
    lo = np.array([e.ci_low for e in estimates])
    hi = np.array([e.ci_high for e in estimates])
    counts = {k: np.array([e.counts[k] for e in estimates], dtype=np.int64) for k in OUTCOME_NAMES}
    trans = _transition(lr_arr, frac, lo)
    inside: bool | None = None
    if trans is not None and critical_lr is not None and math.isfinite(critical_lr):
        inside = bool(trans[0] <= critical_lr <= trans[1])
    return SweepResult(
        lrs=lr_arr,
        fraction=frac,
        ci_low=lo,
        ci_high=hi,
        counts=counts,
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
        model=repr(net),
    )
