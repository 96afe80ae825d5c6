"""Figures, style and text tables of the reporting layer (on plain arrays; Agg backend)."""

from __future__ import annotations

import math

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.engine.outcomes import OUTCOME_NAMES, Outcome
from dynsys_gd.reporting import figures as F
from dynsys_gd.reporting import style as S
from dynsys_gd.reporting import text as T


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
def _legend_texts(ax) -> list[str]:
    leg = ax.get_legend()
    assert leg is not None, "axes has no legend"
    return [t.get_text() for t in leg.get_texts()]


def _has_vline_at(ax, x: float) -> bool:
    for line in ax.get_lines():
        xd = np.asarray(line.get_xdata(), dtype=float)
        if xd.size == 2 and np.allclose(xd, x):
            return True
    return False


def _check_saves(fig: Figure, tmp_path, stem: str) -> None:
    paths = S.save_figure(fig, tmp_path / "sub" / stem)
    assert [p.suffix for p in paths] == [".png", ".pdf"]
    png = paths[0].read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert paths[1].read_bytes()[:5] == b"%PDF-"


@pytest.fixture()
def sweep_arrays():
    lrs = np.linspace(0.8, 1.2, 9)
    fr = np.where(lrs < 1.0, 0.7, 0.0)
    lo = np.where(lrs < 1.0, 0.65, 0.0)
    hi = np.where(lrs < 1.0, 0.75, 0.015)
    counts = [
        {
            "converged": int(200 * f),
            "diverged": 200 - int(200 * f) - (0 if f else 130),
            "bounded": 0 if f else 130,
        }
        for f in fr
    ]
    return lrs, fr, lo, hi, counts


# ----------------------------------------------------------------------------------------------
# style
# ----------------------------------------------------------------------------------------------
def test_outcome_cmap_maps_codes_to_outcome_colours() -> None:
    cmap, norm = S.outcome_cmap()
    for o in Outcome:
        assert to_hex(cmap(norm(o.code))) == S.OUTCOME_COLORS[o.key].lower()
    assert set(S.OUTCOME_COLORS) == set(OUTCOME_NAMES)
    assert len(set(S.OUTCOME_COLORS.values())) == len(OUTCOME_NAMES)


def test_style_context_restores_rcparams() -> None:
    before = mpl.rcParams["axes.spines.top"]
    with S.style_context({"axes.spines.top": not before}):
        assert mpl.rcParams["axes.spines.top"] is (not before)
    assert mpl.rcParams["axes.spines.top"] is before


def test_outcome_legend_handles_only_present() -> None:
    hs = S.outcome_legend_handles(["diverged", Outcome.CONVERGED])
    assert [h.get_label() for h in hs] == ["converged", "diverged"]


def test_mark_critical_lr_draws_dashed_line_with_label() -> None:
    _fig, ax = S.new_figure()
    line = S.mark_critical_lr(ax, 0.25)
    assert _has_vline_at(ax, 0.25)
    assert line.get_linestyle() == "--"
    assert "0.25" in line.get_label() and r"\eta^*" in line.get_label()


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (
            lambda: S.mark_critical_lr(S.new_figure()[1], -1.0),
            InvalidParameterError,
            r"eta_star must be a finite float > 0; got -1.0",
        ),
        (
            lambda: S.mark_critical_lr(S.new_figure()[1], 1.0, orientation="diag"),
            InvalidParameterError,
            r"orientation must be one of",
        ),
        (
            lambda: S.save_figure(S.new_figure()[0], "/tmp/x", formats=("gif",)),
            InvalidParameterError,
            r"formats must be among",
        ),
        (
            lambda: S.save_figure("not a figure", "/tmp/x"),
            InvalidParameterError,
            r"fig must be a matplotlib Figure; got str",
        ),
        (
            lambda: S.outcome_cmap(("converged", "exploded")),
            InvalidParameterError,
            r"keys must be outcome names .*; got 'exploded'",
        ),
    ],
)
def test_style_bad_input(call, exc, match) -> None:
    with pytest.raises(exc, match=match):
        call()


def test_save_figure_replaces_suffix_and_reports_unwritable(tmp_path) -> None:
    fig, ax = S.new_figure()
    ax.plot([0, 1], [0, 1])
    paths = S.save_figure(fig, tmp_path / "a.png")
    assert sorted(p.name for p in paths) == ["a.pdf", "a.png"]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError):
        S.save_figure(fig, blocker / "inside" / "fig")


# ----------------------------------------------------------------------------------------------
# fraction vs lr (C6)
# ----------------------------------------------------------------------------------------------
def test_convergent_fraction_plot_has_band_eta_star_and_outcome_panel(
    sweep_arrays, tmp_path
) -> None:
    lrs, fr, lo, hi, counts = sweep_arrays
    fig = F.plot_convergent_fraction(lrs, fr, lo, hi, eta_star=1.0, counts=counts)
    ax_f, ax_c = fig.axes[:2]
    assert _has_vline_at(ax_f, 1.0) and _has_vline_at(ax_c, 1.0)
    texts = _legend_texts(ax_f)
    assert any("Clopper" in t for t in texts)
    assert any(r"\eta^*" in t for t in texts)
    assert "no run converged" in texts  # zeros above eta* get open markers
    assert set(_legend_texts(ax_c)) == {"converged", "diverged", "bounded, not convergent"}
    assert ax_f.get_ylabel() and ax_c.get_xlabel()
    # the converged fraction curve carries the data
    line = next(ln for ln in ax_f.get_lines() if ln.get_label() == "converged fraction")
    np.testing.assert_allclose(line.get_ydata(), fr)
    _check_saves(fig, tmp_path, "fraction")


def test_convergent_fraction_refuses_lookalike_objects(sweep_arrays) -> None:
    """Only a real SweepResult is read (no guessing of attribute names)."""

    class Sweep:
        lrs, fractions, critical_lr = [0.1, 0.2], [0.5, 0.1], 1.0

    with pytest.raises(InvalidParameterError, match="fractions must be given"):
        F.plot_convergent_fraction(Sweep())


def test_undecided_runs_are_shown_as_unknown() -> None:
    """A point whose runs are all undecided is drawn as '?' with a hatched bar, never as a
    hollow 0 ('no run converged')."""
    lrs = [0.9, 1.0, 1.1]
    counts = {"converged": [90, 0, 0], "undecided": [0, 100, 0], "periodic": [10, 0, 100]}
    fig = F.plot_convergent_fraction(lrs, [0.9, 0.0, 0.0], eta_star=1.0, counts=counts)
    ax = fig.axes[0]
    texts = _legend_texts(ax)
    assert "no run decided to converge" in texts
    assert any(t.startswith("undecided or frozen runs") for t in texts)
    hollow = next(ln for ln in ax.get_lines() if ln.get_label() == "no run converged")
    np.testing.assert_allclose(hollow.get_xdata(), [1.1])  # not at the undecided point
    bars = [p for p in ax.patches if p.get_height() > 0]
    assert [b.get_height() for b in bars] == [1.0]


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        (
            {"lrs": [0.1, 0.2], "fractions": [0.5]},
            InvalidParameterError,
            r"fractions must have length 2",
        ),
        (
            {"lrs": [[0.1, 0.2]], "fractions": [0.5, 0.2]},
            InvalidParameterError,
            r"lrs must be a 1-D array; got shape \(1, 2\)",
        ),
        ({"lrs": [], "fractions": []}, InvalidParameterError, r"at least one learning rate"),
        (
            {"lrs": [0.1], "fractions": [0.5], "eta_star": 0.0},
            InvalidParameterError,
            r"eta_star must be a finite float > 0; got 0.0",
        ),
        (
            {"lrs": [0.1], "fractions": [0.5], "relative": True},
            InvalidParameterError,
            r"relative=True needs eta_star",
        ),
        ({"lrs": object()}, InvalidParameterError, r"fractions must be given"),
        (
            {"lrs": [0.1, 0.2], "fractions": [0.5, 0.1], "counts": [{"converged": 1}]},
            InvalidParameterError,
            r"counts must have one entry per learning rate \(2\); got 1",
        ),
    ],
)
def test_convergent_fraction_bad_input(kwargs, exc, match) -> None:
    with pytest.raises(exc, match=match):
        F.plot_convergent_fraction(**kwargs)


# ----------------------------------------------------------------------------------------------
# g_inf (C7)
# ----------------------------------------------------------------------------------------------
def test_c7_gradient_norm_zeros_drawn_at_floor_with_note(tmp_path) -> None:
    """C7: g_inf = 0 below eta*, positive above; zeros are drawn at the floor and labelled."""
    lrs = np.linspace(0.8, 1.2, 9)
    g = np.where(lrs < 1.0, 0.0, 0.3 * (lrs - 0.95))
    g[-1] = np.inf  # all runs diverged there
    g[-2] = np.nan  # every non-diverged run open (undecided or frozen) there
    fig = F.plot_gradient_norm_transition(lrs, g, eta_star=1.0, floor=1e-12)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert _has_vline_at(ax, 1.0)
    texts = _legend_texts(ax)
    zero_label = next(t for t in texts if "drawn at floor" in t)
    assert "1e-12" in zero_label
    assert "every run diverged" in texts
    assert any("unknown" in t for t in texts)  # NaN is not "diverged"
    zeros = next(ln for ln in ax.get_lines() if ln.get_label() == zero_label)
    np.testing.assert_allclose(zeros.get_ydata(), 1e-12)
    assert len(zeros.get_xdata()) == int(np.sum(lrs < 1.0))
    assert ax.get_ylim()[0] < 1e-12
    _check_saves(fig, tmp_path, "ginf")


def test_gradient_norm_bad_floor() -> None:
    with pytest.raises(InvalidParameterError, match=r"floor must be a finite float > 0"):
        F.plot_gradient_norm_transition([0.1, 0.2], [0.0, 1.0], floor=0.0)
    with pytest.raises(InvalidParameterError, match=r"g_inf must have length 2"):
        F.plot_gradient_norm_transition([0.1, 0.2], [0.0])


# ----------------------------------------------------------------------------------------------
# basins
# ----------------------------------------------------------------------------------------------
def test_basin_slice_colours_and_legend(tmp_path) -> None:
    codes = np.full((20, 30), Outcome.DIVERGED.code)
    codes[5:15, 5:25] = Outcome.CONVERGED.code
    codes[0, 0] = Outcome.BOUNDED.code
    fig = F.plot_basin_slice(
        codes, extent=(-2, 2, -1, 1), lr=0.9, curves=[(np.linspace(-2, 2, 5), np.zeros(5))]
    )
    ax = fig.axes[0]
    img = ax.get_images()[0]
    assert img.get_extent() == [-2.0, 2.0, -1.0, 1.0]
    texts = _legend_texts(ax)
    assert texts[0] == "converged — 33%"
    assert texts[1].startswith("diverged — ")
    assert texts[2] == "bounded, not convergent — <1%"
    assert "minima $M$" in texts
    assert "0.9" in ax.get_title()
    # the image paints each cell with the colour of its outcome
    rgba = img.to_rgba(img.norm(img.get_array()))
    assert to_hex(rgba[10, 10]) == S.OUTCOME_COLORS["converged"].lower()
    assert to_hex(rgba[0, 29]) == S.OUTCOME_COLORS["diverged"].lower()
    _check_saves(fig, tmp_path, "basin")


def test_basin_slice_accepts_array_of_outcome_enums() -> None:
    outcome = np.array([[Outcome.CONVERGED, Outcome.PERIODIC]] * 2, dtype=object)
    fig = F.plot_basin_slice(outcome, extent=(-2, 2, -4, 4), lr=0.5)
    ax = fig.axes[0]
    assert ax.get_xlim() == (-2.0, 2.0)
    assert ax.get_ylim() == (-4.0, 4.0)
    assert "0.5" in ax.get_title()
    assert [t.split(" — ")[0] for t in _legend_texts(ax)] == ["converged", "periodic orbit"]


@pytest.mark.parametrize(
    ("basin", "kwargs", "match"),
    [
        (np.zeros(5, dtype=int), {}, r"non-empty 2-D array; got shape \(5,\)"),
        (np.full((2, 2), 7), {}, r"codes must be in 0\.\.5; got values in \[7, 7\]"),
        (np.zeros((2, 2), dtype=int), {"extent": (1, 0, 0, 1)}, r"extent must be"),
        (object(), {}, r"basin must be a BasinSlice or a 2-D array of outcome codes"),
    ],
)
def test_basin_slice_bad_input(basin, kwargs, match) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        F.plot_basin_slice(basin, **kwargs)


# ----------------------------------------------------------------------------------------------
# sharpness along M (C3-C5) and DG spectra
# ----------------------------------------------------------------------------------------------
def test_sharpness_plot_marks_threshold_and_stable_region(tmp_path) -> None:
    t = np.linspace(-1, 1, 101)
    ev = 2 + 4 * t**2
    fig = F.plot_sharpness_along_manifold(t, ev, lr=0.8, eta_star=1.0)
    ax = fig.axes[0]
    texts = _legend_texts(ax)
    assert any(r"2/\eta = 2.5" in s for s in texts)
    assert any("linearly stable minima" in s for s in texts)
    assert any("flattest: $S = 2$" in s for s in texts)
    hl = [ln for ln in ax.get_lines() if np.allclose(ln.get_ydata(), 2.5)]
    assert hl, "no horizontal line at 2/eta"
    _check_saves(fig, tmp_path, "sharp")


def test_dg_spectrum_plot_flags_eigenvalues_outside_unit_circle(tmp_path) -> None:
    fig = F.plot_dg_spectrum({"flat": [0.0, 2.0], "sharp": [0.0, 4.25]}, lr=0.9, hessian=True)
    ax = fig.axes[0]
    texts = _legend_texts(ax)
    assert texts[0] == "unit circle"
    assert any("unstable" in s for s in texts)
    circle = ax.get_lines()[0]
    r = np.hypot(circle.get_xdata(), circle.get_ydata())
    np.testing.assert_allclose(r, 1.0)
    assert ax.get_xlim()[0] < 1 - 0.9 * 4.25  # the outlier -2.825 is visible
    _check_saves(fig, tmp_path, "spec")


def test_dg_spectrum_needs_lr_for_hessian() -> None:
    with pytest.raises(InvalidParameterError, match=r"lr must be given when hessian=True"):
        F.plot_dg_spectrum([1.0], hessian=True)
    with pytest.raises(InvalidParameterError, match=r"at least one set"):
        F.plot_dg_spectrum({})


def test_figure_draws_into_given_axes() -> None:
    fig, axes = S.new_figure(1, 2)
    out = F.plot_gradient_norm_transition([0.5, 1.5], [0.0, 1.0], eta_star=1.0, ax=axes[1])
    assert out is fig
    assert axes[1].get_yscale() == "log" and axes[0].get_yscale() == "linear"


# ----------------------------------------------------------------------------------------------
# text tables
# ----------------------------------------------------------------------------------------------
def test_format_table_aligns_numbers_right_and_text_left() -> None:
    out = T.format_table(
        [["converged", 37, 0.37], ["diverged", 163, None]], headers=["outcome", "runs", "share"]
    )
    lines = out.splitlines()
    assert lines[0] == "outcome    runs  share"
    assert lines[1] == "---------  ----  -----"
    assert lines[2] == "converged    37   0.37"
    assert lines[3] == "diverged    163      —"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "—"),
        (True, "yes"),
        (3, "3"),
        (0.0, "0"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
        (math.nan, "nan"),
        (0.2645668, "0.2646"),
        (np.float64(1e-20), "1e-20"),
        (np.int64(7), "7"),
        ("text", "text"),
    ],
)
def test_format_number(value, expected) -> None:
    assert T.format_number(value) == expected


def test_markdown_and_counts_tables() -> None:
    md = T.markdown_table([["a|b", 1.5]], headers=["name", "x"])
    assert md.splitlines() == ["| name | x |", "|:---|---:|", r"| a\|b | 1.5 |"]
    txt = T.counts_table({"diverged": 30, "converged": 70})
    rows = txt.splitlines()
    assert rows[2].split() == ["converged", "70", "0.7"]
    assert rows[3].split() == ["diverged", "30", "0.3"]
    assert T.format_fraction_ci(0.37, 0.331, 0.41) == "0.370 [0.331, 0.410]"
    assert T.key_value_block({"eta*": 0.2645668, "N": 3}) == "eta* : 0.2646\nN    : 3"
    assert T.markdown_code("x\n") == "```text\nx\n```"


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: T.format_table([[1, 2], [3]], headers=["a", "b"]),
            r"rows must all have 2 cells .*; row 1 has 1",
        ),
        (lambda: T.format_table([[1]], digits=0), r"digits must be an int >= 1; got 0"),
        (lambda: T.counts_table({"converged": 1}, style="html"), r"style must be one of"),
    ],
)
def test_text_bad_input(call, match) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        call()


# ----------------------------------------------------------------------------------------------
# the toolkit's own result objects
# ----------------------------------------------------------------------------------------------
def test_figures_accept_sweep_and_basin_results(tmp_path) -> None:
    """SweepResult / BasinSlice of the analysis layer plot directly (C6, C7 on 1/2(xy-1)^2)."""
    net = dg.LinearNetwork.scalar(2, 1.0)
    sweep = dg.lr_sweep(net, [0.7, 1.3], n_samples=30, seed=0)
    fig = F.plot_convergent_fraction(sweep)
    ax = fig.axes[0]
    assert _has_vline_at(ax, 1.0)  # eta* taken from the sweep
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "converged fraction")
    np.testing.assert_allclose(line.get_ydata(), sweep.fraction)
    assert sweep.fraction[1] == 0.0 and "no run converged" in _legend_texts(ax)
    fig = F.plot_gradient_norm_transition(sweep)
    texts = _legend_texts(fig.axes[0])
    assert "95% CI of the median" in texts
    assert any("drawn at floor" in t for t in texts)  # g_inf = 0 below eta*
    bs = dg.basin_slice(
        net,
        0.9,
        center=np.zeros(2),
        u=np.array([1.0, 0.0]),
        v=np.array([0.0, 1.0]),
        extent=2.0,
        resolution=9,
    )
    fig = F.plot_basin_slice(bs)
    ax = fig.axes[0]
    assert ax.get_xlim() == pytest.approx((-2.25, 2.25))
    assert "0.9" in ax.get_title()
    texts = _legend_texts(ax)
    # the two branches of xy = 1 are two attractors with their own colours and shares
    branches = [t for t in texts if t.startswith("minima: component")]
    assert sorted(b.split(" — ")[0] for b in branches) == [
        "minima: component (+, +) of M",
        "minima: component (-, -) of M",
    ]
    assert "minima $M$" in texts  # M drawn from the slice's own level set
    _check_saves(fig, tmp_path, "basin_real")
