r"""A model from a JAX loss function: bring the model you already wrote (docs/models.md).

:class:`JaxModel` adapts a scalar function ``loss_fn(theta) -> float`` of one parameter vector
:math:`\theta \in \mathbb R^P` to the model protocol (:class:`~dynsys_gd.models.protocol.Model`).
Derivatives come from automatic differentiation, compiled with ``jax.jit`` and batched with
``jax.vmap``:

.. math::
   \nabla L = \texttt{grad}(L), \qquad
   H(\theta)\,v = \tfrac{d}{dt}\nabla L(\theta + t v)\big|_{t=0}
   \ \text{(forward-over-reverse: } \texttt{jvp}\text{ of } \texttt{grad}\text{)}, \qquad
   H = \texttt{jacfwd}(\texttt{grad}(L)).

Everything is float64: constructing a ``JaxModel`` switches on ``jax_enable_x64`` (a global
JAX setting). JAX is an optional dependency, the extra ``[jax]``.
"""

from __future__ import annotations

import hashlib
import types
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._validation import check_int, describe
from ..errors import InvalidParameterError, MissingDependencyError

__all__ = ["JaxModel"]

Array = NDArray[np.float64]


def _import_jax() -> Any:
    try:
        import jax
    except ImportError:
        raise MissingDependencyError(
            "JaxModel needs JAX, the optional extra [jax]; install it with "
            "`pip install 'dynsys-gd[jax]'`"
        ) from None
    jax.config.update("jax_enable_x64", True)
    return jax


def _code_text(code: types.CodeType, out: list[bytes]) -> None:
    """Bytecode, names and constants of a code object, nested code objects included."""
    out.append(code.co_code)
    out.append(repr((code.co_names, code.co_varnames, code.co_freevars)).encode())
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            _code_text(c, out)
        else:
            out.append(repr(c).encode())


def _value_text(value: Any, what: str) -> bytes:
    """Content of a closure cell or default argument; refuses what has no content form."""
    if value is None or isinstance(value, bool | int | float | complex | str | bytes):
        return repr(value).encode()
    if isinstance(value, tuple | list):
        return b"(" + b",".join(_value_text(v, what) for v in value) + b")"
    if hasattr(value, "__array__") and not callable(value):
        arr = np.asarray(value)
        return repr((arr.dtype.str, arr.shape)).encode() + np.ascontiguousarray(arr).tobytes()
    if isinstance(value, types.FunctionType):
        return function_fingerprint(value).encode()
    if isinstance(value, types.ModuleType):
        return value.__name__.encode()
    raise InvalidParameterError(
        f"loss_fn must close over numbers, strings, arrays, functions or modules only (its "
        f"fingerprint is built from them); got {what} = {describe(value)}"
    )


def function_fingerprint(fn: Callable[..., Any]) -> str:
    """SHA-256 of a Python function's content: qualified name, bytecode, constants, names,
    default arguments and the values it closes over (see :class:`JaxModel` for the limits)."""
    code = getattr(fn, "__code__", None)
    if not isinstance(code, types.CodeType):
        raise InvalidParameterError(
            f"loss_fn must be a Python function (def or lambda), so that it has a content "
            f"fingerprint; got {describe(fn)}"
        )
    parts: list[bytes] = [f"{fn.__module__}.{fn.__qualname__}".encode()]
    _code_text(code, parts)
    for i, d in enumerate(getattr(fn, "__defaults__", None) or ()):
        parts.append(_value_text(d, f"default argument {i}"))
    cells = getattr(fn, "__closure__", None) or ()
    for name, cell in zip(code.co_freevars, cells, strict=True):
        parts.append(_value_text(cell.cell_contents, f"the closed-over variable {name!r}"))
    h = hashlib.sha256()
    for p in parts:
        h.update(len(p).to_bytes(8, "little") + p)
    return h.hexdigest()


class JaxModel:
    r"""A model given by a JAX loss function, with autodiff derivatives (float64, jit, vmap).

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(theta) -> scalar`` for one parameter vector ``theta`` of shape ``(P,)``,
        written with ``jax.numpy``. A Python function (``def`` or ``lambda``).
    n_params : int
        :math:`P`, the number of parameters.
    name : str, optional
        Label for reports (default: the function's name).

    Raises
    ------
    MissingDependencyError
        JAX is not installed (the extra ``[jax]``).
    InvalidParameterError
        ``loss_fn`` is not a Python function, closes over something without a content form,
        or does not return one finite-shaped scalar at zero; ``n_params`` is not an int >= 1.

    Notes
    -----
    The fingerprint (which keys stored results) is a SHA-256 of the function's qualified name,
    bytecode, constants, referenced names, default arguments and closed-over values (numbers,
    strings, arrays by their bytes, functions recursively), and of ``n_params``. Its limits:

    - module-level globals the function reads (``SCALE = 2.0`` used inside it) enter by name
      only: changing such a global does not change the fingerprint; pass such constants as
      default arguments or through a closure;
    - functions it calls by global name (helpers) enter by name, not by content;
    - the bytecode depends on the Python version, so stores are matched within one version.

    To run on a process executor, ``loss_fn`` must be picklable (a module-level function).

    Examples
    --------
    >>> import jax.numpy as jnp  # doctest: +SKIP
    >>> m = JaxModel(lambda t: 0.5 * (t[0] * t[1] - 1.0) ** 2, 2)  # doctest: +SKIP
    >>> m.gradient([[2.0, 1.0]])  # doctest: +SKIP
    array([[1., 2.]])
    """

    def __init__(self, loss_fn: Callable[[Any], Any], n_params: int, *, name: str = "") -> None:
        jax = _import_jax()
        if not callable(loss_fn):
            raise InvalidParameterError(f"loss_fn must be callable; got {describe(loss_fn)}")
        self.n_params = check_int("n_params", n_params, minimum=1)
        if not isinstance(name, str):
            raise InvalidParameterError(f"name must be a str; got {describe(name)}")
        self.loss_fn = loss_fn
        self.name = name or getattr(loss_fn, "__name__", "loss_fn")
        self._fingerprint = hashlib.sha256(
            f"JaxModel|{function_fingerprint(loss_fn)}|{self.n_params}".encode()
        ).hexdigest()
        self._fns: dict[str, Any] | None = None
        try:
            value = jax.eval_shape(loss_fn, jax.ShapeDtypeStruct((self.n_params,), np.float64))
        except Exception as exc:
            raise InvalidParameterError(
                f"loss_fn must accept a float64 vector of shape ({self.n_params},); calling it "
                f"failed ({type(exc).__name__}: {exc})"
            ) from None
        if getattr(value, "shape", None) != ():
            raise InvalidParameterError(
                f"loss_fn must return a scalar; got a value of shape {value.shape}"
            )

    # -- compiled functions (rebuilt after unpickling) ------------------------------------------
    def _compiled(self) -> dict[str, Any]:
        if self._fns is None:
            jax = _import_jax()
            f = self.loss_fn
            g = jax.grad(f)

            def hvp(x: Any, v: Any) -> Any:
                return jax.jvp(g, (x,), (v,))[1]  # forward-over-reverse

            self._fns = {
                "loss": jax.jit(jax.vmap(f)),
                "gradient": jax.jit(jax.vmap(g)),
                "hessian": jax.jit(jax.vmap(jax.jacfwd(g))),
                "hvp": jax.jit(jax.vmap(hvp)),
            }
        return self._fns

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_fns"] = None
        return state

    def _batch(self, theta: Any, name: str = "theta") -> tuple[Array, tuple[int, ...]]:
        arr = np.asarray(theta, dtype=np.float64)
        if arr.ndim == 0 or arr.shape[-1] != self.n_params:
            raise InvalidParameterError(
                f"{name} must have shape (..., {self.n_params}); got shape {arr.shape}"
            )
        return arr.reshape(-1, self.n_params), arr.shape[:-1]

    def _call(self, which: str, theta: Any, *extra: Array) -> Array:
        th, lead = self._batch(theta)
        if th.shape[0] == 0:
            tail = {"loss": (), "gradient": (self.n_params,), "hvp": (self.n_params,)}
            return np.zeros((*lead, *tail.get(which, (self.n_params, self.n_params))))
        out = np.asarray(self._compiled()[which](th, *extra), dtype=np.float64)
        return out.reshape(*lead, *out.shape[1:])

    # -- the model protocol ---------------------------------------------------------------------
    def loss(self, theta: Any) -> Array:
        r""":math:`L(\theta)`, shape ``(...)`` for ``theta`` of shape ``(..., P)``."""
        return self._call("loss", theta)

    def gradient(self, theta: Any) -> Array:
        r""":math:`\nabla L(\theta)` by reverse-mode autodiff, shape ``(..., P)``."""
        return self._call("gradient", theta)

    def hessian(self, theta: Any) -> Array:
        r""":math:`\nabla^2 L(\theta)` (forward over reverse), shape ``(..., P, P)``."""
        return self._call("hessian", theta)

    def hvp(self, theta: Any, v: Any) -> Array:
        r""":math:`\nabla^2 L(\theta)\,v` (forward over reverse, no Hessian formed)."""
        th, lead = self._batch(theta)
        vv, _ = self._batch(v, "v")
        vv = np.ascontiguousarray(np.broadcast_to(vv, th.shape))
        if th.shape[0] == 0:
            return np.zeros((*lead, self.n_params))
        out = np.asarray(self._compiled()["hvp"](th, vv), dtype=np.float64)
        return out.reshape(*lead, self.n_params)

    def fingerprint(self) -> str:
        """SHA-256 of the loss function's content and ``n_params`` (limits: see the class)."""
        return self._fingerprint

    def __repr__(self) -> str:
        return f"JaxModel({self.name!r}, n_params={self.n_params})"
