"""The compiled lanes against the numpy reference path, determinism, per-run step sizes,
recording, and the outcome tests near eta* (docs/math/convergent-set.md, docs/math/claims.md#c6, docs/math/claims.md#c8)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.engine import EngineConfig, RecordSpec, run_gd
from dynsys_gd.numeric.engine.outcomes import Outcome

CONV, DIV, PER, BND, UND, FRZ = (o.code for o in Outcome)
FIELDS = ("outcome", "steps", "period", "theta", "g_tail", "contraction", "at_float_floor")


def _eta_scalar(N: int, y: float) -> float:
    return 2.0 / (N * abs(y) ** (2 - 2 / N))


def _same(a, b, fields=FIELDS) -> None:
    for f in fields:
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)


WS = np.array([[1.5, 0.3], [-0.2, 0.7]])
W4 = np.array(
    [[1.2, 0.3, 0.0, -0.1], [0.2, 0.9, 0.1, 0.0], [0.0, -0.2, 0.8, 0.3], [0.1, 0.0, 0.2, 0.6]]
)


def _cases():
    rng = np.random.default_rng(5)
    x, y = sp.symbols("x y")
    X, Y = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))
    net_data = dg.LinearNetwork((3, 2, 4, 2), X=X, Y=Y)
    return [
        (
            "scalar N=3 near eta*",
            dg.LinearNetwork.scalar(depth=3, target=2.0),
            rng.uniform(-2, 2, (24, 3)),
            0.99 * _eta_scalar(3, 2.0),
        ),
        (
            "scalar N=3 above eta*",
            dg.LinearNetwork.scalar(depth=3, target=2.0),
            rng.uniform(-2, 2, (24, 3)),
            1.05 * _eta_scalar(3, 2.0),
        ),
        (
            "whitened (2,2,2)",
            dg.LinearNetwork.from_covariances((2, 2, 2), Sxx=np.eye(2), Syx=WS),
            rng.normal(size=(24, 8)),
            0.98 * 2 / 3.062329,
        ),
        ("data (3,2,4,2)", net_data, 0.7 * rng.normal(size=(12, net_data.n_params)), 0.1),
        (
            "loss (xy-1)^2/2",
            dg.LossModel(sp.Rational(1, 2) * (x * y - 1) ** 2, (x, y)),
            rng.uniform(-2, 2, (24, 2)),
            1.01,
        ),
    ]


@pytest.mark.parametrize(("name", "model", "theta0", "lr"), _cases(), ids=[c[0] for c in _cases()])
def test_compiled_equals_numpy_reference_run_by_run(name, model, theta0, lr) -> None:
    """Same outcomes, step counts and iterates bit for bit (the numpy path is independent code:
    elementwise numpy operations in the kernels' order, numpy versions of the outcome tests)."""
    a = run_gd(model, theta0, lr, backend="compiled")
    b = run_gd(model, theta0, lr, backend="numpy")
    _same(a, b)
    assert len(set(a.outcome.tolist())) >= 1 and a.n == theta0.shape[0]


def _wide_cases():
    rng = np.random.default_rng(6)
    s1 = float(np.linalg.svd(W4, compute_uv=False)[0])
    return [
        (
            "whitened (4,4,4,4)",
            dg.LinearNetwork.from_covariances((4, 4, 4, 4), Sxx=np.eye(4), Syx=W4),
            rng.normal(0.0, 0.6, (12, 48)),
            0.9 * 2 / (3 * s1 ** (4 / 3)),
        ),
    ]


@pytest.mark.parametrize(
    ("name", "model", "theta0", "lr"), _wide_cases(), ids=[c[0] for c in _wide_cases()]
)
def test_wide_lane_blocks_equal_numpy_reference(name, model, theta0, lr) -> None:
    """Straight-line blocks above 16 parameters keep the runs side by side (vectorised over the
    lanes): same outcomes, steps and iterates as the numpy reference (generic array code),
    including runs that leave the divergence threshold and are replayed."""
    from dynsys_gd.numeric.engine.lanes import lane_model

    cfg = EngineConfig(max_steps=1024, max_extension=2.0, certificate=False, limits=False)
    a = run_gd(model, theta0, lr, backend="compiled", config=cfg)
    b = run_gd(model, theta0, lr, backend="numpy", config=cfg)
    _same(a, b)
    lm = lane_model(model)
    assert lm is not None and lm.straight_line
    assert a.counts()["converged"] > 0
    if model.n_params == 48:
        assert a.counts()["diverged"] > 0


@pytest.mark.parametrize("box", [3.0, 2.0])
def test_runs_screened_for_early_divergence_equal_the_reference(box) -> None:
    """Runs whose iterate is not finite after a few steps are decided before they get a lane
    (the screening switches itself off where they are rare, box 2): the same outcomes, step
    counts and iterates as the numpy reference, which screens nothing."""
    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    th = np.random.default_rng(7).uniform(-box, box, (300, 3))
    cfg = EngineConfig(certificate=False, limits=False)
    lr = 0.9 * _eta_scalar(3, 2.0)
    a = run_gd(net, th, lr, backend="compiled", config=cfg)
    b = run_gd(net, th, lr, backend="numpy", config=cfg)
    _same(a, b)
    n_div = a.counts()["diverged"]
    assert (n_div > 60) if box == 3.0 else (0 < n_div < 30)


def test_per_row_lr_equals_separate_calls() -> None:
    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    th = np.random.default_rng(1).uniform(-2, 2, (30, 3))
    grid = np.array([0.9, 1.0, 1.05]) * _eta_scalar(3, 2.0)
    lrs = np.repeat(grid, 10)
    r = run_gd(net, th, lrs)
    assert np.array_equal(r.lr, lrs)
    for i, eta in enumerate(grid):
        s = run_gd(net, th[10 * i : 10 * i + 10], float(eta))
        for f in (*FIELDS, "loss", "sharpness", "certified"):
            np.testing.assert_array_equal(getattr(r, f)[10 * i : 10 * i + 10], getattr(s, f))
    assert r.counts()["converged"] > 0 and r.counts()["periodic"] > 0


def test_bit_identical_across_chunks_lanes_and_workers() -> None:
    net = dg.LinearNetwork.scalar(depth=5, target=0.7)
    th = np.random.default_rng(2).uniform(-1.2, 1.2, (90, 5))
    lr = 0.995 * _eta_scalar(5, 0.7)
    ref = run_gd(net, th, lr)
    parts = [run_gd(net, th[a:b], lr) for a, b in ((0, 7), (7, 50), (50, 90))]
    for f in FIELDS:
        np.testing.assert_array_equal(
            np.concatenate([getattr(p, f) for p in parts]), getattr(ref, f), err_msg=f
        )
    _same(ref, run_gd(net, th, lr, config=EngineConfig(lanes=3)))
    _same(ref, run_gd(net, th, lr, workers=2))
    rev = run_gd(net, th[::-1], lr)
    np.testing.assert_array_equal(rev.steps[::-1], ref.steps)


def test_frozen_runs_are_never_converged() -> None:
    """N = 10, y = 1, uniform [-0.05, 0.05]^10 at 1.1 eta*: |grad L| ~ 1e-14 from step 0; no run
    can converge (C6); the engine calls them frozen, not converged."""
    net = dg.LinearNetwork.scalar(depth=10, target=1.0)
    th = np.random.default_rng(3).uniform(-0.05, 0.05, (64, 10))
    r = run_gd(net, th, 1.1 * _eta_scalar(10, 1.0))
    assert r.counts()["converged"] == 0
    assert r.counts()["frozen"] == 64
    assert np.all(r.g_tail < 1e-10)


def test_slow_two_cycles_above_eta_star_are_periodic() -> None:
    """N = 5, y = 0.7 at 1.03 eta*: 2-cycles with Floquet multipliers 0.97-0.99 (C8)."""
    net = dg.LinearNetwork.scalar(depth=5, target=0.7)
    th = np.random.default_rng(4).uniform(-1.2, 1.2, (200, 5))
    r = run_gd(net, th, 1.03 * _eta_scalar(5, 0.7))
    per = r.outcome == PER
    assert per.mean() >= 0.95
    assert set(np.unique(r.period[per])) == {2}
    assert r.counts()["converged"] == 0


@pytest.mark.parametrize(
    ("N", "y", "box", "factor", "truth"),
    [
        (
            5,
            0.7,
            1.2,
            0.995,
            1.000,
        ),  # long-run reference: every run converges (docs/math/convergent-set.md)
        (3, 2.0, 2.0, 0.999, 0.958),  # long-run reference 0.958 (docs/math/convergent-set.md)
    ],
)
def test_decisive_near_eta_star(N, y, box, factor, truth) -> None:
    """Default config, 200 runs: >= 99 % decided, converged fraction within 0.03 of the long-run
    reference, every limit linearly stable (C8: lambda_max <= 2/eta)."""
    net = dg.LinearNetwork.scalar(depth=N, target=y)
    th = np.random.default_rng(6).uniform(-box, box, (200, N))
    lr = factor * _eta_scalar(N, y)
    r = run_gd(net, th, lr)
    c = r.counts()
    assert c["undecided"] + c["bounded"] + c["frozen"] <= 2
    assert abs(c["converged"] / 200 - truth) <= 0.03
    conv = r.has_limit
    assert np.all(r.sharpness[conv] <= 2 / lr * (1 + 1e-6))
    assert np.all(r.at_minimum[conv])


def test_float_floor_runs_are_within_rounding_of_a_stable_minimum() -> None:
    """Runs decided at the float64 floor end next to a minimum with 1 - eta lambda_max > -1."""
    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    th = np.random.default_rng(7).uniform(-2, 2, (40, 3))
    lr = 0.999 * _eta_scalar(3, 2.0)
    r = run_gd(net, th, lr)
    fl = r.at_float_floor & r.has_limit
    assert fl.any()
    assert np.all(np.abs(np.prod(r.theta[fl], axis=1) - 2.0) < 1e-8)
    assert np.all(r.contraction[fl] > 0.99) and np.all(r.contraction[fl] < 1.0)


def test_whitened_matrix_nets_decided_near_eta_star() -> None:
    net = dg.LinearNetwork.from_covariances((2, 2, 2), Sxx=np.eye(2), Syx=WS)
    th = np.random.default_rng(8).normal(size=(100, 8))
    for f in (0.995, 0.999):
        c = run_gd(net, th, f * 2 / 3.062329).counts()
        assert c["undecided"] + c["bounded"] + c["frozen"] <= 1, c


def test_record_keeps_trajectories_and_final_state() -> None:
    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    th = np.random.default_rng(9).uniform(-2, 2, (12, 3))
    lr = 0.9 * _eta_scalar(3, 2.0)
    plain = run_gd(net, th, lr)
    rec = run_gd(net, th, lr, record={"runs": [0, 5, 11], "every": 7, "sharpness": True})
    _same(plain, rec)
    assert plain.trajectories is None and len(rec.trajectories) == 3
    for tr in rec.trajectories:
        assert tr.steps[0] == 0 and tr.steps[-1] == plain.steps[tr.run]
        assert np.all(tr.steps[1:-1] % 7 == 0)
        np.testing.assert_array_equal(tr.theta[0], th[tr.run])
        if plain.outcome[tr.run] != DIV:
            np.testing.assert_array_equal(tr.theta[-1], plain.theta[tr.run])
        assert tr.loss.shape == tr.grad_norm.shape == tr.sharpness.shape == tr.steps.shape
    tr = rec.trajectories[0]
    # an independent check of one kept iterate: step the GD map by hand
    w = th[0].copy()
    for _ in range(7):
        p = np.prod(w)
        w = w - lr * (p - 2.0) * p / w
    np.testing.assert_allclose(tr.theta[1], w, rtol=1e-12)
    np.testing.assert_allclose(tr.loss[1], 0.5 * (np.prod(w) - 2.0) ** 2, rtol=1e-10)


def test_record_is_memory_bounded() -> None:
    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    with pytest.raises(InvalidParameterError, match=r"record would need up to .* MiB"):
        run_gd(net, np.ones((2, 3)), 0.1, record=RecordSpec(runs=[0, 1], max_bytes=10**6))
    with pytest.raises(InvalidParameterError, match=r"record.runs must be"):
        run_gd(net, np.ones((2, 3)), 0.1, record={"runs": [5]})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lr": np.array([0.1, -0.1])}, r"lr must be a finite float > 0 or a 1-D array of 2"),
        ({"lr": np.array([0.1, 0.1, 0.1])}, r"got shape \(3,\)"),
        ({"backend": "jax"}, r"backend must be one of"),
        ({"workers": 0}, r"workers must be an int >= 1; got 0"),
    ],
)
def test_bad_input(kwargs, match) -> None:
    args = {"lr": 0.1}
    args.update(kwargs)
    with pytest.raises(InvalidParameterError, match=match):
        run_gd(dg.LinearNetwork.scalar(depth=2, target=1.0), np.ones((2, 2)), **args)


def test_compiled_backend_refuses_uncovered_model() -> None:
    class Quadratic:
        """A user's NumericModel: L = theta^2 / 2 (no compiled kernel)."""

        n_params = 1

        def loss(self, th):
            return 0.5 * th[:, 0] ** 2

        def gradient(self, th):
            return th.copy()

        def hessian(self, th):
            return np.ones((th.shape[0], 1, 1))

        def hvp(self, th, v):
            return np.asarray(v, dtype=float).copy()

    with pytest.raises(InvalidParameterError, match=r"backend must be 'auto' or 'numpy'"):
        run_gd(Quadratic(), [[0.5]], 0.1, backend="compiled")
    r = run_gd(Quadratic(), [[0.5], [3.0]], 0.1)
    assert list(r.outcome) == [CONV, CONV]
    # |1 - eta * 1| = 0.9 per step, measured from the step lengths at the checks (to about 1 / c)
    np.testing.assert_allclose(r.contraction, 0.9, rtol=0.01)


def test_non_polynomial_loss_compiled_equals_reference() -> None:
    """log cosh(xy - 1) (gradient not globally Lipschitz, C9): generated straight-line code with
    math functions, the same code evaluated in Python by the reference."""
    from dynsys_gd.numeric.engine.lanes import KIND_EXPR, lane_model

    x, y = sp.symbols("x y")
    m = dg.LossModel(sp.log(sp.cosh(x * y - 1)), (x, y))
    assert lane_model(m).kind == KIND_EXPR
    th = np.random.default_rng(12).uniform(-1.5, 1.5, (12, 2))
    cfg = EngineConfig(max_steps=1024, adaptive=False)
    a = run_gd(m, th, 0.5, config=cfg, backend="compiled")
    b = run_gd(m, th, 0.5, config=cfg, backend="numpy")
    _same(a, b)
    conv = a.has_limit
    assert conv.any()
    np.testing.assert_allclose(np.prod(a.theta[conv], axis=1), 1.0, atol=1e-6)
