"""Execute every notebook of ``notebooks/`` (jupytext percent scripts) and check its figures.

Each ``notebooks/NN_*.py`` is converted with jupytext and executed with nbclient on the
``python3`` kernel with ``DYNSYS_GD_FAST=1`` (every notebook picks its small settings) and the
kernel's inline matplotlib backend. A notebook passes when no cell raises, every cell ran, every
*figure cell* (a cell that draws: see ``notebooks/_checks.py``) has an image output and no figure
is shown as text only. The proof notebook 06 runs in its clearly named quick mode (the checks of
``dynsys-gd prove --quick``) and must end with its verdict line: every claim passed, or no check
failed and every check that did not pass is listed as "not certified" (its method could not
decide; that is neither a failure nor a skipped check).

When ``DYNSYS_GD_EXECUTED_NOTEBOOKS`` names a directory, the executed notebooks are written
there (with the SHA-256 of their source in the metadata), so the documentation build can use
them instead of executing the notebooks again (``.ci/run`` does this).
"""

from __future__ import annotations

import copy
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9]*.py"))

sys.path.insert(0, str(NOTEBOOK_DIR))
from _checks import figure_cells, figure_problems, source_sha256  # noqa: E402

#: Per-cell timeout (seconds); fast mode keeps whole notebooks well below this on 2 cores.
CELL_TIMEOUT = int(os.environ.get("DYNSYS_GD_NOTEBOOK_TIMEOUT", "240"))
#: How notebook 06's last line starts in quick mode: every check passed, or none failed and the
#: ones that did not pass are listed (each must be "not certified", never failed or skipped).
PROOF_QUICK_OK = "QUICK MODE: every claim C1-C10 passed"
PROOF_QUICK_NOT_ALL = "QUICK MODE: no check failed;"


def _execute(path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    # The kernel inherits this process's environment.  MPLBACKEND is removed so the kernel uses
    # its inline backend, as in JupyterLab.
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
    nb.metadata.pop("jupytext", None)
    nb.metadata.setdefault("dynsys_gd", {})["source_sha256"] = source_sha256(path)
    out_dir = os.environ.get("DYNSYS_GD_EXECUTED_NOTEBOOKS")
    if out_dir:
        import nbformat

        Path(out_dir).mkdir(parents=True, exist_ok=True)
        tmp = Path(out_dir) / (path.stem + ".ipynb.part")
        nbformat.write(nb, tmp)
        tmp.replace(tmp.with_suffix(""))
    return nb


def _last_text(nb: Any) -> str:
    """Text of the last non-empty stream or text output of the notebook."""
    for cell in reversed(nb.cells):
        for o in reversed(cell.get("outputs", [])):
            text = o.get("text") or o.get("data", {}).get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else text
            if text.strip():
                return text.strip()
    return ""


def test_notebooks_are_discovered() -> None:
    """The harness finds the notebook scripts (guards against a silently empty parametrisation)."""
    assert NOTEBOOK_DIR.is_dir()
    assert len(NOTEBOOKS) >= 8, f"expected >= 8 notebooks in {NOTEBOOK_DIR}, got {NOTEBOOKS}"


def test_notebooks_are_percent_scripts() -> None:
    """Every notebook is a jupytext percent script with markdown cells and at least one figure
    cell (except the proof notebook, whose output is its report)."""
    jupytext = pytest.importorskip("jupytext")
    for path in NOTEBOOKS:
        text = path.read_text(encoding="utf-8")
        assert "# %%" in text, f"{path.name} has no '# %%' cells"
        nb = jupytext.reads(text, fmt="py:percent")
        kinds = {c.cell_type for c in nb.cells}
        assert {"code", "markdown"} <= kinds, f"{path.name} has cell types {kinds}"
        assert "apply_style(" not in text, (
            f"{path.name} calls apply_style(): figures must display without a hidden style call"
        )
        if not path.name.startswith("06_"):
            assert figure_cells(nb.cells), f"{path.name} has no figure cell"


def _cell(source: str, outputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "source": source,
        "outputs": outputs,
        "metadata": {},
        "execution_count": 1,
    }


PNG = {
    "output_type": "display_data",
    "data": {"image/png": "iVBOR", "text/plain": "<Figure size 640x400 with 1 Axes>"},
}
TEXT_FIG = {
    "output_type": "execute_result",
    "data": {"text/plain": "<Figure size 640x400 with 1 Axes>"},
}


def test_figure_check_fails_without_an_image() -> None:
    """The figure check flags a drawing cell without an image and a figure shown as text, and
    accepts a cell with an image (so the notebook test below can fail)."""
    good = [_cell("F.plot_convergent_fraction(sweep)", [PNG])]
    assert figure_problems(good) == []
    no_image = [_cell("fig = F.plot_convergent_fraction(sweep)", [])]
    assert "no image output" in figure_problems(no_image)[0]
    as_text = [_cell("make_it()", [TEXT_FIG])]
    problems = figure_problems(as_text)
    assert any("as text" in p for p in problems) and any("no image" in p for p in problems)
    commented = [_cell("# plot_x(...) is not called here\nx = 1", [])]
    assert figure_problems(commented) == []


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes_with_figures(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run all cells of one notebook (fast mode): no cell raises, every cell ran, every figure
    cell has an image; notebook 06 ends with its quick-mode verdict (no check failed)."""
    nb = _execute(path, monkeypatch)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert code
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == [], f"{path.name}: cell errors {errors}"
    executed = [c for c in code if c.get("execution_count")]
    assert len(executed) == len(code), f"{path.name}: only {len(executed)}/{len(code)} cells ran"
    problems = figure_problems(copy.deepcopy(nb.cells))
    assert problems == [], f"{path.name}: " + "; ".join(problems)
    if path.name.startswith("06_"):
        lines = _last_text(nb).splitlines()
        assert lines[-1].startswith((PROOF_QUICK_OK, PROOF_QUICK_NOT_ALL)), (
            f"{path.name} does not end with a quick-mode verdict; last lines: {lines[-5:]!r}"
        )
        if lines[-1].startswith(PROOF_QUICK_NOT_ALL):
            listed = [line for line in lines[:-1] if re.match(r"C\d: ", line)]
            assert listed, f"{path.name}: checks that did not pass are not listed"
            bad = [line for line in listed if ": not certified: " not in line]
            assert bad == [], f"{path.name}: checks neither passed nor not certified: {bad}"
