# The public face of dynsys_gd, grouped by task.  Type checkers read this stub; at run time
# dynsys_gd/__init__.py loads each name lazily from the module named here (lazy_loader).
# Import order is by task, not alphabetical (ruff's I001 is off for this file).

# -- errors -----------------------------------------------------------------------------------
from .errors import ConvergenceError as ConvergenceError
from .errors import DynsysGDError as DynsysGDError
from .errors import InvalidParameterError as InvalidParameterError
from .errors import MissingDependencyError as MissingDependencyError
from .errors import NonRealLossError as NonRealLossError

# -- models: what is studied ------------------------------------------------------------------
from .models.conventions import CONVENTIONS as CONVENTIONS
from .models.conventions import convention_factor as convention_factor
from .models.conventions import convert_lr as convert_lr
from .models.datasets import Dataset as Dataset
from .models.datasets import digits_dataset as digits_dataset
from .models.datasets import teacher_student_dataset as teacher_student_dataset
from .models.linear import LinearNetwork as LinearNetwork
from .models.loss import LossModel as LossModel
from .models.mlp import MLP as MLP
from .models.iterated_map import IteratedMap as IteratedMap
from .models.protocol import Model as Model
from .models.jax_model import JaxModel as JaxModel

# -- optimisers: the maps that are iterated ---------------------------------------------------
from .optimizers import GD as GD
from .optimizers import HeavyBall as HeavyBall
from .optimizers import Nesterov as Nesterov
from .optimizers import Preconditioned as Preconditioned
from .optimizers import LayerwiseGD as LayerwiseGD
from .optimizers import Adam as Adam
from .optimizers import Optimizer as Optimizer

# -- symbolic derivations ---------------------------------------------------------------------
from .symbolic.derivation import Derivation as Derivation
from .symbolic.derivation import derive as derive

# -- minima, sharpness and the critical step size ---------------------------------------------
from .numeric.landscape.curves import ManifoldSharpness as ManifoldSharpness
from .numeric.landscape.curves import normal_spectrum as normal_spectrum
from .numeric.landscape.curves import rebalancing_curve as rebalancing_curve
from .numeric.landscape.curves import sharpness_along_manifold as sharpness_along_manifold
from .numeric.landscape.depth2_sdp import SminCertificate as SminCertificate
from .numeric.landscape.depth2_sdp import (
    certified_min_sharpness_depth2 as certified_min_sharpness_depth2,
)
from .numeric.landscape.smin_certificate import DeepSminCertificate as DeepSminCertificate
from .numeric.landscape.sharpness import (
    certified_min_sharpness_deep as certified_min_sharpness_deep,
)
from .numeric.kernels import numeric_model as numeric_model
from .numeric.landscape.lanczos import lanczos_sharpness as lanczos_sharpness
from .numeric.landscape.sharpness import FlattestMinimum as FlattestMinimum
from .numeric.landscape.optimizer_lr import critical_lr as critical_lr
from .numeric.landscape.sharpness import flattest_minimum as flattest_minimum
from .numeric.landscape.sharpness import min_sharpness as min_sharpness
from .numeric.landscape.variety import MinimaVariety as MinimaVariety
from .numeric.landscape.variety import minima_variety as minima_variety

# -- fixed points, critical points and their stability ----------------------------------------
from .analysis.stability import LRVerdict as LRVerdict
from .analysis.stability import StabilityReport as StabilityReport
from .analysis.stability import stability_analysis as stability_analysis
from .analysis.stability_optimizer import OptimizerSpectrum as OptimizerSpectrum
from .numeric.landscape.critical_points import CriticalPointsResult as CriticalPointsResult
from .numeric.landscape.model_points import critical_points as critical_points
from .numeric.landscape.enclosures import certified_spectrum as certified_spectrum
from .numeric.landscape.limits import LimitKind as LimitKind
from .numeric.landscape.limits import LimitLabels as LimitLabels
from .numeric.landscape.limits import label_limits as label_limits
from .numeric.landscape.spectra import FixedPointClass as FixedPointClass
from .numeric.landscape.spectra import FixedPointSpectrum as FixedPointSpectrum
from .numeric.landscape.spectra import fixed_point_spectrum as fixed_point_spectrum

# -- running gradient descent -----------------------------------------------------------------
from .numeric.engine.run import EngineConfig as EngineConfig
from .numeric.engine.run import RecordSpec as RecordSpec
from .numeric.engine.run import RunBatch as RunBatch
from .numeric.engine.run import Trajectory as Trajectory
from .numeric.engine.run import run_gd as run_gd
from .numeric.engine.outcomes import Outcome as Outcome

# -- the convergent set -----------------------------------------------------------------------
from .analysis.basins import BasinSlice as BasinSlice
from .analysis.basins import basin_slice as basin_slice
from .analysis.basins_grid import BasinGrid as BasinGrid
from .analysis.basins_grid import basins_of_attraction as basins_of_attraction
from .analysis.fractal import BasinEntropy as BasinEntropy
from .analysis.fractal import FractalTest as FractalTest
from .analysis.fractal import ScalingFit as ScalingFit
from .analysis.fractal import basin_entropy as basin_entropy
from .analysis.fractal import boundary_dimension as boundary_dimension
from .analysis.fractal import fractal_test as fractal_test
from .analysis.fractal import uncertainty_exponent as uncertainty_exponent
from .analysis.trainability import TrainabilityMap as TrainabilityMap
from .analysis.trainability import sohl_dickstein_mlp as sohl_dickstein_mlp
from .analysis.trainability import trainability_map as trainability_map
from .analysis.trainability_zoom import ZoomSequence as ZoomSequence
from .analysis.trainability_zoom import zoom_sequence as zoom_sequence
from .analysis.basins_wada import WadaTest as WadaTest
from .analysis.basins_wada import wada_test as wada_test
from .analysis.convergence import ConvergenceEstimate as ConvergenceEstimate
from .analysis.convergence import estimate_convergent_fraction as estimate_convergent_fraction
from .analysis.intervals import clopper_pearson as clopper_pearson
from .analysis.sweep import SweepResult as SweepResult
from .analysis.sweep import lr_sweep as lr_sweep

# -- non-linear networks ----------------------------------------------------------------------
from .analysis.catapult import CatapultPhaseDiagram as CatapultPhaseDiagram
from .analysis.catapult import catapult_outcome as catapult_outcome
from .analysis.catapult import catapult_phase_diagram as catapult_phase_diagram
from .analysis.edge_of_stability import SharpnessTrace as SharpnessTrace
from .analysis.edge_of_stability import sharpness_trace as sharpness_trace
from .analysis.nonlinear import NonlinearSweepResult as NonlinearSweepResult
from .analysis.nonlinear import nonlinear_sweep as nonlinear_sweep

# -- beyond the paper -------------------------------------------------------------------------
from .analysis.bifurcation import BifurcationDiagram as BifurcationDiagram
from .analysis.bifurcation import CascadeResult as CascadeResult
from .analysis.bifurcation import bifurcation_diagram as bifurcation_diagram
from .analysis.bifurcation import period_doubling_cascade as period_doubling_cascade
from .analysis.attractors import AttractorFractions as AttractorFractions
from .analysis.attractors import attractor_fractions as attractor_fractions
from .analysis.continuation import ContinuationResult as ContinuationResult
from .analysis.continuation import FlipCurve as FlipCurve
from .analysis.continuation import continue_orbits as continue_orbits
from .analysis.continuation import flip_curve as flip_curve
from .analysis.nullset import NullSetPoint as NullSetPoint
from .analysis.nullset import follow_null_point as follow_null_point
from .analysis.nullset import null_points_on_line as null_points_on_line
from .numeric.orbits.invariant_density import InvariantDensity as InvariantDensity
from .numeric.orbits.invariant_density import invariant_density as invariant_density
from .numeric.orbits.lyapunov import LyapunovResult as LyapunovResult
from .numeric.orbits.lyapunov import lyapunov_exponent as lyapunov_exponent
from .numeric.orbits.lyapunov_spectrum import LyapunovSpectrum as LyapunovSpectrum
from .numeric.orbits.lyapunov_spectrum import lyapunov_spectrum as lyapunov_spectrum
from .numeric.orbits.periodic import PeriodicOrbit as PeriodicOrbit
from .numeric.orbits.periodic import find_periodic_orbits as find_periodic_orbits
from .numeric.orbits.periodic import period_two_orbit as period_two_orbit

# -- claims C1-C9 -----------------------------------------------------------------------------
from .claims.certificates import ManifoldCertificate as ManifoldCertificate
from .claims.certificates import NonsingularityCertificate as NonsingularityCertificate
from .claims.certificates import nonsingularity_certificate as nonsingularity_certificate
from .claims.registry import run_claims as run_claims
from .claims.report import ClaimResult as ClaimResult
from .claims.report import ClaimsReport as ClaimsReport
from .claims.report import Status as Status

# -- running many tasks -----------------------------------------------------------------------
from .runtime.executors import make_executor as make_executor
from .runtime.executors import map_tasks as map_tasks
from .runtime.store import ResultsStore as ResultsStore

__version__: str
__all__: list[str]
