"""The kernel cache is trusted only when private, and never runs code it did not generate
(docs/trust.md)."""

from __future__ import annotations

import os
import stat
import sys
import warnings

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.numeric.engine import EngineConfig, run_gd
from dynsys_gd.numeric.engine import kernel_cache as kc


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """A kernel cache module state of its own, the directory under ``tmp_path``."""
    monkeypatch.setattr(kc, "_RESOLVED", {})
    monkeypatch.setattr(kc, "_GENERATED", {})
    monkeypatch.setattr(kc, "_WARNED", set())
    d = tmp_path / "kernels"
    monkeypatch.setenv("DYNSYS_GD_KERNEL_DIR", str(d))
    return d


SRC = "VALUE = 1\n\n\ndef block():\n    return VALUE\n"


def test_directory_created_private(fresh) -> None:
    d = kc.kernel_dir()
    assert d == str(fresh)
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o700


@pytest.mark.parametrize("kind", ["world-writable", "group-writable", "file"])
def test_unsafe_directory_bypassed_with_one_warning(fresh, kind) -> None:
    if kind == "file":
        fresh.write_text("not a directory")
    else:
        fresh.mkdir()
        os.chmod(fresh, 0o777 if kind == "world-writable" else 0o770)
    with pytest.warns(kc.KernelCacheWarning, match="private temporary directory") as rec:
        d = kc.kernel_dir()
        assert kc.kernel_dir() == d  # resolved once, warned once
    assert len(rec) == 1
    assert d != str(fresh)
    assert os.path.basename(d).startswith("dynsys_gd_kernels_")
    assert d != os.path.join(os.path.dirname(d), f"dynsys_gd_kernels_{os.getuid()}")
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o700


def test_foreign_owner_refused(fresh, monkeypatch) -> None:
    fresh.mkdir(mode=0o700)
    monkeypatch.setattr(os, "getuid", lambda: os.stat(fresh).st_uid + 1)
    assert "owned by uid" in (kc.check_private_dir(str(fresh)) or "")


def test_planted_file_never_executed(fresh, tmp_path) -> None:
    marker = tmp_path / "ran"
    name = "lane_block_" + __import__("hashlib").sha256(SRC.encode()).hexdigest()[:24] + ".py"
    fresh.mkdir(mode=0o700)
    planted = SRC.replace("VALUE = 1", "VALUE = 2") + (
        f"\nimport pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n"
    )
    (fresh / name).write_text(planted)
    with pytest.warns(kc.KernelCacheWarning, match="did not match"):
        block = kc.load_generated(SRC)
    assert block() == 1
    assert not marker.exists()
    assert (fresh / name).read_text() == SRC


def test_symlink_in_place_of_generated_file_not_followed(fresh, tmp_path) -> None:
    target = tmp_path / "elsewhere.py"
    target.write_text("VALUE = 3\n")
    name = "lane_block_" + __import__("hashlib").sha256(SRC.encode()).hexdigest()[:24] + ".py"
    fresh.mkdir(mode=0o700)
    os.symlink(target, fresh / name)
    with pytest.warns(kc.KernelCacheWarning):
        assert kc.load_generated(SRC)() == 1
    assert target.read_text() == "VALUE = 3\n"  # the link's target is left alone
    assert not os.path.islink(fresh / name)


def test_edited_compiled_block_never_changes_a_result(tmp_path) -> None:
    """Append code to, and edit the gradient of, the generated block on disk: the next load
    compiles the package's own source, the result is unchanged and the planted code never runs."""
    x, y = sp.symbols("x y")
    m = dg.LossModel(sp.log(sp.cosh(x * y - 1)), (x, y))
    th = np.random.default_rng(12).uniform(-1.5, 1.5, (12, 2))
    cfg = EngineConfig(max_steps=1024, adaptive=False)
    before = run_gd(m, th, 0.5, config=cfg, backend="compiled")
    from dynsys_gd.numeric.engine.lanes import lane_model

    # only this model's block: other tests of the same process may use other blocks meanwhile
    block = lane_model(m).block
    paths = [sys.modules[getattr(block, "py_func", block).__module__].__file__]
    assert paths[0] and os.path.basename(paths[0]).startswith("lane_block_")
    marker = tmp_path / "ran"
    saved = {p: open(p).read() for p in paths}
    for p in paths:
        src = saved[p].replace("- e * g0", "- 2.0 * e * g0")
        src += f"\nimport pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n"
        with open(p, "w") as fh:
            fh.write(src)
    kc._GENERATED.clear()
    m = dg.LossModel(sp.log(sp.cosh(x * y - 1)), (x, y))  # no lane model cached on it
    with pytest.warns(kc.KernelCacheWarning, match="did not match"):
        after = run_gd(m, th, 0.5, config=cfg, backend="compiled")
    assert not marker.exists()
    for p in paths:
        assert open(p).read() == saved[p]
    np.testing.assert_array_equal(before.steps, after.steps)
    np.testing.assert_array_equal(before.theta, after.theta)


def test_corrupt_numba_index_is_a_miss(fresh, tmp_path) -> None:
    from numba.core.caching import IndexDataCacheFile

    kc.install_corrupt_cache_guard()
    f = IndexDataCacheFile(str(tmp_path), "k", ("stamp", 1))
    f.save("key", b"data")
    assert f.load("key") == b"data"
    index = tmp_path / "k.nbi"
    index.write_bytes(index.read_bytes()[:-7])  # truncated
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        assert f.load("key") is None
    assert any(issubclass(w.category, kc.KernelCacheWarning) for w in rec)
    f.save("key", b"again")  # rebuilt, never fatal
    assert f.load("key") == b"again"
    data = next(tmp_path.glob("k.*.nbc"))
    data.write_bytes(b"\x80\x05garbage")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kc.KernelCacheWarning)
        assert f.load("key") is None


def test_shared_numba_cache_dir_bypassed(fresh, tmp_path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    with pytest.warns(kc.KernelCacheWarning, match="NUMBA_CACHE_DIR"):
        d = kc.numba_dir_checked(str(shared))
    assert d != str(shared)
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o700
    private = tmp_path / "private"
    assert kc.numba_dir_checked(str(private)) == str(private)
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o700
