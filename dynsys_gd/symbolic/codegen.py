r"""Code generation from symbolic derivations: batched numpy and mpmath callables.

``compile_model(model, backend)`` returns callables ``loss``, ``gradient``, ``hessian`` that take
parameters of shape ``(batch, P)`` (or ``(P,)``) and return arrays with the batch axis first.
Expressions are compiled with ``sympy.lambdify(..., cse=True)``; constants are broadcast to the
batch.  The mpmath backend evaluates point by point at the current ``mpmath.mp.dps`` (set it with
``mpmath.workdps``), returning object arrays of ``mpf``.

Polynomial models (every linear network) are not lambdified: the exact sparse polynomials of the
derivation are compiled into a monomial table (exponent matrix and a sparse coefficient matrix),
evaluated for a whole batch as ``V @ C.T`` where ``V[b, m]`` is monomial ``m`` at point ``b``.
This is the same mathematics (exact coefficients from symbolic differentiation) without
generating code for thousands of expressions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy
from numpy.typing import NDArray

from ..errors import InvalidParameterError
from ..models import LinearNetwork, LossModel
from .derivation import derive

__all__ = ["compile_model"]


def _numpy_batched(
    params: tuple[sympy.Symbol, ...], exprs: list[sympy.Expr], shape: tuple[int, ...]
) -> Callable[[NDArray[Any]], NDArray[np.float64]]:
    fn = sympy.lambdify(params, exprs, modules="numpy", cse=True)

    def run(theta: NDArray[Any]) -> NDArray[np.float64]:
        th = np.asarray(theta, dtype=np.float64)
        single = th.ndim == 1
        th2 = th[None, :] if single else th
        if th2.ndim != 2 or th2.shape[1] != len(params):
            raise InvalidParameterError(
                f"theta must have shape (batch, {len(params)}); got shape {th.shape}"
            )
        batch = th2.shape[0]
        with np.errstate(all="ignore"):
            vals = fn(*th2.T)
        out = np.empty((batch, len(exprs)), dtype=np.float64)
        for k, v in enumerate(vals):
            out[:, k] = v
        res = out.reshape((batch, *shape))
        return res[0] if single else res

    return run


def _mpmath_batched(
    params: tuple[sympy.Symbol, ...], exprs: list[sympy.Expr], shape: tuple[int, ...]
) -> Callable[[Any], NDArray[Any]]:
    fn = sympy.lambdify(params, exprs, modules="mpmath", cse=True)

    def run(theta: Any) -> NDArray[Any]:
        import mpmath

        th = np.asarray(theta, dtype=object)
        single = th.ndim == 1
        th2 = th[None, :] if single else th
        if th2.ndim != 2 or th2.shape[1] != len(params):
            raise InvalidParameterError(
                f"theta must have shape (batch, {len(params)}); got shape {th.shape}"
            )
        rows = []
        for row in th2:
            vals = fn(*[mpmath.mpf(x) if not isinstance(x, mpmath.mpf) else x for x in row])
            rows.append([mpmath.mpf(v) for v in vals])
        out = np.array(rows, dtype=object).reshape((th2.shape[0], *shape))
        return out[0] if single else out

    return run


class _PolyTable:
    """Batched evaluation of a list of sparse polynomials over Q (``PolyElement`` s)."""

    def __init__(self, polys: list[Any], n_vars: int, shape: tuple[int, ...]) -> None:
        from fractions import Fraction

        import scipy.sparse as sps

        index: dict[tuple[int, ...], int] = {}
        rows, cols, vals, exact = [], [], [], []
        for r, poly in enumerate(polys):
            for mon, coeff in poly.terms():
                m = index.setdefault(tuple(mon), len(index))
                rows.append(r)
                cols.append(m)
                fr = Fraction(int(coeff.numerator), int(coeff.denominator))
                exact.append(fr)
                vals.append(float(fr))
        self.exponents = np.array(list(index), dtype=np.int64).reshape(len(index), n_vars)
        self.coeffs = sps.csr_matrix((vals, (rows, cols)), shape=(len(polys), len(index)))
        self.exact = list(zip(rows, cols, exact, strict=True))
        self.n_vars = n_vars
        self.n_out = len(polys)
        self.shape = shape
        self.max_degree = int(self.exponents.max()) if self.exponents.size else 0

    def _check(self, th: NDArray[Any]) -> tuple[NDArray[Any], bool]:
        single = th.ndim == 1
        th2 = th[None, :] if single else th
        if th2.ndim != 2 or th2.shape[1] != self.n_vars:
            raise InvalidParameterError(
                f"theta must have shape (batch, {self.n_vars}); got shape {th.shape}"
            )
        return th2, single

    def numpy(self, theta: NDArray[Any]) -> NDArray[np.float64]:
        th2, single = self._check(np.asarray(theta, dtype=np.float64))
        batch = th2.shape[0]
        out = np.empty((batch, self.n_out))
        step = max(1, 2_000_000 // max(1, self.exponents.shape[0] * self.n_vars))
        with np.errstate(all="ignore"):
            for s0 in range(0, batch, step):
                t = th2[s0 : s0 + step]
                # powers[k, e, b] = t[b, k] ** e
                # repeated multiplication, not np.power: broadcast power loops round differently
                # depending on the batch length, which broke bit-reproducibility across chunkings
                powers = np.empty((self.n_vars, self.max_degree + 1, t.shape[0]))
                powers[:, 0, :] = 1.0
                for e in range(1, self.max_degree + 1):
                    powers[:, e, :] = powers[:, e - 1, :] * t.T
                mons = np.prod(powers[np.arange(self.n_vars)[None, :], self.exponents], axis=1)
                out[s0 : s0 + step] = (self.coeffs @ mons).T
        res = out.reshape((batch, *self.shape))
        return res[0] if single else res

    def mpmath(self, theta: Any) -> NDArray[Any]:
        import mpmath

        th2, single = self._check(np.asarray(theta, dtype=object))
        res = []
        for row in th2:
            x = [mpmath.mpf(v) for v in row]
            mons = [
                mpmath.fprod(x[k] ** int(e) for k, e in enumerate(exps) if e)
                if any(exps)
                else mpmath.mpf(1)
                for exps in self.exponents
            ]
            acc = [mpmath.mpf(0)] * self.n_out
            for r, m, c in self.exact:
                acc[r] += mons[m] * c.numerator / c.denominator
            res.append(acc)
        arr = np.array(res, dtype=object).reshape((th2.shape[0], *self.shape))
        return arr[0] if single else arr


def compile_model(
    model: LinearNetwork | LossModel, backend: str = "numpy"
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
    if d.polynomial:
        tables = {
            "loss": _PolyTable([d.loss_poly], P, ()),
            "gradient": _PolyTable(list(d.gradient_polys), P, (P,)),
            "hessian": _PolyTable([h for row in d.hessian_polys for h in row], P, (P, P)),
        }
        out = {name: getattr(t, backend) for name, t in tables.items()}
        cache[key] = out
        return out
    make = _numpy_batched if backend == "numpy" else _mpmath_batched
    loss_fn = make(d.params, [d.loss], ())
    grad_fn = make(d.params, list(d.gradient), (P,))
    H = d.hessian
    hess_fn = make(d.params, [H[i, j] for i in range(P) for j in range(P)], (P, P))
    out = {"loss": loss_fn, "gradient": grad_fn, "hessian": hess_fn}
    cache[key] = out
    return out
