"""Property tests of C3, C4, C5 for scalar networks, in exact rational arithmetic at random
rational points of M = {w_1 ... w_N = y}."""

from __future__ import annotations

from fractions import Fraction
from math import prod

from hypothesis import example, given
from hypothesis import strategies as st

import dynsys_gd as dg
from dynsys_gd.claims.certificates import manifold_certificate
from dynsys_gd.numeric.landscape.enclosures import certified_spectrum, exact_hessian

nonzero = st.fractions(min_value=Fraction(1, 8), max_value=Fraction(8), max_denominator=9)
signs = st.lists(st.sampled_from([-1, 1]), min_size=5, max_size=5)


def _point(ws: list[Fraction], sg: list[int], y: Fraction) -> list[Fraction]:
    head = [s * w for s, w in zip(sg, ws, strict=False)]
    return [*head, y / prod(head)]


@given(ws=st.lists(nonzero, min_size=1, max_size=4), sg=signs, y=nonzero)
@example(ws=[Fraction(1)], sg=[1] * 5, y=Fraction(1))
@example(ws=[Fraction(1, 8)] * 4, sg=[-1] * 5, y=Fraction(8))
def test_c3_scalar_hessian_on_manifold_is_rank_one(
    ws: list[Fraction], sg: list[int], y: Fraction
) -> None:
    """C3: on M, H = g g^T with g_i = prod_{j != i} w_j = y / w_i: eigenvalue |g|^2 on the
    normal, 0 with multiplicity N - 1 = dim M on the tangent (exact)."""
    w = _point(ws, sg, y)
    N = len(w)
    net = dg.LinearNetwork.scalar(N, y)
    H = exact_hessian(net, w)
    g = [y / wi for wi in w]
    assert all(
        Fraction(int(H[i, j].p), int(H[i, j].q)) == g[i] * g[j] for i in range(N) for j in range(N)
    )
    c = manifold_certificate(net, w)
    assert c.on_manifold and c.dim_M == N - 1 == c.nullity_H


@given(ws=st.lists(nonzero, min_size=1, max_size=4), sg=signs, y=nonzero)
@example(ws=[Fraction(1)] * 4, sg=[1] * 5, y=Fraction(1))  # balanced: equality in AM-GM
def test_c5_scalar_min_sharpness_matches_am_gm(
    ws: list[Fraction], sg: list[int], y: Fraction
) -> None:
    """C5: every point of M has sharpness |g|^2 >= N |y|^{2-2/N} (AM-GM), checked exactly as
    (|g|^2 / N)^N >= y^{2N-2}, with equality at balanced points."""
    w = _point(ws, sg, y)
    N = len(w)
    S = sum((y / wi) ** 2 for wi in w)
    assert (S / N) ** N >= y ** (2 * N - 2)
    if all(abs(wi) == abs(w[0]) for wi in w):
        assert (S / N) ** N == y ** (2 * N - 2)


@given(
    ws=st.lists(nonzero, min_size=1, max_size=3),
    y=nonzero,
    t=st.integers(min_value=2, max_value=40),
)
@example(ws=[Fraction(1)], y=Fraction(1), t=2)
def test_c4_scalar_sharpness_is_proper(ws: list[Fraction], y: Fraction, t: int) -> None:
    """C4: moving along M to infinity (w_1 -> t w_1, w_N -> w_N / t) the sharpness is at least
    y^2 / min_k w_k^2, which grows without bound; certified enclosure of lambda_max."""
    w = _point(ws, [1] * 5, y)
    N = len(w)
    far = [w[0] * t, *w[1:-1], w[-1] / t]
    net = dg.LinearNetwork.scalar(N, y)
    S_far = sum((y / wi) ** 2 for wi in far)
    assert S_far >= y**2 / min(wi**2 for wi in far)
    assert S_far >= (y / w[-1]) ** 2 * t**2
    enc = certified_spectrum(exact_hessian(net, far))
    assert enc.top.lo <= S_far <= enc.top.hi
