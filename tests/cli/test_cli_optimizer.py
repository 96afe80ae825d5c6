"""The command line's --optimizer: the sweep iterates the chosen optimiser's map and compares
with that optimiser's critical learning rate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dynsys_gd.cli import main


def test_sweep_with_heavy_ball_uses_its_critical_lr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(
        ["sweep", "--depth", "2", "--optimizer", "heavy-ball", "--beta", "0.5", "--lrs", "1.4",
         "1.6", "--samples", "100", "--out", str(tmp_path / "hb.sqlite"), "--json"]
    )  # fmt: skip
    assert rc == 0
    d = json.loads(capsys.readouterr().out)
    assert d["critical_lr"] == pytest.approx(1.5, rel=1e-9)  # (2 + 2 beta) / S_min, S_min = 2
    assert d["fraction"][0] > 0 and d["fraction"][1] == 0.0


def test_layerwise_needs_its_step_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["sweep", "--depth", "2", "--optimizer", "layerwise-gd", "--out", "x.sqlite"])
    assert rc == 2
    assert "--layer-lrs must be given" in capsys.readouterr().err
