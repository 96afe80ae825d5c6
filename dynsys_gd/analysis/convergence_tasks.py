r"""The Monte-Carlo work units of the convergence estimate and of the learning-rate sweep.

Initialisations come in fixed sampling blocks of :data:`SAMPLING_BLOCK` samples, block ``b``
from the stream ``dynsys_gd._streams.stream(seed, "monte_carlo", b)``; a work unit (chunk) never
crosses a block and every run is independent of the others in its batch, so the merged result is
bit-identical for every ``chunk_size`` and every executor (docs/math/convergent-set.md).  Here:
the sampler (:func:`sample_block`), the chunking (:func:`auto_chunk`, :func:`task_ranges`), one
work unit (:func:`run_task`, :func:`run_rows`) and the merge of their results
(:func:`merge_task_results`), the argument checks shared by the estimate and the sweep
(:func:`check_common`), the pilot that times a long job (:func:`pilot_runs`) and the runner of
the work units (:func:`run_tasks`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._limits import MAX_MAGNITUDE, check_engine_memory, check_iteration
from .._results import jsonable
from .._streams import generator
from .._validation import (
    check_int,
    check_positive_float,
    check_probability,
    check_real_array,
    check_seed,
    describe,
)
from ..errors import InvalidParameterError
from ..numeric.engine.run import EngineConfig, run_gd, run_outcomes
from .annotation_sample import (
    ANNOTATED_SAMPLES,
    SMALL_ANNOTATION,
    annotated_rows,
    annotated_samples,
    annotation_size,
)

__all__ = [
    "ANNOTATED_SAMPLES",
    "MAX_SAMPLES",
    "PILOT_RUNS",
    "SAMPLING_BLOCK",
    "auto_chunk",
    "check_common",
    "describe_init",
    "group_ranges",
    "limit_payload",
    "merge_task_results",
    "pilot_runs",
    "run_group_task",
    "run_rows",
    "run_task",
    "run_tasks",
    "sample_block",
    "task_json",
    "task_ranges",
]

#: Samples per sampling block (each block has its own random stream).
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
    """The ``size`` initialisations of sampling block ``block`` (deterministic in seed, block;
    the stream ``("monte_carlo", block)`` of :mod:`dynsys_gd._streams`)."""
    rng = generator(seed, "monte_carlo", block)
    if init == "uniform":
        return rng.uniform(-scale, scale, size=(size, P))
    if init == "gaussian":
        return rng.normal(0.0, scale, size=(size, P))
    try:
        raw = init(rng, size, P)
    except (KeyboardInterrupt, MemoryError):
        raise
    except Exception as exc:  # the user's sampler: one clear error, whatever it raised
        raise InvalidParameterError(
            f"init sampler must return an array of shape ({size}, {P}) when called as "
            f"init(rng, {size}, {P}); it raised {type(exc).__name__}: {exc}"
        ) from exc
    out = check_real_array("init sampler output", raw, finite=False)
    if out.shape != (size, P) or not np.all(np.isfinite(out)):
        bad = (
            ""
            if out.shape != (size, P)
            else f" with {int(np.sum(~np.isfinite(out)))} non-finite entries"
        )
        raise InvalidParameterError(
            f"init sampler must return a finite array of shape ({size}, {P}); got "
            f"{describe(out)}{bad}"
        )
    return out


def auto_chunk(n_samples: int, chunk_size: int | None, executor: Any) -> int:
    """Runs per work unit: ``chunk_size`` if given; else a whole sampling block when serial, and
    eighths of a block (at least 64 runs) on an executor, so a pool has work for every worker.
    Results do not depend on it."""
    if chunk_size is not None:
        return int(chunk_size)
    if executor is None:
        return SAMPLING_BLOCK
    return max(64, math.ceil(min(n_samples, SAMPLING_BLOCK) / 8))


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
        return LossModel(model.expr, model.params, name=model.name)
    return model


#: per-run arrays a work unit returns (and the store keeps)
_RUN_FIELDS = ("outcome", "steps", "period", "g_tail", "sharpness", "at_minimum", "certified")
#: the limit-kind counts of an annotated work unit (absent from results stored before them)
_LIMIT_KEYS = ("limit_saddles", "limit_levels")


def run_rows(
    model: Any,
    theta0: Array,
    lr_rows: Array,
    config: EngineConfig | None,
    fields: tuple[str, ...] = _RUN_FIELDS,
    annotate: Array | None = None,
) -> dict[str, Array]:
    """Run the engine on rows ``theta0`` with step size ``lr_rows[i]`` for row ``i``.

    One :func:`~dynsys_gd.numeric.engine.run_gd` call with a per-row step size; every run is
    independent of the other rows of its batch, so the result is bit-identical to one call per
    step size.  ``annotate`` selects the rows whose limits are annotated (without ``"loss"``
    in ``fields``; default every row).  Returns the per-run arrays ``fields`` of the
    :class:`~dynsys_gd.numeric.engine.RunBatch` (default :data:`_RUN_FIELDS`), in row order.
    """
    lr_rows = np.asarray(lr_rows, dtype=np.float64)
    lr: Any = lr_rows
    if lr_rows.size and np.all(lr_rows == lr_rows[0]):
        lr = float(lr_rows[0])
    if "loss" in fields:  # the losses only when asked for
        rb = run_gd(model, theta0, lr, config=config)
    else:
        rb = run_outcomes(model, theta0, lr, config=config, annotate=annotate)
    return {f: np.asarray(getattr(rb, f)) for f in fields}


def _task_dict(block: int, start: int, stop: int, arrays: dict[str, Array]) -> dict[str, Any]:
    d: dict[str, Any] = {"block": block, "start": start, "stop": stop}
    for f in _RUN_FIELDS:
        d[f] = jsonable(arrays[f]) if f == "g_tail" else arrays[f].tolist()
    return d


def _annotated_call(
    model: Any, theta0: Array, lr: float, config: EngineConfig | None, first: int
) -> tuple[Any, int, EngineConfig | None]:
    """One engine call on rows ``theta0``, the first of them initialisation ``first`` of its
    job, annotating the limits of the rows among the job's annotated sample: ``(RunBatch, k,
    config)``, those rows being the first ``k`` and ``config`` the call's settings
    (:func:`~dynsys_gd.analysis.annotation_sample.annotated_rows`)."""
    rows = theta0.shape[0]
    k, cfg = annotated_rows(config, annotated_samples(model), first, 0, rows)
    rb = run_outcomes(model, theta0, lr, config=cfg, annotate=np.arange(rows) < k)
    return rb, k, cfg


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
    """One work unit: runs ``start:stop`` of sampling block ``block``; a dict of the block
    offsets and the per-run arrays :data:`_RUN_FIELDS` (columns, no per-run Python objects;
    :func:`task_json` makes it JSON-safe when a store needs that).

    Top-level (picklable) so it can be shipped to any ``concurrent.futures.Executor``.
    """
    from ..numeric.kernels import numeric_model

    P = int(numeric_model(model).n_params)
    size = min(SAMPLING_BLOCK, n_samples - block * SAMPLING_BLOCK)
    theta0 = sample_block(init, scale, seed, block, size, P)[start:stop]
    rb, k, cfg = _annotated_call(model, theta0, lr, config, block * SAMPLING_BLOCK + start)
    d: dict[str, Any] = {"block": block, "start": start, "stop": stop}
    d.update({f: np.asarray(getattr(rb, f)) for f in _RUN_FIELDS})
    d.update(limit_payload(model, cfg, rb.theta[:k], rb.has_limit[:k]))
    return d


#: doubles of initialisations in one engine call of the estimate's default path (16 MiB)
GROUP_DOUBLES = 2**21
#: sampling blocks in one engine call of the estimate's default path, at most
GROUP_BLOCKS = 16


def group_ranges(n_samples: int, P: int) -> list[tuple[int, int]]:
    """Ranges ``(b0, b1)`` of whole sampling blocks run by one engine call each
    (:func:`run_group_task`): at most :data:`GROUP_BLOCKS` blocks and about
    :data:`GROUP_DOUBLES` doubles of initialisations (at least one block)."""
    k = max(1, min(GROUP_BLOCKS, GROUP_DOUBLES // max(1, P) // SAMPLING_BLOCK))
    nb = math.ceil(n_samples / SAMPLING_BLOCK)
    return [(b, min(nb, b + k)) for b in range(0, nb, k)]


def run_group_task(
    model: Any,
    lr: float,
    init: Any,
    scale: float,
    seed: int,
    b0: int,
    b1: int,
    n_samples: int,
    config: EngineConfig | None,
) -> list[dict[str, Any]]:
    """The sampling blocks ``b0 .. b1 - 1`` in one engine call (its kernels share the runs on
    every core; the blocks are drawn on the same threads): a list of the :func:`run_task`
    results of the whole blocks, the same bits (every run is independent of its batch, and
    the annotated rows are the same).  Fewer engine calls than one per block: the default
    path of the estimate in this process."""
    from ..numeric.engine.slices import auto_workers, map_parts
    from ..numeric.kernels import numeric_model

    P = int(numeric_model(model).n_params)
    sizes = [min(SAMPLING_BLOCK, n_samples - b * SAMPLING_BLOCK) for b in range(b0, b1)]
    parts = map_parts(
        lambda bs: sample_block(init, scale, seed, bs[0], bs[1], P),
        list(zip(range(b0, b1), sizes, strict=True)),
        auto_workers(sum(sizes)),
    )
    theta0 = parts[0] if len(parts) == 1 else np.concatenate(parts)
    rb, k, cfg = _annotated_call(model, theta0, lr, config, b0 * SAMPLING_BLOCK)
    cols = {f: np.asarray(getattr(rb, f)) for f in _RUN_FIELDS}
    out: list[dict[str, Any]] = []
    a = 0
    for b, size in zip(range(b0, b1), sizes, strict=True):
        d: dict[str, Any] = {"block": b, "start": 0, "stop": size}
        d.update({f: v[a : a + size] for f, v in cols.items()})
        if a < k:
            z = min(a + size, k)
            d.update(limit_payload(model, cfg, rb.theta[a:z], rb.has_limit[a:z]))
        out.append(d)
        a += size
    return out


def limit_payload(
    model: Any, config: EngineConfig | None, theta: Array, has_limit: Array
) -> dict[str, Any]:
    """What the converged limits of an annotated block reached, as mergeable counts: limits
    failing the second-order test (``limit_saddles``) and ``limit_levels``, pairs [loss level,
    runs] of the others (:func:`~dynsys_gd.numeric.landscape.limits.limit_levels`); empty where
    the limits are not annotated (``config`` with ``limits`` off: runs past the first
    :func:`~dynsys_gd.analysis.annotation_sample.annotated_samples` initialisations, or a
    model too large for dense Hessians) and for models
    other than networks and losses.  The limits within the tolerance of a network's known
    minimum loss (the loss on M) count at that one level, the minimum loss rounded to the
    levels' digits (the counts of :func:`~dynsys_gd.numeric.landscape.limits.count_limit_kinds`
    are the same; one level per run would cost a dictionary entry per run)."""
    from ..models import LinearNetwork, LossModel
    from ..numeric.kernels import numeric_model
    from ..numeric.landscape.limits import (
        LEVEL_DIGITS,
        LIMIT_RTOL,
        limit_levels,
        reference_min_loss,
    )

    if not (config is None or config.limits) or not isinstance(model, LinearNetwork | LossModel):
        return {}
    ref = reference_min_loss(model)
    if ref is None:
        saddles, levels = limit_levels(model, theta, has_limit)
    else:
        X = np.asarray(theta, dtype=np.float64)[np.asarray(has_limit, dtype=bool)]
        X = X[np.all(np.isfinite(X), axis=1)]
        with np.errstate(all="ignore"):
            losses = np.asarray(numeric_model(model).loss(X), dtype=np.float64)
        at = np.abs(losses - ref) <= LIMIT_RTOL * max(1.0, abs(ref))
        saddles, levels = limit_levels(model, X[~at], np.ones(int((~at).sum()), bool), min_loss=ref)
        if at.any():
            key = float(f"{ref:.{LEVEL_DIGITS}g}")
            levels[key] = levels.get(key, 0) + int(at.sum())
    return {"limit_saddles": saddles, "limit_levels": [[L, c] for L, c in sorted(levels.items())]}


def task_json(result: dict[str, Any]) -> dict[str, Any]:
    """The JSON-safe form of a :func:`run_task` result (lists; ``"inf"`` strings in
    ``g_tail``), the form a store keeps; :func:`merge_task_results` accepts both."""
    d = _task_dict(
        result["block"],
        result["start"],
        result["stop"],
        {f: np.asarray(result[f]) for f in _RUN_FIELDS},
    )
    d.update({k: result[k] for k in _LIMIT_KEYS if k in result})
    return d


def merge_task_results(
    results: list[dict[str, Any]], annotated: int = ANNOTATED_SAMPLES
) -> dict[str, Any]:
    """Concatenate task results in sample order (block, start) into per-run arrays (task
    results hold arrays, or the lists of their JSON-safe form); with the limit-kind counts
    summed (``limit_saddles``, ``limit_levels`` as loss level -> runs) when every annotated
    task (one holding some of the first ``annotated`` initialisations, the model's
    :func:`~dynsys_gd.analysis.annotation_sample.annotated_samples`) carries them."""
    rs = sorted(results, key=lambda r: (r["block"], r["start"]))

    def column(r: dict[str, Any], key: str, dtype: Any) -> Array:
        v = r[key]
        if isinstance(v, np.ndarray):
            return v.astype(dtype, copy=False)
        if key == "g_tail":
            v = [float(x) for x in v]  # "inf" strings from jsonable
        return np.asarray(v, dtype=dtype)

    def cat(key: str, dtype: Any) -> Array:
        if not rs:
            return np.zeros(0, dtype=dtype)
        return np.concatenate([column(r, key, dtype) for r in rs])

    merged: dict[str, Any] = {}
    held = [r for r in rs if r["block"] * SAMPLING_BLOCK + int(r["start"]) < annotated]
    if held and all("limit_levels" in r for r in held):
        levels: dict[float, int] = {}
        for r in held:
            for L, c in r["limit_levels"]:
                levels[float(L)] = levels.get(float(L), 0) + int(c)
        merged["limit_saddles"] = sum(int(r["limit_saddles"]) for r in held)
        merged["limit_levels"] = levels
    return merged | {
        "outcome": cat("outcome", np.int64),
        "steps": cat("steps", np.int64),
        "period": cat("period", np.int64),
        "g_tail": cat("g_tail", np.float64),
        "sharpness": cat("sharpness", np.float64),
        "at_minimum": cat("at_minimum", bool),
        "certified": cat("certified", bool),
    }


#: largest Monte-Carlo sample accepted (runs are processed in blocks, so memory stays bounded,
#: but a larger request would run for days on one machine)
MAX_SAMPLES = 10**9


def _check_sampler_picklable(init: Any, executor: Any) -> None:
    """A process pool ships the sampler to its workers by pickling: refuse a lambda or a local
    function there up front, not with a pickling traceback from a worker."""
    import concurrent.futures as cf
    import pickle

    inner = getattr(executor, "inner", executor)
    if not callable(init) or not isinstance(inner, cf.ProcessPoolExecutor):
        return
    try:
        pickle.dumps(init)
    except Exception as exc:
        raise InvalidParameterError(
            f"init must be a picklable sampler (a module-level function or functools.partial "
            f"of one) to run on a process pool; got {describe(init)} ({exc})"
        ) from None


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
    if scale > MAX_MAGNITUDE:
        raise InvalidParameterError(
            f"init_scale must be a finite float in (0, {MAX_MAGNITUDE:g}] (a wider box or "
            f"normal overflows float64); got {scale:g}"
        )
    _check_sampler_picklable(init, executor)
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise InvalidParameterError(
            f"executor must be None or a concurrent.futures.Executor; got {describe(executor)}"
        )
    if chunk_size is not None:
        check_int("chunk_size", chunk_size, minimum=1)
    if config is None:
        config = EngineConfig()
    elif not isinstance(config, EngineConfig):
        raise InvalidParameterError(
            f"config must be an EngineConfig or None; got {describe(config)}"
        )
    if progress is not None and not isinstance(progress, bool):
        raise InvalidParameterError(f"progress must be a bool or None; got {describe(progress)}")
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
    chunk = SAMPLING_BLOCK if chunk_size is None else int(chunk_size)
    check_engine_memory(config, runs=min(n, SAMPLING_BLOCK, chunk), n_params=P)
    return net, n, s, scale, conf, config


#: runs timed by the pilot of a long-job estimate
PILOT_RUNS = 64
#: converged pilot runs whose limit annotations are timed (the cost of one annotation is
#: about the same for every limit of a model; for wide models it is the larger part)
PILOT_LIMITS = 8


def _kernels_loaded(model: Any, config: EngineConfig) -> bool:
    """Are the compiled kernels of a GD run of ``model`` loaded in this process already (its
    lane description built, its block and the lane driver compiled or read from the cache)?
    Then the pilot need not run once untimed to load them."""
    opt = config.optimizer
    cache = getattr(model, "_cache", None)
    lm = cache.get("lanes:model") if isinstance(cache, dict) else None
    if lm is None or (opt is not None and not opt.is_gd):
        return False
    from ..numeric.engine.lanes import run_lanes

    return bool(run_lanes.overloads) and bool(getattr(lm.block, "overloads", None))


def pilot_runs(
    model: Any,
    lrs: list[float],
    init: Any,
    scale: float,
    seeds: list[int],
    n_samples: int,
    config: EngineConfig,
) -> tuple[int, float, float]:
    """Time a few of a job's own runs (the first initialisations of each step size, one
    thread) and extrapolate: ``(runs timed, CPU-s of all runs, CPU-s of the limit
    annotations)`` for the long-job estimate (the annotations cover the converged runs among
    at most :func:`~dynsys_gd.analysis.annotation_sample.annotated_samples` initialisations
    per step size).  The runs go through the engine once, without annotations, and the limits
    of the first :data:`PILOT_LIMITS` converged ones are then annotated on their own (timed
    apart), except for models whose annotation is a problem of size at most 16, whose
    annotations are counted as free."""
    import time

    from ..numeric.engine.limits import annotate_limits
    from ..numeric.kernels import numeric_model

    m = numeric_model(model)
    P = int(m.n_params)
    k = max(1, min(n_samples, SAMPLING_BLOCK, -(-PILOT_RUNS // len(lrs))))
    # the built-in samplers draw row by row: the first k rows of a block are a block of k
    size = k if init in ("uniform", "gaussian") else min(SAMPLING_BLOCK, n_samples)
    th = np.concatenate([sample_block(init, scale, sd, 0, size, P)[:k] for sd in seeds])
    lr_rows = np.repeat(np.asarray(lrs, dtype=np.float64), k)
    plain = dataclasses.replace(config, limits=False, certificate=False)
    if not _kernels_loaded(model, config):
        run_outcomes(model, th[:1], lr_rows[:1], config=plain, workers=1)  # load them (untimed)
    t0 = time.process_time()
    rb = run_outcomes(model, th, lr_rows, config=plain, workers=1)
    t1 = time.process_time()
    # the annotations of a small model (at most ANNOTATED_SAMPLES problems of size <=
    # SMALL_ANNOTATION, tens of microseconds each) are not worth timing: timing them costs more
    small = annotation_size(model) <= SMALL_ANNOTATION
    timed: Array = np.flatnonzero(rb.has_limit)[:PILOT_LIMITS]
    if small or not config.limits:
        timed = timed[:0]
    if timed.size:
        # the engine annotates with GD's certificate only (as run_gd does for other maps)
        ann = config if config.optimizer is None else dataclasses.replace(config, certificate=False)
        sel = np.zeros(rb.has_limit.shape, dtype=bool)
        sel[timed] = True
        annotate_limits(model, m, ann, rb.theta, lr_rows, sel)
    t2 = time.process_time()
    runs = th.shape[0]
    per_lr = min(n_samples, annotated_samples(model))
    total = (t1 - t0) / runs * n_samples * len(lrs)
    share = float(np.mean(rb.has_limit))  # converged runs per initialisation
    annotations = (t2 - t1) / max(1, timed.size) * share * per_lr * len(lrs)
    return runs, total, annotations


def _runs_of(task: tuple[Any, ...]) -> int:
    """Runs of a work unit of the estimate (:func:`run_task`) or of the sweep (its step sizes
    times its ``start:stop``); 0 when the task has another form."""
    try:
        lrs = task[1]
        k = len(lrs) if isinstance(lrs, tuple | list) else 1
        return k * (int(task[7]) - int(task[6]))
    except (IndexError, TypeError, ValueError):
        return 0


def _pool_adds_nothing(executor: Any, tasks: list[tuple[Any, ...]]) -> bool:
    """True for a local process pool of at most as many workers as the cores of this process,
    on work units of a model with a compiled kernel: this process runs such units on a thread
    per core itself (the kernels release the GIL), so the pool would only add its start (a
    second or more of CPU per worker: imports, kernels) and the pickling of every unit."""
    import concurrent.futures as cf

    from ..numeric.engine.cost import _cores, _kernel_class

    inner = getattr(executor, "inner", executor)
    if not isinstance(inner, cf.ProcessPoolExecutor) or not tasks:
        return False
    workers = getattr(inner, "_max_workers", None)
    if not isinstance(workers, int) or workers > _cores():
        return False
    return bool(_kernel_class(tasks[0][0])[0])


def run_tasks(
    fn: Callable[..., Any],
    tasks: list[tuple[Any, ...]],
    executor: Any,
    progress: bool | None,
    desc: str,
    on_result: Callable[[tuple[Any, ...], dict[str, Any]], None] | None = None,
    task_threads: bool = True,
) -> list[Any]:
    """Run ``fn(*task)`` for every task, serially or on ``executor``; results in task order.

    A thin wrapper of :func:`dynsys_gd.runtime.executors.map_tasks`: ``on_result`` is called
    in this process as each task completes (so a store can commit it), pending work is
    cancelled on errors and Ctrl-C, and the progress bar goes to stderr only on a terminal.
    Without an executor, several tasks of at least
    :data:`~dynsys_gd.numeric.engine.slices.AUTO_THREAD_RUNS` runs each run on threads of
    this process, one per core (the
    engine's kernels release the GIL, so one task's Python work overlaps the others'
    kernels; :func:`~dynsys_gd.numeric.engine.slices.auto_workers` decides, as for one engine
    call); every work unit is independent, so the results are the same.  So does a local
    process pool no larger than the cores, on a model with a compiled kernel
    (:func:`_pool_adds_nothing`): it would be slower than the threads here.  On threads, the
    first unit cut to one run is run here first (it loads the kernels the units share) and
    then every unit goes to the threads.  ``task_threads=False`` runs the tasks one after the
    other in this thread (for tasks that are one engine call on every core each).
    """
    from ..numeric.engine.slices import AUTO_THREAD_RUNS, auto_workers
    from ..runtime.executors import map_tasks

    if executor is not None and _pool_adds_nothing(executor, tasks):
        executor = None
    threads = 1
    many = task_threads and len(tasks) > 1
    if executor is None and many and min(map(_runs_of, tasks)) >= AUTO_THREAD_RUNS:
        threads = auto_workers(AUTO_THREAD_RUNS * len(tasks))
    first = tasks[0] if tasks else ()

    def warm() -> None:
        """The first work unit cut to its first run, without limit annotations: loads the
        kernels every unit needs (its result is not used)."""
        cfg = first[9] if first[9] is not None else EngineConfig()
        plain = dataclasses.replace(cfg, limits=False, certificate=False)
        fn(*first[:7], int(first[6]) + 1, first[8], plain, *first[10:])

    return map_tasks(
        fn,
        tasks,
        executor,
        on_result=on_result,
        progress=progress,
        desc=desc,
        unpack=True,
        help_pool=True,  # the work units are pure: this process helps a cold pool
        threads=threads,
        warm=warm if threads > 1 else None,
    )
