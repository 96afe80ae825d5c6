"""``dynsys-gd`` imports only the module of the command it runs; the help still lists every
command, and each command's ``--help`` is the one of the fully built parser."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys

import pytest

import dynsys_gd.cli as cli
from dynsys_gd.cli import build_parser, chosen_command, main
from dynsys_gd.cli._registry import COMMANDS
from dynsys_gd.errors import InvalidParameterError


def _subparsers(parser):
    return next(a for a in parser._actions if a.dest == "command")


def test_registry_names_every_command_module() -> None:
    modules = {m.name for m in pkgutil.iter_modules(cli.__path__) if not m.name.startswith("_")}
    assert set(COMMANDS) == modules
    for name, help_line in COMMANDS.items():
        mod = importlib.import_module(f"dynsys_gd.cli.{name}")
        assert (mod.NAME, mod.HELP) == (name, help_line)
        assert callable(mod.run) and callable(mod.add_arguments)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["analyze", "--depth", "3"], "analyze"),
        (["--version"], None),
        (["-h", "sweep"], "sweep"),
        ([], None),
        (["bogus", "--depth", "3"], None),
        (["--", "analyze"], None),
        (["derive", "analyze"], "derive"),
    ],
)
def test_chosen_command(argv, expected) -> None:
    assert chosen_command(argv) == expected


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_lazy_parser_help_is_the_full_one(command) -> None:
    full, lazy = build_parser(), build_parser([command])
    assert lazy.format_help() == full.format_help()
    assert list(_subparsers(lazy).choices) == list(_subparsers(full).choices) == list(COMMANDS)
    sub_full, sub_lazy = _subparsers(full).choices[command], _subparsers(lazy).choices[command]
    assert sub_lazy.format_help() == sub_full.format_help()


def test_top_level_help_without_command_modules() -> None:
    """With no command named, no command module is needed for the help."""
    assert build_parser([]).format_help() == build_parser().format_help()


def test_unknown_command_refused_by_build_parser() -> None:
    with pytest.raises(InvalidParameterError, match="commands must be names among analyze, "):
        build_parser(["bogus"])


def test_unknown_command_lists_every_command(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["bogus"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'bogus'" in err
    assert all(f"'{name}'" in err for name in COMMANDS)


@pytest.mark.parametrize(
    "argv", [["analyze", "--depth", "3", "--target", "2", "--lr", "0.25"], []], ids=["run", "help"]
)
def test_a_command_line_imports_no_other_command_module(argv: list[str]) -> None:
    """In a fresh interpreter, the parser of an ``analyze`` command line imports no other
    command module and no sympy (which the derivation command needs at import); the parser of
    the top-level help (no command) imports no command module."""
    code = (
        "import json, sys\n"
        "from dynsys_gd.cli import build_parser, chosen_command\n"
        f"argv = {argv!r}\n"
        "command = chosen_command(argv)\n"
        "text = build_parser([] if command is None else [command]).format_help()\n"
        "print(json.dumps([command, sorted(m for m in sys.modules\n"
        "    if m.startswith('dynsys_gd.cli.') or m.split('.')[0] == 'sympy')]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    command, loaded = json.loads(out)
    assert command == (argv[0] if argv else None)
    assert not any(m.split(".")[0] == "sympy" for m in loaded), loaded
    commands = {f"dynsys_gd.cli.{name}" for name in COMMANDS}
    assert set(loaded) & commands == ({f"dynsys_gd.cli.{command}"} if command else set())
