"""Where compiled and generated kernels are kept, and how generated code is loaded safely.

The kernel directory holds two kinds of files that become code in the next process: the
straight-line lane blocks that :mod:`~dynsys_gd.numeric.engine.codegen` generates, and numba's
own cache (``numba-<digest>/``, pickled machine code).  Whoever can write there can run code as
the user, so this module trusts the directory only when it is safe:

* The directory is ``DYNSYS_GD_KERNEL_DIR`` (default ``$XDG_CACHE_HOME/dynsys_gd/kernels``, or
  ``~/.cache/dynsys_gd/kernels``).  It is created with mode 0700; an existing one must be a
  directory owned by the user and writable by neither group nor others.
* When it cannot be used (read-only, not a directory, foreign owner, group- or world-writable,
  no home), one :class:`KernelCacheWarning` says so and a private ``mkdtemp`` directory (mode
  0700, unpredictable name, removed at exit) is used for this process instead.  There is no
  shared, predictable fallback path.
* A generated module is never imported from its file.  :func:`load_generated` compiles the
  source the package produced, from memory; the file on disk exists only because numba's cache
  locates a function by its source file.  A file whose bytes differ from that source (edited,
  appended, planted) is replaced with one warning; its contents are never executed.  Files are
  written through a fresh ``O_CREAT | O_EXCL | O_NOFOLLOW`` temporary and an atomic rename.
* A truncated or corrupt numba cache entry is treated as a miss (one warning): the kernel is
  recompiled and the entry rewritten, never fatal.

numba's cache files are pickles, so the kernel directory must be as trusted as the package's
own source (see ``docs/trust.md``).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import secrets
import shutil
import stat
import sys
import tempfile
import types
import warnings
from collections.abc import Iterator
from typing import Any

__all__ = [
    "KernelCacheWarning",
    "check_private_dir",
    "install_corrupt_cache_guard",
    "kernel_dir",
    "load_generated",
    "numba_dir_checked",
    "write_private_file",
]


class KernelCacheWarning(UserWarning):
    """The kernel cache directory or one of its files could not be trusted or used."""


_RESOLVED: dict[str, str] = {}
_GENERATED: dict[str, Any] = {}
_WARNED: set[str] = set()


def _warn_once(key: str, message: str) -> None:
    if key not in _WARNED:
        _WARNED.add(key)
        warnings.warn(message, KernelCacheWarning, stacklevel=3)


def _default_base() -> str | None:
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return os.path.join(xdg, "dynsys_gd", "kernels")
    home = os.path.expanduser("~")
    if not home or home == "~":
        return None
    return os.path.join(home, ".cache", "dynsys_gd", "kernels")


def check_private_dir(path: str) -> str | None:
    """Why ``path`` is not a safe kernel directory, or ``None`` when it is.

    Safe means: an existing directory (symbolic links resolved), owned by the current user,
    writable by neither group nor others, and writable by the user (probed with an exclusive
    temporary file).
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        return f"cannot be inspected ({exc.strerror})"
    if not stat.S_ISDIR(st.st_mode):
        return "is not a directory"
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return f"is owned by uid {st.st_uid}, not by the current user"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"is writable by group or others (mode {stat.S_IMODE(st.st_mode):04o})"
    try:
        fd, probe = tempfile.mkstemp(dir=path, prefix=".probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"is not writable ({exc.strerror})"
    return None


def _private_tempdir() -> str:
    d = tempfile.mkdtemp(prefix="dynsys_gd_kernels_")  # mode 0700, unpredictable name
    atexit.register(shutil.rmtree, d, ignore_errors=True)
    return d


def kernel_dir() -> str:
    """The trusted, writable directory of compiled and generated kernels.

    Resolved once per process (per value of ``DYNSYS_GD_KERNEL_DIR``); see the module notes for
    the rules.  An unusable directory gives one :class:`KernelCacheWarning` and a private
    temporary directory for this process.
    """
    configured = os.environ.get("DYNSYS_GD_KERNEL_DIR") or ""
    if configured in _RESOLVED:
        return _RESOLVED[configured]
    base = configured or _default_base()
    reason: str | None
    if base is None:
        reason = "cannot be found (no home directory and no XDG_CACHE_HOME)"
    else:
        try:
            os.makedirs(base, mode=0o700, exist_ok=True)
        except OSError:
            pass  # reported by the check below
        reason = check_private_dir(base)
    if reason is None and base is not None:
        chosen = base
    else:
        chosen = _private_tempdir()
        _warn_once(
            f"dir:{base}",
            f"kernel cache directory {base!r} {reason}; compiled kernels are kept in the "
            f"private temporary directory {chosen!r} for this process only (set "
            "DYNSYS_GD_KERNEL_DIR to a private directory to keep them)",
        )
    _RESOLVED[configured] = chosen
    return chosen


def numba_dir_checked(path: str) -> str:
    """``NUMBA_CACHE_DIR`` when it is a private directory of the user's (created 0700 if
    missing), else a private temporary directory, with one :class:`KernelCacheWarning`."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError:
        pass  # reported by the check
    reason = check_private_dir(path)
    if reason is None:
        return path
    chosen = _RESOLVED.setdefault("<numba>", _private_tempdir())
    _warn_once(
        f"numba:{path}",
        f"NUMBA_CACHE_DIR {path!r} {reason}; numba's cache (pickled machine code) is kept in "
        f"the private temporary directory {chosen!r} for this process only",
    )
    return chosen


def write_private_file(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically through an exclusive, non-following temporary."""
    tmp = f"{path}.{secrets.token_hex(8)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read_own_file(path: str) -> bytes | None:
    """The bytes of ``path`` if it is a regular file of ours (links not followed), else None."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            return None
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            return None
        return fh.read()


def _source_file(directory: str, name: str, data: bytes) -> str:
    """A file in ``directory`` holding exactly ``data`` (rewritten if it holds anything else)."""
    path = os.path.join(directory, name)
    found = _read_own_file(path)
    if found == data:
        return path
    if found is not None or os.path.lexists(path):
        warnings.warn(
            f"generated kernel file {path!r} did not match the source it names; it was not "
            "executed and is replaced",
            KernelCacheWarning,
            stacklevel=3,
        )
        with contextlib.suppress(OSError):
            os.unlink(path)
    write_private_file(path, data)
    return path


def load_generated(src: str, prefix: str = "lane_block", attr: str = "block") -> Any:
    """Compile generated module source ``src`` from memory and return its ``attr``.

    The module is named by the SHA-256 of ``src``; its file in the kernel directory is checked
    byte for byte against ``src`` (and rewritten when it differs) only so that numba's cache can
    find it.  The code executed is always ``src`` itself, never the file's contents.
    """
    data = src.encode()
    key = hashlib.sha256(data).hexdigest()[:24]
    if key in _GENERATED:
        return _GENERATED[key]
    name = f"{prefix}_{key}.py"
    try:
        path = _source_file(kernel_dir(), name, data)
    except OSError as exc:
        # e.g. a full disk: keep the source in a private directory for this process
        fallback = _RESOLVED.setdefault("<write-failed>", _private_tempdir())
        _warn_once(
            "write-failed",
            f"cannot write generated kernels to the kernel directory ({exc}); using the "
            f"private temporary directory {fallback!r} for this process",
        )
        path = _source_file(fallback, name, data)
    modname = f"dynsys_gd_{prefix}_{key}"
    mod = types.ModuleType(modname)
    mod.__file__ = path
    sys.modules[modname] = mod  # numba's cache finds the module by name
    exec(compile(src, path, "exec"), mod.__dict__)  # our own generated source, from memory
    _GENERATED[key] = getattr(mod, attr)
    return _GENERATED[key]


# ------------------------------------------------------------------------------------------------
# a corrupt numba cache entry is a miss, never fatal
# ------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _cache_miss_on_error(where: str) -> Iterator[None]:
    try:
        yield
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except Exception as exc:  # any unreadable entry is a cache miss
        _warn_once(
            "corrupt",
            f"numba cache entry {where!r} is unreadable ({type(exc).__name__}: {exc}); "
            "the kernel is recompiled and the entry rewritten (further unreadable entries "
            "are treated the same way without another warning)",
        )
        raise _Miss from exc


class _Miss(Exception):
    pass


def install_corrupt_cache_guard() -> None:
    """Make numba treat an unreadable cache index or data file as a cache miss (idempotent)."""
    from numba.core import caching

    idx = caching.IndexDataCacheFile
    if getattr(idx, "_dynsys_gd_guarded", False):
        return
    load_index = idx._load_index
    load = idx.load

    def _load_index(self: Any) -> dict[Any, Any]:
        try:
            with _cache_miss_on_error(self._index_path):
                result: dict[Any, Any] = load_index(self)
                return result
        except _Miss:
            return {}

    def _load(self: Any, key: Any) -> Any:
        try:
            with _cache_miss_on_error(self._index_path):
                return load(self, key)
        except _Miss:
            return None

    cache_cls = caching.Cache
    load_overload = cache_cls.load_overload

    def _load_overload(self: Any, sig: Any, target_context: Any) -> Any:
        try:
            with _cache_miss_on_error(str(self._cache_path)):
                return load_overload(self, sig, target_context)
        except _Miss:
            return None

    setattr(idx, "_load_index", _load_index)  # noqa: B010 - patching numba's class
    setattr(idx, "load", _load)  # noqa: B010
    setattr(cache_cls, "load_overload", _load_overload)  # noqa: B010
    setattr(idx, "_dynsys_gd_guarded", True)  # noqa: B010
