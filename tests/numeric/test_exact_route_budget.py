"""The exact route of critical_points runs under a CPU-time budget, not wall time, and a
timed-out exact route is named."""

import sympy as sp

from dynsys_gd.models import LossModel
from dynsys_gd.numeric.landscape.critical_points import _exact_candidates


def test_cpu_budget_names_the_timed_out_exact_route():
    x, y, z, w = sp.symbols("x y z w")
    loss = (
        (x * y * z * w - 1) ** 2
        + (x**3 * y - z + w) ** 2
        + (y**2 * z - x * w) ** 2
        + (x**2 + y**2 + z**2 + w**2) / 7
    )
    status, roots = _exact_candidates(LossModel(loss, (x, y, z, w)), 0.2)
    assert status == "CPU budget of 0.2 s reached (exact route timed out)"
    assert roots == []


def test_small_system_finishes_within_the_budget():
    x, y = sp.symbols("x y")
    status, roots = _exact_candidates(
        LossModel((x * y - 1) ** 2 / 2 + (x**2 - y**2) ** 2 / 8, (x, y)), 5
    )
    assert status == "ok" and len(roots) == 2
