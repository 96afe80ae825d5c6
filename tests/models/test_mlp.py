"""MLP kernels: finite differences, the symbolic layer (tanh), LinearNetwork (identity)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from _budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.models.mlp import MLP
from dynsys_gd.numeric.kernels import NumericModel

RNG = np.random.default_rng(12345)
X = RNG.standard_normal((7, 3))
Y = RNG.standard_normal((7, 2))


def fd_gradient(m: MLP, th: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    E = np.eye(m.n_params)
    return np.stack(
        [
            (m.loss(th + eps * E[j]) - m.loss(th - eps * E[j])) / (2 * eps)
            for j in range(m.n_params)
        ],
        axis=1,
    )


@pytest.mark.parametrize("activation", ["tanh", "relu", "identity"])
@pytest.mark.parametrize("bias", [False, True])
def test_gradient_and_hvp_match_finite_differences(activation: str, bias: bool) -> None:
    m = MLP((3, 4, 3, 2), activation, X=X, Y=Y, bias=bias)
    # uniform init: non-zero biases keep ReLU pre-activations away from the kink z = 0
    # (with zero biases a dead unit has z = 0 exactly, where ReLU is not differentiable)
    th = m.init(1, 3, scheme="uniform")
    v = np.random.default_rng(2).standard_normal(th.shape)
    g = m.gradient(th)
    assert g.shape == (3, m.n_params)
    np.testing.assert_allclose(g, fd_gradient(m, th), atol=1e-8)
    eps = 1e-6
    h_fd = (m.gradient(th + eps * v) - m.gradient(th - eps * v)) / (2 * eps)
    np.testing.assert_allclose(m.hvp(th, v), h_fd, atol=1e-7)
    H = m.hessian(th)
    np.testing.assert_allclose(np.einsum("bij,bj->bi", H, v), m.hvp(th, v), atol=1e-12)
    np.testing.assert_allclose(H, np.swapaxes(H, 1, 2), atol=1e-12)


def test_tanh_matches_symbolic_loss_model() -> None:
    """Same loss built in sympy (tanh is analytic): gradient and Hessian agree to rounding."""
    Xs = np.array([[0.5, -1.0], [1.5, 0.25], [-0.75, 0.5]])
    Ys = np.array([[0.3], [-0.2], [0.9]])
    m = MLP((2, 2, 1), "tanh", X=Xs, Y=Ys, bias=True)
    syms = sp.symbols(f"t0:{m.n_params}")
    W1 = sp.Matrix(2, 2, syms[0:4])
    b1 = sp.Matrix(syms[4:6])
    W2 = sp.Matrix(1, 2, syms[6:8])
    b2 = syms[8]
    loss = 0
    for x, y in zip(Xs, Ys, strict=True):
        h = (W1 * sp.Matrix([sp.nsimplify(v) for v in x]) + b1).applyfunc(sp.tanh)
        out = (W2 * h)[0] + b2
        loss += (out - sp.nsimplify(y[0])) ** 2
    loss = loss / (2 * len(Xs))
    ref = dg.numeric_model(dg.LossModel(loss, syms, name="tanh-mlp"))
    th = m.init(3, 4, scheme="uniform", scale=1.0)
    np.testing.assert_allclose(m.loss(th), ref.loss(th), rtol=1e-13)
    np.testing.assert_allclose(m.gradient(th), ref.gradient(th), atol=1e-13)
    np.testing.assert_allclose(m.hessian(th), ref.hessian(th), atol=1e-12)


def test_identity_reproduces_linear_network_kernels() -> None:
    net = dg.LinearNetwork((3, 4, 2), X=X, Y=Y)
    ref = dg.numeric_model(net)
    m = MLP((3, 4, 2), "identity", X=X, Y=Y)
    assert m.n_params == net.n_params
    th = m.init(5, 6, scheme="uniform", scale=1.5)
    v = np.random.default_rng(6).standard_normal(th.shape)
    np.testing.assert_allclose(m.loss(th), ref.loss(th), rtol=1e-12)
    np.testing.assert_allclose(m.gradient(th), ref.gradient(th), atol=1e-12)
    np.testing.assert_allclose(m.hvp(th, v), ref.hvp(th, v), atol=1e-12)
    np.testing.assert_allclose(m.hessian(th), ref.hessian(th), atol=1e-12)


def test_relu_away_from_kinks_matches_finite_difference_hessian() -> None:
    m = MLP((3, 5, 2), "relu", X=X, Y=Y, bias=True)
    th = m.init(7, 2)
    z = np.einsum("nj,bij->bni", X, m.unflatten(th)[0][0]) + m.unflatten(th)[0][1][:, None, :]
    assert np.abs(z).min() > 1e-4  # away from the kinks
    E = np.eye(m.n_params)
    eps = 1e-6
    H_fd = np.stack(
        [
            (m.gradient(th + eps * E[j]) - m.gradient(th - eps * E[j])) / (2 * eps)
            for j in range(m.n_params)
        ],
        axis=2,
    )
    np.testing.assert_allclose(m.hessian(th), H_fd, atol=1e-7)


def test_protocol_single_point_and_output_shapes() -> None:
    m = MLP((3, 4, 2), "tanh", X=X, Y=Y)
    assert isinstance(m, NumericModel)
    th = m.init(0, 2)
    assert m.loss(th).shape == (2,)
    assert np.isclose(m.loss(th[0]), m.loss(th)[0])
    assert m.gradient(th[0]).shape == (m.n_params,)
    assert m.hvp(th, th[0]).shape == (2, m.n_params)  # one v for the whole batch
    assert m.output(th).shape == (2, 7, 2)
    assert m.hessian(th[0]).shape == (m.n_params, m.n_params)
    assert "tanh" in repr(m)


def test_init_schemes() -> None:
    m = MLP((30, 40, 2), "tanh", X=np.zeros((1, 30)), Y=np.zeros((1, 2)), bias=True)
    th = m.init(np.random.default_rng(0), 50, scheme="glorot", scale=2.0)
    W1 = m.unflatten(th)[0][0]
    assert np.isclose(W1.std(), 2.0 * np.sqrt(2.0 / 70), rtol=0.05)
    assert np.all(m.unflatten(th)[0][1] == 0)
    u = m.init(1, 10, scheme="uniform", scale=0.5)
    assert u.shape == (10, m.n_params) and np.abs(u).max() <= 0.5
    np.testing.assert_array_equal(m.init(3, 4), m.init(3, 4))


def test_hessian_refuses_large_networks() -> None:
    m = MLP((20, 40, 1), "tanh", X=np.zeros((1, 20)), Y=np.zeros((1, 1)))
    assert m.n_params > m.max_hessian_params
    with pytest.raises(InvalidParameterError, match="max_hessian_params"):
        m.hessian(np.zeros(m.n_params))
    assert m.hvp(np.zeros(m.n_params), np.ones(m.n_params)).shape == (m.n_params,)


@pytest.mark.parametrize(
    ("kwargs", "exc", "regex"),
    [
        ({"widths": (3,)}, InvalidParameterError, "widths must be a sequence of at least 2"),
        ({"widths": "32"}, InvalidParameterError, "widths must be a sequence"),
        ({"widths": (3, 0, 2)}, InvalidParameterError, "widths entry must be"),
        ({"activation": "sigmoid"}, InvalidParameterError, "activation must be one of"),
        ({"X": np.zeros((7, 4))}, InvalidParameterError, r"X must have shape \(n, 3\)"),
        ({"Y": np.zeros((6, 2))}, InvalidParameterError, "same number of samples"),
        ({"X": np.full((7, 3), np.nan)}, InvalidParameterError, "X must be finite"),
        ({"Y": "abc"}, InvalidParameterError, "Y must be a 2-D array"),
        ({"bias": 1}, InvalidParameterError, "bias must be a bool"),
    ],
)
def test_bad_input(kwargs: dict, exc: type, regex: str) -> None:
    args = {"widths": (3, 4, 2), "activation": "tanh", "X": X, "Y": Y}
    args.update(kwargs)
    widths = args.pop("widths")
    with pytest.raises(exc, match=regex):
        MLP(widths, **args)


@pytest.mark.parametrize(
    ("call", "regex"),
    [
        (lambda m: m.loss(np.zeros(5)), r"theta must have shape \(batch, 20\)"),
        (lambda m: m.hvp(np.zeros((2, 20)), np.zeros((3, 20))), "v must have shape"),
        (lambda m: m.init(0, 0), "n must be"),
        (lambda m: m.init(0, 2, scheme="he"), "scheme must be one of"),
        (lambda m: m.init(0, 2, scale=-1.0), "scale must be a finite float > 0"),
        (lambda m: m.init(-3, 2), "rng must be a numpy Generator"),
    ],
)
def test_bad_kernel_input(call, regex: str) -> None:
    m = MLP((3, 4, 2), "tanh", X=X, Y=Y)
    with pytest.raises(InvalidParameterError, match=regex):
        call(m)


@settings(max_examples=examples(15))
@given(seed=st.integers(0, 2**32 - 1), activation=st.sampled_from(["tanh", "relu"]))
def test_hvp_is_a_symmetric_linear_operator(seed: int, activation: str) -> None:
    """The Hessian of a C² loss is symmetric: u·Hv = v·Hu, and H is linear in v."""
    rng = np.random.default_rng(seed)
    m = MLP((3, 4, 2), activation, X=X, Y=Y, bias=True)
    th = m.init(rng, 1)
    u, v = rng.standard_normal((2, 1, m.n_params))
    Hu, Hv = m.hvp(th, u), m.hvp(th, v)
    assert np.isclose(np.sum(u * Hv), np.sum(v * Hu), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(m.hvp(th, 2 * u - v), 2 * Hu - Hv, atol=1e-12)
