"""A missing optional dependency is one line of error from the command, not a traceback."""

from __future__ import annotations

import sys

from dynsys_gd.cli import main


def test_nonlinear_without_scikit_learn_is_one_line(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes the import fail
    assert main(["nonlinear", "--data", "digits"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "needs scikit-learn" in err[0] and "dynsys_gd[data]" in err[0]
