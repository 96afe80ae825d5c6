"""Checks on executed notebooks, shared by ``tests/test_notebooks.py`` and ``docs/conf.py``.

A *figure cell* is a code cell that makes a figure: its source calls a drawing function
(``plot_...(``, ``.plot(``, ``new_figure(``, ``pyplot``), or one of its outputs is a matplotlib
figure (a ``text/plain`` value starting with ``<Figure size``). Every figure cell must have an
``image/png`` output, and no figure may appear as text only: that is what a user sees when the
figure does not render.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["FIGURE_CALL", "figure_cells", "figure_problems", "image_count", "source_sha256"]

#: Source patterns of a cell that draws a figure.
FIGURE_CALL = re.compile(r"\bplot_\w*\(|\.plot\(|\bnew_figure\(|\bplt\.|\bpyplot\b")

_FIGURE_REPR = re.compile(r"^<(?:matplotlib\.figure\.)?Figure size ")


def source_sha256(path: Path) -> str:
    """SHA-256 of a notebook's source file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _is_figure_text(output: Mapping[str, Any]) -> bool:
    return bool(_FIGURE_REPR.match(_text(output.get("data", {}).get("text/plain", ""))))


def _has_image(cell: Mapping[str, Any]) -> bool:
    return any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))


def figure_cells(cells: Sequence[Mapping[str, Any]]) -> list[int]:
    """Indices of the figure cells among ``cells`` (notebook cells as dicts)."""
    out = []
    for i, c in enumerate(cells):
        if c.get("cell_type") != "code":
            continue
        code = "\n".join(
            line
            for line in _text(c.get("source", "")).splitlines()
            if not line.lstrip().startswith("#")
        )
        if FIGURE_CALL.search(code) or any(_is_figure_text(o) for o in c.get("outputs", [])):
            out.append(i)
    return out


def image_count(cells: Sequence[Mapping[str, Any]]) -> int:
    """Number of ``image/png`` outputs."""
    return sum(1 for c in cells for o in c.get("outputs", []) if "image/png" in o.get("data", {}))


def figure_problems(cells: Sequence[Mapping[str, Any]]) -> list[str]:
    """Figure cells without an image, and figures shown as text only (empty when all is well)."""
    problems = []
    for i in figure_cells(cells):
        c = cells[i]
        first = _text(c.get("source", "")).strip().splitlines()[-1][:60]
        if not _has_image(c):
            problems.append(f"cell {i} ({first!r}) makes a figure but has no image output")
        for o in c.get("outputs", []):
            if _is_figure_text(o) and "image/png" not in o.get("data", {}):
                problems.append(
                    f"cell {i} ({first!r}) shows a figure as text: "
                    f"{_text(o['data']['text/plain'])[:40]!r}"
                )
    return problems
