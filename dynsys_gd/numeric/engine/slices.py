r"""Bounded slices of one engine call, on one or more threads (docs/math/convergent-set.md).

A compiled kernel does not return to Python until its batch ends, so Ctrl-C would wait for the
whole batch.  :func:`run_in_slices` therefore calls the kernel on consecutive slices of the
runs, each expected to take a fraction of a second, and returns to Python between slices, where
a pending ``KeyboardInterrupt`` is raised.  Every run is independent of the others in its batch
(docs/math/convergent-set.md), so the slicing, the number of threads and which thread runs a
slice never change a result: the output of run :math:`r` is the same bits for every split.

Slices are spread over the batch: slice positions follow a fixed low-discrepancy permutation of
the runs (:func:`spread_order`), so every slice samples the whole batch (a sweep's batch is
ordered by step size, and the runs near :math:`\eta^*` cost far more than the others) and the
time per run measured on one slice predicts the next.

Slice sizes: the first slice is sized from the cost model's upper bound of a run
(:func:`~dynsys_gd.numeric.engine.throughput.seconds_per_run_bound`), at least one lane block; later
slices from the CPU time per run measured so far, aiming at :data:`SLICE_SECONDS` each (at most
:data:`MAX_SLICE` runs, so lanes still refill from pending runs inside a slice).

Threads: the calling thread and ``workers - 1`` helper threads of a pool kept for the whole
process (no thread start-up per call) each take the next unclaimed slice; the kernels release
the GIL.  Slices shrink toward the end of a batch (at most the remaining runs over the
threads, guided self-scheduling, and not below a few lane blocks), so the threads finish
together instead of one waiting for the last large slice of the other.  After an interrupt no
thread starts a new slice.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "AUTO_THREAD_RUNS",
    "MAX_SLICE",
    "SLICE_SECONDS",
    "auto_workers",
    "run_in_slices",
    "spread_order",
]

#: target CPU seconds of one slice (Ctrl-C acts within about this long)
SLICE_SECONDS = 0.2

#: most runs in one slice
MAX_SLICE = 4096

#: runs from which one call uses every core by default (threads over slices)
AUTO_THREAD_RUNS = 512


def auto_workers(n_runs: int) -> int:
    """Threads for an engine call when the caller did not choose: for calls of at least
    :data:`AUTO_THREAD_RUNS` runs made from the main thread of the main process, the cores the
    process may use (one per 256 runs at most); 1 otherwise (inside pool workers and executor
    threads the pool already uses the cores)."""
    import multiprocessing

    if n_runs < AUTO_THREAD_RUNS:
        return 1
    if threading.current_thread() is not threading.main_thread():
        return 1
    if multiprocessing.parent_process() is not None:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, n_runs // (AUTO_THREAD_RUNS // 2)))


def spread_order(n: int) -> Any:
    r"""A fixed permutation of ``range(n)`` whose consecutive stretches sample the whole range:
    run :math:`i` goes to position ``rank`` of :math:`\{i\varphi\}` (golden-ratio fractional
    parts, a low-discrepancy sequence)."""
    phi = 0.5 * (math.sqrt(5.0) - 1.0)
    return np.argsort((np.arange(n, dtype=np.float64) * phi) % 1.0, kind="stable")


#: on several threads, slices shrink to the remaining runs over the threads, but not below this
#: many lane blocks: every slice ends with a tail of slow runs on few lanes (measured about
#: 0.25 ms a slice on scalar depth 3), so many small slices cost more than they balance
_TAIL_BLOCKS = 8


class _Planner:
    """Hands out consecutive slices ``[a, b)`` sized from the measured time per run; on several
    threads no larger than the remaining runs over the threads (guided self-scheduling, so the
    threads end together)."""

    def __init__(self, n: int, first: int, minimum: int, workers: int = 1) -> None:
        self.n = n
        self.next = 0
        self.size = max(minimum, min(first, MAX_SLICE))
        self.minimum = minimum
        self.workers = max(1, workers)
        self.stop = False
        self.lock = threading.Lock()

    def claim(self) -> tuple[int, int] | None:
        with self.lock:
            if self.stop or self.next >= self.n:
                return None
            a = self.next
            size = self.size
            if self.workers > 1:
                size = min(size, max(_TAIL_BLOCKS * self.minimum, -(-(self.n - a) // self.workers)))
            b = min(self.n, a + size)
            self.next = b
            return a, b

    def record(self, runs: int, seconds: float) -> None:
        if runs <= 0:
            return
        per_run = max(seconds, 1e-6) / runs
        want = int(SLICE_SECONDS / per_run)
        with self.lock:
            # grow at most 4x per slice: one fast slice says little about the next runs
            self.size = max(self.minimum, min(MAX_SLICE, want, 4 * self.size))


#: helper threads kept for the whole process (and the process that made them)
_POOL: cf.ThreadPoolExecutor | None = None
_POOL_SIZE = 0
_POOL_PID = -1
_POOL_LOCK = threading.Lock()


def _helpers(count: int) -> cf.ThreadPoolExecutor:
    """A pool of at least ``count`` helper threads, made once per process (a forked child
    makes its own: threads do not survive a fork)."""
    global _POOL, _POOL_SIZE, _POOL_PID
    with _POOL_LOCK:
        if _POOL is None or _POOL_PID != os.getpid() or _POOL_SIZE < count:
            _POOL = cf.ThreadPoolExecutor(max_workers=count, thread_name_prefix="dynsys-gd-slice")
            _POOL_SIZE = count
            _POOL_PID = os.getpid()
        return _POOL


def run_in_slices(
    part: Callable[[Any], None],
    n: int,
    *,
    first: int,
    minimum: int,
    workers: int = 1,
) -> None:
    """Call ``part(rows)`` on slices (int arrays of row indices) that cover ``range(n)`` once.

    Parameters
    ----------
    part : callable
        Runs the given rows and writes their results (the rows are independent of the others).
    n : int
        Number of runs.
    first : int
        Size of the first slice (from the cost bound).
    minimum : int
        Smallest slice (one lane block).
    workers : int
        Threads; 1 runs in the calling thread.
    """
    if n <= 0:
        return
    w = max(1, int(workers))
    plan = _Planner(n, first, max(1, minimum), w)
    w = max(1, min(w, math.ceil(n / plan.minimum)))
    plan.workers = w
    order = spread_order(n)

    from ...runtime.cancel import check

    def worker() -> None:
        while True:
            check()  # a task thread of an interrupted job stops here
            ab = plan.claim()
            if ab is None:
                return
            t0 = time.thread_time()
            part(np.sort(order[ab[0] : ab[1]]))
            plan.record(ab[1] - ab[0], time.thread_time() - t0)

    if w == 1:
        try:
            worker()
        finally:
            plan.stop = True
        return
    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            worker()
        except BaseException as exc:  # pragma: no cover - re-raised in the caller
            plan.stop = True
            errors.append(exc)

    futures = [_helpers(w - 1).submit(guarded) for _ in range(w - 1)]
    try:
        worker()  # the calling thread takes slices too
        pending = {f for f in futures if not f.cancel()}  # a helper not started is not needed
        while pending:  # short waits: the main thread handles Ctrl-C between them
            _done, pending = cf.wait(pending, timeout=0.05)
    except BaseException:
        plan.stop = True  # no thread starts another slice; running ones end within a slice
        raise
    if errors:
        raise errors[0]
