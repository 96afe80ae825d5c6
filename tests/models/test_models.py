"""Models: constructors, conventions and bad input (issue: foundation)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd import InvalidParameterError
from dynsys_gd.numeric.kernels import numeric_model


def test_scalar_network_shapes_and_target():
    net = dg.LinearNetwork.scalar(4, target=-1.5)
    assert net.widths == (1, 1, 1, 1, 1)
    assert net.depth == 4 and net.n_params == 4 and net.is_scalar
    assert net.target == -1.5
    assert net.Syx_exact[0][0] == Fraction(-3, 2)


def test_unequal_widths_layout_round_trip():
    rng = np.random.default_rng(0)
    net = dg.LinearNetwork((3, 5, 4, 2), X=rng.normal(size=(6, 3)), Y=rng.normal(size=(6, 2)))
    assert net.layer_shapes == ((5, 3), (4, 5), (2, 4))
    assert net.n_params == 15 + 20 + 8
    theta = rng.normal(size=(7, net.n_params))
    layers = net.unflatten(theta)
    assert [m.shape for m in layers] == [(7, 5, 3), (7, 4, 5), (7, 2, 4)]
    np.testing.assert_array_equal(net.flatten(layers), theta)
    # row-major vec: the first entries of theta are row 0 of W_1
    np.testing.assert_array_equal(layers[0][:, 0, :], theta[:, :3])


def test_data_and_covariance_constructors_agree():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(9, 2)), rng.normal(size=(9, 3))
    a = dg.LinearNetwork((2, 4, 3), X=X, Y=Y)
    b = dg.LinearNetwork.from_covariances(
        (2, 4, 3), Sxx=X.T @ X / 9, Syx=Y.T @ X / 9, trace_Syy=np.sum(Y * Y) / 9
    )
    th = rng.normal(size=(5, a.n_params))
    np.testing.assert_allclose(numeric_model(a).loss(th), numeric_model(b).loss(th), rtol=1e-12)
    # the loss is the mean-half squared error of the data
    W = numeric_model(a).product(th)
    direct = 0.5 * np.mean(np.sum((np.einsum("bij,kj->bki", W, X) - Y) ** 2, axis=2), axis=1)
    np.testing.assert_allclose(numeric_model(a).loss(th), direct, rtol=1e-12)


@pytest.mark.parametrize(
    ("convention", "factor"), [("mean_half", 1), ("half_sum", 5), ("mean", 2), ("sum", 10)]
)
def test_conventions_scale_the_loss_exactly(convention, factor):
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(5, 2)), rng.normal(size=(5, 1))
    ref = dg.LinearNetwork((2, 3, 1), X=X, Y=Y)
    net = dg.LinearNetwork((2, 3, 1), X=X, Y=Y, convention=convention)
    assert dg.convention_factor(convention, 5) == factor
    th = rng.normal(size=(4, ref.n_params))
    np.testing.assert_allclose(
        numeric_model(net).loss(th), factor * numeric_model(ref).loss(th), rtol=1e-12
    )
    direct = np.sum(
        (np.einsum("bij,kj->bki", numeric_model(ref).product(th), X) - Y) ** 2, axis=(1, 2)
    )
    if convention == "sum":
        np.testing.assert_allclose(numeric_model(net).loss(th), direct, rtol=1e-12)
    # GD on c*L with step eta is GD on L with step c*eta
    assert dg.convert_lr(
        0.1, from_convention=convention, to_convention="mean_half", n_samples=5
    ) == pytest.approx(0.1 * factor)


def test_target_zero_is_a_loss_but_not_a_manifold():
    net = dg.LinearNetwork.scalar(3, target=0.0)
    assert numeric_model(net).loss(np.array([1.0, 1.0, 1.0])) == pytest.approx(0.5)
    with pytest.raises(InvalidParameterError, match="target must be non-zero"):
        net.require_manifold()


def test_loss_model_accepts_sympy_loss():
    x, y = sp.symbols("x y")
    m = dg.LossModel(sp.log(sp.cosh(x * y)), (x, y))
    assert m.n_params == 2 and not m.is_polynomial


X2 = np.ones((4, 2))
Y1 = np.ones((4, 1))
x_, y_, z_ = sp.symbols("x y z")

BAD_INPUT = [
    (dg.LinearNetwork.scalar, {"depth": 0}, r"depth must be an int >= 1; got 0"),
    (dg.LinearNetwork.scalar, {"depth": 2.0}, r"depth must be an int >= 1; got 2\.0"),
    (dg.LinearNetwork.scalar, {"depth": True}, r"depth must be an int"),
    (dg.LinearNetwork.scalar, {"depth": 3, "target": float("nan")}, r"target must be a finite"),
    (dg.LinearNetwork.scalar, {"depth": 3, "target": float("inf")}, r"target must be a finite"),
    (dg.LinearNetwork.scalar, {"depth": 3, "target": "2"}, r"target must be a finite"),
    (
        dg.LinearNetwork,
        {"widths": (), "X": X2, "Y": Y1},
        r"widths must be a sequence of at least two",
    ),
    (
        dg.LinearNetwork,
        {"widths": (2,), "X": X2, "Y": Y1},
        r"widths must be a sequence of at least two",
    ),
    (
        dg.LinearNetwork,
        {"widths": (2, 0, 1), "X": X2, "Y": Y1},
        r"widths\[1\] must be an int >= 1; got 0",
    ),
    (
        dg.LinearNetwork,
        {"widths": (2, -3, 1), "X": X2, "Y": Y1},
        r"widths\[1\] must be an int >= 1",
    ),
    (dg.LinearNetwork, {"widths": "21", "X": X2, "Y": Y1}, r"widths must be a sequence"),
    (
        dg.LinearNetwork,
        {"widths": (3, 2, 1), "X": X2, "Y": Y1},
        r"X must have shape \(\*, 3\); got shape \(4, 2\)",
    ),
    (dg.LinearNetwork, {"widths": (2, 2, 2), "X": X2, "Y": Y1}, r"Y must have shape \(\*, 2\)"),
    (
        dg.LinearNetwork,
        {"widths": (2, 2, 1), "X": X2, "Y": np.ones((3, 1))},
        r"same number of rows",
    ),
    (dg.LinearNetwork, {"widths": (2, 2, 1), "X": np.ones(4), "Y": Y1}, r"X must be a 2-D array"),
    (
        dg.LinearNetwork,
        {"widths": (2, 2, 1), "X": [[1.0, np.nan]] * 4, "Y": Y1},
        r"X must be finite",
    ),
    (dg.LinearNetwork, {"widths": (2, 2, 1), "X": X2, "Y": [[np.inf]] * 4}, r"Y must be finite"),
    (dg.LinearNetwork, {"widths": (2, 2, 1), "X": X2}, r"X and Y must both be given"),
    (
        dg.LinearNetwork,
        {"widths": (2, 2, 1), "X": X2, "Y": Y1, "convention": "sse"},
        r"convention must be one of",
    ),
    (
        dg.LinearNetwork.from_covariances,
        {"widths": (2, 2, 1), "Sxx": [[1, 2], [0, 1]], "Syx": [[1, 1]]},
        r"Sxx must be symmetric",
    ),
    (
        dg.LinearNetwork.from_covariances,
        {"widths": (2, 2, 1), "Sxx": [[1, 0], [0, -1]], "Syx": [[1, 1]]},
        r"Sxx must be positive semi-definite",
    ),
    (
        dg.LinearNetwork.from_covariances,
        {"widths": (2, 2, 1), "Sxx": np.eye(3), "Syx": [[1, 1]]},
        r"Sxx must have shape \(2, 2\)",
    ),
    (
        dg.LinearNetwork.from_covariances,
        {"widths": (2, 2, 1), "Sxx": np.eye(2), "Syx": [[1, 1, 1]]},
        r"Syx must have shape \(1, 2\)",
    ),
    (dg.LossModel, {"loss": "x*y", "params": (x_, y_)}, r"loss must be a sympy expression"),
    (dg.LossModel, {"loss": x_ * y_ * z_, "params": (x_, y_)}, r"other symbols: z"),
    (dg.LossModel, {"loss": x_ * y_, "params": (x_, 3)}, r"params\[1\] must be a sympy Symbol"),
    (dg.LossModel, {"loss": x_ * y_, "params": ()}, r"params must be a non-empty"),
    (dg.LossModel, {"loss": x_ * y_, "params": (x_, x_, y_)}, r"params must be distinct"),
]


@pytest.mark.parametrize(("fn", "kwargs", "regex"), BAD_INPUT)
def test_bad_input_names_the_parameter(fn, kwargs, regex):
    with pytest.raises(InvalidParameterError, match=regex):
        fn(**kwargs)


def test_singular_sxx_where_w_star_is_needed():
    X = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    net = dg.LinearNetwork((2, 2, 1), X=X, Y=np.ones((3, 1)))
    assert not net.Sxx_is_definite
    # the loss is still defined ...
    assert np.isfinite(numeric_model(net).loss(np.zeros(net.n_params)))
    # ... but W* is not
    with pytest.raises(InvalidParameterError, match="Sxx must be positive definite to define W"):
        _ = net.W_star
