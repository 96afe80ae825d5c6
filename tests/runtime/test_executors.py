"""Executors (serial, process pool, Dask), map_tasks, progress bars; serial / processes / Dask
give identical sweep and convergent-fraction estimates for the same seed (claim C9 estimates
must not depend on the executor)."""

from __future__ import annotations

import concurrent.futures as cf
import io
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.runtime.executors import (
    ManagedExecutor,
    SerialExecutor,
    iter_tasks,
    make_executor,
    map_tasks,
)
from dynsys_gd.runtime.progress import progress_bar, progress_enabled
from dynsys_gd.runtime.store import MissingDependencyError, ResultsStore


def _square_plus_noise(task: tuple[int, int]) -> dict[str, float]:
    """A picklable task with its own SeedSequence child: result independent of scheduling."""
    i, seed = task
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(i + 1)[i])
    return {"i": i, "value": float(i * i + rng.standard_normal())}


def _fail_on_three(i: int) -> int:
    if i == 3:
        raise ArithmeticError("task 3 failed")
    return i


TASKS = [(i, 5) for i in range(8)]
EXPECTED = [_square_plus_noise(t) for t in TASKS]


@pytest.fixture(scope="module")
def dask_executor() -> Any:
    pytest.importorskip("dask.distributed")
    with make_executor(workers=2, scheduler="local", processes=False) as ex:
        yield ex


@pytest.fixture(scope="module")
def process_executor() -> Any:
    with make_executor(workers=2) as ex:
        yield ex


# ------------------------------------------------------------------ make_executor
@pytest.mark.parametrize("workers", [None, 1])
def test_serial_executor_runs_in_process(workers: int | None) -> None:
    with make_executor(workers=workers) as ex:
        assert isinstance(ex, ManagedExecutor) and ex.is_serial and ex.kind == "serial"
        fut = ex.submit(threading.get_ident)
        assert fut.done() and fut.result() == threading.get_ident()
    with pytest.raises(RuntimeError, match="after shutdown"):
        ex.submit(int)


def test_process_pool_and_dask_are_real_executors(
    process_executor: ManagedExecutor, dask_executor: ManagedExecutor
) -> None:
    assert process_executor.kind == "processes" and process_executor.workers == 2
    assert isinstance(process_executor.inner, cf.ProcessPoolExecutor)
    assert dask_executor.kind == "dask" and dask_executor.client is not None
    assert len(dask_executor.client.scheduler_info()["workers"]) == 2
    assert dask_executor.submit(pow, 2, 10).result(timeout=30) == 1024
    assert "kind='dask'" in repr(dask_executor)


def test_dask_shutdown_closes_cluster() -> None:
    pytest.importorskip("dask.distributed")
    ex = make_executor(workers=1, scheduler="local", processes=False)
    client = ex.client
    with ex:
        assert ex.submit(abs, -3).result(timeout=30) == 3
    assert client.status in ("closed", "closing")
    ex.shutdown()  # idempotent


def test_connect_to_a_running_scheduler_by_address() -> None:
    dd = pytest.importorskip("dask.distributed")
    with (
        dd.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        make_executor(scheduler=cluster.scheduler_address) as ex,
    ):
        assert ex.kind == "dask" and ex.workers == 1
        assert map_tasks(_square_plus_noise, TASKS[:3], ex) == EXPECTED[:3]


@pytest.mark.parametrize(
    ("kwargs", "exc", "regex"),
    [
        ({"workers": 0}, InvalidParameterError, r"workers must be an int >= 1; got 0"),
        ({"workers": 2.0}, InvalidParameterError, r"workers must be an int >= 1; got 2.0"),
        ({"workers": True}, InvalidParameterError, r"workers must be an int >= 1; got True"),
        ({"workers": 10**6}, InvalidParameterError, r"workers must be an int <= 1024"),
        ({"scheduler": 3}, InvalidParameterError, r"scheduler must be None, 'local' or a sched"),
        ({"scheduler": "cluster"}, InvalidParameterError, r"got 'cluster'"),
        (
            {"scheduler": "tcp://127.0.0.1:8786", "workers": 2},
            InvalidParameterError,
            r"workers must be None when connecting to the scheduler",
        ),
        (
            {"scheduler": "local", "processes": "yes"},
            InvalidParameterError,
            r"processes must be a bool",
        ),
        (
            {"scheduler": "local", "threads_per_worker": 0},
            InvalidParameterError,
            r"threads_per_worker must be an int >= 1",
        ),
    ],
)
def test_make_executor_bad_input(kwargs: dict, exc: type, regex: str) -> None:
    with pytest.raises(exc, match=regex):
        make_executor(**kwargs)


def test_missing_dask_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(MissingDependencyError, match=r"optional extra \[distributed\]"):
        make_executor(scheduler="local")
    assert isinstance(MissingDependencyError("x"), ImportError)


# ------------------------------------------------------------------ map_tasks
def test_map_tasks_same_results_on_every_executor(
    process_executor: ManagedExecutor, dask_executor: ManagedExecutor
) -> None:
    for ex in (None, SerialExecutor(), make_executor(), process_executor, dask_executor):
        seen: list[tuple[int, int]] = []
        got = map_tasks(
            _square_plus_noise, TASKS, ex, on_result=lambda t, r, seen=seen: seen.append(t)
        )
        assert got == EXPECTED, ex
        assert sorted(seen) == TASKS  # each task reported once, in completion order


def test_iter_tasks_yields_as_completed() -> None:
    """The slow first task is reported last on a thread pool."""

    def slow_first(i: int) -> int:
        time.sleep(0.3 if i == 0 else 0.0)
        return i

    with cf.ThreadPoolExecutor(2) as pool:
        order = [i for i, _ in iter_tasks(slow_first, range(4), pool)]
    assert sorted(order) == [0, 1, 2, 3] and order[-1] == 0


def test_map_tasks_commits_each_result_to_a_store(
    tmp_path: Path, process_executor: ManagedExecutor
) -> None:
    with ResultsStore(tmp_path / "s.sqlite", {"tasks": TASKS}, kind="test") as st:
        map_tasks(
            _square_plus_noise,
            TASKS[:5],
            process_executor,
            on_result=lambda t, r: st.put(f"t{t[0]}", r),
        )
        assert len(st) == 5
        todo = [t for t in TASKS if f"t{t[0]}" not in st.done_keys()]
        assert todo == TASKS[5:]
        map_tasks(_square_plus_noise, todo, None, on_result=lambda t, r: st.put(f"t{t[0]}", r))
        assert [st.get(f"t{i}") for i in range(8)] == EXPECTED


def test_task_error_propagates(process_executor: ManagedExecutor) -> None:
    for ex in (None, process_executor):
        with pytest.raises(ArithmeticError, match="task 3 failed"):
            map_tasks(_fail_on_three, range(6), ex)


def test_keyboard_interrupt_cancels_pending_futures() -> None:
    started: list[int] = []

    def work(i: int) -> int:
        started.append(i)
        time.sleep(0.05)
        return i

    def interrupt(task: int, result: int) -> None:
        raise KeyboardInterrupt

    with cf.ThreadPoolExecutor(1) as pool, pytest.raises(KeyboardInterrupt):
        map_tasks(work, range(40), pool, on_result=interrupt)
    time.sleep(0.1)
    assert 1 <= len(started) <= 3  # the 37+ queued futures were cancelled


def test_unpicklable_function_is_refused_for_process_pools(
    process_executor: ManagedExecutor,
) -> None:
    with pytest.raises(InvalidParameterError, match=r"fn must be picklable"):
        map_tasks(lambda x: x, [1, 2], process_executor)
    assert map_tasks(lambda x: x + 1, [1, 2], None) == [2, 3]  # fine in process


@pytest.mark.parametrize(
    ("args", "kwargs", "regex"),
    [
        ((3, [1], None), {}, r"fn must be callable; got 3"),
        ((abs, [1], "pool"), {}, r"executor must be None or a concurrent.futures.Executor"),
        ((abs, [1], None), {"on_result": 5}, r"on_result must be None or callable"),
        ((abs, [1], None), {"progress": "yes"}, r"progress must be a bool"),
    ],
)
def test_map_tasks_bad_input(args: tuple, kwargs: dict, regex: str) -> None:
    with pytest.raises(InvalidParameterError, match=regex):
        map_tasks(*args, **kwargs)


# ------------------------------------------------------------------ progress
class _TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_quiet_unless_tty_or_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DYNSYS_GD_PROGRESS", raising=False)
    pipe, tty = io.StringIO(), _TTY()
    assert not progress_enabled(True, stream=pipe) and progress_enabled(True, stream=tty)
    assert progress_enabled(True, force=True, stream=pipe)
    assert not progress_enabled(False, force=True, stream=tty)
    with progress_bar(3, "quiet", True, stream=pipe) as bar:
        bar.update(2)
        assert not bar.shown and bar.n == 2
    assert pipe.getvalue() == ""
    with progress_bar(3, "sweep", True, stream=tty) as bar:
        bar.update(3)
        assert bar.shown
    assert "sweep:" in tty.getvalue() and "/3 " in tty.getvalue()
    monkeypatch.setenv("DYNSYS_GD_PROGRESS", "0")
    assert not progress_enabled(True, force=True, stream=tty)
    monkeypatch.setenv("DYNSYS_GD_PROGRESS", "1")
    assert progress_enabled(True, stream=pipe)


def test_map_tasks_progress_goes_to_stderr_only(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DYNSYS_GD_PROGRESS", "1")
    assert map_tasks(abs, [-1, -2], None, progress=True, desc="abs tasks") == [1, 2]
    out, err = capsys.readouterr()
    assert out == "" and "abs tasks" in err
    monkeypatch.delenv("DYNSYS_GD_PROGRESS")
    map_tasks(abs, [-1], None, progress=True)  # captured stderr is not a TTY: quiet
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize(
    ("kwargs", "regex"),
    [
        ({"total": -1}, r"total must be an int >= 0; got -1"),
        ({"total": 2.5}, r"total must be an int >= 0; got 2.5"),
        ({"total": 3, "desc": 4}, r"desc must be a str; got 4"),
        ({"total": 3, "enabled": "no"}, r"enabled must be a bool or None; got 'no'"),
    ],
)
def test_progress_bar_bad_input(kwargs: dict, regex: str) -> None:
    with pytest.raises(InvalidParameterError, match=regex):
        progress_bar(**kwargs)


# ------------------------------------------------------------------ analyses on executors
def test_c9_estimates_identical_on_serial_processes_and_dask(
    process_executor: ManagedExecutor, dask_executor: ManagedExecutor
) -> None:
    """Claim C9 estimates (convergent fraction, sweep over lr) depend only on the seed: serial,
    a 2-process pool and a Dask cluster give identical results (every field of to_dict())."""
    estimate = pytest.importorskip("dynsys_gd.analysis.convergence").estimate_convergent_fraction
    lr_sweep = pytest.importorskip("dynsys_gd.analysis.sweep").lr_sweep
    net = dg.LinearNetwork.scalar(2, 1.0)
    ref_e = estimate(net, 0.9, n_samples=48, seed=3, chunk_size=16).to_dict()
    ref_s = lr_sweep(net, [0.5, 0.9, 1.1], n_samples=32, seed=3, chunk_size=16).to_dict()
    assert 0.0 < ref_e["fraction"] < 1.0  # eta* = 1: some runs converge, some do not
    assert ref_s["fraction"][0] > 0.9 and ref_s["fraction"][2] == 0.0  # one run diverges at 0.5
    for ex in (process_executor, dask_executor):
        assert (
            estimate(net, 0.9, n_samples=48, seed=3, chunk_size=16, executor=ex).to_dict() == ref_e
        ), ex
        assert (
            lr_sweep(
                net, [0.5, 0.9, 1.1], n_samples=32, seed=3, chunk_size=16, executor=ex
            ).to_dict()
            == ref_s
        ), ex
    # a different chunking gives the same numbers too
    assert estimate(net, 0.9, n_samples=48, seed=3, chunk_size=5).to_dict() == ref_e


def test_sweep_with_store_on_process_pool_resumes_serially(
    tmp_path: Path, process_executor: ManagedExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Results committed by a parallel sweep are reused by a serial re-run: nothing recomputed."""
    sweep_mod = pytest.importorskip("dynsys_gd.analysis.sweep")
    net = dg.LinearNetwork.scalar(2, 1.0)
    path = tmp_path / "sweep.sqlite"
    kw: dict[str, Any] = {"n_samples": 32, "seed": 4, "chunk_size": 16}
    first = sweep_mod.lr_sweep(net, [0.7, 1.05], executor=process_executor, store=path, **kw)
    with ResultsStore(path, _stored_config(path)) as st:
        assert len(st) == 4  # 2 lrs x 2 chunks
    calls: list[Any] = []
    real = sweep_mod.run_sweep_task

    def counting(*a: Any) -> Any:
        calls.append(a[1])
        return real(*a)

    monkeypatch.setattr(sweep_mod, "run_sweep_task", counting)
    again = sweep_mod.lr_sweep(net, [0.7, 1.05], store=path, **kw)
    assert calls == []
    assert again.to_dict() == first.to_dict()
    with pytest.raises(InvalidParameterError, match=r"different configuration.*n_samples"):
        sweep_mod.lr_sweep(net, [0.7, 1.05], store=path, **{**kw, "n_samples": 48})


def _stored_config(path: Path) -> dict[str, Any]:
    import json
    import sqlite3

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return dict(
            json.loads(con.execute("SELECT value FROM meta WHERE name='config'").fetchone()[0])
        )
    finally:
        con.close()


def test_local_dask_dashboard_listens_on_localhost_only() -> None:
    """The dashboard of a local cluster is not reachable from other machines."""
    pytest.importorskip("dask.distributed")
    with make_executor(workers=1, scheduler="local", processes=False) as ex:
        server = ex.cluster.scheduler.http_server
        hosts = {sock.getsockname()[0] for sock in server._sockets.values()}
    assert hosts == {"127.0.0.1"}


def test_a_dead_worker_is_a_worker_died_error() -> None:
    """A broken pool becomes one WorkerDiedError counting the tasks that finished."""
    from concurrent.futures.process import BrokenProcessPool

    from dynsys_gd.runtime.executors import WorkerDiedError

    class Dying(cf.Executor):
        def __init__(self) -> None:
            self.n = 0

        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
            fut: cf.Future[Any] = cf.Future()
            self.n += 1
            if self.n <= 3:
                fut.set_result(fn(*args))
            else:
                fut.set_exception(BrokenProcessPool("terminated abruptly"))
            return fut

    got: list[int] = []
    with pytest.raises(WorkerDiedError, match=r"^a worker died; 3 of 6 tasks finished") as err:
        map_tasks(abs, range(6), Dying(), on_result=lambda t, r: got.append(r))
    assert err.value.exit_status == 1 and (err.value.done, err.value.total) == (3, 6)
    assert sorted(got) == [0, 1, 2]


def test_a_real_process_pool_worker_that_dies_is_a_worker_died_error() -> None:
    """os._exit in a worker breaks a real ProcessPoolExecutor: one WorkerDiedError."""
    import operator
    import os

    from dynsys_gd.runtime.executors import WorkerDiedError

    tasks = [(abs, -1), (abs, -2), (os._exit, 3)]
    with make_executor(workers=2) as ex:
        with pytest.raises(WorkerDiedError, match=r"^a worker died; [0-2] of 3 tasks finished"):
            map_tasks(operator.call, tasks, ex, unpack=True)


def test_dask_with_every_worker_killed_ends_with_an_error_not_a_hang() -> None:
    """A scheduler whose only worker (no nanny, so nothing restarts it) is SIGKILLed mid-run:
    the job ends with WorkerDiedError within the stated no-worker timeout."""
    import os
    import signal
    import subprocess

    dd = pytest.importorskip("dask.distributed")
    from dynsys_gd.runtime.executors import WorkerDiedError

    dask_cli = Path(sys.executable).with_name("dask")
    if not dask_cli.exists():
        pytest.skip("the dask command is not installed")
    with dd.LocalCluster(
        n_workers=0, processes=False, protocol="tcp", host="127.0.0.1", dashboard_address=":0"
    ) as cluster:
        worker = subprocess.Popen(
            [str(dask_cli), "worker", cluster.scheduler_address, "--no-nanny", "--nthreads", "1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            with make_executor(scheduler=cluster.scheduler_address, no_worker_timeout=2.0) as ex:
                ex.client.wait_for_workers(1, timeout=30)
                got: list[float] = []

                def kill_after_two(task: float, res: None) -> None:
                    got.append(task)
                    if len(got) == 2:
                        os.kill(worker.pid, signal.SIGKILL)

                t0 = time.monotonic()
                with pytest.raises(WorkerDiedError, match=r"no Dask worker has been alive for 2 s"):
                    # time.sleep: importable by the worker, which has not got the tests
                    map_tasks(time.sleep, [0.1, 0.1, 60.0, 60.0], ex, on_result=kill_after_two)
                waited = time.monotonic() - t0
        finally:
            worker.kill()
            worker.wait()
    assert got == [0.1, 0.1]
    assert waited < 30  # not the 60 s task, not for ever
