"""The null convergent set above eta* (docs/math/claims.md#c6, §7)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.analysis.nullset import (
    follow_null_point,
    null_points_on_line,
    null_set_slice,
)
from dynsys_gd.errors import InvalidParameterError

x, y = sp.symbols("x y")
XY = dg.LossModel(sp.Rational(1, 2) * (x * y - 1) ** 2, (x, y), name="xy")


def h_xy(t):  # type: ignore[no-untyped-def]
    return t[0] * t[1] - 1


def test_c6_null_point_converges_in_high_precision_but_not_in_float64() -> None:
    """C6/§7: above eta* a point with G(theta0) in M converges under 100-digit GD for >= 200
    steps, while float64 GD from the same point leaves M (M is unstable above eta*)."""
    pts = null_points_on_line(XY, 1.1, [0.0, 0.7], [1.0, 0.0], k=1, constraint=h_xy, dps=110)
    assert len(pts) >= 1
    theta0 = pts[0]
    with mpmath.workdps(110):
        assert abs(h_xy(theta0)) > 0.1  # not on M itself
    r = follow_null_point(XY, 1.1, theta0, k=1, n_steps=201, dps=100, constraint=h_xy)
    assert r.stays_on_m_steps >= 200
    assert r.h_mp[1:].max() <= -50
    assert r.float_outcome in ("left M", "diverged")
    assert r.float_exit_step is not None and r.float_exit_step < 200
    assert "stays on M" in r.summary()
    assert r.to_dict()["k"] == 1


def test_two_step_null_point_scalar_network() -> None:
    """Scalar depth-2 network (same loss): a point mapped onto M in exactly 2 steps."""
    net = dg.LinearNetwork.scalar(2, 1.0)
    pts = null_points_on_line(net, 1.1, [0.0, 1.3], [1.0, 0.0], k=2, dps=120)
    assert pts
    r = follow_null_point(net, 1.1, pts[0], k=2, n_steps=40, dps=120)
    assert r.h_mp[0] > -5 and r.h_mp[1] > -5  # not on M at steps 0, 1
    assert r.h_mp[2:].max() < -40
    assert r.float_outcome != "stayed on M"


def test_null_set_is_a_curve_in_the_slice() -> None:
    """The points of {G(theta) in M} found on 11 horizontal lines are isolated on each line
    (finitely many per line: a 1-D set in the plane)."""
    S = null_set_slice(
        XY, 1.1, k=1, constraint=h_xy, levels=np.linspace(0.2, 2.0, 10), n_grid=200, dps=40
    )
    assert S.shape[1] == 2 and 5 <= len(S) <= 40
    # G maps each point onto M
    G = S - 1.1 * dg.numeric_model(XY).gradient(S)
    assert np.abs(G[:, 0] * G[:, 1] - 1).max() < 1e-8
    assert np.abs(S[:, 0] * S[:, 1] - 1).min() > 1e-6


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"lr": -1.0}, InvalidParameterError, "lr must be a finite float > 0"),
        ({"k": 0}, InvalidParameterError, "k must be"),
        ({"constraint": None}, InvalidParameterError, "constraint must be given"),
        ({"s_range": (1.0, 0.0)}, InvalidParameterError, "s_range"),
    ],
)
def test_bad_input(kwargs, exc, match) -> None:  # type: ignore[no-untyped-def]
    kw = {"lr": 1.1, "base": [0.0, 0.5], "direction": [1.0, 0.0], "constraint": h_xy, **kwargs}
    with pytest.raises(exc, match=match):
        null_points_on_line(XY, **kw)
