r"""Executors for embarrassingly parallel analyses: serial, process pool, Dask.

Monte-Carlo estimates of the convergent set (claim C6) and learning-rate sweeps split into
independent tasks (one learning rate, or one chunk of initialisations).  Each task draws its
randomness from its own child of ``numpy.random.SeedSequence(seed).spawn(...)``, so results do
not depend on how tasks are scheduled: serial, a :class:`~concurrent.futures.ProcessPoolExecutor`
and a Dask cluster give identical numbers for the same seed.

* :func:`make_executor` builds the executor (a context manager that shuts everything down);
* :func:`map_tasks` / :func:`iter_tasks` run picklable tasks on it, hand each result to a
  callback *as soon as it completes* (so a :class:`~dynsys_gd.runtime.store.ResultsStore` can
  commit it) and return results in task order.

Dask is the optional extra ``dynsys-gd[distributed]``; it is imported only when asked for.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import pickle
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

from .._validation import check_int, check_positive_float, describe
from ..errors import DynsysGDError, InvalidParameterError
from .progress import progress_bar
from .store import MissingDependencyError

__all__ = [
    "ManagedExecutor",
    "SerialExecutor",
    "WorkerDiedError",
    "iter_tasks",
    "make_executor",
    "map_tasks",
]

T = TypeVar("T")
R = TypeVar("R")


class WorkerDiedError(DynsysGDError):
    """A worker process died (killed, out of memory, crashed) before its task finished.

    Results handed to ``on_result`` before are kept, so rerunning the same computation with a
    results store resumes it.  ``done`` and ``total`` count the tasks of this call.  The
    command line prints the message on one line and exits with :attr:`exit_status`.
    """

    exit_status = 1

    def __init__(self, message: str, *, done: int = 0, total: int = 0) -> None:
        super().__init__(message)
        self.done = done
        self.total = total


#: seconds a Dask computation may wait with no worker at all before it fails
NO_WORKER_TIMEOUT = 60.0


def _is_worker_death(exc: BaseException) -> bool:
    """A dead process-pool worker, or a Dask task whose workers kept dying (KilledWorker)."""
    return isinstance(exc, cf.BrokenExecutor) or type(exc).__name__ == "KilledWorker"


class SerialExecutor(cf.Executor):
    """In-process executor: ``submit`` runs the call at once and returns a finished future."""

    def __init__(self) -> None:
        self._shutdown = False

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> cf.Future[R]:
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")
        fut: cf.Future[R] = cf.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # KeyboardInterrupt must propagate, not be stored
            if not isinstance(exc, Exception):
                raise
            fut.set_exception(exc)
        return fut

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._shutdown = True


class ManagedExecutor(cf.Executor):
    r"""An executor together with the resources behind it (process pool, Dask client and
    cluster); :meth:`shutdown` (or leaving the ``with`` block) releases all of them.

    Attributes
    ----------
    kind : {"serial", "processes", "dask"}
    workers : int
        Number of parallel workers (1 for serial).
    inner : concurrent.futures.Executor or None
        The wrapped executor; None for serial, meaning "run in this process".
    client : dask.distributed.Client or None
    no_worker_timeout : float
        Dask only: seconds the computation waits while the scheduler has no worker at all (all
        killed, none started) before it ends with :class:`WorkerDiedError`.  A worker that dies
        while others live is handled by Dask itself (its nanny restarts it, the scheduler
        resubmits its tasks).
    """

    def __init__(
        self,
        kind: str,
        workers: int,
        inner: cf.Executor | None,
        *,
        client: Any = None,
        cluster: Any = None,
        no_worker_timeout: float = NO_WORKER_TIMEOUT,
    ) -> None:
        self.no_worker_timeout = no_worker_timeout
        self.kind = kind
        self.workers = workers
        self.inner = inner
        self.client = client
        self.cluster = cluster
        self._serial = SerialExecutor() if inner is None else None
        self._closed = False

    @property
    def is_serial(self) -> bool:
        """True if tasks run in this process."""
        return self.inner is None

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> cf.Future[R]:
        if self._closed:
            raise RuntimeError("cannot schedule new futures after shutdown")
        target = self.inner if self.inner is not None else self._serial
        assert target is not None
        return target.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Shut down the executor, then the Dask client and cluster (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            if self.inner is not None:
                if isinstance(self.inner, cf.ProcessPoolExecutor):
                    self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)
                else:
                    self.inner.shutdown(wait=wait and not cancel_futures)
        finally:
            try:
                if self.client is not None:
                    self.client.close()
            finally:
                if self.cluster is not None:
                    self.cluster.close()

    close = shutdown

    def __enter__(self) -> ManagedExecutor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown(wait=exc_type is None, cancel_futures=exc_type is not None)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        extra = f", scheduler={self.client.scheduler.address!r}" if self.client is not None else ""
        return f"ManagedExecutor(kind={self.kind!r}, workers={self.workers}{extra}, {state})"


def _import_dask() -> Any:
    try:
        import dask.distributed as dd
    except ImportError:
        raise MissingDependencyError(
            "scheduler=... needs Dask, the optional extra [distributed]; install it with "
            "`pip install 'dynsys-gd[distributed]'`"
        ) from None
    return dd


def make_executor(
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    processes: bool = True,
    threads_per_worker: int = 1,
    no_worker_timeout: float = NO_WORKER_TIMEOUT,
) -> ManagedExecutor:
    r"""Build an executor for :func:`map_tasks` and the ``executor=`` argument of the analyses.

    Parameters
    ----------
    workers : int or None
        ``None`` or 1 (and no ``scheduler``): serial, in this process.  ``> 1``: a
        :class:`~concurrent.futures.ProcessPoolExecutor` with that many processes (started with
        ``forkserver`` on POSIX, so it is safe from threaded parents).  With ``scheduler="local"``
        the number of Dask workers (default 2).
    scheduler : str or None
        ``"local"``: start a :class:`dask.distributed.LocalCluster` (scheduler and dashboard
        bound to 127.0.0.1, never to all interfaces) and use
        ``client.get_executor(pure=False)``; ``"tcp://host:port"`` (or ``tls://``, ``inproc://``,
        ``ucx://``): connect to that running scheduler (``workers`` must then be None).
    processes : bool, default True
        ``scheduler="local"`` only: worker processes (True) or threads in this process (False;
        quick to start, used by the tests).
    threads_per_worker : int, default 1
        ``scheduler="local"`` only.
    no_worker_timeout : float, default 60
        Dask only: a computation that finds no live worker for this many seconds ends with
        :class:`WorkerDiedError` (never hangs).

    Returns
    -------
    ManagedExecutor
        A :class:`concurrent.futures.Executor` and context manager; leaving the ``with`` block
        shuts down pool, client and cluster.

    Raises
    ------
    InvalidParameterError
        Bad ``workers``/``scheduler``; the scheduler cannot be reached.
    MissingDependencyError
        Dask is needed but not installed (names the ``[distributed]`` extra).
    """
    if workers is not None:
        workers = check_int("workers", workers, minimum=1, maximum=1024)
    if scheduler is not None and not isinstance(scheduler, str):
        raise InvalidParameterError(
            f"scheduler must be None, 'local' or a scheduler address "
            f"such as 'tcp://host:8786'; got {describe(scheduler)}"
        )
    if not isinstance(processes, bool):
        raise InvalidParameterError(f"processes must be a bool; got {describe(processes)}")
    threads_per_worker = check_int(
        "threads_per_worker", threads_per_worker, minimum=1, maximum=1024
    )
    no_worker_timeout = check_positive_float("no_worker_timeout", no_worker_timeout)
    if scheduler is None:
        if workers is None or workers == 1:
            return ManagedExecutor("serial", 1, None)
        ctx = multiprocessing.get_context(
            "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        )
        return ManagedExecutor(
            "processes", workers, cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
        )
    if scheduler == "local":
        dd = _import_dask()
        n = 2 if workers is None else workers
        cluster = dd.LocalCluster(
            n_workers=n,
            threads_per_worker=threads_per_worker,
            processes=processes,
            # worker processes talk TCP: the scheduler listens on this machine only
            # (threads use the in-process transport, which has no address)
            **({"host": "127.0.0.1"} if processes else {}),
            dashboard_address="127.0.0.1:0",
            silence_logs=40,
        )  # logging.ERROR
        try:
            client = dd.Client(cluster, set_as_default=False)
        except BaseException:
            cluster.close()
            raise
        return ManagedExecutor(
            "dask",
            n,
            client.get_executor(pure=False),
            client=client,
            cluster=cluster,
            no_worker_timeout=no_worker_timeout,
        )
    if "://" not in scheduler:
        raise InvalidParameterError(
            f"scheduler must be None, 'local' or a scheduler address "
            f"such as 'tcp://host:8786'; got {scheduler!r}"
        )
    if workers is not None:
        raise InvalidParameterError(
            f"workers must be None when connecting to the scheduler "
            f"{scheduler!r} (its workers are fixed); got {workers}"
        )
    dd = _import_dask()
    try:
        client = dd.Client(scheduler, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise InvalidParameterError(f"scheduler {scheduler!r} cannot be reached ({exc})") from None
    n = max(1, len(client.scheduler_info().get("workers", {})))
    return ManagedExecutor(
        "dask",
        n,
        client.get_executor(pure=False),
        client=client,
        no_worker_timeout=no_worker_timeout,
    )


def _check_picklable(fn: Any, executor: Any) -> None:
    """Process pools need a picklable ``fn``: say so clearly instead of a pickling traceback
    from a worker."""
    inner = executor.inner if isinstance(executor, ManagedExecutor) else executor
    if not isinstance(inner, cf.ProcessPoolExecutor):
        return
    try:
        pickle.dumps(fn)
    except Exception as exc:
        raise InvalidParameterError(
            f"fn must be picklable to run on {type(executor).__name__} (a module-level "
            f"function or functools.partial of one); got {describe(fn)} ({exc})"
        ) from None


def iter_tasks(
    fn: Callable[..., R],
    tasks: Sequence[T],
    executor: cf.Executor | None,
    *,
    unpack: bool = False,
    help_pool: bool = False,
    threads: int = 1,
    warm: Callable[[], object] | None = None,
) -> Generator[tuple[int, R], None, None]:
    r"""Run ``fn(task)`` (``fn(*task)`` with ``unpack=True``) for every task and yield
    ``(index, result)`` as tasks complete.

    Arguments are checked at the call (not at the first ``next``).  ``executor=None`` (or a
    serial :class:`ManagedExecutor`) runs in this process, in order, or with ``threads > 1``
    on that many threads of this process (the first task first, alone; or, when ``warm`` is
    given, ``warm()`` first and then every task on the threads).  On any exception,
    ``KeyboardInterrupt`` or when the generator is closed early, futures that have not started
    are cancelled; the exception of a failed task is re-raised.
    """
    if not callable(fn):
        raise InvalidParameterError(f"fn must be callable; got {describe(fn)}")
    if (
        executor is not None
        and not isinstance(executor, cf.Executor)
        and not callable(getattr(executor, "submit", None))
    ):
        raise InvalidParameterError(
            f"executor must be None or a concurrent.futures.Executor; got {describe(executor)}"
        )
    serial = (
        executor is None
        or isinstance(executor, SerialExecutor)
        or (isinstance(executor, ManagedExecutor) and executor.is_serial)
    )
    if not serial:
        _check_picklable(fn, executor)
    check_int("threads", threads, minimum=1)
    if warm is not None and not callable(warm):
        raise InvalidParameterError(f"warm must be None or callable; got {describe(warm)}")
    return _iter_tasks(fn, tasks, None if serial else executor, unpack, help_pool, threads, warm)


def _is_process_pool(executor: Any) -> bool:
    inner = executor.inner if isinstance(executor, ManagedExecutor) else executor
    return isinstance(inner, cf.ProcessPoolExecutor)


#: seconds a helped pool's job runs in this process alone before the pool starts
POOL_DELAY = 0.5


def _iter_pool(
    fn: Callable[..., Any], tasks: Sequence[Any], executor: Any, unpack: bool
) -> Generator[tuple[int, Any], None, None]:
    """A process pool with this process helping; yields ``(index, result)`` as tasks finish.

    A cold pool spends a second or more starting (the forkserver imports the main module, each
    worker imports the toolkit and loads its kernels), and the first ``submit`` blocks on it.
    So this process runs the tasks from the back, alone for the first :data:`POOL_DELAY`
    seconds (a shorter job never starts the pool); then a thread submits them from the front.
    Once everything is submitted, this process runs the last tasks no worker has started
    (cancelling their futures first), and when every open task is with a worker (which may
    still be starting) it runs the last of them as well and takes whichever copy ends first.
    Every task is deterministic, so where it ran never changes its result, and the pool is
    never much slower than this process alone.
    """
    import threading

    n = len(tasks)
    lock = threading.Lock()
    state = {"lo": 0, "hi": n, "stop": False}  # tasks [lo, hi) are neither submitted nor taken
    futures: dict[cf.Future[Any], int] = {}
    submit_error: list[BaseException] = []

    def submitter() -> None:
        try:
            # start the pool's processes before claiming a task: a claimed task must not wait
            # for the start while this process could run it
            executor.submit(int).result()
            while True:
                with lock:
                    if state["stop"] or state["lo"] >= state["hi"]:
                        return
                    i = state["lo"]
                    state["lo"] = i + 1
                fut = executor.submit(fn, *tasks[i]) if unpack else executor.submit(fn, tasks[i])
                with lock:
                    futures[fut] = i
        except BaseException as exc:  # pragma: no cover - surfaced in the caller
            submit_error.append(exc)

    # tasks run here work on private copies of their arguments (one per distinct object): the
    # pool pickles the originals in its feeder thread while this process runs, and running a
    # model may fill its caches
    copies: dict[int, Any] = {}

    def run_here(i: int) -> Any:
        args = tasks[i] if unpack else (tasks[i],)
        own = []
        for a in args:
            if isinstance(a, int | float | str | bytes | bool | type(None)):
                own.append(a)
                continue
            if id(a) not in copies:
                copies[id(a)] = pickle.loads(pickle.dumps(a))
            own.append(copies[id(a)])
        return fn(*own)

    th = threading.Thread(target=submitter, daemon=True)
    started = time.perf_counter()
    handled = 0
    seen: set[cf.Future[Any]] = set()
    died: BaseException | None = None
    try:
        while handled < n:
            if submit_error:
                raise submit_error[0]
            if not th.is_alive() and th.ident is None:
                # the pool starts only for jobs that outlast POOL_DELAY here: starting it costs
                # a second or more of CPU, more than a short job
                with lock:
                    left = state["hi"] - state["lo"]
                if left <= 0:
                    break
                if time.perf_counter() - started >= POOL_DELAY:
                    th.start()
            with lock:
                pending = [f for f in futures if f not in seen]
            finished = [f for f in pending if f.done() and not f.cancelled()]
            if finished:
                for fut in finished:
                    seen.add(fut)
                    try:
                        res = fut.result()
                    except BaseException as exc:
                        if not _is_worker_death(exc):
                            raise
                        died = died or exc
                        handled += 1
                        continue
                    handled += 1
                    yield futures[fut], res
                continue
            if died is not None and not th.is_alive() and all(f.done() for f in pending):
                break
            i = None
            with lock:
                if state["lo"] < state["hi"] and died is None:
                    state["hi"] -= 1
                    i = state["hi"]
            if i is None and died is None:
                for f in sorted(pending, key=lambda f: -futures[f]):
                    if f.cancel():
                        seen.add(f)
                        i = futures[f]
                        break
            if i is None and died is None and pending:
                # every open task is with a worker: run the last one here as well (a worker
                # may still be starting); the task is deterministic, so whichever copy ends
                # first gives the same result, and the other is ignored
                f = max(pending, key=lambda f: futures[f])
                seen.add(f)
                i = futures[f]
            if i is not None:
                res = run_here(i)
                handled += 1
                yield i, res
                continue
            if pending:
                cf.wait(pending, timeout=0.05, return_when=cf.FIRST_COMPLETED)
            else:
                th.join(0.05)
        if died is not None:
            done = sum(1 for f in seen if f.done() and not f.cancelled() and f.exception() is None)
            raise WorkerDiedError(
                f"a worker died; {done} of {n} tasks finished ({died})", done=done, total=n
            )
    finally:
        with lock:
            state["stop"] = True
            for fut in futures:
                if not fut.done():
                    fut.cancel()


def _iter_threads(
    fn: Callable[..., Any],
    tasks: Sequence[Any],
    unpack: bool,
    threads: int,
    warm: Callable[[], object] | None = None,
) -> Generator[tuple[int, Any], None, None]:
    """The tasks on ``threads`` threads of this process; yields ``(index, result)`` as they
    finish.  For tasks whose work releases the GIL (the engine's compiled kernels): the Python
    work of one task overlaps the kernels of the others.  The first task runs alone in this
    thread (it builds and loads what the model needs, which the others then share) unless
    ``warm`` is given: then ``warm()`` runs here first (a cheap call that loads the same, such
    as a one-run version of the first task) and every task goes to the threads.  With
    fewer tasks left than threads they run here one after the other (an engine call in this
    thread uses every core itself).  The others go to ``threads`` workers on the process's
    task threads (:func:`~dynsys_gd.runtime.cancel.task_threads`), each taking the next task
    in order.  Ctrl-C (or an error) sets the stop event of the task threads: each stops at
    its next check (:mod:`dynsys_gd.runtime.cancel`, between the engine's slices) and takes
    no new task."""
    from .cancel import bound, task_threads

    if not tasks:
        return
    first = 0
    if warm is not None and len(tasks) >= threads:
        warm()
    else:
        yield 0, (fn(*tasks[0]) if unpack else fn(tasks[0]))
        first = 1
    if len(tasks) - first < threads:  # fewer tasks than threads: each uses the threads itself
        for i in range(first, len(tasks)):
            yield i, (fn(*tasks[i]) if unpack else fn(tasks[i]))
        return
    stop = threading.Event()
    futures: dict[cf.Future[Any], int] = {cf.Future(): i for i in range(first, len(tasks))}
    order = iter(list(futures))
    claim = threading.Lock()

    def worker() -> None:
        with bound(stop):
            while not stop.is_set():
                with claim:
                    fut = next(order, None)
                if fut is None or not fut.set_running_or_notify_cancel():
                    return
                i = futures[fut]
                try:
                    res = fn(*tasks[i]) if unpack else fn(tasks[i])
                except BaseException as exc:  # re-raised in the calling thread
                    fut.set_exception(exc)
                else:
                    fut.set_result(res)

    pool = task_threads()
    for _ in range(threads):
        pool.submit(worker)
    try:
        pending = set(futures)
        while pending:  # short waits: this thread handles Ctrl-C between them
            done, pending = cf.wait(pending, timeout=0.05, return_when=cf.FIRST_COMPLETED)
            for fut in sorted(done, key=futures.__getitem__):
                yield futures[fut], fut.result()
    finally:
        stop.set()
        for fut in futures:
            fut.cancel()  # not yet claimed: never runs


def _iter_tasks(
    fn: Callable[..., Any],
    tasks: Sequence[Any],
    executor: Any,
    unpack: bool,
    help_pool: bool,
    threads: int = 1,
    warm: Callable[[], object] | None = None,
) -> Generator[tuple[int, Any], None, None]:
    if executor is None:
        if threads > 1 and len(tasks) > 1:
            yield from _iter_threads(fn, tasks, unpack, threads, warm)
            return
        for i, task in enumerate(tasks):
            yield i, (fn(*task) if unpack else fn(task))
        return
    if help_pool and _is_process_pool(executor):
        yield from _iter_pool(fn, tasks, executor, unpack)
        return
    futures: dict[cf.Future[Any], int] = {}
    try:
        for i, task in enumerate(tasks):
            fut = executor.submit(fn, *task) if unpack else executor.submit(fn, task)
            futures[fut] = i
        done = 0
        died: BaseException | None = None
        for fut in _completed(futures, executor):
            if died is not None:  # after a worker died: still hand over what finished
                if not fut.cancelled() and fut.exception() is None:
                    done += 1
                    yield futures[fut], fut.result()
                continue
            try:
                res = fut.result()
            except BaseException as exc:
                if not _is_worker_death(exc):
                    raise
                died = exc
                continue
            done += 1
            yield futures[fut], res
        if died is not None:
            raise WorkerDiedError(
                f"a worker died; {done} of {len(tasks)} tasks finished ({died})",
                done=done,
                total=len(tasks),
            )
    finally:
        for fut in futures:
            if not fut.done():
                fut.cancel()


def _dask_client(executor: Any) -> Any:
    """The Dask client behind ``executor`` (a :class:`ManagedExecutor` or Dask's own
    ``ClientExecutor``), or None."""
    client = getattr(executor, "client", None) or getattr(executor, "_client", None)
    return client if type(client).__name__ == "Client" else None


def _n_workers(client: Any) -> int:
    try:
        return len(client.scheduler_info().get("workers", {}))
    except Exception:  # the scheduler itself is gone: no worker either
        return 0


def _completed(futures: Mapping[cf.Future[Any], int], executor: Any) -> Iterator[cf.Future[Any]]:
    """The futures as they complete; on Dask, a :class:`WorkerDiedError` once no worker has
    been alive for ``no_worker_timeout`` seconds (instead of waiting for ever)."""
    client = _dask_client(executor)
    if client is None:
        yield from cf.as_completed(futures)
        return
    limit = float(getattr(executor, "no_worker_timeout", NO_WORKER_TIMEOUT))
    pending = set(futures)
    alone_since: float | None = None
    while pending:
        done, pending = cf.wait(pending, timeout=min(1.0, limit), return_when=cf.FIRST_COMPLETED)
        yield from done
        if done or _n_workers(client) > 0:
            alone_since = None
            continue
        now = time.monotonic()
        alone_since = now if alone_since is None else alone_since
        if now - alone_since >= limit:
            raise WorkerDiedError(
                f"no Dask worker has been alive for {limit:g} s (all were lost); "
                f"{len(futures) - len(pending)} of {len(futures)} tasks finished. Start workers "
                "and rerun (a results store resumes)",
                done=len(futures) - len(pending),
                total=len(futures),
            )


def map_tasks(
    fn: Callable[..., R],
    tasks: Iterable[T],
    executor: cf.Executor | None,
    *,
    on_result: Callable[[T, R], None] | None = None,
    progress: bool | None = False,
    desc: str = "tasks",
    unpack: bool = False,
    help_pool: bool = False,
    threads: int = 1,
    warm: Callable[[], object] | None = None,
) -> list[R]:
    r"""Run ``fn`` on every task with ``executor`` and return the results in task order.

    Parameters
    ----------
    fn : callable
        ``fn(task) -> result``; with a process pool or Dask, ``fn``, tasks and results must be
        picklable (module-level function, plain data).
    tasks : iterable
        The tasks (materialised into a list).
    executor : concurrent.futures.Executor or None
        None: serial in this process; anything from :func:`make_executor`; any other
        :class:`~concurrent.futures.Executor`.
    on_result : callable, optional
        ``on_result(task, result)`` is called in *this* process for each task as soon as it
        completes (completion order), e.g. to commit it to a
        :class:`~dynsys_gd.runtime.store.ResultsStore`.  If it raises, pending tasks are
        cancelled and the error propagates.
    progress : bool, default False
        Show a progress bar on stderr (only on a terminal, see
        :func:`~dynsys_gd.runtime.progress.progress_bar`).
    desc : str
        Label of the progress bar.
    unpack : bool, default False
        Call ``fn(*task)`` (tasks are argument tuples) instead of ``fn(task)``.
    help_pool : bool, default False
        With a process pool, this process runs tasks too while the pool starts and whenever
        no result is ready (the tasks must be pure: deterministic, no effect on the process
        that runs them, like the toolkit's own work units), so the pool is never much slower
        than serial.
    threads : int, default 1
        Serial only: run the tasks on this many threads of this process (for tasks whose work
        releases the GIL, such as the engine's; results do not depend on it).
    warm : callable, optional
        With ``threads > 1``: called once in this thread before the threads start, to load
        what every task needs (compiled kernels); then all tasks run on the threads.  Without
        it the first task runs alone in this thread for that purpose.

    Returns
    -------
    list
        ``[fn(t) for t in tasks]``, whatever order they completed in.

    Notes
    -----
    ``KeyboardInterrupt`` cancels all pending futures (the results already handed to
    ``on_result`` are kept) and is re-raised.  A worker that dies (a broken process pool, a
    Dask ``KilledWorker``) raises :class:`WorkerDiedError` after every task that did finish has
    been handed to ``on_result``.
    """
    task_list = list(tasks)
    if progress is not None and not isinstance(progress, bool):
        raise InvalidParameterError(f"progress must be a bool or None; got {describe(progress)}")
    if not isinstance(unpack, bool):
        raise InvalidParameterError(f"unpack must be a bool; got {describe(unpack)}")
    if on_result is not None and not callable(on_result):
        raise InvalidParameterError(
            f"on_result must be None or callable; got {describe(on_result)}"
        )
    results: list[Any] = [None] * len(task_list)
    with progress_bar(len(task_list), desc, progress) as bar:
        it = iter_tasks(
            fn,
            task_list,
            executor,
            unpack=unpack,
            help_pool=help_pool,
            threads=threads,
            warm=warm,
        )
        try:
            for i, res in it:
                results[i] = res
                if on_result is not None:
                    on_result(task_list[i], res)
                bar.update(1)
        finally:
            it.close()
    return results
