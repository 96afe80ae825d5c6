"""The errors of a results store, how an OS or SQLite error is told apart (disk full,
read-only, corrupt), and the path check that refuses what the store must never touch (links,
special files, directories)."""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

from .._validation import describe
from ..errors import DynsysGDError, InvalidParameterError

__all__ = ["CorruptStoreError", "ReadOnlyStoreWarning", "StoreError", "StoreWriteError"]


class StoreError(DynsysGDError):
    """A results store cannot be read or written (the message names the file and the cause).

    ``exit_status`` is the status the command line exits with (1: the run failed, rerun the
    same command to resume)."""

    exit_status = 1


class CorruptStoreError(StoreError, InvalidParameterError):
    """Stored data fails its integrity check (digest, JSON, shape or SQLite page check); the
    file is left untouched."""

    exit_status = 2


class ReadOnlyStoreWarning(UserWarning):
    """A results store was opened read-only: its results are served, new ones cannot be
    stored."""


class StoreWriteError(StoreError):
    """A result could not be committed (disk full, I/O error, read-only file); results committed
    before are kept."""


def _reason(exc: BaseException) -> str:
    """The cause of an OS or SQLite error in words, without file names (which may be
    temporary files the user never gave)."""
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return str(exc) or type(exc).__name__


def _is_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return exc.errno == errno.ENOSPC
    return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "disk is full" in str(
        exc
    )


def _is_corruption(exc: BaseException) -> bool:
    """True for SQLite's own corruption codes (a damaged file), not for access problems."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
    text = str(exc)
    return "malformed" in text or "not a database" in text


def _is_readonly(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM)
    return getattr(exc, "sqlite_errorcode", None) in (
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_PERM,
    ) or "readonly" in str(exc)


_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


def _check_path(name: str, path: Any) -> Path:
    """A path for a file this code may create or must find as a regular file.

    Refuses (never touching the path) symbolic links, FIFOs, devices, sockets and directories:
    the store and the exports only ever remove or replace files they created."""
    if not isinstance(path, str | os.PathLike) or (isinstance(path, str) and not path):
        raise InvalidParameterError(
            f"{name} must be a non-empty str or os.PathLike file path; got {describe(path)}"
        )
    p = Path(path)
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InvalidParameterError(
            f"{name} must be an accessible file path; got {str(p)!r} ({exc.strerror or exc})"
        ) from None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            try:
                target = os.readlink(p)
            except OSError:  # pragma: no cover - raced away
                target = "?"
            raise InvalidParameterError(
                f"{name} must be a regular file, not a symbolic link; got {str(p)!r} -> "
                f"{target!r} (give the target path itself)"
            )
        if stat.S_ISDIR(st.st_mode):
            raise InvalidParameterError(f"{name} must be a file path; got the directory {str(p)!r}")
        if not stat.S_ISREG(st.st_mode):
            kind = next((k for test, k in _KINDS if test(st.st_mode)), "not a regular file")
            raise InvalidParameterError(
                f"{name} must be a regular file; got {str(p)!r}, which is {kind} (it was not "
                "touched)"
            )
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise InvalidParameterError(
            f"{name} must be in an existing directory; {str(parent)!r} does not exist"
        )
    return p
