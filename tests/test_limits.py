"""The size model: estimates, units, and limits that the environment can change."""

from __future__ import annotations

import os

import pytest

from dynsys_gd import _limits as lim
from dynsys_gd.errors import InvalidParameterError


def test_units_of_the_estimates() -> None:
    assert lim.format_bytes(1.6e12) == "1.5 TiB"
    assert lim.format_bytes(8 * 2**30) == "8 GiB"
    assert lim.format_bytes(512) == "512 bytes"
    assert lim.format_seconds(86400) == "1 day"
    assert lim.format_seconds(4e6) == "46 days"
    assert lim.format_seconds(90) == "1.5 minutes"


def test_estimates_follow_the_documented_model() -> None:
    # 1 microsecond per batch step plus 1 nanosecond per parameter of every run
    assert lim.iteration_seconds(1000, 10, 5) == pytest.approx(1000 * (1e-6 + 50e-9))
    assert lim.symbolic_seconds(14) == pytest.approx(2 * lim.symbolic_seconds(12))


def test_limits_can_be_raised_or_lowered_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lim.check_memory("tail", 1, 4 * 2**30)  # 4 GiB fits the default 8 GiB
    monkeypatch.setenv("DYNSYS_GD_MEMORY_LIMIT", "2GiB")
    with pytest.raises(
        InvalidParameterError,
        match=r"tail=1 needs about 4 GiB of memory; the "
        r"limit is 2 GiB",
    ):
        lim.check_memory("tail", 1, 4 * 2**30)
    monkeypatch.setenv("DYNSYS_GD_TIME_LIMIT", "2d")
    lim.check_time("steps", 1, 1.5 * 86400)
    monkeypatch.setenv("DYNSYS_GD_TIME_LIMIT", "ten")
    with pytest.raises(InvalidParameterError, match=r"DYNSYS_GD_TIME_LIMIT must be a number"):
        lim.check_time("steps", 1, 1.0)


_RSS_SCRIPT = """
import os, sys
import numpy as np
import dynsys_gd as dg


def status(key):  # bytes; VmHWM is this process's peak (ru_maxrss would carry the parent's
    with open("/proc/self/status") as f:  # high-water mark across fork and exec)
        line = next(ln for ln in f if ln.startswith(key + ":"))
    return int(line.split()[1]) * 1024


w = int(sys.argv[1])
net = dg.LinearNetwork.from_covariances((w, w), Sxx=np.diag(np.linspace(1, 2, w)), Syx=np.eye(w))
dg.critical_lr(dg.LinearNetwork.from_covariances((2, 2), Sxx=np.diag([1.0, 2]), Syx=np.eye(2)))
base = status("VmRSS")  # everything imported and loaded before the baseline
dg.critical_lr(net)
print(base, status("VmHWM"))
"""


def test_largest_admitted_dense_job_stays_under_its_memory_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """critical_lr on the widest whitened (w, w) network admitted under a 16 MiB limit: the
    peak RSS it adds (VmHWM of a fresh process minus its resident size after imports)
    stays under the limit."""
    if not os.path.exists("/proc/self/status"):
        pytest.skip("needs /proc/self/status (Linux)")
    import subprocess
    import sys

    import numpy as np

    import dynsys_gd as dg

    limit = 16 * 2**20
    monkeypatch.setenv("DYNSYS_GD_MEMORY_LIMIT", str(limit))

    def admitted(w: int) -> bool:  # the check critical_lr makes before any work
        try:
            lim.check_dense("net", None, w * w, what="the dense Hessian")
        except InvalidParameterError:
            return False
        return True

    w = 1
    while admitted(w + 1):
        w += 1
    big = dg.LinearNetwork.from_covariances((w + 1, w + 1), Sxx=np.eye(w + 1), Syx=np.eye(w + 1))
    with pytest.raises(InvalidParameterError, match=r"needs about .* of memory"):
        dg.critical_lr(big)
    env = {**os.environ, "DYNSYS_GD_MEMORY_LIMIT": str(limit)}
    out = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT, str(w)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout.split()
    base, peak = int(out[0]), int(out[1])
    print(f"widths ({w}, {w}): peak RSS added {peak - base} bytes, limit {limit}")
    assert peak - base <= limit, (w, peak - base, limit)
    assert peak - base > limit / 4  # the job really is near the limit (the test can fail)
