"""The ``dynsys-gd`` command.

Each subcommand lives in its own module of this package and defines ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``; it is registered by one line in
:mod:`dynsys_gd.cli._registry` (name and one-line help).  A run imports only the module of the
command it runs: the others are listed in the help by name and one-line help alone.

Errors of the toolkit (bad input) and of the file system print one line on stderr and exit with
status 2 (status 1 when a run fails midway: a full disk, a dead worker; 130 on Ctrl-C), never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from ..errors import DynsysGDError, InvalidParameterError
from ._registry import COMMANDS

__all__ = ["build_parser", "chosen_command", "main"]

EPILOG = """examples:
  dynsys-gd analyze --depth 3 --target 2 --lr 0.25 --figures figures
  dynsys-gd analyze --depth 3 --lr 0.7 --json
  dynsys-gd sweep --depth 3 --target 2 --out sweep.sqlite --figures figures
  dynsys-gd prove
"""


def _command_module(name: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{name}")


def chosen_command(argv: Sequence[str]) -> str | None:
    """The command named in ``argv`` (its first word that is not an option), if it is one.

    The top-level options (``-h``, ``--version``) take no value, so the first word that does
    not start with ``-`` names the command."""
    for word in argv:
        if word == "--":
            return None
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


class _Parser(argparse.ArgumentParser):
    """Argument parser whose errors are one line plus the usage, exit status 2."""


def build_parser(commands: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser of ``dynsys-gd``.

    Parameters
    ----------
    commands : sequence of str or None
        The commands whose modules are imported and whose options are registered; ``None``
        (default): every command.  The others are listed by name and one-line help alone
        (enough for ``dynsys-gd --help`` and for an unknown command's error), so a run imports
        only the module of the command it runs (``main`` passes that one command, or none).
    """
    if commands is None:
        chosen = set(COMMANDS)
    else:
        chosen = set(commands)
        unknown = sorted(chosen - set(COMMANDS))
        if unknown:
            raise InvalidParameterError(
                f"commands must be names among {', '.join(COMMANDS)}; got {unknown[0]!r}"
            )
    parser = _Parser(
        prog="dynsys-gd",
        description="Gradient descent as a dynamical system: stability of minima, critical "
        "learning rates and the measure of the convergent set (arXiv:2402.13108).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"dynsys-gd {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_line in COMMANDS.items():
        if name not in chosen:
            sub.add_parser(name, help=help_line)
            continue
        mod = _command_module(name)
        p = sub.add_parser(
            name,
            help=help_line,
            description=getattr(mod, "DESCRIPTION", help_line),
            epilog=getattr(mod, "EPILOG", None),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def _one_line_warning(command: str) -> Callable[..., None]:
    """``showwarning`` that prints a warning of the toolkit (e.g. a job estimated to take
    minutes) as one line ``dynsys-gd CMD: warning: ...`` on stderr."""

    def show(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        print(f"dynsys-gd {command}: warning: {message}", file=sys.stderr, flush=True)

    return show


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``dynsys-gd``; returns the exit status.  Run as the command itself
    (``argv`` None) the process ends here, once its output is flushed, without the interpreter's
    teardown (:func:`_exit_now`): every store, pool and figure is closed by then."""
    code = _command(sys.argv[1:] if argv is None else list(argv))
    if argv is None:
        _exit_now(code)
    return code


def _command(words: list[str]) -> int:
    """Parse ``words`` and run the command they name; its exit status."""
    command = chosen_command(words)
    parser = build_parser([] if command is None else [command])
    args = parser.parse_args(words)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 2
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning(args.command)
            return int(args._run(args) or 0)
    except DynsysGDError as exc:
        print(f"dynsys-gd {args.command}: error: {exc}", file=sys.stderr)
        return int(getattr(exc, "exit_status", 2))  # 1: the run failed (full disk, dead worker)
    except OSError as exc:
        print(
            f"dynsys-gd {args.command}: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(
                ": "
            ),
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print(f"dynsys-gd {args.command}: interrupted", file=sys.stderr)
        return 130


def _exit_now(code: int) -> None:
    """End the command process with ``code`` without interpreter teardown (a quarter of a
    second of CPU with the compiled kernels loaded, seconds on a busy machine or after an
    interrupt); stores and pools are closed by then (their ``finally`` blocks ran, also while an
    interrupt propagated)."""
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # pragma: no cover - closed or broken pipe
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
