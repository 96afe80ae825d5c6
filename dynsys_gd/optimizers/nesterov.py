r"""Nesterov momentum: the gradient is taken at the look-ahead point
:math:`y = \theta + \beta(\theta - \theta_{\text{prev}})`.

Velocity form on the state :math:`(\theta, m)`: :math:`y = \theta + \beta m`,
:math:`m' = \beta m - \eta\nabla L(y)`, :math:`\theta' = \theta + m'`; :math:`m_0 = 0`.
State Jacobian (with :math:`H` at :math:`y`)

.. math:: \begin{pmatrix} I - \eta H & \beta(I - \eta H) \\ -\eta H & \beta(I - \eta H)
   \end{pmatrix};

on an eigenvector of :math:`H` with :math:`a = \eta\lambda`:
:math:`z^2 - (1 + \beta)(1 - a)z + \beta(1 - a) = 0`, stable iff
:math:`0 < a < (2 + 2\beta)/(1 + 2\beta)` (the flip at :math:`z = -1`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks import check_beta
from .base import Array, Optimizer, UpdateRule
from .heavy_ball import VELOCITY, momentum_jacobian

__all__ = ["Nesterov"]


class Nesterov(Optimizer):
    r"""Nesterov's accelerated gradient with coefficient :math:`\beta \in [0, 1)`.

    Examples
    --------
    >>> import dynsys_gd as dg
    >>> dg.Nesterov(beta=0.5).threshold()  # (2 + 2 beta) / (1 + 2 beta)
    1.5
    """

    name = "nesterov"
    n_buffers = 1

    def __init__(self, beta: float = 0.9) -> None:
        self.beta = check_beta("beta", beta)

    def rule(self) -> UpdateRule:
        return UpdateRule(coord=VELOCITY, point="{T} + op[0] * {B0}")

    def constants(self, P: int) -> Array:
        return np.array([self.beta])

    def gradient_point(self, state: Array) -> Array:
        st = np.asarray(state, dtype=np.float64)
        P = self._params_of(st.shape[-1])
        return st[..., :P] + self.beta * st[..., P : 2 * P]

    def state_jacobian(self, hessian: Array, state: Array, lr: float, grad: Array) -> Array:
        return momentum_jacobian(hessian, lr, self.beta, nesterov=True)

    def threshold(self) -> float:
        return (2.0 + 2.0 * self.beta) / (1.0 + 2.0 * self.beta)

    def settings(self) -> dict[str, Any]:
        return {"beta": self.beta}
