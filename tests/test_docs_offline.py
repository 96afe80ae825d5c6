"""Built documentation pages load nothing from the network (the maths renders offline).

The checker is the one the docs build runs at its end (``docs/_offline.py``); here it is tested
on pages written for the purpose, and on the built site when one exists in ``docs/_build``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))

from _offline import network_loads  # noqa: E402


def test_remote_scripts_and_stylesheets_are_found() -> None:
    page = """<html><head>
    <script src="https://cdn.jsdelivr.net/npm/mathjax@4/tex-mml-chtml.js"></script>
    <script defer src="//unpkg.com/x.js"></script>
    <link rel="stylesheet" href="http://example.org/a.css">
    </head><body><img src="https://example.org/i.png"></body></html>"""
    assert len(network_loads(page)) == 4


def test_local_loads_and_plain_links_pass() -> None:
    page = """<html><head>
    <script defer="defer" src="../_static/mathjax/tex-chtml.js"></script>
    <script>window.MathJax = {}</script>
    <link rel="stylesheet" href="_static/alabaster.css">
    </head><body><a href="https://arxiv.org/abs/2402.13108">paper</a>
    <img src="data:image/png;base64,AAAA"></body></html>"""
    assert network_loads(page) == []


def test_built_site_is_offline() -> None:
    out = ROOT / "docs" / "_build" / "html"
    pages = sorted(out.rglob("*.html")) if out.is_dir() else []
    if not pages:
        pytest.skip("no built site in docs/_build/html")
    remote = {str(p.relative_to(out)): network_loads(p) for p in pages}
    assert not {k: v for k, v in remote.items() if v}
    assert (out / "_static" / "mathjax" / "tex-chtml.js").is_file()
