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
    full, lazy = build_parser(), build_parser(command)
    assert lazy.format_help() == full.format_help()
    assert list(_subparsers(lazy).choices) == list(_subparsers(full).choices) == list(COMMANDS)
    sub_full, sub_lazy = _subparsers(full).choices[command], _subparsers(lazy).choices[command]
    assert sub_lazy.format_help() == sub_full.format_help()


def test_unknown_command_refused_by_build_parser() -> None:
    with pytest.raises(InvalidParameterError, match="command must be one of analyze, "):
        build_parser("bogus")


def test_unknown_command_lists_every_command(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["bogus"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'bogus'" in err
    assert all(f"'{name}'" in err for name in COMMANDS)


def test_a_run_imports_no_other_command_module() -> None:
    """In a fresh interpreter, parsing an ``analyze`` command line imports neither the other
    command modules nor sympy (which only the derivation command needs at import)."""
    code = (
        "import json, sys\n"
        "from dynsys_gd.cli import build_parser, chosen_command\n"
        "argv = ['analyze', '--depth', '3', '--target', '2', '--lr', '0.25']\n"
        "args = build_parser(chosen_command(argv)).parse_args(argv)\n"
        "print(json.dumps([args.command, sorted(m for m in sys.modules\n"
        "    if m.startswith('dynsys_gd.cli.') or m.split('.')[0] == 'sympy')]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    command, loaded = json.loads(out)
    assert command == "analyze"
    assert "dynsys_gd.cli.analyze" in loaded
    assert not any(m.split(".")[0] == "sympy" for m in loaded), loaded
    others = {f"dynsys_gd.cli.{name}" for name in COMMANDS if name != "analyze"}
    assert not others & set(loaded)
