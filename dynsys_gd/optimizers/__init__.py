"""Optimisers as maps on a state (docs/math/optimizers.md): one module per optimiser owns its
update, its state Jacobian and its stability threshold; the engine and every analysis take one
as a value (``optimizer=``, default :class:`GD`).

A new optimiser is one new module (a subclass of :class:`~dynsys_gd.optimizers.base.Optimizer`)
plus one line in :data:`REGISTRY`.
"""

from __future__ import annotations

from typing import Any

from .._validation import describe
from ..errors import InvalidParameterError
from .adam import Adam
from .base import Optimizer, UpdateRule
from .gd import GD
from .heavy_ball import HeavyBall
from .nesterov import Nesterov
from .preconditioned import LayerwiseGD, Preconditioned

__all__ = [
    "GD",
    "REGISTRY",
    "Adam",
    "HeavyBall",
    "LayerwiseGD",
    "Nesterov",
    "Optimizer",
    "Preconditioned",
    "UpdateRule",
    "check_optimizer",
]

#: registry name -> class (the command line's ``--optimizer``)
REGISTRY: dict[str, type[Optimizer]] = {
    GD.name: GD,
    HeavyBall.name: HeavyBall,
    Nesterov.name: Nesterov,
    Preconditioned.name: Preconditioned,
    LayerwiseGD.name: LayerwiseGD,
    Adam.name: Adam,
}


def check_optimizer(optimizer: Any) -> Optimizer:
    """``optimizer`` as an :class:`Optimizer` (None: :class:`GD`); refuses anything else."""
    if optimizer is None:
        return GD()
    if isinstance(optimizer, Optimizer):
        return optimizer
    raise InvalidParameterError(
        f"optimizer must be an Optimizer such as dg.GD(), dg.HeavyBall(beta) or dg.Adam() (or "
        f"None for GD); got {describe(optimizer)}"
    )
