"""Execute every notebook of ``notebooks/`` (jupytext percent scripts) in a fresh kernel.

Each ``notebooks/*.py`` — also the ones added later (07_*, 08_*, ...) — is converted with
jupytext and executed with nbclient on the ``python3`` kernel, with ``DYNSYS_GD_FAST=1`` in the
kernel's environment so every notebook picks its small settings.  Any cell error fails the test
(``nbclient`` raises ``CellExecutionError`` with the failing cell and traceback).  The kernel
uses the inline matplotlib backend, so every figure a notebook shows is really rendered.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(p for p in NOTEBOOK_DIR.glob("*.py") if not p.name.startswith("_"))

#: Per-cell timeout (seconds); fast mode keeps whole notebooks well below this on 2 cores.
CELL_TIMEOUT = int(os.environ.get("DYNSYS_GD_NOTEBOOK_TIMEOUT", "240"))


def test_notebooks_are_discovered() -> None:
    """The harness finds the notebook scripts (guards against a silently empty parametrisation)."""
    assert NOTEBOOK_DIR.is_dir()
    assert len(NOTEBOOKS) >= 1, f"no notebooks found in {NOTEBOOK_DIR}"


def test_notebooks_are_percent_scripts() -> None:
    """Every notebook is a jupytext percent script with at least one markdown cell."""
    jupytext = pytest.importorskip("jupytext")
    for path in NOTEBOOKS:
        text = path.read_text(encoding="utf-8")
        assert "# %%" in text, f"{path.name} has no '# %%' cells"
        nb = jupytext.reads(text, fmt="py:percent")
        kinds = {c.cell_type for c in nb.cells}
        assert {"code", "markdown"} <= kinds, f"{path.name} has cell types {kinds}"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run all cells of one notebook in a python3 kernel (fast mode); no cell may raise."""
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")

    # The kernel inherits this process's environment.  MPLBACKEND is removed so the kernel uses
    # its inline backend: figures are rendered to PNG outputs (mathtext or layout errors fail).
    monkeypatch.setenv("DYNSYS_GD_FAST", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    nb = jupytext.read(path, fmt="py:percent")
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    client.execute()
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    n_code = len(code)
    assert n_code > 0
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == [], f"{path.name}: cell errors {errors}"
    executed = [c for c in code if c.get("execution_count")]
    assert len(executed) == n_code, f"{path.name}: only {len(executed)}/{n_code} cells ran"
