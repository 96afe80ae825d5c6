"""Lanczos sharpness: against dense Hessians, closed forms on the minima manifold (C5, C8)."""

from __future__ import annotations

import numpy as np
import pytest
from _budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.models.mlp import MLP
from dynsys_gd.numeric.landscape.lanczos import batched_sharpness, lanczos_sharpness

RNG = np.random.default_rng(7)
X = RNG.standard_normal((20, 4))
Y = RNG.standard_normal((20, 2))
MODEL = MLP((4, 6, 5, 2), "tanh", X=X, Y=Y, bias=True)


def dense_top(model, th: np.ndarray, k: int) -> np.ndarray:
    return np.linalg.eigvalsh(model.hessian(th))[..., ::-1][..., :k]


@pytest.mark.parametrize("k", [1, 3])
def test_sharpness_matches_dense_hessian(k: int) -> None:
    th = MODEL.init(1, 3)
    for b in range(3):
        top = lanczos_sharpness(MODEL, th[b], k=k)
        ref = dense_top(MODEL, th[b], k)
        assert top.shape == (k,)
        assert np.all(np.abs(top - ref) <= 1e-8 * abs(ref[0]))


def test_batched_sharpness_matches_dense_and_residuals_bound_the_error() -> None:
    th = MODEL.init(2, 5)
    ref = dense_top(MODEL, th, 2)
    vals, res = batched_sharpness(MODEL, th, k=2, n_iter=30, return_residuals=True)
    assert vals.shape == (5, 2) and res.shape == (5, 2)
    # Kaniel-Paige / residual bound: each Ritz value is within res of an eigenvalue
    assert np.all(np.abs(vals - ref) <= res + 1e-10)
    np.testing.assert_allclose(vals, ref, rtol=1e-8)
    exact = batched_sharpness(MODEL, th, k=2, n_iter=MODEL.n_params)
    np.testing.assert_allclose(exact, ref, rtol=1e-10)


def test_sharpness_on_scalar_minimum_is_am_gm_value() -> None:
    """C5: for the scalar network, at the balanced minimum |w_i| = |y|^{1/N} the sharpness is
    N |y|^{2-2/N} (here N = 3, y = 2: 3 * 2^{4/3})."""
    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    model = dg.numeric_model(net)
    w = np.full(3, 2.0 ** (1 / 3))
    assert np.isclose(lanczos_sharpness(model, w)[0], 3 * 2 ** (4 / 3), rtol=1e-12)
    assert np.isclose(batched_sharpness(model, w[None])[0, 0], 3 * 2 ** (4 / 3), rtol=1e-12)


@settings(max_examples=examples(20))
@given(x=st.floats(0.25, 4.0))
def test_c3_xy_minimum_sharpness_is_x2_plus_y2(x: float) -> None:
    """C3 / docs/math/reference-values.md: for ½(xy − 1)², on M = {xy = 1} the Hessian has eigenvalues {0, x²+y²}."""
    net = dg.LinearNetwork.scalar(depth=2, target=1.0)
    model = dg.numeric_model(net)
    th = np.array([x, 1.0 / x])
    assert np.isclose(lanczos_sharpness(model, th)[0], x * x + 1 / (x * x), rtol=1e-10)
    lo_hi = lanczos_sharpness(model, th, k=2)
    assert np.isclose(lo_hi[1], 0.0, atol=1e-10)


@pytest.mark.parametrize(
    ("call", "regex"),
    [
        (lambda: lanczos_sharpness(MODEL, np.zeros(3)), r"theta must have shape \(77,\)"),
        (lambda: lanczos_sharpness(MODEL, np.full(77, np.nan)), "theta must be finite"),
        (lambda: lanczos_sharpness(MODEL, np.zeros(77), k=0), "k must be"),
        (
            lambda: lanczos_sharpness(MODEL, np.zeros(77), tol=-1.0),
            "tol must be a finite float > 0",
        ),
        (lambda: lanczos_sharpness(object(), np.zeros(3)), "model must provide n_params and hvp"),
        (lambda: batched_sharpness(MODEL, np.zeros(77)), r"theta must have shape \(batch, 77\)"),
        (lambda: batched_sharpness(MODEL, np.zeros((2, 77)), n_iter=0), "n_iter must be"),
    ],
)
def test_bad_input(call, regex: str) -> None:
    assert MODEL.n_params == 77
    with pytest.raises(InvalidParameterError, match=regex):
        call()
