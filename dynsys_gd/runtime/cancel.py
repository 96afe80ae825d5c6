"""The task threads of this process and how work on them stops: a thread bound to a stop
event raises ``KeyboardInterrupt`` at the next point that checks it (the engine checks between
slices of a fraction of a second), so Ctrl-C in the main thread ends every task thread within a
slice.  The threads are kept for the whole process (:func:`task_threads`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["bound", "check", "task_threads"]

_local = threading.local()


@contextmanager
def bound(event: threading.Event) -> Iterator[None]:
    """Bind the calling thread to ``event`` for the duration of the block."""
    prev = getattr(_local, "event", None)
    _local.event = event
    try:
        yield
    finally:
        _local.event = prev


def check() -> None:
    """Raise ``KeyboardInterrupt`` when the calling thread's stop event is set."""
    event = getattr(_local, "event", None)
    if event is not None and event.is_set():
        raise KeyboardInterrupt("stopped: the job was interrupted")


class _TaskThreads:
    """Task threads kept for the whole process (building a thread pool per call cost about
    5 ms of CPU): a job goes to an idle thread, and a thread is started only when none is
    idle, so nested calls never wait for each other.  A thread counts itself idle before it
    reports its job done.  Daemon threads; at exit this process waits (a few seconds at most)
    for jobs still running, which stop at their next check once their stop event is set."""

    def __init__(self) -> None:
        import os
        import queue

        self.jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.idle = 0
        self.busy = 0
        self.started = 0
        self.pid = os.getpid()

    def submit(self, fn: Callable[[], None]) -> None:
        with self.lock:
            self.busy += 1
            if self.idle > 0:
                self.idle -= 1
            else:
                self.started += 1
                threading.Thread(
                    target=self._loop, name=f"dynsys-gd-task_{self.started}", daemon=True
                ).start()
        self.jobs.put(fn)

    def _loop(self) -> None:
        while True:
            fn = self.jobs.get()
            try:
                fn()  # reports its own results and errors
            finally:
                with self.lock:
                    self.idle += 1
                    self.busy -= 1

    def drain(self, timeout: float = 5.0) -> None:
        """Wait up to ``timeout`` seconds for running jobs (at interpreter exit)."""
        end = time.monotonic() + timeout
        while self.busy > 0 and time.monotonic() < end:
            time.sleep(0.01)


_TASK_THREADS: _TaskThreads | None = None
_TASK_THREADS_LOCK = threading.Lock()


def task_threads() -> _TaskThreads:
    """The task threads of this process (a forked child makes its own)."""
    import atexit
    import os

    global _TASK_THREADS
    with _TASK_THREADS_LOCK:
        if _TASK_THREADS is None or _TASK_THREADS.pid != os.getpid():
            _TASK_THREADS = _TaskThreads()
            atexit.register(_TASK_THREADS.drain)
        return _TASK_THREADS
