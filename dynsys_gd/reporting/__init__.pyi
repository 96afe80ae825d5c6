# The public face of the reporting layer; dynsys_gd/reporting/__init__.py loads each name lazily.
from .basin_figures import plot_basin_slice as plot_basin_slice
from .beyond_figures import plot_bifurcation as plot_bifurcation
from .beyond_figures import plot_lyapunov as plot_lyapunov
from .beyond_figures import plot_null_point_run as plot_null_point_run
from .beyond_figures import plot_null_set as plot_null_set
from .continuation_figures import plot_attractor_fractions as plot_attractor_fractions
from .continuation_figures import plot_continuation as plot_continuation
from .eos_figures import plot_catapult_phase_diagram as plot_catapult_phase_diagram
from .eos_figures import plot_sharpness_trace as plot_sharpness_trace
from .nonlinear_figures import plot_nonlinear_sweep as plot_nonlinear_sweep
from .stability_figures import plot_dg_spectrum as plot_dg_spectrum
from .stability_figures import plot_fixed_point_spectrum as plot_fixed_point_spectrum
from .stability_figures import plot_sharpness_along_manifold as plot_sharpness_along_manifold
from .stability_figures import plot_stability_report as plot_stability_report
from .style import COLORS as COLORS
from .style import OUTCOME_COLORS as OUTCOME_COLORS
from .style import OUTCOME_LABELS as OUTCOME_LABELS
from .style import apply_style as apply_style
from .style import mark_critical_lr as mark_critical_lr
from .style import new_figure as new_figure
from .style import save_figure as save_figure
from .style import style_context as style_context
from .text import counts_table as counts_table
from .text import format_table as format_table
from .transition_figures import plot_convergent_fraction as plot_convergent_fraction
from .transition_figures import plot_gradient_norm_transition as plot_gradient_norm_transition
from .transition_figures import plot_outcomes as plot_outcomes
from .transition_figures import plot_sweep as plot_sweep

__all__: list[str]
