r"""Figures of the transition at the critical step size (matplotlib, safe under ``Agg``).

Every function takes result objects of the analysis layer *or* plain arrays, draws in the
house style of :mod:`dynsys_gd.reporting.style`, and returns the
:class:`~matplotlib.figure.Figure` (pass ``ax=`` to draw into an existing axes instead).
:func:`save_figure` writes ``<stem>.png`` and ``<stem>.pdf``.

=====================================  ===========================================================
function                               shows
=====================================  ===========================================================
:func:`plot_convergent_fraction`       converged fraction vs η with Clopper–Pearson bands, η*
                                       marked, optional outcome shares (C6)
:func:`plot_gradient_norm_transition`  asymptotic gradient norm g∞(η) on a log scale (C7); exact
                                       zeros drawn at a floor, with a note
:func:`plot_basin_slice`               outcomes on a 2-D slice of parameter space (C6, C8)
:func:`plot_sharpness_along_manifold`  λ_max(H) along the minima manifold M with the 2/η line
                                       (C3–C5)
:func:`plot_dg_spectrum`               eigenvalues of DG_η = I − ηH in the complex plane with the
                                       unit circle (C3)
:func:`plot_sweep`                     a ``SweepResult``: fraction and g∞ against η (C6, C7)
:func:`plot_outcomes`                  a ``ConvergenceEstimate``: one bar per outcome (C6)
:func:`plot_fixed_point_spectrum`      a ``FixedPointSpectrum``: DG eigenvalues, unit circle (C3)
:func:`plot_stability_report`          a ``StabilityReport``: DG at the flattest minimum, the
                                       sampled minima against 2/η (C3, C5)
=====================================  ===========================================================

The functions live by figure family in :mod:`~dynsys_gd.reporting.transition_figures`,
:mod:`~dynsys_gd.reporting.basin_figures` and :mod:`~dynsys_gd.reporting.stability_figures`;
this module gathers them (and :func:`save_figure`) under one name.

Theory recap (docs/math/index.md): on M the Jacobian of the GD map has eigenvalue 1 on the tangent
space
and :math:`1 - \eta\lambda_i` on the normal directions (C3).  A minimum is linearly stable iff
:math:`\lambda_{\max}(H) < 2/\eta`; the flattest minimum has :math:`S_{\min}` and
:math:`\eta^* = 2/S_{\min}` (C5).  Above :math:`\eta^*` the convergent set is null (C6) and the
asymptotic gradient norm jumps from 0 to a positive value (C7).
"""

from __future__ import annotations

from .basin_figures import plot_basin_slice
from .stability_figures import (
    plot_dg_spectrum,
    plot_fixed_point_spectrum,
    plot_sharpness_along_manifold,
    plot_stability_report,
)
from .style import save_figure
from .transition_figures import (
    plot_convergent_fraction,
    plot_gradient_norm_transition,
    plot_outcomes,
    plot_sweep,
)

__all__ = [
    "plot_basin_slice",
    "plot_convergent_fraction",
    "plot_dg_spectrum",
    "plot_fixed_point_spectrum",
    "plot_gradient_norm_transition",
    "plot_outcomes",
    "plot_sharpness_along_manifold",
    "plot_stability_report",
    "plot_sweep",
    "save_figure",
]
