"""Symbolic derivations agree with finite differences (float64 and 50-digit mpmath)."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.symbolic.codegen import compile_model


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
