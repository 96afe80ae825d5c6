"""The compiled outcome checks of the lanes against their numpy twin, function by function, on
synthetic histories (docs/math/convergent-set.md): displacements, decay statistics, candidate
flags, segment maxima, the first step beyond the threshold found by the screening and by the
replay of diverged runs, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.numeric.engine import EngineConfig, run_gd
from dynsys_gd.numeric.engine import outcomes as oc
from dynsys_gd.numeric.engine.lane_divergence import REPLAY_CHUNK, _first_beyond


def _bits(a) -> np.ndarray:
    return np.ascontiguousarray(a).view(np.uint8)


def _history(rng, H: int, P: int, L: int) -> np.ndarray:
    """Iterates of L lanes: converging, exactly stationary, exact 2-cycles, tiny and huge
    scales, one non-finite lane."""
    base = rng.normal(size=(1, P, L))
    q = rng.uniform(0.3, 0.99, size=(1, 1, L))
    t = np.arange(H, dtype=float)[:, None, None]
    hist = base + rng.normal(size=(1, P, L)) * q**t
    hist[:, :, 0] = base[:, :, 0]  # stationary
    hist[:, :, 1] = base[:, :, 1] + 0.5 * (-1.0) ** t[:, :, 0]  # exact 2-cycle
    hist[:, :, 2] *= 1e-160  # squares underflow
    hist[:, :, 3] *= 1e150  # squares overflow
    hist[H - 2, 0, 4] = np.nan
    return np.ascontiguousarray(hist)


@pytest.mark.parametrize("P", [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13])
@pytest.mark.parametrize("maxp", [2, 3, 8])
def test_displacements_equal_the_twin(P, maxp) -> None:
    rng = np.random.default_rng(100 * P + maxp)
    L = 13
    hist = _history(rng, 2 * maxp, P, L)
    E = np.empty((maxp, L))
    D = np.empty((maxp, L))
    oc.displacements(hist, maxp, E, D)
    Eb, Db = oc.batch_displacements(hist, maxp)
    assert (_bits(E) == _bits(Eb)).all() and (_bits(D) == _bits(Db)).all()
    assert E[0, 0] == 0.0 and E[1, 1] == 0.0 and E[0, 1] > 0.9  # stationary, exact 2-cycle


def test_checks_over_several_rounds_equal_the_twin() -> None:
    """Decay statistics, candidate flags (against the per-run classification) and segment
    maxima after each of several checks of the same lanes."""
    rng = np.random.default_rng(3)
    maxp, P, L, S, c, hard = 4, 3, 16, 3, 32, 10_000
    st = oc.BatchState(maxp, L)
    eprev, streak = st.eprev.copy(), st.streak.copy()
    rmax, rprev, qmeas, rise = st.rmax.copy(), st.rprev.copy(), st.qmeas.copy(), st.rise.copy()
    Dprev = st.Dprev.copy()
    seg, seg_b = np.zeros((4, L)), np.zeros((4, L))
    scale = np.ones(L)
    flv = 64 * oc.ULP * scale * c
    base = rng.normal(size=(P, L))
    window_decided = np.zeros(L, dtype=bool)
    for rnd in range(7):
        t0 = 2 * maxp * rnd
        t = np.arange(t0, t0 + 2 * maxp, dtype=float)[:, None, None]
        hist = np.ascontiguousarray(base + rng.normal(size=(1, P, L)) * 0.6**t)
        hist[:, :, 1] = base[:, 1] + 0.25 * (-1.0) ** t[:, :, 0]
        E = np.empty((maxp, L))
        D = np.empty((maxp, L))
        oc.displacements(hist, maxp, E, D)
        oc.lanes_update(E, maxp, flv, S, c, hard, eprev, streak, rmax, rprev, qmeas, rise)
        oc.batch_update(E, st, flv, S, c, hard)
        for a, b in ((eprev, st.eprev), (rmax, st.rmax), (rprev, st.rprev), (qmeas, st.qmeas)):
            assert (_bits(a) == _bits(b)).all()
        assert (streak == st.streak).all() and (rise == st.rise).all()
        d = oc.window_spacing(c, 2 * maxp, S)
        W = np.empty((S + 1, L))
        oc.window_steps(hist, d, S, W)
        assert (_bits(W) == _bits(oc.batch_window_steps(hist, d, S))).all()
        cand = np.zeros(L, dtype=np.bool_)
        oc.lanes_candidates(
            E, D, Dprev, maxp, scale, c, S, 1e-9, 1e-8, 1e-6, flv, streak, rmax, qmeas, W, d, cand
        )
        code, _, _, qw = oc.batch_classify(E, D, st, scale, c, S, 1e-9, 1e-8, 1e-6, flv, W, d)
        assert (cand == (code != -1)).all()
        window_decided |= qw < 1.0
        assert cand[1] == (rnd >= 1)  # the exact 2-cycle, once its orbit size is known
        tt = np.full(L, 100 * rnd, dtype=np.int64)
        budget = np.full(L, 400, dtype=np.int64)
        tt[::2] += 250  # half the lanes in the second half of their segment
        oc.lanes_segment(E, D, maxp, tt, budget, 200, seg)
        oc.batch_segment(E, D, tt > budget - 200, seg_b)
        assert (_bits(seg) == _bits(seg_b)).all()
        Dprev[:] = D
        st.Dprev = D.copy()
    assert (streak[0] >= S).any()  # some lanes built a geometric streak
    assert window_decided.any()  # and some converged by the steps within one window


def test_window_spacing() -> None:
    """The window streak compares S + 1 step lengths d apart within the last H iterates, d a
    divisor of check_every (so its contraction per check is a whole power)."""
    assert oc.window_spacing(128, 16, 3) == 4
    assert oc.window_spacing(96, 16, 3) == 4
    assert oc.window_spacing(100, 16, 3) == 4
    assert oc.window_spacing(99, 16, 3) == 3
    assert oc.window_spacing(97, 16, 3) == 1
    assert oc.window_spacing(128, 4, 3) == 0  # too few iterates: not tested
    assert oc.window_spacing(128, 16, 7) == 2


def test_window_streak_equals_the_twin() -> None:
    """The window ratio per lane (compiled) and per batch (numpy), bit for bit: geometric,
    non-monotone, stationary and non-finite step lengths."""
    rng = np.random.default_rng(5)
    S, L = 3, 12
    q = rng.uniform(0.2, 0.99, L)
    W = q[None, :] ** np.arange(S + 1)[::-1, None].astype(float) * rng.uniform(0.5, 2.0, L)
    W[:, 0] = [1.0, 2.0, 1.0, 2.0]  # growing and shrinking
    W[:, 1] = 0.0  # stationary: 0 / 0
    W[2, 2] = np.nan
    W[:, 3] = [0.01, 0.2, 0.5, 1.0]  # decaying, ratios disagree
    W = np.ascontiguousarray(W)
    lane = np.array([oc.lane_window(W, l, S) for l in range(L)])
    assert (_bits(lane) == _bits(oc.batch_window(W, S))).all()
    assert lane[0] == oc.NO_Q and lane[1] == oc.NO_Q and lane[2] == oc.NO_Q
    assert lane[3] == oc.NO_Q
    assert (lane[4:] < 1.0).all()
    assert oc.window_power(0.5, 5) == 0.5**5


def test_first_step_beyond_the_threshold() -> None:
    """The screening's first step whose iterate leaves the threshold or is not finite, per
    lane, against a direct search."""
    rng = np.random.default_rng(11)
    K, S, m, T, div = 16, 5, 9, 3, 1e3
    hk = rng.normal(size=(K, S, m))
    hk[7, 2, 1] = 2e3  # beyond in a tested row
    hk[3, 4, 2] = np.inf  # beyond only in an untested row: not seen
    hk[5:, 0, 3] = np.nan
    hk[0, 1, 4] = -np.inf
    hk[9, 0, 5] = 1e3  # at the threshold: within
    first = _first_beyond(hk, T, div)
    want = [
        next((s for s in range(K) if not (np.abs(hk[s, :T, j]) <= div).all()), K) for j in range(m)
    ]
    assert first.tolist() == want
    assert want[:6] == [K, 7, K, 5, 0, K]


def test_runs_leaving_the_threshold_late_in_a_block_equal_the_reference() -> None:
    """Runs that leave the threshold anywhere in a block (the replay steps them again in
    chunks of a few steps): the same step counts and iterates as the numpy reference, which
    checks every step; the independent count is the first t with (1 + eta)^t |theta_0| > 1e6."""
    x, y = sp.symbols("x y")
    model = dg.LossModel(-(x**2 + y**2) / 2, (x, y))
    rng = np.random.default_rng(2)
    th = np.column_stack([np.geomspace(1e-3, 0.9, 40), np.zeros(40)])
    th[:, 1] = rng.uniform(-1e-4, 1e-4, 40)
    cfg = EngineConfig(certificate=False, limits=False)
    a = run_gd(model, th, 0.1, backend="compiled", config=cfg)
    b = run_gd(model, th, 0.1, backend="numpy", config=cfg)
    for f in ("outcome", "steps", "theta", "g_tail"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)
    assert (a.outcome == oc.C_DIV).all()
    within = a.steps % cfg.check_every
    assert (within > 2 * REPLAY_CHUNK).sum() > 10  # past the first chunks of the replay
    want = [next(t for t in range(1, 400) if (1.1**t) * np.abs(r).max() > 1e6) for r in th]
    assert np.abs(a.steps - np.array(want)).max() <= 1  # rounding of (1.1)^t
