r"""Models given by an arbitrary sympy loss (claim C9)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._validation import describe
from ..errors import InvalidParameterError


class LossModel:
    r"""A model defined by an arbitrary sympy loss :math:`L(\theta)` (MATH.md §4, C9).

    Parameters
    ----------
    loss : sympy.Expr
        A real expression whose free symbols are all among ``params``.
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
        self.loss = loss
        self.params = ps
        self.name = name or str(loss)
        self._cache: dict[str, Any] = {}

    @property
    def n_params(self) -> int:
        """Number of parameters."""
        return len(self.params)

    @property
    def is_polynomial(self) -> bool:
        """Whether the loss is a polynomial in the parameters."""
        return bool(self.loss.is_polynomial(*self.params))

    def fingerprint(self) -> str:
        """SHA-256 of the loss expression and the parameter order (``sympy.srepr``)."""
        import hashlib

        import sympy

        text = repr(("LossModel", sympy.srepr(self.loss), tuple(str(p) for p in self.params)))
        return hashlib.sha256(text.encode()).hexdigest()

    def __repr__(self) -> str:
        return f"LossModel({self.name!r}, params={self.params})"
