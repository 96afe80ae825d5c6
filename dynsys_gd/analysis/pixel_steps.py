r"""Many grid cells ("pixels") iterated side by side, each classified by recurrence
(docs/math/basins.md).

The state of ``n`` pixels is one array ``x`` of shape ``(d, n)`` (one column per pixel).  Every
step applies one vectorised map to all pixels still running; every ``check_every`` steps each
pixel is tested, in this order:

* **diverged**: a non-finite entry or :math:`\max_i |x_i| > \text{bound}`;
* **recurrent with period k** (:math:`1 \le k \le K`, the smallest such ``k``):
  :math:`\max_i |x_{t,i} - x_{t-k,i}| \le \text{tol}\,(1 + \max_i |x_{t,i}|)`; ``k = 1`` is a
  fixed point (converged), ``k > 1`` a period-k orbit.  This is the recurrence idea of
  Attractors.jl's mapper (Datseris & Wagemakers 2022) on the exact iterates rather than on a
  cell grid: an orbit that has returned to within ``tol`` of a point it visited ``k`` steps
  earlier is taken to sit on a period-k attractor.

Pixels that pass a test leave the active set (the arrays are compacted), so the cost falls as
the grid settles; pixels that pass none within ``steps`` are *undecided* (never "did not
converge": they may converge slowly).  Every operation acts on each column alone and the tests
run at the same global step numbers in every chunk, so the result is bit-identical for any
chunking and any number of worker threads (tested).

A ``step`` with ``fusable = True`` and a ``run_chunk`` method (the GD step of a model,
:class:`~dynsys_gd.analysis.pixel_gd.GDStep`) runs each chunk in one compiled loop that performs
the same operations in the same order, tests included, so its results are the same bits.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from ..numeric.engine._jit import JIT
from .pixel_gd import CONVERGED, DIVERGED, PERIODIC, UNDECIDED, _test

__all__ = ["CONVERGED", "DIVERGED", "PERIODIC", "UNDECIDED", "PixelRun", "iterate_pixels"]

Array = NDArray[Any]


@dataclass(frozen=True)
class PixelRun:
    """Per-pixel results of :func:`iterate_pixels`.

    Attributes
    ----------
    x : ndarray (d, n)
        The state when the pixel's run ended (a point of its attractor when recurrent).
    outcome : ndarray of int8 (n,)
        0 converged (period 1), 1 diverged, 2 periodic, 4 undecided.
    period : ndarray of int64 (n,)
        The period found (1 for converged, 0 for diverged or undecided).
    steps : ndarray of int64 (n,)
        The step at which the run ended.
    score : ndarray (n,) or None
        Mean of ``value(x_t)`` over the steps run (``inf`` for diverged runs), when ``value``
        was given.
    """

    x: Array
    outcome: Array
    period: Array
    steps: Array
    score: Array | None


@numba.njit(**JIT)
def _store(x: Any, ring: Any, slot: int) -> None:  # pragma: no cover
    d, m = x.shape
    for i in range(d):
        for j in range(m):
            ring[slot, i, j] = x[i, j]


@numba.njit(**JIT)
def _compact(ring: Any, keep: Any) -> None:  # pragma: no cover
    """Move the kept columns of every ring slot to the front, in order."""
    S, d, m = ring.shape
    w = 0
    for j in range(m):
        if keep[j]:
            if w != j:
                for s in range(S):
                    for i in range(d):
                        ring[s, i, w] = ring[s, i, j]
            w += 1


def _chunk(
    step: Callable[[Array, Array], Array],
    x0: Array,
    aux0: Array,
    steps: int,
    check_every: int,
    max_period: int,
    tol: float,
    bound: float,
    value: Callable[[Array, Array], Array] | None,
) -> tuple[Array, Array, Array, Array, Array | None]:
    if value is None and getattr(step, "fusable", False):
        # the GD step of a model: the same operations fused in one compiled loop (pixel_gd)
        run_chunk = step.run_chunk  # type: ignore[attr-defined]
        return (*run_chunk(x0, steps, check_every, max_period, tol, bound), None)
    d, n = x0.shape
    K = max_period
    out_x = x0.copy()
    outcome = np.full(n, UNDECIDED, dtype=np.int8)
    period = np.zeros(n, dtype=np.int64)
    nsteps = np.full(n, steps, dtype=np.int64)
    vsum = np.zeros(n) if value is not None else None
    x = x0.copy()
    aux = aux0.copy()
    idx = np.arange(n)
    ring_full = np.empty((K + 1, d, n))
    ring = ring_full
    _store(x, ring, 0)
    if value is not None and vsum is not None:
        vsum += value(x, aux)
    for t in range(1, steps + 1):
        with np.errstate(all="ignore"):
            x = np.ascontiguousarray(step(x, aux))
        to_check = t % check_every == 0 or t == steps
        if value is not None and vsum is not None and to_check:
            with np.errstate(all="ignore"):
                vsum[idx] += value(x, aux)
        if not to_check:
            # only the last K iterates before a test are ever compared
            if (-t) % check_every <= K or steps - t <= K:
                _store(x, ring, t % (K + 1))
            continue
        found = _test(x, ring, t, K, tol, bound)
        _store(x, ring, t % (K + 1))
        done = found != 0
        if not done.any():
            continue
        gi = idx[done]
        out_x[:, gi] = x[:, done]
        fd = found[done]
        outcome[gi] = np.where(fd < 0, DIVERGED, np.where(fd == 1, CONVERGED, PERIODIC))
        period[gi] = np.maximum(fd, 0)
        nsteps[gi] = t
        keep = ~done
        _compact(ring, keep)
        m = int(keep.sum())
        x, aux, idx, ring = x[:, keep], aux[:, keep], idx[keep], ring_full[:, :, :m]
        if m == 0:
            break
    out_x[:, idx] = x
    score = None
    if vsum is not None:
        with np.errstate(all="ignore"):
            score = vsum / (nsteps // check_every + 1 + (nsteps % check_every > 0))
        score[outcome == DIVERGED] = np.inf
    return out_x, outcome, period, nsteps, score


def iterate_pixels(
    step: Callable[[Array, Array], Array],
    x0: Array,
    *,
    aux: Array | None = None,
    steps: int = 1000,
    check_every: int = 20,
    max_period: int = 8,
    tol: float = 1e-10,
    bound: float = 1e8,
    value: Callable[[Array, Array], Array] | None = None,
    chunk: int = 65536,
    workers: int = 1,
    executor: Any = None,
) -> PixelRun:
    r"""Iterate ``x <- step(x, aux)`` on the columns of ``x0`` and classify each column.

    Parameters
    ----------
    step : callable
        ``step(x, aux)`` with ``x`` of shape ``(d, m)`` and ``aux`` of shape ``(a, m)`` (per-pixel
        data, e.g. step sizes) returns the next state ``(d, m)``; column ``j`` of the result
        must depend on column ``j`` of the inputs only.  A
        :class:`~dynsys_gd.analysis.pixel_gd.GDStep` runs fused (same bits) unless ``value``
        is given.
    x0 : ndarray (d, n)
        Initial states.
    aux : ndarray (a, n), optional
        Per-pixel data passed along (compacted with the pixels).
    steps, check_every, max_period, tol, bound
        Budget, test interval, largest period looked for, recurrence tolerance and divergence
        bound (see the module docstring).
    value : callable, optional
        ``value(x, aux) -> (m,)``; its mean over the run, sampled at step 0 and at every test
        (every ``check_every`` steps and the last), is returned as ``score``.
    chunk : int
        Pixels per chunk; chunks run in ``workers`` threads (the result does not depend on
        either).
    executor : concurrent.futures.Executor, optional
        Run the chunks as tasks there instead of in threads: anything from
        :func:`~dynsys_gd.runtime.executors.make_executor` (a Dask cluster ships ``step`` and
        ``value`` with cloudpickle; a process pool needs them picklable by :mod:`pickle`).
        The result is bit-identical to the serial one: each chunk is computed by the same
        code on the same data wherever it runs.
    """
    x0 = np.ascontiguousarray(x0, dtype=np.float64)
    n = x0.shape[1]
    a = np.zeros((0, n)) if aux is None else np.ascontiguousarray(aux, dtype=np.float64)
    starts = list(range(0, n, max(1, int(chunk))))
    args = (steps, check_every, max_period, tol, bound, value)

    def run(s: int) -> Any:
        e = min(n, s + chunk)
        return _chunk(step, x0[:, s:e], a[:, s:e], *args)

    if executor is not None:
        from ..runtime.executors import map_tasks

        tasks = [(step, x0[:, s : s + chunk], a[:, s : s + chunk], *args) for s in starts]
        parts = map_tasks(_chunk, tasks, executor, unpack=True)
    elif workers > 1 and len(starts) > 1:
        with ThreadPoolExecutor(max_workers=workers) as ex:
            parts = list(ex.map(run, starts))
    else:
        parts = [run(s) for s in starts]
    x = np.concatenate([p[0] for p in parts], axis=1)
    score = None if value is None else np.concatenate([p[4] for p in parts])
    return PixelRun(
        x=x,
        outcome=np.concatenate([p[1] for p in parts]),
        period=np.concatenate([p[2] for p in parts]),
        steps=np.concatenate([p[3] for p in parts]),
        score=score,
    )
