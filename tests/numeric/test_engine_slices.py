"""The engine's shared queue of runs and its threads never change a result (bit-identical to
one call in the calling thread), and a stop ends the kernels early."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.numeric.engine import EngineConfig, run_gd
from dynsys_gd.numeric.engine import slices as S
from dynsys_gd.numeric.engine.lane_divergence import CTL_STOP
from dynsys_gd.runtime import cancel

FIELDS = ("outcome", "steps", "period", "theta", "g_tail", "contraction", "at_float_floor")


def _same(a, b) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in FIELDS)


@pytest.fixture
def inline(monkeypatch):
    """A run_gd whose compiled kernel runs in the calling thread, one kernel for the batch."""

    def run(net, th, lr, cfg):
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
def test_shared_queue_and_threads_are_bit_identical(net, lr, inline, monkeypatch):
    cfg = EngineConfig(limits=False, certificate=False)
    th = np.random.default_rng(5).uniform(-2, 2, (3000, net.n_params))
    lrs = np.full(3000, lr) * np.linspace(0.8, 1.1, 3000)  # ordered step sizes, as in a sweep
    ref = inline(net, th, lrs, cfg)
    assert len(set(ref.outcome.tolist())) >= 2  # converged and diverged runs both present
    monkeypatch.setattr(S, "SLICE_SECONDS", 0.0)  # never inline: kernels on helper threads
    for workers in (1, 2, 3, None):
        assert _same(ref, run_gd(net, th, lrs, config=cfg, workers=workers))


@pytest.mark.parametrize("n", [1, 2, 3, 10, 64, 65, 1000, 4096, 20000, 100003])
def test_queue_order_is_a_permutation_of_blocks_that_samples_the_whole_range(n):
    order = S.queue_order(n)
    assert np.array_equal(np.sort(order), np.arange(n))
    B = S.QUEUE_BLOCK
    # a claim of a kernel's lanes reads consecutive rows: every block is consecutive runs
    f = n // B
    blocks = order[: f * B].reshape(f, B)
    assert np.all(np.diff(blocks, axis=1) == 1) and np.all(blocks[:, 0] % B == 0)
    if f >= 100:
        # every stretch of a tenth of the blocks takes about a tenth of them from each tenth
        tenth = f // 10
        for start in (0, f // 2, f - tenth):
            counts = np.bincount(blocks[start : start + tenth, 0] // B * 10 // f, minlength=10)
            assert counts.min() >= 0.6 * tenth / 10 and counts.max() <= 1.4 * tenth / 10


def test_the_kernels_claim_runs_in_the_queue_order():
    from dynsys_gd.numeric.engine.lane_divergence import claim_runs

    for n in (5, 64, 1000, 20011):
        ctl = S.new_queue(n)
        rr = np.empty(48, dtype=np.int64)
        got = []
        while (m := claim_runs(ctl, n, 48, rr)) > 0:
            got.extend(rr[:m].tolist())
        assert got == S.queue_order(n).tolist()


def test_auto_workers_single_below_threshold_and_off_the_main_thread():
    assert S.auto_workers(S.AUTO_THREAD_RUNS - 1) == 1
    got: list[int] = []
    t = threading.Thread(target=lambda: got.append(S.auto_workers(10**6)))
    t.start()
    t.join()
    assert got == [1]
    assert S.auto_workers(10**6) >= 1


def test_every_run_is_claimed_exactly_once_by_several_threads():
    from dynsys_gd.numeric.engine.lane_divergence import claim_runs

    n, G = 10007, 64
    seen = np.zeros(n, dtype=np.int64)
    lock = threading.Lock()

    def kernel(ctl):
        rr = np.empty(G, dtype=np.int64)
        while (m := claim_runs(ctl, n, G, rr)) > 0:
            with lock:
                np.add.at(seen, rr[:m], 1)

    S.run_shared(kernel, n, workers=3)
    assert np.all(seen == 1)


def test_an_error_of_a_kernel_stops_the_others_and_is_raised_in_the_caller():
    seen: list = []

    def kernel(ctl):
        if not seen:
            seen.append(ctl)
            raise ValueError("kernel failed")
        while ctl[1] == 0:  # the other kernel runs until the stop flag is set
            threading.Event().wait(0.001)
        seen.append("stopped")

    with pytest.raises(ValueError, match="kernel failed"):
        S.run_shared(kernel, 100, workers=2)
    assert seen[-1] == "stopped"  # the caller waited for it


def test_helper_threads_are_kept_between_calls():
    names: list[str] = []

    def kernel(ctl):
        names.append(threading.current_thread().name)

    S.run_shared(kernel, 100, workers=2)
    started = S._helpers().started
    for _ in range(5):
        S.run_shared(kernel, 100, workers=2)
    assert S._helpers().started == started  # idle helpers reused: no start-up per call
    assert all(name.startswith("dynsys-gd-lanes") for name in names)
    S.run_shared(kernel, 100, inline=True)
    assert names[-1] == threading.current_thread().name


def test_a_stop_ends_the_kernels_early_and_the_caller_raises(monkeypatch):
    """A stop event set while the kernels run: the call raises KeyboardInterrupt once they
    have returned, with most runs never started (their outputs unwritten)."""
    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    th = np.random.default_rng(0).uniform(-2, 2, (400_000, 3))
    cfg = EngineConfig(limits=False, certificate=False)
    run_gd(net, th[:8], 0.25, config=cfg, workers=1)  # the kernel loaded
    seen: list = []
    real = S.run_shared

    def spy(kernel, n, **kw):
        def watched(ctl):
            seen.append(ctl)
            ev.set()  # stop as soon as a kernel starts
            kernel(ctl)

        return real(watched, n, **kw)

    ev = threading.Event()
    monkeypatch.setattr(S, "run_shared", spy)
    with cancel.bound(ev), pytest.raises(KeyboardInterrupt):
        run_gd(net, th, 0.25, config=cfg, workers=2)
    assert seen and all(ctl[CTL_STOP] == 1 for ctl in seen)
    # the kernels claimed a small part of the queue before they saw the stop
    assert seen[0][0] < th.shape[0] // 2


@pytest.mark.parametrize("parts", [1, 2, 3, 7])
def test_row_parts_cover_the_rows_in_order_with_balanced_weight(parts):
    w = np.random.default_rng(2).integers(0, 3, 1000).astype(float)
    got = S.row_parts(w, parts)
    assert got[0][0] == 0 and got[-1][1] == 1000
    assert all(b > a for a, b in got) and len(got) <= parts
    assert all(got[i][1] == got[i + 1][0] for i in range(len(got) - 1))
    share = [w[a:b].sum() / w.sum() for a, b in got]
    assert max(share) <= 1.0 / len(got) + 0.01


def test_map_parts_gives_the_serial_results_and_raises_a_part_error():
    items = list(range(5))

    def fail(x: int) -> int:
        if x == 3:
            raise ValueError("part 3")
        return x

    for workers in (1, 2, 3):
        assert S.map_parts(lambda x: x * x, items, workers) == [x * x for x in items]
        with pytest.raises(ValueError, match="part 3"):
            S.map_parts(fail, items, workers)


def test_map_parts_claims_no_item_after_an_error():
    started: list[int] = []

    def slow_fail(x: int) -> int:
        started.append(x)
        if x == 0:
            raise KeyboardInterrupt
        time.sleep(0.01)
        return x

    with pytest.raises(KeyboardInterrupt):
        S.map_parts(slow_fail, list(range(50)), 2)
    assert len(started) < 5  # the helper finished the item it held and took no more


def test_losses_and_limit_annotations_split_over_threads_are_bit_identical(monkeypatch):
    from dynsys_gd.numeric.engine import run as R

    net = dg.LinearNetwork.from_covariances(
        (2, 2, 2), Sxx=np.eye(2), Syx=np.array([[1.5, 0.3], [-0.2, 0.7]])
    )
    th = np.random.default_rng(4).normal(0.0, 1.0, (600, net.n_params))
    serial = run_gd(net, th, 0.55, workers=1)
    assert serial.has_limit.sum() >= 100 and serial.certified.any()
    monkeypatch.setattr(R, "SPLIT_LIMITS", 8)  # split from 8 limits on: the threads do it
    monkeypatch.setattr(R, "PART_LIMITS", 64)  # in parts of at most 64 limits
    sizes: list[int] = []

    def recorded(fn, items, workers):
        sizes.append(len(items))
        return S.map_parts(fn, items, workers)

    monkeypatch.setattr(R, "map_parts", recorded)
    split = run_gd(net, th, 0.55, workers=3)
    assert sizes == [max(6, -(-int(serial.has_limit.sum()) // 64))]
    for f in (*FIELDS, "loss", "sharpness", "lam_min", "at_minimum", "certified"):
        assert np.array_equal(getattr(serial, f), getattr(split, f)), f


def test_losses_and_contraction_rates_of_many_runs_split_over_threads_without_limits(monkeypatch):
    from dynsys_gd.numeric.engine import run as R

    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    th = np.random.default_rng(5).uniform(-2.0, 2.0, (500, 3))
    cfg = dg.EngineConfig(limits=False, certificate=False)
    serial = run_gd(net, th, 0.3, config=cfg, workers=1)
    assert (serial.contraction > 0).sum() >= 100
    monkeypatch.setattr(R, "SPLIT_ROWS", 100)  # split from 100 runs on, with no limit at all
    sizes: list[int] = []

    def recorded(fn, items, workers):
        sizes.append(len(items))
        return S.map_parts(fn, items, workers)

    monkeypatch.setattr(R, "map_parts", recorded)
    split = run_gd(net, th, 0.3, config=cfg, workers=2)
    assert sizes == [4]
    for f in (*FIELDS, "loss"):
        assert np.array_equal(getattr(serial, f), getattr(split, f)), f


@pytest.mark.parametrize("backend", ["compiled", "numpy"])
def test_the_callers_initialisations_are_read_never_written(backend):
    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    th = np.random.default_rng(6).uniform(-2.0, 2.0, (64, 3))
    before = th.copy()
    rb = run_gd(net, th, 0.3, backend=backend, workers=2)
    assert np.array_equal(th, before) and not np.shares_memory(rb.theta, th)
