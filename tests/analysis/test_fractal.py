"""Boundary measures against boundaries of known dimension, and the Newton map."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError


def _line(n: int = 512) -> np.ndarray:
    A, B = np.meshgrid(np.arange(n), np.arange(n))
    return (0.7 * B + 0.3 * A > 0.45 * n).astype(np.int64)


def _koch_points(depth: int = 6) -> np.ndarray:
    """Vertices of the Koch curve from (0, 0) to (1, 0) (dimension log 4 / log 3 = 1.2619)."""
    pts = np.array([[0.0, 0.0], [1.0, 0.0]])
    rot = np.array([[0.5, -np.sqrt(3) / 2], [np.sqrt(3) / 2, 0.5]])
    for _ in range(depth):
        new = [pts[0]]
        for p, q in itertools.pairwise(pts):
            d = (q - p) / 3
            a, b = p + d, p + 2 * d
            new += [a, a + rot @ d, b, q]
        pts = np.array(new)
    return pts


def _koch_labels(n: int = 729, depth: int = 6) -> np.ndarray:
    """Pixels below the Koch curve."""
    from matplotlib.path import Path

    pts = _koch_points(depth)

    poly = np.vstack([pts * [1, 1], [[1, -1], [0, -1]]])
    X, Y = np.meshgrid((np.arange(n) + 0.5) / n, (np.arange(n) + 0.5) / n * 0.5 - 0.1)
    inside = Path(poly).contains_points(np.stack([X.ravel(), Y.ravel()], 1))
    return inside.reshape(n, n).astype(np.int64)


def test_straight_line_has_dimension_one_and_is_smooth():
    lab = _line()
    d = dg.boundary_dimension(lab)
    u = dg.uncertainty_exponent(lab)
    assert abs(d.value - 1.0) < 0.1  # a digital line is 2 cells thick: +0.06 at these scales
    assert abs(u.alpha - 1.0) < 0.05
    assert dg.fractal_test(lab, 10).verdict == "smooth"
    be = dg.basin_entropy(lab, 5)
    assert be.sbb < np.log(2) and not be.log2_criterion


def test_koch_curve_box_count_matches_its_dimension():
    lab = _koch_labels()
    d = dg.boundary_dimension(lab, smallest=2, largest=27)
    # independent check: boxes of side 3^-k hit by the curve itself (its dense vertices)
    pts = _koch_points(7)

    def hit(k: int) -> int:
        return len({tuple(c) for c in np.floor(pts * 3**k + 1e-9).astype(int)})

    by_hand = np.log(hit(5) / hit(2)) / np.log(27)
    assert abs(d.value - np.log(4) / np.log(3)) < 0.06
    assert abs(by_hand - np.log(4) / np.log(3)) < 0.07


def test_entropy_of_a_checkerboard_box():
    lab = np.indices((40, 40)).sum(axis=0) % 2
    be = dg.basin_entropy(lab, 4)
    assert be.sb == pytest.approx(np.log(2))
    assert be.sbb == pytest.approx(np.log(2))


def test_newton_map_uncertainty_exponent_and_dimension():
    def newton(x):
        z = x[..., 0] + 1j * x[..., 1]
        z = z - (z**3 - 1) / (3 * z**2)
        return np.stack([z.real, z.imag], axis=-1)

    g = np.linspace(-1, 1, 400)
    bg = dg.basins_of_attraction(dg.IteratedMap(newton, 2), (g, g), steps=100, tol=1e-9)
    u = dg.uncertainty_exponent(bg)
    d = dg.boundary_dimension(bg)
    assert 0.45 < u.alpha < 0.7
    assert 1.3 < d.value < 1.55
    assert dg.fractal_test(bg, 10).verdict == "fractal"
    assert dg.basin_entropy(bg, 5).log2_criterion


def test_bad_input():
    with pytest.raises(InvalidParameterError, match="basins must be"):
        dg.boundary_dimension(np.zeros((3, 3), dtype=int))
    with pytest.raises(InvalidParameterError, match="boundary"):
        dg.boundary_dimension(np.zeros((64, 64), dtype=int))
