"""Tests of the convergence certificate (numeric/engine/convergence_certificate.py)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.engine.convergence_certificate import certify


def _xy() -> dg.LossModel:
    x, y = sp.symbols("x y")
    return dg.LossModel(sp.Rational(1, 2) * (x * y - 1) ** 2, (x, y))


def test_certifies_near_stable_minimum_of_xy() -> None:
    """Near (1, 1) at eta = 0.5 the normal eigenvalue 2 gives |1 - eta*2| = 0 < 1."""
    ok, fixed, dist = certify(_xy(), [[1.001, 1.0]], 0.5, prev_theta=[[1.01, 1.0]])
    assert ok[0]
    assert fixed[0, 0] * fixed[0, 1] == pytest.approx(1.0, abs=1e-12)
    assert 0 < dist[0] < 1e-3


def test_refuses_above_critical_lr() -> None:
    """At eta = 1.2 > eta* = 1 every minimum of 1/2 (xy - 1)^2 has eta*lambda > 2 (C6)."""
    ok, _, _ = certify(_xy(), [[1.001, 1.0]], 1.2, prev_theta=[[1.01, 1.0]])
    assert not ok[0]


def test_refuses_saddle() -> None:
    """Near the strict saddle (0, 0) the located critical point has a negative eigenvalue."""
    ok, fixed, _ = certify(_xy(), [[1e-3, -2e-3]], 0.1, prev_theta=[[1e-2, -2e-2]])
    assert not ok[0]
    np.testing.assert_allclose(fixed[0], 0.0, atol=1e-9)


def test_requires_geometric_decrease() -> None:
    """A distance that grew since the previous attempt is not certified."""
    ok, _, _ = certify(_xy(), [[1.01, 1.0]], 0.5, prev_theta=[[1.001, 1.0]])
    assert not ok[0]


def test_linear_network_projection_onto_manifold() -> None:
    """Scalar N = 3, y = 2 at 0.5 eta*: a point near the balanced minimum is certified and its
    fixed point lies on M = {w1 w2 w3 = 2} (C2, C3)."""
    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    c = 2 ** (1 / 3)
    eta = 0.5 * 2 / (3 * 2 ** (4 / 3))
    ok, fixed, _ = certify(
        net, [[c + 1e-3, c, c - 2e-3]], eta, prev_theta=[[c + 1e-2, c, c - 2e-2]]
    )
    assert ok[0]
    assert np.prod(fixed[0]) == pytest.approx(2.0, rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lr": 0.0}, r"lr must be a finite float > 0; got 0.0"),
        ({"margin": -1.0}, r"margin must be a finite float > 0"),
    ],
)
def test_certify_bad_input(kwargs: dict, match: str) -> None:
    args = {"lr": 0.5, "margin": 1e-6}
    args.update(kwargs)
    with pytest.raises(InvalidParameterError, match=match):
        certify(_xy(), [[1.0, 1.0]], args["lr"], margin=args["margin"])
