r"""Annotations of the limits of converged runs, after the runs (docs/math/convergent-set.md,
docs/math/claims.md#c8): the Hessian spectrum at the limit (:math:`\lambda_{\max}`,
:math:`\lambda_{\min}`), minimum or saddle, and the convergence certificate.  They use LAPACK
(or, for the closed form on M of a linear network with :math:`2 \le d_N d_0 \le 16`, the
compiled rows of :mod:`~dynsys_gd.numeric.engine.limit_spectra_kernel`) and never change an
outcome.  :func:`annotate_limits` is the one place that computes them: a
further per-limit column goes there.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..kernels import NumericModel, hessian_eigvalsh
from .limit_spectra import NetLimitSpectra, net_limit_spectra

__all__ = ["annotate_limits"]

Array = NDArray[Any]


class _Limits:
    """Loss / spectrum / minimum-or-saddle at converged points (annotation only)."""

    def __init__(self, model: Any, m: NumericModel, config: Any) -> None:
        from ...models import LinearNetwork

        self.m = m
        self.cfg = config
        self.lstar: float | None = None
        if isinstance(model, LinearNetwork) and model.Sxx_is_definite:
            Ws = model.W_star
            self.lstar = float(model.loss_offset) - 0.5 * float(np.sum((Ws @ model.Sxx) * Ws))

    def _loss_ok(self, loss: Array) -> Array:
        if self.lstar is None:
            return np.ones(loss.shape, dtype=bool)
        tol = self.cfg.saddle_tol
        out: Array = np.abs(loss - self.lstar) <= tol * max(1.0, abs(self.lstar))
        return out

    def evaluate(self, th: Array) -> tuple[Array, Array, Array]:
        """lam_max, lam_min, at_minimum for a batch of limits (dense eigenvalues)."""
        with np.errstate(all="ignore"):
            loss = np.asarray(self.m.loss(th), dtype=np.float64)
            lam = hessian_eigvalsh(self.m, th)
        lmax, lmin = lam[:, -1], lam[:, 0]
        tol = self.cfg.saddle_tol
        at_min = (lmin >= -tol * np.maximum(1.0, np.abs(lmax))) & self._loss_ok(loss)
        return lmax, lmin, at_min

    def evaluate_on_m(self, th: Array, sp: NetLimitSpectra) -> tuple[Array, Array, Array]:
        r"""lam_max, lam_min, at_minimum from the closed-form spectrum on M
        (:mod:`~dynsys_gd.numeric.engine.limit_spectra`) where its bound is below
        :data:`_CLOSE` :math:`\max(1, \lambda_{\max})` and decides the second-order test as
        the dense eigenvalues at ``th`` would; the dense eigenvalues for the other rows."""
        tol = self.cfg.saddle_tol
        with np.errstate(all="ignore"):
            loss = np.asarray(self.m.loss(th), dtype=np.float64)
            lmax = sp.normal[:, -1].copy()
            lmin = np.zeros(th.shape[0]) if sp.tangent else sp.normal[:, 0].copy()
            B = sp.bound
            top = np.maximum(1.0, np.abs(lmax))
            fast = sp.valid & np.isfinite(lmax) & np.isfinite(lmin) & (B <= _CLOSE * top)
            # Weyl: the dense lam_min at th is >= lmin - B and |lam_max| >= |lmax| - B
            fast &= lmin - B >= -tol * np.maximum(1.0, np.abs(lmax) - B)
        at_min = self._loss_ok(loss)
        slow = np.flatnonzero(~fast)
        if slow.size:
            lmax[slow], lmin[slow], at_min[slow] = self.evaluate(th[slow])
        return lmax, lmin, at_min


#: the closed-form spectrum on M stands for the dense one at the limit when they provably lie
#: within this much (relative to max(1, lam_max)) of each other
_CLOSE = 1e-8


def _net_spectra(model: Any, m: NumericModel, theta: Array) -> NetLimitSpectra | None:
    """The closed-form spectra on M of a linear network with a minima manifold (None for other
    models)."""
    from ...errors import InvalidParameterError
    from ...models import LinearNetwork

    if not isinstance(model, LinearNetwork):
        return None
    try:
        model.require_manifold()
        chol = np.linalg.cholesky(np.asarray(model.Sxx, dtype=np.float64))
    except (InvalidParameterError, np.linalg.LinAlgError):
        return None
    scale = max(1.0, float(np.linalg.norm(model.W_star)))
    return net_limit_spectra(model, m, theta, chol, scale)


def annotate_limits(
    model: Any, m: NumericModel, cfg: Any, theta: Array, lrs: Array, has_limit: Array
) -> dict[str, Array]:
    """The per-run annotation columns of the converged limits (after the runs; they never
    change an outcome): ``sharpness``, ``lam_min``, ``at_minimum`` (:class:`_Limits`) and
    ``certified`` (the limit certificate); 0 / False where there is no limit or
    ``cfg.limits`` is off.  One place for every annotation of a limit: a further per-limit
    column (such as a label global minimum / local minimum / saddle from
    :mod:`~dynsys_gd.numeric.landscape`) is computed here on ``theta[has_limit]`` and added to
    :class:`RunBatch` as one more column.

    For a linear network with a minima manifold the spectrum comes from its closed form on M
    at the projection of each limit, with a bound on the distance to the dense eigenvalues at
    the limit (:mod:`~dynsys_gd.numeric.engine.limit_spectra`): the reported
    :math:`\\lambda_{\\max}, \\lambda_{\\min}` then lie within :math:`10^{-8}\\max(1,
    \\lambda_{\\max})` of the dense ones, and every decision (minimum or saddle, certified) is
    the one the dense eigenvalues give (but for rounding exactly at a threshold); rows the
    bound does not settle use the dense eigenvalues."""
    n = theta.shape[0]
    cols: dict[str, Array] = {
        "sharpness": np.zeros(n),
        "lam_min": np.zeros(n),
        "at_minimum": np.zeros(n, dtype=bool),
        "certified": np.zeros(n, dtype=bool),
    }
    if not (has_limit.any() and cfg.limits):
        return cols
    idx = np.flatnonzero(has_limit)
    th = theta[idx]
    sp = _net_spectra(model, m, th)
    lim = _Limits(model, m, cfg)
    lmax, lmn, amin = lim.evaluate(th) if sp is None else lim.evaluate_on_m(th, sp)
    cols["sharpness"][idx] = np.where(np.isfinite(lmax), lmax, 0.0)
    cols["lam_min"][idx] = np.where(np.isfinite(lmn), lmn, 0.0)
    cols["at_minimum"][idx] = amin
    if cfg.certificate:
        cols["certified"] = _certify_limits(model, m, cfg, theta, lrs, has_limit, sp)
    return cols


def _certify_limits(
    model: Any,
    m: NumericModel,
    cfg: Any,
    theta: Array,
    lrs: Array,
    has_limit: Array,
    sp: NetLimitSpectra | None = None,
) -> Array:
    from ...models import LinearNetwork
    from .convergence_certificate import Certifier

    n = theta.shape[0]
    out = np.zeros(n, dtype=bool)
    if not isinstance(model, LinearNetwork) and m.n_params > cfg.cert_max_params:
        return out
    idx = np.flatnonzero(has_limit)
    pos = np.full(n, -1)
    pos[idx] = np.arange(idx.size)
    for eta in np.unique(lrs[idx]):
        sel = idx[lrs[idx] == eta]
        cert = Certifier(model, m, float(eta), cfg)
        cert.require_history = False
        located = None if sp is None else sp.rows(pos[sel])
        ok, _fixed, _dist, _q = cert.attempt(theta[sel], np.full(sel.size, np.inf), located=located)
        out[sel] = ok
    return out
