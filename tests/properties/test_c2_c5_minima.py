"""Hypothesis tests of the claims on the minima manifold (docs/math/claims.md#c2, docs/math/claims.md#c3, docs/math/claims.md#c5, docs/math/claims.md#c6)."""

from __future__ import annotations

import numpy as np
from _budget import examples
from hypothesis import example, given, settings
from hypothesis import strategies as st

import dynsys_gd as dg
from dynsys_gd.numeric.landscape.fixed_points import balanced_minimum, random_minima
from dynsys_gd.numeric.landscape.sharpness import min_sharpness, sharpness
from dynsys_gd.numeric.landscape.spectra import FixedPointClass, fixed_point_spectrum

# targets a margin away from 0 (where M stops being a manifold) and from huge values
magnitudes = st.floats(min_value=0.25, max_value=4.0)
signs = st.sampled_from([1.0, -1.0])
depths = st.integers(min_value=1, max_value=5)


def whitened_or_general(depth: int, width: int, seed: int, general: bool) -> dg.LinearNetwork:
    """A 2- or 3-wide network with well-conditioned random data (singular values >= 0.3)."""
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.normal(size=(width, width)))
    V, _ = np.linalg.qr(rng.normal(size=(width, width)))
    W = U @ np.diag(rng.uniform(0.3, 2.0, size=width)) @ V.T
    if general:
        A = rng.normal(size=(width, width))
        Sxx = A @ A.T / width + 0.5 * np.eye(width)
    else:
        Sxx = np.eye(width)
    return dg.LinearNetwork.from_covariances((width,) * (depth + 1), Sxx=Sxx, Syx=W @ Sxx)


@settings(max_examples=examples(20))
@given(depth=depths, y=magnitudes, sign=signs, seed=st.integers(0, 2**16))
@example(depth=1, y=1.0, sign=1.0, seed=0)
@example(depth=5, y=0.25, sign=-1.0, seed=1)
@example(depth=2, y=4.0, sign=1.0, seed=2)
def test_c5_scalar_sharpness_on_m_at_least_am_gm_minimum(depth, y, sign, seed):
    """C5: for the scalar network, every point of M = {∏w = y} has λ_max(H) ≥
    S_min = N|y|^{2−2/N}, with equality at |w_i| = |y|^{1/N}."""
    net = dg.LinearNetwork.scalar(depth, sign * y)
    s_min = min_sharpness(net)
    assert np.isclose(s_min, depth * y ** (2 - 2 / depth), rtol=1e-12)
    pts = random_minima(net, 8, seed=seed, spread=0.5, log_scale=1.0)
    assert np.all(np.atleast_1d(sharpness(net, pts)) >= s_min * (1 - 1e-9))
    assert np.isclose(float(sharpness(net, balanced_minimum(net))), s_min, rtol=1e-9)


@settings(max_examples=examples(10))
@given(
    depth=st.integers(2, 3),
    width=st.integers(2, 3),
    seed=st.integers(0, 2**16),
    general=st.booleans(),
)
@example(depth=2, width=2, seed=0, general=False)
def test_c5_matrix_sharpness_on_m_at_least_min_sharpness(depth, width, seed, general):
    """C5: S_min = min over M of λ_max(H) (closed form N σ1^{2−2/N} for Σxx = I, numerical
    otherwise) is below the sharpness at every sampled point of M and inside the C5 bracket."""
    net = whitened_or_general(depth, width, seed, general)
    s_min = min_sharpness(net)
    pts = random_minima(net, 8, seed=seed)
    assert np.all(sharpness(net, pts) >= s_min * (1 - 1e-8))
    s1 = np.linalg.svd(net.W_star, compute_uv=False)[0]
    ev = np.linalg.eigvalsh(net.Sxx)
    base = depth * s1 ** (2 - 2 / depth)
    assert ev[0] * base * (1 - 1e-9) <= s_min <= ev[-1] * base * (1 + 1e-9)


@settings(max_examples=examples(15))
@given(depth=depths, y=magnitudes, sign=signs, seed=st.integers(0, 2**16), width=st.integers(1, 3))
@example(depth=1, y=1.0, sign=1.0, seed=0, width=2)
@example(depth=5, y=0.25, sign=1.0, seed=0, width=1)
def test_c3_dg_eigenvalue_one_has_multiplicity_dim_m(depth, y, sign, seed, width):
    """C3 (and C2): on M, DG_η = I − ηH has eigenvalue 1 with multiplicity exactly
    dim M = P − rank J (N − 1 for the scalar network, P − d_N d_0 when W* has full rank)."""
    if width == 1:
        net = dg.LinearNetwork.scalar(depth, sign * y)
    else:
        net = whitened_or_general(depth, width, seed, general=True)
    th = random_minima(net, 1, seed=seed)[0]
    s = fixed_point_spectrum(net, th, 0.01)
    dim_m = net.n_params - width * width
    assert s.tangent_dim == dim_m
    assert int(np.sum(np.abs(s.dg_eigenvalues - 1.0) <= 1e-9 * max(1.0, s.sharpness))) == dim_m
    assert np.all(s.normal_eigenvalues > 0)


@settings(max_examples=examples(20))
@given(
    depth=depths,
    y=magnitudes,
    sign=signs,
    seed=st.integers(0, 2**16),
    excess=st.floats(min_value=0.01, max_value=2.0),
)
@example(depth=2, y=1.0, sign=1.0, seed=0, excess=0.01)
@example(depth=1, y=3.0, sign=-1.0, seed=0, excess=0.01)
def test_c5_every_minimum_unstable_above_eta_star(depth, y, sign, seed, excess):
    """C5/C6: for η > η* = 2/S_min every global minimum is linearly unstable (some normal
    eigenvalue of DG has modulus > 1): checked at the flattest and at sampled points of M."""
    net = dg.LinearNetwork.scalar(depth, sign * y)
    lr = dg.critical_lr(net) * (1 + excess)
    pts = np.vstack([balanced_minimum(net)[None], random_minima(net, 6, seed=seed)])
    for th in pts:
        s = fixed_point_spectrum(net, th, lr, on_manifold=True)
        assert s.classification is FixedPointClass.UNSTABLE
        assert s.spectral_radius_normal > 1.0


@settings(max_examples=examples(20))
@given(depth=depths, y=magnitudes, sign=signs, margin=st.floats(min_value=0.01, max_value=0.99))
@example(depth=3, y=2.0, sign=1.0, margin=0.01)
@example(depth=5, y=4.0, sign=-1.0, margin=0.99)
def test_c5_balanced_minimum_stable_below_eta_star(depth, y, sign, margin):
    """C5/C6: for η < η* the balanced (flattest) minimum is linearly stable: every normal
    eigenvalue 1 − ηλ of DG lies in (−1, 1)."""
    net = dg.LinearNetwork.scalar(depth, sign * y)
    lr = dg.critical_lr(net) * (1 - margin)
    s = fixed_point_spectrum(net, balanced_minimum(net), lr, on_manifold=True)
    assert s.classification is FixedPointClass.STABLE
    assert s.spectral_radius_normal < 1.0


@settings(max_examples=examples(8))
@given(
    depth=st.integers(2, 3),
    seed=st.integers(0, 2**16),
    margin=st.floats(min_value=0.02, max_value=0.5),
)
def test_c5_matrix_flattest_minimum_stability_flips_at_eta_star(depth, seed, margin):
    """C5: for matrix networks (general Σxx) the flattest minimum is stable below η* and
    unstable above it."""
    net = whitened_or_general(depth, 2, seed, general=True)
    f = dg.flattest_minimum(net)
    eta = 2.0 / f.sharpness
    below = fixed_point_spectrum(net, f.point, eta * (1 - margin), on_manifold=True)
    above = fixed_point_spectrum(net, f.point, eta * (1 + margin), on_manifold=True)
    assert below.classification is FixedPointClass.STABLE
    assert above.classification is FixedPointClass.UNSTABLE
