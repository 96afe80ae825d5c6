"""stability_analysis: eta*, verdict, flattest minimum, sampled minima, saddles (C2–C6)."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.analysis.stability import LRVerdict, StabilityReport, stability_analysis
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.spectra import FixedPointClass

ETA_3_2 = 2.0 / (3.0 * 2.0 ** (4.0 / 3.0))  # MATH.md §8, N = 3, y = 2
W_STAR = np.array([[1.5, 0.3], [-0.2, 0.7]])


def test_below_critical_scalar_depth_three():
    r = stability_analysis(3, 0.9 * ETA_3_2, target=2.0, n_minima=16)
    assert isinstance(r, StabilityReport)
    assert r.critical_lr == pytest.approx(ETA_3_2, rel=1e-12)
    assert r.ratio == pytest.approx(0.9, rel=1e-12)
    assert r.verdict is LRVerdict.BELOW
    assert r.flattest_spectrum.classification is FixedPointClass.STABLE
    assert r.flattest_spectrum.tangent_dim == 2
    assert r.minima_sharpness.shape == (16,)
    assert np.all(r.minima_sharpness >= r.flattest.sharpness * (1 - 1e-9))
    np.testing.assert_array_equal(r.minima_stable, r.minima_sharpness < 2 / r.lr)
    assert r.stable_fraction == pytest.approx(np.mean(r.minima_stable))
    assert "positive measure" in r.prediction
    kinds = {s.label: s.classification for s in r.saddles}
    assert kinds["origin"] is FixedPointClass.NON_STRICT_SADDLE
    assert kinds["two zero weights (w_1 = w_2 = 0)"] is FixedPointClass.STRICT_SADDLE
    # the default report carries a Monte-Carlo estimate of the convergent fraction (C6)
    c = r.convergence
    assert c is not None and c.n_samples == 500
    assert 0.8 < c.fraction <= 1.0 and c.ci_low <= c.fraction <= c.ci_high
    assert (
        stability_analysis(3, 0.9 * ETA_3_2, target=2.0, n_minima=4, n_samples=0).convergence
        is None
    )


def test_above_critical_everything_unstable():
    r = stability_analysis(3, 1.1 * ETA_3_2, target=2.0)
    assert r.verdict is LRVerdict.ABOVE
    assert r.flattest_spectrum.classification is FixedPointClass.UNSTABLE
    assert r.stable_fraction == 0.0 and not r.minima_stable.any()
    assert "measure zero" in r.prediction


def test_at_critical_within_1e_12():
    eta = dg.critical_lr(dg.LinearNetwork.scalar(2, 1.0))
    assert eta == 1.0
    assert stability_analysis(2, 1.0).verdict is LRVerdict.AT
    assert stability_analysis(2, 1.0 + 1e-13).verdict is LRVerdict.AT
    assert stability_analysis(2, 1.0 + 1e-10).verdict is LRVerdict.ABOVE
    assert stability_analysis(2, 1.0 - 1e-10).verdict is LRVerdict.BELOW
    r = stability_analysis(2, 1.0)
    assert r.flattest_spectrum.classification is FixedPointClass.MARGINAL
    # depth 2: the origin is a strict saddle
    assert [s.classification for s in r.saddles] == [FixedPointClass.STRICT_SADDLE]


def test_network_overrides_depth_and_target():
    net = dg.LinearNetwork.from_covariances((2, 2, 2, 2), Sxx=np.eye(2), Syx=W_STAR)
    r = stability_analysis(None, 0.3, network=net, target=123.0, n_minima=4)
    assert r.widths == (2, 2, 2, 2) and r.target is None and r.depth == 3
    assert r.flattest.sharpness == pytest.approx(5.294403, abs=1e-6)
    assert r.verdict is LRVerdict.BELOW  # eta* = 0.37776
    assert stability_analysis(3, 0.3, network=net, n_minima=4).critical_lr == r.critical_lr
    labels = [s.label for s in r.saddles]
    assert labels[0] == "origin" and len(labels) == 3


def test_report_views_are_json_safe_and_readable():
    r = stability_analysis(4, 0.25, n_minima=8)
    d = json.loads(r.to_json())
    assert d["verdict"] == "below" and d["critical_lr"] == pytest.approx(0.5)
    assert d["convergence"]["n_samples"] == 500 and len(d["minima_sharpness"]) == 8
    assert set(d["convergence"]["counts"]) == {
        "converged",
        "diverged",
        "periodic",
        "bounded",
        "undecided",
    }
    assert d["flattest"]["method"] == "closed form (AM–GM)"
    text = r.summary()
    lines = text.splitlines()
    assert len(lines) >= 8
    # aligned "key : value" lines
    assert len({line.index(" : ") for line in lines}) == 1
    assert "eta*" in text and "Clopper-Pearson), n = 500" in text
    assert r._repr_markdown_().startswith("```text")
    assert repr(r).startswith("StabilityReport(") and len(repr(r)) < 100
    for v in LRVerdict:
        assert v.value.split(":")[0] in {
            "below the critical learning rate",
            "at the critical learning rate",
            "above the critical learning rate",
        }


def test_depth_one():
    r = stability_analysis(1, 1.5, target=3.0)
    assert r.critical_lr == pytest.approx(2.0)
    assert r.saddles == () and r.flattest_spectrum.tangent_dim == 0
    assert r.verdict is LRVerdict.BELOW and r.stable_fraction == 1.0


@pytest.mark.skipif(
    importlib.util.find_spec("dynsys_gd.analysis.convergence") is None,
    reason="dynsys_gd.analysis.convergence not available yet",
)
def test_monte_carlo_estimate_is_attached():
    r = stability_analysis(2, 0.5, n_samples=40, seed=1)
    c = r.convergence
    assert c is not None and c.n_samples == 40
    assert 0.0 <= c.ci_low <= c.fraction <= c.ci_high <= 1.0
    assert json.loads(r.to_json())["convergence"] is not None


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((3, 0.0), {}, r"lr must be a finite float > 0; got 0.0"),
        ((3, -0.1), {}, r"lr must be a finite float > 0; got -0.1"),
        ((3, float("nan")), {}, r"lr must be a finite float > 0; got nan"),
        ((3, float("inf")), {}, r"lr must be a finite float > 0; got inf"),
        ((3, "0.1"), {}, r"lr must be a finite float > 0; got '0.1'"),
        ((3, True), {}, r"lr must be a finite float > 0; got True"),
        ((3, None), {}, r"lr must be a finite float > 0; got None"),
        ((0, 0.1), {}, r"depth must be an int >= 1; got 0"),
        ((2.0, 0.1), {}, r"depth must be an int >= 1; got 2.0"),
        ((True, 0.1), {}, r"depth must be an int >= 1; got True"),
        ((None, 0.1), {}, r"depth must be an int >= 1; got None"),
        ((3, 0.1), {"target": 0.0}, r"target must be non-zero: .*not a manifold"),
        ((3, 0.1), {"target": float("nan")}, r"target must be a finite real number; got nan"),
        ((3, 0.1), {"target": "1"}, r"target must be a finite real number; got '1'"),
        ((3, 0.1), {"n_minima": 0}, r"n_minima must be an int >= 1; got 0"),
        ((3, 0.1), {"n_samples": -1}, r"n_samples must be an int >= 0; got -1"),
        ((3, 0.1), {"seed": -2}, r"seed must be an int >= 0; got -2"),
        ((3, 0.1), {"network": "net"}, r"network must be a LinearNetwork or None; got str"),
        (
            (2, 0.1),
            {"network": dg.LinearNetwork.scalar(3, 1.0)},
            r"depth must be None or equal to network.depth = 3; got 2",
        ),
        (
            (None, 0.1),
            {"network": dg.LinearNetwork.scalar(3, 0.0)},
            r"target must be non-zero: .*not a manifold",
        ),
    ],
)
def test_bad_input(args, kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        stability_analysis(*args, **kwargs)


def test_seed_none_is_drawn_and_recorded():
    r = stability_analysis(3, 0.2, seed=None, n_minima=4)
    assert isinstance(r.seed, int) and r.seed >= 0
    again = stability_analysis(3, 0.2, seed=r.seed, n_minima=4)
    np.testing.assert_array_equal(again.minima_sharpness, r.minima_sharpness)
