r"""Aligned plain-text tables and small markdown helpers for reports and the command line.

Numbers are formatted the same way everywhere (:func:`format_number`): 4 significant digits by
default, integers without a decimal point, non-finite values as ``inf`` / ``nan``, ``None`` as
``—``.  Fractions with a Clopper–Pearson interval (docs/math/convergent-set.md) are written by
:func:`format_fraction_ci` as ``0.370 [0.331, 0.410]``; with undecided runs the fraction is a
range, written ``0.023-0.977 [0.017, 0.985] (a range: 1954 undecided)``
(:func:`format_estimate_fraction` takes a ``ConvergenceEstimate``).

Examples
--------
>>> print(format_table([["converged", 37], ["diverged", 63]], headers=["outcome", "runs"]))
outcome    runs
---------  ----
converged    37
diverged     63
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from .._validation import check_choice, check_int
from ..errors import InvalidParameterError

__all__ = [
    "counts_table",
    "format_estimate_fraction",
    "format_fraction_ci",
    "format_number",
    "format_table",
    "key_value_block",
    "markdown_code",
    "markdown_table",
]

_DASH = "—"


def format_number(value: Any, *, digits: int = 4) -> str:
    """Format one cell: ints as ints, reals with ``digits`` significant digits.

    ``None`` becomes ``—``, bools ``yes``/``no``, non-finite floats ``inf``/``-inf``/``nan``,
    :class:`~fractions.Fraction` stays exact (``2/3``), other objects use ``str``.
    """
    if value is None:
        return _DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        f = float(value)
        if math.isnan(f):
            return "nan"
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        if f == 0.0:
            return "0"
        return f"{f:.{digits}g}"
    if isinstance(value, complex):
        return f"{format_number(value.real, digits=digits)}{value.imag:+.{digits}g}j"
    return str(value)


def format_fraction_ci(
    fraction: float,
    ci_low: float,
    ci_high: float,
    *,
    digits: int = 3,
    n_undecided: int = 0,
    fraction_high: float | None = None,
) -> str:
    """``0.370 [0.331, 0.410]``: a proportion with its (Clopper–Pearson) interval.

    With ``n_undecided > 0`` the proportion is a range from ``fraction`` to ``fraction_high``
    (required then) and the text says so: ``0.023-0.977 [0.017, 0.985] (a range: 1954
    undecided)``.

    Raises
    ------
    InvalidParameterError
        If ``n_undecided`` is not an int >= 0, or ``fraction_high`` is missing when it is > 0.

    Examples
    --------
    >>> format_fraction_ci(0.37, 0.331, 0.41)
    '0.370 [0.331, 0.410]'
    >>> format_fraction_ci(0.023, 0.017, 0.985, n_undecided=1954, fraction_high=0.977)
    '0.023-0.977 [0.017, 0.985] (a range: 1954 undecided)'
    """
    digits = check_int("digits", digits, minimum=0, maximum=17)
    u = check_int("n_undecided", n_undecided, minimum=0)
    ci = f"[{float(ci_low):.{digits}f}, {float(ci_high):.{digits}f}]"
    if u == 0:
        return f"{float(fraction):.{digits}f} {ci}"
    if fraction_high is None:
        raise InvalidParameterError(
            f"fraction_high must be given when n_undecided > 0; got None (n_undecided = {u})"
        )
    return (
        f"{float(fraction):.{digits}f}-{float(fraction_high):.{digits}f} {ci} "
        f"(a range: {u} undecided)"
    )


def format_estimate_fraction(estimate: Any, *, digits: int = 3) -> str:
    """:func:`format_fraction_ci` of a ``ConvergenceEstimate`` (undecided runs included)."""
    return format_fraction_ci(
        estimate.fraction,
        estimate.ci_low,
        estimate.ci_high,
        digits=digits,
        n_undecided=int(getattr(estimate, "n_undecided", 0)),
        fraction_high=getattr(estimate, "fraction_high", None),
    )


def _cells(
    rows: Iterable[Sequence[Any]], headers: Sequence[str] | None, digits: int
) -> tuple[list[str] | None, list[list[str]], list[bool]]:
    body = [[format_number(v, digits=digits) for v in row] for row in rows]
    head = None if headers is None else [str(h) for h in headers]
    ncol = len(head) if head is not None else (len(body[0]) if body else 0)
    for i, row in enumerate(body):
        if len(row) != ncol:
            raise InvalidParameterError(
                f"rows must all have {ncol} cells (the number of headers); row {i} has {len(row)}"
            )
    # numeric columns are right-aligned
    raw = [list(r) for r in rows] if not isinstance(rows, list) else rows
    numeric = []
    for j in range(ncol):
        col = [r[j] for r in raw] if raw else []
        numeric.append(
            bool(col)
            and all(
                v is None or (isinstance(v, numbers.Number) and not isinstance(v, bool))
                for v in col
            )
        )
    return head, body, numeric


def format_table(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str] | None = None,
    *,
    digits: int = 4,
    indent: int = 0,
) -> str:
    """An aligned plain-text table (numbers right-aligned, text left-aligned).

    Parameters
    ----------
    rows
        Sequence of rows; every row has as many cells as ``headers``.
    headers
        Column titles (optional); a dashed rule separates them from the body.
    digits
        Significant digits of real numbers (:func:`format_number`).
    indent
        Spaces in front of every line.
    """
    digits = check_int("digits", digits, minimum=1, maximum=17)
    indent = check_int("indent", indent, minimum=0)
    rows = [list(r) for r in rows]
    head, body, numeric = _cells(rows, headers, digits)
    ncol = len(numeric)
    widths = [
        max([len(r[j]) for r in body] + ([len(head[j])] if head else [0])) for j in range(ncol)
    ]

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(cells, widths, numeric, strict=True)
        ]
        return (" " * indent + "  ".join(parts)).rstrip()

    out = []
    if head is not None:
        out.append(line(head))
        out.append(" " * indent + "  ".join("-" * w for w in widths))
    out.extend(line(r) for r in body)
    return "\n".join(out)


def markdown_table(
    rows: Sequence[Sequence[Any]], headers: Sequence[str], *, digits: int = 4
) -> str:
    """A GitHub-flavoured markdown table (numeric columns right-aligned)."""
    digits = check_int("digits", digits, minimum=1, maximum=17)
    rows = [list(r) for r in rows]
    head, body, numeric = _cells(rows, headers, digits)
    assert head is not None

    def esc(c: str) -> str:
        return c.replace("|", r"\|")

    out = [
        "| " + " | ".join(esc(h) for h in head) + " |",
        "|" + "|".join("---:" if num else ":---" for num in numeric) + "|",
    ]
    out.extend("| " + " | ".join(esc(c) for c in r) + " |" for r in body)
    return "\n".join(out)


def key_value_block(
    items: Mapping[str, Any] | Sequence[tuple[str, Any]], *, digits: int = 4, indent: int = 0
) -> str:
    """``key : value`` lines with the colons aligned."""
    pairs = list(items.items()) if isinstance(items, Mapping) else list(items)
    if not pairs:
        return ""
    w = max(len(str(k)) for k, _ in pairs)
    return "\n".join(
        f"{' ' * indent}{str(k).ljust(w)} : {format_number(v, digits=digits)}" for k, v in pairs
    )


def counts_table(
    counts: Mapping[str, int], *, n_samples: int | None = None, style: str = "text"
) -> str:
    """Table of outcome counts with their share of all runs (outcomes in canonical order).

    Parameters
    ----------
    counts
        Outcome key -> number of runs (e.g. ``ConvergenceEstimate.counts``).
    n_samples
        Total number of runs (default: the sum of ``counts``).
    style
        ``"text"`` (aligned) or ``"markdown"``.
    """
    from ..numeric.engine.outcomes import OUTCOME_NAMES

    style = check_choice("style", style, ("text", "markdown"))
    total = sum(int(v) for v in counts.values()) if n_samples is None else int(n_samples)
    order = [k for k in OUTCOME_NAMES if k in counts] + [
        k for k in counts if k not in OUTCOME_NAMES
    ]
    rows = [[k, int(counts[k]), (int(counts[k]) / total) if total else None] for k in order]
    headers = ["outcome", "runs", "share"]
    return markdown_table(rows, headers) if style == "markdown" else format_table(rows, headers)


def markdown_code(text: str, lang: str = "text") -> str:
    """Wrap ``text`` in a fenced markdown code block."""
    return f"```{lang}\n{text.rstrip()}\n```"
