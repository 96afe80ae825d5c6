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


def _sausage(depth: int) -> np.ndarray:
    """Integer vertices of the Minkowski sausage from (0, 0) to (4**depth, 0): every segment is
    replaced by 8 of a quarter of its length, so its dimension is log 8 / log 4 = 1.5."""
    moves = [(1, 0), (0, 1), (1, 0), (0, -1), (0, -1), (1, 0), (0, 1), (1, 0)]
    dirs = [(1, 0)]
    for _ in range(depth):
        dirs = [(mx * dx - my * dy, mx * dy + my * dx) for dx, dy in dirs for mx, my in moves]
    return np.cumsum(np.array([(0, 0), *dirs]), axis=0)


def _sausage_labels(depth: int) -> np.ndarray:
    """Pixels below the curve, by the parity of the horizontal segments above each pixel
    centre (exact: the vertices sit on pixel corners)."""
    pts, n = _sausage(depth), 4**depth
    off = n // 3 + 1
    cnt = np.zeros((2 * off + 1, n), dtype=np.int64)
    for (x0, y0), (x1, y1) in itertools.pairwise(pts):
        if y0 == y1:
            cnt[y0 + off, min(x0, x1) : max(x0, x1)] += 1
    above = np.cumsum(cnt[::-1], axis=0)[::-1]
    return above[1:] % 2


def test_minkowski_sausage_box_count_is_one_and_a_half():
    lab = _sausage_labels(5)  # 686 x 1024 pixels
    sides = [4, 8, 16, 32, 64]
    cells = dg.boundary_dimension(lab, scales=sides)
    mixed = dg.boundary_dimension(lab, scales=sides, method="mixed")
    # independent count: boxes of side s holding a point of the curve itself
    pts = _sausage(5)
    t = np.linspace(0, 1, 9)[:, None, None]
    seg = (pts[:-1] + t * (pts[1:] - pts[:-1])).reshape(-1, 2)

    def hit(s: int) -> int:
        return len(np.unique(np.floor(seg / s - 1e-9).astype(np.int64), axis=0))

    by_hand = -np.polyfit(np.log(sides), np.log([hit(s) for s in sides]), 1)[0]
    assert abs(by_hand - 1.5) < 0.03
    assert abs(cells.value - 1.5) < 0.05
    assert abs(mixed.value - 1.5) < 0.08  # biased down at small boxes
    assert mixed.value < cells.value
    assert cells.method == "cells" and "cells" in cells.summary()


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


def test_newton_map_in_the_setup_of_attractors_jl():
    """300 x 300 grid on [-1, 1]^2, boxes holding two labels, sides 5..30 pixels: Attractors.jl
    tests alpha = 2 - D in [0.55, 0.65] ("published box-counting dimension 1.42")."""

    def newton(x):
        z = x[..., 0] + 1j * x[..., 1]
        z = z - (z**3 - 1) / (3 * z**2)
        return np.stack([z.real, z.imag], axis=-1)

    g = np.linspace(-1, 1, 300)
    bg = dg.basins_of_attraction(dg.IteratedMap(newton, 2), (g, g), steps=100)
    fit = dg.boundary_dimension(bg, scales=range(5, 31), method="mixed")
    assert 0.55 <= fit.alpha <= 0.65
    assert abs(fit.value - 1.42) < 0.05


def test_bad_input():
    with pytest.raises(InvalidParameterError, match="basins must be"):
        dg.boundary_dimension(np.zeros((3, 3), dtype=int))
    with pytest.raises(InvalidParameterError, match="boundary"):
        dg.boundary_dimension(np.zeros((64, 64), dtype=int))
    with pytest.raises(InvalidParameterError, match="method must be"):
        dg.boundary_dimension(_line(), method="pixels")
    with pytest.raises(InvalidParameterError, match="scales must be"):
        dg.boundary_dimension(_line(), scales=[2, 4])


def test_wada_newton_basins_share_one_boundary_and_sectors_do_not():
    def newton(x):
        z = x[..., 0] + 1j * x[..., 1]
        z = z - (z**3 - 1) / (3 * z**2)
        return np.stack([z.real, z.imag], axis=-1)

    g = np.linspace(-1, 1, 200)
    bg = dg.basins_of_attraction(dg.IteratedMap(newton, 2), (g, g), steps=100)
    w = dg.wada_test(bg, 5)
    assert w.verdict == "Wada" and w.max_fraction <= 0.01  # the Julia set bounds every basin
    assert dg.wada_test(bg, 1).max_fraction > w.max_fraction  # the grid resolves it to ~3 px
    # three sectors meeting at the centre: each pair shares one ray, the third ray is far
    A, B = np.meshgrid(g, g)
    sec = np.floor((np.arctan2(B, A) + np.pi) / (2 * np.pi / 3)).astype(np.int64) % 3
    ws = dg.wada_test(sec, 5)
    assert ws.verdict == "not Wada" and 0.4 < ws.max_fraction < 0.6
    assert ws.fractions.shape == (3, 3) and np.all(np.diag(ws.fractions) == 0)
    with pytest.raises(InvalidParameterError, match="labels must name >= 3"):
        dg.wada_test(_line())
