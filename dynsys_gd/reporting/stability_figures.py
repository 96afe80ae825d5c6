r"""Figures of linear stability at the minima: sharpness along the minima manifold and the
spectrum of the GD map's Jacobian (C3–C5).

=====================================  ===========================================================
function                               shows
=====================================  ===========================================================
:func:`plot_sharpness_along_manifold`  λ_max(H) along the minima manifold M with the 2/η line
                                       (C3–C5)
:func:`plot_dg_spectrum`               eigenvalues of DG_η = I − ηH in the complex plane with the
                                       unit circle (C3)
:func:`plot_fixed_point_spectrum`      a ``FixedPointSpectrum``: DG eigenvalues, unit circle (C3)
:func:`plot_stability_report`          a ``StabilityReport``: DG at the flattest minimum, the
                                       sampled minima against 2/η (C3, C5)
=====================================  ===========================================================

On M the Jacobian of the GD map has eigenvalue 1 on the tangent space and
:math:`1 - \eta\lambda_i` on the normal directions (C3); a minimum is linearly stable iff
:math:`\lambda_{\max}(H) < 2/\eta`, and the flattest one has :math:`S_{\min}` (C5); see
docs/math/index.md.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

from .._validation import check_positive_float
from ..analysis.stability import StabilityReport
from ..errors import InvalidParameterError
from ..numeric.landscape.curves import ManifoldSharpness
from ..numeric.landscape.spectra import FixedPointSpectrum
from ._figure_inputs import _target, _vector
from .style import COLORS, new_figure, style_context, styled

__all__ = [
    "plot_dg_spectrum",
    "plot_fixed_point_spectrum",
    "plot_sharpness_along_manifold",
    "plot_stability_report",
]


# ----------------------------------------------------------------------------------------------
# sharpness along the minima manifold (C3-C5)
# ----------------------------------------------------------------------------------------------
@styled
def plot_sharpness_along_manifold(
    coord: ManifoldSharpness | ArrayLike,
    eigenvalues: ArrayLike | None = None,
    *,
    lr: float | None = None,
    eta_star: float | None = None,
    coord_label: str = "position along $M$",
    ax: Axes | None = None,
    title: str | None = None,
    logy: bool = False,
) -> Figure:
    r"""Normal Hessian eigenvalues along a curve in the minima manifold M (docs/math/claims.md#c3 to
    docs/math/claims.md#c5).

    A minimum is linearly stable for step size :math:`\eta` iff
    :math:`\lambda_{\max}(H) < 2/\eta`.  The horizontal line :math:`2/\eta` splits M into the
    stable part (shaded) and the unstable part; the minimum of :math:`\lambda_{\max}` over M is
    :math:`S_{\min}` and :math:`\eta^* = 2/S_{\min}` (C5), so for :math:`\eta > \eta^*` the line
    lies below the whole curve.

    Parameters
    ----------
    coord
        Coordinate along the curve (shape ``(n,)``), or a
        :class:`~dynsys_gd.numeric.landscape.curves.ManifoldSharpness` (from
        :func:`~dynsys_gd.numeric.landscape.curves.sharpness_along_manifold`; its :math:`\eta^*` is
        drawn unless ``eta_star`` is given).
    eigenvalues
        ``(n,)`` sharpness :math:`\lambda_{\max}(H)` or ``(n, k)`` non-zero (normal) eigenvalues;
        the largest per row is the sharpness.
    lr
        Step size; draws :math:`2/\eta` and shades the stable part of M.
    eta_star
        If given, the level :math:`S_{\min} = 2/\eta^*` is drawn as well.
    """
    if isinstance(coord, ManifoldSharpness):
        curve = coord
        coord, eigenvalues = curve.t, curve.normal_eigenvalues
        eta_star = curve.critical_lr if eta_star is None else eta_star
        if coord_label == "position along $M$":
            coord_label = r"$t$ on the curve $(e^{t}W_1, e^{-t}W_2, W_3, \dots)$ in $M$"
    elif eigenvalues is None:
        raise InvalidParameterError(
            "eigenvalues must be given with an array of coordinates (or pass a "
            f"ManifoldSharpness); got coord of type {type(coord).__name__} and no eigenvalues"
        )
    s = _vector("coord", coord)
    ev = np.asarray(eigenvalues, dtype=np.float64)
    if ev.ndim == 1:
        ev = ev[:, None]
    if ev.ndim != 2 or ev.shape[0] != s.shape[0]:
        raise InvalidParameterError(
            f"eigenvalues must have shape ({s.shape[0]},) or "
            f"({s.shape[0]}, k); got {np.shape(eigenvalues)}"
        )
    order = np.argsort(s)
    s, ev = s[order], np.sort(ev[order], axis=1)
    sharp = ev[:, -1]
    with style_context():
        fig, ax = _target(ax)
        for j in range(ev.shape[1] - 1):
            ax.plot(
                s,
                ev[:, j],
                color=COLORS["muted"],
                linewidth=1.0,
                label="other normal eigenvalues" if j == 0 else "_nolegend_",
            )
        ax.plot(s, sharp, color=COLORS["primary"], label=r"sharpness $\lambda_{\max}(H)$")
        i_min = int(np.nanargmin(sharp))
        ax.plot(
            s[i_min],
            sharp[i_min],
            marker="*",
            markersize=11,
            color=COLORS["secondary"],
            linestyle="none",
            label=rf"flattest: $S = {sharp[i_min]:.4g}$",
        )
        if eta_star is not None:
            eta_star = check_positive_float("eta_star", eta_star)
            ax.axhline(
                2.0 / eta_star,
                color=COLORS["secondary"],
                linestyle=":",
                linewidth=1.0,
                label=rf"$S_{{\min}} = 2/\eta^* = {2.0 / eta_star:.4g}$",
            )
        if lr is not None:
            lr = check_positive_float("lr", lr)
            thr = 2.0 / lr
            ax.axhline(
                thr,
                color=COLORS["critical"],
                linestyle="--",
                label=rf"$2/\eta = {thr:.4g}$ ($\eta = {lr:.4g}$)",
            )
            stable = sharp < thr
            if np.any(stable):
                ax.fill_between(
                    s,
                    0,
                    1,
                    where=stable,
                    transform=ax.get_xaxis_transform(),
                    color=COLORS["tertiary"],
                    alpha=0.12,
                    linewidth=0,
                    label="linearly stable minima",
                )
        if logy:
            ax.set_yscale("log")
        else:
            top = float(np.nanmax(sharp))
            if lr is not None:
                top = max(min(top, 4.0 * 2.0 / lr), 1.3 * 2.0 / lr)
            ax.set_ylim(0.0, 1.08 * top)
        ax.set_xlabel(coord_label)
        ax.set_ylabel("Hessian eigenvalue on $M$")
        if title:
            ax.set_title(title)
        ax.legend(loc="best")
    return fig


# ----------------------------------------------------------------------------------------------
# spectra of DG in the complex plane (C3)
# ----------------------------------------------------------------------------------------------
def _multiplicities(z: NDArray[np.complex128]) -> list[tuple[complex, int]]:
    """Repeated eigenvalues (equal to 1e-9) with their multiplicities."""
    if z.size == 0:
        return []
    key = np.round(z.real, 9) + 1j * np.round(z.imag, 9)
    vals, counts = np.unique(key, return_counts=True)
    return [(complex(v), int(c)) for v, c in zip(vals, counts, strict=True) if c > 1]


@styled
def plot_dg_spectrum(
    spectra: ArrayLike | Mapping[str, ArrayLike],
    *,
    lr: float | None = None,
    hessian: bool = False,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""Eigenvalues of the GD Jacobian :math:`DG_\eta` in the complex plane with the unit circle.

    A fixed point is linearly stable when all eigenvalues lie in the closed unit disc and
    unstable when one lies outside (docs/math/gd-map.md).  On M the tangent directions give
    eigenvalue 1
    (C3); an eigenvalue below −1 (a Hessian eigenvalue above :math:`2/\eta`) makes the
    minimum unstable — the flip at :math:`\eta^*` (C8).

    Parameters
    ----------
    spectra
        Eigenvalues (real or complex), or ``{label: eigenvalues}`` for several fixed points.
    lr
        Step size; required when ``hessian=True`` and shown in the title.  A repeated
        eigenvalue is marked "×k" next to its marker (not in the legend).
    hessian
        ``spectra`` are Hessian eigenvalues; convert them to :math:`1 - \eta\lambda`.
    """
    groups = dict(spectra) if isinstance(spectra, Mapping) else {"fixed point": spectra}
    if not groups:
        raise InvalidParameterError("spectra must contain at least one set of eigenvalues")
    if hessian and lr is None:
        raise InvalidParameterError("lr must be given when hessian=True (DG = I - lr H)")
    markers = ["o", "s", "^", "D", "v", "P", "X"]
    with style_context():
        fig, ax = _target(ax, width=7.0, height=3.8)
        t = np.linspace(0.0, 2.0 * np.pi, 400)
        ax.plot(np.cos(t), np.sin(t), color=COLORS["reference"], linewidth=1.0, label="unit circle")
        xmin, xmax, ymax = -1.0, 1.0, 1.0
        n_out = 0
        for i, (label, vals) in enumerate(groups.items()):
            z = np.asarray(vals).astype(np.complex128).ravel()
            if hessian:
                assert lr is not None
                z = 1.0 - check_positive_float("lr", lr) * z
            outside = np.abs(z) > 1.0 + 1e-12
            n_out += int(outside.sum())
            if z.size:
                xmin = min(xmin, float(z.real.min()))
                xmax = max(xmax, float(z.real.max()))
                ymax = max(ymax, float(np.abs(z.imag).max()))
            color = f"C{i % 7}"
            # later groups are drawn smaller and on top, so coinciding eigenvalues of several
            # fixed points (e.g. the tangent eigenvalue 1) stay visible as nested markers
            size = max(3.5, 9.0 - 1.8 * i)
            for v, c in _multiplicities(z):  # "×k" next to a repeated eigenvalue
                ax.annotate(
                    f"×{c}",
                    xy=(v.real, v.imag),
                    xytext=(6, 6 + 9 * i),
                    textcoords="offset points",
                    color=color,
                    fontsize=7,
                )
            ax.plot(
                z.real[~outside],
                z.imag[~outside],
                linestyle="none",
                marker=markers[i % len(markers)],
                color=color,
                markersize=size,
                markeredgecolor="white",
                markeredgewidth=0.6,
                zorder=3 + i,
                label=str(label),
            )
            if np.any(outside):
                ax.plot(
                    z.real[outside],
                    z.imag[outside],
                    linestyle="none",
                    marker=markers[i % len(markers)],
                    markerfacecolor="none",
                    markeredgecolor=COLORS["critical"],
                    markersize=9,
                    markeredgewidth=1.4,
                    label="_nolegend_",
                )
        if n_out:
            ax.plot(
                [],
                [],
                linestyle="none",
                marker="o",
                markerfacecolor="none",
                markeredgecolor=COLORS["critical"],
                markersize=9,
                label=r"$|z| > 1$: unstable direction",
            )
        lo_x = min(-1.25, 1.1 * xmin)
        hi_x = max(1.25, 1.1 * xmax)
        lim_y = max(1.25, 1.15 * ymax)
        ax.set_xlim(lo_x, hi_x)
        ax.set_ylim(-lim_y, lim_y)
        ax.set_aspect("equal")
        ax.axhline(0, color=COLORS["reference"], linewidth=0.5)
        ax.axvline(0, color=COLORS["reference"], linewidth=0.5)
        ax.set_xlabel(r"Re $z$")
        ax.set_ylabel(r"Im $z$")
        ax.set_title(
            title
            if title is not None
            else (
                r"spectrum of $DG_\eta = I - \eta H$"
                + ("" if lr is None else rf", $\eta = {lr:.4g}$")
            )
        )
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return fig


@styled
def plot_fixed_point_spectrum(
    spectrum: FixedPointSpectrum,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    label: str | None = None,
) -> Figure:
    r"""The eigenvalues of :math:`DG_\eta` at one fixed point with the unit circle (C3)."""
    if not isinstance(spectrum, FixedPointSpectrum):
        raise InvalidParameterError(
            f"spectrum must be a FixedPointSpectrum; got {type(spectrum).__name__}"
        )
    name = label or ("minimum (on M)" if spectrum.on_manifold else "critical point")
    return plot_dg_spectrum({name: spectrum.dg_eigenvalues}, lr=spectrum.lr, ax=ax, title=title)


@styled
def plot_stability_report(report: StabilityReport, *, title: str | None = None) -> Figure:
    r"""The figure of a :class:`~dynsys_gd.analysis.stability.StabilityReport`: the spectrum of
    :math:`DG_\eta` at the flattest minimum with the unit circle (C3, left) and the sharpness of
    the sampled minima against :math:`2/\eta` and :math:`S_{\min}` (C5, right): a minimum is
    linearly stable iff its sharpness is below :math:`2/\eta`."""
    if not isinstance(report, StabilityReport):
        raise InvalidParameterError(
            f"report must be a StabilityReport; got {type(report).__name__}"
        )
    with style_context():
        fig, axes = new_figure(1, 2, width=11.0, height=3.8)
        plot_dg_spectrum(
            {"flattest minimum": report.flattest_spectrum.dg_eigenvalues},
            lr=report.lr,
            ax=axes[0],
            title=rf"$DG_\eta$ at the flattest minimum, $\eta = {report.lr:.4g}$",
        )
        ax = axes[1]
        s = np.sort(report.minima_sharpness)
        stable = s < 2.0 / report.lr
        idx = np.arange(1, s.size + 1)
        ax.plot(idx[stable], s[stable], "o", color=COLORS["tertiary"], label="stable at this lr")
        ax.plot(
            idx[~stable],
            s[~stable],
            "o",
            color=COLORS["critical"],
            markerfacecolor="none",
            label="unstable at this lr",
        )
        ax.axhline(
            2.0 / report.lr,
            color=COLORS["critical"],
            linestyle="--",
            label=rf"$2/\eta = {2.0 / report.lr:.4g}$",
        )
        ax.axhline(
            report.min_sharpness,
            color=COLORS["secondary"],
            linestyle=":",
            label=rf"$S_{{\min}} = {report.min_sharpness:.4g}$",
        )
        ax.set_xlabel("sampled minima (sorted by sharpness)")
        ax.set_ylabel(r"sharpness $\lambda_{\max}(H)$")
        ax.set_title(
            f"{s.size} sampled minima of M: {report.stable_fraction:.0%} stable", fontsize=10
        )
        ax.legend(loc="upper left", fontsize=8)
        if title:
            fig.suptitle(title)
    return fig
