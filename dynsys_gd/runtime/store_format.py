"""The file format of a results store: format marker and version, the SQLite schema, the
canonical JSON of configurations and results (refusing values without a faithful JSON form), and
the SHA-256 digests that guard every stored result."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from enum import Enum
from fractions import Fraction
from typing import Any

import numpy as np

from .._results import jsonable
from .._validation import describe

__all__ = ["FORMAT", "FORMAT_VERSION", "MAX_NESTING", "canonical_json"]

FORMAT = "dynsys_gd.results"
FORMAT_VERSION = 2
_SQLITE_MAGIC = b"SQLite format 3\x00"
_RESERVED = ("key", "finished")

_SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
CREATE TABLE tasks (
    key TEXT PRIMARY KEY NOT NULL,
    result TEXT NOT NULL,
    digest TEXT NOT NULL,
    finished REAL NOT NULL
);
"""


#: the default ``repr`` of an object, ``<... at 0x7f...>``: never part of a stored configuration
_ADDRESS = re.compile(r"<[^<>]* at 0x[0-9a-fA-F]+>")


def _check_plain(obj: Any, where: str = "") -> None:
    """Reject values that :func:`jsonable` would only stringify (e.g. ``object()`` gives a
    memory address, which would make the configuration hash differ between runs)."""
    if isinstance(obj, str):
        if _ADDRESS.search(obj):
            raise TypeError(
                f"text {obj!r} at {where or '<top>'} holds a memory address, which changes "
                "every run (key stored results by a content fingerprint instead)"
            )
        return
    if obj is None or isinstance(obj, bool | int | float | Fraction | Enum | np.generic):
        return
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not isinstance(k, str | int | float | bool | Enum) and k is not None:
                raise TypeError(f"key {k!r} at {where or '<top>'} is not a str")
            _check_plain(v, f"{where}.{k}" if where else str(k))
        return
    if isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            _check_plain(v, f"{where}[{i}]")
        return
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "biufU":
            raise TypeError(f"array of dtype {obj.dtype} at {where or '<top>'}")
        return
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return
    if type(obj).__module__.startswith("mpmath"):
        return
    raise TypeError(f"value of type {type(obj).__name__} at {where or '<top>'} has no JSON form")


#: deepest nesting of dicts and lists in a configuration or result (a cycle is refused too)
MAX_NESTING = 64


def _check_nesting(obj: Any) -> None:
    """Refuse dicts and lists nested deeper than :data:`MAX_NESTING` levels, or a cycle
    (iteratively: no recursion limit is reached on the way)."""
    stack: list[tuple[Any, str, int]] = [(obj, "", 0)]
    while stack:
        item, where, depth = stack.pop()
        if depth > MAX_NESTING:
            raise ValueError(
                f"nesting deeper than {MAX_NESTING} levels (or a cycle) at {where[:80] or '<top>'}"
            )
        if isinstance(item, dict):
            stack.extend(
                (v, f"{where}.{k}" if where else str(k), depth + 1) for k, v in item.items()
            )
        elif isinstance(item, list | tuple):
            stack.extend((v, f"{where}[{i}]", depth + 1) for i, v in enumerate(item))


def canonical_json(obj: Any) -> str:
    r"""Canonical JSON text of ``obj``: :func:`~dynsys_gd._results.jsonable`, sorted keys,
    no whitespace, no NaN literals.  Equal configurations give equal text (and SHA-256).

    Raises ``TypeError`` for values without a faithful JSON form (arbitrary objects), and
    ``ValueError`` for nesting deeper than :data:`MAX_NESTING` levels."""
    _check_nesting(obj)
    _check_plain(obj)
    return json.dumps(
        jsonable(obj), sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=True
    )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _digest(key: str, text: str) -> str:
    """SHA-256 of a task's key and its stored JSON text (detects any change to either)."""
    return hashlib.sha256(key.encode("utf-8") + b"\x00" + text.encode("utf-8")).hexdigest()


def _diff_keys(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted keys where two JSON values differ (with both values), for error messages."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for k in sorted(set(old) | set(new)):
            name = f"{prefix}{k}"
            if k not in old:
                out.append(f"{name} (not stored, given {describe(new[k])})")
            elif k not in new:
                out.append(f"{name} (stored {describe(old[k])}, not given)")
            else:
                out.extend(_diff_keys(old[k], new[k], name + "."))
        return out
    if old != new:
        return [
            f"{prefix.rstrip('.') or '<config>'} (stored {describe(old)}, given {describe(new)})"
        ]
    return []
