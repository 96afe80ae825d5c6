"""Faults around the results store, end to end through ``dynsys-gd sweep``: a full disk, Ctrl-C
just before or just after COMMIT, a dead worker and damaged stored results.  Each gives one
line on stderr and its exit status (1 for a failed run, 130 for an interrupt, 2 for a refused
file), never loses a committed task, and the rerun of the same command ends with exactly the
output of an uninterrupted run."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import io
import json
import os
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from dynsys_gd.cli import main
from dynsys_gd.runtime.store import ResultsStore, StoreWriteError

ARGS = [
    "sweep",
    "--depth",
    "2",
    "--target",
    "1",
    "--lrs",
    "0.6",
    "0.9",
    "0.97",
    "1.02",
    "1.1",
    "--samples",
    "48",
    "--seed",
    "3",
    "--json",
    "--quiet",
]
N_TASKS = 5  # one task per learning rate (48 samples fit in one block)


def _sweep(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([*ARGS, "--out", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


def _json(out: str) -> dict[str, Any]:
    d = json.loads(out)
    d.pop("store")
    return d


@pytest.fixture(scope="module")
def reference_json(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The output of an uninterrupted run."""
    path = tmp_path_factory.mktemp("ref") / "ref.sqlite"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main([*ARGS, "--out", str(path)])
    assert code == 0
    return _json(buf.getvalue())


def _count(path: Path) -> int:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(con.execute("SELECT COUNT(*) FROM tasks").fetchone()[0])
    finally:
        con.close()


class _Conn:
    """A real sqlite3 connection whose COMMIT misbehaves once, after ``after`` good commits."""

    def __init__(self, conn: sqlite3.Connection, fault: str, after: int) -> None:
        self._conn, self._fault, self._left = conn, fault, after

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def execute(self, sql: str, *args: Any) -> Any:
        if sql != "COMMIT":
            return self._conn.execute(sql, *args)
        if self._left > 0:
            self._left -= 1
            return self._conn.execute(sql)
        if self._fault == "interrupt-after":  # SIGINT arrives right after COMMIT succeeded
            self._conn.execute(sql)
            self._fault = ""
            raise KeyboardInterrupt
        if self._fault == "interrupt-before":  # SIGINT arrives while COMMIT starts
            self._fault = ""
            raise KeyboardInterrupt
        if self._fault == "full-at-commit":  # COMMIT fails with SQLITE_FULL
            self._fault = ""
            exc = sqlite3.OperationalError("database or disk is full")
            exc.sqlite_errorcode = sqlite3.SQLITE_FULL  # type: ignore[attr-defined]
            raise exc
        return self._conn.execute(sql)


def _inject(monkeypatch: pytest.MonkeyPatch, fault: str, after: int) -> None:
    orig = ResultsStore._open_verified

    def opened(self: ResultsStore) -> Any:
        return _Conn(orig(self), fault, after)

    monkeypatch.setattr(ResultsStore, "_open_verified", opened)


def _limit_pages(monkeypatch: pytest.MonkeyPatch, extra: int) -> None:
    """A real full disk as SQLite sees it: ``max_page_count`` makes the next page allocation
    fail with SQLITE_FULL ("database or disk is full"), the error a full file system gives."""
    orig = ResultsStore._open_verified

    def opened(self: ResultsStore) -> sqlite3.Connection:
        conn = orig(self)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count={int(pages) + extra}")
        return conn

    monkeypatch.setattr(ResultsStore, "_open_verified", opened)


@pytest.mark.parametrize(
    ("fault", "status", "regex"),
    [
        ("pages", 1, r"^dynsys-gd sweep: error: No space left on device: \S*s\.sqlite \("),
        ("full-at-commit", 1, r"^dynsys-gd sweep: error: No space left on device: \S*s\.sqlite \("),
        ("interrupt-after", 130, r"^dynsys-gd sweep: interrupted$"),
        ("interrupt-before", 130, r"^dynsys-gd sweep: interrupted$"),
    ],
)
def test_disk_full_and_ctrl_c_at_commit_lose_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    reference_json: dict[str, Any],
    fault: str,
    status: int,
    regex: str,
) -> None:
    path = tmp_path / "s.sqlite"
    with monkeypatch.context() as m:
        if fault == "pages":
            _limit_pages(m, extra=1)
        else:
            _inject(m, fault, after=2)
        code, out, err = _sweep(path, capsys)
    assert code == status and out == ""
    assert len(err.strip().splitlines()) == 1, err  # one line, no traceback
    assert re.match(regex, err.strip()), err
    assert "Traceback" not in err and ".tmp" not in err
    kept = _count(path)
    assert 0 <= kept < N_TASKS
    if fault == "interrupt-after":
        assert kept == 3  # the commit that was interrupted afterwards is kept
    elif fault != "pages":
        assert kept == 2
    code, out, err = _sweep(path, capsys)  # the same command resumes
    assert code == 0, err
    assert _count(path) == N_TASKS
    assert _json(out) == reference_json


def test_store_put_turns_a_failed_commit_into_one_error_and_stays_usable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ROLLBACK only inside a transaction: the user sees the original error, not "cannot
    rollback - no transaction is active"."""
    _inject(monkeypatch, "full-at-commit", after=1)
    with ResultsStore(tmp_path / "s.sqlite", {"a": 1}) as st:
        st.put("k1", {"x": 1})
        with pytest.raises(StoreWriteError, match=r"No space left on device: .*s\.sqlite"):
            st.put("k2", {"x": 2})
        assert st.keys() == ["k1"]
        st.put("k2", {"x": 2})  # space is back: the same put succeeds
        assert st.keys() == ["k1", "k2"]
    _inject(monkeypatch, "interrupt-after", after=0)
    with ResultsStore(tmp_path / "s.sqlite", {"a": 1}) as st:
        with pytest.raises(KeyboardInterrupt):
            st.put("k3", {"x": 3})
        assert st.get("k3") == {"x": 3}  # committed before the interrupt: kept


class _DyingPool(cf.Executor):
    """Runs ``ok`` tasks, then behaves like a process pool whose worker was killed."""

    def __init__(self, ok: int) -> None:
        self._ok = ok

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        fut: cf.Future[Any] = cf.Future()
        if self._ok > 0:
            self._ok -= 1
            fut.set_result(fn(*args, **kwargs))
        else:
            from concurrent.futures.process import BrokenProcessPool

            fut.set_exception(
                BrokenProcessPool("A process in the process pool was terminated abruptly")
            )
        return fut


def test_a_dead_worker_is_one_line_and_the_rerun_resumes(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    reference_json: dict[str, Any],
) -> None:
    import dynsys_gd.cli.sweep as cli_sweep

    path = tmp_path / "s.sqlite"
    with monkeypatch.context() as m:
        m.setattr(cli_sweep, "_make_executor", lambda args: _DyingPool(ok=2))
        code, out, err = _sweep(path, capsys)
    assert code == 1 and out == ""
    assert err.strip() == (
        f"dynsys-gd sweep: error: a worker died; 2 of {N_TASKS} tasks are "
        f"stored in {path}; run the same command to resume"
    )
    code, out, err = _sweep(path, capsys)
    assert code == 0, err
    assert _json(out) == reference_json


def _tamper(path: Path, how: str) -> None:
    con = sqlite3.connect(path)
    key, text = con.execute("SELECT key, result FROM tasks ORDER BY rowid LIMIT 1").fetchone()
    if how == "flip-bit":  # one outcome code changes: 0 -> 1
        i = text.index('"outcome":[') + len('"outcome":[')
        text = text[:i] + chr(ord(text[i]) ^ 1) + text[i + 1 :]
        con.execute("UPDATE tasks SET result=? WHERE key=?", (text, key))
    elif how == "edited-row-with-digest":  # edited consistently, even the digest: shape check
        from dynsys_gd.runtime.store import _digest

        d = json.loads(text)
        d["outcome"] = d["outcome"][:-1]
        new = json.dumps(d, separators=(",", ":"))
        con.execute(
            "UPDATE tasks SET result=?, digest=? WHERE key=?", (new, _digest(key, new), key)
        )
    elif how == "not-json":
        from dynsys_gd.runtime.store import _digest

        con.execute(
            "UPDATE tasks SET result=?, digest=? WHERE key=?", ("{oops", _digest(key, "{oops"), key)
        )
    con.commit()
    con.close()


@pytest.mark.parametrize(
    ("how", "regex"),
    [
        ("flip-bit", r"fails its SHA-256 digest check"),
        ("edited-row-with-digest", r"has the wrong shape \(field 'outcome' must be a list of 48"),
        ("not-json", r"is not valid JSON"),
    ],
)
def test_a_damaged_stored_result_is_refused_on_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str, regex: str
) -> None:
    path = tmp_path / "s.sqlite"
    assert _sweep(path, capsys)[0] == 0
    _tamper(path, how)
    before = path.read_bytes()
    code, out, err = _sweep(path, capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert re.search(r"stored result of task 'lr=0.6\|block=0\|0-48'.*" + regex, err), err
    assert path.read_bytes() == before
    import dynsys_gd as dg
    from dynsys_gd.runtime.store import CorruptStoreError

    with pytest.raises(
        CorruptStoreError, match=r"^store '.*s\.sqlite': the stored result .*" + regex
    ):  # the same refusal through the API, naming `store`
        dg.lr_sweep(
            dg.LinearNetwork.scalar(2, 1.0),
            [0.6, 0.9, 0.97, 1.02, 1.1],
            n_samples=48,
            seed=3,
            store=path,
        )
    assert path.read_bytes() == before


def test_a_page_damaged_past_the_first_is_refused_at_open(tmp_path: Path) -> None:
    """SQLite's quick_check at open: damage deep in the file is one CorruptStoreError, not a
    DatabaseError traceback at the first unlucky read."""
    from dynsys_gd.runtime.store import CorruptStoreError

    path = tmp_path / "s.sqlite"
    with ResultsStore(path, {"a": 1}) as st:
        for i in range(200):
            st.put(f"k{i}", {"values": list(range(i, i + 50))})
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 8 * page
    data[5 * page : 5 * page + 64] = b"\xff" * 64  # an interior b-tree page header
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptStoreError, match=r"^path '.*s\.sqlite' is not a usable .*corrupt"):
        ResultsStore(path, {"a": 1})
    assert path.read_bytes() == bytes(data)


def test_a_read_only_store_opens_read_only_and_serves_its_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dynsys_gd.runtime.store as store_mod

    path = tmp_path / "s.sqlite"
    with ResultsStore(path, {"a": 1}) as st:
        st.put("k", {"x": 1})
        st.put("j", {"x": 2})
    before = path.read_bytes()
    # as root every file is writable: simulate a file without write permission
    monkeypatch.setattr(store_mod.os, "access", lambda p, mode: not mode & os.W_OK)
    with pytest.warns(store_mod.ReadOnlyStoreWarning, match="opened read-only") as rec:
        st = ResultsStore(path, {"a": 1})
    assert "corrupt" not in str(rec[0].message)
    with st:
        assert st.read_only
        assert "read-only" in repr(st)
        assert st.get("k") == {"x": 1}
        assert st.done_keys() == {"k", "j"}
        assert len(st.to_records()) == 2
        with pytest.raises(StoreWriteError, match=r"opened read-only.*2 stored results") as err:
            st.put("new", {"x": 3})
        assert "corrupt" not in str(err.value)
    assert path.read_bytes() == before


def test_unreadable_is_not_called_corrupt() -> None:
    from dynsys_gd.runtime.store import _is_corruption

    assert _is_corruption(sqlite3.DatabaseError("database disk image is malformed"))
    assert not _is_corruption(sqlite3.OperationalError("unable to open database file"))
    assert not _is_corruption(sqlite3.OperationalError("attempt to write a readonly database"))


def test_sweep_on_a_read_only_complete_store_serves_its_results(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    reference_json: dict[str, Any],
) -> None:
    """A finished store on a read-only file (simulated: root can write anything) answers the
    same sweep from its results, says it is read-only and never calls it corrupt."""
    import dynsys_gd.runtime.store as store_mod

    path = tmp_path / "s.sqlite"
    code, _out, _err = _sweep(path, capsys)
    assert code == 0
    before = path.read_bytes()
    monkeypatch.setattr(store_mod.os, "access", lambda p, mode: not mode & os.W_OK)
    code, out, err = _sweep(path, capsys)
    assert code == 0, err
    assert _json(out) == reference_json
    assert "read-only" in err and "corrupt" not in err
    assert path.read_bytes() == before
