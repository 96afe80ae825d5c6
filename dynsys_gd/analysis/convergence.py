r"""Monte-Carlo estimate of the measure of the convergent set (MATH.md §6, C6, C7).

:func:`estimate_convergent_fraction` draws initialisations from a stated distribution, runs the
batched engine (:func:`~dynsys_gd.numeric.engine.run_gd`) and reports the fraction of runs that
converge with an exact Clopper–Pearson interval, all outcome counts, the split of converged runs
into minima and saddles, the sharpness of the limits (C8: every limit has
:math:`\lambda_{\max} \le 2/\eta`) and the asymptotic gradient norm :math:`g_\infty` (C7: median
of ``g_tail`` over non-divergent runs, with a distribution-free interval).

Reproducibility: initialisations are generated in fixed sampling blocks of
:data:`SAMPLING_BLOCK` samples, block ``b`` from ``default_rng(SeedSequence(seed).spawn(...)[b])``;
work units (chunks) never cross blocks and every run is independent of the others in its batch,
so the result is bit-identical for every ``chunk_size`` and every executor.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._limits import check_engine_memory, check_iteration
from .._results import ResultMixin, jsonable
from .._validation import (
    check_int,
    check_positive_float,
    check_probability,
    check_real_array,
    check_seed,
    describe,
)
from ..errors import InvalidParameterError
from ..numeric.engine import EngineConfig, run_gd
from ..numeric.outcomes import OUTCOME_NAMES, Outcome
from .intervals import clopper_pearson, median_ci

__all__ = [
    "SAMPLING_BLOCK",
    "ConvergenceEstimate",
    "describe_init",
    "estimate_convergent_fraction",
    "merge_task_results",
    "run_task",
    "sample_block",
    "task_ranges",
]

#: Samples per sampling block (each block has its own SeedSequence child).
SAMPLING_BLOCK = 4096

Array = NDArray[Any]


def describe_init(init: Any, scale: float) -> str:
    """Human statement of the initialisation distribution."""
    if init == "uniform":
        return f"uniform box [-{scale:g}, {scale:g}]^P"
    if init == "gaussian":
        return f"gaussian N(0, {scale:g}^2 I)"
    return f"callable {getattr(init, '__qualname__', type(init).__name__)}"


def sample_block(init: Any, scale: float, seed: int, block: int, size: int, P: int) -> Array:
    """The ``size`` initialisations of sampling block ``block`` (deterministic in seed, block)."""
    child = np.random.SeedSequence(seed).spawn(block + 1)[block]
    rng = np.random.default_rng(child)
    if init == "uniform":
        return rng.uniform(-scale, scale, size=(size, P))
    if init == "gaussian":
        return rng.normal(0.0, scale, size=(size, P))
    out = check_real_array("init sampler output", init(rng, size, P), finite=False)
    if out.shape != (size, P) or not np.all(np.isfinite(out)):
        raise InvalidParameterError(
            f"init sampler must return a finite array of shape ({size}, {P}); got {describe(out)}"
        )
    return out


def task_ranges(n_samples: int, chunk_size: int) -> Iterator[tuple[int, int, int]]:
    """Work units ``(block, start, stop)`` (offsets inside the block), never crossing blocks."""
    n_blocks = math.ceil(n_samples / SAMPLING_BLOCK)
    for b in range(n_blocks):
        size = min(SAMPLING_BLOCK, n_samples - b * SAMPLING_BLOCK)
        for s in range(0, size, chunk_size):
            yield b, s, min(size, s + chunk_size)


def _portable(model: Any) -> Any:
    """A picklable copy of the model (drops generated-code caches of sympy losses)."""
    from ..models import LossModel

    if isinstance(model, LossModel):
        return LossModel(model.loss, model.params, name=model.name)
    return model


def run_task(
    model: Any,
    lr: float,
    init: Any,
    scale: float,
    seed: int,
    block: int,
    start: int,
    stop: int,
    n_samples: int,
    config: EngineConfig | None,
) -> dict[str, Any]:
    """One work unit: runs ``start:stop`` of sampling block ``block``; a JSON-safe dict.

    Top-level (picklable) so it can be shipped to any ``concurrent.futures.Executor``.
    """
    from ..numeric.kernels import numeric_model

    P = int(numeric_model(model).n_params)
    size = min(SAMPLING_BLOCK, n_samples - block * SAMPLING_BLOCK)
    theta0 = sample_block(init, scale, seed, block, size, P)[start:stop]
    rb = run_gd(model, theta0, lr, config=config)
    return {
        "block": block,
        "start": start,
        "stop": stop,
        "outcome": rb.outcome.tolist(),
        "steps": rb.steps.tolist(),
        "period": rb.period.tolist(),
        "g_tail": jsonable(rb.g_tail),
        "sharpness": rb.sharpness.tolist(),
        "at_minimum": rb.at_minimum.tolist(),
        "certified": rb.certified.tolist(),
    }


def merge_task_results(results: list[dict[str, Any]]) -> dict[str, Array]:
    """Concatenate task dicts in sample order (block, start) into per-run arrays."""
    rs = sorted(results, key=lambda r: (r["block"], r["start"]))

    def cat(key: str, dtype: Any) -> Array:
        vals: list[Any] = []
        for r in rs:
            vals.extend(r[key])
        if key == "g_tail":
            vals = [float(v) for v in vals]  # "inf" strings from jsonable
        return np.asarray(vals, dtype=dtype)

    return {
        "outcome": cat("outcome", np.int64),
        "steps": cat("steps", np.int64),
        "period": cat("period", np.int64),
        "g_tail": cat("g_tail", np.float64),
        "sharpness": cat("sharpness", np.float64),
        "at_minimum": cat("at_minimum", bool),
        "certified": cat("certified", bool),
    }


@dataclass(frozen=True, eq=False)
class ConvergenceEstimate(ResultMixin):
    r"""Monte-Carlo estimate of the convergent fraction at one step size (MATH.md §6, C6–C8).

    Attributes
    ----------
    fraction, ci_low, ci_high : float
        Converged fraction and its Clopper–Pearson interval at level ``confidence``.
    counts : dict
        Outcome key -> number of runs (all five keys).
    n_samples, seed, lr, confidence : as given.
    init : str
        The initialisation distribution stated in words.
    n_to_minima, n_to_saddles, n_certified : int
        Converged runs ending at minima / at saddles; converged runs decided by the certificate.
    sharpness_min, sharpness_median, sharpness_max : float or None
        :math:`\lambda_{\max}(H)` at the limits of converged runs (None when none converged).
    g_inf, g_inf_low, g_inf_high : float
        :math:`g_\infty` (C7): median over non-divergent runs of the asymptotic gradient norm
        (0 for converged runs, ``g_tail`` otherwise) and its distribution-free interval
        (``inf`` when every run diverged).
    n_periodic_by_period : dict
        Period -> number of periodic runs.
    model : str
        Description of the model.
    config : dict
        The engine settings used.
    """

    fraction: float
    ci_low: float
    ci_high: float
    confidence: float
    counts: dict[str, int]
    n_samples: int
    seed: int
    lr: float
    init: str
    n_to_minima: int
    n_to_saddles: int
    n_certified: int
    sharpness_min: float | None
    sharpness_median: float | None
    sharpness_max: float | None
    g_inf: float
    g_inf_low: float
    g_inf_high: float
    n_periodic_by_period: dict[int, int]
    model: str
    config: dict[str, Any]

    def __repr__(self) -> str:
        return (
            f"ConvergenceEstimate(lr={self.lr:g}, fraction={self.fraction:.4f} "
            f"[{self.ci_low:.4f}, {self.ci_high:.4f}], n={self.n_samples})"
        )

    def summary(self) -> str:
        c = self.counts
        lines = [
            f"Convergent fraction at lr = {self.lr:.6g} for {self.model}",
            f"  init: {self.init}; n = {self.n_samples}; seed = {self.seed}",
            f"  fraction converged: {self.fraction:.4f}  ({100 * self.confidence:g}% CI "
            f"[{self.ci_low:.4f}, {self.ci_high:.4f}], Clopper-Pearson)",
            "  outcomes: " + ", ".join(f"{k} {c[k]}" for k in OUTCOME_NAMES),
            f"  converged to minima: {self.n_to_minima}, to saddles: {self.n_to_saddles} "
            f"(certified early: {self.n_certified})",
        ]
        if self.sharpness_max is not None:
            lines.append(
                f"  limit sharpness: min {self.sharpness_min:.6g}, median "
                f"{self.sharpness_median:.6g}, max {self.sharpness_max:.6g} "
                f"(2/lr = {2 / self.lr:.6g})"
            )
        lines.append(
            f"  g_inf (median tail gradient norm, non-divergent runs): {self.g_inf:.3g} "
            f"[{self.g_inf_low:.3g}, {self.g_inf_high:.3g}]"
        )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}


def summarize_runs(
    arrays: dict[str, Array],
    *,
    lr: float,
    n_samples: int,
    seed: int,
    init_text: str,
    confidence: float,
    model_text: str,
    config: EngineConfig,
) -> ConvergenceEstimate:
    """Build a :class:`ConvergenceEstimate` from merged per-run arrays."""
    out = arrays["outcome"]
    cnt = np.bincount(out, minlength=len(OUTCOME_NAMES))
    counts = {k: int(cnt[i]) for i, k in enumerate(OUTCOME_NAMES)}
    conv = out == Outcome.CONVERGED.code
    k = int(conv.sum())
    lo, hi = clopper_pearson(k, n_samples, confidence)
    sh = arrays["sharpness"][conv]
    nondiv = out != Outcome.DIVERGED.code
    if nondiv.any():
        # a converged run's asymptotic gradient norm is 0 (its limit is a critical point), even
        # when it was certified early while g_tail was still positive
        g_asym = np.where(conv, 0.0, arrays["g_tail"])
        g, gl, gh = median_ci(g_asym[nondiv], confidence)
    else:
        g = gl = gh = math.inf
    per = arrays["period"][out == Outcome.PERIODIC.code]
    by_period = {int(p): int(c) for p, c in zip(*np.unique(per, return_counts=True), strict=True)}
    return ConvergenceEstimate(
        fraction=k / n_samples,
        ci_low=lo,
        ci_high=hi,
        confidence=confidence,
        counts=counts,
        n_samples=n_samples,
        seed=seed,
        lr=lr,
        init=init_text,
        n_to_minima=int((conv & arrays["at_minimum"]).sum()),
        n_to_saddles=int((conv & ~arrays["at_minimum"]).sum()),
        n_certified=int((conv & arrays["certified"]).sum()),
        sharpness_min=float(sh.min()) if k else None,
        sharpness_median=float(np.median(sh)) if k else None,
        sharpness_max=float(sh.max()) if k else None,
        g_inf=float(g),
        g_inf_low=float(gl),
        g_inf_high=float(gh),
        n_periodic_by_period=by_period,
        model=model_text,
        config=config.to_dict(),
    )


#: largest Monte-Carlo sample accepted (runs are processed in blocks, so memory stays bounded,
#: but a larger request would run for days on one machine)
MAX_SAMPLES = 10**9


def check_common(
    net: Any,
    lr: Any,
    n_samples: Any,
    seed: Any,
    init: Any,
    init_scale: Any,
    executor: Any,
    chunk_size: Any,
    config: Any,
    progress: Any,
    confidence: Any,
) -> tuple[Any, int, int, float, float, EngineConfig]:
    """Validate the arguments shared by the estimate and the sweep."""
    from ..numeric.kernels import numeric_model

    P = int(numeric_model(net).n_params)  # raises InvalidParameterError for unsupported models
    n = check_int("n_samples", n_samples, minimum=1)
    if seed is None:
        raise InvalidParameterError(
            "seed must be an int >= 0 (required for reproducibility); got None"
        )
    s = check_seed("seed", seed)
    assert s is not None
    if not (callable(init) or init in ("uniform", "gaussian")):
        raise InvalidParameterError(
            f"init must be one of 'uniform', 'gaussian' or a callable sampler(rng, n, P); got "
            f"{describe(init)}"
        )
    scale = check_positive_float("init_scale", init_scale)
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise InvalidParameterError(
            f"executor must be None or a concurrent.futures.Executor; got {describe(executor)}"
        )
    check_int("chunk_size", chunk_size, minimum=1)
    if config is None:
        config = EngineConfig()
    elif not isinstance(config, EngineConfig):
        raise InvalidParameterError(
            f"config must be an EngineConfig or None; got {describe(config)}"
        )
    if not isinstance(progress, bool):
        raise InvalidParameterError(f"progress must be a bool; got {describe(progress)}")
    conf = check_probability("confidence", confidence)
    # size model: 7 per-run result fields, and every run takes at least one check interval
    check_iteration(
        "n_samples",
        n,
        steps=config.check_every,
        runs=n,
        n_params=P,
        arrays=7 * n,
        context="for the per-run results",
    )
    check_int("n_samples", n, maximum=MAX_SAMPLES)
    # engine work arrays for the real batch (one task) and P
    check_engine_memory(config, runs=min(n, SAMPLING_BLOCK, int(chunk_size)), n_params=P)
    return net, n, s, scale, conf, config


def run_tasks(
    fn: Callable[..., dict[str, Any]],
    tasks: list[tuple[Any, ...]],
    executor: Any,
    progress: bool,
    desc: str,
    on_result: Callable[[tuple[Any, ...], dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run ``fn(*task)`` for every task, serially or on ``executor``; results in task order.

    A thin wrapper of :func:`dynsys_gd.runtime.executors.map_tasks`: ``on_result`` is called
    in this process as each task completes (so a store can commit it), pending work is
    cancelled on errors and Ctrl-C, and the progress bar goes to stderr only on a terminal.
    """
    from ..runtime.executors import map_tasks

    return map_tasks(
        fn, tasks, executor, on_result=on_result, progress=progress, desc=desc, unpack=True
    )


def estimate_convergent_fraction(
    net: Any,
    lr: float,
    *,
    n_samples: int,
    seed: int,
    init: Any = "uniform",
    init_scale: float = 2.0,
    executor: Any = None,
    chunk_size: int = SAMPLING_BLOCK,
    config: EngineConfig | None = None,
    progress: bool = False,
    confidence: float = 0.95,
) -> ConvergenceEstimate:
    r"""Estimate the Lebesgue measure (probability) of the convergent set of GD (MATH.md §6, C6).

    Parameters
    ----------
    net : LinearNetwork, LossModel or NumericModel
        The model.
    lr : float
        Step size :math:`\eta > 0`.
    n_samples : int
        Number of initialisations.
    seed : int
        Seed of ``numpy.random.SeedSequence``; same seed, same result for every chunking and
        executor.
    init : {"uniform", "gaussian"} or callable
        "uniform": box :math:`[-s, s]^P`; "gaussian": :math:`N(0, s^2 I)`; or a picklable
        ``sampler(rng, n, P) -> array (n, P)``.
    init_scale : float
        :math:`s`.
    executor : concurrent.futures.Executor, optional
        None runs serially in-process; otherwise tasks are submitted to it (process pool, Dask
        client executor, ...).
    chunk_size : int
        Runs per task (tasks never cross sampling blocks of :data:`SAMPLING_BLOCK`).
    config : EngineConfig, optional
        Engine settings.
    progress : bool
        Show a tqdm progress bar.
    confidence : float
        Level of the intervals (default 0.95).

    Returns
    -------
    ConvergenceEstimate
    """
    lr_f = check_positive_float("lr", lr)
    net, n, s, scale, conf, cfg = check_common(
        net,
        lr,
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
    model = _portable(net) if executor is not None else net
    tasks = [
        (model, lr_f, init, scale, s, b, a, z, n, cfg) for b, a, z in task_ranges(n, chunk_size)
    ]
    results = run_tasks(run_task, tasks, executor, progress, f"lr={lr_f:g}")
    arrays = merge_task_results(results)
    return summarize_runs(
        arrays,
        lr=lr_f,
        n_samples=n,
        seed=s,
        init_text=describe_init(init, scale),
        confidence=conf,
        model_text=repr(net),
        config=cfg,
    )
