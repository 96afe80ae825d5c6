r"""One engine call on one or more threads, stopped by Ctrl-C within a fraction of a second
(docs/math/convergent-set.md).

A compiled kernel does not return to Python until its batch ends.  The runs of a call
therefore form one shared queue (a control array, see
:func:`~dynsys_gd.numeric.engine.lane_divergence.claim_runs`): the kernel of each thread keeps
its lanes full by claiming the next runs of the queue with an atomic fetch-and-add whenever a
lane's run ends, so no lane idles while runs are waiting, and a call has one drain at its end
instead of one per slice (the earlier driver cut the call into slices of a fraction of a
second, and every slice ended with a few slow runs alone in a lane block and paid its set-up
again).  The kernels run on helper threads of a pool kept for the whole process (no thread
start-up per call; the kernels release the GIL) while the calling thread waits in short steps:
on Ctrl-C (or a stop of a task thread, :mod:`dynsys_gd.runtime.cancel`) it sets the queue's
stop flag, which every kernel reads after each block of ``check_every`` steps, waits for the
kernels to return (a few milliseconds) and raises.  Calls whose upper cost bound is below
:data:`SLICE_SECONDS` run in the calling thread (no hand-over to a helper).

Every run is independent of the others in its batch (docs/math/convergent-set.md), so the
number of threads, which thread claims a run and in which lane it runs never change a result:
the output of run :math:`r` is the same bits for every split.  The queue visits blocks of
consecutive runs in a fixed low-discrepancy order (:func:`queue_order`), so the last runs
claimed sample the whole batch (a sweep's batch is ordered by step size, and the runs near
:math:`\eta^*` cost far more than the others) and the threads end together.
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import math
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "AUTO_THREAD_RUNS",
    "QUEUE_BLOCK",
    "SLICE_SECONDS",
    "auto_workers",
    "map_parts",
    "new_queue",
    "queue_order",
    "row_parts",
    "run_shared",
    "spread_stride",
]

#: calls whose cost bound is below this many CPU seconds run in the calling thread (Ctrl-C
#: waits at most about this long for them)
SLICE_SECONDS = 0.2

#: runs from which one call uses every core by default (threads sharing the queue)
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


def spread_stride(n: int) -> int:
    r"""The stride :math:`s` of the queue order: position :math:`p` holds run :math:`p s \bmod
    n`, with :math:`s` the integer nearest :math:`n\varphi` (:math:`\varphi` the golden ratio's
    fractional part) that is coprime to :math:`n`, so the order is a permutation whose
    consecutive stretches sample the whole range (a low-discrepancy sequence)."""
    if n <= 2:
        return 1
    phi = 0.5 * (math.sqrt(5.0) - 1.0)
    s = max(1, round(n * phi))
    while math.gcd(s, n) != 1:
        s += 1
    return s


#: runs of the queue's blocks: a claim of a kernel (its lanes' worth of runs) reads its
#: initial states and writes its outputs in consecutive rows (visiting single runs in the
#: spread order cost a quarter of the kernel's time on 100,000 short runs of 8 parameters,
#: every row a cache miss)
QUEUE_BLOCK = 64


def queue_order(n: int) -> Any:
    """The queue order of a call of ``n`` runs as an array (position -> run): the whole blocks
    of :data:`QUEUE_BLOCK` runs in the order of :func:`spread_stride`, then the last runs (see
    :func:`~dynsys_gd.numeric.engine.lane_divergence.claim_runs`)."""
    B = QUEUE_BLOCK
    f = n // B
    p = np.arange(n, dtype=np.int64)
    c = p // B
    out: Any = np.where(c < f, ((c * spread_stride(f)) % max(f, 1)) * B + p % B, p)
    return out


def new_queue(n: int) -> Any:
    """The control array of a call of ``n`` runs shared by its kernels: next position, stop
    flag, stride and block of the queue order
    (:data:`~dynsys_gd.numeric.engine.lane_divergence.CTL_NEXT` ...)."""
    return np.array([0, 0, spread_stride(n // QUEUE_BLOCK), QUEUE_BLOCK], dtype=np.int64)


class _Pool:
    """Helper threads kept for the whole process: a job goes to an idle thread, and a thread
    is started only when none is idle (several task threads may each run an engine call at
    once).  A thread counts itself idle before it reports its job done, so a caller that
    submits right after a result never starts a new thread.  Daemon threads: no kernel runs at
    exit (a call returns only once its kernels have)."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.idle = 0
        self.started = 0
        self.pid = os.getpid()

    def submit(self, fn: Callable[[Any], None], arg: Any) -> cf.Future[None]:
        fut: cf.Future[None] = cf.Future()
        with self.lock:
            if self.idle > 0:
                self.idle -= 1
            else:
                self.started += 1
                threading.Thread(
                    target=self._loop, name=f"dynsys-gd-lanes_{self.started}", daemon=True
                ).start()
        self.jobs.put((fut, fn, arg))
        return fut

    def _loop(self) -> None:
        while True:
            fut, fn, arg = self.jobs.get()
            err: BaseException | None = None
            if fut.set_running_or_notify_cancel():
                try:
                    fn(arg)
                except BaseException as exc:  # re-raised in the caller
                    err = exc
            with self.lock:
                self.idle += 1
            if err is None:
                fut.set_result(None)
            else:
                fut.set_exception(err)


_POOL: _Pool | None = None
_POOL_LOCK = threading.Lock()


def _helpers() -> _Pool:
    """The pool of helper threads of this process (a forked child makes its own: threads do
    not survive a fork)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL.pid != os.getpid():
            _POOL = _Pool()
        return _POOL


def run_shared(
    kernel: Callable[[Any], None], n: int, *, workers: int = 1, inline: bool = False
) -> None:
    """Run ``kernel(ctl)`` on ``workers`` threads sharing the queue ``ctl`` of ``n`` runs
    (:func:`new_queue`); each call claims runs until the queue is empty or stopped.

    Parameters
    ----------
    kernel : callable
        Runs the runs it claims from ``ctl`` and writes their results; returns when the queue
        is empty or its stop flag is set.
    n : int
        Number of runs.
    workers : int
        Threads running ``kernel`` (helper threads; the calling thread waits and handles
        Ctrl-C and stops of its task, :func:`dynsys_gd.runtime.cancel.check`).
    inline : bool
        Run one ``kernel`` in the calling thread instead (for calls expected to take less than
        :data:`SLICE_SECONDS`).

    Raises
    ------
    KeyboardInterrupt
        On Ctrl-C or a stop of the calling task thread; the kernels have returned by then and
        the results of unfinished runs are not written.
    """
    if n <= 0:
        return
    from ...runtime.cancel import check

    check()  # a task thread of an interrupted job stops here
    ctl = new_queue(n)
    if inline:
        kernel(ctl)
        return
    w = max(1, int(workers))
    pool = _helpers()
    futures: list[cf.Future[None]] = []
    try:
        for _ in range(w):
            futures.append(pool.submit(kernel, ctl))
        pending = set(futures)
        while pending:  # short waits: Ctrl-C and stops are handled between them
            done, pending = cf.wait(pending, timeout=0.05, return_when=cf.FIRST_EXCEPTION)
            if any(f.exception() is not None for f in done):
                break
            check()
    except BaseException:
        ctl[1] = 1  # every kernel returns after its current block
        cf.wait(futures)
        raise
    ctl[1] = 1
    cf.wait(futures)
    for f in futures:
        f.result()  # a kernel's error, re-raised here


def row_parts(weights: Any, parts: int) -> list[tuple[int, int]]:
    """Contiguous row ranges ``[(a, b), ...]`` of an array of per-row ``weights`` (e.g. 1 for
    a row with work, 0 without), at most ``parts`` of them, each holding about the same total
    weight; empty ranges are left out."""
    w = np.asarray(weights, dtype=np.float64)
    n = w.size
    if n == 0:
        return []
    if parts <= 1:
        return [(0, n)]
    cum = np.cumsum(w)
    total = float(cum[-1])
    if total <= 0.0:
        return [(0, n)]
    cuts = [0]
    for k in range(1, parts):
        cuts.append(int(np.searchsorted(cum, total * k / parts, side="right")))
    cuts.append(n)
    return [(a, b) for a, b in itertools.pairwise(cuts) if b > a]


def map_parts(fn: Callable[[Any], Any], items: list[Any], workers: int = 2) -> list[Any]:
    """``[fn(item) for item in items]`` on this thread and ``workers - 1`` helper threads, each
    claiming the next item in order (for numpy work on disjoint row ranges: numpy releases the
    GIL inside its loops).  After an error or Ctrl-C in any of them no further item is
    claimed; the error is re-raised here once the items in progress are done (keep items short:
    that bounds the wait)."""
    out: list[Any] = [None] * len(items)
    w = max(1, min(int(workers), len(items)))
    if w <= 1:
        return [fn(it) for it in items]
    lock = threading.Lock()
    state = {"next": 0, "stop": False}

    def drain(_: Any = None) -> None:
        while True:
            with lock:
                i = state["next"]
                if state["stop"] or i >= len(items):
                    return
                state["next"] = i + 1
            try:
                out[i] = fn(items[i])
            except BaseException:
                state["stop"] = True
                raise

    pool = _helpers()
    futures = [pool.submit(drain, None) for _ in range(w - 1)]
    try:
        drain()
    except BaseException:
        state["stop"] = True
        raise
    finally:
        cf.wait(futures)
    for f in futures:
        f.result()
    return out
