"""The compiled MLP kernel: the model's gradient, bit-identical to its numpy twin, and the
engine's compiled MLP runs equal to the reference path run by run."""

from __future__ import annotations

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.numeric.engine import EngineConfig, RecordSpec, run_gd
from dynsys_gd.numeric.engine.lanes import KIND_MLP, lane_model
from dynsys_gd.numeric.engine.mlp_kernel import mlp_columns

FIELDS = ("outcome", "steps", "period", "theta", "g_tail", "contraction", "at_float_floor")


def _same(a, b) -> None:
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)


def _mlp(widths, activation, bias, n=7, seed=0):
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(n, widths[0])), rng.normal(size=(n, widths[-1]))
    return dg.MLP(widths, activation, X=X, Y=Y, bias=bias)


CASES = [
    (w, act, bias)
    for w in ((3, 5, 2), (2, 1), (4, 6, 3, 2), (1, 1, 1, 1))
    for act in ("tanh", "relu", "identity")
    for bias in (False, True)
]


@pytest.mark.parametrize(("widths", "activation", "bias"), CASES)
def test_kernel_is_the_gradient_and_equals_its_twin(widths, activation, bias) -> None:
    m = _mlp(widths, activation, bias)
    lm = lane_model(m)
    assert lm is not None and lm.kind == KIND_MLP and not lm.long_budget
    th = 1.5 * m.init(np.random.default_rng(1), 13)
    cols = np.ascontiguousarray(th.T)
    g = lm.gradient_cols(cols)
    twin = mlp_columns(lm.ip, lm.fp)(cols)
    np.testing.assert_array_equal(g, twin)  # same operations, same order
    ref = m.gradient(th).T  # BLAS products and numpy's tanh: equal up to rounding
    np.testing.assert_allclose(g, ref, rtol=0, atol=1e-13 * max(1.0, np.abs(ref).max()))


@pytest.mark.parametrize(
    ("widths", "n", "lanes"),
    [((3, 5, 2), 9, 1), ((3, 5, 2), 9, 13), ((4, 6, 3, 2), 70, 3), ((4, 6, 3, 2), 70, 64),
     ((2, 64, 3), 11, 16), ((5, 1), 6, 8)],
)  # fmt: skip
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_both_loop_orders_equal_the_twin(widths, n, lanes, activation) -> None:
    """The kernel picks lanes-innermost or lanes-outermost loops by the lane count and the
    widths; both orders perform the twin's operations in its order."""
    from dynsys_gd.numeric.engine import mlp_kernel

    m = _mlp(widths, activation, True, n=n, seed=lanes)
    lm = lane_model(m)
    cols = np.ascontiguousarray(m.init(np.random.default_rng(n), lanes).T)
    twin = mlp_columns(lm.ip, lm.fp)(cols)
    for order in (mlp_kernel.grad_lanes_inner, mlp_kernel._grad_lanes_outer):
        g = np.full_like(cols, np.nan)
        order(lm.ip, lm.fp, cols, g, np.full((lm.nwork, lanes), np.nan))
        np.testing.assert_array_equal(g, twin, err_msg=order.__name__)


def test_identity_mlp_kernel_matches_the_linear_network() -> None:
    """Without biases and with the identity, an MLP is a LinearNetwork (same layout)."""
    m = _mlp((3, 4, 2), "identity", False)
    net = dg.LinearNetwork((3, 4, 2), X=m.X, Y=m.Y)
    th = np.random.default_rng(2).normal(size=(9, m.n_params))
    lm = lane_model(m)
    g = lm.gradient_cols(th.T).T
    ref = dg.numeric_model(net).gradient(th)
    np.testing.assert_allclose(g, ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    ("activation", "bias", "lr"), [("tanh", True, 0.5), ("relu", False, 0.4), ("tanh", False, 3.0)]
)
def test_compiled_mlp_runs_equal_the_reference_run_by_run(activation, bias, lr) -> None:
    m = _mlp((3, 5, 2), activation, bias, n=9, seed=3)
    th = m.init(np.random.default_rng(4), 12)
    cfg = EngineConfig(max_steps=1024, adaptive=False)
    a = run_gd(m, th, lr, config=cfg, backend="compiled")
    b = run_gd(m, th, lr, config=cfg, backend="numpy")
    _same(a, b)


def test_mlp_bit_identical_across_chunks_lanes_and_workers() -> None:
    m = _mlp((3, 5, 2), "tanh", True, n=9, seed=5)
    th = m.init(np.random.default_rng(6), 40)
    lrs = np.repeat([0.3, 1.0, 2.5, 6.0], 10)
    cfg = EngineConfig(max_steps=2048)
    ref = run_gd(m, th, lrs, config=cfg)
    assert len([k for k, v in ref.counts().items() if v]) >= 2  # more than one outcome
    parts = [run_gd(m, th[a:b], lrs[a:b], config=cfg) for a, b in ((0, 3), (3, 25), (25, 40))]
    for f in FIELDS:
        np.testing.assert_array_equal(
            np.concatenate([getattr(p, f) for p in parts]), getattr(ref, f), err_msg=f
        )
    for other in (
        run_gd(m, th, lrs, config=EngineConfig(max_steps=2048, lanes=5)),
        run_gd(m, th, lrs, config=cfg, workers=2),
    ):
        _same(ref, other)
    for i, eta in enumerate((0.3, 1.0, 2.5, 6.0)):  # per-row lr equals separate calls
        s = run_gd(m, th[10 * i : 10 * i + 10], eta, config=cfg)
        for f in FIELDS:
            np.testing.assert_array_equal(getattr(ref, f)[10 * i : 10 * i + 10], getattr(s, f))


def test_mlp_recording_replays_the_compiled_run() -> None:
    m = _mlp((3, 5, 2), "tanh", False, n=9, seed=7)
    th = m.init(np.random.default_rng(8), 6)
    cfg = EngineConfig(max_steps=1024)
    r = run_gd(m, th, 0.5, config=cfg, record=RecordSpec(runs=(0, 4), every=100))
    plain = run_gd(m, th, 0.5, config=cfg)
    _same(r, plain)
    for tr in r.trajectories:
        np.testing.assert_array_equal(tr.theta[-1], plain.theta[tr.run])
        assert tr.steps[-1] == plain.steps[tr.run]


def test_mlp_keeps_the_short_default_budget() -> None:
    """A step of an MLP is a pass over the data: the automatic budget is the short one (the
    same as before the compiled kernel), so undecided MLP runs stop at its hard cap."""
    m = _mlp((3, 5, 2), "tanh", False)
    short, long_ = EngineConfig().budgets(False), EngineConfig().budgets(True)
    assert short[1] < long_[1]
    th = m.init(np.random.default_rng(9), 4)
    r = run_gd(m, th, 1e-7)  # so slow that nothing is decided
    assert np.all(r.steps <= short[1])
    assert r.counts()["undecided"] + r.counts()["frozen"] == 4
