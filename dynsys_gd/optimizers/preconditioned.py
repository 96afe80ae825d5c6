r"""Gradient descent with a fixed diagonal preconditioner, and per-layer step sizes.

:math:`\theta' = \theta - \eta P^{-1}\nabla L(\theta)` with :math:`P = \operatorname{diag}(p)`,
:math:`p > 0`; write :math:`Q = P^{-1}`.  Jacobian :math:`I - \eta QH`; :math:`QH` is similar to
the symmetric :math:`Q^{1/2}HQ^{1/2}`, so its eigenvalues :math:`\mu` are real and the map is
stable at a minimum iff :math:`\eta\,\mu_{\max}(QH) < 2` (docs/math/optimizers.md).  Per-layer
step sizes (:class:`LayerwiseGD`) are the block-constant case: layer :math:`k` moves with step
:math:`\eta\,r_k`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InvalidParameterError
from ._checks import check_positive_vector
from .base import Array, Optimizer, UpdateRule

__all__ = ["LayerwiseGD", "Preconditioned"]


class Preconditioned(Optimizer):
    r"""GD with a fixed diagonal preconditioner :math:`P`: :math:`\theta' = \theta - \eta
    P^{-1}\nabla L`.

    Parameters
    ----------
    P : array_like
        The diagonal of :math:`P` (P floats > 0), or a diagonal matrix.  A dense preconditioner
        is refused: its update is a change of variables :math:`\phi = P^{1/2}\theta` of plain GD,
        which the user can apply to the model.

    Examples
    --------
    >>> import dynsys_gd as dg
    >>> opt = dg.Preconditioned([1.0, 2.0])
    >>> opt.curvature_scale(2).tolist()  # Q = P^-1
    [1.0, 0.5]
    """

    name = "preconditioned"

    def __init__(self, P: Any) -> None:
        arr = np.asarray(P, dtype=object)
        if arr.ndim == 2:
            m = np.array(P, dtype=np.float64)
            if m.shape[0] != m.shape[1] or np.any(m - np.diag(np.diag(m))):
                raise InvalidParameterError(
                    "P must be the diagonal of a preconditioner or a diagonal matrix (a dense "
                    "preconditioner is plain GD after the change of variables phi = P^(1/2) "
                    f"theta); got a non-diagonal matrix of shape {m.shape}"
                )
            P = np.diag(m)
        self.p = check_positive_vector("P", P)
        self.q = 1.0 / self.p

    def bind(self, P: int, layer_sizes: tuple[int, ...] | None = None) -> Optimizer:
        if self.q.size != P:
            raise InvalidParameterError(
                f"P must have one entry per parameter ({P}); got {self.q.size}"
            )
        return self

    def rule(self) -> UpdateRule:
        return UpdateRule(coord=(("T", "{T} - {E} * ({Q} * {G})"),))

    def constants(self, P: int) -> Array:
        return np.asarray(self.q, dtype=np.float64)

    def curvature_scale(self, P: int) -> Array:
        return np.asarray(self.q, dtype=np.float64)

    def state_jacobian(self, hessian: Array, state: Array, lr: float, grad: Array) -> Array:
        H = np.asarray(hessian, dtype=np.float64)
        return np.eye(H.shape[-1]) - lr * (self.q[:, None] * H)

    def threshold(self) -> float:
        return 2.0

    def settings(self) -> dict[str, Any]:
        return {"P": self.p.tolist()}


class LayerwiseGD(Preconditioned):
    r"""Gradient descent with one relative step size per layer: layer :math:`k` moves by
    :math:`\eta\,r_k\nabla_{W_k}L` (``lr`` of the analysis is :math:`\eta`; pass ``lr=1`` to
    make the :math:`r_k` the step sizes themselves).

    Parameters
    ----------
    lrs : sequence of float
        :math:`r_k > 0`, one per layer of the model (for a sympy loss, one per parameter).

    Examples
    --------
    >>> import dynsys_gd as dg
    >>> opt = dg.LayerwiseGD([1.0, 0.5]).bind(3, layer_sizes=(2, 1))
    >>> opt.curvature_scale(3).tolist()
    [1.0, 1.0, 0.5]
    """

    name = "layerwise-gd"

    def __init__(self, lrs: Any) -> None:
        self.lrs = check_positive_vector("lrs", lrs)
        self.q = np.empty(0)
        self.p = np.empty(0)

    def bind(self, P: int, layer_sizes: tuple[int, ...] | None = None) -> Optimizer:
        sizes = tuple(layer_sizes) if layer_sizes is not None else (1,) * P
        if len(sizes) != self.lrs.size:
            raise InvalidParameterError(
                f"lrs must have one entry per layer ({len(sizes)} layers of sizes "
                f"{list(sizes)}); got {self.lrs.size}"
            )
        if sum(sizes) != P:
            raise InvalidParameterError(
                f"layer_sizes must add up to the {P} parameters; got {list(sizes)}"
            )
        bound = LayerwiseGD(self.lrs)
        bound.q = np.repeat(self.lrs, sizes)
        bound.p = 1.0 / bound.q
        return bound

    def constants(self, P: int) -> Array:
        self._require_bound()
        return np.asarray(self.q, dtype=np.float64)

    def curvature_scale(self, P: int) -> Array:
        self._require_bound()
        return np.asarray(self.q, dtype=np.float64)

    def _require_bound(self) -> None:
        if self.q.size == 0:
            raise InvalidParameterError(
                "LayerwiseGD must be bound to a model's layers before use (the analyses do it); "
                "got an unbound LayerwiseGD"
            )

    def settings(self) -> dict[str, Any]:
        return {"lrs": self.lrs.tolist()}
