"""Sphinx configuration of the dynsys_gd documentation.

Build (offline; warnings are errors)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Sphinx with myst-nb and numpydoc: the pages are MyST markdown, the API reference comes from the
numpydoc docstrings of the public names listed in ``dynsys_gd/__init__.pyi``, and the notebooks
(jupytext percent scripts in ``notebooks/``) are converted and executed at build time in fast
mode (``DYNSYS_GD_FAST=1``), so every figure on the site is the output of this build.

If ``DYNSYS_GD_EXECUTED_NOTEBOOKS`` names a directory of notebooks already executed from the
same sources (``tests/test_notebooks.py`` writes them there when the variable is set, as
``.ci/run`` does), those are used instead of executing the notebooks a second time. A notebook
is only reused when the SHA-256 of its source, recorded in its metadata, matches.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

# Notebook kernels inherit this environment: fast mode, and matplotlib's inline backend.
os.environ.setdefault("DYNSYS_GD_FAST", "1")
os.environ.pop("MPLBACKEND", None)
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
# No progress bars in the built notebooks: a bar drawn while the site is built is stale when read.
os.environ["DYNSYS_GD_PROGRESS"] = "0"

import dynsys_gd  # noqa: E402

sys.path.insert(0, str(ROOT / "notebooks"))
from _checks import figure_cells, figure_problems, image_count, source_sha256  # noqa: E402

project = "dynsys_gd"
author = "dynsys_gd developers"
copyright = "2026, dynsys_gd developers"
release = version = dynsys_gd.__version__ if hasattr(dynsys_gd, "__version__") else "0.1.0"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
]

# -- maths, offline ------------------------------------------------------------------------------
# MathJax 3 (Apache-2.0) is copied into the built site from the ``sphinx-mathjax-offline`` package
# of the [docs] extra, and every page loads it from ``_static/mathjax/``: the equations render
# with the network off.  ``_check_offline_pages`` fails the build if any page loads a script (or
# a stylesheet) from the network.
MATHJAX_DIR = "mathjax"
mathjax_path = f"{MATHJAX_DIR}/tex-chtml.js"


# -- sources -------------------------------------------------------------------------------------
exclude_patterns = ["_build", "jupyter_execute", "**.ipynb_checkpoints", "figures"]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
suppress_warnings: list[str] = []

# -- notebooks (myst-nb) -------------------------------------------------------------------------
nb_execution_mode = "force"
nb_execution_timeout = int(os.environ.get("DYNSYS_GD_NOTEBOOK_TIMEOUT", "600"))
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
nb_execution_excludepatterns: list[str] = []

# -- API (autodoc + numpydoc) --------------------------------------------------------------------
autodoc_default_options = {"members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

# -- output --------------------------------------------------------------------------------------
html_theme = "alabaster"
html_title = "dynsys_gd"
html_theme_options = {
    "description": "Gradient descent as a discrete dynamical system",
    "fixed_sidebar": True,
}
# No intersphinx: the build never downloads anything.


# -- generated pages -----------------------------------------------------------------------------
NOTEBOOK_SRC = ROOT / "notebooks"
NOTEBOOK_OUT = DOCS / "notebooks"
STUB = ROOT / "dynsys_gd" / "__init__.pyi"


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _stage_notebooks() -> None:
    """Convert ``notebooks/NN_*.py`` to ``docs/notebooks/NN_*.ipynb`` (reusing executed ones)."""
    import jupytext
    import nbformat

    NOTEBOOK_OUT.mkdir(exist_ok=True)
    executed_dir = os.environ.get("DYNSYS_GD_EXECUTED_NOTEBOOKS")
    names = []
    for src in sorted(NOTEBOOK_SRC.glob("[0-9]*.py")):
        digest = source_sha256(src)
        nb = None
        if executed_dir:
            cand = Path(executed_dir) / (src.stem + ".ipynb")
            if cand.is_file():
                done = nbformat.read(cand, as_version=4)
                if done.metadata.get("dynsys_gd", {}).get("source_sha256") == digest:
                    nb = done
                    nb_execution_excludepatterns.append(f"*notebooks/{src.stem}.ipynb")
        if nb is None:
            nb = jupytext.read(src, fmt="py:percent")
            nb.metadata.setdefault("dynsys_gd", {})["source_sha256"] = digest
        nb.metadata.pop("jupytext", None)
        _write_if_changed(NOTEBOOK_OUT / (src.stem + ".ipynb"), nbformat.writes(nb) + "\n")
        names.append(src.stem)
    for old in NOTEBOOK_OUT.glob("*.ipynb"):
        if old.stem not in names:
            old.unlink()


_NAME = re.compile(r"^from \.([\w.]*) import (\w+) as \2$")

#: API sections, one per floor of the package, in the order of the layers.
SECTIONS = {
    "errors": "Errors",
    "models": "Models: what is studied",
    "runtime": "Running many tasks: executors, results store, progress",
    "symbolic": "Symbolic derivations",
    "numeric": "Numerics: sharpness, fixed points, GD runs, orbits",
    "analysis": "Analyses: stability, the convergent set, sweeps, basins, beyond the paper",
    "claims": "Claims C1-C9",
    "reporting": "Figures and reports",
}


def public_groups() -> list[tuple[str, list[str]]]:
    """The public names of ``dynsys_gd/__init__.pyi``, grouped by the floor that defines them."""
    groups: dict[str, list[str]] = {key: [] for key in SECTIONS}
    for line in STUB.read_text(encoding="utf-8").splitlines():
        if m := _NAME.match(line.strip()):
            floor = m.group(1).split(".")[0]
            groups.setdefault(floor, []).append(m.group(2))
    return [(SECTIONS.get(key, key), names) for key, names in groups.items() if names]


def _directive(name: str) -> str:
    import inspect

    obj: Any = getattr(dynsys_gd, name)
    if inspect.isclass(obj):
        return "autoclass"
    if callable(obj):
        return "autofunction"
    return "autodata"


def _write_api_page() -> None:
    lines = [
        "# API reference",
        "",
        "The public names of `dynsys_gd` (`import dynsys_gd as dg`), as listed in the package's",
        "stub `dynsys_gd/__init__.pyi`, grouped by the layer that defines them. Generated from",
        "the docstrings.",
        "",
    ]
    for title, names in public_groups():
        lines += [f"## {title}", "", "```{eval-rst}"]
        for name in names:
            lines += [f".. {_directive(name)}:: dynsys_gd.{name}", ""]
        lines += ["```", ""]
    _write_if_changed(DOCS / "api.md", "\n".join(lines))


_stage_notebooks()
_write_api_page()


# -- checks at the end of the build --------------------------------------------------------------
#: Output that must not reach a built page: a progress bar (stale when read, a widget that stays
#: at 0 %) or a path of the machine that built the site.
_STALE = re.compile(
    r"\d+/\d+ \[[\d:<?]+|it/s\]|application/vnd\.jupyter\.widget|site-packages/|/\.venv/"
)


def _stale_outputs(cells: list[Any]) -> list[str]:
    """Progress bars, widgets and machine paths in the outputs of executed cells."""
    found = []
    for i, cell in enumerate(cells):
        for out in cell.get("outputs", []):
            text = out.get("text", "") + " ".join(map(str, out.get("data", {}).keys()))
            text += " ".join(str(v) for v in out.get("data", {}).values() if isinstance(v, str))
            if m := _STALE.search(text):
                found.append(f"cell {i}: stale output {m.group(0)!r}")
    return found


def _check_notebook_images(app: Any, exc: Exception | None) -> None:
    """Fail the build unless every figure cell of every notebook has an image output and its
    page has an ``<img`` for each image output."""
    if exc is not None or app.builder.format != "html" or app.config.nb_execution_mode == "off":
        return  # nothing executed (``-D nb_execution_mode=off``): a build of the text pages only
    import nbformat
    from sphinx.errors import ExtensionError

    problems = []
    for staged in sorted(NOTEBOOK_OUT.glob("*.ipynb")):
        page = Path(app.outdir) / "notebooks" / (staged.stem + ".html")
        executed = Path(app.outdir).parent / "jupyter_execute" / "notebooks" / staged.name
        nb = nbformat.read(executed if executed.is_file() else staged, as_version=4)
        problems += [f"{staged.stem}: {p}" for p in figure_problems(nb.cells)]
        problems += [f"{staged.stem}: {p}" for p in _stale_outputs(nb.cells)]
        n_images = image_count(nb.cells)
        n_img = page.read_text(encoding="utf-8").count("<img") if page.is_file() else 0
        if n_img < n_images or (n_images == 0 and figure_cells(nb.cells)):
            problems.append(f"{page.name}: {n_img} <img for {n_images} image outputs")
    if problems:
        raise ExtensionError("notebook figures missing:\n" + "\n".join(problems))


def _copy_mathjax(app: Any, exc: Exception | None) -> None:
    """Copy the MathJax of the ``sphinx-mathjax-offline`` package into ``_static/mathjax``."""
    if exc is not None or app.builder.format != "html":
        return
    import importlib.util

    from sphinx.util.fileutil import copy_asset

    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or spec.origin is None:
        from sphinx.errors import ExtensionError

        raise ExtensionError(
            "the maths needs MathJax from the sphinx-mathjax-offline package (the [docs] extra)"
        )
    src = Path(spec.origin).parent / "static" / "mathjax"
    copy_asset(str(src), str(Path(app.outdir) / "_static" / MATHJAX_DIR))


def _check_offline_pages(app: Any, exc: Exception | None) -> None:
    """Fail the build if a page loads a script or stylesheet from the network, or if a maths
    page's MathJax is missing from the built site."""
    if exc is not None or app.builder.format != "html":
        return
    from sphinx.errors import ExtensionError

    sys.path.insert(0, str(DOCS))
    from _offline import network_loads

    out = Path(app.outdir)
    problems = []
    for page in sorted(out.rglob("*.html")):
        problems += [f"{page.relative_to(out)}: {u}" for u in network_loads(page)]
    if not (out / "_static" / mathjax_path).is_file():
        problems.append(f"_static/{mathjax_path} missing")
    if problems:
        raise ExtensionError("pages that need the network:\n" + "\n".join(problems[:20]))


def setup(app: Any) -> None:
    app.connect("build-finished", _check_notebook_images)
    app.connect("build-finished", _copy_mathjax)
    app.connect("build-finished", _check_offline_pages)
