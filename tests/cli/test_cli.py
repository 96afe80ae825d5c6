"""The ``dynsys-gd analyze / sweep / figures`` commands: bad input gives one clear line and a
non-zero exit status (no traceback); good input prints a report, JSON or figures."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from dynsys_gd.cli import build_parser, main


def _err_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert "Traceback" not in err
    assert len(lines) == 1, err
    return lines[0]


# ----------------------------------------------------------------------------------------------
# help and registration
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["analyze", "sweep", "figures"])
def test_help_lists_examples(command, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out
    assert f"dynsys-gd {command}" in out


def test_commands_are_registered() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"analyze", "sweep", "figures"} <= set(sub.choices)


# ----------------------------------------------------------------------------------------------
# bad input: one line, exit status 2, nothing computed
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["analyze", "--depth", "3", "--lr", "-0.1"], "lr must be a finite float > 0; got -0.1"),
        (["analyze", "--depth", "3", "--lr", "0"], "lr must be a finite float > 0; got 0.0"),
        (["analyze", "--depth", "3", "--lr", "nan"], "lr must be a finite float > 0; got nan"),
        (["analyze", "--depth", "3", "--lr", "inf"], "lr must be a finite float > 0; got inf"),
        (["analyze", "--depth", "0", "--lr", "0.1"], "depth must be an int >= 1; got 0"),
        (["analyze", "--depth", "3", "--target", "0", "--lr", "0.1"], "target must be non-zero"),
        (
            ["analyze", "--depth", "3", "--target", "nan", "--lr", "0.1"],
            "target must be a finite real number; got nan",
        ),
        (
            ["analyze", "--network", "resnet", "--lr", "0.1"],
            "network must be one of 'scalar', 'whitened', 'identity'; got 'resnet'",
        ),
        (
            ["analyze", "--network", "identity", "--lr", "0.1"],
            "widths must be given for the identity network",
        ),
        (
            ["analyze", "--widths", "2", "3", "2", "--depth", "3", "--lr", "0.1"],
            r"depth must equal len(widths) - 1 = 2; got 3",
        ),
        (["analyze", "--widths", "2", "1", "2", "--lr", "0.1"], "hidden widths must be >="),
        (
            ["analyze", "--depth", "3", "--lr", "0.1", "--samples", "-5"],
            "samples must be an int >= 0; got -5",
        ),
        (
            ["analyze", "--depth", "3", "--lr", "0.1", "--seed", "-1"],
            "seed must be an int >= 0; got -1",
        ),
        (
            [
                "sweep",
                "--depth",
                "3",
                "--lr-min",
                "0.3",
                "--lr-max",
                "0.2",
                "--out",
                "{tmp}/s.sqlite",
            ],
            "lr_min must be < lr_max; got lr_min=0.3, lr_max=0.2",
        ),
        (
            ["sweep", "--depth", "3", "--lrs", "0.1", "-0.2", "--out", "{tmp}/s.sqlite"],
            "lrs must be a finite float > 0; got -0.2",
        ),
        (
            ["sweep", "--depth", "3", "--lrs", "0.1", "--lr-min", "0.2", "--out", "{tmp}/s.sqlite"],
            "lrs must not be combined with --lr-min/--lr-max",
        ),
        (
            ["sweep", "--depth", "3", "--num", "0", "--out", "{tmp}/s.sqlite"],
            "num must be an int >= 1; got 0",
        ),
        (
            ["sweep", "--depth", "3", "--out", "{tmp}/missing/dir/s.sqlite"],
            "--out must be in an existing directory",
        ),
        (
            ["sweep", "--depth", "3", "--out", "{tmp}"],
            "--out must be a file path; got the directory",
        ),
        (
            ["sweep", "--depth", "3", "--workers", "0", "--out", "{tmp}/s.sqlite"],
            "workers must be an int >= 1; got 0",
        ),
    ],
)
def test_bad_input_one_line(argv, match, tmp_path, capsys) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 2
    line = _err_line(capsys)
    assert line.startswith(f"dynsys-gd {argv[0]}: error: ")
    assert match in line
    assert not (tmp_path / "s.sqlite").exists()


@pytest.mark.parametrize("command", ["analyze", "figures"])
def test_unwritable_figure_directory(command, tmp_path, capsys) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    opt = "--figures"
    argv = [command, opt, str(blocker / "figs")]
    if command == "analyze":
        argv += ["--depth", "2", "--lr", "0.5"]
    assert main(argv) == 2
    line = _err_line(capsys)
    assert f"{opt} must be a writable directory" in line
    assert blocker.read_text() == "not a directory"
    # an existing file given as the directory
    argv[argv.index(opt) + 1] = str(blocker)
    assert main(argv) == 2
    assert f"{opt} must be a directory; got the file" in _err_line(capsys)


def test_argparse_errors_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["analyze", "--depth", "3", "--lr", "abc"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "invalid float value: 'abc'" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as info:
        main(["analyze", "--depth", "3"])
    assert info.value.code == 2
    assert "--lr" in capsys.readouterr().err


def test_bad_input_in_a_subprocess_prints_no_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dynsys_gd", "analyze", "--depth", "3", "--lr", "-1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip() == (
        "dynsys-gd analyze: error: lr must be a finite float > 0; got -1.0"
    )


# ----------------------------------------------------------------------------------------------
# good input (needs the analysis layer)
# ----------------------------------------------------------------------------------------------
def test_analyze_prints_report_and_json(capsys) -> None:
    pytest.importorskip("dynsys_gd.analysis.stability")
    assert main(["analyze", "--depth", "2", "--lr", "0.9", "--samples", "40", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.strip()
    assert "done in" in out
    assert main(["analyze", "--depth", "2", "--lr", "0.9", "--samples", "40", "--json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert isinstance(data, dict) and data
    text = json.dumps(data)
    assert "NaN" not in text and "Infinity" not in text
    assert captured.err == ""  # --json: no progress bar


@pytest.mark.slow
def test_analyze_writes_figures(tmp_path, capsys) -> None:
    pytest.importorskip("dynsys_gd.analysis.stability")
    pytest.importorskip("dynsys_gd.analysis.basins")
    pytest.importorskip("dynsys_gd.analysis.sweep")
    out = tmp_path / "figs"
    assert (
        main(
            [
                "analyze",
                "--depth",
                "3",
                "--target",
                "2",
                "--lr",
                "0.25",
                "--samples",
                "60",
                "--figures",
                str(out),
                "--fast",
                "--quiet",
            ]
        )
        == 0
    )
    stdout = capsys.readouterr().out
    for stem in ("sharpness_along_M", "dg_spectrum", "basin_slice", "fraction_vs_lr"):
        png = out / f"{stem}.png"
        assert png.read_bytes()[:4] == b"\x89PNG", stem
        assert (out / f"{stem}.pdf").stat().st_size > 1000
        assert stem in stdout


@pytest.mark.slow
def test_sweep_writes_store_and_resumes(tmp_path, capsys) -> None:
    pytest.importorskip("dynsys_gd.analysis.sweep")
    pytest.importorskip("dynsys_gd.runtime.store")
    store = tmp_path / "s.sqlite"
    argv = [
        "sweep",
        "--depth",
        "2",
        "--lrs",
        "0.7",
        "1.3",
        "--samples",
        "40",
        "--out",
        str(store),
        "--json",
        "--figures",
        str(tmp_path / "figs"),
    ]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert store.stat().st_size > 0
    assert (tmp_path / "figs" / "fraction_vs_lr.png").exists()
    assert main(argv) == 0  # resumed from the store: same numbers
    second = json.loads(capsys.readouterr().out)
    assert first == second
