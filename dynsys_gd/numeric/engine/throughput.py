"""Measured throughputs of the engine paths, and the cost bound of one run derived from them
(the constants behind :mod:`~dynsys_gd.numeric.engine.cost` and the engine's slice sizes)."""

from __future__ import annotations

__all__ = [
    "COMPILED_THROUGHPUT",
    "MLP_THROUGHPUT",
    "NUMPY_THROUGHPUT",
    "seconds_per_run_bound",
]

#: parameter-steps per second of the compiled lane kernels (measured 3.6e8 to 7e8)
COMPILED_THROUGHPUT = 5.0e8

#: parameter-steps per second of the numpy path on sympy losses and other models
NUMPY_THROUGHPUT = 3.0e6

#: parameter-data-point-steps per second of the compiled MLP kernel (measured 7.4e8 for one run
#: of the (8, 16, 1) tanh MLP on the 64 digits points, up to 2.4e9 for 32 runs of (8, 64, 64, 1))
MLP_THROUGHPUT = 7.0e8


def seconds_per_run_bound(n_params: int, steps: int, points: int = 1) -> float:
    """Upper bound of the CPU seconds of one compiled run of ``steps`` steps (the step cap) on
    ``n_params`` parameters and ``points`` data points (1 unless an MLP)."""
    rate = MLP_THROUGHPUT if points > 1 else COMPILED_THROUGHPUT
    return float(steps) * n_params * points / rate
