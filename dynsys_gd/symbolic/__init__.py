"""Symbolic layer: models and their GD derivations (sympy)."""

from .derivation import Derivation, derive, linear_network_symbols
from .models import CONVENTIONS, LinearNetwork, LossModel, convention_factor, convert_lr

__all__ = [
    "CONVENTIONS",
    "Derivation",
    "LinearNetwork",
    "LossModel",
    "convention_factor",
    "convert_lr",
    "derive",
    "linear_network_symbols",
]
