r"""Two-dimensional slices of the basins of GD outcomes (docs/math/claims.md#c6,
docs/math/claims.md#c8).

:func:`basin_slice` runs the engine from every point of a grid in the plane
:math:`\{c + a u + b v\}` and records the outcome, the period and the limit sharpness of each run.
Defaults: for a linear network with a manifold of minima, :math:`c` is a flattest (balanced)
minimum, :math:`u` a unit tangent direction of M at :math:`c` (a null vector of
:math:`J = \partial\operatorname{vec}W/\partial\theta`) and :math:`v` the sharpest normal
direction (top eigenvector of :math:`H(c)`, C3); for 2-parameter models the coordinate plane
through the origin.

Each converged or periodic run is also labelled by the attractor it reached
(:func:`label_attractors`, as Attractors.jl labels basins): the distinct connected pieces of the
minima reached, the saddles, the cycles.  For linear networks whose residual
:math:`r(\theta) = W_N\cdots W_1\Sigma_{xx} - \Sigma_{yx}` is a scalar (:math:`d_0 = d_N = 1`,
e.g. scalar networks), M is the zero set of :math:`r` and its trace on the slice is stored as
the field :attr:`BasinSlice.minima_level` (draw it as the contour :math:`r = 0`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._results import ResultMixin, jsonable, plotted_by
from .._types import Model
from .._validation import check_int, check_positive_float, describe
from ..errors import InvalidParameterError
from ..numeric.engine.cost import warn_if_long
from ..numeric.engine.outcomes import OUTCOME_NAMES, Outcome
from ..numeric.engine.run import EngineConfig, run_gd, with_optimizer
from ..numeric.kernels import numeric_model

__all__ = ["Attractor", "BasinSlice", "basin_slice", "default_plane", "label_attractors"]

Array = NDArray[Any]


@dataclass(frozen=True, eq=False)
class Attractor:
    r"""One attractor reached on a basin slice (as Attractors.jl labels basins).

    Attributes
    ----------
    label : int
        Its value in :attr:`BasinSlice.attractor`.
    kind : str
        ``"minimum"`` (a connected piece of the set of minima reached), ``"saddle"`` (converged
        to a non-minimal critical point) or ``"cycle"`` (a periodic orbit).
    period : int
        1 for fixed points, the period of a cycle.
    point : ndarray (P,)
        A representative limit (for a cycle: its lexicographically smallest point).
    n_points : int
        Grid points whose run reached it.
    component : str
        For minima of a linear network: the group of components of M, e.g.
        ``"component (+, -, -) of M"`` for a scalar network; empty otherwise.
    """

    label: int
    kind: str
    period: int
    point: Array
    n_points: int
    component: str = ""

    @property
    def name(self) -> str:
        """Legend text, e.g. ``minimum near (1, 1)`` or ``period-2 cycle near (...)``."""
        if self.component:
            return f"minima: {self.component}"
        if self.point.size == 0:  # a group of cells, not one attractor (e.g. "not diverged")
            return self.kind
        what = {"minimum": "minimum", "saddle": "saddle", "fixed point": "fixed point"}.get(
            self.kind, f"period-{self.period} cycle"
        )
        if self.point.size <= 3:
            tiny = 1e-3 * max(1.0, float(np.max(np.abs(self.point))))
            where = ", ".join("0" if abs(x) < tiny else f"{x:.3g}" for x in self.point)
            return f"{what} near ({where})"
        return f"{what} #{self.label + 1} (|θ| = {np.linalg.norm(self.point):.3g})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "kind": self.kind,
            "period": self.period,
            "point": jsonable(self.point),
            "n_points": self.n_points,
            "component": self.component,
            "name": self.name,
        }


def _clusters(points: Array, eps: float) -> NDArray[np.int64]:
    """Single-linkage clusters of ``points`` at scale ``eps``, numbered by decreasing size: cells
    of side eps/2 are joined when they touch (their indices differ by at most 1 in every
    coordinate), so points closer than eps/2 in every coordinate always share a cluster, in any
    dimension (joining by the Euclidean distance of the centres would split a tight cluster
    that straddles cell faces in many coordinates at once)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    if points.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    h = eps / 2.0
    cells, inv = np.unique(np.floor(points / h).astype(np.int64), axis=0, return_inverse=True)
    inv = np.asarray(inv).ravel()
    centres = (cells + 0.5) * h
    pairs = cKDTree(centres).query_pairs(r=h * (1 + 1e-9), p=np.inf, output_type="ndarray")
    m = cells.shape[0]
    graph = coo_matrix((np.ones(pairs.shape[0]), (pairs[:, 0], pairs[:, 1])), shape=(m, m))
    _, lab = connected_components(graph, directed=False)
    per_point = lab[inv]
    sizes = np.bincount(per_point)
    order = np.argsort(-sizes, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return np.asarray(rank[per_point], dtype=np.int64)


def _square_layers(model: Any) -> list[int] | None:
    r"""For a linear network: the layers :math:`W_i` that are :math:`k 	imes k` with
    :math:`k = \min(d_0, d_N)` (invertible on M, so the sign of :math:`\det W_i` is constant on
    every component of M); None for other models."""
    from ..models import LinearNetwork

    if not isinstance(model, LinearNetwork):
        return None
    k = min(model.widths[0], model.widths[-1])
    return [i for i, (a, b) in enumerate(model.layer_shapes) if a == b == k]


def _det_signs(model: Any, pts: Array, layers: list[int]) -> NDArray[np.bool_]:
    """Sign bits of det W_i (i in ``layers``) at each point, shape (n, len(layers))."""
    Ws = model.unflatten(pts)
    if not layers:
        return np.zeros((pts.shape[0], 1), dtype=bool)
    return np.stack([np.linalg.det(Ws[i]) < 0 for i in layers], axis=1)


def _component_text(model: Any, key: NDArray[np.bool_], layers: list[int]) -> str:
    signs = "(" + ", ".join("-" if b else "+" for b in key) + ")"
    if model.is_scalar:
        return f"component {signs} of M"
    if not layers:
        return "M (one piece: no square layer)"
    which = ", ".join(f"W_{i + 1}" for i in layers)
    return f"det signs {signs} of {which} on M"


def _by_key(keys: Array) -> NDArray[np.int64]:
    """Cluster numbers of rows with equal ``keys``, numbered by decreasing size."""
    _, inv, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    inv = np.asarray(inv).ravel()
    order = np.argsort(-counts, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return np.asarray(rank[inv], dtype=np.int64)


def _cycle_keys(model: Any, theta: Array, period: Array, lr: float) -> Array:
    """Phase-independent point of each periodic run: the lexicographically smallest iterate of
    its orbit (``theta`` is one point of the orbit)."""
    m = numeric_model(model)
    out = theta.copy()
    for p in np.unique(period):
        rows = np.flatnonzero(period == p)
        cur = theta[rows].copy()
        best = cur.copy()
        for _ in range(int(p) - 1):
            cur = cur - lr * np.asarray(m.gradient(cur), dtype=np.float64)
            smaller = np.zeros(rows.size, dtype=bool)
            undecided = np.ones(rows.size, dtype=bool)
            for j in range(cur.shape[1]):  # lexicographic comparison, column by column
                lt = undecided & (cur[:, j] < best[:, j] - 1e-12)
                gt = undecided & (cur[:, j] > best[:, j] + 1e-12)
                smaller |= lt
                undecided &= ~(lt | gt)
            best[smaller] = cur[smaller]
        out[rows] = best
    return out


def label_attractors(
    model: Any,
    theta: Array,
    outcome: Array,
    at_minimum: Array,
    period: Array,
    lr: float,
    eps: float | None = None,
) -> tuple[NDArray[np.int64], tuple[Attractor, ...]]:
    r"""Label every run by the attractor it reached (``-1``: diverged, bounded or undecided).

    Converged runs ending at minima, converged runs ending at saddles and periodic runs are
    clustered separately by their limits (single linkage at scale ``eps``, default
    :math:`0.05\max(1, \text{median}\lVert\theta_\infty\rVert)`), so the distinct connected
    pieces of the minima reached (e.g. the two branches of :math:`xy = 1`, or the minima
    :math:`\pm(1, 1)` of a 2-D loss), the saddles and the cycles get labels of their own.
    For linear networks minima are not clustered by distance (M is a continuum, and the limits
    reached need not be close to each other): they are grouped by an invariant of the
    components of M, the signs of :math:`\det W_i` of the square :math:`k \times k` layers,
    :math:`k = \min(d_0, d_N)` (invertible on M).  For scalar networks these are the signs of
    the weights and label the connected components of M exactly; a network without square
    layers gets one group for all its minima.
    """
    n = theta.shape[0]
    labels = np.full(n, -1, dtype=np.int64)
    conv = outcome == Outcome.CONVERGED.code
    per = outcome == Outcome.PERIODIC.code
    groups = [("minimum", conv & at_minimum), ("saddle", conv & ~at_minimum), ("cycle", per)]
    reached = conv | per
    if eps is None:
        norms = np.linalg.norm(theta[reached], axis=1) if reached.any() else np.ones(1)
        eps = 0.05 * max(1.0, float(np.median(norms)))
    attractors: list[Attractor] = []
    for kind, mask in groups:
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            continue
        pts = theta[idx]
        if kind == "cycle":
            pts = _cycle_keys(model, pts, period[idx], lr)
            # cycles of different periods never share a label
            pts = np.hstack([pts, 1e3 * eps * period[idx, None].astype(np.float64)])
        layers = _square_layers(model) if kind == "minimum" else None
        keys = None if layers is None else _det_signs(model, pts, layers)
        if keys is not None:
            cl = _by_key(keys)
        else:
            cl = _clusters(pts, eps)
        for c in range(int(cl.max()) + 1):
            members = idx[cl == c]
            mem_pts = pts[cl == c][:, : theta.shape[1]]
            centre = np.median(mem_pts, axis=0)
            rep = mem_pts[int(np.argmin(np.linalg.norm(mem_pts - centre, axis=1)))]
            lab = len(attractors)
            labels[members] = lab
            attractors.append(
                Attractor(
                    label=lab,
                    kind=kind,
                    period=int(period[members[0]]) if kind == "cycle" else 1,
                    point=rep.copy(),
                    n_points=int(members.size),
                    component=""
                    if keys is None or layers is None
                    else _component_text(model, keys[cl == c][0], layers),
                )
            )
    return labels, tuple(attractors)


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
    attractor : ndarray of int64, shape (len(b), len(a))
        Index into ``attractors`` of the attractor each run reached (-1: diverged, bounded or
        undecided).
    attractors : tuple of Attractor
        The attractors reached: minima first, then saddles, then cycles, each by decreasing
        number of grid points.
    minima_level : ndarray or None
        Signed scalar residual :math:`r` on the grid ``level_a`` x ``level_b`` of the slice
        (M is :math:`\{r = 0\}`); None where M is not the zero set of one function.
    level_a, level_b : ndarray or None
        The grid of ``minima_level`` (finer than the basin grid).
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
    attractor: Array | None = None
    attractors: tuple[Attractor, ...] = ()
    minima_level: Array | None = None
    level_a: Array | None = None
    level_b: Array | None = None

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
                *(f"  attractor {t.label}: {t.name}, {t.n_points} points" for t in self.attractors),
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def _table_(self) -> dict[str, Any]:
        """``to_pandas()``: one row per grid point (a, b, outcome, attractor, ...)."""
        A, B = np.meshgrid(self.a, self.b)
        cols: dict[str, Any] = {
            "a": A.ravel(),
            "b": B.ravel(),
            "outcome": [OUTCOME_NAMES[int(c)] for c in self.outcome.ravel()],
            "period": self.period.ravel(),
            "sharpness": self.sharpness.ravel(),
            "at_minimum": self.at_minimum.ravel(),
        }
        if self.attractor is not None:
            cols["attractor"] = self.attractor.ravel()
        return cols

    plot = plotted_by("plot_basin_slice")


def default_plane(model: Any) -> tuple[Array, Array, Array]:
    """Default ``(center, u, v)`` (see module docstring)."""
    from ..models import LinearNetwork

    m = numeric_model(model)
    P = int(m.n_params)
    if isinstance(model, LinearNetwork):
        model.require_minima()
        try:
            from ..numeric.landscape.sharpness import flattest_minimum

            c = np.asarray(flattest_minimum(model).point, dtype=np.float64).ravel()
        except ImportError:  # pragma: no cover - sharpness module missing
            from ..numeric.landscape.manifold import project_to_minima

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
    model: Model,
    lr: float,
    *,
    center: Any = None,
    u: Any = None,
    v: Any = None,
    extent: float | tuple[float, float] = 1.0,
    resolution: int = 101,
    config: EngineConfig | None = None,
    optimizer: Any = None,
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
    optimizer : Optimizer, optional
        The map that is iterated (default GD); its buffers start at zero at every grid point.

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
    if config is not None and not isinstance(config, EngineConfig):  # checked before adding
        raise InvalidParameterError(
            f"config must be an EngineConfig or None; got {describe(config)}"
        )
    config = with_optimizer(config, optimizer)  # the plane is in theta; buffers start at zero
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
    warn_if_long(model, res * res, f"the basin slice of {res} x {res} points", config=config)
    rb = run_gd(model, theta0, eta, config=config)
    shape = (res, res)
    labels, attractors = label_attractors(
        model, rb.theta, rb.outcome, rb.at_minimum, rb.period, eta
    )
    level_a, level_b, level = _minima_level(model, c, uu, vv, ea, eb, res)
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
        attractor=labels.reshape(shape),
        attractors=attractors,
        minima_level=level,
        level_a=level_a,
        level_b=level_b,
    )


def _minima_level(
    model: Any, c: Array, u: Array, v: Array, ea: float, eb: float, res: int
) -> tuple[Array | None, Array | None, Array | None]:
    """The signed residual on a fine grid of the slice when M is its zero set (else Nones)."""
    from ..models import LinearNetwork

    if not isinstance(model, LinearNetwork) or model.widths[0] * model.widths[-1] != 1:
        return None, None, None
    n = int(min(max(2 * res, 201), 601))
    a = np.linspace(-ea, ea, n)
    b = np.linspace(-eb, eb, n)
    A, B = np.meshgrid(a, b)
    pts = c[None, :] + A.reshape(-1, 1) * u[None, :] + B.reshape(-1, 1) * v[None, :]
    kern = numeric_model(model)
    r = np.asarray(kern.residual(pts), dtype=np.float64).reshape(n, n)  # type: ignore[attr-defined]
    return a, b, r
