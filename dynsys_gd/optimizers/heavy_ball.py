r"""Heavy-ball momentum (Polyak): :math:`\theta' = \theta - \eta\nabla L(\theta) + \beta(\theta -
\theta_{\text{prev}})`.

Written in velocity form, the state is :math:`(\theta, m)` with
:math:`m' = \beta m - \eta\nabla L(\theta)`, :math:`\theta' = \theta + m'` (in exact arithmetic
:math:`m = \theta - \theta_{\text{prev}}`); :math:`m_0 = 0`.  Fixed points: :math:`m = 0`,
:math:`\nabla L(\theta) = 0`.  State Jacobian

.. math:: \begin{pmatrix} I - \eta H & \beta I \\ -\eta H & \beta I \end{pmatrix};

on an eigenvector of :math:`H` with :math:`a = \eta\lambda` its eigenvalues solve
:math:`z^2 - (1 + \beta - a)z + \beta = 0`, all inside the unit circle iff
:math:`0 < a < 2 + 2\beta` (for :math:`0 \le \beta < 1`; the flip at :math:`z = -1`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks import check_beta
from .base import Array, Optimizer, UpdateRule

__all__ = ["HeavyBall", "momentum_jacobian"]

#: the velocity update shared by heavy ball and Nesterov (their gradient points differ)
VELOCITY = (
    ("mt", "op[0] * {B0} - {E} * {G}"),
    ("B0", "mt"),
    ("T", "{T} + mt"),
)


def momentum_jacobian(hessian: Array, lr: float, beta: float, nesterov: bool) -> Array:
    r"""Jacobian of the velocity-form momentum map on :math:`(\theta, m)`, given the Hessian at
    the gradient point."""
    H = np.asarray(hessian, dtype=np.float64)
    P = H.shape[-1]
    eye = np.broadcast_to(np.eye(P), H.shape)
    A = eye - lr * H  # d theta' / d theta
    top = np.concatenate([A, beta * A if nesterov else beta * eye], axis=-1)
    bottom = np.concatenate([-lr * H, beta * (eye - lr * H) if nesterov else beta * eye], axis=-1)
    return np.concatenate([top, bottom], axis=-2)


class HeavyBall(Optimizer):
    r"""Heavy-ball momentum with coefficient :math:`\beta \in [0, 1)`.

    Examples
    --------
    >>> import dynsys_gd as dg
    >>> dg.HeavyBall(beta=0.5).threshold()  # 2 + 2 beta
    3.0
    """

    name = "heavy-ball"
    n_buffers = 1

    def __init__(self, beta: float = 0.9) -> None:
        self.beta = check_beta("beta", beta)

    def rule(self) -> UpdateRule:
        return UpdateRule(coord=VELOCITY)

    def constants(self, P: int) -> Array:
        return np.array([self.beta])

    def state_jacobian(self, hessian: Array, state: Array, lr: float, grad: Array) -> Array:
        return momentum_jacobian(hessian, lr, self.beta, nesterov=False)

    def threshold(self) -> float:
        return 2.0 + 2.0 * self.beta

    def settings(self) -> dict[str, Any]:
        return {"beta": self.beta}
