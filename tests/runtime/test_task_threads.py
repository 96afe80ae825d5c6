"""Serial jobs on threads of this process: same results in task order, the first task in the
calling thread, and a stop event that ends task threads at their next check."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.numeric.engine import slices as S
from dynsys_gd.runtime import cancel
from dynsys_gd.runtime.executors import map_tasks


def _square_where(x: int) -> tuple[int, str]:
    time.sleep(0.002)
    return x * x, threading.current_thread().name


def test_threads_give_the_results_in_task_order_and_hand_each_over():
    seen: list[int] = []
    out = map_tasks(
        _square_where,
        list(range(12)),
        None,
        threads=2,
        on_result=lambda t, r: seen.append(t),
    )
    assert [r[0] for r in out] == [x * x for x in range(12)]
    assert sorted(seen) == list(range(12))
    assert out[0][1] == threading.current_thread().name  # the first task runs here
    assert any(name.startswith("dynsys-gd-task") for _, name in out[1:])


def test_a_set_stop_event_stops_a_bound_thread_at_its_next_check():
    ev = threading.Event()
    with cancel.bound(ev):
        cancel.check()  # not set: nothing happens
        ev.set()
        with pytest.raises(KeyboardInterrupt):
            cancel.check()
        calls: list[int] = []
        with pytest.raises(KeyboardInterrupt):  # the engine checks before its kernels start
            S.run_shared(lambda ctl: calls.append(1), 1000, workers=2)
        assert calls == []
    cancel.check()  # unbound again


def test_the_estimate_on_task_threads_equals_the_serial_one(monkeypatch):
    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    n = 3 * 4096 + 100  # four work units on two threads, after a one-run warm-up
    threaded = dg.estimate_convergent_fraction(net, 0.24, n_samples=n, seed=3)
    monkeypatch.setattr(S, "auto_workers", lambda runs: 1)
    serial = dg.estimate_convergent_fraction(net, 0.24, n_samples=n, seed=3)
    assert threaded.to_dict() == serial.to_dict()
    assert np.isfinite(serial.sharpness_median)


def test_a_local_pool_no_larger_than_the_cores_is_not_used_for_compiled_units():
    from concurrent.futures import ProcessPoolExecutor

    from dynsys_gd.analysis.convergence_tasks import _pool_adds_nothing
    from dynsys_gd.numeric.engine.cost import _cores

    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    task = (net, 0.24, "uniform", 2.0, 0, 0, 0, 100, 100, None)
    with ProcessPoolExecutor(max_workers=1) as small, ProcessPoolExecutor(_cores() + 1) as big:
        assert _pool_adds_nothing(small, [task])  # threads here do the same, without a start
        assert not _pool_adds_nothing(big, [task])  # more workers than cores: the pool adds
        assert not _pool_adds_nothing(small, [(object(), *task[1:])])  # no compiled kernel


def _nested(x: int) -> int:
    return sum(r for r in map_tasks(_times_two, [x, x + 1, x + 2], None, threads=2))


def _times_two(x: int) -> int:
    return 2 * x


def test_task_threads_are_kept_across_calls_and_nested_calls_do_not_wait_forever():
    map_tasks(_square_where, list(range(6)), None, threads=2)
    pool = cancel.task_threads()
    started = pool.started
    for _ in range(3):
        assert [r[0] for r in map_tasks(_square_where, list(range(6)), None, threads=2)] == [
            x * x for x in range(6)
        ]
    assert pool.started == started  # no new thread per call
    # tasks that themselves run tasks on threads: a thread is started when none is idle
    assert map_tasks(_nested, list(range(5)), None, threads=2) == [6 * x + 6 for x in range(5)]


def _fails_at_three(x: int) -> int:
    if x == 3:
        raise ValueError("three")
    return x


def test_an_error_on_a_task_thread_reaches_the_caller():
    with pytest.raises(ValueError, match="three"):
        map_tasks(_fails_at_three, list(range(8)), None, threads=2)
    assert map_tasks(_fails_at_three, [0, 1, 2], None, threads=2) == [0, 1, 2]  # pool still works


def test_with_a_warm_up_every_task_runs_on_the_threads_after_it():
    warmed: list[str] = []
    out = map_tasks(
        _square_where,
        list(range(9)),
        None,
        threads=2,
        warm=lambda: warmed.append(threading.current_thread().name),
    )
    assert [r[0] for r in out] == [x * x for x in range(9)]
    assert warmed == [threading.current_thread().name]  # once, here, before the tasks
    assert all(name.startswith("dynsys-gd-task") for _, name in out)


def test_a_warm_up_that_is_not_callable_is_refused():
    with pytest.raises(dg.InvalidParameterError, match="warm must be None or callable"):
        map_tasks(_square_where, [1, 2], None, threads=2, warm=3)  # type: ignore[arg-type]
