"""Results reach pandas and a plot in one call: ``to_pandas()`` round-trips the numbers of
``to_dict()``; ``.plot()`` returns a figure with the expected content."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from matplotlib.figure import Figure

import dynsys_gd as dg
from dynsys_gd._results import scalar_items
from dynsys_gd.analysis.basins import basin_slice
from dynsys_gd.numeric.engine import run_gd
from dynsys_gd.numeric.landscape.curves import sharpness_along_manifold
from dynsys_gd.numeric.landscape.spectra import fixed_point_spectrum

pd = pytest.importorskip("pandas")


def _num(v):
    """A to_dict() number (JSON strings for non-finite values) as a float."""
    if isinstance(v, str) and v in ("inf", "-inf", "nan"):
        return float(v)
    return v


def _same(a, b) -> bool:
    a, b = _num(a), _num(b)
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b


@pytest.fixture(scope="module")
def net() -> dg.LinearNetwork:
    return dg.LinearNetwork.scalar(2, 1.0)


@pytest.fixture(scope="module")
def sweep(net):
    return dg.lr_sweep(net, [0.9, 0.99, 1.01, 1.1], n_samples=40, seed=3)


def test_sweep_to_pandas_one_row_per_lr_round_trips(sweep) -> None:
    df = sweep.to_pandas()
    d = sweep.to_dict()
    assert len(df) == len(d["lrs"]) == 4
    for col in ("lrs", "fraction", "ci_low", "ci_high", "g_inf", "g_inf_low", "g_inf_high"):
        assert all(_same(x, y) for x, y in zip(df[col], d[col], strict=True)), col
    for k, v in d["counts"].items():
        assert df[f"counts.{k}"].tolist() == v
    # the converged fraction is the converged count over n, row by row
    np.testing.assert_array_equal(df["fraction"], df["counts.converged"] / d["n_samples"])


def test_two_lr_sweep_has_no_fixed_size_tuple_columns(net) -> None:
    """A fixed pair such as ``transition`` is not mistaken for a column of a 2-row table."""
    sw = dg.lr_sweep(net, [0.9, 1.1], n_samples=20, seed=0)
    df = sw.to_pandas()
    assert "transition" not in df.columns and "lr_seeds" in df.columns
    assert df["lr_seeds"].tolist() == list(sw.lr_seeds)


def test_estimate_to_pandas_one_row_per_outcome(sweep) -> None:
    est = sweep.estimates[0]
    df = est.to_pandas()
    d = est.to_dict()
    assert set(df["outcome"]) == set(d["counts"])
    assert dict(zip(df["outcome"], df["runs"], strict=True)) == d["counts"]
    assert df["runs"].sum() == d["n_samples"]
    np.testing.assert_allclose(df["share"], df["runs"] / d["n_samples"])


def test_run_batch_to_pandas_one_row_per_run(net) -> None:
    theta0 = np.random.default_rng(0).uniform(-2, 2, size=(7, 2))
    rb = run_gd(net, theta0, 0.5)
    df = rb.to_pandas()
    d = rb.to_dict()
    assert len(df) == 7
    assert df["steps"].tolist() == d["steps"]
    np.testing.assert_array_equal(df[["theta.0", "theta.1"]].to_numpy(), rb.theta)
    assert all(_same(x, y) for x, y in zip(df["g_tail"], d["g_tail"], strict=True))


def test_report_to_pandas_is_one_row_of_scalar_fields(net) -> None:
    rep = dg.stability_analysis(net, 0.9, n_samples=30, n_minima=4)
    df = rep.to_pandas()
    assert len(df) == 1
    flat = scalar_items(rep.to_dict())
    assert set(flat) == set(df.columns)
    for k, v in flat.items():
        assert _same(df[k].iloc[0], v), k
    assert df["critical_lr"].iloc[0] == pytest.approx(1.0)
    assert df["convergence.fraction"].iloc[0] == rep.convergence.fraction


def test_missing_pandas_is_one_clear_error(net, monkeypatch) -> None:
    import builtins

    from dynsys_gd.errors import MissingDependencyError

    real = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas":
            raise ImportError("no pandas")
        return real(name, *args, **kwargs)

    spec = fixed_point_spectrum(net, np.ones(2), 0.5)
    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(MissingDependencyError, match="pandas"):
        spec.to_pandas()


# ----------------------------------------------------------------------------------------------
# .plot()
# ----------------------------------------------------------------------------------------------
def test_sweep_plot_shows_fraction_and_g_inf(sweep) -> None:
    fig = sweep.plot()
    assert isinstance(fig, Figure)
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert any("converge" in lab for lab in labels)
    assert any("g_\\infty" in lab for lab in labels)


def test_estimate_plot_has_one_bar_per_outcome(sweep) -> None:
    est = sweep.estimates[0]
    fig = est.plot()
    ax = fig.axes[0]
    heights = sorted(p.get_height() for p in ax.patches)
    assert heights == sorted(est.counts.values())


def test_spectrum_plot_draws_dg_eigenvalues_and_unit_circle(net) -> None:
    spec = fixed_point_spectrum(net, np.ones(2), 0.5)
    fig = spec.plot()
    ax = fig.axes[0]
    pts = np.concatenate(
        [np.asarray(ln.get_xdata(), float) for ln in ax.get_lines() if ln.get_linestyle() == "None"]
    )
    for z in spec.dg_eigenvalues:
        assert np.any(np.isclose(pts, z))
    assert any(len(ln.get_xdata()) > 100 for ln in ax.get_lines())  # the unit circle


def test_plot_into_given_axes_and_manifold_curve(net) -> None:
    from dynsys_gd.reporting.style import new_figure

    fig, ax = new_figure()
    curve = sharpness_along_manifold(dg.LinearNetwork.scalar(3, 2.0), ts=np.linspace(-1, 1, 21))
    assert curve.plot(ax=ax, lr=0.25) is fig
    assert len(curve.to_pandas()) == 21


def test_basin_plot_labels_the_two_minima_apart() -> None:
    x, y = sp.symbols("x y")
    m = dg.LossModel((x * y - 1) ** 2 / 2 + (x**2 - y**2) ** 2 / 8, (x, y))
    bs = basin_slice(m, 0.5, extent=2.0, resolution=25)
    minima = [a for a in bs.attractors if a.kind == "minimum"]
    assert len(minima) == 2
    pts = sorted(tuple(np.round(a.point, 6)) for a in minima)
    np.testing.assert_allclose(pts, [(-1.0, -1.0), (1.0, 1.0)], atol=1e-6)
    fig = bs.plot()
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert sum("minimum" in t for t in texts) == 2


def test_stability_report_plot_marks_two_over_eta(net) -> None:
    rep = dg.stability_analysis(net, 0.9, n_samples=0, n_minima=6)
    fig = rep.plot()
    ax = fig.axes[1]
    levels = [ln.get_ydata()[0] for ln in ax.get_lines() if len(ln.get_ydata()) == 2]
    assert any(np.isclose(v, 2 / 0.9) for v in levels)
    assert any(np.isclose(v, rep.min_sharpness) for v in levels)
    pts = np.concatenate([ln.get_ydata() for ln in ax.get_lines() if ln.get_marker() == "o"])
    np.testing.assert_allclose(np.sort(pts), np.sort(rep.minima_sharpness))


def test_sweep_plot_shows_open_runs_as_the_fraction_range() -> None:
    """At eta* the runs of 1/2 (xy - 1)^2 are open (undecided or frozen): the hatched bar spans
    exactly [fraction, fraction_high] of the sweep."""
    net = dg.LinearNetwork.scalar(2, 1.0)
    sw = dg.lr_sweep(net, [0.9, 1.0, 1.1], n_samples=40, seed=1)
    i = 1
    assert sw.fraction_high[i] > sw.fraction[i]  # some runs at eta* are open
    ax = sw.plot().axes[0]
    bars = [p for p in ax.patches if p.get_height() > 0]
    assert len(bars) == int(np.sum(sw.fraction_high > sw.fraction))
    b = min(bars, key=lambda p: abs(p.get_x() + p.get_width() / 2 - 1.0))
    assert b.get_y() == pytest.approx(sw.fraction[i])
    assert b.get_y() + b.get_height() == pytest.approx(sw.fraction_high[i])
