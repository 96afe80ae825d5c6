"""The command line's face: defaults agree with the API, help examples bracket eta*, tables
have full column names, the analyze report states the initialisation and splits converged runs
into minima and saddles, progress is automatic and long jobs warn first."""

from __future__ import annotations

import inspect
import io
import shlex
import warnings

import pytest

import dynsys_gd as dg
from dynsys_gd.analysis.stability import stability_analysis
from dynsys_gd.cli import build_parser, main
from dynsys_gd.cli import sweep as sweep_cmd
from dynsys_gd.cli._options import DEFAULT_SAMPLES, build_network
from dynsys_gd.numeric.engine.outcomes import OUTCOME_NAMES
from dynsys_gd.runtime.progress import LongJobWarning, progress_enabled, warn_long_job


def test_cli_default_samples_is_the_api_default() -> None:
    api = inspect.signature(stability_analysis).parameters["n_samples"].default
    assert api == DEFAULT_SAMPLES
    args = build_parser().parse_args(["analyze", "--depth", "3", "--lr", "0.1"])
    assert args.samples == api


def _examples(epilog: str) -> list[list[str]]:
    out = []
    for line in epilog.replace("\\\n", " ").splitlines():
        line = line.strip()
        if line.startswith("dynsys-gd "):
            out.append(shlex.split(line.split("#")[0])[1:])
    return out


def test_every_sweep_help_example_brackets_eta_star() -> None:
    examples = _examples(sweep_cmd.EPILOG)
    assert len(examples) >= 3
    parser = build_parser()
    for argv in examples:
        args = parser.parse_args(argv)
        net = build_network(args)
        eta = dg.critical_lr(net)
        lrs = sweep_cmd.learning_rates(args, lambda eta=eta: eta)
        assert lrs.min() < eta < lrs.max(), (argv, lrs, eta)


def test_sweep_table_has_full_outcome_names(tmp_path, capsys) -> None:
    argv = [
        "sweep",
        "--depth",
        "2",
        "--lrs",
        "0.9",
        "1.1",
        "--samples",
        "20",
        "--out",
        str(tmp_path / "s.sqlite"),
        "--quiet",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    header = next(ln for ln in out.splitlines() if "converged" in ln and "lr" in ln)
    for k in OUTCOME_NAMES:
        assert k in header, header


def test_analyze_report_states_init_and_splits_converged(capsys) -> None:
    """Above eta* (here 3 eta*) the report says where converged runs ended (minima or
    saddles), states the initialisation box and lists every outcome."""
    assert main(["analyze", "--depth", "4", "--lr", "1.5", "--samples", "40", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "uniform box [-2, 2]^P" in out
    mc = next(ln for ln in out.splitlines() if ln.startswith("Monte-Carlo  "))
    assert "to minima" in mc and "to saddles" in mc
    runs = next(ln for ln in out.splitlines() if ln.startswith("Monte-Carlo runs"))
    counts = dict(
        (part.split()[0], int(part.split()[1]))
        for part in runs.split(" : ", 1)[1].split(" (of")[0].split(", ")
    )
    assert list(counts) == list(OUTCOME_NAMES) and sum(counts.values()) == 40


# ----------------------------------------------------------------------------------------------
# progress and long-job warnings
# ----------------------------------------------------------------------------------------------
class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_auto_is_off_under_pytest_and_on_in_a_terminal(monkeypatch) -> None:
    monkeypatch.delenv("DYNSYS_GD_PROGRESS", raising=False)
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "x")
    assert progress_enabled(None, stream=_Tty()) is False
    assert progress_enabled(True, stream=_Tty()) is True
    assert progress_enabled(True, stream=io.StringIO()) is False
    assert progress_enabled(None, force=True, stream=io.StringIO()) is True
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    monkeypatch.delenv("CI", raising=False)
    assert progress_enabled(None, stream=_Tty()) is True
    assert progress_enabled(None, stream=io.StringIO()) is False
    assert progress_enabled(False, stream=_Tty()) is False
    monkeypatch.setenv("DYNSYS_GD_PROGRESS", "0")
    assert progress_enabled(True, stream=_Tty()) is False


def test_long_job_warns_with_its_estimate() -> None:
    with pytest.warns(LongJobWarning, match=r"up to about 2\.0 h"):
        assert warn_long_job(7200.0, "a Monte-Carlo estimate")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not warn_long_job(5.0, "a small job")


def test_huge_estimate_warns_before_running() -> None:
    from dynsys_gd.numeric.engine.cost import estimate_gd_seconds

    net = dg.LinearNetwork.scalar(3, 2.0)
    small = estimate_gd_seconds(net, 500)
    big = estimate_gd_seconds(net, 10**8)
    assert small < 60 < big
    assert big == pytest.approx(small * 2e5)


def test_cli_prints_a_long_job_warning_as_one_line(monkeypatch, capsys) -> None:
    """A Monte-Carlo job estimated at minutes warns before it starts (stopped here right
    after)."""
    import dynsys_gd.analysis.convergence as conv

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(conv, "run_tasks", stop)
    argv = ["analyze", "--depth", "3", "--lr", "0.1", "--samples", "100000000", "--quiet"]
    assert main(argv) == 130
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("dynsys-gd analyze: warning: the Monte-Carlo estimate at lr=0.1")
    # the estimate is extrapolated from a few of the job's runs timed first
    assert "should take about" in err[0] and " on this machine" in err[0]
    assert "extrapolated from 64 of its runs" in err[0]


def test_analyze_bar_counts_monte_carlo_work_units(monkeypatch, capsys) -> None:
    """The Monte-Carlo bar advances over chunks of runs (not one stage for the whole job)."""
    monkeypatch.setenv("DYNSYS_GD_PROGRESS", "1")
    assert (
        main(["analyze", "--depth", "3", "--target", "2", "--lr", "0.25", "--samples", "256"]) == 0
    )
    err = capsys.readouterr().err
    assert "lr=0.25" in err and "0/4 " in err  # 256 runs in 4 work units of 64
