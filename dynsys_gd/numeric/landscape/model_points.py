r"""The public ``critical_points`` for any model (docs/math/general-losses.md): a sympy loss
through its exact route and certified search
(:func:`~dynsys_gd.numeric.landscape.critical_points.critical_points`), any other model of the
protocol through the float64 search of
:func:`~dynsys_gd.numeric.landscape.protocol_critical.protocol_critical_points` (numerical, not
certified).  It sits above both modules, which the protocol search builds on."""

from __future__ import annotations

from typing import Any

from ..._types import LearningRate
from ...models import LossModel
from ...models.protocol import Model
from .critical_points import critical_points as symbolic_critical_points
from .critical_results import CriticalPointsResult
from .protocol_critical import critical_points_of_protocol, is_protocol_model

__all__ = ["critical_points"]


def critical_points(
    model: LossModel | Model,
    box: Any,
    *,
    lr: LearningRate | None = None,
    method: str = "auto",
    n_starts: int = 64,
    seed: int | None = 0,
    dps: int = 50,
    exact_timeout: float = 10.0,
) -> CriticalPointsResult:
    r"""Critical points of a model in a box, each with its spectrum and class (C3, C6, C9).

    Parameters
    ----------
    model : LossModel or Model
        A sympy loss: exact route and certified search, see
        :func:`~dynsys_gd.numeric.landscape.critical_points.critical_points`.  A model given
        only through the model protocol (a user's class, a
        :class:`~dynsys_gd.models.JaxModel`, an MLP: no symbolic form) is searched in float64
        and every point is *numerical, not certified*
        (:func:`~dynsys_gd.numeric.landscape.protocol_critical.protocol_critical_points`).
    box : float, (lo, hi) or sequence of P pairs
        Search region: ``s`` means :math:`[-s, s]^P`.
    lr : float, optional
        Learning rate :math:`\eta` for the class of each fixed point of :math:`G_\eta`.
    method : {"auto", "exact", "search"}
        As for a sympy loss; for a model of the protocol "auto" and "search" are the float64
        search and "exact" is refused.
    n_starts, seed : int, int or None
        Seeded uniform starts of the search.
    dps, exact_timeout : int, float
        Digits of the refinement and CPU budget of the exact route (a sympy loss only; checked
        for every model).

    Returns
    -------
    CriticalPointsResult
        ``complete`` says whether the list is proved complete in the box (never for a model of
        the protocol: its ``method`` and every point's certificate say "numerical, not
        certified").

    Raises
    ------
    InvalidParameterError
        If the model is neither a LossModel nor a model of the protocol, or for bad settings.

    Examples
    --------
    >>> import numpy as np
    >>> class Bowl:
    ...     n_params = 2
    ...     def loss(self, t): return 0.5 * np.sum(np.asarray(t)**2 * [1.0, 3.0], axis=-1)
    ...     def gradient(self, t): return np.asarray(t) * [1.0, 3.0]
    ...     def hessian(self, t):
    ...         return np.broadcast_to(np.diag([1.0, 3.0]), (*np.shape(t)[:-1], 2, 2))
    ...     def hvp(self, t, v): return np.asarray(v) * [1.0, 3.0]
    ...     def fingerprint(self): return "bowl"
    >>> res = critical_points(Bowl(), 2.0)
    >>> [(p.kind.name, p.sharpness, p.certificate.split(":")[0]) for p in res]
    [('MINIMUM', 3.0, 'numerical, not certified')]
    """
    if is_protocol_model(model):  # no symbolic form: the float64 search, numerical
        return critical_points_of_protocol(
            model, box, lr=lr, method=method, n_starts=n_starts, seed=seed, dps=dps,
            exact_timeout=exact_timeout,
        )  # fmt: skip
    return symbolic_critical_points(
        model,  # type: ignore[arg-type]
        box,
        lr=lr,
        method=method,
        n_starts=n_starts,
        seed=seed,
        dps=dps,
        exact_timeout=exact_timeout,
    )
