"""Spectra of DG = I - lr H at fixed points: tangent/normal split and classification (C3, C6)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.landscape.fixed_points import balanced_minimum, random_minima, saddle_points
from dynsys_gd.numeric.landscape.spectra import (
    FixedPointClass,
    classify_eigenvalues,
    fixed_point_spectrum,
    fixed_point_spectrum_mp,
)

W_STAR = np.array([[1.5, 0.3], [-0.2, 0.7]])


def test_xy_minus_one_spectrum_on_m():
    """docs/math/reference-values.md: for ½(xy − 1)² the Hessian on M has eigenvalues {0, x² + y²}."""
    net = dg.LinearNetwork.scalar(2, 1.0)
    s = fixed_point_spectrum(net, [2.0, 0.5], 0.1)
    np.testing.assert_allclose(s.hessian_eigenvalues, [0.0, 4.25], atol=1e-14)
    np.testing.assert_allclose(s.dg_eigenvalues, [1.0, 1 - 0.425], atol=1e-14)
    assert s.on_manifold and s.tangent_dim == 1
    np.testing.assert_allclose(s.normal_eigenvalues, [4.25])
    assert s.sharpness == pytest.approx(4.25)
    # stable iff 4.25 < 2/lr
    assert s.classification is FixedPointClass.STABLE
    assert fixed_point_spectrum(net, [2.0, 0.5], 0.5).classification is FixedPointClass.UNSTABLE


def test_same_spectrum_for_lossmodel():
    x, y = sp.symbols("x y")
    model = dg.LossModel(sp.Rational(1, 2) * (x * y - 1) ** 2, [x, y])
    s = fixed_point_spectrum(model, [2.0, 0.5], 0.1)
    np.testing.assert_allclose(s.hessian_eigenvalues, [0.0, 4.25], atol=1e-13)
    assert s.on_manifold and s.tangent_dim == 1


@pytest.mark.parametrize("widths", [(2, 2, 2), (2, 3, 2), (2, 2, 2, 2), (2, 3, 4, 2)])
def test_tangent_dimension_is_p_minus_rank_j(widths):
    """C3: DG has eigenvalue 1 with multiplicity dim M = P − rank J on M."""
    net = dg.LinearNetwork.from_covariances(
        widths, Sxx=[[2.0, 0.5], [0.5, 1.0]], Syx=[[1.0, 0.2], [0.3, -0.8]]
    )
    th = random_minima(net, 1, seed=1)[0]
    s = fixed_point_spectrum(net, th, 0.05)
    dim_m = net.n_params - 4  # rank J = d_N d_0 on M
    assert s.tangent_dim == dim_m
    assert np.sum(np.abs(s.dg_eigenvalues - 1.0) < 1e-9) == dim_m
    assert s.normal_eigenvalues.size == 4 and np.all(s.normal_eigenvalues > 1e-6)


def test_mp_spectrum_agrees_and_splits_sharply():
    net = dg.LinearNetwork.from_covariances((2, 2, 2, 2), Sxx=np.eye(2), Syx=W_STAR)
    th = balanced_minimum(net)
    f = fixed_point_spectrum(net, th, 0.3)
    m = fixed_point_spectrum_mp(net, th, 0.3, dps=50)
    assert m.precision == 50 and m.tangent_dim == f.tangent_dim == 8
    np.testing.assert_allclose(m.normal_eigenvalues, f.normal_eigenvalues, rtol=1e-12)
    assert m.classification is f.classification is FixedPointClass.STABLE
    # closed form C5: the flattest minimum of the whitened net has λ_max = N σ_1^{2−2/N}
    assert m.sharpness == pytest.approx(5.294403, abs=1e-6)


def test_mp_saddle_classification():
    net = dg.LinearNetwork.scalar(3, 2.0)
    origin, two_zero = saddle_points(net)
    assert (
        fixed_point_spectrum_mp(net, origin.point, 0.1).classification
        is FixedPointClass.NON_STRICT_SADDLE
    )
    assert (
        fixed_point_spectrum_mp(net, two_zero.point, 0.1).classification
        is FixedPointClass.STRICT_SADDLE
    )


def test_classification_marginal_at_two_over_lr():
    assert classify_eigenvalues([0.0, 4.0], 0.5, is_minimum=True) is FixedPointClass.MARGINAL
    assert classify_eigenvalues([0.0, 3.9], 0.5, is_minimum=True) is FixedPointClass.STABLE
    assert classify_eigenvalues([0.0, 4.1], 0.5, is_minimum=True) is FixedPointClass.UNSTABLE
    assert (
        classify_eigenvalues([-1e-3, 1.0], 0.5, is_minimum=False) is FixedPointClass.STRICT_SADDLE
    )
    assert (
        classify_eigenvalues([0.0, 0.0], 0.5, is_minimum=False) is FixedPointClass.NON_STRICT_SADDLE
    )


def test_enum_values_read_as_sentences():
    for c in FixedPointClass:
        assert ":" in c.value and len(c.value.split()) >= 5
    assert (
        str(FixedPointClass.NON_STRICT_SADDLE) == "non-strict saddle: not decided by linearisation"
    )


def test_result_object_views():
    s = fixed_point_spectrum(
        dg.LinearNetwork.scalar(3, 2.0), balanced_minimum(dg.LinearNetwork.scalar(3, 2.0)), 0.2
    )
    d = json.loads(s.to_json())
    assert d["classification"] == "stable" and d["tangent_dim"] == 2
    assert "sharpness" in s.summary() and "linearly stable" in s.summary()
    assert repr(s).startswith("FixedPointSpectrum(") and len(repr(s)) < 120
    assert s._repr_markdown_().startswith("```text")


@pytest.mark.parametrize(
    "lr, match",
    [
        (0.0, r"lr must be a finite float > 0; got 0.0"),
        (-0.1, r"lr must be a finite float > 0; got -0.1"),
        (float("nan"), r"lr must be a finite float > 0"),
        (True, r"lr must be a finite float > 0; got True"),
        ("0.1", r"lr must be a finite float > 0; got '0.1'"),
    ],
)
def test_bad_lr(lr, match):
    with pytest.raises(InvalidParameterError, match=match):
        fixed_point_spectrum(dg.LinearNetwork.scalar(2, 1.0), [1.0, 1.0], lr)


def test_tangent_space_is_kernel_of_j_and_of_h():
    """C3: on M the tangent space ker J is the kernel of H, where DG_η acts as the identity."""
    from dynsys_gd.numeric.landscape.spectra import tangent_normal_bases

    net = dg.LinearNetwork.from_covariances(
        (2, 3, 2, 2), Sxx=[[2.0, 0.5], [0.5, 1.0]], Syx=[[1.0, 0.2], [0.3, -0.8]]
    )
    th = random_minima(net, 1, seed=4)[0]
    T, Nrm = tangent_normal_bases(net, th)
    assert T.shape == (net.n_params, net.n_params - 4) and Nrm.shape == (net.n_params, 4)
    np.testing.assert_allclose(
        np.hstack([T, Nrm]).T @ np.hstack([T, Nrm]), np.eye(net.n_params), atol=1e-12
    )
    H = dg.numeric_model(net).hessian(th)
    assert np.linalg.norm(H @ T) < 1e-10 * np.linalg.norm(H)
    lr = 0.1
    np.testing.assert_allclose((np.eye(net.n_params) - lr * H) @ T, T, atol=1e-10)
    # the normal Hessian eigenvalues are the spectrum of H restricted to the normal space
    s = fixed_point_spectrum(net, th, lr)
    np.testing.assert_allclose(np.linalg.eigvalsh(Nrm.T @ H @ Nrm), s.normal_eigenvalues, rtol=1e-9)
    with pytest.raises(InvalidParameterError, match="net must be a LinearNetwork; got str"):
        tangent_normal_bases("net", th)
