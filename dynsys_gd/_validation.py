"""Validation helpers used at the public boundary (before any sympy or numeric work).

Each helper raises :class:`~dynsys_gd.errors.InvalidParameterError` with a message of the form
``<name> must be <rule>; got <value>``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import InvalidParameterError

__all__ = [
    "check_batch",
    "check_choice",
    "check_finite_matrix",
    "check_int",
    "check_magnitude",
    "check_nonnegative_float",
    "check_positive_float",
    "check_probability",
    "check_real",
    "check_real_array",
    "check_seed",
    "describe",
]


def describe(value: Any) -> str:
    """Short representation of a bad value for error messages."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    try:
        text = repr(value)
    except RecursionError:  # deeply nested containers
        import reprlib

        text = reprlib.repr(value)
    except Exception:  # a broken __repr__ of the user's object
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= 80 else text[:77] + "..."


def _is_real_number(value: Any) -> bool:
    if isinstance(value, bool | np.bool_):
        return False
    if isinstance(value, numbers.Real):
        return True
    try:
        import sympy

        return isinstance(value, sympy.Basic) and bool(value.is_real) and bool(value.is_number)
    except ImportError:  # pragma: no cover - sympy is a core dependency
        return False


def check_real(name: str, value: Any, *, allow_zero: bool = True) -> float:
    """Return ``value`` as a finite float; reject bools, strings, NaN and infinities."""
    if not _is_real_number(value):
        raise InvalidParameterError(f"{name} must be a finite real number; got {describe(value)}")
    out = float(value)
    if not math.isfinite(out):
        raise InvalidParameterError(f"{name} must be a finite real number; got {describe(value)}")
    if not allow_zero and out == 0.0:
        raise InvalidParameterError(f"{name} must be a finite non-zero real number; got {value!r}")
    return out


def check_target(value: Any) -> float:
    r"""Return the target of a network with a minima manifold as a finite non-zero float.

    With target 0 the minima set :math:`\{W(\theta) = 0\}` is not a manifold (for a scalar
    network it is the union of the coordinate hyperplanes :math:`w_i = 0`;
    docs/math/claims.md#c2).
    """
    out = check_real("target", value)
    if out == 0.0:
        raise InvalidParameterError(
            "target must be non-zero: with target 0 the minima set {W(theta) = 0} (for a scalar "
            "network the union of the hyperplanes w_i = 0) is not a manifold; got target 0"
        )
    return out


def check_positive_float(name: str, value: Any) -> float:
    """Return ``value`` as a float after checking it is finite and > 0."""
    if not _is_real_number(value):
        raise InvalidParameterError(f"{name} must be a finite float > 0; got {describe(value)}")
    out = float(value)
    if not (math.isfinite(out) and out > 0.0):
        raise InvalidParameterError(f"{name} must be a finite float > 0; got {value!r}")
    return out


def check_probability(name: str, value: Any, *, open_interval: bool = True) -> float:
    """Return ``value`` as a float in (0, 1) (or [0, 1] when ``open_interval`` is False)."""
    out = check_real(name, value)
    ok = 0.0 < out < 1.0 if open_interval else 0.0 <= out <= 1.0
    if not ok:
        rule = "in (0, 1)" if open_interval else "in [0, 1]"
        raise InvalidParameterError(f"{name} must be a float {rule}; got {value!r}")
    return out


def check_int(
    name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``value`` as an int; reject bools, floats and out-of-range values."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        rule = "an int" if minimum is None else f"an int >= {minimum}"
        raise InvalidParameterError(f"{name} must be {rule}; got {describe(value)}")
    out = int(value)
    if minimum is not None and out < minimum:
        raise InvalidParameterError(f"{name} must be an int >= {minimum}; got {out}")
    if maximum is not None and out > maximum:
        raise InvalidParameterError(f"{name} must be an int <= {maximum}; got {out}")
    return out


def check_seed(name: str, value: Any) -> int | None:
    """Seeds are None or non-negative ints (as accepted by ``numpy.random.SeedSequence``)."""
    if value is None:
        return None
    return check_int(name, value, minimum=0)


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise InvalidParameterError(f"{name} must be one of {options}; got {describe(value)}")
    return value


def _to_exact(name: str, x: Any) -> Fraction:
    """Exact rational value of a number (floats are taken at their exact binary value)."""
    if isinstance(x, bool | np.bool_):
        raise InvalidParameterError(f"{name} must hold real numbers; got a bool")
    if isinstance(x, Fraction):
        return x
    if isinstance(x, numbers.Integral):
        return Fraction(int(x))
    if isinstance(x, float | np.floating):
        if not math.isfinite(float(x)):
            raise InvalidParameterError(f"{name} must be finite (no NaN or inf); got {x!r}")
        return Fraction(float(x))
    try:
        import sympy

        if isinstance(x, sympy.Basic):
            if x.is_Rational:
                return Fraction(int(x.p), int(x.q))
            if x.is_number and x.is_real:
                f = float(x)
                if not math.isfinite(f):
                    raise InvalidParameterError(f"{name} must be finite (no NaN or inf); got {x}")
                return Fraction(f)
    except ImportError:  # pragma: no cover
        pass
    if isinstance(x, numbers.Real):
        f = float(x)
        if not math.isfinite(f):
            raise InvalidParameterError(f"{name} must be finite (no NaN or inf); got {x!r}")
        return Fraction(f)
    raise InvalidParameterError(f"{name} must hold real numbers; got {describe(x)}")


def check_finite_matrix(
    name: str, value: Any, *, shape: tuple[int | None, int | None] | None = None
) -> tuple[NDArray[np.float64], list[list[Fraction]]]:
    """Validate a real 2-D array; return it as float64 and as exact rationals.

    Floats are converted to rationals at their exact binary value, so exact computations (C1
    certificates) see precisely the numbers the user passed.
    """
    if isinstance(value, str | bytes) or value is None:
        raise InvalidParameterError(
            f"{name} must be a 2-D array of real numbers; got {describe(value)}"
        )
    try:
        arr = np.asarray(value, dtype=object)
    except Exception as exc:  # pragma: no cover - exotic input
        raise InvalidParameterError(
            f"{name} must be a 2-D array of real numbers; got {describe(value)}"
        ) from exc
    if arr.ndim != 2:
        raise InvalidParameterError(
            f"{name} must be a 2-D array of real numbers; got an array with {arr.ndim} dimensions"
        )
    if arr.size == 0:
        raise InvalidParameterError(f"{name} must be non-empty; got shape {arr.shape}")
    if shape is not None:
        for axis, expected in enumerate(shape):
            if expected is not None and arr.shape[axis] != expected:
                raise InvalidParameterError(
                    f"{name} must have shape "
                    f"({', '.join('*' if s is None else str(s) for s in shape)}); "
                    f"got shape {arr.shape}"
                )
    exact = [[_to_exact(name, x) for x in row] for row in arr]
    try:
        floats = np.array([[float(x) for x in row] for row in exact], dtype=np.float64)
    except OverflowError as exc:
        raise InvalidParameterError(f"{name} has entries too large for float64") from exc
    if not np.all(np.isfinite(floats)):
        raise InvalidParameterError(f"{name} must be finite (no NaN or inf); got non-finite values")
    from ._limits import MAX_MAGNITUDE

    biggest = float(np.max(np.abs(floats)))
    if biggest > MAX_MAGNITUDE:
        raise InvalidParameterError(
            f"{name} must have entries of magnitude <= {MAX_MAGNITUDE:g} (their squares and "
            f"sums of squares must stay finite in float64); got max |entry| = {biggest:g}"
        )
    return floats, exact


def check_nonnegative_float(name: str, value: Any) -> float:
    """Return ``value`` as a float after checking it is finite and >= 0."""
    if not _is_real_number(value):
        raise InvalidParameterError(f"{name} must be a finite float >= 0; got {describe(value)}")
    out = float(value)
    if not (math.isfinite(out) and out >= 0.0):
        raise InvalidParameterError(f"{name} must be a finite float >= 0; got {value!r}")
    return out


def check_magnitude(name: str, value: Any, *, allow_zero: bool = True) -> float:
    r"""Return a finite real scalar whose square (and its powers in the model) stays inside
    float64: :math:`|x| \le` ``MAX_MAGNITUDE`` (1e100) and, unless zero, :math:`|x| \ge`
    ``MIN_MAGNITUDE`` (1e-100), so neither overflows to ``inf`` nor underflows to 0."""
    from ._limits import MAX_MAGNITUDE, MIN_MAGNITUDE

    out = check_real(name, value, allow_zero=allow_zero)
    if abs(out) > MAX_MAGNITUDE:
        raise InvalidParameterError(
            f"{name} must have magnitude <= {MAX_MAGNITUDE:g} (its square must stay finite in "
            f"float64); got {value!r}"
        )
    if out != 0.0 and abs(out) < MIN_MAGNITUDE:
        raise InvalidParameterError(
            f"{name} must be 0 or have magnitude >= {MIN_MAGNITUDE:g} (its powers must not "
            f"underflow in float64); got {value!r}"
        )
    return out


def _kind_of(arr: NDArray[Any]) -> str:
    return {
        "c": "complex",
        "U": "strings",
        "S": "bytes",
        "O": "objects",
        "b": "bools",
        "M": "datetimes",
        "m": "timedeltas",
        "V": "records",
    }.get(arr.dtype.kind, str(arr.dtype))


def check_real_array(
    name: str,
    value: Any,
    *,
    ndim: int | tuple[int, ...] | None = None,
    shape: tuple[int | None, ...] | None = None,
    finite: bool = True,
    max_magnitude: float | None = None,
    allow_empty: bool = False,
    copy: bool = True,
) -> NDArray[np.float64]:
    r"""Validate a real array and return it as float64 (a copy unless ``copy=False``).

    Refused, naming ``name``: strings and ``None``; complex values (even with a zero imaginary
    part: refused, never truncated, and no ``ComplexWarning``); bools; ragged or object input;
    the wrong number of dimensions or shape (``None`` in ``shape`` is any size); an empty array
    (unless ``allow_empty``); NaN or inf (when ``finite``); entries above ``max_magnitude``
    (default ``MAX_MAGNITUDE`` = 1e100 when ``finite``; squares of such entries stay finite).
    Numpy scalars, lists, tuples and arrays of ints or floats (any precision) are accepted.
    """
    from ._limits import MAX_MAGNITUDE

    if isinstance(value, str | bytes) or value is None:
        raise InvalidParameterError(
            f"{name} must be an array of real numbers; got {describe(value)}"
        )
    try:
        raw = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise InvalidParameterError(
            f"{name} must be an array of real numbers; got {describe(value)} ({exc})"
        ) from None
    if raw.dtype.kind == "O":
        items = raw.ravel().tolist()
        if any(isinstance(v, complex | np.complexfloating) for v in items):
            raise InvalidParameterError(
                f"{name} must be real; got complex values (complex input is refused, not truncated)"
            )
        if not all(_is_real_number(v) for v in items):
            raise InvalidParameterError(
                f"{name} must be an array of real numbers; got {describe(value)}"
            )
        try:
            raw = np.array(items, dtype=np.float64).reshape(raw.shape)
        except (ValueError, TypeError, OverflowError) as exc:
            raise InvalidParameterError(
                f"{name} must be an array of real numbers; got {describe(value)} ({exc})"
            ) from None
    if raw.dtype.kind == "c":
        raise InvalidParameterError(
            f"{name} must be real; got an array of dtype {raw.dtype} "
            "(complex input is refused, not truncated)"
        )
    if raw.dtype.kind not in "iuf":
        raise InvalidParameterError(
            f"{name} must be an array of real numbers; got an array of {_kind_of(raw)}"
        )
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if raw.ndim not in allowed:
            want = " or ".join(str(d) for d in allowed)
            raise InvalidParameterError(
                f"{name} must be a {want}-D array; got an array with "
                f"{raw.ndim} dimensions (shape {raw.shape})"
            )
    if shape is not None:
        ok = raw.ndim == len(shape) and all(
            s is None or s == t for s, t in zip(shape, raw.shape, strict=False)
        )
        if not ok:
            want = ", ".join("*" if s is None else str(s) for s in shape)
            if len(shape) == 1:
                want += ","
            raise InvalidParameterError(f"{name} must have shape ({want}); got shape {raw.shape}")
    if raw.size == 0 and not allow_empty:
        raise InvalidParameterError(f"{name} must be non-empty; got shape {raw.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        out = (
            np.array(raw, dtype=np.float64, copy=True)
            if copy
            else np.asarray(raw, dtype=np.float64)
        )
    if finite:
        bad = ~np.isfinite(out)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise InvalidParameterError(
                f"{name} must be finite (no NaN or inf); got {float(out[where])!r} at index "
                f"{where if len(where) != 1 else where[0]}"
            )
        limit = MAX_MAGNITUDE if max_magnitude is None else max_magnitude
        if out.size and float(np.max(np.abs(out))) > limit:
            raise InvalidParameterError(
                f"{name} must have entries of magnitude <= {limit:g} (their squares must stay "
                f"finite in float64); got max |entry| = {float(np.max(np.abs(out))):g}"
            )
    return out


def check_batch(name: str, value: Any, n_params: int) -> NDArray[np.float64]:
    """A batch of parameter vectors: a real, finite float64 array of shape ``(B, n_params)``,
    ``B >= 1`` (a copy)."""
    arr = check_real_array(name, value, finite=False)
    if arr.ndim != 2 or arr.shape[1] != n_params:
        raise InvalidParameterError(
            f"{name} must have shape (B, {n_params}) with B >= 1; got shape {arr.shape}"
        )
    return check_real_array(name, arr, copy=False)


def check_lr_grid(
    name: str, value: Any, *, min_len: int = 1, distinct: bool = True, sort: bool = True
) -> NDArray[np.float64]:
    """A grid of step sizes: a 1-D sequence of at least ``min_len`` finite floats > 0 (numpy
    scalars accepted), distinct unless ``distinct=False``, returned as float64 (sorted unless
    ``sort=False``).  The one validator of every learning-rate grid of the toolkit."""
    rule = (
        "a non-empty 1-D sequence of finite floats > 0"
        if min_len <= 1
        else f"a 1-D sequence of at least {min_len} finite floats > 0"
    )
    if isinstance(value, str | bytes) or np.ndim(value) != 1 or len(value) < min_len:
        raise InvalidParameterError(f"{name} must be {rule}; got {describe(value)}")
    vals = [check_positive_float(f"{name}[{i}]", v) for i, v in enumerate(value)]
    if distinct and len(set(vals)) != len(vals):
        raise InvalidParameterError(f"{name} must be distinct; got {vals!r}")
    return np.array(sorted(vals) if sort else vals, dtype=np.float64)
