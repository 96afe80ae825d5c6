r"""Minimal sharpness over the minima manifold and the critical learning rate (MATH.md C4, C5).

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
* general :math:`\Sigma_{xx}`: numerical minimisation of :math:`\lambda_{\max}(H)` over M,
  parametrised by the symmetry :math:`W_i \to e^{S_i}W_i`, :math:`W_{i+1}\to W_{i+1}e^{-S_i}`
  (:math:`S_i` symmetric: orthogonal factors of the polar decomposition are isometries that do
  not change the spectrum) of the balanced minimum.  From the balanced point and random
  starts: BFGS (smooth while the top eigenvalue is simple), then the epigraph form
  :math:`\min t` s.t. :math:`t \ge \lambda_j(z)` for every eigenvalue (SLSQP), which handles
  the coalescence of the top eigenvalues at the optimum where :math:`\lambda_{\max}` is not
  smooth.  The objective uses the small Gram matrix above, not the P × P Hessian.
  The result is checked against the bracket
  :math:`\lambda_{\min}(\Sigma_{xx})N\sigma_1^{2-2/N} \le S_{\min} \le
  \lambda_{\max}(\Sigma_{xx})N\sigma_1^{2-2/N}`.

Results are cached on the network (``net._cache``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._results import ResultMixin, jsonable
from ..errors import InvalidParameterError
from ..models import LinearNetwork
from .fixed_points import balanced_minimum
from .kernels import numeric_model

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
class FlattestMinimum(ResultMixin):
    r"""A flattest global minimum of a linear network (C5).

    Attributes
    ----------
    point : ndarray (P,)
        A point of M where :math:`\lambda_{\max}(H) = S_{\min}`.
    sharpness : float
        :math:`S_{\min}`.
    method : str
        "closed form (AM–GM)", "closed form (whitened)", "closed form (depth 1)" or
        "numerical minimisation over M".
    bracket : tuple of float
        The C5 bracket :math:`(\lambda_{\min}(\Sigma_{xx}), \lambda_{\max}(\Sigma_{xx}))
        \cdot N\sigma_1^{2-2/N}`.
    relative_gap : float
        :math:`(\lambda_{\max}(H(\text{point})) - S_{\min})/S_{\min}` for closed forms (the
        numerical check of the formula at the point), and the spread of the restarts of the
        numerical minimisation otherwise.
    """

    point: NDArray[np.float64]
    sharpness: float
    method: str
    bracket: tuple[float, float]
    relative_gap: float

    @property
    def critical_lr(self) -> float:
        return 2.0 / self.sharpness

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
        return "\n".join(
            [
                f"S_min (flattest minimum) : {self.sharpness:.10g}",
                f"eta* = 2 / S_min         : {self.critical_lr:.10g}",
                f"method                   : {self.method}",
                f"C5 bracket               : [{self.bracket[0]:.10g}, {self.bracket[1]:.10g}]",
                f"relative gap             : {self.relative_gap:.2e}",
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "point": jsonable(self.point),
            "sharpness": jsonable(self.sharpness),
            "critical_lr": jsonable(self.critical_lr),
            "method": self.method,
            "bracket": jsonable(self.bracket),
            "relative_gap": jsonable(self.relative_gap),
        }


def _check_net(net: Any) -> LinearNetwork:
    if not isinstance(net, LinearNetwork):
        raise InvalidParameterError(
            f"net must be a LinearNetwork; got {type(net).__name__} ({net!r:.60})"
        )
    net.require_manifold()
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


def _numerical_flattest(
    net: LinearNetwork, *, restarts: int = 3, seed: int = 0
) -> tuple[NDArray[np.float64], float, float]:
    from scipy.optimize import minimize

    par = _OrbitParametrisation(net)
    d0, dN = net.widths[0], net.widths[-1]
    lam_s, Q_s = np.linalg.eigh(net.Sxx)
    root = (Q_s * np.sqrt(lam_s)) @ Q_s.T  # Sxx^{1/2}
    N = net.depth

    def spectrum(z: NDArray[np.float64]) -> NDArray[np.float64]:
        # on M, nonzero spec(H) = spec(K), K = (I ⊗ Sxx^{1/2}) J J^T (I ⊗ Sxx^{1/2}),
        # J J^T = sum_i (A_i A_i^T) ⊗ (B_i^T B_i)  (row-major vec W)
        Ls = par.layers(z)
        B = [np.eye(d0)]
        for i in range(1, N):
            B.append(Ls[i - 1] @ B[-1])
        A = [np.eye(dN)] * N
        for i in range(N - 2, -1, -1):
            A[i] = A[i + 1] @ Ls[i + 1]
        with np.errstate(all="ignore"):
            K = sum(np.kron(a @ a.T, root @ (b.T @ b) @ root) for a, b in zip(A, B, strict=True))
        if not np.all(np.isfinite(K)):  # far along M (C4: sharpness -> inf)
            return np.full(d0 * dN, 1e300)
        return np.asarray(np.linalg.eigvalsh(K), dtype=np.float64)

    def f(z: NDArray[np.float64]) -> float:
        return float(spectrum(z)[-1])

    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    starts = [np.zeros(par.dim)] + [
        rng.normal(scale=0.3, size=par.dim) for _ in range(restarts - 1)
    ]
    results: list[tuple[float, NDArray[np.float64]]] = []
    D = par.dim
    top = min(d0 * dN, 4)  # eigenvalues that can coalesce at the top (constraints of the epigraph)
    for z0 in starts:
        # smooth phase: BFGS with finite differences (fine while the top eigenvalue is simple)
        with np.errstate(all="ignore"):
            res = minimize(f, z0, method="BFGS", options={"gtol": 1e-8, "maxiter": 200})
        z, val = (np.asarray(res.x), float(res.fun)) if res.fun <= f(z0) else (z0, f(z0))
        # non-smooth phase (the top eigenvalue coalesces at the optimum): epigraph form
        # min t  s.t.  t - λ_j(z) >= 0 for every eigenvalue j, with SLSQP
        x0 = np.append(z, val)
        e_t = np.zeros(D + 1)
        e_t[-1] = 1.0
        with np.errstate(all="ignore"):
            res = minimize(
                lambda x: x[-1],
                x0,
                jac=lambda x, g=e_t: g,
                method="SLSQP",
                constraints=[{"type": "ineq", "fun": lambda x: x[-1] - spectrum(x[:-1])[-top:]}],
                options={"ftol": 1e-14, "maxiter": 200},
            )
        z2 = np.asarray(res.x[:-1])
        v2 = f(z2)
        if np.all(np.isfinite(z2)) and v2 < val:
            z, val = z2, v2
        results.append((val, z))
        ranked = sorted(v for v, _ in results)
        if len(ranked) >= 2 and ranked[1] - ranked[0] <= 1e-10 * ranked[0]:
            break  # two independent starts agree: the minimum is confirmed
    results.sort(key=lambda t: t[0])
    best_val, best_z = results[0]
    vals = np.array([v for v, _ in results])
    spread = float((np.median(vals) - best_val) / best_val)
    return par(best_z), best_val, spread


def flattest_minimum(net: LinearNetwork) -> FlattestMinimum:
    r"""A flattest global minimum of a linear network and :math:`S_{\min}` (C4, C5).

    Parameters
    ----------
    net : LinearNetwork
        Must have a manifold of minima (:meth:`LinearNetwork.require_manifold`: target 0, a
        rank-deficient W* or too narrow hidden layers raise InvalidParameterError).

    Returns
    -------
    FlattestMinimum
        Closed forms where known (depth 1, scalar AM–GM, :math:`\Sigma_{xx} = cI`), otherwise
        numerical minimisation of :math:`\lambda_{\max}(H)` over M (see module docstring).
        Cached on ``net``.
    """
    net = _check_net(net)
    from .._limits import check_dense  # size model: the P x P Hessian of the check below

    check_dense(f"net ({net.n_params} parameters)", None, net.n_params, what="the dense Hessian")
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
    elif net.is_scalar:
        point = balanced_minimum(net)
        S = float(net.Sxx[0, 0]) * N * abs(net.target) ** (2.0 - 2.0 / N)
        method = "closed form (AM–GM)"
    elif _is_scaled_identity(net):
        point = balanced_minimum(net)
        S = float(net.Sxx[0, 0]) * N * s1 ** (2.0 - 2.0 / N)
        method = "closed form (whitened)"
    else:
        point, S, spread = _numerical_flattest(net)
        method = "numerical minimisation over M"
        lo, hi = bracket
        if not (lo * (1 - 1e-9) <= S <= hi * (1 + 1e-9)):  # pragma: no cover - a bug if hit
            raise InvalidParameterError(
                f"numerical S_min = {S:.10g} falls outside the C5 bracket [{lo:.10g}, {hi:.10g}]"
            )
        result = FlattestMinimum(point, S, method, bracket, spread)
        cache[_CACHE_KEY] = result
        return result
    gap = float(abs(sharpness(net, point) - S) / S)
    result = FlattestMinimum(point, S, method, bracket, gap)
    cache[_CACHE_KEY] = result
    return result


def min_sharpness(net: LinearNetwork) -> float:
    r""":math:`S_{\min} = \min_{\theta\in M}\lambda_{\max}(H(\theta))` (C4, C5); see
    :func:`flattest_minimum`."""
    return flattest_minimum(net).sharpness


def critical_lr(net: LinearNetwork) -> float:
    r"""Critical learning rate :math:`\eta^* = 2/S_{\min}` (C5): above it every global minimum
    is linearly unstable and GD converges from a null set of initialisations only (C6)."""
    return 2.0 / min_sharpness(net)
