r"""Symbolic derivations of the GD dynamics: loss, gradient, Hessian, GD map, DG, det DG.

For a model with parameters :math:`\theta \in \mathbb{R}^P` and step size :math:`\eta`
(a sympy symbol or a number):

.. math::
   G_\eta(\theta) = \theta - \eta \nabla L(\theta), \qquad
   DG_\eta(\theta) = I - \eta \nabla^2 L(\theta).

Polynomial losses (every linear network, and polynomial :class:`LossModel` s) are differentiated
in a sparse polynomial ring over :math:`\mathbb{Q}` (``sympy.polys.rings``), which is exact and
avoids expression swell; other analytic losses use ``sympy.diff``.  Derivations are cached on the
model.  The determinant :math:`\det DG_\eta` is never expanded symbolically for large P: use
:meth:`Derivation.det_dg_at` (exact evaluation at a rational point, with python-flint) or
:meth:`Derivation.det_dg` for small models.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cached_property
from typing import Any

import sympy

from .._validation import check_int, describe
from ..errors import InvalidParameterError
from ..models import LinearNetwork, LossModel

__all__ = [
    "BYTES_PER_TERM",
    "EXPR_BYTES_PER_TERM",
    "EXPR_SECONDS_PER_TERM",
    "SECONDS_PER_TERM",
    "Derivation",
    "check_derivation_size",
    "check_lr_exact",
    "derive",
    "estimate_terms",
    "linear_network_symbols",
]

#: Cost model of the symbolic derivation, per polynomial term (lower bounds, from measurements
#: on the 2-core reference machine: 240 B and 1.6 us per term of the sparse polynomials of
#: widths (3, 3, 3, 3, 3); 320 B and 120 us per term of a sympy expression).  The limits are the
#: package's one size model (:mod:`dynsys_gd._limits`: DYNSYS_GD_MEMORY_LIMIT, ..._TIME_LIMIT).
BYTES_PER_TERM = 200
SECONDS_PER_TERM = 1e-6
#: seconds per (parameter x term) of differentiation: each of the P partial derivatives walks
#: every term of the polynomial it differentiates (measured: 1.2e-6 to 3e-6 s on the 2-core
#: reference machine for whitened networks of widths (10, 10) to (30, 30); a lower bound)
SECONDS_PER_PARAM_TERM = 1e-6
EXPR_BYTES_PER_TERM = 300
EXPR_SECONDS_PER_TERM = 1e-4


def estimate_terms(model: Any) -> dict[str, int]:
    r"""Estimated number of polynomial terms of the loss, gradient and Hessian of a linear network.

    With :math:`p = \prod_{i=1}^{N-1} d_i` paths through the hidden layers, every entry of W has
    p monomials; the quadratic part of the loss has about :math:`d_N\,m(m+1)/2` distinct monomials
    with :math:`m = d_0 p` (general :math:`\Sigma_{xx}`) or :math:`m = p` per entry (diagonal
    :math:`\Sigma_{xx}`).  Each monomial has degree 2N, so the gradient has about
    :math:`(2N-1)` times and the Hessian :math:`(2N-1)^2` times as many terms (within a factor of
    about 1.1 of the measured counts for whitened widths (4, 4, 4, 4, 4), 31,233 / 226,304 /
    1,466,368).  Loss models: the number of terms of the expanded loss (not estimated further).
    """
    if isinstance(model, LinearNetwork):
        import math

        N = model.depth
        d0, dN = model.widths[0], model.widths[-1]
        paths = math.prod(model.widths[1:-1]) if N > 1 else 1
        diagonal = all(model.Sxx_exact[i][j] == 0 for i in range(d0) for j in range(d0) if i != j)
        if diagonal:
            quad = dN * d0 * paths * (paths + 1) // 2
        else:
            m = d0 * paths
            quad = dN * m * (m + 1) // 2
        loss = quad + dN * d0 * paths + 1
        grad = loss * max(1, 2 * N - 1)
        hess = loss * max(1, 2 * N - 1) ** 2
        return {"loss": int(loss), "gradient": int(grad), "hessian": int(hess)}
    n = len(sympy.Add.make_args(model.expr))
    return {"loss": n, "gradient": n * model.n_params, "hessian": n * model.n_params**2}


def _size_name(model: Any) -> tuple[str, Any]:
    if isinstance(model, LinearNetwork):
        return "widths", tuple(model.widths)
    return "loss", f"<{len(sympy.Add.make_args(model.expr))} terms>"


def check_derivation_size(model: Any, part: str, *, expression: bool = False) -> None:
    """Refuse a symbolic derivation whose estimated memory or time exceeds the package limits
    (:mod:`dynsys_gd._limits`), before any work; the message carries the estimate.

    ``part`` is "loss", "gradient" or "hessian" (each includes the parts before it);
    ``expression`` prices the sympy expression view instead of the sparse polynomials.
    """
    from .._limits import check_memory, check_time

    est = estimate_terms(model)
    order = ("loss", "gradient", "hessian")
    name, value = _size_name(model)
    b, t = (
        (EXPR_BYTES_PER_TERM, EXPR_SECONDS_PER_TERM)
        if expression
        else (BYTES_PER_TERM, SECONDS_PER_TERM)
    )
    what = "sympy expression of the" if expression else "symbolic"
    parts = [part] if expression else list(order[: order.index(part) + 1])
    total = sum(est[k] for k in parts)
    ctx = f"for the {what} {part} (an estimated {total:.3g} polynomial terms)"
    check_memory(name, value, total * b, ctx)
    seconds = total * t
    if not expression:
        # differentiation: P derivatives of the loss, P (P + 1) / 2 of the gradient components
        P = float(getattr(model, "n_params", 1))
        if "gradient" in parts:
            seconds += SECONDS_PER_PARAM_TERM * P * est["loss"]
        if "hessian" in parts:
            seconds += SECONDS_PER_PARAM_TERM * 0.5 * (P + 1) * est["gradient"]
    check_time(name, value, seconds, ctx)


def check_lr_exact(lr: Any) -> sympy.Expr:
    """A step size as an exact sympy number (floats at their exact binary value) or a symbolic
    expression; numbers must be finite and > 0 (``sympy.Rational(nan)`` is 0, so NaN and inf
    are refused here, before any work).  numpy scalars are accepted."""
    import math

    import numpy as np

    if isinstance(lr, sympy.Basic):
        if lr.free_symbols:
            return lr  # type: ignore[return-value]
        if lr.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo) or not lr.is_real:
            raise InvalidParameterError(f"lr must be a finite float > 0; got {lr}")
        if not bool(lr > 0):
            raise InvalidParameterError(f"lr must be a finite float > 0; got {lr}")
        return lr  # type: ignore[return-value]
    if isinstance(lr, bool | np.bool_):
        raise InvalidParameterError(f"lr must be a finite float > 0; got {lr!r}")
    if isinstance(lr, int | np.integer | Fraction):
        q = (
            sympy.Rational(int(lr))
            if not isinstance(lr, Fraction)
            else sympy.Rational(lr.numerator, lr.denominator)
        )
        if not q > 0:
            raise InvalidParameterError(f"lr must be a finite float > 0; got {lr!r}")
        return q
    if isinstance(lr, float | np.floating):
        f = float(lr)  # exact for float16/32/64
        if not (math.isfinite(f) and f > 0):
            raise InvalidParameterError(f"lr must be a finite float > 0; got {f!r}")
        return sympy.Rational(f)  # exact binary value of the float
    raise InvalidParameterError(
        f"lr must be None, a finite float > 0 or a sympy expression; got {describe(lr)}"
    )


def _q(x: Fraction) -> sympy.Rational:
    return sympy.Rational(x.numerator, x.denominator)


def linear_network_symbols(net: LinearNetwork) -> tuple[sympy.Symbol, ...]:
    """Parameter symbols in flat order: ``w1, ..., wN`` for scalar networks, else
    ``w{layer}_{row}_{col}`` (layers counted from 1, row-major)."""
    if net.is_scalar:
        return tuple(sympy.symbols(f"w1:{net.depth + 1}", real=True))
    out: list[sympy.Symbol] = []
    for i, (a, b) in enumerate(net.layer_shapes, start=1):
        out.extend(sympy.Symbol(f"w{i}_{r}_{c}", real=True) for r in range(a) for c in range(b))
    return tuple(out)


def _linear_network_loss_poly(net: LinearNetwork, ring_gens: list[Any], domain: Any) -> Any:
    """The loss of a linear network built directly in the polynomial ring (no expressions)."""
    o = net.offsets

    def q(x: Fraction) -> Any:
        return domain(x.numerator, x.denominator)

    mats = []
    for i, (a, b) in enumerate(net.layer_shapes):
        flat = ring_gens[o[i] : o[i + 1]]
        mats.append([[flat[r * b + c] for c in range(b)] for r in range(a)])

    def matmul(A: list[list[Any]], B: list[list[Any]]) -> list[list[Any]]:
        return [
            [sum((A[r][k] * B[k][c] for k in range(len(B))), A[0][0] * 0) for c in range(len(B[0]))]
            for r in range(len(A))
        ]

    W = mats[0]
    for M in mats[1:]:
        W = matmul(M, W)
    Sxx = [[q(x) for x in r] for r in net.Sxx_exact]
    Syx = [[q(x) for x in r] for r in net.Syx_exact]
    d0, dN = net.widths[0], net.widths[-1]
    zero = W[0][0] * 0
    WS = [
        [sum((W[r][k] * Sxx[k][c] for k in range(d0)), zero) for c in range(d0)] for r in range(dN)
    ]
    quad = sum((WS[r][c] * W[r][c] for r in range(dN) for c in range(d0)), zero)
    lin = sum((W[r][c] * Syx[r][c] for r in range(dN) for c in range(d0)), zero)
    tr = getattr(net, "trace_Syy_exact", None)
    if tr is not None:
        const = q(tr) / 2
    elif net.Sxx_is_definite:
        S = sympy.Matrix([[_q(x) for x in r] for r in net.Sxx_exact])
        Y = sympy.Matrix([[_q(x) for x in r] for r in net.Syx_exact])
        Ws = Y * S.inv()
        c = sympy.Rational(1, 2) * sum((Ws * S).multiply_elementwise(Ws))
        const = domain(int(c.p), int(c.q))
    else:
        const = domain(0)
    return quad / 2 - lin + const


class Derivation:
    r"""Cached symbolic derivation of the GD map of a model.

    Attributes
    ----------
    params : tuple of sympy.Symbol
        :math:`\theta` in flat order.
    eta : sympy.Symbol
        The step-size symbol :math:`\eta` (positive).
    loss : sympy.Expr
        :math:`L(\theta)` (built lazily for linear networks, whose derivations work on
        sparse polynomials).
    """

    def __init__(self, model: LinearNetwork | LossModel) -> None:
        if isinstance(model, LinearNetwork):
            self.params = linear_network_symbols(model)
            self.polynomial = True
        elif isinstance(model, LossModel):
            self.params = model.params
            self.__dict__["loss"] = model.expr
            self.polynomial = model.is_polynomial
        else:
            raise InvalidParameterError(
                f"model must be a LinearNetwork or a LossModel; got {describe(model)}"
            )
        self.model = model
        self.eta = sympy.Symbol("eta", positive=True)
        self.n_params = len(self.params)

    # -- polynomial ring view ------------------------------------------------------------------
    @cached_property
    def _ring(self) -> tuple[Any, Any, Any]:
        from sympy.polys.domains import QQ
        from sympy.polys.rings import ring

        check_derivation_size(self.model, "loss")
        R, *gens = ring([str(p) for p in self.params], QQ)
        if isinstance(self.model, LinearNetwork):
            poly = _linear_network_loss_poly(self.model, gens, QQ)
        else:
            poly = R.from_expr(self.loss.subs({p: sympy.Symbol(str(p)) for p in self.params}))
        return R, gens, poly

    @cached_property
    def loss(self) -> sympy.Expr:
        r""":math:`L(\theta)` as a sympy expression."""
        self._check_expr_size("loss")
        return self._to_expr(self._ring[2])

    @property
    def loss_poly(self) -> Any:
        """The loss as a sparse polynomial over Q (polynomial models only)."""
        self._require_polynomial("loss_poly")
        return self._ring[2]

    @cached_property
    def gradient_polys(self) -> tuple[Any, ...]:
        """Gradient entries as sparse polynomials over Q (polynomial models only)."""
        self._require_polynomial("gradient_polys")
        check_derivation_size(self.model, "gradient")
        _, gens, L = self._ring
        return tuple(L.diff(g) for g in gens)

    @cached_property
    def hessian_polys(self) -> tuple[tuple[Any, ...], ...]:
        """Hessian entries as sparse polynomials over Q (polynomial models only)."""
        self._require_polynomial("hessian_polys")
        check_derivation_size(self.model, "hessian")
        _, gens, _ = self._ring
        g = self.gradient_polys
        P = self.n_params
        rows: list[list[Any]] = [[None] * P for _ in range(P)]
        for i in range(P):
            for j in range(i, P):
                rows[i][j] = rows[j][i] = g[i].diff(gens[j])
        return tuple(tuple(r) for r in rows)

    def _check_expr_size(self, part: str) -> None:
        """The sympy expression views cost about 100x the sparse polynomials per term: priced
        separately by the size model (linear networks; loss models are given as expressions)."""
        if isinstance(self.model, LinearNetwork):
            check_derivation_size(self.model, part, expression=True)

    def _require_polynomial(self, what: str) -> None:
        if not self.polynomial:
            raise InvalidParameterError(f"{what} needs a polynomial loss; got {self.loss}")

    def _to_expr(self, poly: Any) -> sympy.Expr:
        back = {sympy.Symbol(str(p)): p for p in self.params}
        return poly.as_expr().xreplace(back)  # type: ignore[no-any-return]

    # -- derivations ---------------------------------------------------------------------------
    @cached_property
    def gradient(self) -> sympy.Matrix:
        r""":math:`\nabla L` as a P × 1 matrix."""
        self._check_expr_size("gradient")
        if self.polynomial:
            return sympy.Matrix([self._to_expr(g) for g in self.gradient_polys])
        return sympy.Matrix([sympy.diff(self.loss, p) for p in self.params])

    @cached_property
    def hessian(self) -> sympy.Matrix:
        r""":math:`\nabla^2 L` as a P × P matrix."""
        self._check_expr_size("hessian")
        P = self.n_params
        if self.polynomial:
            Hp = self.hessian_polys
            cache: dict[tuple[int, int], sympy.Expr] = {}
            for i in range(P):
                for j in range(i, P):
                    cache[(i, j)] = self._to_expr(Hp[i][j])
            return sympy.Matrix(P, P, lambda i, j: cache[(min(i, j), max(i, j))])
        g = self.gradient
        cache2: dict[tuple[int, int], sympy.Expr] = {}
        for i in range(P):
            for j in range(i, P):
                cache2[(i, j)] = sympy.diff(g[i], self.params[j])
        return sympy.Matrix(P, P, lambda i, j: cache2[(min(i, j), max(i, j))])

    def _lr(self, lr: Any) -> sympy.Expr:
        """η as a sympy value: None keeps the symbol; numbers must be finite and > 0."""
        if lr is None:
            return self.eta
        return check_lr_exact(lr)

    def gd_map(self, lr: Any = None) -> sympy.Matrix:
        r""":math:`G_\eta(\theta) = \theta - \eta\nabla L(\theta)`; ``lr=None`` keeps η symbolic."""
        return sympy.Matrix(self.params) - self._lr(lr) * self.gradient

    def jacobian(self, lr: Any = None) -> sympy.Matrix:
        r""":math:`DG_\eta = I - \eta \nabla^2 L`."""
        return sympy.eye(self.n_params) - self._lr(lr) * self.hessian

    def det_dg(self, lr: Any = None, *, max_params: int = 8) -> sympy.Expr:
        r"""Symbolic :math:`\det DG_\eta(\theta)` (expanded polynomial for polynomial models).

        Only for small models (``P <= max_params``): the expansion grows quickly with P.  For
        certificates use :meth:`det_dg_at`.
        """
        limit = check_int("max_params", max_params, minimum=1)
        if self.n_params > limit:
            raise InvalidParameterError(
                f"det_dg expands a {self.n_params}x{self.n_params} symbolic determinant; "
                f"n_params must be <= max_params = {limit}; got {self.n_params} (use det_dg_at "
                "for an exact value at a point, or raise max_params)"
            )
        key = ("det", self._lr(lr))
        cache = self.__dict__.setdefault("_det_cache", {})
        if key not in cache:
            d = self.jacobian(lr).det(method="berkowitz")
            cache[key] = sympy.expand(d) if self.polynomial else sympy.simplify(d)
        return cache[key]  # type: ignore[no-any-return]

    @cached_property
    def _hessian_terms(self) -> tuple[list[tuple[int, ...]], list[list[tuple[int, Any]]]]:
        """Upper-triangle Hessian entries as (monomial index, flint.fmpq coefficient) lists over
        one shared table of monomials, so an exact evaluation computes each monomial once."""
        import flint

        Hp = self.hessian_polys
        P = self.n_params
        index: dict[tuple[int, ...], int] = {}
        entries: list[list[tuple[int, Any]]] = []
        for i in range(P):
            for j in range(i, P):
                entries.append(
                    [
                        (
                            index.setdefault(tuple(m), len(index)),
                            flint.fmpq(int(c.numerator), int(c.denominator)),
                        )
                        for m, c in Hp[i][j].terms()
                    ]
                )
        return list(index), entries

    def hessian_at_rational(self, point: Any) -> Any:
        """Exact Hessian at a rational point as a ``flint.fmpq_mat`` (polynomial models)."""
        import flint

        self._require_polynomial("hessian_at_rational")
        vals = [flint.fmpq(v.numerator, v.denominator) for v in _exact_point(point, self.n_params)]
        monomials, entries = self._hessian_terms
        one = flint.fmpq(1)
        powers: dict[tuple[int, int], Any] = {}

        def power(k: int, e: int) -> Any:
            if (k, e) not in powers:
                powers[(k, e)] = vals[k] ** e
            return powers[(k, e)]

        mono_vals = []
        for m in monomials:
            v = one
            for k, e in enumerate(m):
                if e:
                    v = v * power(k, e)
            mono_vals.append(v)
        P = self.n_params
        M = flint.fmpq_mat(P, P)
        it = iter(entries)
        for i in range(P):
            for j in range(i, P):
                acc = flint.fmpq(0)
                for m_idx, c in next(it):
                    acc += c * mono_vals[m_idx]
                M[i, j] = acc
                M[j, i] = acc
        return M

    def det_dg_at(self, point: Any, lr: Any) -> Fraction:
        r"""Exact :math:`\det DG_\eta(\theta)` at a rational point θ and rational η.

        Floats are taken at their exact binary value.  Uses python-flint's exact rational
        determinant, so it scales to several hundred parameters.
        """
        import flint

        lr_q = check_lr_exact(lr)
        if not lr_q.is_Rational:
            raise InvalidParameterError(
                f"lr must be a finite rational or float > 0 for an exact value; got {describe(lr)}"
            )
        H = self.hessian_at_rational(point)
        eta = Fraction(int(lr_q.p), int(lr_q.q))
        P = self.n_params
        I = flint.fmpq_mat(P, P, [1 if i == j else 0 for i in range(P) for j in range(P)])
        D = I - flint.fmpq(eta.numerator, eta.denominator) * H
        d = D.det()
        return Fraction(int(d.p), int(d.q))


def _exact_point(point: Any, n: int) -> list[Fraction]:
    from .._validation import _to_exact

    vals = list(point) if not hasattr(point, "tolist") else list(point.tolist())
    if len(vals) != n:
        raise InvalidParameterError(f"point must have {n} coordinates; got {len(vals)}")
    return [_to_exact("point", v) for v in vals]


def derive(model: LinearNetwork | LossModel) -> Derivation:
    r"""The (cached) :class:`Derivation` of a model: loss, gradient, Hessian, GD map, DG, det DG.

    Parameters
    ----------
    model : LinearNetwork or LossModel
        The model; the derivation is cached on it.

    Returns
    -------
    Derivation

    Raises
    ------
    InvalidParameterError
        If ``model`` is neither a :class:`~dynsys_gd.LinearNetwork` nor a
        :class:`~dynsys_gd.LossModel`.

    Examples
    --------
    >>> import dynsys_gd as dg
    >>> d = dg.derive(dg.LinearNetwork.scalar(depth=2, target=1.0))  # 1/2 (w1 w2 - 1)^2
    >>> d.loss
    w1**2*w2**2/2 - w1*w2 + 1/2
    >>> d.det_dg_at((1, 2), 1)  # exact: det DG_eta at theta = (1, 2), eta = 1 (C1)
    Fraction(-9, 1)
    """
    if not isinstance(model, LinearNetwork | LossModel):
        raise InvalidParameterError(
            f"model must be a LinearNetwork or a LossModel; got {describe(model)}"
        )
    cache = model._cache  # type: ignore[union-attr]
    if "derivation" not in cache:
        cache["derivation"] = Derivation(model)
    return cache["derivation"]  # type: ignore[no-any-return]
