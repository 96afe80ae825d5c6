r"""Numerical :math:`S_{\min}` over the whole minima set of a linear network, manifold or
singular variety (docs/math/claims.md#c5).

When :math:`W^*` is rank-deficient, :math:`M = \{W(\theta) = W^*\}` is not one orbit of the
symmetry :math:`W_i \to G_iW_i`, :math:`W_{i+1} \to W_{i+1}G_i^{-1}`: the orbit of the balanced
minimum has every layer of rank :math:`r = \operatorname{rank}W^*`, while M also holds points
whose layers have larger rank (for :math:`W^* = \operatorname{diag}(1, 0)`, both
:math:`W_1 = W_2 = \operatorname{diag}(1, 0)` and :math:`W_1 = I`,
:math:`W_2 = \operatorname{diag}(1, 0)`).  So the minimisation here runs over all parameters,

.. math::
   \min_{\theta, t}\ t \quad\text{s.t.}\quad t \ge \lambda_j(K(\theta))\ (\text{top } j),
   \qquad W(\theta) = W^*,

with :math:`K = (I\otimes\Sigma_{xx}^{1/2})JJ^\top(I\otimes\Sigma_{xx}^{1/2})`, whose spectrum
is the non-zero spectrum of :math:`H = J^\top(I\otimes\Sigma_{xx})J` on M (J the Jacobian of
row-major :math:`\operatorname{vec}W(\theta)`).  SLSQP, from the orbit minimum and from random
points of M (Gaussian perturbations of the balanced minimum, projected onto M by Gauss–Newton),
so starts on every stratum of layer ranks are tried.  The result is numerical: an upper bound
(a point of M, projected back onto M at the end) with the C5 bracket as the certified range.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._streams import generator
from ...models import LinearNetwork
from ..kernels import numeric_model
from .fixed_points import balanced_minimum
from .manifold import project_to_minima

__all__ = [
    "MAX_PARAMS",
    "RANK_RTOL",
    "generic_jacobian_rank",
    "gram_spectrum",
    "jacobian_rank",
    "variety_flattest",
]

#: Relative tolerance of the numerical rank of J (singular values above it times the largest).
RANK_RTOL = 1e-9

#: Largest parameter count for the search over all of M (SLSQP works with dense P × P matrices);
#: above it only the symmetry orbit of the balanced minimum is searched, and the method says so.
MAX_PARAMS = 100


def gram_spectrum(net: LinearNetwork, theta: NDArray[np.float64]) -> NDArray[np.float64]:
    r"""Ascending spectrum of :math:`K(\theta)` for a batch (B, P): on M, the non-zero
    spectrum of :math:`H(\theta)` (padded with zeros to :math:`d_Nd_0`)."""
    m = numeric_model(net)
    lam, Q = np.linalg.eigh(net.Sxx)
    root = (Q * np.sqrt(np.clip(lam, 0.0, None))) @ Q.T
    big = np.kron(np.eye(net.widths[-1]), root)
    with np.errstate(all="ignore"):
        J = m.jacobian_of_product(theta)  # type: ignore[attr-defined]
        K = big @ (J @ np.swapaxes(J, 1, 2)) @ big
        good = np.isfinite(K).all(axis=(1, 2))
        out = np.full((theta.shape[0], K.shape[1]), 1e300)
        if good.any():
            out[good] = np.linalg.eigvalsh(0.5 * (K[good] + np.swapaxes(K[good], 1, 2)))
    return out


def _starts(net: LinearNetwork, n: int, seed: int) -> list[NDArray[np.float64]]:
    """The balanced minimum and ``n - 1`` random points of M of generic layer ranks."""
    base = balanced_minimum(net)
    rng = generator(seed, "variety_starts")
    noise = rng.normal(scale=0.5, size=(max(n - 1, 0), base.size))
    out = [base]
    if noise.shape[0]:
        pts, res = project_to_minima(net, base[None] + noise)
        out += [p for p, r in zip(pts, res, strict=True) if np.isfinite(r)]
    return out


def _slsqp(net: LinearNetwork, theta0: NDArray[np.float64]) -> tuple[NDArray[np.float64], float]:
    """One constrained run from ``theta0``; returns the point projected onto M and its
    :math:`\\lambda_{\\max}`."""
    from scipy.optimize import minimize

    m = numeric_model(net)
    Ws = np.asarray(net.W_star).ravel()
    P = theta0.size
    top = min(net.widths[0] * net.widths[-1], 4)
    e_t = np.zeros(P + 1)
    e_t[-1] = 1.0

    def con(x: NDArray[np.float64]) -> NDArray[np.float64]:
        return x[-1] - gram_spectrum(net, x[None, :-1])[0, -top:]

    def con_jac(x: NDArray[np.float64]) -> NDArray[np.float64]:
        th = x[:-1]
        steps = 1.49e-8 * np.maximum(1.0, np.abs(th))
        tb = np.repeat(th[None], P + 1, axis=0)
        tb[np.arange(1, P + 1), np.arange(P)] += steps
        sp = gram_spectrum(net, tb)[:, -top:]
        out = np.empty((top, P + 1))
        out[:, :-1] = -((sp[1:] - sp[0][None]) / steps[:, None]).T
        out[:, -1] = 1.0
        return out

    def eq(x: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(m.product(x[:-1]), dtype=np.float64).ravel() - Ws  # type: ignore[attr-defined]

    def eq_jac(x: NDArray[np.float64]) -> NDArray[np.float64]:
        J = np.asarray(m.jacobian_of_product(x[:-1]), dtype=np.float64)  # type: ignore[attr-defined]
        return np.concatenate([J, np.zeros((J.shape[0], 1))], axis=1)

    f0 = float(gram_spectrum(net, theta0[None])[0, -1])
    with np.errstate(all="ignore"):
        res = minimize(
            lambda x: x[-1],
            np.append(theta0, f0),
            jac=lambda x: e_t,
            method="SLSQP",
            constraints=[
                {"type": "ineq", "fun": con, "jac": con_jac},
                {"type": "eq", "fun": eq, "jac": eq_jac},
            ],
            options={"ftol": 1e-14 * max(1.0, f0), "maxiter": 300},
        )
    th = np.asarray(res.x[:-1]) if np.all(np.isfinite(res.x)) else theta0
    th, r = project_to_minima(net, th)
    if not np.isfinite(r):
        th = theta0
    return th, float(gram_spectrum(net, th[None])[0, -1])


def variety_flattest(
    net: LinearNetwork,
    *,
    starts: int = 4,
    seed: int = 0,
    extra: list[NDArray[np.float64]] | None = None,
) -> tuple[NDArray[np.float64], float, float]:
    r"""Numerical minimum of :math:`\lambda_{\max}(H)` over all of M:
    ``(point, value, spread)``, spread the relative distance from the best to the median of the
    runs (the starts are the balanced minimum, ``starts - 1`` random points of M and the
    points in ``extra``, e.g. the orbit minimum)."""
    pts = _starts(net, starts, seed) + list(extra or [])
    runs = [_slsqp(net, np.asarray(p, dtype=np.float64)) for p in pts]
    runs.sort(key=lambda t: t[1])
    vals = np.array([v for _, v in runs])
    best_th, best = runs[0]
    spread = float((np.median(vals) - best) / best) if best > 0 else 0.0
    return best_th, best, spread


def _rank(M: NDArray[np.float64]) -> int:
    s = np.linalg.svd(M, compute_uv=False)
    return int(np.sum(s > RANK_RTOL * float(s[0]))) if s.size and s[0] > 0 else 0


def jacobian_rank(net: LinearNetwork, theta: Any) -> int:
    r"""Numerical rank of the Jacobian of :math:`\operatorname{vec}W(\theta)` at one point."""
    th = np.asarray(theta, dtype=np.float64).ravel()
    J = np.asarray(numeric_model(net).jacobian_of_product(th[None])[0])  # type: ignore[attr-defined]
    return _rank(J)


def generic_jacobian_rank(net: LinearNetwork, *, samples: int = 8, seed: int = 0) -> int:
    r"""Largest numerical rank of J found on M: :math:`d_Nd_0` at once when every hidden width
    is at least :math:`\min(d_0, d_N)` (then :math:`W_1 = [I; 0]`-type points of M have J of
    full rank), otherwise measured at the balanced minimum and ``samples`` random points of M
    (Gaussian perturbations of it projected onto M)."""

    d0, dN = net.widths[0], net.widths[-1]
    if all(h >= min(d0, dN) for h in net.widths[1:-1]):
        return d0 * dN
    base = balanced_minimum(net)
    rng = generator(seed, "variety_samples")
    pts, res = project_to_minima(net, base[None] + rng.normal(scale=0.5, size=(samples, base.size)))
    ranks = [jacobian_rank(net, p) for p, q in zip(pts, res, strict=True) if np.isfinite(q)]
    return max([*ranks, jacobian_rank(net, base)])
