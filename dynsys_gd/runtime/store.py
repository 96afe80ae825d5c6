r"""Resumable SQLite results store for long computations (learning-rate sweeps, grids).

A :class:`ResultsStore` is one SQLite file (stdlib :mod:`sqlite3`, no server) holding

* a ``meta`` table: a format marker (``format = "dynsys_gd.results"``), a format version, the
  ``kind`` of computation and the canonical JSON of the configuration together with its SHA-256;
* a ``tasks`` table: ``key -> JSON result``, the SHA-256 of key and result, and the time the
  task finished.

Every finished task is committed in its own transaction at once (WAL journal,
``synchronous=FULL``), so a run killed at any moment (even by ``SIGKILL``) loses at most the
tasks that were still being computed; re-opening the store with the *same* configuration and
skipping :meth:`ResultsStore.done_keys` resumes the computation.  Because every task draws its
randomness from ``SeedSequence(seed).spawn(...)``
(docs/math/convergent-set.md#randomness-and-reproducibility), a resumed run ends with exactly the
results of an uninterrupted one, e.g. the converged fractions of claim C6 over a learning-rate
grid.

The store refuses, and never modifies, removes or replaces,

* a file written with a different configuration or kind (the message names both hashes and the
  differing keys),
* a foreign SQLite database (no format marker), a file that is not SQLite at all, an empty file,
* a symbolic link or a special file (FIFO, device, socket), whatever it points to,
* a file that fails SQLite's page check at open (:class:`CorruptStoreError`).

Every read goes through one path that checks each stored result against its SHA-256 digest,
parses it and (with ``validate=``) checks its shape, so a flipped bit or an edited row is
refused with :class:`CorruptStoreError` naming the task, never merged silently.  SQLite errors
become one-line errors naming the user's file: :class:`CorruptStoreError` on read,
:class:`StoreWriteError` on write (``No space left on device: FILE``); an interrupt during a
commit propagates unchanged and loses nothing that was committed.

Only the process that collects results writes to the store; workers return plain dicts.

Examples
--------
>>> with ResultsStore("sweep.sqlite", {"depth": 2, "n_samples": 100}) as store:  # doctest: +SKIP
...     for key in tasks:
...         if key not in store:
...             store.put(key, compute(key))
"""

from __future__ import annotations

import contextlib
import csv
import errno
import json
import math
import os
import sqlite3
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from .._results import jsonable
from .._validation import describe
from ..errors import DynsysGDError, InvalidParameterError, MissingDependencyError
from .store_errors import (
    CorruptStoreError,
    ReadOnlyStoreWarning,
    StoreError,
    StoreWriteError,
    _check_path,
    _is_corruption,
    _is_full,
    _is_readonly,
    _reason,
)
from .store_format import (
    _RESERVED,
    _SCHEMA,
    _SQLITE_MAGIC,
    FORMAT,
    FORMAT_VERSION,
    _check_nesting,
    _check_plain,
    _diff_keys,
    _digest,
    _sha256,
    canonical_json,
)

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "CorruptStoreError",
    "MissingDependencyError",
    "ResultsStore",
    "StoreError",
    "StoreWriteError",
    "canonical_json",
]


class ResultsStore:
    r"""Resumable SQLite store of per-task results under one fixed configuration.

    Parameters
    ----------
    path : str or os.PathLike
        The SQLite file: a new path (created atomically: built under a temporary name, then
        linked into place) or an existing store, which is verified.  Anything else (a symbolic
        link, a FIFO, a device, an empty or foreign file) is refused and left untouched.
    config : dict
        Everything that determines the results (network, learning rates, ``n_samples``, seed,
        init, iteration budget, ...).  Stored as canonical JSON with its SHA-256; re-opening with a
        different configuration raises :class:`~dynsys_gd.errors.InvalidParameterError`.
    kind : str, default "lr_sweep"
        Name of the computation; must match too.
    validate : callable, optional
        ``validate(key, result)`` checks the shape of a stored result when it is read and raises
        ``ValueError``, ``TypeError`` or ``KeyError`` if it is wrong.

    Raises
    ------
    InvalidParameterError
        Bad arguments; a store from a different configuration/kind; a foreign SQLite database,
        a file that is not SQLite, a special file or a symbolic link (left untouched).
    CorruptStoreError
        The file fails SQLite's page check at open, or a stored result fails its digest, JSON
        or shape check when read.
    StoreWriteError
        The store cannot be created or written (disk full, read-only, I/O error).

    Notes
    -----
    Task results are JSON objects (``dict``); numpy values, enums and fractions are converted
    with :func:`~dynsys_gd._results.jsonable` (non-finite floats become ``"nan"``/``"inf"``
    strings).  Keys ``"key"`` and ``"finished"`` are reserved for :meth:`to_records`.
    Writes are durable when :meth:`put` returns (WAL journal, ``synchronous=FULL``); each row
    carries the SHA-256 of its key and result, verified on every read.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        config: Mapping[str, Any],
        *,
        kind: str = "lr_sweep",
        validate: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        p = _check_path("path", path)
        if not isinstance(config, Mapping):
            raise InvalidParameterError(f"config must be a dict; got {describe(config)}")
        if not isinstance(kind, str) or not kind:
            raise InvalidParameterError(f"kind must be a non-empty str; got {describe(kind)}")
        if validate is not None and not callable(validate):
            raise InvalidParameterError(
                f"validate must be None or callable; got {describe(validate)}"
            )
        try:
            text = canonical_json(dict(config))
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(
                f"config must be JSON-serialisable; got {describe(config)} ({exc})"
            ) from None
        self._path = p
        self._kind = kind
        self._validate = validate
        self._config_json = text
        self._config: dict[str, Any] = json.loads(text)
        self._sha = _sha256(text)
        self._conn: sqlite3.Connection | None = None
        self._read_only = False
        if not os.path.lexists(p):
            self._create()
        self._conn = self._open_verified()

    # ------------------------------------------------------------------ opening
    def _write_error(self, exc: BaseException, doing: str) -> StoreWriteError:
        """The one-line error for a failed write, naming the user's file."""
        name = str(self._path)
        if _is_full(exc):
            return StoreWriteError(
                f"No space left on device: {name} ({doing} failed; results committed before are "
                "kept: free some space and run the same command to resume)"
            )
        if _is_readonly(exc):
            return StoreWriteError(
                f"results store {name!r} is read-only ({doing} failed: "
                f"{_reason(exc)}); make it writable or use another file"
            )
        return StoreWriteError(
            f"cannot write the results store {name!r} ({doing} failed: "
            f"{_reason(exc)}); results committed before are kept"
        )

    def _create(self) -> None:
        """Build the schema in a temporary file in the same directory and link it into place,
        so a half-created store is never visible under ``path`` and nothing that exists there
        is ever replaced."""
        parent = self._path.parent if str(self._path.parent) else Path(".")
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self._path.name}.", suffix=".tmp", dir=parent)
        except OSError as exc:
            raise self._write_error(exc, "creating the store") from None
        os.close(fd)
        try:
            conn = sqlite3.connect(tmp, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=DELETE")
                conn.execute("BEGIN")
                for stmt in _SCHEMA.strip().split(";"):
                    if stmt.strip():
                        conn.execute(stmt)
                meta = {
                    "format": FORMAT,
                    "version": str(FORMAT_VERSION),
                    "kind": self._kind,
                    "config": self._config_json,
                    "config_sha256": self._sha,
                    "created": datetime.now(UTC).isoformat(timespec="seconds"),
                }
                conn.executemany("INSERT INTO meta(name, value) VALUES (?, ?)", meta.items())
                conn.execute("COMMIT")
            finally:
                conn.close()
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            try:
                os.link(tmp, self._path)  # fails if anything appeared at path meanwhile
            except FileExistsError:
                pass  # another process created it first: verify theirs
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                    raise
                # file systems without hard links: an exclusive create, then fill it
                self._copy_exclusive(tmp)
        except (OSError, sqlite3.Error) as exc:
            raise self._write_error(exc, "creating the store") from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def _copy_exclusive(self, tmp: str) -> None:
        try:
            fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            return
        try:
            with os.fdopen(fd, "wb") as out, open(tmp, "rb") as src:
                out.write(src.read())
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._path)
            raise

    def _refuse(self, why: str) -> InvalidParameterError:
        return InvalidParameterError(
            f"path {str(self._path)!r} is not a usable dynsys_gd results store: {why}; "
            "refusing to open it (the file was not modified)"
        )

    def _corrupt(self, why: str) -> CorruptStoreError:
        return CorruptStoreError(
            f"path {str(self._path)!r} is not a usable dynsys_gd results store: {why}; "
            "refusing to open it (the file was not modified)"
        )

    def _open_verified(self) -> sqlite3.Connection:
        p = self._path
        _check_path("path", p)  # it may have been replaced since the first check
        try:
            size = os.stat(p).st_size
            with open(p, "rb") as f:
                head = f.read(len(_SQLITE_MAGIC))
        except OSError as exc:
            raise self._refuse(f"it cannot be read ({_reason(exc)})") from None
        if size == 0:
            raise self._refuse(
                "it is an empty file (0 bytes), not a store; this code only "
                "replaces files it created: remove it or choose another path"
            )
        if head != _SQLITE_MAGIC:
            raise self._refuse("it is not an SQLite file (corrupt or a different kind of file)")
        writable = os.access(p, os.W_OK) and os.access(p.parent, os.W_OK)
        conn, check = self._connect(writable)
        try:
            if check != ["ok"]:
                raise self._corrupt(
                    f"it is corrupt (SQLite quick_check: {'; '.join(map(str, check))[:200]})"
                )
            try:
                names = {
                    r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
                }
            except sqlite3.DatabaseError as exc:
                raise self._unreadable(exc) from None
            if "meta" not in names or "tasks" not in names:
                raise self._refuse(
                    "it is an SQLite database without the dynsys_gd format "
                    f"marker (tables: {sorted(names)})"
                )
            try:
                meta = dict(conn.execute("SELECT name, value FROM meta").fetchall())
            except (sqlite3.DatabaseError, ValueError, TypeError) as exc:
                raise self._corrupt(f"its meta table is unreadable ({exc})") from None
            if meta.get("format") != FORMAT:
                raise self._refuse(f"format marker is {meta.get('format')!r}, expected {FORMAT!r}")
            try:
                version = int(meta.get("version", ""))
            except (ValueError, TypeError):
                raise self._refuse(
                    f"format version {meta.get('version')!r} is not an integer"
                ) from None
            if version > FORMAT_VERSION:
                raise self._refuse(
                    f"it was written by a newer format version {version} "
                    f"(this code reads <= {FORMAT_VERSION})"
                )
            if version < FORMAT_VERSION:
                raise self._refuse(
                    f"it was written by format version {version}, which has no "
                    "per-result digests to verify; rerun into a new file"
                )
            if meta.get("kind") != self._kind:
                raise InvalidParameterError(
                    f"store {str(p)!r} holds kind {meta.get('kind')!r} results, not "
                    f"{self._kind!r}; use another file"
                )
            stored_sha = meta.get("config_sha256", "")
            if stored_sha != self._sha:
                try:
                    old = json.loads(meta.get("config", "null"))
                except (ValueError, TypeError):
                    old = None
                diff = _diff_keys(old, self._config)
                raise InvalidParameterError(
                    f"store {str(p)!r} was written by a different configuration: stored "
                    f"config sha256 {str(stored_sha)[:16]}..., given {self._sha[:16]}...; "
                    f"differing keys: {'; '.join(diff) or 'unknown'}. Use another file or the "
                    "same configuration"
                )
            if not writable:
                self._read_only = True
                warnings.warn(
                    f"results store {str(p)!r} is read-only (no write permission or a read-only "
                    "file system); it is opened read-only: its results are served, new ones "
                    "cannot be stored",
                    ReadOnlyStoreWarning,
                    stacklevel=3,
                )
                return conn
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
            except sqlite3.Error as exc:
                raise self._write_error(exc, "opening the store for writing") from None
        except BaseException:
            conn.close()
            raise
        return conn

    def _connect(self, writable: bool) -> tuple[sqlite3.Connection, list[Any]]:
        """A connection and SQLite's quick check; read-only files are opened with
        ``mode=ro`` and, when SQLite cannot even create its shared-memory file there (a
        read-only file system), as ``immutable``."""
        base = self._path.resolve().as_uri()
        modes = ["?mode=rw"] if writable else ["?mode=ro", "?mode=ro&immutable=1"]
        last: sqlite3.Error | None = None
        for mode in modes:
            try:
                conn = sqlite3.connect(base + mode, uri=True, isolation_level=None, timeout=30.0)
            except sqlite3.Error as exc:
                last = exc
                continue
            try:
                return conn, [r[0] for r in conn.execute("PRAGMA quick_check(5)")]
            except sqlite3.DatabaseError as exc:
                conn.close()
                if _is_corruption(exc):
                    raise self._corrupt(f"it is corrupt ({exc})") from None
                last = exc
        raise self._refuse(f"SQLite cannot read it ({last}); it is not known to be corrupt")

    def _unreadable(self, exc: sqlite3.Error) -> StoreError:
        if _is_corruption(exc):
            return self._corrupt(f"it is corrupt ({exc})")
        return StoreError(
            f"store {str(self._path)!r} cannot be read ({exc}); it is not known to be corrupt "
            "and the file was not modified"
        )

    # ------------------------------------------------------------------ basics
    @property
    def read_only(self) -> bool:
        """True when the store was opened read-only (its results served, no new ones stored)."""
        return self._read_only

    @property
    def path(self) -> Path:
        """The SQLite file."""
        return self._path

    @property
    def kind(self) -> str:
        """Kind of computation stored (e.g. ``"lr_sweep"``)."""
        return self._kind

    @property
    def config(self) -> dict[str, Any]:
        """The configuration (as canonical JSON data)."""
        return json.loads(self._config_json)

    @property
    def config_sha256(self) -> str:
        """SHA-256 of the canonical JSON configuration."""
        return self._sha

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._conn is None

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise DynsysGDError(f"results store {str(self._path)!r} is closed")
        return self._conn

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._conn is not None:
            if not self._read_only:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        n = "closed" if self._conn is None else f"{len(self)} results"
        if self._read_only:
            n += ", read-only"
        return (
            f"ResultsStore({str(self._path)!r}, kind={self._kind!r}, config={self._sha[:12]}, {n})"
        )

    # ------------------------------------------------------------------ the one read path
    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run a read query; any SQLite error becomes a :class:`CorruptStoreError` naming the
        file."""
        db = self._db()
        try:
            return db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            if not _is_corruption(exc):
                raise self._unreadable(exc) from None
            raise CorruptStoreError(
                f"store {str(self._path)!r} cannot be read ({exc}); the file was not "
                "modified: move it away and rerun to recompute"
            ) from None

    def _decode(self, key: Any, text: Any, digest: Any) -> dict[str, Any]:
        """A stored row back as a dict, after its digest, JSON and shape checks."""
        where = f"store {str(self._path)!r}: the stored result of task {key!r}"
        advice = (
            "the file was changed after it was written; move it away and rerun to "
            "recompute (it was not modified)"
        )
        if not isinstance(key, str) or not isinstance(text, str) or not isinstance(digest, str):
            raise CorruptStoreError(f"{where} is damaged (a field has the wrong type); {advice}")
        if digest != _digest(key, text):  # integrity, not secrecy: plain comparison
            raise CorruptStoreError(f"{where} fails its SHA-256 digest check; {advice}")
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise CorruptStoreError(f"{where} is not valid JSON ({exc}); {advice}") from None
        if not isinstance(value, dict):
            raise CorruptStoreError(f"{where} is not a JSON object; {advice}")
        if self._validate is not None:
            try:
                self._validate(key, value)
            except (ValueError, TypeError, KeyError, IndexError) as exc:
                raise CorruptStoreError(f"{where} has the wrong shape ({exc}); {advice}") from None
        return value

    def _rows(
        self, where: str = "", params: tuple[Any, ...] = ()
    ) -> list[tuple[str, dict[str, Any], float]]:
        rows = self._query(
            f"SELECT key, result, digest, finished FROM tasks {where} ORDER BY rowid", params
        )
        out = []
        for k, r, d, t in rows:
            value = self._decode(k, r, d)
            if not isinstance(t, int | float) or not math.isfinite(float(t)):
                raise CorruptStoreError(
                    f"store {str(self._path)!r}: the stored finishing time of task {k!r} is "
                    "damaged; the file was not modified: move it away and rerun to recompute"
                )
            out.append((k, value, float(t)))
        return out

    # ------------------------------------------------------------------ tasks
    @staticmethod
    def _check_key(key: Any) -> str:
        if not isinstance(key, str) or not key:
            raise InvalidParameterError(f"key must be a non-empty str; got {describe(key)}")
        return key

    def done_keys(self) -> set[str]:
        """Keys of all finished (committed) tasks."""
        return {str(r[0]) for r in self._query("SELECT key FROM tasks")}

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        return bool(self._query("SELECT 1 FROM tasks WHERE key=?", (key,)))

    def __len__(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM tasks")[0][0])

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored result of ``key`` (a dict, verified), or None if that task has not
        finished."""
        rows = self._rows("WHERE key=?", (self._check_key(key),))
        return rows[0][1] if rows else None

    def put(self, key: str, result: Mapping[str, Any]) -> None:
        r"""Store the result of one task and commit at once (one transaction per task).

        Idempotent: putting the same key with the same result again does nothing; a
        *different* result for a stored key raises :class:`InvalidParameterError` (the
        computation is supposed to be deterministic).  A failed commit (disk full, I/O error)
        raises :class:`StoreWriteError` naming the file; an interrupt (``KeyboardInterrupt``)
        propagates unchanged.  Either way the results committed before are kept.
        """
        key = self._check_key(key)
        if not isinstance(result, Mapping):
            raise InvalidParameterError(f"result must be a dict; got {describe(result)}")
        bad = [k for k in result if k in _RESERVED]
        if bad:
            raise InvalidParameterError(
                f"result must not use the reserved keys {_RESERVED}; got {bad}"
            )
        try:
            _check_nesting(dict(result))
            _check_plain(dict(result))
            # keep the field order of the result (for exports); compare parsed values
            text = json.dumps(jsonable(dict(result)), separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(
                f"result must be JSON-serialisable; got {describe(result)} ({exc})"
            ) from None
        db = self._db()
        if self._read_only:
            raise StoreWriteError(
                f"results store {str(self._path)!r} was opened read-only; task {key!r} cannot "
                f"be stored (its {len(self)} stored results can be read): make it writable or "
                "copy it to resume there"
            )
        try:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT result, digest FROM tasks WHERE key=?", (key,)).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO tasks(key, result, digest, finished) VALUES (?, ?, ?, ?)",
                    (key, text, _digest(key, text), time.time()),
                )
            elif row[0] != text and self._decode(key, row[0], row[1]) != json.loads(text):
                raise InvalidParameterError(
                    f"key {key!r} is already stored with a different result in "
                    f"{str(self._path)!r}; a task's result must not change"
                )
            db.execute("COMMIT")
        except BaseException as exc:
            # roll back only a transaction that is still open (a failed COMMIT may have ended
            # it; an interrupt may arrive after COMMIT succeeded); the original error is what
            # the caller sees
            if db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise self._write_error(exc, f"committing task {key!r}") from None
            raise

    def items(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(key, result)`` pairs in the order the tasks finished (each verified)."""
        for k, r, _ in self._rows():
            yield k, r

    def keys(self) -> list[str]:
        """Keys in the order the tasks finished."""
        return [str(r[0]) for r in self._query("SELECT key FROM tasks ORDER BY rowid")]

    def to_records(self) -> list[dict[str, Any]]:
        """One flat dict per task: ``key``, the result's fields and ``finished`` (ISO 8601 UTC)."""
        out = []
        for k, r, t in self._rows():
            rec: dict[str, Any] = {"key": k}
            rec.update(r)
            rec["finished"] = datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds")
            out.append(rec)
        return out

    def to_dataframe(self) -> Any:
        """The records as a :class:`pandas.DataFrame` (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:
            raise MissingDependencyError(
                "ResultsStore.to_dataframe needs pandas; install it with `pip install pandas`"
            ) from None
        return pd.DataFrame.from_records(self.to_records())

    # ------------------------------------------------------------------ exports
    def _atomic_write(self, path: Any, name: str, write: Any) -> Path:
        p = _check_path(name, path)
        if p.exists() and p.resolve() == self._path.resolve():
            raise InvalidParameterError(f"{name} must not be the store file itself; got {str(p)!r}")
        parent = p.parent if str(p.parent) else Path(".")
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                write(f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, p)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return p

    def export_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_records` as CSV (nested values as JSON), atomically; returns the path."""
        records = self.to_records()
        columns: list[str] = []
        for rec in records:
            columns.extend(c for c in rec if c not in columns)

        def cell(v: Any) -> Any:
            if isinstance(v, dict | list):
                return json.dumps(v, sort_keys=True)
            if isinstance(v, float) and not math.isfinite(v):  # pragma: no cover - jsonable
                return str(v)
            return "" if v is None else v

        def write(f: Any) -> None:
            w = csv.writer(f)
            w.writerow(columns or ["key", "finished"])
            for rec in records:
                w.writerow([cell(rec.get(c)) for c in columns])

        return self._atomic_write(path, "path", write)

    def export_json(self, path: str | os.PathLike[str]) -> Path:
        """Write the configuration and all records as one JSON document, atomically."""
        doc = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "kind": self._kind,
            "config": self.config,
            "config_sha256": self._sha,
            "results": self.to_records(),
        }

        def write(f: Any) -> None:
            json.dump(doc, f, indent=2, allow_nan=False)
            f.write("\n")

        return self._atomic_write(path, "path", write)
