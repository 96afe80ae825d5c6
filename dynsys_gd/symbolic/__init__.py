"""Symbolic layer: the GD map, gradient, Hessian, Jacobian and det DG of a model (sympy), and
code generation from them."""

from .derivation import Derivation, derive, linear_network_symbols

__all__ = ["Derivation", "derive", "linear_network_symbols"]
