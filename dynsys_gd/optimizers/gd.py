r"""Plain gradient descent, :math:`\theta' = \theta - \eta\nabla L(\theta)` (the default optimiser).

State: :math:`\theta` alone.  Jacobian :math:`I - \eta H`; an eigenvalue :math:`\lambda` of
:math:`H` gives :math:`1 - \eta\lambda`, stable iff :math:`\eta\lambda < 2` (and
:math:`\lambda > 0`): the threshold is 2 (docs/math/optimizers.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Array, Optimizer, UpdateRule

__all__ = ["GD"]


class GD(Optimizer):
    r"""Gradient descent :math:`\theta_{t+1} = \theta_t - \eta\nabla L(\theta_t)`.

    Examples
    --------
    >>> import dynsys_gd as dg
    >>> dg.GD().threshold()
    2.0
    """

    name = "gd"

    def rule(self) -> UpdateRule:
        return UpdateRule(coord=(("T", "{T} - {E} * {G}"),))

    def state_jacobian(self, hessian: Array, state: Array, lr: float, grad: Array) -> Array:
        H = np.asarray(hessian, dtype=np.float64)
        return np.eye(H.shape[-1]) - lr * H

    def threshold(self) -> float:
        return 2.0

    def settings(self) -> dict[str, Any]:
        return {}
