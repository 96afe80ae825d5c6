"""Tests of the batched GD engine (numeric/engine/run.py): outcomes against closed forms."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.engine import EngineConfig, RunBatch, run_gd
from dynsys_gd.numeric.engine.outcomes import OUTCOME_NAMES, Outcome

CONV, DIV, PER, BND, UND, FRZ = (o.code for o in Outcome)


class LogisticModel:
    """1-D 'model' whose GD map with lr = 1 is the logistic map 4x(1-x) (chaotic, bounded)."""

    n_params = 1

    def gradient(self, th: np.ndarray) -> np.ndarray:
        return th - 4.0 * th * (1.0 - th)

    def loss(self, th: np.ndarray) -> np.ndarray:
        x = th[:, 0]
        return -1.5 * x**2 + 4.0 * x**3 / 3.0

    def hessian(self, th: np.ndarray) -> np.ndarray:
        return (-3.0 + 8.0 * th)[:, :, None]

    def hvp(self, th: np.ndarray, v: np.ndarray) -> np.ndarray:
        return (-3.0 + 8.0 * th) * v


def test_linear_regression_closed_form() -> None:
    """N = 1: w_t = 1 + (1 - eta)^t (w_0 - 1): converges for eta < 2, period 2 at eta = 2,
    diverges above."""
    net = dg.LinearNetwork.scalar(depth=1, target=1.0)
    r = run_gd(net, [[0.3], [-2.0]], 0.5)
    assert list(r.outcome) == [CONV, CONV]
    np.testing.assert_allclose(r.theta[:, 0], 1.0, atol=1e-10)
    np.testing.assert_allclose(r.sharpness, 1.0)
    assert r.at_minimum.all()
    r = run_gd(net, [[0.3], [3.0]], 2.0)
    assert list(r.outcome) == [PER, PER] and list(r.period) == [2, 2]
    r = run_gd(net, [[0.3]], 2.5)
    assert r.outcome[0] == DIV


@pytest.mark.parametrize("backend", ["compiled", "numpy"])
def test_fast_run_is_decided_at_its_first_check(backend: str) -> None:
    """N = 1 at eta = 0.15: the steps shrink by exactly 0.85 per step, and at step 128 the
    distance left, e_1 / (1 - 0.85), is about 4e-10: the window streak (step lengths 4 steps
    apart within the last iterates) decides the run there, not after a streak of checks
    128 steps apart or at the float64 floor (step 256); the contraction it reports is 0.85."""
    net = dg.LinearNetwork.scalar(depth=1, target=1.0)
    r = run_gd(net, [[1.5]], 0.15, backend=backend)
    assert r.outcome[0] == CONV and r.steps[0] == 128
    assert not r.at_float_floor[0]
    assert abs(r.theta[0, 0] - 1.0) <= 1e-9
    # the steps near 1e-10 carry rounding of about 1e-16 / 1e-10 relative
    assert r.contraction[0] == pytest.approx(0.85, rel=1e-5)


def test_saddle_at_origin_is_reported() -> None:
    """N = 3: theta = 0 is a non-strict saddle (H = 0); a run started there converges to it and
    is reported as a saddle, not a minimum (C6)."""
    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    r = run_gd(net, np.zeros((1, 3)), 0.1)
    assert r.outcome[0] == CONV
    assert not r.at_minimum[0]
    assert r.sharpness[0] == 0.0 and r.lam_min[0] == 0.0


def test_divergence_no_warning_no_nan() -> None:
    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = run_gd(net, np.full((4, 3), 10.0), 0.5)
    assert (r.outcome == DIV).all()
    assert np.all(np.isfinite(r.theta))
    assert np.isinf(r.loss).all() and np.isinf(r.g_tail).all()
    for f in ("theta", "loss", "g_tail", "sharpness", "lam_min"):
        assert not np.isnan(getattr(r, f)).any()
    json.loads(r.to_json())


def test_chaotic_run_is_bounded() -> None:
    r = run_gd(LogisticModel(), [[0.3]], 1.0)
    assert r.outcome[0] == BND
    assert 0.0 < r.g_tail[0] < 1.0


def test_slow_degenerate_convergence_is_undecided_and_extended() -> None:
    """L = theta^4/4 converges like t^{-1/2}: never certified, never called non-convergent."""
    t = sp.Symbol("t")
    m = dg.LossModel(t**4 / 4, (t,))
    r = run_gd(m, [[1.0]], 0.5, config=EngineConfig(adaptive=False, max_steps=1000))
    assert r.outcome[0] == UND and r.steps[0] == 1024  # budgets are multiples of check_every
    r = run_gd(m, [[1.0]], 0.5, config=EngineConfig(max_steps=1000, max_extension=3.0))
    assert r.outcome[0] == UND and r.steps[0] == 3 * 1024


def test_xy_period_two_above_critical_lr() -> None:
    """1/2 (xy - 1)^2 at eta = 1.01 > eta* = 1: no run converges; bounded runs are 2-cycles
    (C8 flip bifurcation)."""
    x, y = sp.symbols("x y")
    m = dg.LossModel(sp.Rational(1, 2) * (x * y - 1) ** 2, (x, y))
    th = np.random.default_rng(0).uniform(-2, 2, (400, 2))
    r = run_gd(m, th, 1.01)
    c = r.counts()
    assert c["converged"] == 0
    assert set(np.unique(r.period[r.outcome == PER])) == {2}
    assert 0.6 < (c["periodic"] + c["bounded"]) / 400 < 0.75


def test_runs_are_independent_of_batch() -> None:
    """Compaction keeps input order and every run is independent of the others."""
    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    th = np.random.default_rng(1).uniform(-2, 2, (300, 3))
    lr = 0.99 * 2 / (3 * 2 ** (4 / 3))
    a = run_gd(net, th, lr)
    b = run_gd(net, th[::-1][:120], lr)
    for f in ("outcome", "steps", "theta", "g_tail", "sharpness", "certified"):
        np.testing.assert_array_equal(getattr(a, f)[::-1][:120], getattr(b, f))


def test_runbatch_api() -> None:
    net = dg.LinearNetwork.scalar(depth=2, target=1.0)
    r = run_gd(net, np.random.default_rng(2).uniform(-1, 1, (20, 2)), 0.5)
    assert isinstance(r, RunBatch) and r.n == 20
    assert tuple(r.counts()) == OUTCOME_NAMES and sum(r.counts().values()) == 20
    assert "n=20" in repr(r) and "converged" in r.summary()
    d = json.loads(r.to_json())
    assert len(d["outcome"]) == 20
    assert all(isinstance(o, Outcome) for o in r.outcomes())


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"lr": -0.1}, InvalidParameterError, r"lr must be a finite float > 0; got -0.1"),
        ({"lr": float("nan")}, InvalidParameterError, r"lr must be a finite float > 0"),
        ({"theta0": np.zeros((3, 5))}, InvalidParameterError, r"theta0 must have shape \(n, 2\)"),
        ({"theta0": [[np.nan, 1.0]]}, InvalidParameterError, r"theta0 must be finite"),
        ({"theta0": "abc"}, InvalidParameterError, r"theta0 must be an array of real numbers"),
        ({"config": {"max_steps": 3}}, InvalidParameterError, r"config must be an EngineConfig"),
        ({"model": object()}, InvalidParameterError, r"model must implement the model protocol"),
    ],
)
def test_run_gd_bad_input(kwargs: dict, exc: type, match: str) -> None:
    args = {
        "model": dg.LinearNetwork.scalar(depth=2, target=1.0),
        "theta0": np.ones((2, 2)),
        "lr": 0.1,
    }
    args.update(kwargs)
    model, theta0, lr = args.pop("model"), args.pop("theta0"), args.pop("lr")
    with pytest.raises(exc, match=match):
        run_gd(model, theta0, lr, **args)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_steps": 0}, r"max_steps must be an int >= 1; got 0"),
        ({"tail": 2.5}, r"tail must be an int >= 1"),
        ({"grad_tol": -1.0}, r"grad_tol must be a finite float > 0; got -1.0"),
        ({"cert_shrink": 1.5}, r"cert_shrink must be a float in \(0, 1\)"),
        ({"max_extension": 0.5}, r"max_extension must be a finite float >= 1"),
        ({"certificate": 1}, r"certificate must be a bool"),
    ],
)
def test_engine_config_bad_input(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        EngineConfig(**kwargs)


@pytest.mark.parametrize("widths", [(1, 1, 1, 1), (2, 2, 2), (2, 3, 2), (3, 2, 4, 1), (1, 3, 1)])
def test_fused_hot_loop_gradient_matches_kernels(widths: tuple[int, ...]) -> None:
    """The engine's fused gradient (columns of tiny matrices) equals the closed-form kernel."""
    from dynsys_gd.numeric.kernels import fast_gradient, numeric_model

    rng = np.random.default_rng(len(widths))
    net = dg.LinearNetwork(
        widths, X=rng.normal(size=(7, widths[0])), Y=rng.normal(size=(7, widths[-1]))
    )
    m = numeric_model(net)
    th = rng.normal(size=(40, net.n_params))
    np.testing.assert_allclose(fast_gradient(net, m)(th), m.gradient(th), rtol=1e-12, atol=1e-12)


def test_run_outcomes_is_run_gd_without_the_losses():
    from dynsys_gd.numeric.engine.run import run_outcomes

    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    th = np.random.default_rng(8).uniform(-2, 2, (300, 3))
    full = run_gd(net, th, 0.25)
    lean = run_outcomes(net, th, 0.25)
    assert np.all(np.isnan(lean.loss)) and np.isfinite(full.loss).any()
    for f in ("outcome", "steps", "period", "theta", "g_tail", "sharpness", "lam_min"):
        assert np.array_equal(getattr(full, f), getattr(lean, f)), f
    for f in ("at_minimum", "certified", "contraction", "at_float_floor"):
        assert np.array_equal(getattr(full, f), getattr(lean, f)), f
