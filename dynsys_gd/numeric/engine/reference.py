"""The numpy reference path of :func:`~dynsys_gd.numeric.engine.run_gd` for any optimiser
(:mod:`~dynsys_gd.numeric.engine.gd_numpy`), shared by the runs and the replay of recorded runs."""

from __future__ import annotations

from typing import Any

from numpy.typing import NDArray

__all__: list[str] = []

Array = NDArray[Any]


def _run_reference(
    model: Any,
    kernel: Any,
    opt: Any,
    state0: Array,
    lrs: Array,
    ci: Array,
    cf: Array,
    *,
    exact: bool,
    hook: Any = None,
) -> dict[str, Array]:
    """The numpy reference path for any optimiser (bit-identical to the compiled one for models
    with a kernel)."""
    from .gd_numpy import column_gradient, run_numpy

    grad = column_gradient(model, kernel)
    if opt.is_gd:
        return run_numpy(grad, state0, lrs, ci, cf, hook=hook, exact=exact)
    from ...optimizers._render import numpy_point, numpy_step

    P = int(ci[7])
    return run_numpy(
        grad,
        state0,
        lrs,
        ci,
        cf,
        hook=hook,
        exact=exact,
        step=numpy_step(opt, P),
        point=numpy_point(opt, P),
    )
