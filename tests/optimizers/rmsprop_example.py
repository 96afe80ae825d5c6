"""A worked example of a new optimiser in one file: RMSProp without momentum,

    v' = rho v + (1 - rho) g^2,    theta' = theta - eta g / (sqrt(v') + eps).

Registering it is one line: ``REGISTRY[RMSProp.name] = RMSProp``.  Its update rule is rendered
into the compiled kernels and the numpy reference path like the built-in optimisers."""

from __future__ import annotations

from typing import Any

import numpy as np

from dynsys_gd.optimizers import Optimizer, UpdateRule
from dynsys_gd.optimizers._checks import check_beta


class RMSProp(Optimizer):
    """RMSProp (Hinton's lecture notes): a running mean of squared gradients divides the step."""

    name = "rmsprop"
    n_buffers = 1

    def __init__(self, rho: float = 0.9, eps: float = 1e-8) -> None:
        self.rho = check_beta("rho", rho)
        self.eps = float(eps)

    def tested_rows(self, P: int) -> int:
        return self.state_size(P)  # v has its own dynamics

    def rule(self) -> UpdateRule:
        return UpdateRule(
            coord=(
                ("vt", "op[0] * {B0} + op[1] * ({G} * {G})"),
                ("B0", "vt"),
                ("T", "{T} - {E} * ({G} / (sqrt(vt) + op[2]))"),
            )
        )

    def constants(self, P: int) -> Any:
        return np.array([self.rho, 1.0 - self.rho, self.eps])

    def state_jacobian(self, hessian: Any, state: Any, lr: float, grad: Any) -> Any:
        raise NotImplementedError("not differentiable at v = 0, like live Adam")

    def threshold(self) -> None:
        return None

    def settings(self) -> dict[str, Any]:
        return {"rho": self.rho, "eps": self.eps}
