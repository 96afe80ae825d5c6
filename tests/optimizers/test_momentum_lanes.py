"""The compiled momentum blocks of the straight-line form (scalar and small matrix networks):
bit for bit the numpy reference step at any lane count (one lane takes the block's single-lane
branch), with threads, chunks and a process pool, and the single-lane branch equal to a lane of
the vector loop."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.numeric.engine.lanes import lane_model
from dynsys_gd.numeric.engine.optimizer_blocks import optimizer_block

W_STAR = np.array([[1.5, 0.3], [-0.2, 0.7]])
WHITENED = dg.LinearNetwork.from_covariances((2, 2, 2), Sxx=np.eye(2), Syx=W_STAR)
CORRELATED = dg.LinearNetwork.from_covariances(
    (2, 3, 2), Sxx=np.array([[1.0, 0.4], [0.4, 2.0]]), Syx=W_STAR
)
SCALAR3 = dg.LinearNetwork.scalar(depth=3, target=2.0)
MOMENTUM = {"heavy-ball": dg.HeavyBall(0.5), "nesterov": dg.Nesterov(0.5)}


@pytest.mark.parametrize("model", [WHITENED, CORRELATED], ids=["whitened-222", "sxx-232"])
@pytest.mark.parametrize("name", list(MOMENTUM))
def test_matrix_momentum_blocks_equal_the_numpy_reference(model: object, name: str) -> None:
    """Outcomes, steps, final states and g_tail agree bit for bit between the compiled lanes
    (default lanes, one lane, three lanes on two threads, chunks of 7 runs) and the numpy
    reference, at 0.9 of the optimiser's critical step size, where some runs converge and
    others diverge."""
    opt = MOMENTUM[name]
    P = model.n_params  # type: ignore[attr-defined]
    th = np.random.default_rng(4).uniform(-1.0, 1.0, (30, P))
    lr = 0.9 * dg.critical_lr(model, optimizer=opt)  # type: ignore[arg-type]
    cfg = dg.EngineConfig(max_steps=512, max_extension=2.0, limits=False, certificate=False)
    kw = {"optimizer": opt}
    a = dg.run_gd(model, th, lr, config=cfg, **kw)  # type: ignore[arg-type]
    b = dg.run_gd(model, th, lr, config=cfg, backend="numpy", **kw)  # type: ignore[arg-type]
    one = dg.run_gd(model, th, lr, config=dataclasses.replace(cfg, lanes=1), **kw)  # type: ignore[arg-type]
    c3 = dataclasses.replace(cfg, lanes=3)
    c = dg.run_gd(model, th, lr, workers=2, config=c3, **kw)  # type: ignore[arg-type]
    parts = [dg.run_gd(model, th[i : i + 7], lr, config=cfg, **kw) for i in range(0, 30, 7)]  # type: ignore[arg-type]
    assert len(set(a.outcome.tolist())) >= 2  # more than one kind of outcome is compared
    for f in ("outcome", "steps", "theta", "g_tail", "state"):
        ref = getattr(b, f)
        assert np.array_equal(getattr(a, f), ref), f
        assert np.array_equal(getattr(one, f), ref), f
        assert np.array_equal(getattr(c, f), ref), f
        assert np.array_equal(np.concatenate([getattr(p, f) for p in parts]), ref), f


@pytest.mark.parametrize("model", [SCALAR3, WHITENED], ids=["scalar3", "whitened-222"])
@pytest.mark.parametrize("name", list(MOMENTUM))
def test_single_lane_and_few_lane_branches_are_lanes_of_the_vector_loop(
    model: object, name: str
) -> None:
    """A block call on one lane (the block's single-lane branch) and one on 13 lanes (its
    few-lanes branch, stepped in a local buffer) leave the state, the kept iterates and the
    gradient-norm sums of those lanes exactly as a call on 30 lanes (on the state array)
    does."""
    opt = MOMENTUM[name]
    lm = lane_model(model)
    assert lm is not None
    P = lm.n_params
    S = opt.state_size(P)
    blk = optimizer_block(opt, lm)
    fp = np.ascontiguousarray(np.concatenate([lm.fp, opt.constants(P)]))
    rng = np.random.default_rng(7)
    L, c, tail, H = 30, 40, 24, 6
    th0 = np.zeros((S, L))
    th0[:P] = rng.uniform(-1.2, 1.2, (P, L))
    th0[P:] = 0.1 * rng.standard_normal((S - P, L))
    lr = rng.uniform(0.01, 0.05, L)

    def call(th: np.ndarray, lrs: np.ndarray) -> tuple[np.ndarray, ...]:
        n = th.shape[1]
        hist, gs, gm = np.zeros((H, P, n)), np.zeros(n), np.zeros(n)
        g, wk = np.zeros((P, n)), np.zeros((max(lm.nwork, 2), n))
        blk(lm.kind, lm.ip, fp, th, g, wk, lrs, hist, gs, gm, c, tail, H)
        return th, hist, gs, gm

    many = call(th0.copy(), lr.copy())
    few = call(np.ascontiguousarray(th0[:, 4:17]), lr[4:17].copy())
    for got, want in zip(few, many, strict=True):
        assert np.array_equal(got, want[..., 4:17])
    for l in (0, 5, 12, 29):
        single = call(np.ascontiguousarray(th0[:, l : l + 1]), lr[l : l + 1].copy())
        for got, want in zip(single, many, strict=True):
            assert np.array_equal(got[..., 0], want[..., l])
    assert not np.array_equal(many[0], th0)  # the block did step


def test_blocks_are_rendered_once_per_rule_and_model() -> None:
    """The same optimiser and model give the same compiled block; heavy ball and Nesterov,
    whose rules differ only in the gradient point, give different ones."""
    lm = lane_model(WHITENED)
    assert lm is not None
    hb = optimizer_block(dg.HeavyBall(0.5), lm)
    assert optimizer_block(dg.HeavyBall(0.9), lm) is hb  # beta travels in fp, not the source
    assert optimizer_block(dg.Nesterov(0.5), lm) is not hb


def test_nesterov_on_a_matrix_network_is_the_same_on_a_process_pool() -> None:
    """A 2-process pool with small chunks gives the serial counts and interval exactly."""
    nes = MOMENTUM["nesterov"]
    lr = 0.95 * dg.critical_lr(WHITENED, optimizer=nes)
    kw = {"n_samples": 300, "seed": 2, "optimizer": nes}
    a = dg.estimate_convergent_fraction(WHITENED, lr, **kw)  # type: ignore[arg-type]
    with dg.make_executor(workers=2) as ex:
        b = dg.estimate_convergent_fraction(WHITENED, lr, executor=ex, chunk_size=80, **kw)  # type: ignore[arg-type]
    assert a.counts == b.counts and (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
