"""Type aliases used in public signatures (``model``, ``theta``, ``lr``).

They exist for type checkers: at run time every public function validates its arguments itself
(see :mod:`dynsys_gd._validation`) and refuses bad input with an
:class:`~dynsys_gd.errors.InvalidParameterError`.

This module imports only the models layer, so every layer above the models may import it without
an import cycle (the models never import it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

from numpy.typing import ArrayLike, NDArray

from .models.protocol import Model, NumericModel

if TYPE_CHECKING:
    from collections.abc import Callable

    from .models.linear import LinearNetwork
    from .models.loss import LossModel


@runtime_checkable
class MapSystem(Protocol):
    """A batched smooth map :math:`f: R^P \\to R^P` with its Jacobian."""

    n_params: int

    def step(self, theta: NDArray[Any]) -> NDArray[Any]:
        """:math:`f(\\theta)` for ``theta`` of shape ``(B, P)``."""

    def jacobian(self, theta: NDArray[Any]) -> NDArray[Any]:
        """:math:`Df(\\theta)` of shape ``(B, P, P)``."""

    def jvp(self, theta: NDArray[Any], v: NDArray[Any]) -> NDArray[Any]:
        """:math:`Df(\\theta) v` of shape ``(B, P)``."""


#: Any model the toolkit analyses is typed by the model protocol :class:`Model`
#: (dynsys_gd.models.protocol): linear networks, sympy losses, MLPs, JAX models, a user's class.
#: A model with an exact symbolic loss (linear networks and sympy losses).
SymbolicModel: TypeAlias = "LinearNetwork | LossModel"
#: Anything whose map can be iterated: a model (its GD map) or a map system with ``step`` and
#: ``jvp`` such as the logistic map.
MapLike: TypeAlias = "Model | NumericModel | MapSystem"
#: A map, or a family of maps indexed by a parameter (e.g. ``LogisticMap``).
MapFamily: TypeAlias = "MapLike | Callable[[float], MapSystem]"
#: Parameters: one point ``(P,)`` or a batch ``(n, P)``, anything numpy turns into floats.
Theta: TypeAlias = ArrayLike
#: A step size (a float > 0; numpy floats accepted).
LearningRate: TypeAlias = float

__all__ = [
    "ArrayLike",
    "LearningRate",
    "MapFamily",
    "MapLike",
    "MapSystem",
    "Model",
    "NDArray",
    "NumericModel",
    "SymbolicModel",
    "Theta",
]
