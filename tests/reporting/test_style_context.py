"""The house style is applied through a context, never by changing global state, and figures
made by the toolkit display inline in IPython without any set-up call."""

from __future__ import annotations

import inspect
import subprocess
import sys

import matplotlib as mpl
import numpy as np
import pytest

from dynsys_gd.reporting import (
    basin_figures,
    beyond_figures,
    nonlinear_figures,
    stability_figures,
    style,
    transition_figures,
)


def _public_plot_functions() -> list[tuple[str, object]]:
    out = []
    for mod in (
        transition_figures,
        basin_figures,
        stability_figures,
        beyond_figures,
        nonlinear_figures,
    ):
        for name, obj in vars(mod).items():
            if (
                name.startswith("plot_")
                and inspect.isfunction(obj)
                and obj.__module__ == mod.__name__
            ):
                out.append((f"{mod.__name__}.{name}", obj))
    return out


def test_importing_the_reporting_layer_leaves_rcparams_alone() -> None:
    """A fresh interpreter has the same rcParams before and after importing every module."""
    code = (
        "import matplotlib as mpl; before = dict(mpl.rcParams)\n"
        "import dynsys_gd.reporting.style, dynsys_gd.reporting.figures\n"
        "import dynsys_gd.reporting.beyond_figures, dynsys_gd.reporting.nonlinear_figures\n"
        "changed = [k for k, v in mpl.rcParams.items() if before.get(k) != v]\n"
        "print(changed)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_plot_function_draws_through_styled() -> None:
    """Every public ``plot_*`` function of the reporting modules is wrapped by ``styled``."""
    funcs = _public_plot_functions()
    assert len(funcs) >= 5
    bare = [name for name, f in funcs if f.__code__.co_qualname != "styled.<locals>.wrapper"]
    assert bare == [], f"not decorated with style.styled: {bare}"


def test_styled_applies_the_style_inside_and_restores_it() -> None:
    seen = {}

    @style.styled
    def draw():
        seen["grid"] = mpl.rcParams["axes.grid"]
        fig, ax = style.new_figure()
        ax.plot([0, 1], [0, 1])
        return fig

    with mpl.rc_context({"axes.grid": False}):
        fig = draw()
        assert mpl.rcParams["axes.grid"] is False
    assert seen["grid"] is True
    # grid lines were created with the style (alpha 0.3), although drawn later
    assert fig.axes[0].xaxis.get_major_ticks()[0].gridline.get_alpha() == pytest.approx(0.3)


def test_toolkit_figure_displays_as_png_in_ipython() -> None:
    """In an IPython shell a figure returned by a drawing function formats as image/png."""
    ipython = pytest.importorskip("IPython.core.interactiveshell")
    shell = ipython.InteractiveShell.instance()
    try:
        fig = beyond_figures.plot_lyapunov(
            np.array([0.9, 1.0, 1.1]), np.array([-0.1, 0.0, 0.2]), eta_star=1.0
        )
        data, _ = shell.display_formatter.format(fig)
        assert "image/png" in data
        assert data["image/png"][:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        ipython.InteractiveShell.clear_instance()
