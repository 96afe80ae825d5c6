"""C10: certified det DG != 0 for tanh / ReLU networks; the depth-1 exception found exactly."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

import dynsys_gd as dg
from dynsys_gd.claims import check_c10
from dynsys_gd.claims.c10_nonsingular_mlp import det_dg_ball, hidden_layer_hessian
from dynsys_gd.claims.report import Status


def _case() -> tuple[list, list, list, list]:
    X = [[Fraction(1), Fraction(-1, 2)], [Fraction(0), Fraction(2)], [Fraction(3, 4), Fraction(1)]]
    y = [Fraction(1), Fraction(-1), Fraction(1, 2)]
    W = [[Fraction(1, 2), Fraction(1, 3)], [Fraction(-1), Fraction(1, 4)]]
    a = [Fraction(2, 3), Fraction(-1, 2)]
    return W, a, X, y


def test_ball_hessian_encloses_the_float_hessian_of_the_mlp() -> None:
    W, a, X, y = _case()
    th = np.array([float(v) for row in W for v in row] + [float(v) for v in a])
    for act in ("tanh", "relu"):
        H = hidden_layer_hessian(W, a, X, y, act)
        m = dg.MLP((2, 2, 1), act, X=np.array(X, float), Y=np.array(y, float))
        Hf = m.hessian(th[None])[0]
        for i in range(4 + 2):
            for j in range(6):
                assert abs(float(H[i, j].mid()) - Hf[i, j]) < 1e-12


def test_relu_on_a_kink_is_not_evaluated_and_det_ball_is_signed() -> None:
    W, a, X, y = _case()
    W[0] = [Fraction(0), Fraction(0)]  # pre-activations 0: on the kink
    assert hidden_layer_hessian(W, a, X, y, "relu") is None
    # a zero Hessian: det(I - eta 0) = 1 exactly
    W, a, X, y = _case()
    H = hidden_layer_hessian(W, a, X, y, "tanh")
    d = det_dg_ball(H * 0, Fraction(1, 3))
    assert d.contains(1) and not d.contains(0)


def test_c10_passes_with_every_check_certified() -> None:
    r = check_c10(quick=True)
    assert r.status is Status.PASSED, r.summary()
    assert len(r.checks) == 3 and "vanishes identically" in r.checks[2].certificate
