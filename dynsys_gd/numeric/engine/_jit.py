"""The numba options of every compiled kernel, and where numba caches the compiled code.

numba's on-disk cache checks only the source file of each compiled function.  The kernels here
call and inline functions of other files (the lane driver runs the outcome tests of
``outcomes.py``, the MLP kernel the engine's tanh of ``activations.py``), so after a change to
one of those files numba would load stale machine code for the callers, and the compiled path
would silently stop matching the numpy reference.  The cache therefore lives in a directory
named by a digest of every kernel source (and the numba version): any change to any of them
compiles everything afresh, in a new directory.

The directory is ``<kernel dir>/numba-<digest>``, where the kernel directory is
``DYNSYS_GD_KERNEL_DIR`` (default ``~/.cache/dynsys_gd/kernels``, or a temporary directory when
that is not writable); it also holds the generated straight-line blocks
(:mod:`~dynsys_gd.numeric.engine.lanes`).  If ``NUMBA_CACHE_DIR`` is set, numba's own setting wins
and
the digest is not used.  Import this module before any module that compiles with
``cache=True``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import numba
from numba.core import config

__all__ = ["JIT", "KERNEL_SOURCES", "kernel_dir", "sources_digest"]

#: options of every kernel: no fastmath (no FMA contraction, no reassociation), numpy's error
#: model (division by zero gives inf / nan), cached on disk, the GIL released
JIT: dict[str, Any] = {"cache": True, "error_model": "numpy", "nogil": True, "fastmath": False}

#: the files whose compiled functions call each other
KERNEL_SOURCES: tuple[str, ...] = (
    "_jit.py",
    "activations.py",
    "lane_block.py",
    "lanes.py",
    "mlp_kernel.py",
    "outcomes.py",
)


def kernel_dir() -> str:
    """The writable directory of compiled and generated kernels (created if missing)."""
    base = os.environ.get("DYNSYS_GD_KERNEL_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "dynsys_gd",
        "kernels",
    )
    try:
        os.makedirs(base, exist_ok=True)
        probe = os.path.join(base, ".probe")
        with open(probe, "w") as fh:
            fh.write("")
        return base
    except OSError:
        alt = os.path.join(tempfile.gettempdir(), f"dynsys_gd_kernels_{os.getuid()}")
        os.makedirs(alt, exist_ok=True)
        return alt


def sources_digest() -> str:
    """SHA-1 of the kernel sources and the numba version (16 hex digits)."""
    here = Path(__file__).resolve().parent
    h = hashlib.sha1(numba.__version__.encode())
    for name in KERNEL_SOURCES:
        h.update(name.encode())
        h.update((here / name).read_bytes())
    return h.hexdigest()[:16]


if not os.environ.get("NUMBA_CACHE_DIR"):
    config.CACHE_DIR = os.path.join(kernel_dir(), f"numba-{sources_digest()}")  # type: ignore[attr-defined]
