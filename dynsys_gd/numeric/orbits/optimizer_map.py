r"""The map an optimiser iterates on a model, as an :class:`~dynsys_gd.models.IteratedMap` whose
parameter is the step size :math:`\eta` (docs/math/optimizers.md).

The state is the optimiser's full state (:math:`\theta` and its buffers); the Jacobian is the
optimiser's state Jacobian with the model's Hessian at the gradient point.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...models.iterated_map import IteratedMap
from ...optimizers import Optimizer, check_optimizer
from ..kernels import numeric_model

__all__ = ["layer_sizes", "optimizer_map", "optimizer_system"]


def layer_sizes(model: Any) -> tuple[int, ...] | None:
    """Parameters per layer of a model (None when it has no layers: one per parameter)."""
    sizes = getattr(model, "layer_sizes", None)
    if sizes is not None:
        return tuple(int(s) for s in (sizes() if callable(sizes) else sizes))
    widths = getattr(model, "widths", None)
    if widths is not None:
        w = [int(x) for x in widths]
        bias = bool(getattr(model, "bias", False))
        return tuple(w[k + 1] * w[k] + (w[k + 1] if bias else 0) for k in range(len(w) - 1))
    return None


def bound_optimizer(model: Any, optimizer: Any) -> Optimizer:
    """``optimizer`` (None: GD) bound to the model's parameters and layers."""
    opt = check_optimizer(optimizer)
    m = numeric_model(model)
    return opt.bind(int(m.n_params), layer_sizes(model))


def optimizer_map(model: Any, optimizer: Any = None) -> IteratedMap:
    r"""The optimiser's map :math:`F_\eta` on the model as an IteratedMap ``f(state, lr)``.

    Examples
    --------
    >>> import numpy as np
    >>> import dynsys_gd as dg
    >>> from dynsys_gd.numeric.orbits.optimizer_map import optimizer_map
    >>> F = optimizer_map(dg.LinearNetwork.scalar(depth=2, target=1.0), dg.HeavyBall(0.5))
    >>> F.dim  # (w1, w2, m1, m2)
    4
    >>> F.step(np.array([1.0, 1.0, 0.0, 0.0]), 0.1).tolist()  # a fixed point stays
    [1.0, 1.0, 0.0, 0.0]
    """
    opt = bound_optimizer(model, optimizer)
    m = numeric_model(model)
    P = int(m.n_params)

    def grad(y: Any) -> Any:
        return m.gradient(np.asarray(y, dtype=np.float64).reshape(-1, P))

    def f(x: Any, lr: float) -> Any:
        arr = np.asarray(x, dtype=np.float64)
        flat = arr.reshape(-1, arr.shape[-1])
        return opt.step(grad, flat, lr).reshape(arr.shape)

    def jac(x: Any, lr: float) -> Any:
        arr = np.asarray(x, dtype=np.float64)
        flat = arr.reshape(-1, arr.shape[-1])
        y = opt.gradient_point(flat)
        H = m.hessian(y)
        J = opt.state_jacobian(H, flat, lr, m.gradient(y))
        return np.asarray(J).reshape(*arr.shape, arr.shape[-1])

    name = f"{type(model).__name__} under {opt!r}"
    return IteratedMap(f, opt.state_size(P), jac, name=name)


def optimizer_system(
    model: Any, lr: float | None, theta0: Any, optimizer: Any
) -> tuple[Any, float | None, Any]:
    r"""``(system, lr, start)`` for the orbit tools: the model itself for GD (unchanged), else
    the optimiser's map at step size ``lr`` as a map system on the optimiser's state, with
    ``theta0`` (parameters) extended by the optimiser's initial buffers."""
    if optimizer is None or check_optimizer(optimizer).is_gd:
        return model, lr, theta0
    opt = check_optimizer(optimizer)
    opt.require_autonomous("an orbit analysis")
    if lr is None:
        from ...errors import InvalidParameterError

        raise InvalidParameterError("lr must be given with an optimizer; got None")
    system = optimizer_map(model, opt).at(float(lr))
    th = np.asarray(theta0, dtype=np.float64)
    P = int(numeric_model(model).n_params)
    start = bound_optimizer(model, opt).init_state(th) if th.shape[-1] == P else th
    return system, None, start
