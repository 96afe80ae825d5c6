r"""Curves in the minima manifold M of a linear network and the spectra along them (C2–C5).

The parametrisation symmetry of a linear network, :math:`W_1 \mapsto e^{t}W_1`,
:math:`W_2 \mapsto e^{-t}W_2`, keeps the product :math:`W_N\cdots W_1` fixed, so it moves a
global minimum along M (C2).  Along such a *rebalancing curve* the sharpness
:math:`\lambda_{\max}(H)` is smallest at a balanced point and grows without bound (C4); its
minimum over M is :math:`S_{\min}` and :math:`\eta^* = 2/S_{\min}` (C5).

=====================================  =========================================================
function                               returns
=====================================  =========================================================
:func:`rebalancing_curve`              points :math:`\theta(t)` of the curve (all in M when
                                       :math:`\theta(0)` is)
:func:`normal_spectrum`                the :math:`d_N d_0` largest Hessian eigenvalues (normal
                                       directions of M, C3) at given points
:func:`dg_eigenvalues`                 :math:`1 - \eta\lambda`, the eigenvalues of
                                       :math:`DG_\eta = I - \eta H`
:func:`sharpness_along_manifold`       the whole recipe: curve through the flattest minimum and
                                       its normal spectrum, as a :class:`ManifoldSharpness`
=====================================  =========================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..._results import ResultMixin, jsonable, plotted_by
from ..._validation import check_int, check_positive_float
from ...errors import InvalidParameterError
from ...models import LinearNetwork

__all__ = [
    "ManifoldSharpness",
    "dg_eigenvalues",
    "normal_spectrum",
    "rebalancing_curve",
    "sharpness_along_manifold",
]

Array = NDArray[np.float64]


def _check_net(net: Any) -> LinearNetwork:
    if not isinstance(net, LinearNetwork):
        raise InvalidParameterError(
            f"net must be a LinearNetwork (its minima form the manifold M); got "
            f"{type(net).__name__}"
        )
    return net


def _curve_parameters(ts: ArrayLike) -> Array:
    try:
        t = np.asarray(ts, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"ts must be a 1-D array of finite floats; got {type(ts).__name__}"
        ) from exc
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)):
        raise InvalidParameterError(
            f"ts must be a non-empty 1-D array of finite floats; got shape {t.shape}"
        )
    return t


def rebalancing_curve(net: LinearNetwork, theta: ArrayLike, ts: ArrayLike) -> Array:
    r"""Points :math:`\theta(t) = (e^{t} W_1, e^{-t} W_2, W_3, \dots, W_N)` of a linear network.

    The product :math:`W_N \cdots W_1` does not depend on :math:`t`, so when :math:`\theta` is
    a global minimum the whole curve lies in the minima manifold M (C2) and leaves every
    compact set as :math:`|t| \to \infty` — along it the sharpness grows without bound (C4).

    Parameters
    ----------
    net
        A :class:`~dynsys_gd.LinearNetwork` with depth :math:`\ge 2`.
    theta
        Parameter vector of length ``net.n_params``.
    ts
        Curve parameters.

    Returns
    -------
    ndarray, shape (len(ts), P)

    Raises
    ------
    InvalidParameterError
        For a model that is not a linear network of depth >= 2, or a ``theta`` of the wrong
        shape.
    """
    net = _check_net(net)
    check_int("net.depth", net.depth, minimum=2)
    th = np.asarray(theta, dtype=np.float64)
    if th.shape != (net.n_params,):
        raise InvalidParameterError(f"theta must have shape ({net.n_params},); got {th.shape}")
    t = _curve_parameters(ts)
    o = net.offsets
    out = np.repeat(th[None, :], t.shape[0], axis=0)
    out[:, o[0] : o[1]] *= np.exp(t)[:, None]
    out[:, o[1] : o[2]] *= np.exp(-t)[:, None]
    return out


def normal_spectrum(net: LinearNetwork, thetas: ArrayLike) -> Array:
    r"""The :math:`d_N d_0` largest Hessian eigenvalues at points of M (C3).

    On M, :math:`H = J^\top(\Sigma_{xx}\otimes I)J`; its non-zero eigenvalues (normal
    directions) number :math:`d_N d_0` when :math:`J` is onto, the rest are the zeros of the
    tangent space.  Returned in ascending order per row, shape ``(B, d_N d_0)``.
    """
    from ..kernels import numeric_model

    net = _check_net(net)
    th = np.atleast_2d(np.asarray(thetas, dtype=np.float64))
    if th.ndim != 2 or th.shape[1] != net.n_params:
        raise InvalidParameterError(
            f"thetas must have shape (B, {net.n_params}); got {np.shape(thetas)}"
        )
    H = numeric_model(net).hessian(th)
    ev = np.linalg.eigvalsh(H)
    k = min(net.widths[0] * net.widths[-1], ev.shape[-1])
    return np.asarray(ev[:, -k:], dtype=np.float64)


def dg_eigenvalues(hessian_eigenvalues: ArrayLike, lr: float) -> Array:
    r"""Eigenvalues :math:`1 - \eta\lambda` of :math:`DG_\eta = I - \eta H`
    (docs/math/gd-map.md)."""
    lr = check_positive_float("lr", lr)
    return 1.0 - lr * np.asarray(hessian_eigenvalues, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class ManifoldSharpness(ResultMixin):
    r"""Normal Hessian spectrum along a rebalancing curve of M (C3–C5).

    Attributes
    ----------
    t : ndarray (n,)
        Curve parameter: the point is :math:`(e^{t}W_1, e^{-t}W_2, W_3, \dots)` of ``theta``.
    points : ndarray (n, P)
        The points of M.
    normal_eigenvalues : ndarray (n, k)
        The :math:`k = d_N d_0` non-zero Hessian eigenvalues (ascending per row).
    sharpness : ndarray (n,)
        :math:`\lambda_{\max}(H)` per point (the last column of ``normal_eigenvalues``).
    min_sharpness : float
        :math:`S_{\min}` of the network (over all of M, C5).
    critical_lr : float
        :math:`\eta^* = 2/S_{\min}`.
    model : str
        The network.
    """

    t: Array
    points: Array
    normal_eigenvalues: Array
    sharpness: Array
    min_sharpness: float
    critical_lr: float
    model: str

    def __repr__(self) -> str:
        return (
            f"ManifoldSharpness({self.t.size} points, t in [{self.t[0]:g}, {self.t[-1]:g}], "
            f"sharpness {self.sharpness.min():.4g}..{self.sharpness.max():.4g})"
        )

    def summary(self) -> str:
        i = int(np.argmin(self.sharpness))
        return "\n".join(
            [
                f"Sharpness along a rebalancing curve of M for {self.model}",
                f"  {self.t.size} points, t in [{self.t[0]:g}, {self.t[-1]:g}]",
                f"  sharpness from {self.sharpness.min():.6g} (at t = {self.t[i]:.4g}) to "
                f"{self.sharpness.max():.6g}",
                f"  S_min over M = {self.min_sharpness:.6g}, eta* = 2 / S_min = "
                f"{self.critical_lr:.6g}",
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "t": jsonable(self.t),
            "points": jsonable(self.points),
            "normal_eigenvalues": jsonable(self.normal_eigenvalues),
            "sharpness": jsonable(self.sharpness),
            "min_sharpness": jsonable(self.min_sharpness),
            "critical_lr": jsonable(self.critical_lr),
            "model": self.model,
        }

    _rows_along = "t"
    plot = plotted_by("plot_sharpness_along_manifold")


def sharpness_along_manifold(
    net: LinearNetwork, theta: ArrayLike | None = None, ts: ArrayLike | None = None
) -> ManifoldSharpness:
    r"""Normal Hessian spectrum along the rebalancing curve of M through ``theta`` (C3–C5).

    Parameters
    ----------
    net
        A linear network of depth :math:`\ge 2` with a manifold of minima.
    theta
        A global minimum (default: a flattest minimum, :func:`~dynsys_gd.flattest_minimum`,
        so the curve's lowest sharpness is :math:`S_{\min}`).
    ts
        Curve parameters (default 161 points in :math:`[-1.5, 1.5]`).

    Returns
    -------
    ManifoldSharpness

    Raises
    ------
    InvalidParameterError
        For a model that is not a linear network of depth >= 2 with a manifold of minima.

    Examples
    --------
    >>> import dynsys_gd as dg
    >>> from dynsys_gd.numeric.landscape.curves import sharpness_along_manifold
    >>> curve = sharpness_along_manifold(dg.LinearNetwork.scalar(3, 2.0), ts=[-1, 0, 1])
    >>> bool(curve.sharpness[1] < curve.sharpness[0])
    True
    """
    from .sharpness import flattest_minimum

    net = _check_net(net)
    check_int("net.depth", net.depth, minimum=2)
    net.require_manifold()
    flat = flattest_minimum(net)
    th = flat.point if theta is None else np.asarray(theta, dtype=np.float64)
    t = np.linspace(-1.5, 1.5, 161) if ts is None else _curve_parameters(ts)
    pts = rebalancing_curve(net, th, t)
    ev = normal_spectrum(net, pts)
    return ManifoldSharpness(
        t=t,
        points=pts,
        normal_eigenvalues=ev,
        sharpness=ev[:, -1].copy(),
        min_sharpness=float(flat.sharpness),
        critical_lr=float(2.0 / flat.sharpness),
        model=repr(net),
    )
