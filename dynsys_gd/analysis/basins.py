r"""Two-dimensional slices of the basins of GD outcomes (MATH.md C6, C8).

:func:`basin_slice` runs the engine from every point of a grid in the plane
:math:`\{c + a u + b v\}` and records the outcome, the period and the limit sharpness of each run.
Defaults: for a linear network with a manifold of minima, :math:`c` is a flattest (balanced)
minimum, :math:`u` a unit tangent direction of M at :math:`c` (a null vector of
:math:`J = \partial\operatorname{vec}W/\partial\theta`) and :math:`v` the sharpest normal
direction (top eigenvector of :math:`H(c)`, C3); for 2-parameter models the coordinate plane
through the origin.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._results import ResultMixin, jsonable
from .._validation import check_int, check_positive_float, describe
from ..errors import InvalidParameterError
from ..numeric.engine import EngineConfig, run_gd
from ..numeric.kernels import numeric_model
from ..numeric.outcomes import OUTCOME_NAMES, Outcome

__all__ = ["BasinSlice", "basin_slice", "default_plane"]

Array = NDArray[Any]


@dataclass(frozen=True, eq=False)
class BasinSlice(ResultMixin):
    r"""Outcomes of GD on a grid in the plane :math:`c + a u + b v`.

    Attributes
    ----------
    a, b : ndarray
        Grid coordinates along ``u`` (columns) and ``v`` (rows).
    outcome : ndarray of int8, shape (len(b), len(a))
        :attr:`Outcome.code` of the run started at ``center + a[j] u + b[i] v``.
    period : ndarray of int64
        Period of periodic runs, else 0.
    sharpness : ndarray
        :math:`\lambda_{\max}(H)` at the limit of converged runs, else 0.0.
    at_minimum : ndarray of bool
        Converged to a minimum (not a saddle).
    center, u, v : ndarray (P,)
        The plane.
    lr : float
        Step size.
    """

    a: Array
    b: Array
    outcome: Array
    period: Array
    sharpness: Array
    at_minimum: Array
    center: Array
    u: Array
    v: Array
    lr: float

    def counts(self) -> dict[str, int]:
        """Number of grid points per outcome key."""
        c = np.bincount(self.outcome.ravel().astype(np.int64), minlength=len(OUTCOME_NAMES))
        return {k: int(c[i]) for i, k in enumerate(OUTCOME_NAMES)}

    @property
    def converged_fraction(self) -> float:
        """Fraction of grid points whose run converged."""
        return float(np.mean(self.outcome == Outcome.CONVERGED.code))

    def __repr__(self) -> str:
        return (
            f"BasinSlice({self.outcome.shape[0]}x{self.outcome.shape[1]} grid, "
            f"lr={self.lr:g}, converged={self.converged_fraction:.3f})"
        )

    def summary(self) -> str:
        c = self.counts()
        return "\n".join(
            [
                f"Basin slice at lr = {self.lr:.6g}: grid {self.outcome.shape[1]} x "
                f"{self.outcome.shape[0]}, a in [{self.a[0]:g}, {self.a[-1]:g}], b in "
                f"[{self.b[0]:g}, {self.b[-1]:g}]",
                "  " + ", ".join(f"{k} {v}" for k, v in c.items()),
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}


def default_plane(model: Any) -> tuple[Array, Array, Array]:
    """Default ``(center, u, v)`` (see module docstring)."""
    from ..models import LinearNetwork

    m = numeric_model(model)
    P = int(m.n_params)
    if isinstance(model, LinearNetwork):
        model.require_manifold()
        try:
            from ..numeric.sharpness import flattest_minimum

            c = np.asarray(flattest_minimum(model).point, dtype=np.float64).ravel()
        except ImportError:  # pragma: no cover - sharpness module missing
            from ..numeric.manifold import project_to_minima

            c, _ = project_to_minima(model, np.ones(P))
        J = np.asarray(m.jacobian_of_product(c[None, :])[0])  # type: ignore[attr-defined]
        _, sv, Vt = np.linalg.svd(J)
        rank = int(np.sum(sv > 1e-10 * max(1.0, sv[0])))
        if rank < P:
            u = Vt[rank]
        else:  # pragma: no cover - M has positive dimension for depth >= 2
            u = np.eye(P)[0]
        _, V = np.linalg.eigh(np.asarray(m.hessian(c[None, :])[0]))
        v = V[:, -1]
        return c, u / np.linalg.norm(u), v / np.linalg.norm(v)
    if P == 2:
        return np.zeros(2), np.array([1.0, 0.0]), np.array([0.0, 1.0])
    raise InvalidParameterError(
        f"center, u and v must be given for a model with {P} parameters (defaults exist for "
        "linear networks and 2-parameter models)"
    )


def _vec(name: str, x: Any, P: int) -> Array:
    try:
        arr = np.asarray(x, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"{name} must be a real vector of length {P}; got {describe(x)}"
        ) from exc
    if arr.shape != (P,) or not np.all(np.isfinite(arr)):
        raise InvalidParameterError(
            f"{name} must be a finite real vector of length {P}; got {describe(x)}"
        )
    return arr


def basin_slice(
    model: Any,
    lr: float,
    *,
    center: Any = None,
    u: Any = None,
    v: Any = None,
    extent: float | tuple[float, float] = 1.0,
    resolution: int = 101,
    config: EngineConfig | None = None,
) -> BasinSlice:
    r"""Outcome of GD from every point of a grid in the plane ``center + a u + b v``.

    Parameters
    ----------
    model : LinearNetwork, LossModel or NumericModel
        The model.
    lr : float
        Step size.
    center, u, v : array_like (P,), optional
        The plane (defaults: :func:`default_plane`); each missing one takes its default.
    extent : float or (float, float)
        Half-widths of the grid along u and v: :math:`a \in [-e_a, e_a]`,
        :math:`b \in [-e_b, e_b]`.
    resolution : int
        Grid points per axis (>= 2).
    config : EngineConfig, optional
        Engine settings.

    Returns
    -------
    BasinSlice
    """
    eta = check_positive_float("lr", lr)
    res = check_int("resolution", resolution, minimum=2, maximum=2000)
    if isinstance(extent, tuple | list):
        if len(extent) != 2:
            raise InvalidParameterError(
                f"extent must be a float > 0 or a pair of them; got {describe(extent)}"
            )
        ea = check_positive_float("extent[0]", extent[0])
        eb = check_positive_float("extent[1]", extent[1])
    else:
        ea = eb = check_positive_float("extent", extent)
    if config is not None and not isinstance(config, EngineConfig):
        raise InvalidParameterError(
            f"config must be an EngineConfig or None; got {describe(config)}"
        )
    m = numeric_model(model)
    P = int(m.n_params)
    if center is None or u is None or v is None:
        c0, u0, v0 = default_plane(model)
        center = c0 if center is None else center
        u = u0 if u is None else u
        v = v0 if v is None else v
    c = _vec("center", center, P)
    uu = _vec("u", u, P)
    vv = _vec("v", v, P)
    if np.linalg.matrix_rank(np.stack([uu, vv])) < 2:
        raise InvalidParameterError("u and v must be linearly independent; got parallel vectors")
    a = np.linspace(-ea, ea, res)
    b = np.linspace(-eb, eb, res)
    A, B = np.meshgrid(a, b)
    theta0 = c[None, :] + A.reshape(-1, 1) * uu[None, :] + B.reshape(-1, 1) * vv[None, :]
    rb = run_gd(model, theta0, eta, config=config)
    shape = (res, res)
    return BasinSlice(
        a=a,
        b=b,
        outcome=rb.outcome.reshape(shape),
        period=rb.period.reshape(shape),
        sharpness=rb.sharpness.reshape(shape),
        at_minimum=rb.at_minimum.reshape(shape),
        center=c,
        u=uu,
        v=vv,
        lr=eta,
    )
