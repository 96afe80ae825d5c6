"""Shared helpers for result objects: JSON-safe conversion, notebook display, pandas and plots.

Result objects are frozen dataclasses with ``summary()`` (human text) and ``to_dict()``
(JSON-safe).  :class:`ResultMixin` supplies from those

- ``to_json()`` and ``_repr_markdown_`` (notebooks);
- ``to_pandas()``: a :class:`pandas.DataFrame`.  A tabular result names the field its rows run
  along in the class attribute ``_rows_along`` (e.g. ``"lrs"`` for a sweep: one row per learning
  rate) and gets one column per field of that length (2-D arrays become columns ``name.j``,
  dicts of per-row values ``name.key``); a class can instead define ``_table_()`` returning the
  columns.  Any other result is one row of the scalar entries of ``to_dict()`` (nested dicts
  flattened to ``outer.inner``, as :func:`pandas.json_normalize` does).  The numbers are those
  of ``to_dict()`` (non-finite values as floats instead of the strings of JSON).

:func:`plotted_by` makes the ``.plot(ax=None, **kwargs)`` method of a result with a natural
figure: it calls the named function of the public plotting face :mod:`dynsys_gd.reporting`
(looked up when called, so the lower layers never import the reporting layer) and returns the
:class:`~matplotlib.figure.Figure`.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
from collections.abc import Callable, Mapping
from enum import Enum
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .errors import MissingDependencyError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["ResultMixin", "jsonable", "plotted_by", "scalar_items", "table_along"]


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


_NONFINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def _scalar(v: Any) -> Any:
    """A JSON scalar as a table cell ("inf"/"-inf"/"nan" strings back to floats)."""
    if isinstance(v, str) and v in _NONFINITE:
        return _NONFINITE[v]
    return v


def scalar_items(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """The scalar entries of a ``to_dict()`` mapping, nested dicts flattened to ``a.b`` keys
    (lists are left out)."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(scalar_items(v, key + "."))
        elif v is None or isinstance(v, bool | int | float | str):
            out[key] = _scalar(v)
    return out


def _is_cell(v: Any) -> bool:
    return v is None or isinstance(v, bool | int | float | str | np.generic)


def table_along(obj: Any, field: str) -> dict[str, Any]:
    """Columns of ``obj`` (a dataclass) with one row per entry of its field ``field``.

    Every field of that length becomes a column: 1-D arrays and variable-length tuples
    (annotated ``tuple[X, ...]``) of scalars as they are,
    2-D arrays as columns ``name.0``, ``name.1``, ..., dicts of per-row arrays and tuples of
    per-row dicts as columns ``name.key``.  Other fields (scalars, nested results) are left out;
    they are in ``to_dict()``.
    """
    n = len(getattr(obj, field))
    cols: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if isinstance(v, np.ndarray):
            if v.ndim == 0 or v.shape[0] != n:
                continue
            if v.ndim == 1:
                cols[f.name] = v
            elif v.ndim == 2:
                for j in range(v.shape[1]):
                    cols[f"{f.name}.{j}"] = v[:, j]
        elif isinstance(v, Mapping):
            for k, col in v.items():
                if np.ndim(col) == 1 and len(col) == n:
                    cols[f"{f.name}.{k}"] = np.asarray(col)
        elif isinstance(v, tuple | list) and len(v) == n:
            if all(isinstance(x, Mapping) for x in v):
                keys = list(dict.fromkeys(k for x in v for k in x))
                for k in keys:
                    cols[f"{f.name}.{k}"] = [x.get(k) for x in v]
            elif "..." in str(f.type) and all(_is_cell(x) for x in v):
                cols[f.name] = list(v)  # a tuple[X, ...] field: one entry per row
    return cols


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as exc:
        raise MissingDependencyError(
            "to_pandas() needs pandas, a core dependency of dynsys-gd that is missing from this "
            "environment; install it with `pip install pandas`"
        ) from exc
    return pandas


class ResultMixin:
    """Mixin for result dataclasses that define ``summary()`` and ``to_dict()``."""

    #: Field whose entries are the rows of ``to_pandas()`` (None: one row of scalar fields).
    _rows_along: ClassVar[str | None] = None

    def summary(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    def to_json(self, **kwargs: Any) -> str:
        """``json.dumps(self.to_dict())``; the output is strict JSON (no NaN literals)."""
        return json.dumps(self.to_dict(), allow_nan=False, **kwargs)

    def _table_(self) -> dict[str, Any] | None:
        """Columns of :meth:`to_pandas` (None: one row of the scalar fields of ``to_dict()``)."""
        if self._rows_along is None:
            return None
        return table_along(self, self._rows_along)

    def to_pandas(self) -> pd.DataFrame:
        """The result as a :class:`pandas.DataFrame` (see :mod:`dynsys_gd._results`).

        Raises
        ------
        MissingDependencyError
            When pandas is not installed.
        """
        pandas = _pandas()
        cols = self._table_()
        if cols is None:
            return pandas.DataFrame([scalar_items(self.to_dict())])
        return pandas.DataFrame(cols)

    def _repr_markdown_(self) -> str:
        return "```text\n" + self.summary() + "\n```"


def plotted_by(name: str) -> Callable[..., Figure]:
    """A ``plot(ax=None, **kwargs)`` method that draws the result with
    ``dynsys_gd.reporting.<name>`` and returns the figure."""

    def plot(self: Any, ax: Axes | None = None, **kwargs: Any) -> Figure:
        fn = getattr(importlib.import_module("dynsys_gd.reporting"), name)
        fig: Figure = fn(self, ax=ax, **kwargs) if ax is not None else fn(self, **kwargs)
        return fig

    plot.__doc__ = (
        f"Draw this result with :func:`dynsys_gd.reporting.{name}` (into ``ax`` if "
        "given; keyword arguments are passed on) and return the "
        ":class:`~matplotlib.figure.Figure`."
    )
    plot.__name__ = "plot"
    return plot
