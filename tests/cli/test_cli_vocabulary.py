"""One spelling per meaning across the commands; old spellings are deprecated aliases."""

from __future__ import annotations

import argparse
import re

import pytest

from dynsys_gd.cli import build_parser, main


def _commands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _visible(p: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {o: a for a in p._actions if a.help is not argparse.SUPPRESS for o in a.option_strings}


def test_one_spelling_per_meaning() -> None:
    cmds = _commands()
    for name, p in cmds.items():
        opts = _visible(p)
        assert "--figure" not in opts and "--n-init" not in opts, name
        assert "--n-samples" not in opts, name
        if "--figures" in opts:
            assert opts["--figures"].metavar == "DIR", name
        if "--samples" in opts:
            assert opts["--samples"].metavar in ("N", None), name
        if name != "sweep":  # sweep --out is its results file, the only --out
            assert "--out" not in opts, name
    for name in ("analyze", "figures", "nonlinear", "orbits", "sweep"):
        assert "--figures" in _visible(cmds[name]), name


def test_widths_builds_the_same_network_in_derive_and_analyze() -> None:
    from dynsys_gd.cli._options import build_network

    cmds = _commands()
    a = cmds["analyze"].parse_args(["--widths", "2", "3", "2", "--target", "2", "--lr", "0.1"])
    d = cmds["derive"].parse_args(["--widths", "2", "3", "2", "--target", "2"])
    na, nd = build_network(a), build_network(d)
    assert repr(na) == repr(nd)
    assert na.widths == nd.widths == (2, 3, 2)


def test_help_has_no_section_references() -> None:
    for name, p in _commands().items():
        text = p.format_help()
        assert not re.search(r"\(docs/math/[\w.-]+ \d+\)", text), name


@pytest.mark.parametrize(
    ("argv", "new"),
    [
        (["nonlinear", "--n-init", "0"], "--samples"),
        (["nonlinear", "--n-samples", "1"], "--points"),
    ],
)
def test_old_spellings_still_work_with_one_note(argv: list[str], new: str, capsys) -> None:
    """The alias reaches the same validation as the new spelling, after a deprecation line."""
    assert main([*argv, "--steps", "10", "--last-k", "5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "deprecated" in err[0] and new in err[0]
    assert new in err[1]  # the error names the new option


@pytest.mark.parametrize(
    ("flag", "expected"), [("--figures", "figs/bifurcation_xy"), ("--figure", "figs/b")]
)
def test_orbits_figures_dir_and_old_stem(flag, expected, tmp_path, monkeypatch, capsys) -> None:
    """--figures DIR writes DIR/bifurcation_xy; the old --figure STEM still writes STEM, with a
    deprecation note (the diagram itself is stubbed: this checks the paths only)."""
    import dynsys_gd.analysis.bifurcation as bif
    import dynsys_gd.reporting as rep

    saved: list[str] = []
    monkeypatch.setattr(bif, "bifurcation_diagram", lambda *a, **k: None)
    monkeypatch.setattr(rep, "plot_bifurcation", lambda d, **k: k["title"])
    monkeypatch.setattr(rep, "save_figure", lambda fig, stem: saved.append((fig, str(stem))) or [])
    (tmp_path / "figs").mkdir()
    value = str(tmp_path / "figs") if flag == "--figures" else str(tmp_path / "figs" / "b")
    code = main(["orbits", "--xy", "--lr", "1.05", "--samples", "4", flag, value])
    err = capsys.readouterr().err
    assert code == 0, err
    assert saved == [(r"$L(x, y) = \frac{1}{2}(xy - 1)^2$", str(tmp_path / expected))]
    assert ("deprecated" in err) == (flag == "--figure")
