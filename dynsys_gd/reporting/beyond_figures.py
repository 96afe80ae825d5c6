r"""Figures beyond the paper: bifurcation diagrams, Lyapunov exponents, the null set (C6, C8, §7).

Every function returns a :class:`matplotlib.figure.Figure` made with
:func:`dynsys_gd.reporting.style.new_figure` (no pyplot state); save with
:func:`dynsys_gd.reporting.style.save_figure`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..analysis.bifurcation import FEIGENBAUM_DELTA, BifurcationDiagram, CascadeResult
from ..analysis.nullset import NullSetPoint
from ..errors import InvalidParameterError
from .style import COLORS, mark_critical_lr, new_figure, styled

__all__ = ["plot_bifurcation", "plot_lyapunov", "plot_null_point_run", "plot_null_set"]


@styled
def plot_bifurcation(
    diagram: BifurcationDiagram, *, cascade: CascadeResult | None = None, title: str | None = None
) -> Figure:
    r"""Attractor samples (observable after the transient) against the step size, with
    :math:`\eta^*` marked (C5, C8) and, if given, the period-doubling points of a cascade."""
    if not isinstance(diagram, BifurcationDiagram):
        raise InvalidParameterError(
            f"diagram must be a BifurcationDiagram; got {type(diagram).__name__}"
        )
    fig, ax = new_figure()
    _, B, R = diagram.values.shape
    xs = np.repeat(diagram.lrs, B * R)
    vs = diagram.values.reshape(-1)
    ok = np.isfinite(vs)
    ax.scatter(
        xs[ok],
        vs[ok],
        s=0.6,
        color=COLORS["primary"],
        alpha=0.5,
        linewidths=0,
        rasterized=True,
        label="attractor samples",
    )
    if diagram.critical_lr is not None:
        mark_critical_lr(ax, diagram.critical_lr)
    if cascade is not None:
        for j, p in enumerate(cascade.points):
            ax.axvline(
                p,
                color=COLORS["secondary"],
                linestyle=":",
                linewidth=1.0,
                label="period doublings" if j == 0 else None,
            )
        if cascade.ratios.size:
            ax.text(
                0.02,
                0.04,
                rf"$\delta_{{{cascade.ratios.size}}} = {cascade.ratios[-1]:.4f}$"
                rf" (Feigenbaum $\delta = {FEIGENBAUM_DELTA:.4f}$)",
                transform=ax.transAxes,
                fontsize=8,
            )
    ax.set_xlabel(r"step size $\eta$")
    ax.set_ylabel(diagram.observable + " after the transient")
    ax.set_title(title or "bifurcation diagram of GD")
    ax.legend(loc="upper left", fontsize=8)
    return fig


@styled
def plot_lyapunov(
    lrs: Sequence[float],
    exponents: Sequence[float],
    *,
    eta_star: float | None = None,
    spread: Any = None,
    title: str | None = None,
) -> Figure:
    r"""Largest Lyapunov exponent of bounded runs against :math:`\eta` (0 line, η* marked).

    ``spread`` is an optional ``(low, high)`` pair of arrays drawn as a band.
    """
    x = np.asarray(lrs, dtype=np.float64)
    e = np.asarray(exponents, dtype=np.float64)
    if x.shape != e.shape or x.ndim != 1:
        raise InvalidParameterError(
            f"lrs and exponents must be 1-D of equal length; got {x.shape} and {e.shape}"
        )
    fig, ax = new_figure()
    if spread is not None:
        lo, hi = (np.asarray(a, dtype=np.float64) for a in spread)
        ax.fill_between(
            x, lo, hi, color=COLORS["band"], alpha=0.3, linewidth=0, label="range over runs"
        )
    ax.plot(x, e, ".-", color=COLORS["primary"], label=r"$\lambda_1$ (mean over bounded runs)")
    ax.axhline(0.0, color=COLORS["reference"], linewidth=0.8)
    if eta_star is not None:
        mark_critical_lr(ax, eta_star)
    ax.set_xlabel(r"step size $\eta$")
    ax.set_ylabel(r"largest Lyapunov exponent $\lambda_1$")
    ax.set_title(title or "Lyapunov exponent of GD")
    ax.legend(loc="upper left", fontsize=8)
    return fig


@styled
def plot_null_set(
    points: Any,
    *,
    manifold: Any = None,
    title: str | None = None,
    xlim: tuple[float, float] = (-2.0, 2.0),
    ylim: tuple[float, float] = (-2.0, 2.0),
) -> Figure:
    r"""Points of :math:`\{\theta : G_\eta^k(\theta) \in M\}` in a 2-D slice.

    ``points`` is a dict ``k -> (n, 2) array`` (or one array); ``manifold`` an optional ``(m, 2)``
    array of points of :math:`M` drawn as a line.
    """
    series = points if isinstance(points, dict) else {1: points}
    fig, ax = new_figure()
    palette = [COLORS["primary"], COLORS["secondary"], COLORS["tertiary"], COLORS["muted"]]
    for i, (k, pts) in enumerate(sorted(series.items())):
        p = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
        ax.scatter(
            p[:, 0],
            p[:, 1],
            s=4,
            color=palette[i % len(palette)],
            label=rf"$G_\eta^{{{k}}}(\theta)\in M$ ({len(p)} points)",
        )
    if manifold is not None:
        m = np.asarray(manifold, dtype=np.float64).reshape(-1, 2)
        ax.plot(
            m[:, 0], m[:, 1], ".", markersize=1.5, color=COLORS["critical"], label=r"$M$ (minima)"
        )
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$")
    ax.set_title(title or "null convergent set in a 2-D slice")
    ax.legend(loc="lower left", fontsize=7)
    return fig


@styled
def plot_null_point_run(result: NullSetPoint, *, title: str | None = None) -> Figure:
    r""":math:`\log_{10}|h(\theta_t)|` (distance-to-M proxy) along the high-precision and the
    float64 run from a constructed null-set point."""
    if not isinstance(result, NullSetPoint):
        raise InvalidParameterError(f"result must be a NullSetPoint; got {type(result).__name__}")
    fig, ax = new_figure()
    t = np.arange(result.h_mp.size)
    hf = np.where(np.isfinite(result.h_float), result.h_float, np.nan)
    ax.plot(t, result.h_mp, color=COLORS["primary"], label=f"{result.dps}-digit GD")
    ax.plot(t, np.maximum(hf, -320), color=COLORS["critical"], label="float64 GD")
    ax.axvline(result.k, color=COLORS["reference"], linestyle=":", linewidth=0.8)
    ax.set_xlabel("step t")
    ax.set_ylabel(r"$\log_{10}|h(\theta_t)|$ ($M = \{h = 0\}$)")
    ax.set_title(
        title
        or rf"GD from a point with $G_\eta^{{{result.k}}}(\theta_0)\in M$, "
        rf"$\eta = {result.lr:g}$"
    )
    ax.legend(loc="center right", fontsize=8)
    return fig
