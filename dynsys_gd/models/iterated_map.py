r"""Any map :math:`f:\mathbb{R}^d \to \mathbb{R}^d` as a system to iterate, optionally with a
parameter: :math:`x_{t+1} = f(x_t)` or :math:`x_{t+1} = f(x_t, p)` (docs/math/beyond.md).

Every optimiser map on a model is one too, with the step size as its parameter
(:func:`~dynsys_gd.numeric.orbits.optimizer_map.optimizer_map`).
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._validation import check_int, describe
from ..errors import InvalidParameterError

__all__ = ["IteratedMap"]

Array = NDArray[Any]


class IteratedMap:
    r"""A map :math:`f(x)` or a family :math:`f(x, p)` on :math:`\mathbb{R}^d`.

    Parameters
    ----------
    f : callable
        ``f(x)`` or ``f(x, p)``, vectorised on the last axis: ``x`` of shape ``(..., dim)``
        (any leading batch axes) gives an array of the same shape.  ``p`` is a float.
    dim : int
        :math:`d \ge 1`.
    jacobian : callable, optional
        ``jacobian(x)`` or ``jacobian(x, p)`` of shape ``(..., dim, dim)``.  Without it the
        Jacobian is taken by central differences (relative step :math:`\epsilon^{1/3}`, error
        about 1e-10 relative for smooth maps of moderate size).
    name : str, optional
        A name for reports; also keys stored results together with the code of ``f``.

    Examples
    --------
    >>> import dynsys_gd as dg
    >>> logistic = dg.IteratedMap(lambda x, r: r * x * (1 - x), dim=1, name="logistic")
    >>> logistic.has_parameter
    True
    >>> float(logistic.step([0.5], 3.0)[0])
    0.75
    """

    def __init__(
        self,
        f: Callable[..., Any],
        dim: int,
        jacobian: Callable[..., Any] | None = None,
        *,
        name: str = "",
    ) -> None:
        if not callable(f):
            raise InvalidParameterError(f"f must be callable; got {describe(f)}")
        if jacobian is not None and not callable(jacobian):
            raise InvalidParameterError(
                f"jacobian must be callable or None; got {describe(jacobian)}"
            )
        self.f = f
        self.dim = check_int("dim", dim, minimum=1)
        self.jacobian_fn = jacobian
        self.name = str(name)
        self.has_parameter = _arity(f) >= 2

    def _x(self, x: Any) -> Array:
        arr = np.asarray(x, dtype=np.float64)
        if arr.ndim == 0 or arr.shape[-1] != self.dim:
            raise InvalidParameterError(
                f"x must have shape (..., {self.dim}); got shape {np.shape(x)}"
            )
        return arr

    def _args(self, p: Any) -> tuple[Any, ...]:
        if self.has_parameter:
            if p is None:
                raise InvalidParameterError(
                    "p must be given for a map f(x, p) with a parameter; got None"
                )
            return (float(p),)
        return ()

    def step(self, x: Any, p: float | None = None) -> Array:
        """:math:`f(x)` (or :math:`f(x, p)`), batched on the leading axes."""
        arr = self._x(x)
        with np.errstate(all="ignore"):
            out = np.asarray(self.f(arr, *self._args(p)), dtype=np.float64)
        if out.shape != arr.shape:
            raise InvalidParameterError(
                f"f must return an array of the shape of x {arr.shape}; got shape {out.shape}"
            )
        return out

    def jacobian(self, x: Any, p: float | None = None) -> Array:
        """:math:`Df(x)` of shape ``(..., dim, dim)`` (central differences when no Jacobian was
        given)."""
        arr = self._x(x)
        if self.jacobian_fn is not None:
            J = np.asarray(self.jacobian_fn(arr, *self._args(p)), dtype=np.float64)
            return J.reshape(*arr.shape, self.dim)
        h = np.finfo(float).eps ** (1 / 3) * np.maximum(1.0, np.abs(arr))
        cols = []
        for j in range(self.dim):
            e = np.zeros_like(arr)
            e[..., j] = h[..., j]
            cols.append((self.step(arr + e, p) - self.step(arr - e, p)) / (2 * h[..., j : j + 1]))
        return np.stack(cols, axis=-1)

    @property
    def n_params(self) -> int:
        """The dimension (so a map without parameter is a map system of the orbit tools)."""
        return self.dim

    def jvp(self, x: Any, v: Any, p: float | None = None) -> Array:
        r""":math:`Df(x)\,v`, batched."""
        J = self.jacobian(x, p)
        return np.einsum("...ij,...j->...i", J, np.asarray(v, dtype=np.float64))

    def at(self, p: float) -> IteratedMap:
        """The map with its parameter fixed at ``p``."""
        if not self.has_parameter:
            return self
        f, jac, pv = self.f, self.jacobian_fn, float(p)
        return IteratedMap(
            lambda x: f(x, pv),
            self.dim,
            None if jac is None else (lambda x: jac(x, pv)),
            name=f"{self.name}(p={pv:g})" if self.name else "",
        )

    def fingerprint(self) -> str:
        """Content-based identifier: the name, the dimension and the code of ``f``."""
        h = hashlib.sha1(f"{self.name}|{self.dim}".encode())
        code = getattr(self.f, "__code__", None)
        if code is None:
            raise InvalidParameterError(
                "f must be a Python function for a content fingerprint (used to key stored "
                f"results); got {describe(self.f)}"
            )
        h.update(code.co_code)
        h.update(repr(code.co_consts).encode())
        return f"map:{h.hexdigest()[:16]}"

    def __repr__(self) -> str:
        label = self.name or getattr(self.f, "__name__", "f")
        par = ", parameter" if self.has_parameter else ""
        return f"IteratedMap({label}, dim={self.dim}{par})"


def _arity(f: Callable[..., Any]) -> int:
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        return 1
    pos = [
        p
        for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return len(pos)
