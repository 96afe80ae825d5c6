r"""Spectra of the GD Jacobian :math:`DG_\eta = I - \eta H` at fixed points (docs/math/claims.md#c3,
docs/math/claims.md#c6).

A Hessian eigenvalue :math:`\lambda` gives the DG eigenvalue :math:`1 - \eta\lambda`.  At a point
of the minima manifold M (C2, C3), :math:`H = J^\top(I \otimes \Sigma_{xx})J` with J the Jacobian
of :math:`\operatorname{vec} W`; since :math:`\Sigma_{xx} \succ 0`, :math:`\ker H = \ker J` is the
tangent space of M, of dimension :math:`\dim M = P - \operatorname{rank} J`, on which DG is the
identity.  The *normal* eigenvalues are the remaining (non-zero) eigenvalues of H, and a minimum
is classified by them only:

* stable: :math:`|1 - \eta\lambda| < 1` for every normal :math:`\lambda`, i.e.
  :math:`\lambda_{\max}(H) < 2/\eta`;
* unstable: some :math:`|1-\eta\lambda| > 1`;
* marginal: the largest modulus equals 1 (within a tolerance), e.g. at :math:`\eta = \eta^*`.

A critical point that is not a minimum is a strict saddle if H has a negative eigenvalue (DG has
an eigenvalue :math:`> 1`, linearly unstable, C6) and a non-strict saddle otherwise (e.g.
:math:`\theta = 0` for :math:`N \ge 3`: H = 0, DG = I, not decided by linearisation).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._results import ResultMixin, jsonable, plotted_by
from ..._validation import check_int, check_positive_float, check_real_array
from ...errors import InvalidParameterError
from ...models import LinearNetwork
from ..kernels import numeric_model

#: The one relative tolerance for "marginal": a minimum is marginal when
#: :math:`|\lambda_{\max}(H) - 2/\eta| \le` MARGINAL_RTOL :math:`\cdot 2/\eta`, and
#: ``stability_analysis`` calls a learning rate "at" :math:`\eta^*` when
#: :math:`|\eta - \eta^*| \le` MARGINAL_RTOL :math:`\cdot\eta^*` (the same condition at the
#: flattest minimum).  It is also the relative cut below which Hessian eigenvalues count as zero.
MARGINAL_RTOL = 1e-9

__all__ = [
    "MARGINAL_RTOL",
    "FixedPointClass",
    "FixedPointSpectrum",
    "classify_eigenvalues",
    "fixed_point_spectrum",
    "fixed_point_spectrum_mp",
    "tangent_normal_bases",
]


class FixedPointClass(Enum):
    """Linear stability of a fixed point of :math:`G_\\eta`; values read as sentences."""

    STABLE = "linearly stable: every normal eigenvalue of DG has modulus < 1"
    UNSTABLE = "linearly unstable: a normal eigenvalue of DG has modulus > 1"
    MARGINAL = "marginal: the largest normal eigenvalue of DG has modulus 1"
    STRICT_SADDLE = "strict saddle: H has a negative eigenvalue, DG an eigenvalue > 1 (unstable)"
    NON_STRICT_SADDLE = "non-strict saddle: not decided by linearisation"

    def __str__(self) -> str:
        return self.value

    @property
    def is_stable(self) -> bool:
        return self is FixedPointClass.STABLE


def classify_eigenvalues(
    hessian_eigenvalues: Any, lr: float, *, is_minimum: bool, rtol: float = MARGINAL_RTOL
) -> FixedPointClass:
    r"""Classify a fixed point from its Hessian eigenvalues (C3, C6).

    Minima: compare :math:`\max|1-\eta\lambda|` over the eigenvalues with 1 (tangent zeros give
    exactly 1 and are ignored: only :math:`\lambda > ` tolerance count as normal).
    Saddles: strict when :math:`\lambda_{\min} < -` tolerance.  The tolerance is ``rtol`` times
    the largest :math:`|\lambda|`.
    """
    lam = np.asarray([float(x) for x in np.ravel(hessian_eigenvalues)], dtype=np.float64)
    scale = float(np.max(np.abs(lam))) if lam.size else 0.0
    tol = rtol * max(scale, 1e-300)
    if not is_minimum:
        if lam.size and lam.min() < -tol:
            return FixedPointClass.STRICT_SADDLE
        return FixedPointClass.NON_STRICT_SADDLE
    normal = lam[lam > tol]
    if normal.size == 0:
        return FixedPointClass.MARGINAL
    s = float(normal.max())
    crit = 2.0 / lr
    if abs(s - crit) <= rtol * crit:
        return FixedPointClass.MARGINAL
    return FixedPointClass.STABLE if s < crit else FixedPointClass.UNSTABLE


@dataclass(frozen=True, repr=False)
class FixedPointSpectrum(ResultMixin):
    r"""Spectrum of :math:`DG_\eta = I - \eta H` at a fixed point (C3).

    Attributes
    ----------
    point : ndarray (P,)
    lr : float
    hessian_eigenvalues : ndarray (P,), ascending
    dg_eigenvalues : ndarray (P,), :math:`1 - \eta\lambda` in the same order
    on_manifold : bool
        Whether the point is a global minimum (on M).
    tangent_dim : int
        :math:`\dim M = P - \operatorname{rank} J` at points of M (0 for saddles).
    normal_eigenvalues : ndarray
        Non-zero Hessian eigenvalues on M (the normal spectrum); for saddles all eigenvalues.
    classification : FixedPointClass
    sharpness : float
        :math:`\lambda_{\max}(H)`.
    gradient_norm : float
        :math:`\lVert\nabla L\rVert` at the point (a check that it is a fixed point).
    precision : int or None
        Decimal digits of the computation (None: float64).
    """

    point: NDArray[np.float64]
    lr: float
    hessian_eigenvalues: NDArray[np.float64]
    dg_eigenvalues: NDArray[np.float64]
    on_manifold: bool
    tangent_dim: int
    normal_eigenvalues: NDArray[np.float64]
    classification: FixedPointClass
    sharpness: float
    gradient_norm: float
    precision: int | None = None

    @classmethod
    def from_hessian(
        cls,
        point: NDArray[np.float64],
        lr: float,
        hessian_eigenvalues: NDArray[np.float64],
        *,
        on_manifold: bool,
        tangent_dim: int,
        normal_eigenvalues: NDArray[np.float64],
        classification: FixedPointClass,
        gradient_norm: float,
        precision: int | None = None,
    ) -> FixedPointSpectrum:
        r"""The spectrum with the fields that follow from the Hessian eigenvalues filled in:
        :math:`1 - \eta\lambda` and the sharpness :math:`\lambda_{\max}`."""
        lam = hessian_eigenvalues
        return cls(
            point=point,
            lr=lr,
            hessian_eigenvalues=lam,
            dg_eigenvalues=1.0 - lr * lam,
            on_manifold=bool(on_manifold),
            tangent_dim=tangent_dim,
            normal_eigenvalues=normal_eigenvalues,
            classification=classification,
            sharpness=float(lam.max()),
            gradient_norm=gradient_norm,
            precision=precision,
        )

    @property
    def is_stable(self) -> bool:
        return self.classification is FixedPointClass.STABLE

    @property
    def spectral_radius_normal(self) -> float:
        """Largest :math:`|1 - \\eta\\lambda|` over the normal eigenvalues."""
        if self.normal_eigenvalues.size == 0:
            return 1.0
        return float(np.max(np.abs(1.0 - self.lr * self.normal_eigenvalues)))

    def __repr__(self) -> str:
        return (
            f"FixedPointSpectrum(sharpness={self.sharpness:.6g}, lr={self.lr:.6g}, "
            f"tangent_dim={self.tangent_dim}, {self.classification.name})"
        )

    def summary(self) -> str:
        ev = ", ".join(f"{x:.6g}" for x in self.normal_eigenvalues[::-1][:8])
        more = " ..." if self.normal_eigenvalues.size > 8 else ""
        lines = [
            f"fixed point       : {'minimum (on M)' if self.on_manifold else 'saddle'}",
            f"sharpness λ_max(H): {self.sharpness:.10g}",
            f"tangent dimension : {self.tangent_dim}",
            f"normal eigenvalues: {ev}{more}",
            f"|DG| on normals   : {self.spectral_radius_normal:.6g} (lr = {self.lr:.6g})",
            f"classification    : {self.classification.value}",
        ]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "point": jsonable(self.point),
            "lr": self.lr,
            "hessian_eigenvalues": jsonable(self.hessian_eigenvalues),
            "dg_eigenvalues": jsonable(self.dg_eigenvalues),
            "on_manifold": self.on_manifold,
            "tangent_dim": self.tangent_dim,
            "normal_eigenvalues": jsonable(self.normal_eigenvalues),
            "classification": self.classification.name.lower(),
            "classification_text": self.classification.value,
            "sharpness": jsonable(self.sharpness),
            "gradient_norm": jsonable(self.gradient_norm),
            "precision": self.precision,
        }

    plot = plotted_by("plot_fixed_point_spectrum")


def tangent_normal_bases(
    net: LinearNetwork, theta: Any, *, rtol: float = MARGINAL_RTOL
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Orthonormal bases of the tangent space :math:`T_\theta M = \ker J` and of its orthogonal
    complement (the normal space) at a point of M (C2, C3).

    Returns ``(T, Nrm)`` of shapes (P, dim M) and (P, rank J), from the SVD of
    :math:`J = \partial\operatorname{vec}W/\partial\theta`; singular values below
    ``rtol`` times the largest count as zero.  On M, :math:`HT = 0` and :math:`DG_\eta T = T`.
    """
    if not isinstance(net, LinearNetwork):
        raise InvalidParameterError(f"net must be a LinearNetwork; got {type(net).__name__}")
    th = np.asarray(theta, dtype=np.float64).reshape(-1)
    J = numeric_model(net).jacobian_of_product(th)  # type: ignore[attr-defined]
    _, sv, Vt = np.linalg.svd(J)
    rank = int(np.sum(sv > rtol * max(float(sv.max()) if sv.size else 0.0, 1e-300)))
    return (
        np.ascontiguousarray(Vt[rank:].T, dtype=np.float64),
        np.ascontiguousarray(Vt[:rank].T, dtype=np.float64),
    )


def _is_on_manifold(model: Any, theta: NDArray[np.float64], gnorm: float) -> bool:
    if not isinstance(model, LinearNetwork):
        return False
    Ws = model.W_star
    W = numeric_model(model).product(theta)  # type: ignore[attr-defined]
    return bool(np.linalg.norm(W - Ws) <= 1e-6 * max(1.0, float(np.linalg.norm(Ws))))


def _check_point(theta: Any, n_params: int) -> NDArray[np.float64]:
    """One finite real parameter vector of length ``n_params`` (a row of shape (1, P) too)."""
    arr = check_real_array("theta", theta, finite=True)
    if arr.size != n_params or arr.ndim > 2 or (arr.ndim == 2 and arr.shape[0] != 1):
        raise InvalidParameterError(
            f"theta must be one point of shape ({n_params},); got shape {arr.shape}"
        )
    return np.asarray(arr.reshape(-1), dtype=np.float64)


def fixed_point_spectrum(
    model: Any, theta: Any, lr: Any, *, on_manifold: bool | None = None, rtol: float = MARGINAL_RTOL
) -> FixedPointSpectrum:
    r"""Spectrum of :math:`DG_\eta` at a fixed point, float64 (C3).

    Parameters
    ----------
    model : LinearNetwork or NumericModel-compatible model
    theta : array_like (P,)
        A critical point (refine it first: see :mod:`dynsys_gd.numeric.landscape.fixed_points`).
    lr : float
        Learning rate :math:`\eta > 0`.
    on_manifold : bool, optional
        Whether theta is on M; detected from :math:`\lVert W(\theta) - W^*\rVert` for linear
        networks when None.  Other models: treated as a minimum when H is positive semidefinite.
    rtol : float
        Relative tolerance for zero eigenvalues and for the marginal case.

    For linear networks on M the tangent dimension is :math:`P - \operatorname{rank} J`.
    """
    lr = check_positive_float("lr", lr)
    m = numeric_model(model)
    th = _check_point(theta, int(m.n_params))
    H = m.hessian(th[None])[0]
    H = 0.5 * (H + H.T)
    lam = np.linalg.eigvalsh(H)
    g = float(np.linalg.norm(m.gradient(th[None])[0]))
    scale = max(float(np.max(np.abs(lam))), 1e-300)
    if on_manifold is None:
        on_manifold = (
            _is_on_manifold(model, th, g)
            if isinstance(model, LinearNetwork)
            else bool(lam.min() >= -rtol * scale)
        )
    tangent_dim = 0
    if on_manifold:
        if isinstance(model, LinearNetwork):
            tangent_dim = tangent_normal_bases(model, th)[0].shape[1]
        else:
            tangent_dim = int(np.sum(np.abs(lam) <= rtol * scale))
        normal = np.sort(lam)[tangent_dim:]
    else:
        normal = np.sort(lam)
    cls = classify_eigenvalues(lam, lr, is_minimum=bool(on_manifold), rtol=rtol)
    return FixedPointSpectrum.from_hessian(
        th.copy(),
        lr,
        lam,
        on_manifold=bool(on_manifold),
        tangent_dim=tangent_dim,
        normal_eigenvalues=normal,
        classification=cls,
        gradient_norm=g,
    )


def fixed_point_spectrum_mp(
    model: Any,
    theta: Any,
    lr: Any,
    *,
    dps: int = 50,
    on_manifold: bool | None = None,
    refine: bool = True,
) -> FixedPointSpectrum:
    r"""Spectrum of :math:`DG_\eta` at a fixed point in mpmath at ``dps`` digits (``eigsy``).

    With ``refine`` (default) the point is first refined at ``dps`` digits
    (:func:`~dynsys_gd.numeric.landscape.fixed_points.refine_mp`: Gauss–Newton onto M for minima of
    linear
    networks, minimum-norm Newton otherwise), so that tangent eigenvalues are
    :math:`O(10^{-dps})` rather than the :math:`10^{-16}` of a float64 point.

    The eigenvalues are returned as float64 arrays (rounded from ``dps``-digit values); the
    zero/normal split uses the threshold :math:`10^{-(dps/2)}\lambda_{\max}`, so tangent
    eigenvalues that float64 sees as :math:`10^{-16}` noise are separated reliably.
    """
    import mpmath

    lr = check_positive_float("lr", lr)
    dps = check_int("dps", dps, minimum=15)
    m = numeric_model(model, precision=dps)
    if on_manifold is None and isinstance(model, LinearNetwork):
        th0 = _check_point(theta, int(m.n_params))
        on_manifold = _is_on_manifold(model, th0, 0.0)
    pt: Any = theta
    if refine:
        from .fixed_points import refine_mp

        pt, _ = refine_mp(
            model,
            theta,
            dps=dps,
            on_manifold=bool(on_manifold) and isinstance(model, LinearNetwork),
        )
    with mpmath.workdps(dps):
        th = np.array([mpmath.mpf(x) for x in np.asarray(pt, dtype=object).ravel()], dtype=object)
        H = mpmath.matrix(m.hessian(th).tolist())
        E = mpmath.eigsy(H, eigvals_only=True)
        lam_mp = sorted(E[i] for i in range(H.rows))
        g = m.gradient(th)
        gn = mpmath.sqrt(mpmath.fsum(x * x for x in g))
        top = max(abs(x) for x in lam_mp)
        cut = top * mpmath.mpf(10) ** (-(dps // 2))
        n_zero = sum(1 for x in lam_mp if abs(x) <= cut)
        n_neg = sum(1 for x in lam_mp if x < -cut)
        lam = np.array([float(x) for x in lam_mp])
        gnorm = float(gn)
    if on_manifold is None:
        on_manifold = (
            _is_on_manifold(model, np.array([float(x) for x in th]), gnorm)
            if isinstance(model, LinearNetwork)
            else n_neg == 0
        )
    if on_manifold:
        tangent_dim = n_zero
        normal = lam[n_zero:] if n_neg == 0 else lam
    else:
        tangent_dim = 0
        normal = lam
    if on_manifold:
        s = float(lam.max())
        crit = 2.0 / lr
        if n_zero == lam.size or abs(s - crit) <= MARGINAL_RTOL * crit:
            cls = FixedPointClass.MARGINAL
        else:
            cls = FixedPointClass.STABLE if s < crit else FixedPointClass.UNSTABLE
    else:
        cls = FixedPointClass.STRICT_SADDLE if n_neg > 0 else FixedPointClass.NON_STRICT_SADDLE
    return FixedPointSpectrum.from_hessian(
        np.array([float(x) for x in th]),
        lr,
        lam,
        on_manifold=bool(on_manifold),
        tangent_dim=tangent_dim,
        normal_eigenvalues=normal,
        classification=cls,
        gradient_norm=gnorm,
        precision=dps,
    )
