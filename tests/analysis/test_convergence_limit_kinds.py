"""The Monte-Carlo estimate counts what its converged runs reached: global minima, non-global
local minima and saddles (docs/math/limits.md), the same for every chunking, and results stored
before the counts existed still merge."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.analysis.convergence import (
    estimate_convergent_fraction,
    merge_task_results,
    run_task,
    sample_block,
    task_json,
)
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.engine.outcomes import Outcome
from dynsys_gd.numeric.engine.run import run_gd
from dynsys_gd.numeric.landscape.limits import count_limit_kinds, label_limits, limit_levels

# (a^2 b - 1)^2 / 2: on the minima set a^2 b = 1, H = g g^T with g = (2ab, a^2), so
# lambda_max = 4/t + t^2 with t = a^2, smallest at t = 2^(1/3): S_min = 3 * 2^(2/3).
ETA_STAR = 2 / (3 * 2 ** (2 / 3))


def _line_model() -> dg.LossModel:
    a, b = sp.symbols("a b")
    return dg.LossModel((a**2 * b - 1) ** 2 / 2, (a, b))


def test_runs_above_eta_star_end_on_the_line_of_local_minima_not_on_global_minima():
    m = _line_model()
    e = estimate_convergent_fraction(m, 1.1 * ETA_STAR, n_samples=100, seed=0, min_loss=0.0)
    assert e.n_converged > 0
    assert e.n_limit_global == 0 and e.n_limit_saddle == 0
    assert e.n_limit_local == e.n_converged
    assert e.limit_min_loss == 0.0 and e.limit_min_loss_source == "given"
    assert "limits reached: 0 at global minima" in e.summary()
    d = e.to_dict()
    assert d["n_limit_local"] == e.n_converged and d["limit_min_loss"] == 0.0
    # independent: the replayed limits lie at loss 0.5 on {a = 0, b < 0}
    rb = run_gd(m, sample_block("uniform", 2.0, 0, 0, 100, 2), 1.1 * ETA_STAR)
    X = np.asarray(rb.theta)[np.asarray(rb.has_limit, dtype=bool)]
    assert X.shape[0] == e.n_converged
    np.testing.assert_allclose(m.loss(X), 0.5, rtol=1e-9)
    assert np.all(np.abs(X[:, 0]) < 1e-6) and np.all(X[:, 1] < 0)


def test_counts_do_not_depend_on_the_chunking_and_say_when_the_minimum_is_not_known():
    m = _line_model()
    kw = {"n_samples": 100, "seed": 0}
    whole = estimate_convergent_fraction(m, 1.1 * ETA_STAR, **kw)
    parts = estimate_convergent_fraction(m, 1.1 * ETA_STAR, chunk_size=7, **kw)
    assert whole.to_dict() == parts.to_dict()
    # without a known minimum loss the lowest limit (0.5) is the reference
    assert whole.limit_min_loss == pytest.approx(0.5, rel=1e-12)
    assert whole.n_limit_global == whole.n_converged
    assert "not a known minimum" in whole.limit_min_loss_source


def test_linear_network_below_eta_star_reaches_global_minima_only():
    net = dg.LinearNetwork.scalar(depth=2, target=1.0)  # eta* = 1 (S_min = 2 y)
    e = estimate_convergent_fraction(net, 0.5, n_samples=60, seed=1, init_scale=1.0)
    assert e.n_converged > 0
    assert (e.n_limit_global, e.n_limit_local, e.n_limit_saddle) == (e.n_converged, 0, 0)
    assert e.limit_min_loss == 0.0 and e.limit_min_loss_source == "the loss on M"
    assert "limits reached" not in e.summary()  # the common output is unchanged


def test_counts_agree_with_label_limits_on_the_same_limits():
    m = _line_model()
    X = np.array([[1.0, 1.0], [0.0, -1.0], [0.0, -0.3], [2.0, 0.25], [0.0, 1.0]])
    lab = label_limits(m, X, min_loss=0.0)
    saddles, levels = limit_levels(m, X, np.ones(5, dtype=bool))
    counts, ref = count_limit_kinds(saddles, levels, 0.0)
    assert counts == lab.counts and ref == 0.0
    assert lab.counts == {"global_minimum": 2, "local_minimum": 2, "saddle": 1}
    # a limit below the given minimum loss lowers it
    counts, ref = count_limit_kinds(0, {0.25: 3, 0.5: 1}, 0.5)
    assert ref == 0.25 and counts == {"global_minimum": 3, "local_minimum": 1, "saddle": 0}
    # a linear network has no non-global local minima: such limits are saddles
    counts, _ = count_limit_kinds(1, {0.0: 4, 0.3: 2}, 0.0, local_minima_exist=False)
    assert counts == {"global_minimum": 4, "local_minimum": 0, "saddle": 3}


def test_stored_task_results_with_and_without_counts_merge():
    m = _line_model()
    args = (m, 1.1 * ETA_STAR, "uniform", 2.0, 0)
    r1 = run_task(*args, 0, 0, 30, 60, None)
    r2 = run_task(*args, 0, 30, 60, 60, None)
    fresh = merge_task_results([r1, r2])
    stored = merge_task_results([task_json(r2), task_json(r1)])  # JSON form, any order
    assert stored["limit_saddles"] == fresh["limit_saddles"]
    assert stored["limit_levels"] == fresh["limit_levels"]
    assert sum(fresh["limit_levels"].values()) + fresh["limit_saddles"] == int(
        np.sum(fresh["outcome"] == Outcome.CONVERGED.code)
    )
    old = [{k: v for k, v in task_json(r).items() if not k.startswith("limit_")} for r in (r1, r2)]
    merged = merge_task_results(old)
    assert "limit_levels" not in merged
    np.testing.assert_array_equal(merged["outcome"], fresh["outcome"])


def test_min_loss_is_checked_before_any_run():
    with pytest.raises(InvalidParameterError, match="min_loss must be a finite real number"):
        estimate_convergent_fraction(_line_model(), 0.1, n_samples=5, seed=0, min_loss=math.nan)


def test_no_counts_when_limits_are_not_annotated():
    from dynsys_gd.numeric.engine import EngineConfig

    net = dg.LinearNetwork.scalar(depth=2, target=1.0)
    cfg = EngineConfig(limits=False, certificate=False)
    e = estimate_convergent_fraction(net, 0.5, n_samples=20, seed=1, init_scale=1.0, config=cfg)
    assert e.n_converged > 0 and e.n_limit_global is None and e.limit_kinds_text() == ""


def test_network_limits_at_the_known_minimum_skip_the_second_order_test_with_same_counts():
    from dynsys_gd.numeric.landscape.limits import reference_min_loss

    net = dg.LinearNetwork.scalar(depth=2, target=1.0)  # minima: a b = 1; saddle: 0
    X = np.array([[1.0, 1.0], [2.0, 0.5], [0.0, 0.0], [-0.5, -2.0]])
    lab = label_limits(net, X)
    ref = reference_min_loss(net)
    assert ref == 0.0
    for given in (None, ref):
        saddles, levels = limit_levels(net, X, np.ones(4, dtype=bool), min_loss=given)
        counts, _ = count_limit_kinds(saddles, levels, ref, local_minima_exist=False)
        assert counts == lab.counts == {"global_minimum": 3, "local_minimum": 0, "saddle": 1}
