"""Stable identifiers of models (used to key stored results)."""

from __future__ import annotations

from typing import Any


def model_fingerprint(model: Any) -> str:
    """A stable identifier of a model's loss: ``model.fingerprint()`` where the model defines
    it (linear networks, sympy losses, MLPs), else its ``repr``."""
    fp = getattr(model, "fingerprint", None)
    return str(fp()) if callable(fp) else repr(model)
