"""Property tests of claim C1 (docs/math/index.md): det DG_eta is not identically zero for N >= 2; for
N = 1 it is singular everywhere exactly when eta = 1/lambda_i(Sxx)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from _budget import examples
from hypothesis import example, given, settings
from hypothesis import strategies as st

import dynsys_gd as dg
from dynsys_gd.claims.certificates import nonsingularity_certificate

etas = st.fractions(min_value=Fraction(1, 100), max_value=Fraction(10), max_denominator=100)
targets = st.fractions(min_value=Fraction(1, 4), max_value=Fraction(6), max_denominator=20)


@given(eta=etas, y=targets, depth=st.integers(3, 6))
@example(eta=Fraction(1, 100), y=Fraction(1, 4), depth=3)
@example(eta=Fraction(10), y=Fraction(6), depth=6)
def test_c1_det_dg_at_origin_is_one_for_depth_at_least_three(
    eta: Fraction, y: Fraction, depth: int
) -> None:
    """C1: for N >= 3, H(0) = 0, so det DG_eta(0) = 1 exactly for every eta > 0."""
    net = dg.LinearNetwork.scalar(depth, y)
    c = nonsingularity_certificate(net, eta)
    assert c.nonsingular and c.determinant == 1
    assert dg.derive(net).det_dg_at([0] * depth, eta) == 1


@settings(max_examples=examples(15))
@given(eta=etas, y=targets, sign=st.sampled_from([-1, 1]))
@example(eta=Fraction(1, 2), y=Fraction(1), sign=1)  # det DG(0) = 1 - eta^2 y^2 = 3/4
@example(eta=Fraction(1), y=Fraction(1), sign=1)  # det DG(0) = 0: another point is needed
def test_c1_depth_two_certificate_is_exact(eta: Fraction, y: Fraction, sign: int) -> None:
    """C1 for N = 2: a point with det DG_eta != 0 exists for every eta, and the certificate's
    value is the exact determinant at its point."""
    net = dg.LinearNetwork.scalar(2, sign * y)
    c = nonsingularity_certificate(net, eta)
    assert c.nonsingular and c.determinant != 0
    assert dg.derive(net).det_dg_at(c.point, eta) == c.determinant


@given(
    a=st.fractions(min_value=Fraction(1, 10), max_value=Fraction(5), max_denominator=12),
    b=st.fractions(min_value=Fraction(1, 10), max_value=Fraction(5), max_denominator=12),
    hit=st.sampled_from([None, 0, 1]),
)
@example(a=Fraction(1), b=Fraction(2), hit=1)
@example(a=Fraction(1, 10), b=Fraction(5), hit=None)
def test_c1_depth_one_singular_everywhere_iff_eta_is_inverse_eigenvalue(
    a: Fraction, b: Fraction, hit: int | None
) -> None:
    """C1 edge case: N = 1 with Sxx = diag(a, b) is singular everywhere iff eta in {1/a, 1/b};
    otherwise det DG = ((1 - eta a)(1 - eta b))^{d_1} at every theta."""
    eta = Fraction(1) / (a, b)[hit] if hit is not None else Fraction(1) / (a + b + 1)
    net = dg.LinearNetwork.from_covariances(
        (2, 2), Sxx=np.diag([float(a), float(b)]), Syx=np.eye(2)
    )
    A, B = Fraction(float(a)), Fraction(float(b))  # the network stores the floats exactly
    eta_x = Fraction(1) / (A, B)[hit] if hit is not None else eta
    c = nonsingularity_certificate(net, eta_x)
    expected = ((1 - eta_x * A) * (1 - eta_x * B)) ** 2
    assert c.determinant == expected
    assert c.singular_everywhere == (hit is not None)
    assert ("singular everywhere" in c.message) == (hit is not None)
