"""Stable identifiers of models (used to key stored results)."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidParameterError


def model_fingerprint(model: Any) -> str:
    """The content fingerprint of a model, ``model.fingerprint()`` (docs/models.md).

    Stored results are keyed by it, so a model without one is refused rather than keyed by its
    ``repr`` (which for an arbitrary object holds a memory address that changes every run).

    Raises
    ------
    InvalidParameterError
        ``model`` has no callable ``fingerprint``, or it returns something other than a
        non-empty str, or a str that holds a memory address (``" at 0x"``).
    """
    fp = getattr(model, "fingerprint", None)
    name = type(model).__name__
    if not callable(fp):
        raise InvalidParameterError(
            "model must have a content fingerprint (a method fingerprint() -> str that is the "
            "same for the same loss in every process) to be kept in a results store; got "
            f"{name} without one"
        )
    value = fp()
    if not isinstance(value, str) or not value or " at 0x" in value:
        raise InvalidParameterError(
            "model.fingerprint() must return a non-empty str that depends only on the loss (no "
            f"memory address); got {value!r} from {name}"
        )
    return value


def model_label(model: Any) -> str:
    """A readable, stable label of a model for stored configurations: the ``repr`` of the
    built-in kinds (content-based), else the class's qualified name (the fingerprint carries
    the content)."""
    from .linear import LinearNetwork
    from .loss import LossModel
    from .mlp import MLP

    if isinstance(model, LinearNetwork | LossModel | MLP):
        return repr(model)
    cls = type(model)
    return f"{cls.__module__}.{cls.__qualname__}"
