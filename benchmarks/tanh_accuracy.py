"""Accuracy of the engine's tanh against mpmath (120 bits), next to the C library's and numpy's.

Run: ``python benchmarks/tanh_accuracy.py [--quick]``.  Prints the largest and the mean error in
units in the last place of the correctly rounded value, on the same arguments for all three:
uniform on [-1, 1] and [-25, 25], N(0, 0.01^2), log-uniform magnitudes 1e-320 .. 1, uniform on
[-0.4, 0.4] and [0.1, 0.2] (95,000 arguments; ``--quick``: 950).
"""

from __future__ import annotations

import argparse
import math

import mpmath
import numpy as np

from dynsys_gd.numeric.engine.activations import tanh_array


def arguments(scale: int) -> np.ndarray:
    rng = np.random.default_rng(5)
    return np.concatenate(
        [
            rng.uniform(-1, 1, 200 * scale),
            rng.uniform(-25, 25, 200 * scale),
            rng.standard_normal(200 * scale) * 0.01,
            10.0 ** rng.uniform(-320, 0, 50 * scale) * rng.choice([-1, 1], 50 * scale),
            rng.uniform(-0.4, 0.4, 200 * scale),
            rng.uniform(0.1, 0.2, 100 * scale),
        ]
    )


def ulp_errors(values: np.ndarray, xs: np.ndarray) -> np.ndarray:
    out = np.empty(xs.size)
    with mpmath.workprec(120):
        for i, (v, x) in enumerate(zip(values.tolist(), xs.tolist(), strict=True)):
            t = mpmath.tanh(mpmath.mpf(x))
            ulp = math.ulp(float(abs(t))) if t != 0 else 5e-324
            out[i] = float(abs(mpmath.mpf(v) - t)) / ulp
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="950 arguments (smoke test)")
    args = ap.parse_args()
    xs = arguments(1 if args.quick else 100)
    print(f"{xs.size} arguments; error in ulp of the correctly rounded tanh")
    for name, vals in (
        ("engine tanh (dynsys_gd)", tanh_array(xs)),
        ("C library (math.tanh)", np.array([math.tanh(x) for x in xs.tolist()])),
        ("numpy.tanh", np.tanh(xs)),
    ):
        e = ulp_errors(vals, xs)
        share = float(np.mean(e > 1))
        print(f"{name:26s} max {e.max():.3f}  mean {e.mean():.3f}  share > 1 ulp {share:.4f}")


if __name__ == "__main__":
    main()
