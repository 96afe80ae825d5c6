"""Tests of basin_slice (C6, C8)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.analysis.basins import BasinSlice, basin_slice, default_plane
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.engine.outcomes import Outcome

CONV = Outcome.CONVERGED.code


def _xy() -> dg.LossModel:
    x, y = sp.symbols("x y")
    return dg.LossModel(sp.Rational(1, 2) * (x * y - 1) ** 2, (x, y))


def test_xy_coordinate_plane_above_eta_star() -> None:
    """At eta = 1.01 > eta* only the anti-diagonal x = -y (stable set of the saddle 0)
    converges, and to the saddle (C6: the convergent set is null)."""
    bs = basin_slice(_xy(), 1.01, extent=2.0, resolution=31)
    assert isinstance(bs, BasinSlice) and bs.outcome.shape == (31, 31)
    i, j = np.nonzero(bs.outcome == CONV)
    np.testing.assert_allclose(bs.a[j], -bs.b[i], atol=1e-12)
    assert not bs.at_minimum.any()
    assert bs.counts()["periodic"] > 0 and set(np.unique(bs.period)) <= {0, 2}
    json.loads(bs.to_json())


def test_scalar_default_plane_through_balanced_minimum() -> None:
    """Scalar N = 2, y = 1: default centre is the balanced minimum (1, 1) (sharpness 2 = S_min),
    u tangent to M, v normal; below eta* = 1 the centre's neighbourhood converges; above it only
    the centre itself, an exact (unstable) fixed point with sharpness 2 > 2/eta, "converges"
    (C5, C6, C8: the exception is a null set)."""
    net = dg.LinearNetwork.scalar(depth=2, target=1.0)
    c, u, v = default_plane(net)
    np.testing.assert_allclose(np.abs(c), 1.0, atol=1e-8)
    assert abs(u @ v) < 1e-10
    below = basin_slice(net, 0.9, extent=0.2, resolution=11)
    assert (below.outcome == CONV).all()
    assert below.sharpness.max() <= 2 / 0.9 + 1e-9
    above = basin_slice(net, 1.1, extent=0.2, resolution=11)
    assert above.outcome[5, 5] == CONV and above.sharpness[5, 5] == pytest.approx(2.0)
    assert above.converged_fraction == pytest.approx(1 / 121)
    assert "Basin slice at lr = 1.1" in above.summary() and "BasinSlice(11x11" in repr(above)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lr": 0.0}, r"lr must be a finite float > 0; got 0.0"),
        ({"resolution": 1}, r"resolution must be an int >= 2; got 1"),
        ({"extent": -1.0}, r"extent must be a finite float > 0"),
        ({"extent": (1.0, 2.0, 3.0)}, r"extent must be a float > 0 or a pair"),
        ({"u": [1.0, 0.0], "v": [2.0, 0.0]}, r"u and v must be linearly independent"),
        ({"center": [0.0, 0.0, 0.0]}, r"center must be a finite real vector of length 2"),
        ({"config": "fast"}, r"config must be an EngineConfig or None"),
    ],
)
def test_basin_bad_input(kwargs: dict, match: str) -> None:
    args = {"lr": 0.5, "resolution": 3}
    args.update(kwargs)
    with pytest.raises(InvalidParameterError, match=match):
        basin_slice(_xy(), args.pop("lr"), **args)


def test_three_parameter_model_needs_plane() -> None:
    x, y, z = sp.symbols("x y z")
    m = dg.LossModel((x * y * z - 1) ** 2 / 2, (x, y, z))
    with pytest.raises(InvalidParameterError, match=r"center, u and v must be given"):
        basin_slice(m, 0.1, resolution=3)


def test_attractors_are_labelled_apart() -> None:
    """As Attractors.jl labels basins: the two branches of xy = 1 (components (+, +) and (-, -)
    of M) below eta*, and above eta* the two period-2 cycles around them and the saddle at the
    origin, each get their own label; diverged points get none (C6, C8)."""
    net = dg.LinearNetwork.scalar(depth=2, target=1.0)
    plane = {"center": np.zeros(2), "u": np.array([1.0, 0.0]), "v": np.array([0.0, 1.0])}
    below = basin_slice(net, 0.9, extent=2.0, resolution=41, **plane)
    kinds = sorted((a.kind, a.component) for a in below.attractors)
    assert kinds == [
        ("minimum", "component (+, +) of M"),
        ("minimum", "component (-, -) of M"),
        ("saddle", ""),
    ]
    lab = below.attractor
    assert np.all((lab >= 0) == (below.outcome == CONV))
    # the label of a converged point is the sign pattern of its limit's component
    plus = next(a.label for a in below.attractors if a.component == "component (+, +) of M")
    i, j = 30, 30  # the point (1, 1) itself is a minimum of the (+, +) branch
    assert below.a[j] == pytest.approx(1.0) and lab[i, j] == plus
    above = basin_slice(net, 1.01, extent=2.0, resolution=41, **plane)
    cycles = [a for a in above.attractors if a.kind == "cycle"]
    assert len(cycles) == 2 and {a.period for a in cycles} == {2}
    # the two cycles sit around the two branches: their points have opposite signs
    assert np.sign(cycles[0].point[0]) == -np.sign(cycles[1].point[0])
    assert np.all(above.attractor[above.outcome == Outcome.DIVERGED.code] == -1)


def test_minima_level_traces_m_for_scalar_networks_only() -> None:
    """M = {w_1 w_2 - 1 = 0} is stored as a signed level set on the slice of a scalar network;
    a general loss model has none."""
    net = dg.LinearNetwork.scalar(depth=2, target=1.0)
    bs = basin_slice(
        net, 0.9, center=np.zeros(2), u=[1.0, 0.0], v=[0.0, 1.0], extent=2.0, resolution=11
    )
    A, B = np.meshgrid(bs.level_a, bs.level_b)
    np.testing.assert_allclose(bs.minima_level, A * B - 1.0, atol=1e-12)
    assert basin_slice(_xy(), 0.9, extent=2.0, resolution=5).minima_level is None


def test_basin_to_pandas_one_row_per_grid_point() -> None:
    pytest.importorskip("pandas")
    bs = basin_slice(_xy(), 0.9, extent=2.0, resolution=7)
    df = bs.to_pandas()
    assert len(df) == 49
    assert (df["outcome"] == "converged").sum() == bs.counts()["converged"]
    assert set(df["attractor"]) == set(np.unique(bs.attractor))


@pytest.mark.parametrize(
    ("widths", "names"),
    [
        ((2, 3, 2), {"minima: M (one piece: no square layer)"}),
        (
            (2, 2, 2),
            {
                "minima: det signs (+, +) of W_1, W_2 on M",
                "minima: det signs (-, -) of W_1, W_2 on M",
            },
        ),
    ],
)
def test_minima_of_matrix_networks_grouped_by_det_signs(widths, names) -> None:
    """On M = {W_2 W_1 = I} the 2x2 layers are invertible, so sign det W_1 = sign det W_2 splits
    M into two pieces; with a 3-wide hidden layer M is one piece (no distance clustering of a
    continuum of minima)."""
    net = dg.LinearNetwork.from_covariances(widths, Sxx=np.eye(2), Syx=np.eye(2))
    bs = basin_slice(net, 0.4, extent=1.5, resolution=15)
    got = {a.name for a in bs.attractors if a.kind == "minimum"}
    assert got == names
    for a in bs.attractors:  # the representative limit has the group's det signs
        if a.kind == "minimum" and len(names) == 2:
            W1, W2 = net.unflatten(a.point)
            assert (np.linalg.det(W1) < 0) == ("(-, -)" in a.name) == (np.linalg.det(W2) < 0)


def test_clusters_do_not_split_a_tight_cluster_in_many_dimensions():
    from dynsys_gd.analysis.basins import _clusters

    # two points 2e-13 apart, on either side of a cell face in all 20 coordinates
    pts = np.full((2, 20), 0.05) + np.array([[-1e-13], [1e-13]])
    far = np.full((1, 20), 0.2)
    cl = _clusters(np.vstack([pts, far]), 0.05)
    assert cl[0] == cl[1] and cl[2] != cl[0]
