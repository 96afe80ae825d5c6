"""The engine on a non-linear network larger than the certificate's parameter limit."""

from __future__ import annotations

import numpy as np

import dynsys_gd as dg
from dynsys_gd.models.datasets import digits_dataset
from dynsys_gd.numeric.engine import EngineConfig, run_gd


def test_engine_classifies_mlp_runs_and_converged_limits_are_flat_enough():
    """C8 on an MLP with P > cert_max_params: converged runs end with lambda_max(H) <= 2/eta."""
    ds = digits_dataset()  # scikit-learn's bundled digits (no download)
    mlp = dg.MLP((8, 16, 1), "tanh", X=ds.X, Y=ds.Y)
    assert mlp.n_params > EngineConfig().cert_max_params
    theta0 = mlp.init(np.random.default_rng(0), 8)
    lr = 0.3
    r = run_gd(mlp, theta0, lr)
    counts = r.counts()
    assert sum(counts.values()) == 8
    conv = r.outcome == dg.Outcome.CONVERGED.code
    assert conv.any()
    assert np.all(r.sharpness[conv] <= 2 / lr * (1 + 1e-6))
    assert not np.any(r.certified)  # no certificate is attempted above the limit
