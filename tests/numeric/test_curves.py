"""Curves in the minima manifold and the spectra along them (C2-C5)."""

from __future__ import annotations

import numpy as np
import pytest
from _budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.landscape.curves import (
    dg_eigenvalues,
    normal_spectrum,
    rebalancing_curve,
    sharpness_along_manifold,
)


def test_c4_sharpness_grows_along_rebalancing_curve_and_min_is_am_gm() -> None:
    """C2/C4/C5: the rebalancing curve stays in M, the sharpness on it is proper (grows without
    bound) and is smallest at the balanced point, where it equals N |y|^(2-2/N)."""
    net = dg.LinearNetwork.scalar(3, 2.0)
    w = 2.0 ** (1 / 3)
    ts = np.linspace(-3, 3, 61)
    pts = rebalancing_curve(net, np.array([w, w, w]), ts)
    np.testing.assert_allclose(np.prod(pts, axis=1), 2.0, rtol=1e-12)
    s = normal_spectrum(net, pts)[:, -1]
    assert np.argmin(s) == 30
    assert s[30] == pytest.approx(3 * 2 ** (4 / 3), rel=1e-12)
    assert s[0] > 50 * s[30] and s[-1] > 50 * s[30]


def test_sharpness_along_manifold_starts_at_the_flattest_minimum() -> None:
    """C5: through the flattest minimum the curve's lowest sharpness is S_min = 2 / eta*."""
    net = dg.LinearNetwork.from_covariances((2, 2, 2), Sxx=np.eye(2), Syx=np.diag([1.5, 0.5]))
    curve = sharpness_along_manifold(net, ts=np.linspace(-1, 1, 41))
    assert curve.sharpness.min() == pytest.approx(dg.min_sharpness(net), rel=1e-9)
    assert curve.critical_lr == pytest.approx(dg.critical_lr(net), rel=1e-12)
    assert curve.normal_eigenvalues.shape == (41, 4)
    assert "S_min over M" in curve.summary()


@given(
    lam=st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=6), lr=st.floats(0.01, 3.0)
)
@settings(max_examples=examples(25))
def test_dg_eigenvalues_are_one_minus_lr_lambda(lam, lr) -> None:
    """docs/math/gd-map.md: an eigenvalue lambda of H maps to 1 - eta lambda of DG_eta."""
    np.testing.assert_allclose(dg_eigenvalues(lam, lr), 1.0 - lr * np.asarray(lam))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: rebalancing_curve("net", np.ones(2), [0.0]), "net must be a LinearNetwork"),
        (
            lambda: rebalancing_curve(dg.LinearNetwork.scalar(2, 1.0), np.ones(3), [0.0]),
            r"theta must have shape \(2,\)",
        ),
        (
            lambda: rebalancing_curve(dg.LinearNetwork.scalar(2, 1.0), np.ones(2), [np.nan]),
            "ts must be a non-empty 1-D array of finite floats",
        ),
        (
            lambda: sharpness_along_manifold(dg.LinearNetwork.scalar(1, 1.0)),
            "net.depth must be an int >= 2; got 1",
        ),
        (lambda: dg_eigenvalues([1.0], -1.0), "lr must be a finite float > 0; got -1.0"),
    ],
)
def test_curves_bad_input(call, match) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        call()
