"""Every proof script in proofs/ runs on its own (quick mode), exits 0 and names a method for
each check; ``dynsys-gd prove`` prints the claim | check | method | result table."""

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
SCRIPTS = sorted((ROOT / "proofs").glob("c[1-9]_*.py"))


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
    statuses = re.findall(r"^  \[(PASS|FAIL|SKIP)\] ", out, flags=re.M)
    methods = re.findall(r"^         method: (.+)$", out, flags=re.M)
    assert statuses and len(methods) == len(statuses)
    assert all(m in METHODS for m in methods)
    assert "FAIL" not in statuses
    assert f"=> {claim} PASS" in out


def test_prove_cli_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "--quick", "--claims", "C1", "c2"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split("|")[0].strip() == "claim"
    assert "| exact rational" in out and "| PASS" in out
    assert re.search(r"^\d+ passed, 0 failed, 0 skipped", out, flags=re.M)
    assert main(["prove", "--quick", "--claims", "C5", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] is True
    assert [r["claim"] for r in data["results"]] == ["C5"]
    assert all(c["method"] in METHODS for c in data["results"][0]["checks"])


def test_prove_cli_rejects_unknown_claim(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "--claims", "C10"]) == 2
    assert "claims must be ids among C1" in capsys.readouterr().err
