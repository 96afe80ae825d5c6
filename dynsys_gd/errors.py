"""Exceptions raised by dynsys_gd.

Every error the toolkit raises on purpose derives from :class:`DynsysGDError`, so callers can
catch the toolkit's own errors in one place.  Messages name the parameter, the rule and the value,
e.g. ``lr must be a finite float > 0; got -0.1``.
"""

from __future__ import annotations

__all__ = [
    "ConvergenceError",
    "DynsysGDError",
    "InvalidParameterError",
    "MissingDependencyError",
    "NonRealLossError",
]


class DynsysGDError(Exception):
    """Base class of every error raised by dynsys_gd."""


class InvalidParameterError(DynsysGDError, ValueError):
    """A public function received a value that breaks a documented rule."""


class ConvergenceError(DynsysGDError, RuntimeError):
    """A numerical method did not reach its tolerance within its budget."""


class MissingDependencyError(DynsysGDError, ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""


class NonRealLossError(DynsysGDError, ArithmeticError):
    """A GD run reached a finite point where the loss (or its gradient) is not a real number:
    the loss left its real domain (e.g. ``sqrt(10 - x**2)`` beyond ``|x| = sqrt(10)``).  Such a
    run is neither converged nor diverged, so the toolkit refuses to classify it."""
