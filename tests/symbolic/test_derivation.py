"""Symbolic derivations agree with finite differences (float64 and 50-digit mpmath)."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.symbolic.codegen import compile_model
from dynsys_gd.symbolic.derivation import Derivation, derive


def _models():
    rng = np.random.default_rng(3)
    x, y = sp.symbols("x y", real=True)
    return [
        dg.LinearNetwork.scalar(3, target=2.0),
        dg.LinearNetwork((2, 3, 2), X=rng.normal(size=(5, 2)), Y=rng.normal(size=(5, 2))),
        dg.LossModel(sp.Rational(1, 2) * (x * y - 1) ** 2, (x, y)),
        dg.LossModel(sp.log(sp.cosh(x * y)) + sp.Rational(1, 10) * x**2, (x, y)),
    ]


@pytest.mark.parametrize("model", _models(), ids=repr)
def test_gradient_and_hessian_match_central_differences_float64(model):
    fns = compile_model(model)
    rng = np.random.default_rng(4)
    P = model.n_params
    h = 1e-5
    for theta in rng.uniform(-1.2, 1.2, size=(3, P)):
        g = fns["gradient"](theta)
        H = fns["hessian"](theta)
        E = np.eye(P) * h
        g_fd = np.array([(fns["loss"](theta + e) - fns["loss"](theta - e)) / (2 * h) for e in E])
        H_fd = np.array(
            [(fns["gradient"](theta + e) - fns["gradient"](theta - e)) / (2 * h) for e in E]
        )
        np.testing.assert_allclose(g, g_fd, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(H, H_fd, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(H, H.T, atol=1e-14)


@pytest.mark.parametrize("model", _models()[::2], ids=repr)
def test_gradient_matches_differences_at_50_digits(model):
    fns = compile_model(model, backend="mpmath")
    with mpmath.workdps(50):
        theta = [mpmath.mpf(k + 1) / 7 for k in range(model.n_params)]
        g = fns["gradient"](np.array(theta, dtype=object))
        H = fns["hessian"](np.array(theta, dtype=object))
        h = mpmath.mpf(10) ** -15
        for i in range(model.n_params):
            tp = list(theta)
            tm = list(theta)
            tp[i] += h
            tm[i] -= h
            fd = (
                fns["loss"](np.array(tp, dtype=object)) - fns["loss"](np.array(tm, dtype=object))
            ) / (2 * h)
            # central differences have error O(h^2) = 1e-30, far below float64 resolution
            assert abs(g[i] - fd) < mpmath.mpf(10) ** -25
            gp = fns["gradient"](np.array(tp, dtype=object))
            gm = fns["gradient"](np.array(tm, dtype=object))
            for j in range(model.n_params):
                assert abs(H[j, i] - (gp[j] - gm[j]) / (2 * h)) < mpmath.mpf(10) ** -25


def test_gd_map_and_jacobian_definitions():
    net = dg.LinearNetwork.scalar(2, target=1)
    d = dg.derive(net)
    w1, w2 = d.params
    assert sp.simplify(d.gd_map()[0] - (w1 - d.eta * w2 * (w1 * w2 - 1))) == 0
    assert sp.simplify(d.jacobian(sp.Rational(1, 2)) - (sp.eye(2) - d.hessian / 2)) == sp.zeros(2)


def test_det_dg_closed_form_scalar_depth_two():
    """For L = 1/2 (w1 w2 - y)^2: tr H = w1^2 + w2^2, det H = -(3p - y)(p - y) with p = w1 w2,
    so det DG_eta = 1 - eta tr H + eta^2 det H."""
    net = dg.LinearNetwork.scalar(2, target=1)
    d = dg.derive(net)
    w1, w2 = d.params
    eta = d.eta
    expected = 1 - eta * (w1**2 + w2**2) - eta**2 * (3 * w1 * w2 - 1) * (w1 * w2 - 1)
    assert sp.expand(d.det_dg() - expected) == 0


def test_det_dg_at_matches_symbolic_and_is_exact():
    net = dg.LinearNetwork.scalar(3, target=Fraction(2))
    d = dg.derive(net)
    point = [Fraction(1, 3), Fraction(-2, 5), Fraction(7, 4)]
    lr = Fraction(1, 4)
    sym = d.det_dg(sp.Rational(1, 4)).subs(
        dict(zip(d.params, [sp.Rational(p.numerator, p.denominator) for p in point], strict=True))
    )
    assert d.det_dg_at(point, lr) == Fraction(int(sym.p), int(sym.q))


def test_det_dg_refuses_large_symbolic_expansion():
    net = dg.LinearNetwork.from_covariances((3, 3, 3), Sxx=np.eye(3), Syx=np.eye(3))
    with pytest.raises(
        dg.InvalidParameterError, match="n_params must be <= max_params = 8; got 18"
    ):
        dg.derive(net).det_dg()


def test_derivation_is_cached():
    net = dg.LinearNetwork.scalar(3)
    assert dg.derive(net) is dg.derive(net)
    assert dg.derive(net).hessian is dg.derive(net).hessian


# -- step sizes and sizes ----------------------------------------------------------------------
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), -0.5, 0, 0.0])
@pytest.mark.parametrize("method", ["gd_map", "jacobian", "det_dg"])
def test_lr_nan_inf_and_non_positive_are_refused(bad, method):
    """sympy.Rational(nan) == 0: a NaN step size used to give the identity map."""
    from dynsys_gd.errors import InvalidParameterError

    d = derive(dg.LinearNetwork.scalar(2, 1.0))
    with pytest.raises(InvalidParameterError, match=r"lr must be a finite float > 0; got "):
        getattr(d, method)(bad)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0])
def test_det_dg_at_refuses_bad_lr(bad):
    from dynsys_gd.errors import InvalidParameterError

    d = derive(dg.LinearNetwork.scalar(2, 1.0))
    with pytest.raises(InvalidParameterError, match=r"lr must be a finite float > 0; got "):
        d.det_dg_at([1, 2], bad)


def test_numpy_scalar_lr_is_taken_exactly():
    d = derive(dg.LinearNetwork.scalar(2, 1.0))
    half = sp.Rational(1, 2)
    for lr in (np.float32(0.5), np.float64(0.5), np.float16(0.5)):
        assert d.gd_map(lr) == d.gd_map(half)
    assert d.jacobian(np.int64(2)) == d.jacobian(sp.Integer(2))
    # det DG at (1, 2), eta = 1/4, by hand: H = [[4, 3], [3, 1]], det(I - H/4) = -9/16
    assert d.det_dg_at([1, 2], np.float32(0.25)) == Fraction(-9, 16)
    assert d.gd_map(sp.Symbol("h", positive=True))[0].has(sp.Symbol("h", positive=True))


def test_size_model_estimates_and_refuses_up_front():
    from dynsys_gd.errors import InvalidParameterError
    from dynsys_gd.symbolic.derivation import BYTES_PER_TERM, estimate_terms

    for w in [(2, 2, 2), (3, 3, 3, 3), (2, 3, 4, 2)]:
        net = dg.LinearNetwork.from_covariances(w, Sxx=np.eye(w[0]), Syx=np.ones((w[-1], w[0])))
        d = Derivation(net)
        est = estimate_terms(net)
        actual_loss = len(d.loss_poly)
        actual_grad = sum(len(g) for g in d.gradient_polys)
        assert actual_loss <= est["loss"] <= 1.3 * actual_loss
        assert actual_grad <= est["gradient"] * 1.1 and est["gradient"] <= 2.0 * actual_grad
    big = dg.LinearNetwork.from_covariances((8, 8, 8, 8, 8), Sxx=np.eye(8), Syx=np.eye(8))
    assert estimate_terms(big)["gradient"] * BYTES_PER_TERM > 8 * 2**30
    with pytest.raises(
        InvalidParameterError,
        match=r"widths=\(8, 8, 8, 8, 8\) needs about .* of memory for the symbolic gradient "
        r"\(an estimated .* polynomial terms\); the limit is",
    ):
        _ = Derivation(big).gradient_polys
    # depth 50 scalar: tiny polynomials, accepted
    assert len(derive(dg.LinearNetwork.scalar(50, 1.0)).gradient_polys) == 50


def test_expression_views_of_big_networks_are_priced_separately(monkeypatch):
    """sympy expressions cost ~100x the sparse polynomials per term: with a 10 s time limit the
    expression view of the (4, 4, 4, 4, 4) gradient is refused up front, its polynomials not."""
    from dynsys_gd.errors import InvalidParameterError

    monkeypatch.setenv("DYNSYS_GD_TIME_LIMIT", "10s")
    net = dg.LinearNetwork.from_covariances((4, 4, 4, 4, 4), Sxx=np.eye(4), Syx=np.eye(4))
    d = Derivation(net)
    with pytest.raises(
        InvalidParameterError, match=r"computing for the sympy expression of the gradient"
    ):
        _ = d.gradient
    assert len(d.loss_poly) == 31233  # the sparse polynomial is still there
