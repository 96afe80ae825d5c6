"""Type aliases used in public signatures (``model``, ``theta``, ``lr``).

They exist for type checkers: at run time every public function validates its arguments itself
(see :mod:`dynsys_gd._validation`) and refuses bad input with an
:class:`~dynsys_gd.errors.InvalidParameterError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from collections.abc import Callable

    from .models.linear import LinearNetwork
    from .models.loss import LossModel
    from .models.mlp import MLP
    from .numeric.kernels import NumericModel
    from .numeric.orbits.periodic import MapSystem

#: Any model the toolkit analyses: a deep linear network, a sympy loss, or an MLP.
Model: TypeAlias = "LinearNetwork | LossModel | MLP"
#: A model with an exact symbolic loss (linear networks and sympy losses).
SymbolicModel: TypeAlias = "LinearNetwork | LossModel"
#: Anything whose map can be iterated: a model (its GD map), a numeric model, or a map system
#: with ``step`` and ``jvp`` such as the logistic map.
MapLike: TypeAlias = "LinearNetwork | LossModel | MLP | NumericModel | MapSystem"
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
    "Model",
    "NDArray",
    "SymbolicModel",
    "Theta",
]
