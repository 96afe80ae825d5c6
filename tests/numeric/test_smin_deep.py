"""Certified S_min at any depth with a general Sxx: the product-vector lower bound is below
lambda_max(H) everywhere on M (checked with an H built here from the layers), the enclosure is
tight, matches the closed forms, and the upper bound's point lies exactly on M."""

from fractions import Fraction

import numpy as np
import pytest

from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.models import LinearNetwork
from dynsys_gd.numeric.landscape import smin_deep as sd
from dynsys_gd.numeric.landscape.sharpness import certified_min_sharpness_deep

SXX = np.array([[2.0, 0.5], [0.5, 1.0]])
SYX = np.array([[1.5, 0.3], [-0.2, 0.7]])


def _lam_max(layers: list[np.ndarray], S: np.ndarray) -> float:
    """lambda_max(H) on M from scratch: H = J^T (I x S) J, J = [A_l (x) B_l^T] (row-major vec)."""
    d0 = layers[0].shape[1]
    blocks = []
    for l in range(len(layers)):
        pre = np.eye(d0)
        for W in layers[:l]:
            pre = W @ pre
        suf = np.eye(layers[l].shape[0])
        for W in layers[l + 1 :]:
            suf = W @ suf
        blocks.append(np.kron(suf, pre.T))
    J = np.hstack(blocks)
    H = J.T @ np.kron(np.eye(layers[-1].shape[0]), S) @ J
    return float(np.linalg.eigvalsh(0.5 * (H + H.T))[-1])


def _random_point_of_m(widths, ws, rng):
    layers = [rng.normal(size=(widths[i + 1], widths[i])) for i in range(len(widths) - 2)]
    B = np.eye(widths[0])
    for W in layers:
        B = W @ B
    layers.append(ws @ np.linalg.pinv(B))
    return layers


@pytest.mark.parametrize("widths", [(2, 2, 2, 2), (2, 3, 3, 2), (2, 2, 2, 2, 2)])
def test_lower_bound_is_below_lambda_max_everywhere_on_m(widths):
    net = LinearNetwork.from_covariances(widths, Sxx=SXX, Syx=SYX)
    lower, x = sd.product_lower_bound(net)
    rng = np.random.default_rng(3)
    ws = np.asarray(net.W_star)
    vals = [_lam_max(_random_point_of_m(widths, ws, rng), SXX) for _ in range(300)]
    assert min(vals) >= float(lower) * (1 - 1e-12)
    # and the bound at x agrees with its float evaluation
    assert float(lower) == pytest.approx(sd.rho(net, x), rel=1e-14)
    # any x gives a valid (smaller) bound; the maximiser beats the right singular vector
    v1 = np.linalg.svd(ws)[2][0]
    assert sd.product_lower_bound(net, v1)[0] <= lower


def test_enclosure_is_tight_and_its_point_is_on_m():
    net = LinearNetwork.from_covariances((2, 2, 2, 2), Sxx=SXX, Syx=SYX)
    c = certified_min_sharpness_deep(net)
    assert c.lower <= c.upper and c.relative_width < 1e-12
    assert 4.2528 < float(c.lower) < 4.2529  # the value 4.2528
    layers = net.unflatten(c.point)
    assert np.abs(layers[2] @ layers[1] @ layers[0] - net.W_star).max() < 1e-14
    assert _lam_max(layers, SXX) == pytest.approx(float(c.upper), rel=1e-13)
    assert c.value == pytest.approx(float(c.upper), rel=1e-13)  # float64 lambda_max there
    assert c.direction is not None and "product-vector" in c.method
    assert "width" in c.summary() and c.to_dict()["direction"] is not None
    assert certified_min_sharpness_deep(net) is c  # cached


@pytest.mark.parametrize("widths", [(2, 2, 2, 2), (2, 3, 3, 2), (3, 2, 2, 2)])
def test_small_pencil_bound_matches_the_full_exact_hessian(widths):
    """The upper bound proved on the d0 dN pencil agrees with the certified spectrum of the
    exact P x P Hessian at the same exact point (an independent route)."""
    from dynsys_gd.numeric.landscape.enclosures import certified_spectrum, exact_hessian
    from dynsys_gd.numeric.landscape.smin_certificate import exact_point_near

    rng = np.random.default_rng(5)
    d0, dN = widths[0], widths[-1]
    Sxx = np.eye(d0) + 0.25 * np.ones((d0, d0))
    net = LinearNetwork.from_covariances(widths, Sxx=Sxx, Syx=rng.normal(size=(dN, d0)))
    layers = _random_point_of_m(widths, np.asarray(net.W_star), rng)
    exact = exact_point_near(net, np.concatenate([W.ravel() for W in layers]))
    t, est = sd._certified_top(*sd.small_pencil(net, exact))
    enc = certified_spectrum(exact_hessian(net, exact)).top
    assert enc.lo <= t and float(t - enc.hi) <= 1e-12 * float(t)
    assert est == pytest.approx(float(t), rel=1e-13)


@pytest.mark.parametrize(
    ("widths", "Sxx", "expected"),
    [
        ((2, 2, 2, 2), np.eye(2), lambda s1: 3 * s1 ** (4 / 3)),
        ((2, 2, 2, 2, 2), 2 * np.eye(2), lambda s1: 2 * 4 * s1 ** (6 / 4)),
    ],
)
def test_matches_the_whitened_closed_form(widths, Sxx, expected):
    net = LinearNetwork.from_covariances(widths, Sxx=Sxx, Syx=SYX @ Sxx)
    c = certified_min_sharpness_deep(net)
    ref = expected(np.linalg.svd(SYX, compute_uv=False)[0])
    assert float(c.lower) <= ref * (1 + 1e-14) and float(c.upper) >= ref * (1 - 1e-14)
    assert c.relative_width < 1e-12


def test_wider_hidden_layers_do_not_change_s_min():
    """The square-layer value is reached again with hidden width 3 (M is bigger, the extra
    directions only add PSD terms to H), and a rank-deficient W* is accepted."""
    a = certified_min_sharpness_deep(LinearNetwork.from_covariances((2, 2, 2, 2), Sxx=SXX, Syx=SYX))
    b = certified_min_sharpness_deep(LinearNetwork.from_covariances((2, 3, 3, 2), Sxx=SXX, Syx=SYX))
    assert max(a.lower, b.lower) <= min(a.upper, b.upper)
    rank1 = np.array([[1.0, 2.0], [0.5, 1.0]]) @ SXX
    c = certified_min_sharpness_deep(
        LinearNetwork.from_covariances((2, 2, 2, 2), Sxx=SXX, Syx=rank1)
    )
    assert c.relative_width < 1e-12


def test_zero_target_gives_zero():
    net = LinearNetwork.from_covariances((2, 2, 2, 2), Sxx=SXX, Syx=np.zeros((2, 2)))
    c = certified_min_sharpness_deep(net)
    assert c.lower == c.upper == 0 and not np.any(c.point)


def test_bad_input_is_refused_before_any_work():
    with pytest.raises(InvalidParameterError, match="net must be a LinearNetwork"):
        certified_min_sharpness_deep("net")
    with pytest.raises(InvalidParameterError, match="depth >= 2"):
        certified_min_sharpness_deep(LinearNetwork.from_covariances((2, 2), Sxx=SXX, Syx=SYX))
    net = LinearNetwork.from_covariances((2, 2, 2, 2), Sxx=SXX, Syx=SYX)
    with pytest.raises(InvalidParameterError, match="point must be"):
        certified_min_sharpness_deep(net, point=np.zeros(3))
    with pytest.raises(InvalidParameterError, match="x must be"):
        sd.product_lower_bound(net, np.zeros(2))
    assert sd.product_lower_bound(net, np.array([1.0, 0.0]))[0] > Fraction(0)
