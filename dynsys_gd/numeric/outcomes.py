"""Outcomes of a GD run (MATH.md §6).

Every run ends in exactly one outcome.  ``UNDECIDED`` (budget exhausted without a certificate)
is never counted as non-convergent.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["OUTCOME_NAMES", "Outcome"]


class Outcome(Enum):
    """The outcome of one GD run; ``.value`` reads as a sentence, ``.name.lower()`` is the key
    used in counts ("converged", "diverged", "periodic", "bounded", "undecided")."""

    CONVERGED = "converged to a minimum"
    DIVERGED = "diverged to infinity"
    PERIODIC = "settled on a periodic orbit"
    BOUNDED = "stayed bounded without converging"
    UNDECIDED = "undecided within the budget"

    @property
    def key(self) -> str:
        """Lower-case name used as the key of outcome counts."""
        return self.name.lower()

    @property
    def code(self) -> int:
        """Small integer code used in compact arrays (order of definition)."""
        return _CODES[self]

    @classmethod
    def from_code(cls, code: int) -> Outcome:
        """Inverse of :attr:`code`."""
        return _BY_CODE[int(code)]

    @classmethod
    def from_key(cls, key: str) -> Outcome:
        """Outcome from its lower-case key."""
        return cls[key.upper()]


_CODES = {o: i for i, o in enumerate(Outcome)}
_BY_CODE = dict(enumerate(Outcome))

#: Outcome keys in canonical order.
OUTCOME_NAMES: tuple[str, ...] = tuple(o.key for o in Outcome)
