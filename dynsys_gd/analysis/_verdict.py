r"""Where a learning rate stands relative to a critical one: the verdict of
:func:`~dynsys_gd.analysis.stability.stability_analysis` for GD and for any optimiser with a
threshold (docs/math/optimizers.md)."""

from __future__ import annotations

from enum import Enum

from ..numeric.landscape.spectra import MARGINAL_RTOL

__all__ = ["AT_CRITICAL_RTOL", "LRVerdict"]

#: relative tolerance for "at the critical learning rate": the same as for a marginal minimum
AT_CRITICAL_RTOL = MARGINAL_RTOL


class LRVerdict(Enum):
    """Where the learning rate stands relative to :math:`\\eta^*`; values read as sentences."""

    BELOW = "below the critical learning rate: the flattest minima are linearly stable"
    AT = "at the critical learning rate: the flattest minima are marginally stable"
    ABOVE = "above the critical learning rate: every global minimum is linearly unstable"

    def __str__(self) -> str:
        return self.value


def _verdict(lr: float, eta_star: float) -> LRVerdict:
    if abs(lr - eta_star) <= AT_CRITICAL_RTOL * eta_star:
        return LRVerdict.AT
    return LRVerdict.BELOW if lr < eta_star else LRVerdict.ABOVE
