"""ResultsStore: schema, configuration check, refusal of foreign/corrupt files, durability,
exports, and a sweep killed with SIGKILL that resumes to exactly the uninterrupted results."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from _budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st_

from dynsys_gd.errors import DynsysGDError, InvalidParameterError
from dynsys_gd.runtime.store import (
    FORMAT,
    MissingDependencyError,
    ResultsStore,
    canonical_json,
)

CONFIG = {"depth": 2, "target": 1.0, "lrs": [0.5, 0.9], "n_samples": 64, "seed": 7}


def _files(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def test_roundtrip_put_get_and_records(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with ResultsStore(path, CONFIG) as st:
        assert len(st) == 0 and st.done_keys() == set() and st.get("a") is None
        st.put(
            "a",
            {
                "lr": np.float64(0.5),
                "counts": {"converged": np.int64(3)},
                "g": np.array([1.0, np.nan]),
            },
        )
        st.put("b", {"lr": 0.9, "counts": {"converged": 1}, "g": [2.0, np.inf]})
        assert len(st) == 2 and "a" in st and "zz" not in st and 3 not in st
        assert st.done_keys() == {"a", "b"}
        assert st.get("a") == {"lr": 0.5, "counts": {"converged": 3}, "g": [1.0, "nan"]}
        assert [k for k, _ in st.items()] == ["a", "b"] == st.keys()
        recs = st.to_records()
        assert [r["key"] for r in recs] == ["a", "b"]
        assert recs[1]["g"] == [2.0, "inf"] and recs[1]["finished"].endswith("+00:00")
        assert st.config == json.loads(canonical_json(CONFIG))
        assert len(st.config_sha256) == 64 and st.kind == "lr_sweep"
        assert "2 results" in repr(st)
    assert st.closed
    with pytest.raises(DynsysGDError, match="closed"):
        st.get("a")
    with ResultsStore(str(path), dict(reversed(list(CONFIG.items())))) as st2:  # key order free
        assert st2.done_keys() == {"a", "b"}
        assert st2.get("b") == {"lr": 0.9, "counts": {"converged": 1}, "g": [2.0, "inf"]}


_JSON = st_.recursive(
    st_.none()
    | st_.booleans()
    | st_.integers(-(10**12), 10**12)
    | st_.floats(allow_nan=True, allow_infinity=True)
    | st_.text(max_size=8),
    lambda inner: (
        st_.lists(inner, max_size=4) | st_.dictionaries(st_.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(
    results=st_.dictionaries(
        st_.text(min_size=1, max_size=10),
        st_.dictionaries(st_.sampled_from(["a", "b", "lr", "g"]), _JSON, max_size=4),
        max_size=4,
    )
)
@settings(max_examples=examples(10))  # every put is an fsync'ed transaction
def test_store_persists_every_result_exactly(results: dict[str, dict]) -> None:
    """Whatever JSON-like results are put (incl. NaN/inf, unicode keys), a re-opened store
    returns them exactly as canonical JSON (non-finite floats as strings), in put order, and a
    second put of the same result is a no-op."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "p.sqlite"
        with ResultsStore(path, CONFIG) as st:
            for k, r in results.items():
                st.put(k, r)
                st.put(k, r)
        with ResultsStore(path, CONFIG) as st:
            assert len(st) == len(results) and st.keys() == list(results)
            for k, r in results.items():
                assert st.get(k) == json.loads(canonical_json(r))


def test_put_is_idempotent_and_refuses_a_changed_result(tmp_path: Path) -> None:
    with ResultsStore(tmp_path / "s.sqlite", CONFIG) as st:
        st.put("k", {"x": 1.5})
        st.put("k", {"x": 1.5})
        assert len(st) == 1
        with pytest.raises(
            InvalidParameterError,
            match=r"key 'k' is already stored with a "
            r"different result",
        ):
            st.put("k", {"x": 2.5})
        assert st.get("k") == {"x": 1.5}
        st.put("k2", {"y": 1})  # the connection is still usable after the refused put
        assert len(st) == 2


@pytest.mark.parametrize(
    ("key", "result", "regex"),
    [
        ("", {"x": 1}, r"key must be a non-empty str; got ''"),
        (3, {"x": 1}, r"key must be a non-empty str; got 3"),
        ("k", [1, 2], r"result must be a dict; got \[1, 2\]"),
        ("k", {"key": 1}, r"result must not use the reserved keys"),
        ("k", {"finished": 1}, r"result must not use the reserved keys"),
    ],
)
def test_put_bad_input(tmp_path: Path, key: object, result: object, regex: str) -> None:
    with ResultsStore(tmp_path / "s.sqlite", CONFIG) as st:
        with pytest.raises(InvalidParameterError, match=regex):
            st.put(key, result)  # type: ignore[arg-type]
        assert len(st) == 0


def test_different_config_is_refused_naming_hashes_and_keys(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with ResultsStore(path, CONFIG) as st:
        st.put("a", {"x": 1})
        sha = st.config_sha256
    before = path.read_bytes()
    other = {**CONFIG, "n_samples": 128, "init": "gaussian"}
    with pytest.raises(InvalidParameterError) as err:
        ResultsStore(path, other)
    msg = str(err.value)
    assert "different configuration" in msg and sha[:16] in msg
    assert "n_samples (stored 64, given 128)" in msg and "init (not stored" in msg
    with pytest.raises(InvalidParameterError, match=r"holds kind 'lr_sweep' results, not 'grid'"):
        ResultsStore(path, CONFIG, kind="grid")
    assert path.read_bytes() == before
    with ResultsStore(path, CONFIG) as st:  # still opens with the right configuration
        assert st.get("a") == {"x": 1}


def test_corrupt_file_is_refused_and_not_modified(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite"
    data = np.random.default_rng(0).bytes(4096)
    path.write_bytes(data)
    with pytest.raises(InvalidParameterError, match=r"not an SQLite file.*not modified"):
        ResultsStore(path, CONFIG)
    assert path.read_bytes() == data
    # SQLite header followed by garbage
    bad = b"SQLite format 3\x00" + data
    path.write_bytes(bad)
    with pytest.raises(InvalidParameterError, match=r"not a usable dynsys_gd results store"):
        ResultsStore(path, CONFIG)
    assert path.read_bytes() == bad
    assert _files(tmp_path) == ["junk.sqlite"]


def test_foreign_sqlite_database_is_refused_and_not_modified(tmp_path: Path) -> None:
    path = tmp_path / "foreign.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE people (name TEXT, age INTEGER)")
    con.execute("INSERT INTO people VALUES ('ada', 36)")
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(
        InvalidParameterError,
        match=r"without the dynsys_gd format marker "
        r"\(tables: \['people'\]\)",
    ):
        ResultsStore(path, CONFIG)
    assert path.read_bytes() == before
    assert _files(tmp_path) == ["foreign.db"]
    # same table names, wrong marker
    path2 = tmp_path / "fake.db"
    con = sqlite3.connect(path2)
    con.execute("CREATE TABLE meta (name TEXT, value TEXT)")
    con.execute("CREATE TABLE tasks (key TEXT, result TEXT, finished REAL)")
    con.execute("INSERT INTO meta VALUES ('format', 'something.else')")
    con.commit()
    con.close()
    with pytest.raises(InvalidParameterError, match=r"format marker is 'something.else'"):
        ResultsStore(path2, CONFIG)


def test_newer_format_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    ResultsStore(path, CONFIG).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value='99' WHERE name='version'")
    con.commit()
    con.close()
    with pytest.raises(InvalidParameterError, match=r"newer format version 99"):
        ResultsStore(path, CONFIG)


def test_schema_marker_and_an_empty_file_is_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    ResultsStore(path, CONFIG, kind="grid").close()
    con = sqlite3.connect(path)
    meta = dict(con.execute("SELECT name, value FROM meta"))
    cols = [r[1] for r in con.execute("PRAGMA table_info(tasks)")]
    con.close()
    assert meta["format"] == FORMAT and meta["kind"] == "grid" and meta["version"] == "2"
    assert meta["config"] == canonical_json(CONFIG)
    assert cols == ["key", "result", "digest", "finished"]
    assert _files(tmp_path) == ["s.sqlite"]  # no temporary files left
    empty = tmp_path / "empty.sqlite"
    empty.touch()  # a file the store did not create: refused, never replaced
    ino = empty.stat().st_ino
    with pytest.raises(InvalidParameterError, match=r"empty file \(0 bytes\)"):
        ResultsStore(empty, CONFIG)
    assert empty.stat().st_ino == ino and empty.stat().st_size == 0
    assert _files(tmp_path) == ["empty.sqlite", "s.sqlite"]


@pytest.mark.parametrize(
    ("args", "kwargs", "regex"),
    [
        ((None, CONFIG), {}, r"path must be a non-empty str or os.PathLike file path; got None"),
        (("", CONFIG), {}, r"path must be a non-empty str"),
        (("{tmp}", CONFIG), {}, r"path must be a file path; got the directory"),
        (("{tmp}/no/such/dir/s.sqlite", CONFIG), {}, r"path must be in an existing directory"),
        (("{tmp}/s.sqlite", [1, 2]), {}, r"config must be a dict; got \[1, 2\]"),
        (("{tmp}/s.sqlite", {"f": object()}), {}, r"config must be JSON-serialisable"),
        (("{tmp}/s.sqlite", CONFIG), {"kind": ""}, r"kind must be a non-empty str"),
        (("{tmp}/s.sqlite", CONFIG), {"kind": 3}, r"kind must be a non-empty str; got 3"),
    ],
)
def test_open_bad_input_leaves_no_file(
    tmp_path: Path, args: tuple, kwargs: dict, regex: str
) -> None:
    args = tuple(a.format(tmp=tmp_path) if isinstance(a, str) else a for a in args)
    with pytest.raises(InvalidParameterError, match=regex):
        ResultsStore(*args, **kwargs)
    assert _files(tmp_path) == []


def test_results_are_visible_to_a_second_connection_at_once(tmp_path: Path) -> None:
    """put() commits before returning: another process/connection sees the task."""
    path = tmp_path / "s.sqlite"
    with ResultsStore(path, CONFIG) as st:
        st.put("a", {"x": 1})
        con = sqlite3.connect(path)
        assert con.execute("SELECT key FROM tasks").fetchall() == [("a",)]
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        con.close()


def test_exports_are_complete_and_atomic(tmp_path: Path) -> None:
    store_path = tmp_path / "s.sqlite"
    with ResultsStore(store_path, CONFIG) as st:
        st.put("lr=0.5", {"lr": 0.5, "fraction": 0.25, "counts": {"converged": 16}})
        st.put("lr=0.9", {"lr": 0.9, "fraction": 0.0, "counts": {"diverged": 64}, "note": None})
        out_csv = st.export_csv(tmp_path / "r.csv")
        out_json = st.export_json(tmp_path / "r.json")
        with pytest.raises(InvalidParameterError, match=r"path must be in an existing dir"):
            st.export_csv(tmp_path / "missing" / "r.csv")
        with pytest.raises(InvalidParameterError, match=r"must not be the store file itself"):
            st.export_json(store_path)
    lines = out_csv.read_text().splitlines()
    assert lines[0] == "key,lr,fraction,counts,finished,note"
    assert lines[1].startswith('lr=0.5,0.5,0.25,"{""converged"": 16}",')
    doc = json.loads(out_json.read_text())
    assert doc["format"] == FORMAT and doc["config"]["n_samples"] == 64
    assert [r["fraction"] for r in doc["results"]] == [0.25, 0.0]
    assert _files(tmp_path) == ["r.csv", "r.json", "s.sqlite"]


def test_to_dataframe(tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    with ResultsStore(tmp_path / "s.sqlite", CONFIG) as st:
        st.put("lr=0.5", {"lr": 0.5, "fraction": 0.25})
        st.put("lr=0.9", {"lr": 0.9, "fraction": 0.0})
        df = st.to_dataframe()
    assert list(df.columns) == ["key", "lr", "fraction", "finished"]
    assert list(df["lr"]) == [0.5, 0.9] and list(df["key"]) == ["lr=0.5", "lr=0.9"]


def test_export_failure_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ResultsStore(tmp_path / "s.sqlite", CONFIG) as st:
        st.put("a", {"x": 1})

        def boom(*a: object, **k: object) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(json, "dump", boom)
        with pytest.raises(OSError, match="disk full"):
            st.export_json(tmp_path / "r.json")
    assert _files(tmp_path) == ["s.sqlite"]


def test_to_dataframe_without_pandas_names_the_dependency(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with (
        ResultsStore(tmp_path / "s.sqlite", CONFIG) as st,
        pytest.raises(MissingDependencyError, match=r"needs pandas"),
    ):
        st.to_dataframe()


# ---------------------------------------------------------------- kill and resume
_DRIVER = textwrap.dedent("""
    import sys, time
    import numpy as np
    from dynsys_gd.runtime.store import ResultsStore
    from dynsys_gd.runtime.executors import map_tasks

    path, log, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
    lrs = [0.1 * (i + 1) for i in range(12)]
    config = {"task": "scalar-gd-fraction", "lrs": lrs, "n": 256, "seed": 11}
    children = np.random.SeedSequence(11).spawn(len(lrs))

    def run(i):
        # the fraction of x0 ~ U(-2, 2) for which GD on L(x) = x^2 (x - 1)^2 / 4 converges
        rng = np.random.default_rng(children[i])
        x = rng.uniform(-2.0, 2.0, size=256)
        with np.errstate(all="ignore"):
            for _ in range(200):
                x = x - lrs[i] * (x * (x - 1.0) * (2.0 * x - 1.0) / 2.0)
        ok = np.isfinite(x) & (np.abs(x * (x - 1.0)) < 1e-8)
        with open(log, "a") as f:
            f.write(f"{i}\\n")
        time.sleep(delay)
        return {"lr": lrs[i], "fraction": float(ok.mean()), "mean": float(np.nanmean(
            np.where(np.isfinite(x), x, np.nan))) if np.isfinite(x).any() else None}

    with ResultsStore(path, config) as store:
        todo = [i for i in range(len(lrs)) if f"lr{i}" not in store.done_keys()]
        map_tasks(run, todo, None, on_result=lambda i, r: store.put(f"lr{i}", r))
""")


def _run_driver(tmp_path: Path, store: Path, log: Path, delay: float) -> subprocess.Popen:
    script = tmp_path / "driver.py"
    script.write_text(_DRIVER)
    return subprocess.Popen(
        [sys.executable, str(script), str(store), str(log), str(delay)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _count_done(store: Path) -> int:
    if not store.exists() or store.stat().st_size == 0:
        return 0
    try:
        con = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
        try:
            return int(con.execute("SELECT COUNT(*) FROM tasks").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def test_sweep_killed_mid_way_resumes_without_recomputing(tmp_path: Path) -> None:
    """SIGKILL after >= 3 committed tasks; the rerun computes only the missing ones and ends
    with exactly the results of an uninterrupted run."""
    store, log = tmp_path / "killed.sqlite", tmp_path / "killed.log"
    proc = _run_driver(tmp_path, store, log, delay=0.15)
    deadline = time.monotonic() + 60
    while _count_done(store) < 3:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "driver too slow"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    done_before = _count_done(store)
    assert 3 <= done_before < 12
    first_run = log.read_text().split()

    proc = _run_driver(tmp_path, store, log, delay=0.0)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    second_run = log.read_text().split()[len(first_run) :]
    assert len(second_run) == 12 - done_before  # finished tasks were not recomputed
    assert set(second_run).isdisjoint(set(first_run[:done_before]))

    ref_store, ref_log = tmp_path / "ref.sqlite", tmp_path / "ref.log"
    proc = _run_driver(tmp_path, ref_store, ref_log, delay=0.0)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    with (
        ResultsStore(store, _config_of(ref_store)) as a,
        ResultsStore(ref_store, _config_of(ref_store)) as b,
    ):
        assert len(a) == len(b) == 12
        assert dict(a.items()) == dict(b.items())
        fr = [b.get(f"lr{i}")["fraction"] for i in range(12)]  # type: ignore[index]
        assert max(fr) > 0.5 and min(fr) == 0.0  # small lr converge, large lr do not


def _config_of(path: Path) -> dict:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return json.loads(con.execute("SELECT value FROM meta WHERE name='config'").fetchone()[0])
    finally:
        con.close()


_SWEEP_DRIVER = textwrap.dedent("""
    import json, sys, time
    import dynsys_gd as dg
    from dynsys_gd.analysis import sweep as sweep_mod

    path, log, delay, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    real = sweep_mod.run_sweep_task

    def logged(*task):  # one unit: a chunk at every lr still missing (per-row step sizes)
        res = real(*task)
        with open(log, "a") as f:
            for lr in task[1]:
                f.write(f"{lr!r}:{task[5]}:{task[6]}\\n")
        time.sleep(delay)
        return res

    sweep_mod.run_sweep_task = logged
    net = dg.LinearNetwork.scalar(2, 1.0)
    result = sweep_mod.lr_sweep(net, [0.6, 0.95, 1.02], n_samples=64, seed=21, chunk_size=8,
                                store=path)
    with open(out, "w") as f:
        json.dump(result.to_dict(), f)
""")


def test_lr_sweep_killed_mid_way_resumes_to_the_uninterrupted_result(tmp_path: Path) -> None:
    """lr_sweep(store=...) in a subprocess, SIGKILLed after >= 4 of its 24 tasks were
    committed; the re-run computes exactly the missing tasks and returns the same SweepResult
    (to_dict) as a run without a store."""
    pytest.importorskip("dynsys_gd.analysis.sweep")
    script = tmp_path / "sweep_driver.py"
    script.write_text(_SWEEP_DRIVER)
    store, log = tmp_path / "sweep.sqlite", tmp_path / "sweep.log"

    def start(path: str, logfile: Path, delay: float, out: Path) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, str(script), path, str(logfile), str(delay), str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    proc = start(str(store), log, 0.1, tmp_path / "a.json")
    deadline = time.monotonic() + 90
    while _count_done(store) < 4:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "sweep driver too slow"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL and not (tmp_path / "a.json").exists()
    committed = _count_done(store)
    assert 4 <= committed < 24
    n_first = len(log.read_text().split())

    proc = start(str(store), log, 0.0, tmp_path / "b.json")
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    rerun = log.read_text().split()[n_first:]
    assert len(rerun) == 24 - committed == len(set(rerun))  # finished tasks not recomputed
    assert _count_done(store) == 24

    import dynsys_gd as dg
    from dynsys_gd.analysis.sweep import lr_sweep

    ref = lr_sweep(
        dg.LinearNetwork.scalar(2, 1.0), [0.6, 0.95, 1.02], n_samples=64, seed=21, chunk_size=8
    )  # uninterrupted, no store
    reference = json.loads(json.dumps(ref.to_dict()))
    resumed = json.loads((tmp_path / "b.json").read_text())
    assert resumed == reference
    assert reference["fraction"][0] > 0.9 > reference["fraction"][-1]  # eta* = 1 in the grid


def test_sweep_store_refuses_a_network_trained_on_other_data(tmp_path: Path) -> None:
    """The store configuration identifies the model by its data, not only by repr()."""
    import dynsys_gd as dg
    from dynsys_gd.analysis.sweep import lr_sweep

    a = dg.LinearNetwork([2, 1], X=np.eye(2), Y=np.ones((2, 1)))
    b = dg.LinearNetwork([2, 1], X=np.eye(2), Y=np.array([[3.0], [-1.0]]))
    path = tmp_path / "s.sqlite"
    lr_sweep(a, [0.5], n_samples=8, seed=0, store=path, critical_lr=1.0)
    with pytest.raises(InvalidParameterError, match=r"different configuration"):
        lr_sweep(b, [0.5], n_samples=8, seed=0, store=path, critical_lr=1.0)
