r"""Annotations of the limits of converged runs, after the runs (docs/math/convergent-set.md,
docs/math/claims.md#c8): the Hessian spectrum at the limit (:math:`\lambda_{\max}`,
:math:`\lambda_{\min}`), minimum or saddle, and the convergence certificate.  They use LAPACK
and never change an outcome.  :func:`annotate_limits` is the one place that computes them: a
further per-limit column goes there.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..kernels import NumericModel, hessian_eigvalsh

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

    def evaluate(self, th: Array) -> tuple[Array, Array, Array]:
        """lam_max, lam_min, at_minimum for a batch of limits."""
        with np.errstate(all="ignore"):
            loss = np.asarray(self.m.loss(th), dtype=np.float64)
            lam = hessian_eigvalsh(self.m, th)
        lmax, lmin = lam[:, -1], lam[:, 0]
        tol = self.cfg.saddle_tol
        at_min = lmin >= -tol * np.maximum(1.0, np.abs(lmax))
        if self.lstar is not None:
            at_min &= np.abs(loss - self.lstar) <= tol * max(1.0, abs(self.lstar))
        return lmax, lmin, at_min


def annotate_limits(
    model: Any, m: NumericModel, cfg: Any, theta: Array, lrs: Array, has_limit: Array
) -> dict[str, Array]:
    """The per-run annotation columns of the converged limits (after the runs; they never
    change an outcome): ``sharpness``, ``lam_min``, ``at_minimum`` (:class:`_Limits`) and
    ``certified`` (the limit certificate); 0 / False where there is no limit or
    ``cfg.limits`` is off.  One place for every annotation of a limit: a further per-limit
    column (such as a label global minimum / local minimum / saddle from
    :mod:`~dynsys_gd.numeric.landscape`) is computed here on ``theta[has_limit]`` and added to
    :class:`RunBatch` as one more column."""
    n = theta.shape[0]
    cols: dict[str, Array] = {
        "sharpness": np.zeros(n),
        "lam_min": np.zeros(n),
        "at_minimum": np.zeros(n, dtype=bool),
        "certified": np.zeros(n, dtype=bool),
    }
    if not (has_limit.any() and cfg.limits):
        return cols
    lmax, lmn, amin = _Limits(model, m, cfg).evaluate(theta[has_limit])
    cols["sharpness"][has_limit] = np.where(np.isfinite(lmax), lmax, 0.0)
    cols["lam_min"][has_limit] = np.where(np.isfinite(lmn), lmn, 0.0)
    cols["at_minimum"][has_limit] = amin
    if cfg.certificate:
        cols["certified"] = _certify_limits(model, m, cfg, theta, lrs, has_limit)
    return cols


def _certify_limits(
    model: Any, m: NumericModel, cfg: Any, theta: Array, lrs: Array, has_limit: Array
) -> Array:
    from ...models import LinearNetwork
    from .convergence_certificate import Certifier

    n = theta.shape[0]
    out = np.zeros(n, dtype=bool)
    if not isinstance(model, LinearNetwork) and m.n_params > cfg.cert_max_params:
        return out
    idx = np.flatnonzero(has_limit)
    for eta in np.unique(lrs[idx]):
        sel = idx[lrs[idx] == eta]
        cert = Certifier(model, m, float(eta), cfg)
        cert.require_history = False
        ok, _fixed, _dist, _q = cert.attempt(theta[sel], np.full(sel.size, np.inf))
        out[sel] = ok
    return out
