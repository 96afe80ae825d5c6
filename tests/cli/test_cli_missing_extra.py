"""Install hints name the real distribution and work from a clone and from a wheel; the digits
need no extra."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dynsys_gd import errors
from dynsys_gd.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_nonlinear_without_scikit_learn_runs(monkeypatch, capsys):
    """The digits ship with the package: the command does not need scikit-learn."""
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    code = main(
        [
            "nonlinear",
            "--lrs",
            "0.1",
            "0.2",
            "--samples",
            "1",
            "--steps",
            "20",
            "--last-k",
            "5",
            "--widths",
            "8",
            "4",
            "1",
            "--json",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert '"digits"' in out or "digits" in out


def test_hint_from_a_clone_in_its_root(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert errors.install_hint("data") == 'pip install -e ".[data]"'


def test_hint_from_a_clone_elsewhere_names_the_clone(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert errors.install_hint("distributed") == f'pip install -e "{ROOT}[distributed]"'


def test_hint_from_a_wheel_names_the_distribution(monkeypatch):
    import tomllib

    name = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]
    assert errors.DISTRIBUTION == name
    monkeypatch.setattr(errors, "_clone_root", lambda: None)
    assert errors.install_hint("distributed") == f'pip install "{name}[distributed]"'


def test_pandas_is_a_core_dependency():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert any(d.startswith("pandas") for d in project["dependencies"])
    pytest.importorskip("pandas")
