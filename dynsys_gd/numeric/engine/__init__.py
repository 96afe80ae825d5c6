"""The GD engine floor: the one GD loop with outcome classification (:mod:`.run`), its
compiled lane kernels and numpy twin, the outcome tests, the cost model and the limit
certificate."""

from .run import BACKENDS, EngineConfig, RecordSpec, RunBatch, Trajectory, run_gd

__all__ = ["BACKENDS", "EngineConfig", "RecordSpec", "RunBatch", "Trajectory", "run_gd"]
