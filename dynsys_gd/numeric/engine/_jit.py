"""The numba options of every compiled kernel, and where numba caches the compiled code.

numba's on-disk cache checks only the source file of each compiled function.  The kernels here
call and inline functions of other files (the lane driver runs the outcome tests of
``outcomes.py``, the MLP kernel the engine's tanh of ``activations.py``), so after a change to
one of those files numba would load stale machine code for the callers, and the compiled path
would silently stop matching the numpy reference.  The cache therefore lives in a directory
named by a digest of every kernel source (and the numba version): any change to any of them
compiles everything afresh, in a new directory.

The directory is ``<kernel dir>/numba-<digest>``, where the kernel directory is
``DYNSYS_GD_KERNEL_DIR`` (default ``~/.cache/dynsys_gd/kernels``), checked and created private by
:func:`~dynsys_gd.numeric.engine.kernel_cache.kernel_dir` (a private temporary directory, with one
warning, when it cannot be trusted); it also holds the generated straight-line blocks
(:mod:`~dynsys_gd.numeric.engine.codegen`).  If ``NUMBA_CACHE_DIR`` is set, numba's own setting
wins and the digest is not used; that directory must then be as private as the package source.
An unreadable numba cache entry is recompiled, never fatal.  Import this module before any
module that compiles with ``cache=True``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numba
from numba.core import config

from .kernel_cache import install_corrupt_cache_guard, kernel_dir, numba_dir_checked

__all__ = ["JIT", "KERNEL_SOURCES", "kernel_dir", "sources_digest"]

#: options of every kernel: no fastmath (no FMA contraction, no reassociation), numpy's error
#: model (division by zero gives inf / nan), cached on disk, the GIL released
JIT: dict[str, Any] = {"cache": True, "error_model": "numpy", "nogil": True, "fastmath": False}


def _allow_wide_lane_blocks() -> None:
    """Let LLVM vectorise lane loops that touch many rows of the state array.

    A lane block reads and writes every row of ``th[S, L]`` in one loop over the lanes; LLVM
    cannot prove that rows ``L`` apart do not overlap and guards the vector loop with runtime
    checks, one per pair of rows, and gives up above a few dozen (the momentum blocks of a
    2 x 2 x 2 network have 16 rows; the straight-line GD block of a (4, 4, 4, 4) network reads
    and writes 48 and needs about 48 x 48 checks, so the limit is far above that).  Raising
    the limits changes which loops are vectorised, never an operation or its order (no
    fastmath, no reassociation): results are the same bits.  The options are LLVM's, for the
    whole process."""
    import llvmlite.binding as llvm

    for opt in (
        "-runtime-memory-check-threshold=65536",
        "-vectorize-memory-check-threshold=65536",
        "-memory-check-merge-threshold=65536",
    ):
        llvm.set_option("", opt)


_allow_wide_lane_blocks()

#: the files whose compiled functions call each other
KERNEL_SOURCES: tuple[str, ...] = (
    "_jit.py",
    "activations.py",
    "lane_block.py",
    "lane_divergence.py",
    "lane_gradients.py",
    "lanes.py",
    "mlp_kernel.py",
    "outcomes.py",
)


def sources_digest() -> str:
    """SHA-1 of the kernel sources and the numba version (16 hex digits)."""
    here = Path(__file__).resolve().parent
    h = hashlib.sha1(numba.__version__.encode())
    for name in KERNEL_SOURCES:
        h.update(name.encode())
        h.update((here / name).read_bytes())
    return h.hexdigest()[:16]


install_corrupt_cache_guard()
if not os.environ.get("NUMBA_CACHE_DIR"):
    config.CACHE_DIR = os.path.join(kernel_dir(), f"numba-{sources_digest()}")  # type: ignore[attr-defined]
else:
    config.CACHE_DIR = numba_dir_checked(os.environ["NUMBA_CACHE_DIR"])  # type: ignore[attr-defined]
