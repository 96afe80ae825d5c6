"""dynsys_gd: gradient descent as a discrete dynamical system.

Symbolic and numeric checks of the theory of large learning rates (Crăciun & Ghoshdastidar,
arXiv:2402.13108).  See MATH.md for the claims C1–C9 the toolkit verifies.

Public names are imported lazily, so ``import dynsys_gd`` stays fast and each layer loads only
when it is used.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import ConvergenceError, DynsysGDError, InvalidParameterError

__version__ = "0.1.0"

#: public name -> module (relative to the package) that defines it
_LAZY: dict[str, str] = {
    # symbolic layer
    "LinearNetwork": ".symbolic.models",
    "LossModel": ".symbolic.models",
    "convert_lr": ".symbolic.models",
    "convention_factor": ".symbolic.models",
    "derive": ".symbolic.derivation",
    # numeric layer
    "numeric_model": ".numeric.kernels",
    "min_sharpness": ".numeric.sharpness",
    "critical_lr": ".numeric.sharpness",
    "flattest_minimum": ".numeric.sharpness",
    "FlattestMinimum": ".numeric.sharpness",
    "FixedPointClass": ".numeric.spectra",
    "FixedPointSpectrum": ".numeric.spectra",
    "fixed_point_spectrum": ".numeric.spectra",
    "certified_spectrum": ".numeric.certified",
    "Outcome": ".numeric.outcomes",
    "MLP": ".numeric.mlp",
    "run_gd": ".numeric.engine",
    "EngineConfig": ".numeric.engine",
    "RunBatch": ".numeric.engine",
    "BasinSlice": ".analysis.basins",
    "clopper_pearson": ".analysis.intervals",
    "ResultsStore": ".analysis.store",
    "make_executor": ".analysis.distributed",
    "map_tasks": ".analysis.distributed",
    # analysis layer
    "stability_analysis": ".analysis.stability",
    "StabilityReport": ".analysis.stability",
    "LRVerdict": ".analysis.stability",
    "run_claims": ".analysis.claims",
    "ClaimsReport": ".analysis.claims",
    "nonsingularity_certificate": ".analysis.certificates",
    "estimate_convergent_fraction": ".analysis.convergence",
    "ConvergenceEstimate": ".analysis.convergence",
    "lr_sweep": ".analysis.sweep",
    "SweepResult": ".analysis.sweep",
    "basin_slice": ".analysis.basins",
    "nonlinear_sweep": ".analysis.nonlinear",
    "NonlinearSweepResult": ".analysis.nonlinear",
    "digits_dataset": ".analysis.nonlinear",
    "teacher_student_dataset": ".analysis.nonlinear",
    "lanczos_sharpness": ".numeric.lanczos",
    "find_periodic_orbits": ".numeric.periodic",
    "period_two_orbit": ".numeric.periodic",
    "PeriodicOrbit": ".numeric.periodic",
    "lyapunov_exponent": ".numeric.lyapunov",
    "bifurcation_diagram": ".analysis.bifurcation",
    "period_doubling_cascade": ".analysis.bifurcation",
    "null_points_on_line": ".analysis.nullset",
    "follow_null_point": ".analysis.nullset",
}

#: public name -> name inside its module, where they differ
_RENAMED: dict[str, str] = {"lanczos_sharpness": "sharpness"}

__all__ = [
    "ConvergenceError",
    "DynsysGDError",
    "InvalidParameterError",
    "__version__",
    *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dynsys_gd' has no attribute {name!r}")
    attr = _RENAMED.get(name, name)
    value = getattr(importlib.import_module(module, __name__), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
