r"""The public model protocol: what the toolkit needs of a model (docs/models.md).

A model is a smooth loss :math:`L: \mathbb R^P \to \mathbb R` seen through batched arrays.
Every analysis that only iterates the GD map :math:`G_\eta(\theta) = \theta - \eta\nabla
L(\theta)` and looks at its Jacobian :math:`DG_\eta = I - \eta H(\theta)` (docs/math/gd-map.md)
needs nothing more than :class:`Model`: the number of parameters, the loss, the gradient, the
Hessian and Hessian-vector products, and a content fingerprint that keys stored results.

The built-in kinds (:class:`~dynsys_gd.models.LinearNetwork`,
:class:`~dynsys_gd.models.LossModel`, :class:`~dynsys_gd.models.MLP`) implement it; so can a
user's own class, with no base class and no registration (structural typing).

Kernels of the built-in symbolic kinds live in the numeric layer, which sits above the models.
They reach the models through a small registry filled by :mod:`dynsys_gd.numeric.kernels`
(:func:`register_kernels`), so the models never import the numeric layer.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from numpy.typing import NDArray

__all__ = [
    "Model",
    "NumericModel",
    "kernels_of",
    "missing_model_methods",
    "register_kernels",
]

Array = NDArray[Any]


@runtime_checkable
class NumericModel(Protocol):
    """What the numeric layer needs of a model: batched loss, gradient, Hessian, HVP.

    All methods take ``theta`` of shape ``(batch, P)`` (float64, or object arrays of mpf for
    high-precision kernels) and return arrays with the batch axis first.
    """

    @property
    def n_params(self) -> int:
        """Number of parameters P (a plain attribute or a property)."""
        ...

    def loss(self, theta: Array) -> Array:
        """Loss values, shape (batch,)."""
        ...

    def gradient(self, theta: Array) -> Array:
        """Gradients, shape (batch, P)."""
        ...

    def hessian(self, theta: Array) -> Array:
        """Hessians, shape (batch, P, P)."""
        ...

    def hvp(self, theta: Array, v: Array) -> Array:
        """Hessian-vector products H(theta) v, shape (batch, P)."""
        ...


@runtime_checkable
class Model(NumericModel, Protocol):
    r"""A model the toolkit analyses: a smooth loss :math:`L(\theta)`, :math:`\theta \in
    \mathbb R^P`, with batched derivatives and a content fingerprint.

    Coordinates are on the last axis: ``theta`` has shape ``(batch, P)`` (the built-in kinds
    also take one point of shape ``(P,)`` and then drop the batch axis of the result).

    Attributes
    ----------
    n_params : int
        :math:`P`, the number of parameters.

    Methods
    -------
    loss(theta)
        :math:`L(\theta)`, shape ``(batch,)``.
    gradient(theta)
        :math:`\nabla L(\theta)`, shape ``(batch, P)``.
    hessian(theta)
        :math:`\nabla^2 L(\theta)`, shape ``(batch, P, P)`` (symmetric).
    hvp(theta, v)
        :math:`\nabla^2 L(\theta)\,v`, shape ``(batch, P)``; ``v`` of shape ``(batch, P)``.
    fingerprint()
        A string that depends only on the content of the loss: the same model built twice
        gives the same string, a different loss a different one (a SHA-256 of what defines
        it is the usual choice). Stored results are keyed by it, so it must never contain a
        memory address or anything else that changes between processes.

    Notes
    -----
    Optional parts, not part of the structural check (``isinstance(obj, Model)`` does not look
    for them):

    - ``symbolic``: the loss as a sympy expression in the model's parameters, where one exists
      (:class:`~dynsys_gd.models.LossModel`). Analyses that need an exact form (``derive``,
      exact critical points) take only the built-in symbolic kinds and refuse other models
      with an :class:`~dynsys_gd.errors.InvalidParameterError`; ``critical_points``,
      ``flattest_minimum`` and ``critical_lr`` search other models in float64 (numerical, not
      certified).
    - ``__reduce__``/picklability: needed only to run on a process executor.

    Examples
    --------
    >>> import numpy as np
    >>> class Quadratic:
    ...     n_params = 2
    ...     def loss(self, theta): return 0.5 * np.sum(theta**2, axis=-1)
    ...     def gradient(self, theta): return np.asarray(theta, dtype=float)
    ...     def hessian(self, theta):
    ...         return np.broadcast_to(np.eye(2), (*np.shape(theta)[:-1], 2, 2))
    ...     def hvp(self, theta, v): return np.asarray(v, dtype=float)
    ...     def fingerprint(self): return "quadratic-2"
    >>> isinstance(Quadratic(), Model)
    True
    """

    def fingerprint(self) -> str:
        """Content fingerprint (a stable string, e.g. a SHA-256 hex digest)."""
        ...


#: The members :class:`Model` requires, in the order they are reported.
MODEL_MEMBERS: tuple[str, ...] = ("n_params", "loss", "gradient", "hessian", "hvp", "fingerprint")


def missing_model_methods(obj: Any, members: tuple[str, ...] = MODEL_MEMBERS) -> list[str]:
    """The members of the protocol that ``obj`` lacks (callables for the methods, an int for
    ``n_params``); empty when it implements :class:`Model`."""
    missing = []
    for name in members:
        try:
            value = getattr(obj, name)
        except Exception:  # a property may raise
            missing.append(name)
            continue
        if name == "n_params":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                missing.append(name)
        elif not callable(value):
            missing.append(name)
    return missing


# -- the kernel registry (filled by the numeric layer) -----------------------------------------
_FACTORIES: dict[type, Callable[[Any, int | None], NumericModel]] = {}
#: the module that registers the kernels of the built-in symbolic kinds
_KERNELS_MODULE = __name__.rsplit(".", 2)[0] + ".numeric.kernels"


def register_kernels(cls: type, factory: Callable[[Any, int | None], NumericModel]) -> None:
    """Register ``factory(model, precision)`` as the batched kernels of instances of ``cls``."""
    _FACTORIES[cls] = factory


def kernels_of(model: Any, precision: int | None = None) -> NumericModel:
    """The registered kernels of ``model`` (cached on the model), loading the numeric layer's
    registrations on first use."""
    key = f"kernels:{precision}"
    cache: dict[str, Any] = model._cache
    if key not in cache:
        cache[key] = _factory(type(model))(model, precision)
    out: NumericModel = cache[key]
    return out


def _factory(cls: type) -> Callable[[Any, int | None], NumericModel]:
    for _ in range(2):
        for klass in cls.__mro__:
            if klass in _FACTORIES:
                return _FACTORIES[klass]
        importlib.import_module(_KERNELS_MODULE)  # registers the built-in kinds
    raise TypeError(f"no kernels registered for {cls.__name__}")
