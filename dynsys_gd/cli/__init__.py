"""The ``dynsys-gd`` command.

Each subcommand lives in its own module of this package and defines ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``.  Errors of the toolkit (bad input) and of the
file system print one line on stderr and exit with status 2 (status 1 when a run fails midway:
a full disk, a dead worker; 130 on Ctrl-C), never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import warnings
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from ..errors import DynsysGDError

__all__ = ["build_parser", "main"]

EPILOG = """examples:
  dynsys-gd analyze --depth 3 --target 2 --lr 0.25 --figures figures
  dynsys-gd analyze --depth 3 --lr 0.7 --json
  dynsys-gd sweep --depth 3 --target 2 --out sweep.sqlite --figures figures
  dynsys-gd prove
"""


def _command_modules() -> list[ModuleType]:
    mods = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(mod, "NAME") and hasattr(mod, "run"):
            mods.append(mod)
    return mods


class _Parser(argparse.ArgumentParser):
    """Argument parser whose errors are one line plus the usage, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
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
    for mod in _command_modules():
        p = sub.add_parser(
            mod.NAME,
            help=mod.HELP,
            description=getattr(mod, "DESCRIPTION", mod.HELP),
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
    """Entry point of ``dynsys-gd``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
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
        if argv is None:  # the command itself (not a call from Python): end at once
            _exit_now(130)
        return 130


def _exit_now(code: int) -> None:
    """End the command process with ``code`` without interpreter teardown (which takes about a
    second with the compiled kernels loaded, and more on a busy machine); stores and pools are
    closed by then (their ``finally`` blocks ran while the interrupt propagated)."""
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # pragma: no cover - closed or broken pipe
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
