"""Property test: the exact and the searched critical points of random polynomial losses agree
(the fixed points of G_eta behind C6 and C9)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp
from _budget import examples
from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st

import dynsys_gd as dg
from dynsys_gd.numeric.landscape.critical_points import critical_points

x, y = sp.symbols("x y")
pos = st.fractions(min_value=Fraction(1, 4), max_value=Fraction(2), max_denominator=4)
coef = st.fractions(min_value=Fraction(-2), max_value=Fraction(2), max_denominator=4)
# quadratic and linear coefficients a margin away from 0: at 0 the origin can be a degenerate
# critical point, which no Krawczyk test certifies (the claim is about the generic case)
signed = st.builds(lambda s, v: s * v, st.sampled_from([-1, 1]), pos)


def _q(v: Fraction) -> sp.Rational:
    return sp.Rational(v.numerator, v.denominator)


# each example runs the exact algebra and a search (about a second): no shrinking phase
@settings(
    max_examples=examples(4),
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(a=pos, b=pos, c=signed, d=signed, e=coef, f=signed)
@example(
    a=Fraction(1, 4),
    b=Fraction(1, 4),
    c=Fraction(-1, 2),
    d=Fraction(-1, 2),
    e=Fraction(0),
    f=Fraction(1, 4),
)
def test_c9_exact_critical_points_contain_every_searched_one(a, b, c, d, e, f) -> None:
    """For L = a x^4 + b y^4 + c x^2 + d y^2 + e x y + f x (finite critical set): the exact
    route is complete in the box, every point it lists has a zero gradient at 50 digits and
    certified Hessian enclosures containing the float64 eigenvalues, and every point a seeded
    multi-start search finds is one of them (the search cannot find more than exist)."""
    loss = _q(a) * x**4 + _q(b) * y**4 + _q(c) * x**2 + _q(d) * y**2 + _q(e) * x * y + _q(f) * x
    m = dg.LossModel(loss, (x, y))
    exact = critical_points(m, 4.0, method="auto")
    if not exact.exact:  # the algebra hit its time limit: nothing to compare
        return
    if not exact.complete:  # an undecided candidate must be a degenerate critical point
        degenerate = [p for p in exact.points if p.isolated is not True]
        search = critical_points(m, 4.0, method="search", n_starts=32, seed=0)
        assert degenerate or any(p.isolated is not True for p in search.points), exact.notes
        return
    pts = np.array([p.point for p in exact.points])
    for p in exact.points:
        assert p.gradient_norm < 1e-40 and p.isolated
        for (lo, hi), lam in zip(p.hessian_enclosures, p.hessian_eigenvalues, strict=True):
            assert lo - 1e-12 * abs(lam) <= lam <= hi + 1e-12 * abs(lam)
    found = critical_points(m, 4.0, method="search", n_starts=32, seed=0)
    for p in found.points:
        assert np.min(np.linalg.norm(pts - p.point, axis=1)) < 1e-9
