"""Tests of estimate_convergent_fraction and the confidence intervals (docs/math/convergent-set.md, §8)."""

from __future__ import annotations

import json
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.analysis.convergence import ConvergenceEstimate, estimate_convergent_fraction
from dynsys_gd.analysis.intervals import clopper_pearson, median_ci
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.engine import EngineConfig
from dynsys_gd.numeric.engine.outcomes import OUTCOME_NAMES, Outcome

W_STAR = [[1.5, 0.3], [-0.2, 0.7]]
ETA3 = 2 / (3 * 2 ** (4 / 3))  # scalar N = 3, y = 2 (docs/math/reference-values.md)


def _xy() -> dg.LossModel:
    x, y = sp.symbols("x y")
    return dg.LossModel(sp.Rational(1, 2) * (x * y - 1) ** 2, (x, y), name="xy")


def _whitened(depth: int) -> dg.LinearNetwork:
    return dg.LinearNetwork.from_covariances((2,) * (depth + 1), Sxx=np.eye(2), Syx=W_STAR)


def test_xy_fractions_match_math_section_8() -> None:
    """1/2 (xy - 1)^2: about 0.69 converge at 0.99, none at 1.01 where ~67 % stay bounded."""
    m = _xy()
    e = estimate_convergent_fraction(m, 0.99, n_samples=1500, seed=0)
    assert e.ci_low < 0.69 < e.ci_high
    assert e.n_to_saddles == 0 and e.sharpness_max <= 2 / 0.99
    e = estimate_convergent_fraction(m, 1.01, n_samples=1500, seed=0)
    assert e.fraction == 0.0 and e.counts["converged"] == 0
    assert e.ci_high == pytest.approx(1 - 0.025 ** (1 / 1500))
    assert e.ci_high < 3.7 / 1500
    nonconv = (e.counts["periodic"] + e.counts["bounded"]) / 1500
    assert 0.63 < nonconv < 0.71
    assert e.g_inf > 0.01  # C7: positive asymptotic gradient norm above eta*


def test_whitened_2x2_transition() -> None:
    """W* = [[1.5, .3], [-.2, .7]], Sxx = I, N = 2: about 0.37 converge at 0.98 eta*
    (initialisation N(0, I)), none at 1.02 eta*."""
    net = _whitened(2)
    eta = 2 / 3.062329
    e = estimate_convergent_fraction(
        net, 0.98 * eta, n_samples=600, seed=1, init="gaussian", init_scale=1.0
    )
    assert e.ci_low < 0.37 < e.ci_high
    assert e.init == "gaussian N(0, 1^2 I)"
    assert e.g_inf == 0.0  # C7: more than half of the non-divergent runs converge
    e = estimate_convergent_fraction(
        net, 1.02 * eta, n_samples=600, seed=1, init="gaussian", init_scale=1.0
    )
    assert e.fraction == 0.0 and e.ci_high < 3.7 / 600


def test_default_budget_recovers_long_run_truth_a_naive_rule_does_not() -> None:
    """N = 3, y = 2, uniform [-2, 2]^3, eta = 0.99 eta*: long runs give 0.967 [0.963, 0.970]
    (n = 10,000, tests/analysis/test_fraction_references.py); the default estimate decides every
    run and agrees, while a naive 4,000-step rule "converged when |grad L| < 1e-10" (written
    here, not the engine) sees a small share (docs/math/convergent-set.md: about 19 %)."""
    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    e = estimate_convergent_fraction(net, 0.99 * ETA3, n_samples=300, seed=2)
    assert e.counts["undecided"] == 0
    assert e.ci_low < 0.967 < e.ci_high
    from dynsys_gd.analysis.convergence import sample_block

    w = sample_block("uniform", 2.0, 2, 0, 300, 3)
    with np.errstate(all="ignore"):
        for _ in range(4000):
            p = np.prod(w, axis=1, keepdims=True)
            g = (p - 2.0) * p / np.where(w == 0, 1.0, w)
            w = np.where(np.isfinite(w - 0.99 * ETA3 * g), w - 0.99 * ETA3 * g, np.inf)
        p = np.prod(w, axis=1, keepdims=True)
        gn = np.linalg.norm((p - 2.0) * p / w, axis=1)
    naive = float(np.mean(gn < 1e-10))
    assert naive < 0.35 and e.fraction > 0.9
    # a 4,000-step budget cannot decide most runs: they are undecided, never "did not converge"
    short = EngineConfig(max_steps=4000, adaptive=False)
    e0 = estimate_convergent_fraction(net, 0.99 * ETA3, n_samples=300, seed=2, config=short)
    assert e0.fraction < 0.35
    assert e0.counts["undecided"] > 0.5 * 300 and e0.counts["bounded"] == 0


def test_same_seed_same_result_across_chunking_and_executor() -> None:
    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    kw = {"n_samples": 5000, "seed": 7, "config": EngineConfig(max_steps=400)}
    ref = estimate_convergent_fraction(net, 0.9 * ETA3, **kw).to_dict()
    assert estimate_convergent_fraction(net, 0.9 * ETA3, chunk_size=999, **kw).to_dict() == ref
    with ProcessPoolExecutor(2) as ex:
        got = estimate_convergent_fraction(net, 0.9 * ETA3, chunk_size=1500, executor=ex, **kw)
    assert got.to_dict() == ref
    assert estimate_convergent_fraction(net, 0.9 * ETA3, **{**kw, "seed": 8}).to_dict() != ref


def test_loss_model_with_process_pool() -> None:
    m = _xy()
    ref = estimate_convergent_fraction(m, 0.99, n_samples=300, seed=3)
    with ProcessPoolExecutor(2) as ex:
        got = estimate_convergent_fraction(
            m, 0.99, n_samples=300, seed=3, chunk_size=100, executor=ex
        )
    assert got.to_dict() == ref.to_dict()


def _ring_sampler(rng: np.random.Generator, n: int, P: int) -> np.ndarray:
    return 0.1 * rng.standard_normal((n, P)) + 1.0


def test_callable_init_and_result_api() -> None:
    net = dg.LinearNetwork.scalar(depth=2, target=1.0)
    e = estimate_convergent_fraction(net, 0.5, n_samples=50, seed=0, init=_ring_sampler)
    assert isinstance(e, ConvergenceEstimate)
    assert e.fraction == 1.0 and e.init == "callable _ring_sampler"
    assert tuple(e.counts) == OUTCOME_NAMES and sum(e.counts.values()) == 50
    assert "fraction converged: 1.0000" in e.summary()
    assert "ConvergenceEstimate(lr=0.5" in repr(e)
    assert json.loads(e.to_json())["n_samples"] == 50


def test_all_diverged_no_nan_no_warning() -> None:
    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e = estimate_convergent_fraction(net, 5.0, n_samples=40, seed=0, init_scale=3.0)
    assert e.counts["diverged"] == 40
    assert e.g_inf == float("inf") and e.sharpness_max is None
    text = e.to_json()  # strict JSON: would raise on NaN
    assert "NaN" not in text


def test_clopper_pearson_known_values() -> None:
    lo, hi = clopper_pearson(5, 10)
    assert lo == pytest.approx(0.187086, abs=1e-6) and hi == pytest.approx(0.812914, abs=1e-6)
    assert clopper_pearson(0, 100) == (0.0, pytest.approx(0.036217, abs=1e-6))
    assert clopper_pearson(100, 100)[1] == 1.0
    lo90, hi90 = clopper_pearson(5, 10, confidence=0.9)
    assert lo < lo90 and hi90 < hi


def test_median_ci_order_statistics() -> None:
    med, lo, hi = median_ci(np.arange(1.0, 101.0))
    assert med == 50.5
    assert (lo, hi) == (40.0, 61.0)  # binomial(100, 1/2) 2.5 % point: 39 below
    med, lo, hi = median_ci([3.0, 1.0, 2.0])
    assert med == 2.0 and (lo, hi) == (1.0, 3.0)
    rng = np.random.default_rng(0)
    cover = sum(
        lo <= 0.0 <= hi for _, lo, hi in (median_ci(rng.standard_normal(30)) for _ in range(400))
    )
    assert cover / 400 > 0.92


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lr": -0.1}, r"lr must be a finite float > 0; got -0.1"),
        ({"n_samples": 0}, r"n_samples must be an int >= 1; got 0"),
        ({"seed": None}, r"seed must be an int >= 0"),
        ({"seed": -3}, r"seed must be an int >= 0; got -3"),
        ({"init": "cauchy"}, r"init must be one of 'uniform', 'gaussian' or a callable"),
        ({"init_scale": 0.0}, r"init_scale must be a finite float > 0"),
        ({"executor": "pool"}, r"executor must be None or a concurrent.futures.Executor"),
        ({"chunk_size": 0}, r"chunk_size must be an int >= 1"),
        ({"config": 3}, r"config must be an EngineConfig or None"),
        ({"progress": "yes"}, r"progress must be a bool"),
        ({"confidence": 1.5}, r"confidence must be a float in \(0, 1\)"),
        ({"net": "net"}, r"model must implement the model protocol"),
    ],
)
def test_estimate_bad_input(kwargs: dict, match: str) -> None:
    args = {
        "net": dg.LinearNetwork.scalar(depth=2, target=1.0),
        "lr": 0.5,
        "n_samples": 10,
        "seed": 0,
    }
    args.update(kwargs)
    net, lr = args.pop("net"), args.pop("lr")
    with pytest.raises(InvalidParameterError, match=match):
        estimate_convergent_fraction(net, lr, **args)


def test_bad_sampler_output() -> None:
    net = dg.LinearNetwork.scalar(depth=2, target=1.0)
    with pytest.raises(InvalidParameterError, match=r"init sampler must return a finite array"):
        estimate_convergent_fraction(
            net, 0.5, n_samples=5, seed=0, init=lambda rng, n, P: np.zeros((n, P + 1))
        )


C, PER = Outcome.CONVERGED.code, Outcome.PERIODIC.code


def _arrays(keys: list[str], g_tail: list[float], at_min: list[bool] | None = None) -> dict:
    codes = [Outcome.from_key(k).code for k in keys]
    n = len(codes)
    return {
        "outcome": np.asarray(codes, dtype=np.int64),
        "steps": np.full(n, 100, dtype=np.int64),
        "period": np.where(np.asarray(codes) == PER, 2, 0).astype(np.int64),
        "g_tail": np.asarray(g_tail, dtype=np.float64),
        "sharpness": np.where(np.asarray(codes) == C, 1.5, 0.0),
        "at_minimum": np.asarray(at_min if at_min is not None else [c == C for c in codes]),
        "certified": np.zeros(n, dtype=bool),
    }


def _summ(arrays: dict) -> ConvergenceEstimate:
    from dynsys_gd.analysis.convergence import summarize_runs

    return summarize_runs(
        arrays,
        lr=0.5,
        n_samples=arrays["outcome"].size,
        seed=0,
        init_text="test",
        confidence=0.95,
        model_text="m",
        config=EngineConfig(),
    )


def test_undecided_runs_make_the_fraction_an_honest_range() -> None:
    """k converged, u undecided of n: fraction k/n, fraction_high (k+u)/n, interval from the
    lower CP bound of k to the upper CP bound of k + u (docs/math/convergent-set.md)."""
    codes = ["converged"] * 50 + ["undecided"] * 30 + ["diverged"] * 20
    e = _summ(_arrays(codes, [0.0] * 50 + [1e-3] * 30 + [float("inf")] * 20))
    assert e.n_undecided == 30 and e.counts["undecided"] == 30
    assert e.fraction == 0.5 and e.fraction_high == 0.8
    assert e.ci_low == clopper_pearson(50, 100)[0]
    assert e.ci_high == clopper_pearson(80, 100)[1]
    text = e.summary()
    assert "0.5000 to 0.8000, a range: 30 undecided of 100 runs" in text
    assert "upper of converged + undecided" in text
    assert "not counted as non-convergent" in text
    assert "undecided=30" in repr(e)
    d = json.loads(e.to_json())
    assert d["n_undecided"] == 30 and d["fraction_high"] == 0.8


def test_no_undecided_gives_the_plain_clopper_pearson_interval() -> None:
    e = _summ(_arrays(["converged"] * 7 + ["diverged"] * 3, [0.0] * 7 + [float("inf")] * 3))
    assert (e.ci_low, e.ci_high) == clopper_pearson(7, 10)
    assert e.fraction == e.fraction_high == 0.7 and e.n_undecided == 0
    assert "range" not in e.summary() and "undecided runs left out" not in e.summary()
    assert e.g_inf_if_undecided is None


def test_g_inf_leaves_undecided_runs_out_and_says_so() -> None:
    """C7: 4 converged (0), 3 periodic (g 0.2), 5 undecided (g 0.01): the median is over the 7
    decided runs; counting the undecided as converged / at their tail norm moves it."""
    codes = ["converged"] * 4 + ["periodic"] * 3 + ["undecided"] * 5
    e = _summ(_arrays(codes, [0.0] * 4 + [0.2] * 3 + [0.01] * 5))
    assert e.g_inf_n == 7 and e.g_inf == 0.0
    assert e.g_inf_if_undecided == (0.0, pytest.approx(0.01))
    assert "5 undecided runs left out" in e.summary()


def test_g_inf_undefined_when_every_non_divergent_run_is_undecided() -> None:
    e = _summ(_arrays(["undecided"] * 3 + ["diverged"] * 2, [0.1] * 3 + [float("inf")] * 2))
    assert np.isnan(e.g_inf) and e.g_inf_n == 0
    assert "undefined: every non-divergent run is undecided" in e.summary()
    assert "NaN" not in e.to_json()


def test_converged_split_into_minima_and_saddles() -> None:
    e = _summ(_arrays(["converged"] * 5, [0.0] * 5, at_min=[True, True, True, False, False]))
    assert (e.n_to_minima, e.n_to_saddles) == (3, 2)
    assert "converged to minima: 3, to saddles: 2" in e.summary()


def test_run_rows_per_row_lr_equals_separate_calls() -> None:
    """One engine call with one step size per row gives, run by run, what one call per step
    size gives."""
    from dynsys_gd.analysis.convergence import run_rows
    from dynsys_gd.numeric.engine import run_gd

    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    rng = np.random.default_rng(0)
    th = rng.uniform(-2, 2, size=(60, 3))
    lrs = np.repeat([0.5 * ETA3, 0.9 * ETA3, 1.1 * ETA3], 20)
    cfg = EngineConfig(max_steps=600)
    got = run_rows(net, th, lrs, cfg)
    for lr in np.unique(lrs):
        sel = lrs == lr
        rb = run_gd(net, th[sel], float(lr), config=cfg)
        for f in ("outcome", "steps", "period", "g_tail", "sharpness", "at_minimum"):
            np.testing.assert_array_equal(got[f][sel], getattr(rb, f))


def test_monte_carlo_streams_differ_from_other_purposes() -> None:
    """Monte-Carlo block 0 no longer draws the stream SeedSequence(seed).spawn(1)[0] that other
    helpers use (issue: identical draws for random minima and block 0)."""
    from dynsys_gd.analysis.convergence import sample_block

    a = sample_block("uniform", 1.0, 0, 0, 16, 3)
    old = np.random.default_rng(np.random.SeedSequence(0).spawn(1)[0]).uniform(-1, 1, (16, 3))
    assert not np.any(a == old)
    np.testing.assert_array_equal(a, sample_block("uniform", 1.0, 0, 0, 16, 3))
    assert not np.any(a == sample_block("uniform", 1.0, 0, 1, 16, 3))


def test_fraction_interval_covers_every_completion_of_the_undecided_runs() -> None:
    """[CP_low(k), CP_high(k + u)] contains the CP interval of every k' in [k, k + u]."""
    from dynsys_gd.analysis.intervals import fraction_interval

    lo, hi = fraction_interval(12, 9, 60)
    for kk in range(12, 22):
        a, b = clopper_pearson(kk, 60)
        assert lo <= a and b <= hi
    assert fraction_interval(5, 0, 10) == clopper_pearson(5, 10)
    with pytest.raises(InvalidParameterError, match=r"u must be an int <= 5; got 6"):
        fraction_interval(5, 6, 10)


def test_frozen_runs_are_never_converged_and_widen_the_range() -> None:
    """N = 10, y = 1, uniform [-0.05, 0.05]^10 at 1.1 eta* (docs/math/claims.md#c6): the runs are frozen
    (|grad L| ~ 1e-14); none is converged, the summary says so, and since a frozen run is not
    shown non-convergent either, the range runs up to (k + frozen) / n; g_inf leaves them out."""
    from dynsys_gd.analysis.intervals import fraction_interval

    net = dg.LinearNetwork.scalar(depth=10, target=1.0)
    eta = 2 / 10
    e = estimate_convergent_fraction(net, 1.1 * eta, n_samples=100, seed=0, init_scale=0.05)
    assert e.counts["converged"] == 0 and e.n_to_saddles == 0
    assert e.n_frozen == e.counts["frozen"] > 0
    assert e.fraction == 0.0 and e.fraction_high == (e.n_frozen + e.n_undecided) / 100
    assert e.ci_high == fraction_interval(0, e.n_open, 100)[1]
    assert e.g_inf_n == 100 - e.n_open - e.counts["diverged"]
    assert "frozen" in e.summary() and "not converged" in e.summary()
