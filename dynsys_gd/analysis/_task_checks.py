r"""Checks that tie stored Monte-Carlo task results to what produced them (resumable sweeps).

* :func:`sampler_identity`: the text that identifies an initialisation distribution in a
  store's configuration.  The built-in ``"uniform"`` / ``"gaussian"`` are identified by name and
  scale; a callable sampler must carry a stable ``fingerprint`` or ``name`` attribute (its
  ``__qualname__`` is not enough: two different lambdas share ``"<lambda>"``, and a store would
  hand sampler A's counts back for sampler B).
* :func:`check_task_result`: the shape of one stored task result (the ``validate=`` hook of
  :class:`~dynsys_gd.runtime.store.ResultsStore`), so a resumed sweep never merges a result
  whose fields do not match its key.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import InvalidParameterError

__all__ = ["check_task_result", "sampler_identity"]

_PER_RUN = ("outcome", "steps", "period", "g_tail", "sharpness", "at_minimum", "certified")
_KEY = re.compile(r".*\|block=(\d+)\|(\d+)-(\d+)$")


def sampler_identity(init: Any, scale: float) -> str:
    """Stable identity of an initialisation for a results store's configuration.

    Raises
    ------
    InvalidParameterError
        ``init`` is a callable without a non-empty str ``fingerprint`` or ``name`` attribute.
    """
    if isinstance(init, str):
        return f"{init}(scale={scale!r})"
    for attr in ("fingerprint", "name"):
        value = getattr(init, attr, None)
        if callable(value) and attr == "fingerprint":
            value = value()
        if isinstance(value, str) and value.strip():
            return f"callable {attr}={value.strip()!r}"
    label = getattr(init, "__qualname__", type(init).__name__)
    raise InvalidParameterError(
        f"init must be identifiable to be used with store=: a callable sampler needs a str "
        f"attribute `name` (or `fingerprint`) that changes whenever its distribution changes, "
        f'e.g. `sampler.name = "uniform[-1, 1]"` before the call (its qualname {label!r} is '
        f"shared by other samplers); got {init!r}"
    )


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    if isinstance(v, str):
        return v in ("inf", "-inf", "nan")
    return isinstance(v, int | float) and not isinstance(v, bool)


def check_task_result(key: str, result: dict[str, Any]) -> None:
    """Check a stored Monte-Carlo task result against its key ``...|block=B|A-Z``.

    Raises ``ValueError`` / ``TypeError`` / ``KeyError`` describing the first mismatch.
    """
    from ..numeric.engine.outcomes import Outcome

    m = _KEY.match(key)
    if m is None:
        raise ValueError(f"key {key!r} is not of the form '...|block=B|A-Z'")
    block, start, stop = (int(g) for g in m.groups())
    for name, want in (("block", block), ("start", start), ("stop", stop)):
        got = result[name]
        if not _is_int(got) or got != want:
            raise ValueError(f"field {name!r} is {got!r}, the key says {want}")
    n = stop - start
    if n <= 0:
        raise ValueError(f"empty range {start}-{stop}")
    codes = {o.code for o in Outcome}
    for name in _PER_RUN:
        vals = result[name]
        if not isinstance(vals, list) or len(vals) != n:
            got = len(vals) if isinstance(vals, list) else type(vals).__name__
            raise ValueError(f"field {name!r} must be a list of {n} values; got {got}")
        if name == "outcome":
            if not all(_is_int(v) and v in codes for v in vals):
                raise ValueError(
                    f"field 'outcome' holds a value that is not an outcome code {sorted(codes)}"
                )
        elif name in ("steps", "period"):
            if not all(_is_int(v) and v >= 0 for v in vals):
                raise ValueError(f"field {name!r} must hold non-negative ints")
        elif name in ("at_minimum", "certified"):
            if not all(isinstance(v, bool) for v in vals):
                raise ValueError(f"field {name!r} must hold bools")
        elif not all(_is_num(v) for v in vals):
            raise ValueError(f"field {name!r} must hold numbers")
