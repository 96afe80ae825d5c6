"""Exceptions raised by dynsys_gd.

Every error the toolkit raises on purpose derives from :class:`DynsysGDError`, so callers can
catch the toolkit's own errors in one place.  Messages name the parameter, the rule and the value,
e.g. ``lr must be a finite float > 0; got -0.1``.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "ConvergenceError",
    "DynsysGDError",
    "InvalidParameterError",
    "MissingDependencyError",
    "NonRealLossError",
    "install_hint",
]

#: The name of the distribution on the package index (``pyproject.toml``, ``[project] name``).
DISTRIBUTION = "dynsys-gd"


class DynsysGDError(Exception):
    """Base class of every error raised by dynsys_gd."""


class InvalidParameterError(DynsysGDError, ValueError):
    """A public function received a value that breaks a documented rule."""


class ConvergenceError(DynsysGDError, RuntimeError):
    """A numerical method did not reach its tolerance within its budget."""


class MissingDependencyError(DynsysGDError, ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""


def _clone_root() -> Path | None:
    """The root of the source tree this package is imported from, or None for an installed wheel.

    A clone (or an editable install) has ``pyproject.toml`` naming the distribution next to the
    package directory; a wheel installed in ``site-packages`` has not.
    """
    root = Path(__file__).resolve().parent.parent
    try:
        text = (root / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return None
    return root if f'name = "{DISTRIBUTION}"' in text else None


def install_hint(extra: str) -> str:
    """The pip command that installs the optional ``extra``, in a form that works when pasted.

    From an installed wheel: ``pip install "dynsys-gd[EXTRA]"``.  From a clone (the package is
    imported from a source tree): ``pip install -e ".[EXTRA]"`` when the current directory is the
    clone's root, else the same command with the clone's path in place of ``.``.
    """
    root = _clone_root()
    if root is None:
        return f'pip install "{DISTRIBUTION}[{extra}]"'
    try:
        here = Path(os.getcwd()).resolve() == root
    except OSError:
        here = False
    return f'pip install -e ".[{extra}]"' if here else f'pip install -e "{root}[{extra}]"'


class NonRealLossError(DynsysGDError, ArithmeticError):
    """A GD run reached a finite point where the loss (or its gradient) is not a real number:
    the loss left its real domain (e.g. ``sqrt(10 - x**2)`` beyond ``|x| = sqrt(10)``).  Such a
    run is neither converged nor diverged, so the toolkit refuses to classify it."""
