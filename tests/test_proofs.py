"""Every proof script in proofs/ runs on its own (quick mode), exits 0 and names a method and a
verdict for each check; ``dynsys-gd prove`` prints the claim | check | method | verdict table,
the reasons of every check that is not certified and one row per claim."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dynsys_gd.claims import CLAIMS, METHODS
from dynsys_gd.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "proofs").glob("c[1-9]*_*.py"))


def test_one_script_per_claim() -> None:
    ids = sorted(p.name.split("_")[0].upper() for p in SCRIPTS)
    assert ids == sorted(CLAIMS)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_proof_script_passes_and_names_methods(script: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(script), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    claim = script.name.split("_")[0].upper()
    assert out.startswith(f"{claim} ")
    assert CLAIMS[claim].statement in out
    statuses = re.findall(r"^  \[(passed|failed|not certified)\] ", out, flags=re.M)
    methods = re.findall(r"^         method: (.+)$", out, flags=re.M)
    assert statuses and len(methods) == len(statuses)
    assert all(m in METHODS for m in methods)
    assert "failed" not in statuses
    assert re.search(rf"^  => {claim} (passed|not certified) \(", out, flags=re.M)
    # every check that is not certified says why
    assert out.count("why not certified: ") == statuses.count("not certified")


def test_prove_cli_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "--quick", "--claims", "C1", "c2"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split("|")[0].strip() == "claim"
    assert "| exact rational" in out and "| passed" in out
    assert re.search(r"^\d+ passed \(", out, flags=re.M)
    # the claims table: one row per claim with its statement, verdict and methods
    rows = [ln for ln in out.splitlines() if ln.startswith(("| C1 |", "| C2 |"))]
    assert any(CLAIMS["C1"].statement in ln and "passed (" in ln for ln in rows)
    assert main(["prove", "--quick", "--claims", "C6"]) == 0  # depth 3 is certified too
    out = capsys.readouterr().out
    assert "| not certified" not in out and "| C6 |" in out and "passed (" in out
    assert main(["prove", "--quick", "--claims", "C5", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] is True
    assert [r["claim"] for r in data["results"]] == ["C5"]
    assert all(c["method"] in METHODS for c in data["results"][0]["checks"])


def test_prove_cli_rejects_unknown_claim(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "--claims", "C99"]) == 2
    assert "claims must be ids among C1" in capsys.readouterr().err
