"""README contract: it opens with the two commands, and .ci/run runs the second one."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _opening_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"```bash\n(.*?)```", text, flags=re.S)
    assert m is not None, "README.md must open with a ```bash block"
    assert text.index("```bash") < text.index("\n## "), "the commands come before any section"
    return [line for line in m.group(1).splitlines() if line.strip()]


def test_readme_opens_with_exactly_two_commands():
    cmds = _opening_commands()
    assert len(cmds) == 2
    assert "pip install" in cmds[0] and "dynsys-gd" in cmds[0]
    assert "pip install" in cmds[1] and "pytest" in cmds[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert _opening_commands()[1] in [line.strip() for line in ci]


def test_readme_python_example_output():
    """The README's API example runs and prints what the README says."""
    import doctest

    result = doctest.testfile(
        str(ROOT / "README.md"), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted >= 6
    assert result.failed == 0


def test_readme_main_job_output_is_what_the_command_prints(capsys, tmp_path):
    """The report shown in the README is the one `dynsys-gd analyze` prints today."""
    from dynsys_gd.cli import main

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"```text\n\$ dynsys-gd analyze (.*?)\n(.*?)```", text, flags=re.S)
    assert m is not None
    args = m.group(1).split()
    shown = [line for line in m.group(2).splitlines() if line.strip()]
    i = args.index("--figures")
    args[i + 1] = str(tmp_path / "figs")
    assert main(["analyze", *args]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert shown == printed[: len(shown)]
    assert len(list((tmp_path / "figs").glob("*.png"))) >= 4


def test_getting_started_examples_output():
    """The longer examples moved to docs/getting-started.md run and print what the page says."""
    import doctest

    result = doctest.testfile(
        str(ROOT / "docs" / "getting-started.md"),
        module_relative=False,
        optionflags=doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted >= 8
    assert result.failed == 0
