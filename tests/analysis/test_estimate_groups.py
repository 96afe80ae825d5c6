"""The estimate's default path runs whole groups of sampling blocks in one engine call each: the
same result, bit for bit, as one work unit per block (the path of ``chunk_size`` and executors)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.analysis.convergence_tasks import (
    SAMPLING_BLOCK,
    group_ranges,
    run_group_task,
    run_task,
)
from dynsys_gd.numeric.engine import EngineConfig


def _signs(rng: np.random.Generator, n: int, P: int) -> np.ndarray:
    out: np.ndarray = rng.choice([-1.0, 1.0], (n, P)) * rng.uniform(0.5, 1.5, (n, P))
    return out


def _xy() -> dg.LossModel:
    x, y = sp.symbols("x y")
    return dg.LossModel(sp.Rational(1, 2) * (x * y - 1) ** 2, (x, y), name="xy")


CASES: list[tuple[str, Any, float, dict[str, Any]]] = [
    ("scalar", dg.LinearNetwork.scalar(depth=3, target=2.0), 0.2, {"init_scale": 1.5}),
    (
        "whitened",
        dg.LinearNetwork.from_covariances(
            (2, 2, 2), Sxx=np.eye(2), Syx=np.array([[1.5, 0.3], [-0.2, 0.7]])
        ),
        0.5,
        {"init": "gaussian", "init_scale": 1.0},
    ),
    ("loss, sampler", _xy(), 0.9, {"init": _signs, "init_scale": 1.0}),
    ("heavy ball", dg.LinearNetwork.scalar(depth=2, target=1.0), 1.2, {"optimizer": "hb"}),
]


@pytest.mark.parametrize(("name", "model", "lr", "kw"), CASES, ids=[c[0] for c in CASES])
def test_groups_give_the_per_block_result(name: str, model: Any, lr: float, kw: Any) -> None:
    kw = dict(kw)
    if kw.pop("optimizer", None):
        kw["optimizer"] = dg.HeavyBall(0.5)
    n = 2 * SAMPLING_BLOCK + 300  # three blocks, the last one short
    grouped = dg.estimate_convergent_fraction(model, lr, n_samples=n, seed=4, **kw)
    per_block = dg.estimate_convergent_fraction(
        model, lr, n_samples=n, seed=4, chunk_size=SAMPLING_BLOCK, **kw
    )
    assert grouped.to_dict() == per_block.to_dict()
    assert grouped.n_converged > 0


def test_a_group_returns_the_units_of_its_blocks() -> None:
    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    n = 2 * SAMPLING_BLOCK + 10
    cfg = EngineConfig()
    args = (net, 0.2, "uniform", 1.5, 7)
    got = run_group_task(*args, 0, 3, n, cfg)
    assert [(d["block"], d["start"], d["stop"]) for d in got] == [
        (0, 0, SAMPLING_BLOCK),
        (1, 0, SAMPLING_BLOCK),
        (2, 0, 10),
    ]
    for d in got:
        ref = run_task(*args, d["block"], 0, d["stop"], n, cfg)
        assert ref.keys() == d.keys()
        for key, value in ref.items():
            assert np.array_equal(np.asarray(value), np.asarray(d[key])), (d["block"], key)
    assert "limit_levels" in got[0] and "limit_levels" not in got[1]  # only block 0 annotated


def test_groups_cover_every_block_once_and_bound_their_size() -> None:
    assert group_ranges(1, 3) == [(0, 1)]
    assert group_ranges(20 * SAMPLING_BLOCK, 3) == [(0, 16), (16, 20)]
    assert group_ranges(3 * SAMPLING_BLOCK, 512) == [(0, 1), (1, 2), (2, 3)]  # 16 MiB a call
    ranges = group_ranges(37 * SAMPLING_BLOCK + 5, 8)
    covered = [b for b0, b1 in ranges for b in range(b0, b1)]
    assert covered == list(range(38))
