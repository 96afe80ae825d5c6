r"""Models given by an arbitrary sympy loss (claim C9)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._validation import describe
from ..errors import InvalidParameterError
from .protocol import kernels_of

#: Heads a loss must not contain: not analytic (no Hessian / Jacobian of the GD map there).
_NON_ANALYTIC = (
    "Abs",
    "sign",
    "Heaviside",
    "floor",
    "ceiling",
    "frac",
    "Max",
    "Min",
    "Piecewise",
    "re",
    "im",
    "arg",
    "conjugate",
    "DiracDelta",
    "Mod",
    "KroneckerDelta",
    "LambertW",
)
#: Heads that are unevaluated operations (call ``.doit()`` first).
_UNEVALUATED = ("Integral", "Derivative", "Sum", "Product", "Limit", "Subs", "Order")
#: Number of probe points of the real-domain check.
_N_PROBES = 64


def _check_loss_heads(loss: Any) -> None:
    """Refuse undefined functions, non-analytic and unevaluated heads, naming ``loss``."""
    import sympy
    from sympy.core.function import AppliedUndef

    for node in sympy.preorder_traversal(loss):
        head = type(node).__name__
        if isinstance(node, AppliedUndef):
            raise InvalidParameterError(
                f"loss must not contain undefined functions (they have no numeric value); got "
                f"{node} in {describe(loss)}"
            )
        if head in _UNEVALUATED:
            raise InvalidParameterError(
                f"loss must not contain an unevaluated {head}; evaluate it first (e.g. with "
                f".doit()); got {describe(loss)}"
            )
        if head in _NON_ANALYTIC:
            raise InvalidParameterError(
                f"loss must be an analytic expression (GD's Jacobian and Hessian need second "
                f"derivatives); {head} is not analytic: got {describe(loss)}"
            )
        if (
            isinstance(node, sympy.Basic)
            and not isinstance(node, sympy.Expr)
            and not isinstance(node, sympy.Tuple | sympy.core.containers.Dict)
        ):
            raise InvalidParameterError(
                f"loss must be an arithmetic expression; got {head} in {describe(loss)}"
            )


def _is_real_value(v: Any) -> bool:
    """True when the sympy number ``v`` is real (imaginary part negligible), however large: a
    value beyond the float range (``exp(1000 x)``) is an overflow, not a non-real value."""
    import sympy

    if not v.is_number or v.has(sympy.nan, sympy.zoo):
        return False
    re, im = v.as_real_imag()
    try:
        return bool(abs(im) <= sympy.Float(1e-20) * sympy.Max(1, abs(re)))
    except TypeError:  # an undecidable comparison (nan inside)
        return False


def _trial_compile(loss: Any, params: tuple[Any, ...]) -> None:
    r"""Compile the loss and its gradient to numpy code once and evaluate them at probe points.

    Refuses a loss the numpy printer cannot translate, and a loss whose value or gradient is
    not real (NaN) at a finite point of :math:`[-3, 3]^P` (e.g. ``sqrt(x)*y`` at ``x < 0``,
    ``log(x)`` at ``x <= 0``): GD runs would reach such points and report nonsense, so the
    loss is refused up front with a witness point.
    """
    import sympy

    exprs = [loss, *[sympy.diff(loss, p) for p in params]]
    try:
        fn = sympy.lambdify(params, exprs, modules="numpy", cse=True)
    except Exception as exc:  # sympy printers raise many types
        raise InvalidParameterError(
            f"loss cannot be compiled to numeric code ({type(exc).__name__}: {exc}); got "
            f"{describe(loss)}"
        ) from None
    rng = np.random.default_rng(np.random.SeedSequence(20240220))
    pts = rng.uniform(-3.0, 3.0, size=(_N_PROBES, len(params)))
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            vals = fn(*pts.T)
            arr = np.empty((len(exprs), _N_PROBES), dtype=np.complex128)
            for k, v in enumerate(vals):
                arr[k] = v
    except Exception as exc:
        raise InvalidParameterError(
            f"loss cannot be evaluated numerically ({type(exc).__name__}: {exc}); got "
            f"{describe(loss)}"
        ) from None
    nonreal = np.isnan(arr.real) | (arr.imag != 0)
    for k, j in (tuple(int(i) for i in ij) for ij in np.argwhere(nonreal)):
        # a NaN may come from overflow (inf - inf): ask sympy at 30 digits, unbounded exponent
        env = dict(zip(params, (sympy.Float(float(t), 30) for t in pts[j]), strict=True))
        if _is_real_value(sympy.N(exprs[k].subs(env), 30)):
            nonreal[k, j] = False
        else:
            break
    if nonreal.any():
        k, j = (int(i) for i in np.argwhere(nonreal)[0])
        what = "its value" if k == 0 else f"its derivative in {params[k - 1]}"
        point = ", ".join(f"{v:.3g}" for v in pts[j])
        raise InvalidParameterError(
            f"loss must be real at every real theta (GD runs would reach non-real values and "
            f"no outcome would be honest); {what} is not real at theta = ({point}): got "
            f"{describe(loss)}; restrict it to the real domain, e.g. sqrt(x**2 + 1) for "
            "sqrt(x), log(1 + x**2) for log(x)"
        )


class LossModel:
    r"""A model defined by an arbitrary sympy loss :math:`L(\theta)` (docs/math/general-losses.md,
    docs/math/claims.md#c9).

    Parameters
    ----------
    loss : sympy.Expr
        A real-analytic expression whose free symbols are all among ``params``: no undefined
        functions, no non-analytic heads (``Abs``, ``Max``, ``Piecewise``, ...), no unevaluated
        ``Integral``/``Derivative``/``Sum``, and real at every real :math:`\theta` (checked
        by compiling the loss and its gradient once and evaluating them at 64 points of
        :math:`[-3, 3]^P`: ``sqrt(x)*y`` and ``log(x)`` are refused with a witness point).
    params : sequence of sympy.Symbol
        The parameters :math:`\theta` in order.
    name : str, optional
        Label for reports.

    Examples
    --------
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> m = LossModel(sp.Rational(1, 2) * (x * y - 1) ** 2, (x, y), name="xy")
    >>> m.n_params
    2
    """

    def __init__(self, loss: Any, params: Sequence[Any], *, name: str = "") -> None:
        import sympy

        if not isinstance(loss, sympy.Expr):
            raise InvalidParameterError(f"loss must be a sympy expression; got {describe(loss)}")
        if isinstance(params, str | bytes) or not isinstance(params, Sequence):
            raise InvalidParameterError(
                f"params must be a sequence of sympy Symbols; got {describe(params)}"
            )
        ps = tuple(params)
        if not ps:
            raise InvalidParameterError(
                "params must be a non-empty sequence of sympy Symbols; got an empty sequence"
            )
        for i, p in enumerate(ps):
            if not isinstance(p, sympy.Symbol):
                raise InvalidParameterError(
                    f"params[{i}] must be a sympy Symbol; got {describe(p)}"
                )
        if len(set(ps)) != len(ps):
            raise InvalidParameterError(f"params must be distinct symbols; got {ps}")
        extra = loss.free_symbols - set(ps)
        if extra:
            names = ", ".join(sorted(str(s) for s in extra))
            raise InvalidParameterError(
                f"loss must be an expression in the given params only; got other symbols: {names}"
            )
        if loss.has(sympy.I) or loss.has(sympy.nan) or loss.has(sympy.zoo) or loss.has(sympy.oo):
            raise InvalidParameterError(f"loss must be a finite real expression; got {loss}")
        _check_loss_heads(loss)
        _trial_compile(loss, ps)
        #: the loss as a sympy expression in :attr:`params`
        self.expr = loss
        self.params = ps
        self.name = name or str(loss)
        self._cache: dict[str, Any] = {}

    @property
    def n_params(self) -> int:
        """Number of parameters."""
        return len(self.params)

    @property
    def symbolic(self) -> Any:
        """The loss as a sympy expression (the model protocol's optional symbolic form)."""
        return self.expr

    @property
    def is_polynomial(self) -> bool:
        """Whether the loss is a polynomial in the parameters."""
        return bool(self.expr.is_polynomial(*self.params))

    # -- the model protocol (docs/models.md): batched kernels of the numeric layer ---------------
    def loss(self, theta: Any) -> NDArray[Any]:
        r"""Loss :math:`L(\theta)`, shape ``(batch,)``, from code generated from :attr:`expr`."""
        return kernels_of(self).loss(theta)

    def gradient(self, theta: Any) -> NDArray[Any]:
        r""":math:`\nabla L(\theta)`, shape ``(batch, P)`` (or ``(P,)`` for one point)."""
        return kernels_of(self).gradient(theta)

    def hessian(self, theta: Any) -> NDArray[Any]:
        r""":math:`\nabla^2 L(\theta)`, shape ``(batch, P, P)`` (or ``(P, P)``)."""
        return kernels_of(self).hessian(theta)

    def hvp(self, theta: Any, v: Any) -> NDArray[Any]:
        r"""Hessian-vector product :math:`\nabla^2 L(\theta)\,v`, shape of ``theta``."""
        return kernels_of(self).hvp(theta, v)

    def fingerprint(self) -> str:
        """SHA-256 of the loss expression and the parameter order (``sympy.srepr``)."""
        import hashlib

        import sympy

        text = repr(("LossModel", sympy.srepr(self.expr), tuple(str(p) for p in self.params)))
        return hashlib.sha256(text.encode()).hexdigest()

    def __repr__(self) -> str:
        return f"LossModel({self.name!r}, params={self.params})"
