"""The benchmark scripts keep running (small sizes; no timing is asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("script", "args", "expect"),
    [
        ("bench_derivation.py", ["--quick"], "widths (3, 3, 3)"),
        ("bench_engine.py", ["--quick"], "engine outcomes"),
        ("bench_scaling.py", ["--quick", "--no-dask"], "processes x2"),
        ("bench_critical_lr.py", ["--quick"], "critical_lr, general Sxx"),
        ("bench_threads.py", ["--quick"], "same result True"),
        ("tanh_accuracy.py", ["--quick"], "engine tanh (dynsys_gd)"),
    ],
)
def test_benchmark_script_runs(script, args, expect):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert expect in out.stdout
