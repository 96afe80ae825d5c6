"""Stop work running on task threads of this process: a thread bound to a stop event raises
``KeyboardInterrupt`` at the next point that checks it (the engine checks between slices of a
fraction of a second), so Ctrl-C in the main thread ends every task thread within a slice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["bound", "check"]

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
