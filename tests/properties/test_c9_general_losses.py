"""Property tests of claim C9 for general analytic losses (ball arithmetic)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp
from _budget import examples
from hypothesis import example, given, settings
from hypothesis import strategies as st

import dynsys_gd as dg
from dynsys_gd.claims import Status, check_c9
from dynsys_gd.claims.certificates import ball_det_certificate
from dynsys_gd.numeric.landscape.enclosures import certified_spectrum

x, y = sp.symbols("x y", real=True)
LOSSES = {
    "square": sp.Rational(1, 2) * (x * y - 1) ** 2,
    "logcosh": sp.log(sp.cosh(x * y - 1)),
    "quartic": sp.Rational(1, 4) * (x**2 + y**2 - 1) ** 2,
}
coords = st.fractions(min_value=Fraction(-3), max_value=Fraction(3), max_denominator=7)


@settings(max_examples=examples(20))
@given(
    name=st.sampled_from(sorted(LOSSES)),
    px=coords,
    py=coords,
    eta=st.fractions(min_value=Fraction(1, 10), max_value=Fraction(3), max_denominator=10),
)
@example(name="logcosh", px=Fraction(0), py=Fraction(0), eta=Fraction(1))
def test_c9_ball_det_encloses_float_det(
    name: str, px: Fraction, py: Fraction, eta: Fraction
) -> None:
    """C9: the ball enclosure of det DG_eta contains the float value; when it excludes 0 it is
    a rigorous certificate that det DG_eta is not identically zero."""
    model = dg.LossModel(LOSSES[name], (x, y))
    excl, (lo, hi), _ = ball_det_certificate(model, (px, py), eta)
    H = dg.numeric_model(model).hessian(np.array([[float(px), float(py)]]))[0]
    d = float(np.linalg.det(np.eye(2) - float(eta) * H))
    scale = 1e-9 * (1 + abs(d))
    assert float(lo) - scale <= d <= float(hi) + scale
    assert float(hi - lo) < 1e-20 * (1 + abs(d))
    if excl:
        assert (lo > 0) or (hi < 0)


@given(
    t=st.fractions(min_value=Fraction(1, 20), max_value=Fraction(20), max_denominator=40),
    eta=st.fractions(min_value=Fraction(101, 100), max_value=Fraction(4), max_denominator=100),
)
@example(t=Fraction(1), eta=Fraction(101, 100))
def test_c9_minima_of_square_loss_unstable_above_one(t: Fraction, eta: Fraction) -> None:
    """C9 (1/2 (xy - 1)^2): at every minimum (t, 1/t) the Hessian has eigenvalue
    t^2 + 1/t^2 >= 2 > 2/eta for eta > 1 (certified enclosure at exact rational points)."""
    model = dg.LossModel(LOSSES["square"], (x, y))
    H = dg.derive(model).hessian_at_rational((t, 1 / t))
    enc = certified_spectrum(H)
    assert enc.top.lo <= t**2 + 1 / t**2 <= enc.top.hi
    assert enc.top.lo > 2 / eta


@settings(max_examples=examples(6))
@given(eta=st.fractions(min_value=Fraction(1, 2), max_value=Fraction(99, 100), max_denominator=100))
@example(eta=Fraction(99, 100))
def test_c9_checker_fails_below_eta_star(eta: Fraction) -> None:
    """C9's hypothesis fails for eta < eta* = 1: the checker must report FAIL on the curve of
    minima (the flattest minima are stable there)."""
    r = check_c9(eta, quick=True)
    assert r.failed
    assert {c.name.split(":")[0] for c in r.checks if c.status is Status.FAILED} == {
        "1/2 (xy - 1)^2",
        "log cosh(xy - 1)",
        "1/4 (x^2 + y^2 - 1)^2",
    }
