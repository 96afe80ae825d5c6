"""stability_analysis: eta*, verdict, flattest minimum, sampled minima, saddles (C2–C6)."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.analysis.stability import (
    AT_CRITICAL_RTOL,
    DEFAULT_N_SAMPLES,
    LRVerdict,
    StabilityReport,
    stability_analysis,
)
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.engine.outcomes import OUTCOME_NAMES
from dynsys_gd.numeric.landscape.spectra import MARGINAL_RTOL, FixedPointClass

ETA_3_2 = 2.0 / (3.0 * 2.0 ** (4.0 / 3.0))  # docs/math/reference-values.md, N = 3, y = 2
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
    assert c is not None and c.n_samples == DEFAULT_N_SAMPLES == 1000
    assert 0.8 < c.fraction <= 1.0 and c.ci_low <= c.fraction <= c.ci_high
    assert (
        stability_analysis(3, 0.9 * ETA_3_2, target=2.0, n_minima=4, n_samples=0).convergence
        is None
    )


def test_above_critical_everything_unstable():
    r = stability_analysis(3, 1.1 * ETA_3_2, target=2.0, n_samples=100)
    assert r.verdict is LRVerdict.ABOVE
    assert r.flattest_spectrum.classification is FixedPointClass.UNSTABLE
    assert r.stable_fraction == 0.0 and not r.minima_stable.any()
    assert "measure zero" in r.prediction


def test_at_critical_one_tolerance_for_verdict_and_class():
    """AT and MARGINAL use the same tolerance (issue: 1e-12 against 1e-9 gave ABOVE next to a
    MARGINAL flattest minimum)."""
    assert AT_CRITICAL_RTOL == MARGINAL_RTOL == 1e-9
    eta = dg.critical_lr(dg.LinearNetwork.scalar(2, 1.0))
    assert eta == 1.0
    for lr, verdict, cls in [
        (1.0, LRVerdict.AT, FixedPointClass.MARGINAL),
        (1.0 + 1e-10, LRVerdict.AT, FixedPointClass.MARGINAL),
        (1.0 - 1e-10, LRVerdict.AT, FixedPointClass.MARGINAL),
        (1.0 + 1e-8, LRVerdict.ABOVE, FixedPointClass.UNSTABLE),
        (1.0 - 1e-8, LRVerdict.BELOW, FixedPointClass.STABLE),
    ]:
        r = stability_analysis(2, lr, n_samples=0, n_minima=2)
        assert r.verdict is verdict and r.flattest_spectrum.classification is cls
    # the case of the issue: N = 3, y = 2 at (1 + 1e-10) eta*
    r = stability_analysis(3, (1 + 1e-10) * ETA_3_2, target=2.0, n_samples=0, n_minima=2)
    assert r.verdict is LRVerdict.AT
    assert r.flattest_spectrum.classification is FixedPointClass.MARGINAL
    r = stability_analysis(2, 1.0, n_samples=0, n_minima=2)
    # depth 2: the origin is a strict saddle
    assert [s.classification for s in r.saddles] == [FixedPointClass.STRICT_SADDLE]


def test_minima_sampling_covers_the_stable_neighbourhood_for_any_depth():
    """Issue: depth 6 at 0.9 eta* printed '0 % stable' next to BELOW.  Below eta* the flattest
    minimum is stable and so is a neighbourhood of it in M: the sample must reach it."""
    for depth in (2, 6, 10):
        eta = 2.0 / (depth * 1.5 ** (2.0 - 2.0 / depth))
        r = stability_analysis(depth, 0.9 * eta, target=1.5, n_samples=0, n_minima=32)
        assert r.verdict is LRVerdict.BELOW
        assert r.stable_fraction > 0.2
        # every sampled point is on M and no flatter than S_min (C5)
        assert np.all(r.minima_sharpness >= r.flattest.sharpness * (1 - 1e-9))
        assert "sampled around the flattest minimum" in r.minima_distribution
        assert "s ~ U[0, 1]" in r.summary()


def test_depth_one_reports_singular_step_sizes():
    """C1 edge case: G_eta is singular everywhere exactly at eta = 1/lambda_i(Sxx)."""
    net = dg.LinearNetwork.from_covariances((2, 2), Sxx=np.diag([1.0, 4.0]), Syx=np.eye(2))
    r = stability_analysis(net, 0.3, n_samples=0)
    assert r.singular_lrs == pytest.approx((0.25, 1.0))
    assert r.minima_sharpness.shape == (1,)
    assert "1/lambda_i(Sxx) = 0.25, 1; this lr is none of them" in r.summary()
    hit = stability_analysis(net, 0.25, n_samples=0)
    assert "this lr is one of them" in hit.summary()
    assert json.loads(hit.to_json())["singular_lrs"] == [0.25, 1.0]
    assert stability_analysis(3, 0.1, target=2.0, n_samples=0, n_minima=2).singular_lrs == ()


def test_network_overrides_depth_and_target():
    net = dg.LinearNetwork.from_covariances((2, 2, 2, 2), Sxx=np.eye(2), Syx=W_STAR)
    with pytest.warns(DeprecationWarning, match="network=net"):
        r = stability_analysis(None, 0.3, network=net, target=123.0, n_minima=4, n_samples=40)
    assert r.widths == (2, 2, 2, 2) and r.target is None and r.depth == 3
    assert r.flattest.sharpness == pytest.approx(5.294403, abs=1e-6)
    assert r.verdict is LRVerdict.BELOW  # eta* = 0.37776
    with pytest.warns(DeprecationWarning):
        again = stability_analysis(3, 0.3, network=net, n_minima=4, n_samples=40)
    assert again.critical_lr == r.critical_lr
    # the network as first argument is the same analysis
    new = stability_analysis(net, 0.3, n_minima=4, n_samples=40)
    assert new.critical_lr == r.critical_lr
    np.testing.assert_array_equal(new.minima_sharpness, r.minima_sharpness)
    assert new.convergence.counts == r.convergence.counts
    labels = [s.label for s in r.saddles]
    assert labels[0] == "origin" and len(labels) == 3


def test_report_views_are_json_safe_and_readable():
    r = stability_analysis(4, 0.25, n_minima=8, n_samples=200)
    d = json.loads(r.to_json())
    assert d["verdict"] == "below" and d["critical_lr"] == pytest.approx(0.5)
    assert d["convergence"]["n_samples"] == 200 and len(d["minima_sharpness"]) == 8
    assert d["init"] == "uniform box [-2, 2]^P"
    assert set(d["convergence"]["counts"]) == set(OUTCOME_NAMES)
    assert d["flattest"]["method"] == "closed form (AM–GM)"
    text = r.summary()
    lines = text.splitlines()
    assert len(lines) >= 8
    # aligned "key : value" lines
    assert len({line.index(" : ") for line in lines}) == 1
    assert "eta*" in text and "Clopper-Pearson), n = 200" in text
    assert "initialisation   : uniform box [-2, 2]^P" in text
    assert "runs to minima" in text
    assert r._repr_markdown_().startswith("```text")
    assert repr(r).startswith("StabilityReport(") and len(repr(r)) < 100
    for v in LRVerdict:
        assert v.value.split(":")[0] in {
            "below the critical learning rate",
            "at the critical learning rate",
            "above the critical learning rate",
        }


def test_depth_one():
    r = stability_analysis(1, 1.5, target=3.0, n_samples=50)
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
        ((2.0, 0.1), {}, r"model_or_depth must be a depth \(an int >= 1\), .*; got 2.0"),
        ((True, 0.1), {}, r"model_or_depth must be a depth .*; got True"),
        ((None, 0.1), {}, r"model_or_depth must be a depth .*; got None"),
        (("net", 0.1), {}, r"model_or_depth must be a depth .*LossModel .*; got 'net'"),
        (
            (dg.LinearNetwork.scalar(2, 1.0), 0.1),
            {"target": 2.0},
            r"target applies to a depth \(scalar network\) only; got target=2.0",
        ),
        ((3, 0.1), {"n_sample": 10}, r"n_sample is not a keyword of stability_analysis"),
        (
            (dg.LinearNetwork.scalar(2, 1.0), 0.1),
            {"box": 2.0},
            r"box applies to a LossModel only",
        ),
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
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_bad_input(args, kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        stability_analysis(*args, **kwargs)


def test_seed_none_is_drawn_and_recorded():
    r = stability_analysis(3, 0.2, seed=None, n_minima=4, n_samples=50)
    assert isinstance(r.seed, int) and r.seed >= 0
    again = stability_analysis(3, 0.2, seed=r.seed, n_minima=4, n_samples=50)
    np.testing.assert_array_equal(again.minima_sharpness, r.minima_sharpness)


# -- any model, one signature ----------------------------------------------------------------
def _two_d_loss():
    import sympy as sp

    x, y = sp.symbols("x y")
    return dg.LossModel((x * y - 1) ** 2 / 2 + (x**2 - y**2) ** 2 / 8, (x, y))


def test_accepts_a_depth_a_network_and_a_loss_model():
    by_depth = stability_analysis(2, 0.5, n_samples=0, n_minima=4)
    by_net = stability_analysis(dg.LinearNetwork.scalar(2, 1.0), 0.5, n_samples=0, n_minima=4)
    assert by_depth.critical_lr == by_net.critical_lr == 1.0
    np.testing.assert_array_equal(by_depth.minima_sharpness, by_net.minima_sharpness)
    m = _two_d_loss()
    rep = stability_analysis(m, 0.5, n_samples=60, seed=3)
    assert isinstance(rep, StabilityReport)
    assert rep.widths == () and rep.model.startswith("loss model")
    assert rep.critical_lr == pytest.approx(1.0, rel=1e-12)  # S_min = 2 at (+-1, +-1)
    assert rep.verdict is LRVerdict.BELOW
    assert rep.flattest_spectrum.classification is FixedPointClass.STABLE
    assert rep.minima_sharpness == pytest.approx([2.0, 2.0])
    assert [s.classification for s in rep.saddles] == [FixedPointClass.STRICT_SADDLE]
    assert rep.convergence is not None and rep.convergence.n_samples == 60
    text = rep.summary()
    assert "proved-complete list" in text and "uniform box [-2, 2]^P" in text
    d = json.loads(rep.to_json())
    assert len(d["critical_points"]["points"]) == 3
    above = stability_analysis(m, 1.2, n_samples=0)
    assert above.verdict is LRVerdict.ABOVE
    assert above.flattest_spectrum.classification is FixedPointClass.UNSTABLE
    assert above.stable_fraction == 0.0 and "null set" in above.prediction


def test_initialisation_distribution_is_stated():
    r = stability_analysis(2, 0.5, n_samples=20, n_minima=2, init="gaussian", init_scale=0.5)
    assert r.init == "gaussian N(0, 0.5^2 I)" == r.convergence.init
    skipped = stability_analysis(2, 0.5, n_samples=0, n_minima=2, init_scale=3.0)
    assert skipped.init == "uniform box [-3, 3]^P"
