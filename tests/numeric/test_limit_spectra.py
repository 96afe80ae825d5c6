"""The closed-form spectrum on M of a linear network's limits against the dense eigenvalues at
the limits: the bound holds, and the annotations (minimum or saddle, certified) are the ones the
dense path gives."""

from __future__ import annotations

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.numeric.engine import EngineConfig, run_gd
from dynsys_gd.numeric.engine import limits as limits_mod
from dynsys_gd.numeric.engine.limit_spectra import net_limit_spectra, net_limit_spectra_reference
from dynsys_gd.numeric.kernels import hessian_eigvalsh, numeric_model

_NETS = [
    ("scalar depth 3", lambda: dg.LinearNetwork.scalar(depth=3, target=2.0), 0.2, 1.5),
    (
        "whitened (2,2,2)",
        lambda: dg.LinearNetwork.from_covariances(
            (2, 2, 2), Sxx=np.eye(2), Syx=np.array([[1.5, 0.3], [-0.2, 0.7]])
        ),
        0.4,
        1.0,
    ),
    (
        "(2,3,2) with a non-white input covariance",
        lambda: dg.LinearNetwork.from_covariances(
            (2, 3, 2),
            Sxx=np.array([[1.0, 0.3], [0.3, 0.5]]),
            Syx=np.array([[0.8, 0.1], [-0.3, 0.6]]),
        ),
        0.3,
        1.0,
    ),
    (
        "(1,4,1)",
        lambda: dg.LinearNetwork.from_covariances((1, 4, 1), Sxx=np.eye(1), Syx=np.array([[2.0]])),
        0.3,
        0.7,
    ),
]


def _converged(net: dg.LinearNetwork, lr: float, scale: float) -> np.ndarray:
    th0 = np.random.default_rng(4).normal(0.0, scale, (300, net.n_params))
    rb = run_gd(net, th0, lr, config=EngineConfig(limits=False, certificate=False), workers=1)
    assert rb.has_limit.sum() >= 20
    out: np.ndarray = rb.theta[rb.has_limit]
    return out


@pytest.mark.parametrize(("name", "make", "lr", "scale"), _NETS, ids=[n[0] for n in _NETS])
def test_closed_form_spectrum_bounds_the_dense_one(name, make, lr, scale) -> None:
    net = make()
    m = numeric_model(net)
    th = _converged(net, lr, scale)
    chol = np.linalg.cholesky(net.Sxx)
    sp = net_limit_spectra(net, m, th, chol, max(1.0, float(np.linalg.norm(net.W_star))))
    dense = hessian_eigvalsh(m, th)
    assert sp.valid.all()
    codim = net.widths[0] * net.widths[-1]
    # Weyl: the top codim dense eigenvalues within the bound of the normal ones, the rest of 0
    assert np.all(np.abs(dense[:, -codim:] - sp.normal) <= sp.bound[:, None])
    if net.n_params > codim:
        assert np.all(np.abs(dense[:, :-codim]) <= sp.bound[:, None])
    # the bound is far below the tolerances at converged limits (so it decides)
    assert np.all(sp.bound <= 1e-8 * np.maximum(1.0, sp.normal[:, -1]))


@pytest.mark.parametrize(("name", "make", "lr", "scale"), _NETS, ids=[n[0] for n in _NETS])
def test_annotations_match_the_dense_path(name, make, lr, scale, monkeypatch) -> None:
    net = make()
    m = numeric_model(net)
    th0 = np.random.default_rng(5).normal(0.0, scale, (300, net.n_params))
    cfg = EngineConfig()
    rb = run_gd(net, th0, lr, config=EngineConfig(limits=False, certificate=False), workers=1)
    lrs = np.full(th0.shape[0], lr)
    fast = limits_mod.annotate_limits(net, m, cfg, rb.theta, lrs, rb.has_limit)
    monkeypatch.setattr(limits_mod, "_net_spectra", lambda *a: None)
    dense = limits_mod.annotate_limits(net, m, cfg, rb.theta, lrs, rb.has_limit)
    for key in ("at_minimum", "certified"):
        np.testing.assert_array_equal(fast[key], dense[key])
    top = np.maximum(1.0, np.abs(dense["sharpness"]))
    assert np.all(np.abs(fast["sharpness"] - dense["sharpness"]) <= 1e-8 * top)
    assert np.all(np.abs(fast["lam_min"] - dense["lam_min"]) <= 1e-8 * top)
    assert fast["certified"].sum() > 0


_WIDER = [
    *_NETS,
    (
        "(3,4,2) depth 3 with a correlated input",
        lambda: dg.LinearNetwork.from_covariances(
            (3, 4, 2, 2),
            Sxx=np.array([[2.0, 0.3, 0.0], [0.3, 1.0, 0.1], [0.0, 0.1, 0.5]]),
            Syx=np.array([[1.0, 0.2, -0.3], [0.1, 0.8, 0.4]]),
        ),
        0.15,
        0.7,
    ),
]


@pytest.mark.parametrize(("name", "make", "lr", "scale"), _WIDER, ids=[n[0] for n in _WIDER])
def test_compiled_rows_agree_with_the_batched_reference(name, make, lr, scale) -> None:
    net = make()
    m = numeric_model(net)
    th = _converged(net, lr, scale)
    # limits, and points 1e-3 away from them (several Gauss-Newton steps)
    th = np.concatenate([th, th + 1e-3 * np.random.default_rng(6).standard_normal(th.shape)])
    chol = np.linalg.cholesky(net.Sxx)
    s = max(1.0, float(np.linalg.norm(net.W_star)))
    a = net_limit_spectra(net, m, th, chol, s)
    b = net_limit_spectra_reference(net, m, th, chol, s)
    assert np.array_equal(a.valid, b.valid) and a.valid.all()
    top = np.abs(b.normal[:, -1:])
    assert np.all(np.abs(a.normal - b.normal) <= 1e-13 * np.maximum(1.0, top))
    assert np.allclose(a.fixed, b.fixed, rtol=0.0, atol=1e-13)
    # the bounds are rounding-sized at a limit: they agree to rounding of the spectrum's scale
    tol = 1e-13 * np.maximum(1.0, top[:, 0])
    assert np.all(np.abs(a.bound - b.bound) <= 1e-6 * b.bound + tol)
    assert np.all(np.abs(a.bound_fixed - b.bound_fixed) <= tol)


def test_compiled_rows_do_not_depend_on_the_batch() -> None:
    net = _NETS[1][1]()
    m = numeric_model(net)
    th = _converged(net, 0.4, 1.0)
    chol = np.linalg.cholesky(net.Sxx)
    whole = net_limit_spectra(net, m, th, chol, 1.0)
    k = th.shape[0] // 3
    parts = [net_limit_spectra(net, m, th[a:b], chol, 1.0) for a, b in ((0, k), (k, th.shape[0]))]
    for f in ("fixed", "valid", "normal", "bound", "bound_fixed"):
        assert np.array_equal(getattr(whole, f), np.concatenate([getattr(p, f) for p in parts]))


def test_a_point_far_from_the_minima_is_not_valid() -> None:
    net = _NETS[1][1]()
    m = numeric_model(net)
    # W(theta) = 0 with J = 0 (every layer zero): Gauss-Newton cannot move, no projection
    th = np.zeros((1, net.n_params))
    sp = net_limit_spectra(net, m, th, np.eye(2), 1.0)
    ref = net_limit_spectra_reference(net, m, th, np.eye(2), 1.0)
    assert not sp.valid[0] and not ref.valid[0]
    assert np.isinf(sp.normal).all()
