"""The Examples sections of the public docstrings run and print what they show.

Every public name of ``dynsys_gd`` (listed in ``dynsys_gd/__init__.pyi``) whose docstring holds
``>>>`` examples is run as a doctest, as are the modules of the plotting style. The main entry
points must document their examples and the exceptions they raise (numpydoc ``Examples`` and
``Raises`` sections), since that is what the API reference shows first.
"""

from __future__ import annotations

import doctest
import inspect
import re
from pathlib import Path

import pytest

import dynsys_gd as dg

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = re.findall(r"import (\w+) as \1\b", (ROOT / "dynsys_gd" / "__init__.pyi").read_text())

#: Entry points whose docstrings must have numpydoc Examples and Raises sections.
MAIN_ENTRY_POINTS = [
    "critical_lr",
    "min_sharpness",
    "stability_analysis",
    "estimate_convergent_fraction",
    "lr_sweep",
    "run_gd",
    "LinearNetwork",
    "derive",
]

#: Modules whose docstrings (module and members) are run as doctests too.
MODULES = ["dynsys_gd.reporting.style"]

OPTIONS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _run(obj: object, name: str) -> doctest.TestResults:
    """Run the examples of ``obj`` in the namespace of the module that defines it."""
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    module = inspect.getmodule(obj)
    globs = {**(vars(module) if module else {}), "dg": dg}
    for test in finder.find(obj, name, globs=globs):
        runner.run(test)
    return runner.summarize(verbose=False)


#: Public names whose docstrings hold examples.
WITH_EXAMPLES = [n for n in PUBLIC if ">>>" in (inspect.getdoc(getattr(dg, n)) or "")]


def test_public_names_are_found() -> None:
    """The stub lists the main entry points (guards against an empty parametrisation)."""
    assert set(MAIN_ENTRY_POINTS) <= set(PUBLIC)


@pytest.mark.parametrize("name", MAIN_ENTRY_POINTS)
def test_main_entry_point_documents_examples_and_raises(name: str) -> None:
    """numpydoc sections ``Examples`` (with a ``>>>`` line) and ``Raises`` are present."""
    doc = inspect.getdoc(getattr(dg, name)) or ""
    assert re.search(r"^Examples\n-{8}", doc, re.M), f"{name}: no Examples section"
    assert ">>>" in doc, f"{name}: the Examples section has no >>> line"
    assert re.search(r"^Raises\n-{6}", doc, re.M), f"{name}: no Raises section"


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_public_docstring_examples_run(name: str) -> None:
    """Every ``>>>`` example in a public docstring gives the output it shows."""
    result = _run(getattr(dg, name), f"dynsys_gd.{name}")
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"


@pytest.mark.parametrize("module", MODULES)
def test_module_doctests(module: str) -> None:
    """Doctests of whole modules (module docstring and its functions)."""
    import importlib

    mod = importlib.import_module(module)
    result = doctest.testmod(mod, optionflags=OPTIONS)
    assert result.attempted > 0
    assert result.failed == 0
