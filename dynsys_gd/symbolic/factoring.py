"""Factoring with a fixed random stream.

sympy factors multivariate polynomials by Wang's algorithm, which draws random evaluation points
from sympy's own generator, seeded from the operating system at import.  An unlucky draw can make
the Hensel lifting take minutes where the usual draw takes a second, so the same command could
take wildly different times.  :func:`factor` draws from a generator with a fixed seed (sympy's
generator is restored afterwards): the same expression takes the same path, and the same time,
on every run.
"""

from __future__ import annotations

from typing import Any

__all__ = ["factor"]

#: the seed of the evaluation points (any fixed value gives reproducible runs)
SEED = 12345


def factor(expr: Any) -> Any:
    """``sympy.factor(expr)`` with sympy's random stream seeded by :data:`SEED`."""
    import sympy
    from sympy.core import random as sympy_random

    state = sympy_random.rng.getstate()
    sympy_random.rng.seed(SEED)
    try:
        return sympy.factor(expr)
    finally:
        sympy_random.rng.setstate(state)
