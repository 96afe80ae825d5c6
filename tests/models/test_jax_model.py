"""dg.JaxModel: a clear error without JAX; with JAX, the checks of ``jax_checks.py`` (derivatives
against the sympy loss, fingerprints, the analyses and a store) in a separate pytest process, so
that no later fork in this process shares it with JAX's threads."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import dynsys_gd as dg
from dynsys_gd.errors import MissingDependencyError

HERE = Path(__file__).parent


def test_missing_jax_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jax", None)  # import jax raises ImportError
    with pytest.raises(MissingDependencyError, match=r"\[jax\]"):
        dg.JaxModel(lambda t: t[0] ** 2, 1)


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX (extra [jax]) absent")
def test_jax_model_checks(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider"]
    cmd += ["--rootdir", str(HERE.parents[1]), str(HERE / "jax_checks.py")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "4 passed" in proc.stdout, proc.stdout[-2000:]
