"""The engine's slices and threads never change a result (bit-identical to one serial pass)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.numeric.engine import EngineConfig, run_gd
from dynsys_gd.numeric.engine import slices as S

FIELDS = ("outcome", "steps", "period", "theta", "g_tail", "contraction", "at_float_floor")


def _same(a, b) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in FIELDS)


@pytest.fixture
def whole(monkeypatch):
    """A run_gd whose compiled kernel sees the whole batch in one call (no slicing)."""

    def run(net, th, lr, cfg):
        monkeypatch.setattr(S, "MAX_SLICE", 10**9)
        monkeypatch.setattr(S, "SLICE_SECONDS", 1e9)
        try:
            return run_gd(net, th, lr, config=cfg, workers=1)
        finally:
            monkeypatch.undo()

    return run


@pytest.mark.parametrize(
    ("net", "lr"),
    [
        (dg.LinearNetwork.scalar(depth=3, target=2.0), 0.25),
        (
            dg.LinearNetwork.from_covariances(
                (2, 2, 2), Sxx=np.eye(2), Syx=np.array([[1.5, 0.3], [-0.2, 0.7]])
            ),
            0.55,
        ),
    ],
)
def test_slices_and_threads_are_bit_identical(net, lr, whole, monkeypatch):
    cfg = EngineConfig(limits=False, certificate=False)
    th = np.random.default_rng(5).uniform(-2, 2, (3000, net.n_params))
    lrs = np.full(3000, lr) * np.linspace(0.8, 1.1, 3000)  # ordered step sizes, as in a sweep
    ref = whole(net, th, lrs, cfg)
    assert len(set(ref.outcome.tolist())) >= 2  # converged and diverged runs both present
    monkeypatch.setattr(S, "MAX_SLICE", 100)  # many small slices, claimed by two threads
    for workers in (1, 2, None):
        assert _same(ref, run_gd(net, th, lrs, config=cfg, workers=workers))


def test_spread_order_is_a_permutation_that_samples_the_whole_range():
    order = S.spread_order(1000)
    assert np.array_equal(np.sort(order), np.arange(1000))
    # every stretch of 100 consecutive positions takes about 10 runs from each tenth
    counts = np.bincount(order[:100] // 100, minlength=10)
    assert counts.min() >= 8 and counts.max() <= 12


def test_auto_workers_single_below_threshold_and_off_the_main_thread():
    assert S.auto_workers(S.AUTO_THREAD_RUNS - 1) == 1
    got: list[int] = []
    t = threading.Thread(target=lambda: got.append(S.auto_workers(10**6)))
    t.start()
    t.join()
    assert got == [1]
    assert S.auto_workers(10**6) >= 1


def test_guided_slices_end_together_and_stay_a_few_lane_blocks():
    plan = S._Planner(4096, 64, 64, workers=2)
    sizes = []
    while (ab := plan.claim()) is not None:
        a, b = ab
        remaining = 4096 - a
        assert b - a <= max(S._TAIL_BLOCKS * 64, -(-remaining // 2))
        assert b - a >= min(remaining, 64)
        sizes.append(b - a)
        plan.record(b - a, 1e-6 * (b - a))  # 1 us a run: slices would grow to MAX_SLICE
    assert sum(sizes) == 4096
    assert sizes[-1] <= S._TAIL_BLOCKS * 64  # the last slice is small: no thread waits long


def test_helper_threads_are_kept_and_the_caller_takes_slices():
    seen: list[str] = []
    lock = threading.Lock()

    def part(rows):
        with lock:
            seen.append(threading.current_thread().name)
        time.sleep(0.002)  # a slice takes a while, as a kernel's would

    for _ in range(2):
        S.run_in_slices(part, 4096, first=64, minimum=64, workers=2)
    helpers = {t for t in seen if t.startswith("dynsys-gd-slice")}
    assert threading.current_thread().name in seen
    assert len(helpers) <= 1  # one helper thread for both calls: no start-up per call
