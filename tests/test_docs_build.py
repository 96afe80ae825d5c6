"""The documentation's text pages (maths, getting started, API reference) build without warnings.

This is the quick part of the docs build: notebooks are not executed here
(``-D nb_execution_mode=off``). The full build, which executes every notebook and fails when a
figure is missing, is run by ``.ci/run`` (``python -m sphinx -W --keep-going -b html docs
docs/_build/html``). Needs the ``[docs]`` extra; skipped without it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))


@pytest.mark.slow
def test_docs_text_pages_build_without_warnings(tmp_path: Path) -> None:
    """sphinx -W builds the site (notebooks unexecuted); claims anchors and API entries exist."""
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_nb")
    pytest.importorskip("numpydoc")
    out = tmp_path / "html"
    cmd = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "--keep-going",
        "-q",
        "-b",
        "html",
        "-D",
        "nb_execution_mode=off",
        "-d",
        str(tmp_path / "doctrees"),
        str(ROOT / "docs"),
        str(out),
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    claims = (out / "math" / "claims.html").read_text(encoding="utf-8")
    for i in range(1, 10):
        assert f'id="c{i}"' in claims
    api = (out / "api.html").read_text(encoding="utf-8")
    for name in ("critical_lr", "estimate_convergent_fraction", "LinearNetwork", "run_gd"):
        assert f'id="dynsys_gd.{name}"' in api, name
    pages = {p.stem for p in (out / "notebooks").glob("*.html")}
    assert {p.stem for p in (ROOT / "notebooks").glob("[0-9]*.py")} <= pages
    # offline maths: every page loads MathJax from the site itself, nothing from the network
    from _offline import network_loads

    assert (out / "_static" / "mathjax" / "tex-chtml.js").is_file()
    gd_map = (out / "math" / "gd-map.html").read_text(encoding="utf-8")
    assert 'src="../_static/mathjax/tex-chtml.js"' in gd_map
    remote = {str(p.relative_to(out)): network_loads(p) for p in out.rglob("*.html")}
    assert not {k: v for k, v in remote.items() if v}
