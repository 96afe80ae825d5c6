r"""Critical points of deep linear networks: points of the minima manifold M and saddles.

Fixed points of the GD map :math:`G_\eta` are the critical points of L (docs/math/gd-map.md).  For a
linear network :math:`W(\theta) = W_N \cdots W_1` with :math:`\Sigma_{xx} \succ 0`:

* **Minima** (C2): :math:`M = \{\theta : W(\theta) = W^*\}`.  With the SVD
  :math:`W^* = U \operatorname{diag}(s) V^\top` (rank r), the *balanced* minimum is
  :math:`W_1 = E\, s^{1/N} V^\top`, :math:`W_i = E\, s^{1/N} E^\top`,
  :math:`W_N = U s^{1/N} E^\top` (E pads with zeros), so that
  :math:`W_{i+1}^\top W_{i+1} = W_i W_i^\top`.  The symmetry
  :math:`W_{i+1} \to W_{i+1} G_i^{-1}`, :math:`W_i \to G_i W_i` (:math:`G_i` invertible) keeps W
  and moves along M; :func:`random_minima` uses it with a rescaling parameter to move far along
  M (where the sharpness grows, C4).
* **Saddles**: for an index set I of eigenvectors of
  :math:`\Sigma_{yx}\Sigma_{xx}^{-1}\Sigma_{xy}` with spectral projector :math:`P_I`,
  :math:`W_I = P_I W^*` realised as a balanced product of rank :math:`|I| < r` is a critical
  point (:math:`(I - P_I)\Sigma_{yx}\Sigma_{xx}^{-1}\Sigma_{xy}P_I = 0` kills every gradient
  block).  Whitened data: :math:`W_I` is a truncation of the SVD of :math:`W^*`; :math:`I =
  \emptyset` is the origin.  Scalar networks additionally have the saddles with exactly two zero
  weights (strict, Hessian eigenvalues :math:`\pm y \prod_{\text{others}} w`).

Refinement: float64 through :func:`~dynsys_gd.numeric.landscape.manifold.project_to_minima` /
:func:`~dynsys_gd.numeric.landscape.manifold.minimum_norm_newton`, high precision through
:func:`refine_mp` (mpmath at ``dps`` digits, gradient norm :math:`< 10^{-(dps-5)}`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._streams import generator
from ..._validation import check_int, check_real, check_seed
from ...errors import InvalidParameterError
from ...models import LinearNetwork
from ..kernels import numeric_model
from .manifold import minimum_norm_newton, project_to_minima, project_to_minima_mp

__all__ = [
    "CriticalPoint",
    "balanced_factorisation",
    "balanced_minimum",
    "random_minima",
    "refine_mp",
    "saddle_points",
    "sample_minima",
]


def _check_net(net: Any) -> LinearNetwork:
    if not isinstance(net, LinearNetwork):
        raise InvalidParameterError(f"net must be a LinearNetwork; got {type(net).__name__}")
    return net


def balanced_factorisation(
    net: LinearNetwork, W: NDArray[np.float64], rank: int | None = None
) -> NDArray[np.float64]:
    r"""Parameters :math:`\theta` of a balanced factorisation :math:`W_N\cdots W_1 = W`.

    Uses the SVD :math:`W = U \operatorname{diag}(s) V^\top` truncated to ``rank`` (default the
    numerical rank): every layer carries :math:`s^{1/N}`, so
    :math:`W_{i+1}^\top W_{i+1} = W_i W_i^\top` (balanced).
    """
    net = _check_net(net)
    W = np.asarray(W, dtype=np.float64)
    d = net.widths
    N = net.depth
    if W.shape != (d[-1], d[0]):
        raise InvalidParameterError(f"W must have shape {(d[-1], d[0])}; got {W.shape}")
    if N == 1:
        return W.reshape(-1).copy()
    U, s, Vt = np.linalg.svd(W)
    if rank is None:
        rank = int(np.sum(s > 1e-14 * max(1.0, float(s[0]) if s.size else 1.0)))
    r = rank
    if any(h < r for h in d[1:-1]):
        raise InvalidParameterError(f"hidden widths must be >= rank {r}; got widths {d}")
    root = s[:r] ** (1.0 / N)
    layers: list[NDArray[np.float64]] = []
    for i in range(1, N + 1):
        Wi = np.zeros((d[i], d[i - 1]))
        if i == 1:
            Wi[:r, :] = root[:, None] * Vt[:r, :]
        elif i == N:
            Wi[:, :r] = U[:, :r] * root[None, :]
        else:
            Wi[:r, :r] = np.diag(root)
        layers.append(Wi)
    return np.asarray(net.flatten(layers), dtype=np.float64)


def balanced_minimum(net: LinearNetwork) -> NDArray[np.float64]:
    r"""The balanced point of M (C2, C5): every layer carries :math:`s^{1/N}` of the SVD of W*.

    Scalar networks: :math:`w_i = |w^*|^{1/N}` with the sign of :math:`w^*` on the last weight.
    With whitened data (:math:`\Sigma_{xx} = cI`) it is a flattest minimum (C5).
    """
    net = _check_net(net)
    net.require_minima()
    return balanced_factorisation(net, net.W_star)


def random_minima(
    net: LinearNetwork, n: int, *, seed: int | None = 0, spread: float = 0.5, log_scale: float = 1.0
) -> NDArray[np.float64]:
    r"""``n`` random points of M through the symmetry of the parametrisation (C2).

    Starting from the balanced minimum, each hidden layer i gets
    :math:`W_i \to G_i W_i`, :math:`W_{i+1} \to W_{i+1} G_i^{-1}` with
    :math:`G_i = e^{c_i} \exp(A_i)`, :math:`A_i` Gaussian with std ``spread`` and
    :math:`c_i \sim U[-\text{log\_scale}, \text{log\_scale}]` (the rescaling that moves far
    along M).  The points are then projected back onto M (Gauss–Newton) to remove round-off.

    Returns
    -------
    ndarray, shape (n, P)
    """
    from scipy.linalg import expm

    net, n, seed, spread, log_scale = _check_sampling(net, n, seed, spread, log_scale)
    theta0 = balanced_minimum(net)
    N = net.depth
    if N == 1:
        return np.repeat(theta0[None, :], n, axis=0)
    rng = generator(seed, "minima")  # its own stream (dynsys_gd._streams), not Monte-Carlo block 0

    def layer_map(h: int) -> NDArray[np.float64]:
        A = rng.normal(scale=spread, size=(n, h, h))
        c = rng.uniform(-log_scale, log_scale, size=n)
        return np.stack([expm(a) for a in A]) * np.exp(c)[:, None, None]

    return _move_along_minima(net, theta0, n, layer_map)


def sample_minima(
    net: LinearNetwork,
    n: int,
    *,
    seed: int | None = 0,
    center: Any = None,
    spread: float = 0.25,
    log_scale: float = 0.5,
) -> NDArray[np.float64]:
    r"""``n`` points of M around ``center`` (default the balanced minimum), covering its
    neighbourhood for any depth (C2).

    Each sample gets a strength :math:`s \sim U[0, 1]` and, for every hidden layer i, the
    symmetry :math:`W_i 	o G_i W_i`, :math:`W_{i+1} 	o W_{i+1} G_i^{-1}` with

    .. math::
       G_i = \exp\!ig(s\,(c_i I + A_i)/\sqrt{N-1}ig), \qquad
       c_i \sim U[-	ext{log\_scale}, 	ext{log\_scale}], \quad
       (A_i)_{ab} \sim N(0, 	ext{spread}^2),

    followed by a Gauss–Newton projection onto M (round-off).  The :math:`1/\sqrt{N-1}` keeps the
    total displacement independent of the depth, and the strength puts samples at every distance
    from the centre, so the linearly stable neighbourhood of a flattest minimum is sampled for
    every depth (unlike :func:`random_minima`, whose displacement grows with N).

    Returns
    -------
    ndarray, shape (n, P)
    """
    from scipy.linalg import expm

    net, n, seed, spread, log_scale = _check_sampling(net, n, seed, spread, log_scale)
    if center is None:
        theta0 = balanced_minimum(net)
    else:
        theta0 = np.asarray(center, dtype=np.float64).reshape(-1)
        if theta0.shape != (net.n_params,) or not np.all(np.isfinite(theta0)):
            raise InvalidParameterError(
                f"center must be a finite point of shape ({net.n_params},); got {theta0.shape}"
            )
    N = net.depth
    if N == 1:
        return np.repeat(theta0[None, :], n, axis=0)
    rng = generator(seed, "minima_around_flattest")
    strength = rng.uniform(0.0, 1.0, size=n) / np.sqrt(N - 1)

    def layer_map(h: int) -> NDArray[np.float64]:
        A = rng.normal(scale=spread, size=(n, h, h))
        c = rng.uniform(-log_scale, log_scale, size=n)
        X = (A + c[:, None, None] * np.eye(h)[None]) * strength[:, None, None]
        return np.stack([expm(x) for x in X])

    return _move_along_minima(net, theta0, n, layer_map)


def _check_sampling(
    net: Any, n: Any, seed: Any, spread: Any, log_scale: Any
) -> tuple[LinearNetwork, int, int | None, float, float]:
    """Validate the arguments shared by :func:`random_minima` and :func:`sample_minima`."""
    net = _check_net(net)
    n = check_int("n", n, minimum=1)
    seed = check_seed("seed", seed)
    spread = check_real("spread", spread)
    log_scale = check_real("log_scale", log_scale)
    if spread < 0 or log_scale < 0:
        raise InvalidParameterError(
            f"spread and log_scale must be >= 0; got spread={spread}, log_scale={log_scale}"
        )
    return net, n, seed, spread, log_scale


def _move_along_minima(
    net: LinearNetwork,
    theta0: NDArray[np.float64],
    n: int,
    layer_map: Callable[[int], NDArray[np.float64]],
) -> NDArray[np.float64]:
    r"""``n`` copies of the minimum ``theta0`` moved along M by the layer symmetry
    :math:`W_i \to G_i W_i`, :math:`W_{i+1} \to W_{i+1} G_i^{-1}` of each hidden layer i, with
    ``G_i = layer_map(d_i)`` of shape (n, d_i, d_i) drawn layer by layer in order, then projected
    back onto M (Gauss–Newton) to remove round-off."""
    layers = [np.repeat(L[None], n, axis=0) for L in net.unflatten(theta0)]
    for i in range(1, net.depth):  # hidden layer i: between W_i (layers[i-1]) and W_{i+1}
        G = layer_map(net.widths[i])
        layers[i - 1] = G @ layers[i - 1]
        layers[i] = layers[i] @ np.linalg.inv(G)
    theta = np.asarray(net.flatten(layers), dtype=np.float64)
    pts, _ = project_to_minima(net, theta)
    return np.asarray(pts, dtype=np.float64)


@dataclass(frozen=True)
class CriticalPoint:
    """A critical point of a linear network: parameters, a label and its gradient norm."""

    point: NDArray[np.float64]
    label: str
    kind: str  # "minimum" or "saddle"
    gradient_norm: float

    def __repr__(self) -> str:
        return f"CriticalPoint({self.label!r}, kind={self.kind!r}, |grad|={self.gradient_norm:.2e})"


def saddle_points(
    net: LinearNetwork, *, max_points: int = 16, refine: bool = True
) -> list[CriticalPoint]:
    r"""Representative saddles (non-minimal critical points) of a linear network.

    For every proper subset I of the eigenvectors of
    :math:`\Sigma_{yx}\Sigma_{xx}^{-1}\Sigma_{xy}` (at most ``max_points``, smallest subsets
    first), the balanced factorisation of :math:`P_I W^*` (see module docstring); for scalar
    networks of depth :math:`N \ge 3` also the point with :math:`w_1 = w_2 = 0` and the other
    weights equal to :math:`|y|^{1/N}` (a strict saddle).  With ``refine`` the points are
    polished by minimum-norm Newton (float64).  Depth 1 has no saddles (empty list).
    """
    net = _check_net(net)
    net.require_manifold()
    max_points = check_int("max_points", max_points, minimum=1)
    if net.depth == 1:
        return []
    Ws = net.W_star
    Syx = net.Syx
    Mx = Syx @ np.linalg.solve(net.Sxx, Syx.T)
    lam, Q = np.linalg.eigh(Mx)
    order = np.argsort(lam)[::-1]
    Q = Q[:, order]
    r = min(net.widths[0], net.widths[-1])
    out: list[CriticalPoint] = []
    for k in range(r):
        for I in itertools.combinations(range(r), k):
            if len(out) >= max_points:
                break
            Qi = Q[:, list(I)]
            W = Qi @ (Qi.T @ Ws)
            theta = balanced_factorisation(net, W, rank=k)
            label = "origin" if k == 0 else f"rank-{k} critical point, directions {list(I)}"
            out.append(CriticalPoint(theta, label, "saddle", 0.0))
    if net.is_scalar and net.depth >= 3 and len(out) < max_points:
        w = np.full(net.depth, abs(net.target) ** (1.0 / net.depth))
        w[:2] = 0.0
        out.append(CriticalPoint(w, "two zero weights (w_1 = w_2 = 0)", "saddle", 0.0))
    model = numeric_model(net)
    pts = np.stack([c.point for c in out])
    if refine:
        pts, _ = minimum_norm_newton(net, pts, tol=1e-13)
    g = np.linalg.norm(model.gradient(pts), axis=1)
    return [
        CriticalPoint(np.asarray(p, dtype=np.float64), c.label, c.kind, float(gn))
        for p, c, gn in zip(pts, out, g, strict=True)
    ]


def refine_mp(
    model: Any, theta: Any, *, dps: int = 50, on_manifold: bool = False, max_iter: int = 80
) -> tuple[list[Any], Any]:
    r"""Refine one critical point in mpmath at ``dps`` digits.

    ``on_manifold=True`` (linear networks): Gauss–Newton onto M
    (:func:`~dynsys_gd.numeric.landscape.manifold.project_to_minima_mp`).  Otherwise minimum-norm
    Newton
    :math:`\theta \leftarrow \theta - H^+\nabla L` with the pseudo-inverse from ``mpmath.eigsy``
    (eigenvalues below :math:`10^{-(dps/2)}\lambda_{\max}` treated as zero), which converges to
    nearby saddles too.

    Returns
    -------
    point : list of mpmath.mpf
    gradient_norm : mpmath.mpf
        :math:`\lVert\nabla L\rVert` at the returned point, evaluated at ``dps`` digits.
    """
    import mpmath

    dps = check_int("dps", dps, minimum=15)
    m = numeric_model(model, precision=dps)
    if on_manifold:
        net = _check_net(model)
        pt, _ = project_to_minima_mp(net, theta, dps=dps)
        with mpmath.workdps(dps):
            g = m.gradient(np.array(pt, dtype=object))
            return pt, mpmath.sqrt(mpmath.fsum(x * x for x in g))
    with mpmath.workdps(dps):
        th = np.array([mpmath.mpf(x) for x in np.asarray(theta).ravel()], dtype=object)
        eps = mpmath.mpf(10) ** (-(dps - 5))
        gn = mpmath.inf
        for _ in range(max_iter):
            g = m.gradient(th)
            gn = mpmath.sqrt(mpmath.fsum(x * x for x in g))
            if gn <= eps:
                break
            H = mpmath.matrix(m.hessian(th).tolist())
            E, Q = mpmath.eigsy(H)
            lam = [E[i] for i in range(H.rows)]
            top = max(abs(x) for x in lam)
            cut = top * mpmath.mpf(10) ** (-(dps // 2))
            gv = mpmath.matrix(list(g))
            coef = Q.T * gv
            for i, x in enumerate(lam):
                coef[i] = coef[i] / x if abs(x) > cut else 0
            step = Q * coef
            th = th - np.array([step[i] for i in range(H.rows)], dtype=object)
        return list(th), gn
