"""Validation of optimiser settings (one message form: name, rule, value)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validation import describe
from ..errors import InvalidParameterError

__all__ = ["check_beta", "check_positive_vector"]


def check_beta(name: str, value: Any, *, upper_open: bool = True) -> float:
    """A momentum coefficient in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise InvalidParameterError(f"{name} must be a float in [0, 1); got {describe(value)}")
    v = float(value)
    if not (math.isfinite(v) and 0.0 <= v < 1.0):
        raise InvalidParameterError(f"{name} must be a float in [0, 1); got {value!r}")
    return v


def check_positive_vector(name: str, value: Any) -> np.ndarray:
    """A non-empty 1-D array of finite floats > 0."""
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"{name} must be a non-empty 1-D array of finite floats > 0; got {describe(value)}"
        ) from exc
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr) & (arr > 0)):
        raise InvalidParameterError(
            f"{name} must be a non-empty 1-D array of finite floats > 0; got {value!r}"
        )
    return arr
