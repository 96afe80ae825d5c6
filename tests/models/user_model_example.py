"""A user's own model class, written against the public model protocol only (docs/models.md).

This is the worked example of CONTRIBUTING.md ("a new model kind is one new file"): the loss
:math:`L(x, y) = \\tfrac12 (xy - 1)^2` with its derivatives by hand, no base class, no
registration. ``tests/models/test_user_model.py`` type-checks this file with mypy and runs it
through the analyses.
"""

from __future__ import annotations

import hashlib

import numpy as np
from numpy.typing import NDArray

import dynsys_gd as dg

Array = NDArray[np.float64]


class ProductLoss:
    """:math:`L(x, y) = \\tfrac12 (xy - t)^2` for a target :math:`t`, batched on the last axis.

    Gradient :math:`r\\,(y, x)` with :math:`r = xy - t`; Hessian
    :math:`\\begin{pmatrix} y^2 & 2xy - t \\\\ 2xy - t & x^2 \\end{pmatrix}`.
    """

    n_params: int = 2

    def __init__(self, target: float = 1.0) -> None:
        self.target = float(target)

    def loss(self, theta: Array) -> Array:
        th = np.asarray(theta, dtype=np.float64)
        r = th[..., 0] * th[..., 1] - self.target
        out: Array = 0.5 * r * r
        return out

    def gradient(self, theta: Array) -> Array:
        th = np.asarray(theta, dtype=np.float64)
        x, y = th[..., 0], th[..., 1]
        r = x * y - self.target
        return np.stack([r * y, r * x], axis=-1)

    def hessian(self, theta: Array) -> Array:
        th = np.asarray(theta, dtype=np.float64)
        x, y = th[..., 0], th[..., 1]
        off = 2.0 * x * y - self.target
        return np.stack([np.stack([y * y, off], -1), np.stack([off, x * x], -1)], -2)

    def hvp(self, theta: Array, v: Array) -> Array:
        H = self.hessian(theta)
        return np.einsum("...ij,...j->...i", H, np.asarray(v, dtype=np.float64))

    def fingerprint(self) -> str:
        return hashlib.sha256(f"ProductLoss(target={self.target!r})".encode()).hexdigest()


def run_example(store_path: str) -> dict[str, object]:
    """Run the user model through the analyses that need only the protocol."""
    model: dg.Model = ProductLoss(1.0)
    est: dg.ConvergenceEstimate = dg.estimate_convergent_fraction(model, 0.5, n_samples=400, seed=1)
    spectrum: dg.FixedPointSpectrum = dg.fixed_point_spectrum(model, [1.0, 1.0], 0.5)
    sweep: dg.SweepResult = dg.lr_sweep(model, [0.5, 1.5], n_samples=200, seed=2, store=store_path)
    batch: dg.RunBatch = dg.run_gd(model, [[2.0, 0.25], [0.5, 1.0]], 0.5)
    report: dg.StabilityReport = dg.stability_analysis(model, 0.5, n_samples=200, seed=3)
    return {
        "estimate": est,
        "spectrum": spectrum,
        "sweep": sweep,
        "batch": batch,
        "report": report,
    }


def landscape_example() -> dict[str, object]:
    """The landscape functions on the user model (numerical, not certified: no symbolic form)."""
    model: dg.Model = ProductLoss(1.0)
    points: dg.CriticalPointsResult = dg.critical_points(model, 3.0, lr=0.5)
    flat: dg.FlattestMinimum = dg.flattest_minimum(model)
    s_min: float = dg.min_sharpness(model)
    eta_gd: float = dg.critical_lr(model)
    eta_hb: float = dg.critical_lr(model, optimizer=dg.HeavyBall(beta=0.5))
    return {"points": points, "flat": flat, "s_min": s_min, "eta_gd": eta_gd, "eta_hb": eta_hb}
