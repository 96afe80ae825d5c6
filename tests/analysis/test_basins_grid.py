"""Basins on grids: labels, attractors found by recurrence, chunk/worker invariance."""

from __future__ import annotations

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.analysis.basins_grid import DIVERGED_LABEL, UNDECIDED_LABEL
from dynsys_gd.errors import InvalidParameterError


def newton(x):
    z = x[..., 0] + 1j * x[..., 1]
    z = z - (z**3 - 1) / (3 * z**2)
    return np.stack([z.real, z.imag], axis=-1)


NEWTON = dg.IteratedMap(newton, 2, name="newton")
ROOTS = np.array([[1.0, 0.0], [-0.5, np.sqrt(3) / 2], [-0.5, -np.sqrt(3) / 2]])


def test_newton_finds_the_three_roots_and_labels_the_real_axis():
    g = np.linspace(-1, 1, 60)
    bg = dg.basins_of_attraction(NEWTON, (g, g), steps=100)
    pts = np.array([t.point for t in bg.attractors])
    assert len(bg.attractors) == 3
    assert np.allclose(np.sort(pts, axis=0), np.sort(ROOTS, axis=0), atol=1e-8)
    # x > 0 on the real axis goes to the root 1 (Newton on z^3 - 1 is monotone there)
    row = bg.labels[30]  # b = +0.017: just above the real axis
    one = next(t.label for t in bg.attractors if abs(t.point[0] - 1) < 1e-6)
    assert np.all(row[40:] == one)
    # user-given attractors give the same partition
    bu = dg.basins_of_attraction(NEWTON, (g, g), steps=100, attractors=ROOTS)
    same = {(a, b) for a, b in zip(bg.labels.ravel(), bu.labels.ravel(), strict=True)}
    assert len(same) == 3


def test_period_two_cycle_and_divergence_of_a_map():
    # x -> -x on the unit disc is a period-2 rotation; outside, x -> -2x diverges
    f = dg.IteratedMap(lambda x: np.where(np.sum(x * x, -1, keepdims=True) < 1, -x, -2 * x), 2)
    g = np.linspace(-2, 2, 21)
    bg = dg.basins_of_attraction(f, (g, g), steps=200)
    A, B = np.meshgrid(g, g)
    inside = A**2 + B**2 < 1
    assert np.all(bg.labels[~inside] == DIVERGED_LABEL)
    assert np.all(bg.period[inside & ((A != 0) | (B != 0))] == 2)
    assert bg.fractions()["undecided"] == 0.0


def test_gd_on_xy_chunks_and_workers_are_bit_identical():
    xy = dg.LinearNetwork.scalar(depth=2, target=1.0)
    g = np.linspace(-2, 2, 48)
    ref = dg.basins_of_attraction(xy, (g, g), lr=0.5, steps=300)
    for chunk, workers in ((97, 1), (500, 2)):
        other = dg.basins_of_attraction(xy, (g, g), lr=0.5, steps=300, chunk=chunk, workers=workers)
        assert np.array_equal(ref.labels, other.labels)
        assert np.array_equal(ref.steps, other.steps)
    # at lr = 0.5 < eta* = 1 the two branches of xy = 1 are reached from near (1, 1), (-1, -1)
    names = {t.name for t in ref.attractors}
    assert sum("minim" in n for n in names) >= 2
    near = ref.labels[np.argmin(abs(g - 1.0)), np.argmin(abs(g - 1.0))]
    assert near >= 0 and ref.attractors[near].kind == "minimum"


def test_gd_on_xy_agrees_with_run_gd_outcomes():
    xy = dg.LinearNetwork.scalar(depth=2, target=1.0)
    g = np.linspace(-2.5, 2.5, 15)
    bg = dg.basins_of_attraction(xy, (g, g), lr=0.8, steps=1000)
    A, B = np.meshgrid(g, g)
    rb = dg.run_gd(xy, np.stack([A.ravel(), B.ravel()], axis=1), 0.8, optimizer=None)
    div_engine = rb.outcome == dg.Outcome.DIVERGED.code
    div_here = bg.labels.ravel() == DIVERGED_LABEL
    assert np.array_equal(div_engine, div_here)


def test_bad_input():
    g = np.linspace(-1, 1, 5)
    with pytest.raises(InvalidParameterError, match="grid must be"):
        dg.basins_of_attraction(NEWTON, g)
    with pytest.raises(InvalidParameterError, match="lr must be"):
        dg.basins_of_attraction(dg.LinearNetwork.scalar(depth=2, target=1.0), (g, g))
    with pytest.raises(InvalidParameterError, match="plane must be"):
        dg.basins_of_attraction(dg.IteratedMap(lambda x: x, 3), (g, g))
    assert UNDECIDED_LABEL != DIVERGED_LABEL
