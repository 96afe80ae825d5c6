"""The model of a :func:`~dynsys_gd.analysis.stability.stability_analysis` call: a depth (the
scalar network), a LinearNetwork, a LossModel or any other model of the protocol
(:class:`~dynsys_gd.models.protocol.Model`), with the deprecated ``network=`` alias."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._validation import check_int, check_target, describe
from ..errors import InvalidParameterError
from ..models import LinearNetwork, LossModel
from ..models.protocol import MODEL_MEMBERS, missing_model_methods

#: "not given" for ``target`` (None is not a valid target, but it is a value)
_UNSET: Any = object()


def _resolve_model(model_or_depth: Any, network: Any, target: Any) -> Any:
    """The model of a call: a depth (scalar network), a LinearNetwork, a LossModel or a model
    of the protocol."""
    if network is not None:
        warnings.warn(
            "stability_analysis(depth, lr, network=net) is deprecated; pass the network first: "
            "stability_analysis(net, lr)",
            DeprecationWarning,
            stacklevel=3,
        )
        if not isinstance(network, LinearNetwork):
            raise InvalidParameterError(
                f"network must be a LinearNetwork or None; got {type(network).__name__}"
            )
        if model_or_depth is not None:
            if isinstance(model_or_depth, LinearNetwork | LossModel):
                raise InvalidParameterError(
                    "network must not be given together with a model as first argument; got "
                    f"both {model_or_depth!r} and network={network!r}"
                )
            depth = check_int("depth", model_or_depth, minimum=1)
            if depth != network.depth:
                raise InvalidParameterError(
                    f"depth must be None or equal to network.depth = {network.depth}; got {depth}"
                )
        return network  # the deprecated alias keeps its old meaning: target is ignored
    if isinstance(model_or_depth, LinearNetwork | LossModel):
        if target is not _UNSET:
            raise InvalidParameterError(
                "target applies to a depth (scalar network) only; got target="
                f"{target!r} with a {type(model_or_depth).__name__}"
            )
        return model_or_depth
    if not isinstance(model_or_depth, int | np.integer | bool | np.bool_) and not (
        missing_model_methods(model_or_depth, MODEL_MEMBERS[:5])
    ):  # any other model of the protocol: the numerical path (not certified)
        if target is not _UNSET:
            raise InvalidParameterError(
                "target applies to a depth (scalar network) only; got target="
                f"{target!r} with a {type(model_or_depth).__name__}"
            )
        return model_or_depth
    if (
        model_or_depth is None
        or isinstance(model_or_depth, bool | np.bool_)
        or not isinstance(model_or_depth, int | np.integer)
    ):
        raise InvalidParameterError(
            "model_or_depth must be a depth (an int >= 1), a LinearNetwork, a LossModel or a "
            "model of the protocol dynsys_gd.Model (n_params, loss, gradient, hessian, hvp); "
            f"got {describe(model_or_depth)}"
        )
    depth = check_int("depth", model_or_depth, minimum=1)
    y = check_target(1.0 if target is _UNSET else target)
    return LinearNetwork.scalar(depth, y)
