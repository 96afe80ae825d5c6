r"""Minimal sharpness over the minima manifold and the critical learning rate
(docs/math/claims.md#c4, docs/math/claims.md#c5).

:math:`S_{\min} = \min_{\theta\in M}\lambda_{\max}(H(\theta))` is attained (C4, properness) and
the critical learning rate is :math:`\eta^* = 2/S_{\min}` (C5).  On M,
:math:`H = J^\top(I\otimes\Sigma_{xx})J`, whose non-zero spectrum equals that of the
:math:`d_N d_0 \times d_N d_0` matrix :math:`(I\otimes\Sigma_{xx})^{1/2}JJ^\top
(I\otimes\Sigma_{xx})^{1/2}`.

Closed forms (C5):

* depth 1: :math:`M = \{W^*\}`, :math:`H = I\otimes\Sigma_{xx}`, :math:`S_{\min} =
  \lambda_{\max}(\Sigma_{xx})`;
* scalar with data: :math:`S_{\min} = \sigma_{xx} N |w^*|^{2-2/N}` at
  :math:`|w_i| = |w^*|^{1/N}` (AM–GM);
* :math:`\Sigma_{xx} = cI`: :math:`S_{\min} = c N \sigma_1(W^*)^{2-2/N}` at balanced minima;
* depth 2, general :math:`\Sigma_{xx}`: the convex formulation of C5 solved as a semidefinite
  programme and *certified* (:mod:`dynsys_gd.numeric.landscape.depth2_sdp`): a rigorous lower bound
  from
  a dual point in ball arithmetic and a rigorous upper bound from an exact point of M, typically
  1e-13 apart; the result carries them as ``bounds``;
* depth ≥ 3, general :math:`\Sigma_{xx}`: numerical minimisation of :math:`\lambda_{\max}(H)`
  over M, parametrised by the symmetry :math:`W_i \to e^{S_i}W_i`,
  :math:`W_{i+1}\to W_{i+1}e^{-S_i}` (:math:`S_i` symmetric: orthogonal factors of the polar
  decomposition are isometries that do not change the spectrum) of the balanced minimum.  From
  the balanced point and random starts: BFGS (smooth while the top eigenvalue is simple), then
  the epigraph form :math:`\min t` s.t. :math:`t \ge \lambda_j(z)` for the top eigenvalues
  (SLSQP), which handles the coalescence of the top eigenvalues at the optimum where
  :math:`\lambda_{\max}` is not smooth; two starts that agree to 1e-10 stop the search.  The
  objective uses the small Gram matrix above, not the P × P Hessian, and the spectra of all
  forward-difference neighbours are computed as one batch.  When :math:`d_0 d_N \le 16` the
  minimum is then certified (:mod:`dynsys_gd.numeric.landscape.smin_deep`: a product-vector
  lower bound and an exact point of M; ``bounds`` set when the enclosure is at most 1e-9 wide
  relative to S_min).  Otherwise it is numerical, bracketed by the C5 bounds
  :math:`\lambda_{\min}(\Sigma_{xx})N\sigma_1^{2-2/N} \le S_{\min} \le
  \lambda_{\max}(\Sigma_{xx})N\sigma_1^{2-2/N}` (the lower one is often loose by a factor
  near 3).
* rank-deficient :math:`W^*` (M a singular variety, docs/math/claims.md#c2-rank-deficient): the
  whitened closed form and the depth-2 certificate hold unchanged; at depth ≥ 3 with a general
  :math:`\Sigma_{xx}` the orbit of the balanced minimum does not cover M, so the minimum is also
  sought over all parameters with :math:`W(\theta) = W^*` as a constraint
  (:mod:`dynsys_gd.numeric.landscape.smin_variety`);
* :math:`W^* = 0`, depth ≥ 2: :math:`\theta = 0 \in M` has :math:`J = 0`, hence :math:`H = 0`,
  so :math:`S_{\min} = 0` and :math:`\eta^* = \infty`.

Results are cached on the network (``net._cache``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._streams import generator
from ..._types import SymbolicModel
from ..._validation import check_int, describe
from ...errors import InvalidParameterError
from ...models import LinearNetwork, LossModel
from ...models.protocol import Model
from ..kernels import numeric_model
from ._flattest import FlattestResult
from .fixed_points import balanced_minimum
from .smin_certificate import DeepSminCertificate

__all__ = [
    "FlattestMinimum",
    "critical_lr",
    "flattest_minimum",
    "min_sharpness",
    "sharpness",
    "sharpness_bracket",
]

_CACHE_KEY = "flattest_minimum"


@dataclass(frozen=True, repr=False)
class FlattestMinimum(FlattestResult):
    r"""A flattest global minimum of a linear network (C5).

    Attributes
    ----------
    point : ndarray (P,)
        A point of M where :math:`\lambda_{\max}(H) = S_{\min}`.
    sharpness : float
        :math:`S_{\min}`.
    method : str
        "closed form (AM–GM)", "closed form (whitened)", "closed form (depth 1)",
        "certified SDP (depth 2)", "certified product-vector bound (depth >= 3)" or
        "numerical minimisation over M".
    bracket : tuple of float
        The C5 bracket :math:`(\lambda_{\min}(\Sigma_{xx}), \lambda_{\max}(\Sigma_{xx}))
        \cdot N\sigma_1^{2-2/N}`.
    relative_gap : float
        :math:`(\lambda_{\max}(H(\text{point})) - S_{\min})/S_{\min}` for closed forms (the
        numerical check of the formula at the point), the relative width of the certified
        enclosure (depth 2, and depth >= 3 when certified) and the spread of the restarts of
        the numerical minimisation otherwise.
    bounds : tuple of Fraction or None
        Certified enclosure ``(lower, upper)`` of :math:`S_{\min}` (depth 2, general
        :math:`\Sigma_{xx}`:
        :func:`~dynsys_gd.numeric.landscape.depth2_sdp.certified_min_sharpness_depth2`;
        depth ≥ 3 with :math:`d_0 d_N \le 16`:
        :func:`certified_min_sharpness_deep`);
        ``None`` when no certificate was computed (closed forms, larger or uncertified deep
        networks).
    target_rank : int or None
        :math:`\operatorname{rank}W^*` when it is below :math:`\min(d_0, d_N)` (M is then a
        singular variety, docs/math/claims.md#c2-rank-deficient); ``None`` when M is a
        manifold.
    jacobian_rank : int or None
        With ``target_rank``: the numerical rank of the Jacobian of :math:`W(\theta)` at
        ``point`` (below :math:`d_Nd_0` means a singular point of M;
        :func:`~dynsys_gd.numeric.landscape.variety.minima_variety` says more).
    singular_point : bool or None
        With ``target_rank``: whether that rank is below the largest rank of J on M
        (:func:`~dynsys_gd.numeric.landscape.variety.generic_jacobian_rank`).
    """

    point: NDArray[np.float64]
    sharpness: float
    method: str
    bracket: tuple[float, float]
    relative_gap: float
    bounds: tuple[Fraction, Fraction] | None = None
    target_rank: int | None = None
    jacobian_rank: int | None = None
    singular_point: bool | None = None

    @property
    def certified(self) -> bool:
        r"""Whether ``bounds`` holds a certified enclosure of :math:`S_{\min}`."""
        return self.bounds is not None

    @property
    def eta_star(self) -> float:
        """Deprecated alias of :attr:`critical_lr` (kept for one release)."""
        import warnings

        warnings.warn("eta_star is deprecated; use critical_lr", DeprecationWarning, stacklevel=2)
        return self.critical_lr

    def __repr__(self) -> str:
        return (
            f"FlattestMinimum(sharpness={self.sharpness:.10g}, eta*={self.critical_lr:.10g}, "
            f"method={self.method!r})"
        )

    def summary(self) -> str:
        lines = [
            *self._summary_head(),
            f"C5 bracket               : [{self.bracket[0]:.10g}, {self.bracket[1]:.10g}]",
            f"relative gap             : {self.relative_gap:.2e}",
        ]
        if self.target_rank is not None:
            kind = "a singular" if self.singular_point else "a smooth"
            lines.append(
                f"minima set               : singular variety (rank W* = {self.target_rank}); "
                f"the flattest point is {kind} point of it (rank J = {self.jacobian_rank}; "
                "see minima_variety)"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self._dict_head(),
            "bounds": None if self.bounds is None else [float(b) for b in self.bounds],
            "target_rank": self.target_rank,
            "jacobian_rank": self.jacobian_rank,
            "singular_point": self.singular_point,
        }


def _check_net(net: Any) -> LinearNetwork:
    if not isinstance(net, LinearNetwork):
        raise InvalidParameterError(
            f"net must be a LinearNetwork; got {type(net).__name__} ({net!r:.60})"
        )
    net.require_minima()
    return net


def sharpness(net: LinearNetwork, theta: Any) -> NDArray[np.float64]:
    r""":math:`\lambda_{\max}(H(\theta))` for a batch of parameters (shape (B,) or scalar)."""
    m = numeric_model(net)
    th = np.asarray(theta, dtype=np.float64)
    single = th.ndim == 1
    H = m.hessian(th[None] if single else th)
    lam = np.asarray(np.linalg.eigvalsh(0.5 * (H + np.swapaxes(H, 1, 2)))[:, -1], dtype=np.float64)
    return np.asarray(lam[0]) if single else lam


def sharpness_bracket(net: LinearNetwork) -> tuple[float, float]:
    r"""The C5 bracket :math:`\lambda_{\min/\max}(\Sigma_{xx})\,N\sigma_1(W^*)^{2-2/N}`."""
    net = _check_net(net)
    N = net.depth
    s1 = float(np.linalg.svd(net.W_star, compute_uv=False)[0])
    ev = np.linalg.eigvalsh(net.Sxx)
    base = N * s1 ** (2.0 - 2.0 / N)
    return float(ev[0] * base), float(ev[-1] * base)


def _is_scaled_identity(net: LinearNetwork) -> bool:
    S = net.Sxx_exact
    c = S[0][0]
    return all(
        S[i][j] == (c if i == j else Fraction(0)) for i in range(len(S)) for j in range(len(S))
    )


def _symmetric_from_vector(z: NDArray[np.float64], h: int) -> NDArray[np.float64]:
    S = np.zeros((h, h))
    iu = np.triu_indices(h)
    S[iu] = z
    return S + np.triu(S, 1).T


class _OrbitParametrisation:
    r"""θ(z): the balanced minimum moved by :math:`G_i = \exp(S_i)`, :math:`S_i` symmetric."""

    def __init__(self, net: LinearNetwork) -> None:
        self.net = net
        self.base = net.unflatten(balanced_minimum(net))
        self.hidden = net.widths[1:-1]
        self.sizes = [h * (h + 1) // 2 for h in self.hidden]
        self.dim = int(sum(self.sizes))

    def layers(self, z: NDArray[np.float64]) -> list[NDArray[np.float64]]:
        layers = list(self.base)
        pos = 0
        for i, (h, k) in enumerate(zip(self.hidden, self.sizes, strict=True)):
            S = _symmetric_from_vector(z[pos : pos + k], h)
            pos += k
            lam, Q = np.linalg.eigh(S)  # exp(±S) of a symmetric S
            layers[i] = (Q * np.exp(lam)) @ (Q.T @ layers[i])
            layers[i + 1] = (layers[i + 1] @ Q * np.exp(-lam)) @ Q.T
        return layers

    def __call__(self, z: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(self.net.flatten(self.layers(z)), dtype=np.float64)


class _BatchedSpectrum:
    r"""Spectrum of K(z) for a batch of z (B, D) at once (one eigh per hidden layer and one
    eigvalsh for the batch), used for the objective and for forward-difference derivatives."""

    def __init__(self, net: LinearNetwork) -> None:
        self.par = _OrbitParametrisation(net)
        self.net = net
        lam_s, Q_s = np.linalg.eigh(net.Sxx)
        self.root = (Q_s * np.sqrt(lam_s)) @ Q_s.T
        self.iu = [np.triu_indices(h) for h in self.par.hidden]

    def layers(self, zb: NDArray[np.float64]) -> list[NDArray[np.float64]]:
        B = zb.shape[0]
        layers = [np.repeat(L[None], B, axis=0) for L in self.par.base]
        pos = 0
        for i, (h, k) in enumerate(zip(self.par.hidden, self.par.sizes, strict=True)):
            S = np.zeros((B, h, h))
            iu = self.iu[i]
            S[:, iu[0], iu[1]] = zb[:, pos : pos + k]
            S[:, iu[1], iu[0]] = zb[:, pos : pos + k]
            pos += k
            lam, Q = np.linalg.eigh(S)
            Qt = np.swapaxes(Q, 1, 2)
            layers[i] = (Q * np.exp(lam)[:, None, :]) @ (Qt @ layers[i])
            layers[i + 1] = ((layers[i + 1] @ Q) * np.exp(-lam)[:, None, :]) @ Qt
        return layers

    def __call__(self, zb: NDArray[np.float64]) -> NDArray[np.float64]:
        net = self.net
        d0, dN = net.widths[0], net.widths[-1]
        N = net.depth
        with np.errstate(all="ignore"):
            Ls = self.layers(zb)
            Bn = zb.shape[0]
            Bs = [np.broadcast_to(np.eye(d0), (Bn, d0, d0))]
            for i in range(1, N):
                Bs.append(Ls[i - 1] @ Bs[-1])
            As: list[Any] = [None] * N
            As[N - 1] = np.broadcast_to(np.eye(dN), (Bn, dN, dN))
            for i in range(N - 2, -1, -1):
                As[i] = As[i + 1] @ Ls[i + 1]
            K5 = np.zeros((Bn, dN, d0, dN, d0))
            for a, b in zip(As, Bs, strict=True):
                X = a @ np.swapaxes(a, 1, 2)
                rb = b @ self.root
                Y = np.swapaxes(rb, 1, 2) @ rb
                K5 += X[:, :, None, :, None] * Y[:, None, :, None, :]
            K = K5.reshape(Bn, dN * d0, dN * d0)
            good = np.isfinite(K).all(axis=(1, 2))
            out = np.full((Bn, dN * d0), 1e300)
            if good.any():
                out[good] = np.linalg.eigvalsh(K[good])
        return out

    def fd(
        self, z: NDArray[np.float64], h: float = 1.49e-8
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Values and forward-difference Jacobian of the spectrum at z: (n,), (n, D)."""
        D = z.size
        steps = h * np.maximum(1.0, np.abs(z))
        zb = np.repeat(z[None], D + 1, axis=0)
        zb[np.arange(1, D + 1), np.arange(D)] += steps
        sp = self(zb)
        return sp[0], (sp[1:] - sp[0][None]).T / steps[None]


def _numerical_flattest(
    net: LinearNetwork, *, restarts: int = 3, seed: int = 0, early_stop: bool = True
) -> tuple[NDArray[np.float64], float, float]:
    """Numerical minimum of lambda_max(H) over M: ``(point, value, spread of the restarts)``.

    ``early_stop`` stops when two starts agree to 1e-10 (relative); without it every restart
    runs (the independent multi-start check of C5)."""
    from scipy.optimize import minimize

    spec = _BatchedSpectrum(net)
    par = spec.par
    D = par.dim
    d0, dN = net.widths[0], net.widths[-1]
    top = min(d0 * dN, 4)

    def f(z: NDArray[np.float64]) -> float:
        return float(spec(z[None])[0, -1])

    def fg(z: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        v, Jm = spec.fd(z)
        return float(v[-1]), Jm[-1]

    def con(x: NDArray[np.float64]) -> NDArray[np.float64]:
        return x[-1] - spec(x[None, :-1])[0, -top:]

    def con_jac(x: NDArray[np.float64]) -> NDArray[np.float64]:
        _, Jm = spec.fd(x[:-1])
        out = np.empty((top, D + 1))
        out[:, :-1] = -Jm[-top:]
        out[:, -1] = 1.0
        return out

    rng = generator(seed, "sharpness_starts")
    starts = [np.zeros(D)] + [rng.normal(scale=0.3, size=D) for _ in range(restarts - 1)]
    results: list[tuple[float, NDArray[np.float64]]] = []
    e_t = np.zeros(D + 1)
    e_t[-1] = 1.0
    for z0 in starts:
        with np.errstate(all="ignore"):
            res = minimize(fg, z0, jac=True, method="BFGS", options={"gtol": 1e-8, "maxiter": 200})
        z, val = (np.asarray(res.x), float(res.fun)) if res.fun <= f(z0) else (z0, f(z0))
        x0 = np.append(z, val)
        with np.errstate(all="ignore"):
            res = minimize(
                lambda x: x[-1],
                x0,
                jac=lambda x: e_t,
                method="SLSQP",
                constraints=[{"type": "ineq", "fun": con, "jac": con_jac}],
                options={"ftol": 1e-13 * max(1.0, val), "maxiter": 100},
            )
        z2 = np.asarray(res.x[:-1])
        v2 = f(z2)
        if np.all(np.isfinite(z2)) and v2 < val:
            z, val = z2, v2
        results.append((val, z))
        ranked = sorted(v for v, _ in results)
        if early_stop and len(ranked) >= 2 and ranked[1] - ranked[0] <= 1e-10 * ranked[0]:
            break  # two independent starts agree: the minimum is confirmed
    results.sort(key=lambda t: t[0])
    best_val, best_z = results[0]
    vals = np.array([v for v, _ in results])
    spread = float((np.median(vals) - best_val) / best_val)
    return par(best_z), best_val, spread


def _with_variety(net: LinearNetwork, result: FlattestMinimum) -> FlattestMinimum:
    """Add the rank of W* and of J at the point when W* is rank-deficient (M a variety)."""
    import dataclasses

    r = net.target_rank
    if r >= min(net.widths[0], net.widths[-1]):
        return result
    from .smin_variety import generic_jacobian_rank, jacobian_rank

    rj = jacobian_rank(net, result.point)
    singular = rj < generic_jacobian_rank(net)
    return dataclasses.replace(result, target_rank=r, jacobian_rank=rj, singular_point=singular)


def _flattest_point(net: LinearNetwork) -> tuple[NDArray[np.float64], float, float]:
    """The numerical flattest minimum: over the symmetry orbit of the balanced minimum when M
    is a manifold, over all of M (:mod:`.smin_variety`) when W* is rank-deficient."""
    point, S, spread = _numerical_flattest(net)
    if net.target_rank < min(net.widths[0], net.widths[-1]):
        from .smin_variety import MAX_PARAMS, variety_flattest

        if net.n_params > MAX_PARAMS:
            return point, S, spread  # the method string says "orbit only"

        p2, s2, spread = variety_flattest(net, extra=[point])
        if s2 < S:
            point, S = p2, s2
    return point, S, spread


#: Largest :math:`d_0 d_N` for which :func:`flattest_minimum` certifies a depth >= 3 minimum:
#: the certificate's exact positive-definiteness test is on a :math:`d_0 d_N` square rational
#: matrix (0.1-0.3 s at 4 x 4 here; about 90 s at 64 x 64).
DEEP_CERTIFY_MAX_OUTER = 16


def _deep_certified(
    net: LinearNetwork,
    point: NDArray[np.float64],
    S: float,
    method: str,
    bracket: tuple[float, float],
    spread: float,
) -> FlattestMinimum:
    r"""The numerical depth :math:`\ge 3` minimum, with the certified enclosure of
    :func:`certified_min_sharpness_deep` attached as
    ``bounds`` when it is tight (relative width at most 1e-9) and :math:`d_0 d_N` is small
    enough for its exact test; otherwise the numerical result unchanged."""
    if net.widths[0] * net.widths[-1] > DEEP_CERTIFY_MAX_OUTER:
        return FlattestMinimum(point, S, method, bracket, spread)
    from .smin_deep import certify_at

    cert = certify_at(net, point)
    if cert.relative_width > 1e-9:
        return FlattestMinimum(point, S, method, bracket, spread)
    return FlattestMinimum(
        np.asarray(cert.point, dtype=np.float64),
        float(cert.upper),  # lambda_max at an exact point of M, as at depth 2
        "certified product-vector bound (depth >= 3)",
        bracket,
        cert.relative_width,
        (cert.lower, cert.upper),
    )


def flattest_minimum(net: SymbolicModel | Model, **kwargs: Any) -> FlattestMinimum:
    r"""A flattest global minimum of a linear network and :math:`S_{\min}` (C4, C5).

    Parameters
    ----------
    net : LinearNetwork
        Must have minima (:meth:`LinearNetwork.require_minima`: a singular Sxx or hidden layers
        narrower than rank W* raise InvalidParameterError).  A rank-deficient W* is accepted:
        M is then a singular variety (:func:`~dynsys_gd.numeric.landscape.variety.minima_variety`
        reports its singular points) and S_min is minimised over all of it; W* = 0 at depth
        >= 2 gives S_min = 0 at the origin (H = 0 there) and an infinite critical step size.
        A model given only through the model protocol (a user's class, a
        :class:`~dynsys_gd.models.JaxModel`, an MLP) is searched in float64:
        :func:`~dynsys_gd.numeric.landscape.protocol_critical.protocol_flattest_minimum`
        (keywords ``box``, ``n_starts``, ``seed``, ``descent_steps``), *numerical, not
        certified*.

    Returns
    -------
    FlattestMinimum
        Closed forms where known (depth 1, scalar AM–GM, :math:`\Sigma_{xx} = cI`), the
        certified SDP for depth 2 (``bounds`` set), otherwise numerical minimisation of
        :math:`\lambda_{\max}(H)` over M (see module docstring).  Cached on ``net``.
    """
    if isinstance(net, LossModel):  # any sympy loss: critical points in a box (searched/exact)
        from .loss_flattest import loss_flattest_minimum

        return loss_flattest_minimum(net, **kwargs)  # type: ignore[return-value]
    from .protocol_critical import is_protocol_model

    if is_protocol_model(net):  # no symbolic form: a float64 search, numerical, not certified
        from .protocol_critical import protocol_flattest_minimum

        return protocol_flattest_minimum(net, **kwargs)  # type: ignore[return-value]
    if kwargs:
        raise InvalidParameterError(
            f"{', '.join(sorted(kwargs))}: keywords for a LossModel only; got a {describe(net)}"
        )
    from ..._limits import check_dense  # size model first: the P x P Hessian of the check below

    if isinstance(net, LinearNetwork):
        check_dense(
            f"net ({net.n_params} parameters)", None, net.n_params, what="the dense Hessian"
        )
    net = _check_net(net)
    cache = net._cache  # type: ignore[attr-defined]
    if _CACHE_KEY in cache:
        return cache[_CACHE_KEY]  # type: ignore[no-any-return]
    N = net.depth
    bracket = sharpness_bracket(net)
    s1 = float(np.linalg.svd(net.W_star, compute_uv=False)[0])
    if N == 1:
        point = balanced_minimum(net)
        S = float(np.linalg.eigvalsh(net.Sxx)[-1])
        method = "closed form (depth 1)"
    elif net.target_rank == 0:  # W* = 0: J(0) = 0, so H(0) = 0 and S_min = 0 at the origin
        point = np.zeros(net.n_params)
        S = 0.0
        method = "closed form (W* = 0: H = 0 at the origin)"
        result = FlattestMinimum(point, S, method, bracket, 0.0)
        result = _with_variety(net, result)
        cache[_CACHE_KEY] = result
        return result
    elif net.is_scalar:
        point = balanced_minimum(net)
        S = float(net.Sxx[0, 0]) * N * abs(net.target) ** (2.0 - 2.0 / N)
        method = "closed form (AM–GM)"
    elif _is_scaled_identity(net):
        point = balanced_minimum(net)
        S = float(net.Sxx[0, 0]) * N * s1 ** (2.0 - 2.0 / N)
        method = "closed form (whitened)"
    elif N == 2:
        from .depth2_sdp import certified_min_sharpness_depth2

        if net.widths[1] < net.widths[0]:  # W_1^T W_1 singular on M: numerical point
            cert = certified_min_sharpness_depth2(net, point=_flattest_point(net)[0])
        else:
            cert = certified_min_sharpness_depth2(net)
            if cert.relative_width > 1e-9:  # a poor primal point: try the numerical minimum
                cert = certified_min_sharpness_depth2(net, point=_flattest_point(net)[0])
        point = cert.point
        # the certified upper bound: lambda_max(H) at the exact point of M behind ``point``,
        # rounded to float64 (eigvalsh there agrees to ~1e-15 unless W* is huge)
        S = float(cert.upper)
        result = FlattestMinimum(
            point,
            S,
            "certified SDP (depth 2)",
            bracket,
            cert.relative_width,
            (cert.lower, cert.upper),
        )
        result = _with_variety(net, result)
        cache[_CACHE_KEY] = result
        return result
    else:
        point, S, spread = _flattest_point(net)
        method = "numerical minimisation over M"
        from .smin_variety import MAX_PARAMS

        if net.target_rank < min(net.widths[0], net.widths[-1]) and net.n_params > MAX_PARAMS:
            method += (
                f" (symmetry orbit of the balanced minimum only: more than {MAX_PARAMS} "
                "parameters for the search over all of the variety)"
            )
        lo, hi = bracket
        if not (lo * (1 - 1e-9) <= S <= hi * (1 + 1e-9)):  # pragma: no cover - a bug if hit
            raise InvalidParameterError(
                f"numerical S_min = {S:.10g} falls outside the C5 bracket [{lo:.10g}, {hi:.10g}]"
            )
        result = _deep_certified(net, point, S, method, bracket, spread)
        result = _with_variety(net, result)
        cache[_CACHE_KEY] = result
        return result
    gap = float(abs(sharpness(net, point) - S) / S)
    result = FlattestMinimum(point, S, method, bracket, gap)
    result = _with_variety(net, result)
    cache[_CACHE_KEY] = result
    return result


def min_sharpness(net: SymbolicModel | Model, **kwargs: Any) -> float:
    r""":math:`S_{\min} = \min_{\theta\in M}\lambda_{\max}(H(\theta))` (C4, C5); see
    :func:`flattest_minimum`.  For a LossModel: the flattest minimum found in a box
    (:func:`~dynsys_gd.numeric.landscape.loss_flattest.loss_flattest_minimum`, keywords passed
    on); for a model given only through the protocol, the flattest minimum a float64 search
    found (numerical, not certified; see :func:`flattest_minimum`).

    Raises
    ------
    InvalidParameterError
        If ``net`` is not a model with minima: a linear network with a singular
        :math:`\Sigma_{xx}` or hidden layers narrower than :math:`\operatorname{rank}W^*`, or a
        loss model for which no minimum is found.  A rank-deficient :math:`W^*` is accepted,
        :math:`W^* = 0` too (see :func:`flattest_minimum`).

    Examples
    --------
    >>> import numpy as np
    >>> import dynsys_gd as dg
    >>> round(dg.min_sharpness(dg.LinearNetwork.scalar(depth=3, target=2.0)), 5)  # 3 * 2^(4/3)
    7.55953
    >>> W = np.array([[1.5, 0.3], [-0.2, 0.7]])  # whitened: N sigma_1(W*)^(2 - 2/N)
    >>> net = dg.LinearNetwork.from_covariances((2, 2, 2), Sxx=np.eye(2), Syx=W)
    >>> round(dg.min_sharpness(net), 6)
    3.062329
    """
    return flattest_minimum(net, **kwargs).sharpness


def critical_lr(net: SymbolicModel | Model, **kwargs: Any) -> float:
    r"""Critical learning rate :math:`\eta^* = 2/S_{\min}` (C5): above it every global minimum
    is linearly unstable and GD converges from a null set of initialisations only (C6).

    How :math:`S_{\min}` was obtained is ``flattest_minimum(net).method``: a closed form, the
    certified SDP for depth 2 (then ``flattest_minimum(net).bounds`` is a rigorous enclosure,
    typically 1e-13 wide) or the numerical minimum over M for depth ≥ 3 with a general
    :math:`\Sigma_{xx}` (bracketed by ``flattest_minimum(net).bracket``).  For a LossModel, from
    the flattest minimum found in a box (see
    :func:`~dynsys_gd.numeric.landscape.loss_flattest.loss_flattest_minimum`: what is exact and
    what is
    searched is stated in its result); for a model given only through the protocol, from the
    flattest minimum a float64 search found (numerical, not certified: ``flattest_minimum(model)``
    says so in its ``method``, ``certified`` and JSON).

    The critical step size of other optimisers is
    :func:`dynsys_gd.numeric.landscape.optimizer_lr.critical_lr` (``dg.critical_lr`` with
    ``optimizer=``).

    Raises
    ------
    InvalidParameterError
        If ``net`` is not a model with minima: a linear network with a singular
        :math:`\Sigma_{xx}` or hidden layers narrower than :math:`\operatorname{rank}W^*`, or a
        loss model for which no minimum is found.  A rank-deficient :math:`W^*` is accepted,
        :math:`W^* = 0` too (see :func:`flattest_minimum`).

    Examples
    --------
    >>> import dynsys_gd as dg
    >>> net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    >>> round(dg.critical_lr(net), 6)  # 2 / (3 * 2^(4/3))
    0.264567
    >>> dg.flattest_minimum(net).method
    'closed form (AM–GM)'
    """
    return flattest_minimum(net, **kwargs).critical_lr


def certified_min_sharpness_deep(
    net: LinearNetwork, *, point: Any = None, prec: int = 128
) -> DeepSminCertificate:
    r"""Certified enclosure of :math:`S_{\min}` for a linear network of depth :math:`\ge 2`,
    any widths and any :math:`\Sigma_{xx}`: a product-vector lower bound and an exact point of
    M (:mod:`dynsys_gd.numeric.landscape.smin_deep`, docs/math/certified-smin.md).

    Parameters
    ----------
    net : LinearNetwork
        Depth :math:`\ge 2`, with minima (:meth:`LinearNetwork.require_minima`; a
        rank-deficient :math:`W^*` is accepted).
    point : array (P,), optional
        A float point near M for the upper bound; default: the point of
        :func:`flattest_minimum`.
    prec : int
        Ball-arithmetic precision in bits.

    Returns
    -------
    DeepSminCertificate
        ``lower <= S_min <= upper``, both rigorous; ``width`` says how tight.  Cached on
        ``net`` when ``point`` is not given.

    Raises
    ------
    InvalidParameterError
        Before any work, for another model, depth 1, or a network without minima.
    """
    from .smin_deep import _check, certify_at

    net = _check(net)
    prec = check_int("prec", prec, minimum=53)
    if point is not None:
        return certify_at(net, point, prec=prec)
    key = f"smin_deep:{prec}"
    cache = net._cache  # type: ignore[attr-defined]
    if key not in cache:
        cache[key] = certify_at(net, flattest_minimum(net).point, prec=prec)
    return cache[key]  # type: ignore[no-any-return]
