r"""Hypothesis test of the certified depth-2 S_min (docs/math/claims.md#c5, convex formulation).

For depth 2 and any Σxx ≻ 0, S_min = min_P λ_max(Σxx^{1/2} P Σxx^{1/2} ⊗ I + Σxx ⊗ W* P⁻¹ W*ᵀ)
is a semidefinite programme; its dual point gives a rigorous lower bound valid on all of M and
an exact point of M a rigorous upper bound.  Random Σxx, random W*, random widths.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import dynsys_gd as dg
from dynsys_gd.numeric.landscape.depth2_sdp import certified_min_sharpness_depth2
from dynsys_gd.numeric.landscape.fixed_points import random_minima
from dynsys_gd.numeric.landscape.sharpness import sharpness


@given(
    d0=st.integers(1, 3), extra=st.integers(0, 2), dN=st.integers(1, 3), seed=st.integers(0, 2**16)
)
def test_c5_depth2_certificate_brackets_every_point_of_m(d0, extra, dN, seed):
    """C5, depth 2: lower ≤ upper, the enclosure is narrower than 1e-9 (relative), and
    λ_max(H) at random points of M is never below the certified lower bound."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d0, d0))
    Sxx = A @ A.T / d0 + rng.uniform(0.05, 1.0) * np.eye(d0)
    h = max(d0, dN) + extra
    net = dg.LinearNetwork.from_covariances((d0, h, dN), Sxx=Sxx, Syx=rng.normal(size=(dN, d0)))
    cert = certified_min_sharpness_depth2(net)
    assert cert.lower <= cert.upper
    assert cert.relative_width <= 1e-9
    pts = random_minima(net, 8, seed=seed, spread=0.6, log_scale=1.0)
    assert np.all(sharpness(net, pts) >= float(cert.lower) * (1 - 1e-12))
