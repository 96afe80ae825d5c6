"""Tests of lr_sweep (C6, C7): transition located around eta*, resumable store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
import dynsys_gd.analysis.sweep as sweep_mod
from dynsys_gd.analysis.convergence import estimate_convergent_fraction
from dynsys_gd.analysis.sweep import SweepResult, lr_sweep
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.engine import EngineConfig

LRS = [0.8, 0.95, 1.05, 1.2]  # scalar N = 2, y = 1: eta* = 1
FAST = EngineConfig(max_steps=1500)


def test_transition_brackets_eta_star_and_g_inf_jumps() -> None:
    """C6/C7: fraction > 0 below eta* = 1, 0 above; g_inf 0 below and > 0 above."""
    net = dg.LinearNetwork.scalar(depth=2, target=1.0)
    r = lr_sweep(net, LRS[::-1], n_samples=300, seed=0, config=FAST)
    assert isinstance(r, SweepResult)
    np.testing.assert_array_equal(r.lrs, LRS)
    assert r.critical_lr == pytest.approx(1.0)
    assert r.transition == (0.95, 1.05) and r.critical_lr_in_transition is True
    assert (r.ci_low[:2] > 0).all() and (r.fraction[2:] == 0).all()
    assert (r.ci_high[2:] < 3.7 / 300).all()
    assert (r.g_inf[:2] == 0).all() and (r.g_inf_low[2:] > 0).all()
    assert (sum(r.counts.values()) == 300).all()
    assert "inside the transition interval" in r.summary()
    d = json.loads(r.to_json())
    assert d["transition"] == [0.95, 1.05]


def test_point_reproducible_from_its_seed() -> None:
    net = dg.LinearNetwork.scalar(depth=2, target=1.0)
    r = lr_sweep(net, [0.9, 1.1], n_samples=100, seed=5, config=FAST)
    e = estimate_convergent_fraction(net, 0.9, n_samples=100, seed=r.lr_seeds[0], config=FAST)
    assert e.to_dict() == r.estimates[0].to_dict()
    r2 = lr_sweep(net, [0.9, 1.0, 1.1], n_samples=100, seed=5, config=FAST)
    assert r2.estimates[0].to_dict() == r.estimates[0].to_dict()  # per-lr seeds


def test_store_resumes_interrupted_sweep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    net = dg.LinearNetwork.scalar(depth=2, target=1.0)
    kw: dict[str, Any] = {"n_samples": 200, "seed": 1, "chunk_size": 50, "config": FAST}
    ref = lr_sweep(net, LRS, **kw)
    path = tmp_path / "sweep.sqlite"
    real = sweep_mod.run_sweep_task
    calls = {"n": 0}

    def flaky(*args: Any) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] > 3:
            raise KeyboardInterrupt
        return real(*args)

    # 200 samples in chunks of 50 at 4 step sizes: 16 work units, one per (lr, chunk), so the
    # bar ticks once per learning rate and chunk; the store keeps one entry per unit
    monkeypatch.setattr(sweep_mod, "run_sweep_task", flaky)
    with pytest.raises(KeyboardInterrupt):
        lr_sweep(net, LRS, store=path, **kw)
    assert _n_tasks(path) == 3
    counted = {"n": 0}

    def counting(*args: Any) -> dict[str, Any]:
        counted["n"] += 1
        return real(*args)

    monkeypatch.setattr(sweep_mod, "run_sweep_task", counting)
    got = lr_sweep(net, LRS, store=path, **kw)
    assert counted["n"] == 16 - 3
    assert got.to_dict() == ref.to_dict()


def test_serial_sweep_ticks_once_per_lr_and_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 5-learning-rate sweep in one chunk gives 5 ticks of its bar (not one)."""
    from dynsys_gd.runtime.progress import ProgressBar

    ticks: list[tuple[str, int | None]] = []
    real_update = ProgressBar.update

    def spy(self: ProgressBar, n: int = 1) -> None:
        ticks.append((self.desc, self.total))
        real_update(self, n)

    monkeypatch.setattr(ProgressBar, "update", spy)
    net = dg.LinearNetwork.scalar(depth=2, target=1.0)
    lr_sweep(net, [0.6, 0.8, 0.9, 1.1, 1.2], n_samples=40, seed=0, config=FAST)
    assert ticks == [("lr sweep", 5)] * 5


def test_per_row_sweep_equals_separate_calls_chunkings_and_executors() -> None:
    """The sweep runs all step sizes in one engine call per chunk (one lr per row); every point
    equals estimate_convergent_fraction at that lr with its seed, for every chunk size and on a
    process pool (bit-identical: the dicts hold every count, CI, g_inf and sharpness)."""
    from concurrent.futures import ProcessPoolExecutor

    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    eta = 2 / (3 * 2 ** (4 / 3))
    lrs = [0.7 * eta, 0.95 * eta, 1.05 * eta]
    kw: dict[str, Any] = {"n_samples": 240, "seed": 9, "config": FAST}
    ref = lr_sweep(net, lrs, **kw)
    for i, lr in enumerate(lrs):
        e = estimate_convergent_fraction(net, lr, n_samples=240, seed=ref.lr_seeds[i], config=FAST)
        assert e.to_dict() == ref.estimates[i].to_dict()
    assert lr_sweep(net, lrs, chunk_size=70, **kw).to_dict() == ref.to_dict()
    with ProcessPoolExecutor(2) as ex:
        got = lr_sweep(net, lrs, executor=ex, chunk_size=100, **kw)
    assert got.to_dict() == ref.to_dict()


def test_undecided_runs_make_a_range_in_the_sweep() -> None:
    """A budget far too small leaves runs undecided: the sweep shows them, the fraction is a
    range, and an lr with undecided runs never closes the transition as 'fraction 0'."""
    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    eta = 2 / (3 * 2 ** (4 / 3))
    tiny = EngineConfig(max_steps=50, adaptive=False, certificate=False)
    r = lr_sweep(net, [0.5 * eta, 0.99 * eta], n_samples=200, seed=1, config=tiny)
    assert r.n_undecided[1] > 0
    assert r.fraction_high[1] == pytest.approx((r.counts["converged"][1] + r.n_undecided[1]) / 200)
    assert r.fraction_high[1] > r.fraction[1]
    text = r.summary()
    assert "undecided runs at" in text and "the fraction is a range" in text
    assert f"{r.fraction[1]:.4f}-{r.fraction_high[1]:.4f}" in text
    assert "min" in text.splitlines()[2] and "saddle" in text.splitlines()[2]
    assert r.transition is None or r.fraction_high[r.lrs.tolist().index(r.transition[1])] == 0


def _n_tasks(path: Path) -> int:
    import sqlite3

    con = sqlite3.connect(path)
    try:
        return int(con.execute("SELECT count(*) FROM tasks").fetchone()[0])
    finally:
        con.close()


def test_loss_model_with_given_eta_star() -> None:
    x, y = sp.symbols("x y")
    m = dg.LossModel(sp.Rational(1, 2) * (x * y - 1) ** 2, (x, y))
    r = lr_sweep(m, [0.9, 1.1], n_samples=150, seed=0, critical_lr=1.0)
    assert r.transition == (0.9, 1.1) and r.critical_lr_in_transition
    r = lr_sweep(m, [0.9, 1.1], n_samples=50, seed=0)
    assert r.critical_lr is None and r.critical_lr_in_transition is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lrs": []}, r"lrs must be a non-empty 1-D sequence"),
        ({"lrs": "0.5"}, r"lrs must be a non-empty 1-D sequence"),
        ({"lrs": [0.5, -1.0]}, r"lrs\[1\] must be a finite float > 0; got -1.0"),
        ({"lrs": [0.5, 0.5]}, r"lrs must be distinct"),
        ({"n_samples": -1}, r"n_samples must be an int >= 1"),
        ({"critical_lr": 0.0}, r"critical_lr must be a finite float > 0"),
        ({"store": 3}, r"path must be a non-empty str or os.PathLike"),
    ],
)
def test_sweep_bad_input(kwargs: dict, match: str) -> None:
    args: dict[str, Any] = {"lrs": [0.5], "n_samples": 5, "seed": 0}
    args.update(kwargs)
    with pytest.raises(InvalidParameterError, match=match):
        lr_sweep(dg.LinearNetwork.scalar(depth=2, target=1.0), args.pop("lrs"), **args)
