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


def test_monkey_saddle_refined_once(monkeypatch):
    """Search candidates near a known degenerate point are merged before the high-precision
    refinement: the monkey saddle costs a handful of refinements, not one per start."""
    from dynsys_gd.numeric.landscape import critical_points as cp

    calls = []
    real = cp._analyse_point
    monkeypatch.setattr(cp, "_analyse_point", lambda *a, **k: calls.append(1) or real(*a, **k))
    x, y = sp.symbols("x y")
    res = cp.critical_points(LossModel(x**3 - 3 * x * y**2, (x, y)), 2.0)
    assert [p.kind.name for p in res.points] == ["DEGENERATE"]
    assert max(abs(v) for v in res.points[0].point) < 1e-12
    assert len(calls) <= 8  # 58 before the merge, on 64 starts
