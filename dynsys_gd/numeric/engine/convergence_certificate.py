r"""Certificate of the limit of a converged GD run (docs/math/convergent-set.md,
docs/math/claims.md#c3, docs/math/claims.md#c8).

The engine (:func:`~dynsys_gd.numeric.engine.run_gd`) decides convergence inside its compiled
kernel from the measured contraction factor of the run itself
(:mod:`~dynsys_gd.numeric.engine.outcomes`); this module then *certifies the limit* of every
converged
run (``RunBatch.certified``): it never decides an outcome (it uses LAPACK, whose results may
differ between machines).  :func:`certify` is the functional form for any batch of iterates.

For a run at :math:`\theta` the certificate

1. locates a nearby critical point :math:`\theta^*`: for linear networks the Gauss–Newton
   projection onto :math:`M = \{W(\theta) = W^*\}`
   (:func:`~dynsys_gd.numeric.landscape.manifold.project_to_minima`), otherwise the minimum-norm
   Newton
   iteration (:func:`~dynsys_gd.numeric.landscape.manifold.minimum_norm_newton`);
2. computes the spectrum of :math:`H(\theta^*)`.  The *normal* eigenvalues are the non-zero ones
   (for linear networks the top :math:`d_N d_0` = codimension of M, C3); tangent directions have
   :math:`DG` eigenvalue 1.  It requires every normal eigenvalue to be > 0 (a minimum, not a
   saddle) and :math:`q = \max|1 - \eta\lambda_{\text{normal}}| < 1`;
3. estimates the local variation :math:`\delta = \lVert H(\theta) - H(\theta^*)\rVert_2` and
   requires :math:`q + \eta\delta \le 1 - \text{margin}` (the contraction still holds at the
   current distance);
4. optionally (:func:`certify` with ``prev_theta``) requires the distance
   :math:`d = \lVert\theta - \theta^*\rVert` to have shrunk since an earlier iterate by the factor
   ``shrink``; the engine certifies final iterates without this test (the approach was already
   measured by the kernel).

What is guaranteed and what is heuristic
-----------------------------------------
*Guaranteed* (up to float64 rounding): :math:`\theta^*` is a critical point (residual below
tolerance) at which the linearisation :math:`DG_\eta(\theta^*)` contracts every normal direction
with factor :math:`q < 1` and is the identity on the tangent space: :math:`\theta^*` lies on a
normally attracting part of the critical manifold.  *Heuristic*: that the current iterate lies in
its basin.  The checks 3–4 (contraction margin at the measured distance, observed geometric decay)
are the hypotheses of the normally-hyperbolic stable-manifold argument evaluated at sampled
points, not a proof over a whole ball; the limit the run converges to is within
:math:`O(d)` of :math:`\theta^*`, and the engine reports :math:`\theta^*` as the fixed point.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._validation import check_positive_float
from ..kernels import NumericModel, hessian_eigvalsh, numeric_model
from ..landscape.manifold import minimum_norm_newton, project_to_minima
from .limit_spectra import NetLimitSpectra

__all__ = ["Certifier", "certify"]

Array = NDArray[Any]


class Certifier:
    r"""Batched convergence certificate for one model and step size (see module docstring).

    Parameters
    ----------
    model : LinearNetwork, LossModel or NumericModel
        The model (linear networks with a minima manifold use the Gauss–Newton projection).
    m : NumericModel
        Its numeric kernels.
    lr : float
        Step size :math:`\eta`.
    config : EngineConfig
        Supplies ``cert_margin`` and ``cert_shrink``.
    """

    def __init__(self, model: Any, m: NumericModel, lr: float, config: Any) -> None:
        from ...errors import InvalidParameterError
        from ...models import LinearNetwork

        self.model = model
        self.m = m
        self.lr = float(lr)
        self.margin = float(config.cert_margin)
        self.shrink = float(config.cert_shrink)
        self.require_history = True
        self.net: LinearNetwork | None = None
        if isinstance(model, LinearNetwork):
            try:
                model.require_manifold()
                self.net = model
                self.codim = model.widths[0] * model.widths[-1]
                self.scale = max(1.0, float(np.linalg.norm(model.W_star)))
                self.chol = np.linalg.cholesky(np.asarray(model.Sxx, dtype=np.float64))
            except (InvalidParameterError, np.linalg.LinAlgError):
                self.net = None

    def critical_points(self, th: Array) -> tuple[Array, Array]:
        """Nearby critical points and a validity mask."""
        if self.net is not None:
            fixed, res = project_to_minima(self.net, th)
            return fixed, res <= 1e-11 * self.scale
        fixed, gn = minimum_norm_newton(self.model, th)
        return fixed, gn <= 1e-10

    def attempt(
        self, th: Array, prev_dist: Array, *, located: NetLimitSpectra | None = None
    ) -> tuple[Array, Array, Array, Array]:
        r"""Try to certify a batch of iterates.

        ``located``: the projections onto M and the closed-form spectra there, when the
        caller has them (:func:`~dynsys_gd.numeric.engine.limit_spectra.net_limit_spectra`;
        linear networks only).  Their bounds give :math:`\delta \le` ``bound + bound_fixed``,
        which settles the contraction test for almost every converged run without a Hessian.

        Returns
        -------
        ok : ndarray of bool
            Certified runs.
        fixed : ndarray (b, P)
            The critical points :math:`\theta^*` found.
        dist : ndarray
            :math:`\lVert\theta - \theta^*\rVert` (``inf`` where no critical point was found).
        q : ndarray
            :math:`\max|1 - \eta\lambda_{\text{normal}}|` at :math:`\theta^*` (``inf`` where no
            critical point was found or it is not a minimum).
        """

        eta = self.lr
        if self.net is None:
            located = None
        with np.errstate(all="ignore"):
            if located is None:
                fixed, valid = self.critical_points(th)
            else:
                fixed, valid = located.fixed, located.valid
            d = th - fixed
            dist = np.sqrt(np.einsum("ij,ij->i", d, d))
            dist = np.where(valid & np.isfinite(dist), dist, np.inf)
            ok = np.zeros(th.shape[0], dtype=bool)
            qout = np.full(th.shape[0], np.inf)
            sel = np.flatnonzero(np.isfinite(dist))
            if sel.size == 0:
                return ok, fixed, dist, qout
            if located is not None:
                lam = located.normal[sel]
            elif self.net is not None:
                lam = self._normal_spectrum(fixed[sel])
            else:
                lam = hessian_eigvalsh(self.m, fixed[sel])
            finite = np.all(np.isfinite(lam), axis=1)
            lam = np.where(np.isfinite(lam), lam, 0.0)
            top = np.max(np.abs(lam), axis=1, keepdims=True)
            if self.net is not None:
                normal = lam
                mask = np.ones_like(normal, dtype=bool)
                good = normal[:, 0] > 1e-12 * top[:, 0]
            else:
                normal = lam
                mask = np.abs(lam) > 1e-9 * np.maximum(top, 1e-300)
                good = ~np.any(mask & (lam < 0), axis=1) & mask.any(axis=1)
            q = np.max(np.where(mask, np.abs(1.0 - eta * normal), 0.0), axis=1)
            if located is None:
                delta = self._variation(th[sel], fixed[sel], q)
            else:
                # delta <= |H(th) - Gram*| + |H(th*) - Gram*|: the exact delta only where the
                # bound does not settle the test
                delta = located.bound[sel] + located.bound_fixed[sel]
                rest = np.flatnonzero(~(q + eta * delta <= 1.0 - self.margin))
                if rest.size:
                    delta[rest] = self._variation(th[sel][rest], fixed[sel][rest], q[rest])
            contract = q + eta * delta <= 1.0 - self.margin
            prev = prev_dist[sel]
            shrinking = dist[sel] <= self.shrink * prev
            if self.require_history:
                shrinking &= np.isfinite(prev)
            ok[sel] = finite & good & contract & shrinking & np.isfinite(delta)
            qout[sel] = np.where(finite & good, q, np.inf)
        return ok, fixed, dist, qout

    def _normal_spectrum(self, fixed: Array) -> Array:
        r"""The normal eigenvalues of :math:`H` at points of M (ascending, shape
        (b, :math:`d_N d_0`)): on M the residual term of :math:`H` vanishes, so
        :math:`H = J^\top (I \otimes \Sigma_{xx}) J` (:math:`J` the Jacobian of
        :math:`\operatorname{vec} W`), whose non-zero eigenvalues are those of the
        :math:`d_N d_0 \times d_N d_0` matrix :math:`\tilde J \tilde J^\top`,
        :math:`\tilde J = (I \otimes C^\top) J`, :math:`\Sigma_{xx} = C C^\top`
        (docs/math/claims.md#c3: the codimension of M is :math:`d_N d_0`); the tangent
        eigenvalues are 0 (:mod:`~dynsys_gd.numeric.engine.limit_spectra`)."""
        J = np.asarray(self.m.jacobian_of_product(fixed), dtype=np.float64)  # type: ignore[attr-defined]
        b, P = J.shape[0], J.shape[2]
        dN, d0 = self.net.widths[-1], self.net.widths[0]  # type: ignore[union-attr]
        Jt = np.einsum("qs,xpqk->xpsk", self.chol, J.reshape(b, dN, d0, P)).reshape(b, dN * d0, P)
        G = Jt @ np.swapaxes(Jt, 1, 2)
        out = np.full((b, dN * d0), np.inf)
        ok = np.all(np.isfinite(G), axis=(1, 2))
        if ok.any():
            out[ok] = np.linalg.eigvalsh(G[ok])
        return out

    def _variation(self, th: Array, fixed: Array, q: Array) -> Array:
        r""":math:`\delta = \lVert H(\theta) - H(\theta^*)\rVert_2` where the contraction test
        needs it.  The Frobenius norm bounds it from above (:math:`\lVert A\rVert_2 \le
        \lVert A\rVert_F`), so a run that passes :math:`q + \eta\lVert A\rVert_F(1 +
        10^{-9}) \le 1 - \text{margin}` passes the test with :math:`\delta` too (the factor
        covers the rounding of both norms) and gets the bound; the eigenvalues of :math:`A` are
        computed only for the others.  Same decisions, a fraction of the work."""
        P = th.shape[1]
        step = max(1, _HESS_FLOATS // max(1, P * P))
        out = np.empty(th.shape[0])
        for a in range(0, th.shape[0], step):
            H = np.asarray(self.m.hessian(th[a : a + step]), dtype=np.float64)
            H = H - np.asarray(self.m.hessian(fixed[a : a + step]), dtype=np.float64)
            F = np.sqrt(np.einsum("xij,xij->x", H, H))
            passed = np.isfinite(F) & (
                q[a : a + step] + self.lr * F * (1.0 + 1e-9) <= 1.0 - self.margin
            )
            out[a : a + step] = F
            rest = np.flatnonzero(~passed)
            if rest.size:
                D = H[rest]
                D = 0.5 * (D + np.swapaxes(D, 1, 2))
                lam = np.full((rest.size, P), np.inf)
                fin = np.all(np.isfinite(D), axis=(1, 2))
                if fin.any():
                    lam[fin] = np.linalg.eigvalsh(D[fin])
                out[a + rest] = np.max(np.abs(lam), axis=1)
        return out


#: floats of the Hessians held at once by :meth:`Certifier._variation` (bounded memory)
_HESS_FLOATS = 2_000_000


def certify(
    model: Any,
    theta: Any,
    lr: float,
    *,
    prev_theta: Any = None,
    margin: float = 1e-6,
    shrink: float = 0.9,
) -> tuple[Array, Array, Array]:
    r"""Convergence certificate for a batch of iterates (functional form of :class:`Certifier`).

    Parameters
    ----------
    model : LinearNetwork, LossModel or NumericModel
        The model.
    theta : array_like, shape (b, P)
        Current iterates.
    lr : float
        Step size.
    prev_theta : array_like, optional
        Earlier iterates of the same runs; the distance to the critical set must have shrunk by
        ``shrink`` since then.  Without it the geometric-decrease test is skipped.
    margin, shrink : float
        See :class:`~dynsys_gd.numeric.engine.EngineConfig` (``cert_margin``, ``cert_shrink``).

    Returns
    -------
    ok, fixed, dist : ndarrays
        Certified mask, nearby critical points, distances to them.
    """
    from types import SimpleNamespace

    eta = check_positive_float("lr", lr)
    check_positive_float("margin", margin)
    check_positive_float("shrink", shrink)
    m = numeric_model(model)
    th = np.atleast_2d(np.asarray(theta, dtype=np.float64))
    cert = Certifier(model, m, eta, SimpleNamespace(cert_margin=margin, cert_shrink=shrink))
    if prev_theta is None:
        cert.require_history = False
        prev = np.full(th.shape[0], np.inf)
    else:
        pt = np.atleast_2d(np.asarray(prev_theta, dtype=np.float64))
        _, _, prev, _ = cert.attempt(pt, np.full(pt.shape[0], np.inf))
    ok, fixed, dist, _ = cert.attempt(th, prev)
    return ok, fixed, dist
