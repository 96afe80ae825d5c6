"""Models: what is studied (linear networks, sympy losses, MLPs), loss conventions, data sets.

Importing this package does no sympy work.
"""

from .conventions import CONVENTIONS, convention_factor, convert_lr
from .fingerprint import model_fingerprint, model_label
from .linear import LinearNetwork
from .loss import LossModel
from .mlp import MLP

__all__ = [
    "CONVENTIONS",
    "MLP",
    "LinearNetwork",
    "LossModel",
    "convention_factor",
    "convert_lr",
    "model_fingerprint",
    "model_label",
]
