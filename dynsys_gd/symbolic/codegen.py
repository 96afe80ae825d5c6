r"""Code generation from symbolic derivations: batched numpy and mpmath callables.

``compile_model(model, backend)`` returns callables ``loss``, ``gradient``, ``hessian`` that take
parameters of shape ``(batch, P)`` (or ``(P,)``) and return arrays with the batch axis first.
Expressions are compiled with ``sympy.lambdify(..., cse=True)``; constants are broadcast to the
batch.  The mpmath backend evaluates point by point at the current ``mpmath.mp.dps`` (set it with
``mpmath.workdps``), returning object arrays of ``mpf``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy
from numpy.typing import NDArray

from ..errors import InvalidParameterError
from .derivation import derive
from .models import LinearNetwork, LossModel

__all__ = ["compile_model"]


def _numpy_batched(params: tuple[sympy.Symbol, ...], exprs: list[sympy.Expr],
                   shape: tuple[int, ...]) -> Callable[[NDArray[Any]], NDArray[np.float64]]:
    fn = sympy.lambdify(params, exprs, modules="numpy", cse=True)

    def run(theta: NDArray[Any]) -> NDArray[np.float64]:
        th = np.asarray(theta, dtype=np.float64)
        single = th.ndim == 1
        th2 = th[None, :] if single else th
        if th2.ndim != 2 or th2.shape[1] != len(params):
            raise InvalidParameterError(
                f"theta must have shape (batch, {len(params)}); got shape {th.shape}")
        batch = th2.shape[0]
        with np.errstate(all="ignore"):
            vals = fn(*th2.T)
        out = np.empty((batch, len(exprs)), dtype=np.float64)
        for k, v in enumerate(vals):
            out[:, k] = v
        res = out.reshape((batch, *shape))
        return res[0] if single else res

    return run


def _mpmath_batched(params: tuple[sympy.Symbol, ...], exprs: list[sympy.Expr],
                    shape: tuple[int, ...]) -> Callable[[Any], NDArray[Any]]:
    fn = sympy.lambdify(params, exprs, modules="mpmath", cse=True)

    def run(theta: Any) -> NDArray[Any]:
        import mpmath

        th = np.asarray(theta, dtype=object)
        single = th.ndim == 1
        th2 = th[None, :] if single else th
        if th2.ndim != 2 or th2.shape[1] != len(params):
            raise InvalidParameterError(
                f"theta must have shape (batch, {len(params)}); got shape {th.shape}")
        rows = []
        for row in th2:
            vals = fn(*[mpmath.mpf(x) if not isinstance(x, mpmath.mpf) else x for x in row])
            rows.append([mpmath.mpf(v) for v in vals])
        out = np.array(rows, dtype=object).reshape((th2.shape[0], *shape))
        return out[0] if single else out

    return run


def compile_model(model: LinearNetwork | LossModel, backend: str = "numpy"
                  ) -> dict[str, Callable[..., NDArray[Any]]]:
    """Compile loss, gradient and Hessian of a model for a backend ("numpy" or "mpmath").

    Results are cached on the model.
    """
    if backend not in ("numpy", "mpmath"):
        raise InvalidParameterError(f"backend must be 'numpy' or 'mpmath'; got {backend!r}")
    cache = model._cache  # type: ignore[union-attr]
    key = f"codegen:{backend}"
    if key in cache:
        return cache[key]  # type: ignore[no-any-return]
    d = derive(model)
    P = d.n_params
    make = _numpy_batched if backend == "numpy" else _mpmath_batched
    loss_fn = make(d.params, [d.loss], ())
    grad_fn = make(d.params, list(d.gradient), (P,))
    H = d.hessian
    hess_fn = make(d.params, [H[i, j] for i in range(P) for j in range(P)], (P, P))
    out = {"loss": loss_fn, "gradient": grad_fn, "hessian": hess_fn}
    cache[key] = out
    return out
