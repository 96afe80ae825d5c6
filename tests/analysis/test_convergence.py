"""Tests of estimate_convergent_fraction and the confidence intervals (MATH.md §6, §8)."""

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
from dynsys_gd.numeric.outcomes import OUTCOME_NAMES

W_STAR = [[1.5, 0.3], [-0.2, 0.7]]
ETA3 = 2 / (3 * 2 ** (4 / 3))  # scalar N = 3, y = 2 (MATH.md §8)


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


def test_certificate_recovers_long_run_truth_with_default_budget() -> None:
    """N = 3, y = 2, uniform [-2, 2]^3, eta = 0.99 eta*: truth about 0.97 (40,000 steps); the
    default budget finds it thanks to the certificate; a naive 4,000-step gradient rule does
    not (MATH.md §6)."""
    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    no_extension = EngineConfig(adaptive=False)
    e = estimate_convergent_fraction(net, 0.99 * ETA3, n_samples=300, seed=2, config=no_extension)
    assert e.ci_low < 0.97 < e.ci_high
    assert e.n_certified >= 0.9 * e.counts["converged"]
    assert e.counts["undecided"] == 0
    naive = EngineConfig(certificate=False, adaptive=False)
    e0 = estimate_convergent_fraction(net, 0.99 * ETA3, n_samples=300, seed=2, config=naive)
    assert e0.fraction < 0.35


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
        ({"net": "net"}, r"model must be a LinearNetwork"),
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
