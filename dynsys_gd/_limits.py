r"""One size model for the public boundary: memory and time an argument implies, refused early.

Every size-like argument of a public function (parameters :math:`P`, step budgets, tails,
periods, sample counts, symbolic depth, ...) is turned into an *estimate* of the memory or the
time the call needs before any work starts, and refused when the estimate exceeds a stated
limit.  Refusals are :class:`~dynsys_gd.errors.InvalidParameterError` with the estimate in the
message, e.g.

``tail=1000000000 needs about 61 TiB of memory for a block of 4096 runs; the limit is 8 GiB``.

The model (all estimates are *lower* bounds, so a refused call could never have fit):

* memory: the float64 arrays the computation allocates, 8 bytes per entry;
* time of iterating a map: ``steps * (STEP_OVERHEAD + runs * P * PARAM_STEP_COST)`` seconds,
  i.e. at least 1 microsecond per step of a batch plus 1 nanosecond per parameter of every run
  (optimistic for a compiled kernel; today's numpy engine is slower);
* time of dense linear algebra on an :math:`n \times n` matrix: :math:`n^3` operations at
  ``FLOP_RATE`` (the peak of the 2-core reference machine, rounded up).

Limits: ``MEMORY_LIMIT`` (default 8 GiB) and ``TIME_LIMIT`` (default 24 hours); override them
with the environment variables ``DYNSYS_GD_MEMORY_LIMIT`` (bytes, or a number with a unit such
as ``32GiB``) and ``DYNSYS_GD_TIME_LIMIT`` (seconds, or with a unit ``s``, ``min``, ``h``,
``d``).  The limits are read at every check, so a test or a script can change them.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any

from .errors import InvalidParameterError

__all__ = [
    "BYTES_PER_FLOAT",
    "DENSE_COPIES",
    "ENGINE_BLOCK",
    "FLOP_RATE",
    "MAX_MAGNITUDE",
    "MAX_PARAMS",
    "MIN_MAGNITUDE",
    "PARAM_STEP_COST",
    "STEP_OVERHEAD",
    "check_dense",
    "check_engine_memory",
    "check_iteration",
    "check_memory",
    "check_params",
    "check_symbolic_depth",
    "check_time",
    "format_bytes",
    "format_seconds",
    "iteration_seconds",
    "memory_limit",
    "symbolic_seconds",
    "time_limit",
]

#: Bytes per float64 entry.
BYTES_PER_FLOAT = 8
#: Default memory limit (bytes).
DEFAULT_MEMORY_LIMIT = 8 * 2**30
#: Default time limit (seconds).
DEFAULT_TIME_LIMIT = 24 * 3600.0
#: Fixed cost of one step of a batch (seconds), an optimistic figure for a compiled kernel.
STEP_OVERHEAD = 1e-6
#: Cost of one parameter of one run in one step (seconds): 1 ns.
PARAM_STEP_COST = 1e-9
#: Dense linear algebra rate (operations per second): the 2-core reference machine's peak.
FLOP_RATE = 1e11
#: Largest number of parameters of any model (a vector of P floats per run and P x P work in
#: the certificates and spectra of small models).
MAX_PARAMS = 1_000_000
#: Runs the engine holds at once in a sampling block (the estimates of an EngineConfig alone).
ENGINE_BLOCK = 4096
#: Largest magnitude of a model number (data, targets, moments): squares and sums of squares of
#: such numbers stay far inside float64 (about 1.8e308).
MAX_MAGNITUDE = 1e100
#: Smallest non-zero magnitude of a scalar model number (targets): its powers stay normal.
MIN_MAGNITUDE = 1e-100

_UNITS = {
    "": 1,
    "b": 1,
    "k": 10**3,
    "kb": 10**3,
    "m": 10**6,
    "mb": 10**6,
    "g": 10**9,
    "gb": 10**9,
    "t": 10**12,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_TIME_UNITS = {"": 1.0, "s": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def _parse(text: str, units: dict[str, Any], var: str) -> float:
    m = re.fullmatch(r"\s*([0-9.eE+]+)\s*([a-zA-Z]*)\s*", text)
    if m is None or m.group(2).lower() not in units:
        raise InvalidParameterError(
            f"{var} must be a number with an optional unit "
            f"({', '.join(u for u in units if u)}); got {text!r}"
        )
    try:
        value = float(m.group(1)) * units[m.group(2).lower()]
    except ValueError:
        raise InvalidParameterError(
            f"{var} must be a number with an optional unit; got {text!r}"
        ) from None
    if not (math.isfinite(value) and value > 0):
        raise InvalidParameterError(f"{var} must be a finite number > 0; got {text!r}")
    return value


def memory_limit() -> float:
    """The memory limit in bytes (``DYNSYS_GD_MEMORY_LIMIT`` or 8 GiB)."""
    text = os.environ.get("DYNSYS_GD_MEMORY_LIMIT")
    return DEFAULT_MEMORY_LIMIT if not text else _parse(text, _UNITS, "DYNSYS_GD_MEMORY_LIMIT")


def time_limit() -> float:
    """The time limit in seconds (``DYNSYS_GD_TIME_LIMIT`` or 24 hours)."""
    text = os.environ.get("DYNSYS_GD_TIME_LIMIT")
    return DEFAULT_TIME_LIMIT if not text else _parse(text, _TIME_UNITS, "DYNSYS_GD_TIME_LIMIT")


def format_bytes(n: float) -> str:
    """``1.5 TiB``, ``512 MiB``, ``12 bytes``: binary units, two or three significant digits."""
    if n < 1024:
        return f"{n:.0f} bytes"
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        n /= 1024.0
        if n < 1024 or unit == "EiB":
            return f"{n:.2g} {unit}" if n < 10 else f"{n:.0f} {unit}"
    raise AssertionError  # pragma: no cover


def format_seconds(s: float) -> str:
    """``3.2 hours``, ``46 days``, ``12 minutes``, ``1 day``, ``2.1e+05 years``."""
    for unit, size in (
        ("years", 365.25 * 86400),
        ("days", 86400.0),
        ("hours", 3600.0),
        ("minutes", 60.0),
    ):
        if s >= size:
            v = s / size
            text = f"{v:.2g}" if v < 10 or v >= 1e4 else f"{v:.0f}"
            return f"{text} {unit[:-1] if text == '1' else unit}"
    return f"{s:.2g} seconds"


def _arg(name: str, value: Any) -> str:
    return f"{name}={value}" if value is not None else name


def check_memory(name: str, value: Any, nbytes: float, context: str = "") -> None:
    """Refuse ``name=value`` when the memory it implies (``nbytes``) exceeds the limit.

    ``context`` completes the sentence, e.g. ``"for a block of 4096 runs"``.
    """
    limit = memory_limit()
    if not nbytes <= limit:  # also refuses nan/inf estimates
        ctx = f" {context}" if context else ""
        raise InvalidParameterError(
            f"{_arg(name, value)} needs about {format_bytes(nbytes)} of memory{ctx}; the limit "
            f"is {format_bytes(limit)} (set DYNSYS_GD_MEMORY_LIMIT to change it)"
        )


def check_time(name: str, value: Any, seconds: float, context: str = "") -> None:
    """Refuse ``name=value`` when the time it implies (``seconds``, a lower bound) exceeds the
    limit."""
    limit = time_limit()
    if not seconds <= limit:
        ctx = f" {context}" if context else ""
        raise InvalidParameterError(
            f"{_arg(name, value)} needs at least about {format_seconds(seconds)} of computing"
            f"{ctx}; the limit is {format_seconds(limit)} (set DYNSYS_GD_TIME_LIMIT to change "
            "it)"
        )


def iteration_seconds(steps: float, runs: float, n_params: float) -> float:
    """Lower-bound time of ``steps`` steps of a batch of ``runs`` runs with ``n_params``
    parameters each."""
    return float(steps) * (
        STEP_OVERHEAD + float(runs) * max(float(n_params), 1.0) * PARAM_STEP_COST
    )


def check_iteration(
    name: str,
    value: Any,
    *,
    steps: float,
    runs: float = 1,
    n_params: float = 1,
    arrays: float = 0.0,
    context: str = "",
) -> None:
    r"""Refuse a size argument of an iteration (GD runs, a map's orbit, a tangent iteration).

    Parameters
    ----------
    name, value
        The argument as the user gave it (named in the message).
    steps, runs, n_params
        Steps of the batch, runs in the batch, parameters per run: the time estimate is
        :func:`iteration_seconds`.
    arrays
        Float64 entries held at once (memory estimate ``8 * arrays`` bytes).
    context
        Completes the sentence of the message.
    """
    if arrays:
        check_memory(name, value, BYTES_PER_FLOAT * float(arrays), context)
    check_time(name, value, iteration_seconds(steps, runs, n_params), context)


def check_params(name: str, value: Any, n_params: int, *, runs: int = 1) -> None:
    """Refuse a model with more than :data:`MAX_PARAMS` parameters or whose parameter vectors
    for ``runs`` runs do not fit in memory."""
    if n_params > MAX_PARAMS:
        raise InvalidParameterError(
            f"{name} must give at most {MAX_PARAMS} parameters; got {n_params} "
            f"({format_bytes(BYTES_PER_FLOAT * n_params)} per parameter vector)"
        )
    check_memory(
        name,
        value,
        BYTES_PER_FLOAT * float(n_params) * runs,
        f"for {runs} runs" if runs > 1 else "",
    )


#: Live :math:`n \times n` float64 copies of dense Hessian work: the Hessian, its symmetrised
#: copy, LAPACK's working copy and the temporaries of forming them.  Measured: 3.5 (peak RSS
#: of ``critical_lr`` on a whitened network of widths (42, 42), P = 1764), rounded up.
DENSE_COPIES = 4


def check_dense(
    name: str, value: Any, n: int, *, what: str = "a dense matrix", copies: int = DENSE_COPIES
) -> None:
    r"""Refuse dense :math:`n \times n` work (a Hessian, its eigendecomposition) whose memory
    (``copies`` matrices of float64, :data:`DENSE_COPIES` live at the peak) or time
    (:math:`n^3` operations at :data:`FLOP_RATE`) exceeds the limits."""
    ctx = f"for {what} of size {n} x {n}"
    check_memory(name, value, float(copies) * BYTES_PER_FLOAT * float(n) ** 2, ctx)
    check_time(name, value, float(n) ** 3 / FLOP_RATE, ctx)


def check_engine_memory(cfg: Any, *, runs: int = ENGINE_BLOCK, n_params: int = 1) -> None:
    r"""Refuse engine settings whose work arrays do not fit or whose budget takes too long.

    The engine keeps, per run, a ring of the last :math:`2K` gradient norms (``tail`` = K) and
    :math:`2\,\text{max\_period}` recent iterates of :math:`P` floats; a run that never settles
    takes ``max_steps * max_extension`` steps.  Called by :class:`EngineConfig` with the
    engine's block of :data:`ENGINE_BLOCK` runs and :math:`P = 1`; call it again with the real
    batch size and :math:`P` where they are known.
    """
    block = f"for a block of {runs} runs" + (f" of {n_params} parameters" if n_params > 1 else "")
    tail = int(cfg.tail)
    check_memory("tail", tail, BYTES_PER_FLOAT * 2.0 * tail * runs, block)
    maxp = int(cfg.max_period)
    check_memory("max_period", maxp, BYTES_PER_FLOAT * 2.0 * maxp * runs * max(n_params, 1), block)
    max_steps, max_ext = cfg.max_steps, cfg.max_extension
    if (max_steps is None or max_ext is None) and hasattr(cfg, "budgets"):
        # None means the engine's automatic budget: the long one is checked
        ms, hard = cfg.budgets(True)
        max_steps = ms if max_steps is None else max_steps
        max_ext = hard / ms if max_ext is None else max_ext
    ext = float(max_ext) if getattr(cfg, "adaptive", True) else 1.0
    steps = float(max_steps) * ext
    ctx = (
        f"for a run that never settles ({steps:.3g} steps with max_extension={float(max_ext):g})"
        if ext != 1.0
        else f"for a run that never settles ({steps:.3g} steps)"
    )
    check_time("max_steps", int(max_steps), iteration_seconds(steps, 1, n_params), ctx)


#: Symbolic derivation of a depth-N scalar network (GD map, Jacobian, det DG) measured at
#: about 1.7 s for N = 12, 7.6 s for N = 16, 26 s for N = 20 and > 100 s for N = 24 on the
#: reference machine (``dynsys-gd derive --depth N``): roughly a factor 2 per two layers.
#: The model below is that fit with the constant rounded down.
SYMBOLIC_SECONDS_AT_12 = 1.0


def symbolic_seconds(depth: int) -> float:
    """Estimated seconds of the symbolic derivation (sympy) of a depth-``depth`` network."""
    return SYMBOLIC_SECONDS_AT_12 * 2.0 ** ((depth - 12) / 2.0)


def check_symbolic_depth(name: str, depth: int) -> None:
    """Refuse symbolic work (``derive``, exact Jacobians) on a network so deep that the
    sympy derivation would exceed the time limit (the numeric path has no such cost)."""
    check_time(name, depth, symbolic_seconds(depth), "for the symbolic derivation (sympy)")
