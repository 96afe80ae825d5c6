"""Trainability maps: per-layer step sizes, the score, zoom and float64 resolution."""

from __future__ import annotations

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError


def test_equal_step_sizes_agree_with_run_gd_and_chunks_do_not_matter():
    model, th0 = dg.sohl_dickstein_mlp("tanh", width=4, n_in=2, seed=1)
    lrs = np.logspace(-1, 1.3, 9)
    tm = dg.trainability_map(model, lrs, lrs, theta0=th0, steps=150)
    other = dg.trainability_map(model, lrs, lrs, theta0=th0, steps=150, chunk=7, workers=2)
    assert np.array_equal(tm.diverged, other.diverged)
    assert np.array_equal(tm.score, other.score)
    assert tm.diverged[-1, -1] and not tm.diverged[0, 0]
    # the diagonal is plain GD: replay it with the model's numpy gradient
    for k in (0, 4, 8):
        th = th0.copy()
        div = False
        with np.errstate(all="ignore"):
            for _ in range(150):
                th = th - lrs[k] * model.gradient(th[None])[0]
                if not np.all(np.abs(th) <= 1e6):
                    div = True
                    break
        assert div == bool(tm.diverged[k, k])
    # score: mean loss over the run, below the initial loss at a small step size
    assert np.isfinite(tm.score[0, 0]) and tm.score[0, 0] <= float(model.loss(th0[None])[0])
    assert np.all(np.isinf(tm.score[tm.diverged]))


def test_zoom_reports_float64_resolution():
    model, th0 = dg.sohl_dickstein_mlp("identity", width=2, n_in=1, seed=0)
    lrs = np.logspace(-1, 0, 8)
    tm = dg.trainability_map(model, lrs, lrs, theta0=th0, steps=20)
    assert tm.resolved
    deep = tm.zoom((0.3, 0.3), 1e15)
    assert deep.ulps_per_pixel < 10 and not deep.resolved
    assert "NOT resolved" in deep.summary()


def test_bad_input():
    model, th0 = dg.sohl_dickstein_mlp("relu", width=2, n_in=1)
    with pytest.raises(InvalidParameterError, match="theta0 must"):
        dg.trainability_map(model, [0.1, 0.2], [0.1, 0.2])
    with pytest.raises(InvalidParameterError, match="lr1 and lr2 must be > 0"):
        dg.trainability_map(model, [-0.1, 0.2], [0.1, 0.2], theta0=th0)


def test_zoom_sequence_stays_on_the_boundary_and_reports_each_level():
    model, th0 = dg.sohl_dickstein_mlp("tanh", width=3, n_in=1, seed=2)
    lrs = np.logspace(-1, 1.5, 24)
    tm = dg.trainability_map(model, lrs, lrs, theta0=th0, steps=60)
    zs = dg.zoom_sequence(tm, depth=1e3, factor=10, largest=4)
    assert zs.zoom.tolist() == [1.0, 10.0, 100.0, 1000.0] and not zs.stopped
    for k in range(1, 4):
        m = zs.maps[k]
        # every window is centred on the boundary: both outcomes present, centre inside
        assert m.diverged.any() and not m.diverged.all()
        (a, b), c = m.axes, zs.centers[k]
        assert a[0] < c[0] < a[-1] and b[0] < c[1] < b[-1]
        # the window is 10^-k of the first on a log axis
        span = np.log10(a[-1] / a[0])
        assert span == pytest.approx(np.log10(lrs[-1] / lrs[0]) / 10**k, rel=1e-9)
        # ulps per pixel fall as 1/zoom (within the factor 2 of where in its binade a value sits)
        assert 0.4 < zs.ulps_per_pixel[k] * 10**k / zs.ulps_per_pixel[0] < 2.5
    assert np.all(zs.resolved)
    assert zs.float64_limit() > 1e12
    text = zs.summary()
    assert "zoom 1e+03" in text and "float64 stops resolving" in text
    assert zs.to_pandas().shape[0] == 4
    with pytest.raises(InvalidParameterError, match="depth must be"):
        dg.zoom_sequence(tm, depth=2.0)


def test_neighbour_correlation_tells_a_boundary_from_pixel_noise():
    from dynsys_gd.analysis.trainability_zoom import _correlation

    rng = np.random.default_rng(0)
    noise = rng.random((128, 128)) < 0.4
    half = np.zeros((128, 128), dtype=bool)
    half[:, 50:] = True
    assert abs(_correlation(noise)) < 0.05  # independent pixels: phi ~ 0
    assert _correlation(half) > 0.95  # one straight edge: phi ~ 1 - 1/64
