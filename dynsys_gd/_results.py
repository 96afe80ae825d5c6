"""Shared helpers for result objects: JSON-safe conversion and notebook display.

Result objects are frozen dataclasses with ``summary()`` (human text) and ``to_dict()``
(JSON-safe).  :class:`ResultMixin` supplies ``to_json()`` and ``_repr_markdown_`` from those.
"""

from __future__ import annotations

import dataclasses
import json
import math
from enum import Enum
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["ResultMixin", "jsonable"]


def jsonable(obj: Any) -> Any:
    """Convert numpy arrays/scalars, enums, fractions, dataclasses, mpmath numbers and tuples
    into JSON-safe Python objects.  Non-finite floats become the strings "inf", "-inf", "nan"."""
    if isinstance(obj, Enum):
        return obj.name.lower()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        if hasattr(obj, "to_dict"):
            return obj.to_dict()
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {
            str(jsonable(k)) if not isinstance(k, str) else k: jsonable(v) for k, v in obj.items()
        }
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.bool_ | bool):
        return bool(obj)
    if isinstance(obj, np.integer | int):
        return int(obj)
    if isinstance(obj, Fraction):
        return str(obj)
    if isinstance(obj, np.floating | float):
        f = float(obj)
        if math.isfinite(f):
            return f
        return "nan" if math.isnan(f) else ("inf" if f > 0 else "-inf")
    if obj is None or isinstance(obj, str):
        return obj
    try:
        import mpmath

        if isinstance(obj, mpmath.mpf):
            return mpmath.nstr(obj, mpmath.mp.dps)
    except ImportError:  # pragma: no cover
        pass
    return str(obj)


class ResultMixin:
    """Mixin for result dataclasses that define ``summary()`` and ``to_dict()``."""

    def summary(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    def to_json(self, **kwargs: Any) -> str:
        """``json.dumps(self.to_dict())``; the output is strict JSON (no NaN literals)."""
        return json.dumps(self.to_dict(), allow_nan=False, **kwargs)

    def _repr_markdown_(self) -> str:
        return "```text\n" + self.summary() + "\n```"
