"""Bifurcation diagrams and period-doubling cascades (docs/math/claims.md#c8, §7)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.analysis.bifurcation import (
    FEIGENBAUM_DELTA,
    bifurcation_diagram,
    period_doubling_cascade,
)
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.orbits.periodic import LogisticMap

x, y = sp.symbols("x y")
XY = dg.LossModel(sp.Rational(1, 2) * (x * y - 1) ** 2, (x, y), name="xy")


def test_c8_flip_at_eta_star_xy() -> None:
    """C8: the bifurcation diagram of ½(xy-1)² shows the flip period 1 -> 2 at eta* = 1."""
    d = bifurcation_diagram(
        XY, [0.9, 0.97, 1.03, 1.1], n_init=24, transient=1500, seed=0, critical_lr=1.0
    )
    assert d.dominant_period().tolist() == [1, 1, 2, 2]
    assert d.first_flip() == (0.97, 1.03)
    # below eta*, bounded runs sit on M (product xy = 1); above, xy alternates around 1
    below = d.values[0][np.isfinite(d.values[0][:, 0])]
    assert np.allclose(below, 1.0, atol=1e-6)
    above = d.values[3][d.periods[3] == 2]
    assert np.all(np.ptp(above, axis=1) > 1e-2)
    assert "flip (period 1 -> 2)" in d.summary()
    assert d.to_dict()["first_flip"] == [0.97, 1.03]


def test_c8_flip_at_eta_star_scalar_depth2() -> None:
    """C5/C8: scalar depth-2 net, y = 1: eta* = 1 computed and the flip detected around it."""
    net = dg.LinearNetwork.scalar(2, 1.0)
    d = bifurcation_diagram(net, [0.95, 1.05], n_init=16, transient=1500, observable="loss")
    assert d.critical_lr == pytest.approx(1.0, rel=1e-9)
    assert d.first_flip() == (0.95, 1.05)


def test_logistic_cascade_feigenbaum() -> None:
    """Logistic map: r1 = 3, r2 = 1 + sqrt 6, r3 = 3.544090, ratios -> delta."""
    c = period_doubling_cascade(LogisticMap, 2.8, 3.5695, [[0.5]], n_doublings=4)
    assert c.points[0] == pytest.approx(3.0, abs=1e-9)
    assert c.points[1] == pytest.approx(1 + np.sqrt(6), abs=1e-9)
    assert c.points[2] == pytest.approx(3.5440903596, abs=1e-8)
    assert c.points[3] == pytest.approx(3.5644072661, abs=1e-8)
    assert c.periods == (1, 2, 4, 8)
    assert c.ratios[0] == pytest.approx(4.7514, abs=1e-3)
    assert abs(c.ratios[-1] - FEIGENBAUM_DELTA) < 0.02


def test_xy_cascade_starts_at_eta_star() -> None:
    """½(xy-1)² on the invariant diagonal: flips at 1 (= eta*) and at sqrt 5 - 1."""
    c = period_doubling_cascade(XY, 0.9, 1.45, [[1.0, 1.0]], n_doublings=3)
    assert c.points[0] == pytest.approx(1.0, abs=1e-9)
    assert c.points[1] == pytest.approx(np.sqrt(5) - 1, abs=1e-8)
    assert c.points[2] == pytest.approx(1.288031754, abs=1e-7)
    assert c.ratios[0] == pytest.approx(4.5429, abs=1e-3)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"lrs": []}, InvalidParameterError, "lrs must be a non-empty"),
        ({"lrs": [1.0, -1.0]}, InvalidParameterError, r"lrs\[1\] must be a finite float > 0"),
        ({"lrs": [1.0], "n_init": 0}, InvalidParameterError, "n_init"),
        ({"lrs": [1.0], "observable": "bogus"}, InvalidParameterError, "observable must be"),
        ({"lrs": [1.0], "n_record": 3}, InvalidParameterError, "n_record"),
    ],
)
def test_bad_input(kwargs, exc, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(exc, match=match):
        bifurcation_diagram(XY, **kwargs)


def test_cascade_bad_bracket() -> None:
    with pytest.raises(InvalidParameterError, match="hi must be"):
        period_doubling_cascade(LogisticMap, 3.0, 2.0, [[0.5]])


def test_figures_and_cli(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """The bifurcation figure marks eta*; ``dynsys-gd orbits`` prints the 2-cycle and writes it."""
    from dynsys_gd.cli import main
    from dynsys_gd.reporting.beyond_figures import plot_bifurcation, plot_lyapunov

    d = bifurcation_diagram(XY, [0.95, 1.05], n_init=4, transient=500, critical_lr=1.0)
    fig = plot_bifurcation(d)
    ax = fig.axes[0]
    assert "eta" in ax.get_xlabel()
    assert any(np.allclose(line.get_xdata(), 1.0) for line in ax.get_lines())
    fig2 = plot_lyapunov([1.0, 1.1], [-0.1, 0.2], eta_star=1.0)
    assert "Lyapunov" in fig2.axes[0].get_ylabel()
    with pytest.raises(InvalidParameterError, match="diagram must be"):
        plot_bifurcation("nope")  # type: ignore[arg-type]
    rc = main(["orbits", "--xy", "--lr", "1.05", "--samples", "8", "--json"])
    assert rc == 0
    import json

    out = json.loads(capsys.readouterr().out)
    assert out["critical_lr"] == 1.0
    assert {o["period"] for o in out["orbits"]} == {2}
    assert main(["orbits", "--xy", "--lr", "-1"]) == 2


def test_periods_of_a_loss_come_from_the_engine() -> None:
    """One classifier: the diagram's period of every run is the engine's outcome (converged ->
    1, periodic -> its period, diverged -> -1), all step sizes in one call."""
    from dynsys_gd.numeric.engine import EngineConfig, run_gd
    from dynsys_gd.numeric.engine.outcomes import Outcome

    th0 = np.random.default_rng(1).uniform(-1.5, 1.5, size=(10, 2))
    lrs = [0.9, 1.1]
    d = bifurcation_diagram(XY, lrs, theta0=th0, transient=300, n_record=32, max_period=8)
    assert d.outcomes is not None and d.outcomes.shape == (2, 10)
    for i, lr in enumerate(lrs):
        rb = run_gd(XY, th0, lr, config=EngineConfig(max_period=8))
        np.testing.assert_array_equal(d.outcomes[i], rb.outcome)
        want = np.where(rb.outcome == Outcome.CONVERGED.code, 1, 0)
        want = np.where(rb.outcome == Outcome.PERIODIC.code, rb.period, want)
        want = np.where(rb.outcome == Outcome.DIVERGED.code, -1, want)
        np.testing.assert_array_equal(d.periods[i], want)
    assert d.undecided_counts().tolist() == [
        int(np.sum(d.outcomes[i] == Outcome.UNDECIDED.code)) for i in range(2)
    ]
    # a family of maps has no engine: periods from the iterates
    m = bifurcation_diagram(LogisticMap, [2.8, 3.2], theta0=[[0.3]], transient=500, n_record=32)
    assert m.outcomes is None and m.periods[:, 0].tolist() == [1, 2]
