r"""Pseudo-arclength continuation of fixed points and period-:math:`k` orbits of a parametric map
:math:`x \mapsto f(x, p)`, with multipliers, detection and location of flips, folds and
Neimark--Sacker points, the flip normal-form coefficient and branch switching at flips
(docs/math/continuation.md).

A period-:math:`k` point solves :math:`H(x, p) = f^k(x, p) - x = 0`.  The branch is followed in
:math:`u = (x, p)` by a tangent predictor and a Newton corrector on
:math:`H(u) = 0,\ t^\top (u - u_{\rm pred}) = 0`.  The linear solves are least squares, so a
continuum of fixed points (the minima manifold of an over-parametrised model, where
:math:`D_xH` is singular everywhere) is followed too: the tangent is the unit vector of
:math:`\ker DH` closest to the previous one, and the corrector takes the minimum-norm step.

Events along the branch, read off the multipliers :math:`\mu_i` (eigenvalues of the monodromy
matrix :math:`M = \prod_j D_xf(x_j, p)`):

* flip: a real multiplier crosses :math:`-1`;
* fold: the :math:`p`-component of the tangent changes sign;
* Neimark--Sacker: a complex pair crosses the unit circle.

Flips and Neimark--Sacker points are then located by Newton's method on the augmented system
:math:`H = 0,\ \psi = 0` (:math:`\psi = \det(M + I)` for a flip, or
:math:`|\mu|^2 - 1` for the complex pair nearest the circle); the residual is exact (up to the
map's Jacobian), only the Newton matrix is by differences, so the located parameter is accurate
to rounding.  Folds are located by the secant method on the tangent's :math:`p`-component.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ...errors import InvalidParameterError
from ...models.iterated_map import IteratedMap

__all__ = [
    "BranchPoint",
    "ContinuationBranch",
    "LocatedBifurcation",
    "continue_branch",
    "flip_coefficient",
    "monodromy",
    "switch_at_flip",
]

Array = NDArray[Any]


@dataclass(frozen=True)
class BranchPoint:
    """One point of a branch: a point ``x`` of the orbit, the parameter and the multipliers."""

    x: Array
    param: float
    multipliers: Array

    @property
    def stable(self) -> bool:
        """All multipliers strictly inside the unit circle (up to 1e-9), a neutral multiplier 1
        (to 1e-7) along a continuum of fixed points excepted."""
        m = np.abs(self.multipliers)
        return bool(np.all((m < 1 - 1e-9) | (np.abs(self.multipliers - 1) < 1e-7)))


@dataclass(frozen=True)
class LocatedBifurcation:
    """A located bifurcation: kind, parameter, period, orbit point, normal-form coefficient."""

    kind: str
    param: float
    period: int
    x: Array
    coefficient: float | None = None
    eigenvector: Array | None = None

    @property
    def supercritical(self) -> bool | None:
        """For a flip: the coefficient is > 0 (a stable 2-cycle is born); None otherwise."""
        if self.kind != "flip" or self.coefficient is None:
            return None
        return bool(self.coefficient > 0)


@dataclass(frozen=True)
class ContinuationBranch:
    """A continued branch of period-``period`` points."""

    period: int
    points: list[BranchPoint] = field(default_factory=list)
    bifurcations: list[LocatedBifurcation] = field(default_factory=list)

    @property
    def params(self) -> Array:
        return np.array([p.param for p in self.points])

    @property
    def states(self) -> Array:
        return np.array([p.x for p in self.points])

    @property
    def stable(self) -> Array:
        return np.array([p.stable for p in self.points], dtype=bool)


# ---------------------------------------------------------------- the map and its iterates


def orbit(fmap: IteratedMap, x: Array, p: float, k: int) -> list[Array]:
    """The points :math:`x_0 = x, x_1, \\dots, x_k` of the orbit."""
    pts = [np.asarray(x, dtype=np.float64)]
    for _ in range(k):
        pts.append(fmap.step(pts[-1], p))
    return pts


def monodromy(fmap: IteratedMap, x: Array, p: float, k: int) -> Array:
    r""":math:`D_x f^k(x, p) = Df(x_{k-1}) \cdots Df(x_0)`."""
    pts = orbit(fmap, x, p, k)
    M = np.eye(fmap.dim)
    for j in range(k):
        M = fmap.jacobian(pts[j], p) @ M
    return M


def _residual(fmap: IteratedMap, u: Array, k: int) -> Array:
    x, p = u[:-1], float(u[-1])
    return orbit(fmap, x, p, k)[-1] - x


def _dp(fmap: IteratedMap, x: Array, p: float, k: int) -> Array:
    h = 1e-6 * max(1.0, abs(p))
    return (orbit(fmap, x, p + h, k)[-1] - orbit(fmap, x, p - h, k)[-1]) / (2 * h)


def _jac(fmap: IteratedMap, u: Array, k: int) -> Array:
    x, p = u[:-1], float(u[-1])
    M = monodromy(fmap, x, p, k)
    return np.column_stack([M - np.eye(fmap.dim), _dp(fmap, x, p, k)])


def _tangent(J: Array, prev: Array) -> Array:
    """Unit vector of ker J closest to ``prev`` (ker J may be more than one-dimensional)."""
    _, s, Vt = np.linalg.svd(J)
    tol = 1e-8 * max(1.0, s[0]) if s.size else 1e-8
    rank = int(np.sum(s > tol))
    N = Vt[rank:].T
    t = N @ (N.T @ prev)
    if np.linalg.norm(t) < 1e-12:
        t = N[:, 0]
    t = t / np.linalg.norm(t)
    return t if t @ prev >= 0 else -t


def _correct(fmap: IteratedMap, u: Array, t: Array, k: int, tol: float = 1e-12) -> Array | None:
    """Newton (least squares) on H(u) = 0, t.(u - u_pred) = 0 from u = u_pred."""
    u0 = u.copy()
    for _ in range(30):
        r = np.append(_residual(fmap, u, k), t @ (u - u0))
        if not np.all(np.isfinite(r)):
            return None
        A = np.vstack([_jac(fmap, u, k), t])
        du = np.linalg.lstsq(A, -r, rcond=None)[0]
        u = u + du
        if np.linalg.norm(du) < tol * max(1.0, float(np.linalg.norm(u))):
            r = _residual(fmap, u, k)
            return u if np.all(np.isfinite(r)) and np.linalg.norm(r) < 1e-9 else None
    return None


def multipliers(fmap: IteratedMap, x: Array, p: float, k: int) -> Array:
    """Eigenvalues of the monodromy matrix, sorted by decreasing modulus."""
    mu = np.linalg.eigvals(monodromy(fmap, x, p, k))
    return mu[np.argsort(-np.abs(mu))]


def _n_flip(mu: Array) -> int:
    real = np.abs(mu.imag) < 1e-12
    return int(np.sum(real & (mu.real < -1)))


def _n_ns(mu: Array) -> int:
    cplx = np.abs(mu.imag) >= 1e-12
    return int(np.sum(cplx & (np.abs(mu) > 1)))


# ---------------------------------------------------------------- location


def _psi(fmap: IteratedMap, u: Array, k: int, kind: str) -> float:
    M = monodromy(fmap, u[:-1], float(u[-1]), k)
    if kind == "flip":
        return float(np.linalg.det(M + np.eye(M.shape[0])))
    mu = np.linalg.eigvals(M)
    cplx = mu[np.abs(mu.imag) > 1e-12]
    if cplx.size == 0:
        return float("nan")
    m = cplx[np.argmin(np.abs(np.abs(cplx) - 1))]
    return float(abs(m) ** 2 - 1)


def _locate(fmap: IteratedMap, u: Array, k: int, kind: str) -> Array:
    """Newton on (H, psi) = 0 with a difference Jacobian for psi (exact residual).

    On a continuum of fixed points (multiplier 1 at the start) the point is held in the
    directions of that continuum (phase condition), so the flip of *this* point is located.
    """
    n = u.size
    u_start = u.copy()
    M0 = monodromy(fmap, u[:-1], float(u[-1]), k) - np.eye(n - 1)
    _, s0, Vt0 = np.linalg.svd(M0)
    N = Vt0[s0 < 1e-8 * max(1.0, s0[0])]
    phase = np.hstack([N, np.zeros((N.shape[0], 1))])
    for _ in range(40):
        r = np.concatenate([_residual(fmap, u, k), [_psi(fmap, u, k, kind)], phase @ (u - u_start)])
        J = np.zeros((n + phase.shape[0], n))
        J[: n - 1] = _jac(fmap, u, k)
        J[n:] = phase
        for j in range(n):
            h = 1e-7 * max(1.0, abs(u[j]))
            e = np.zeros(n)
            e[j] = h
            J[n - 1, j] = (_psi(fmap, u + e, k, kind) - _psi(fmap, u - e, k, kind)) / (2 * h)
        du = np.linalg.lstsq(J, -r, rcond=None)[0]
        u = u + du
        if np.linalg.norm(du) < 1e-14 * max(1.0, float(np.linalg.norm(u))):
            break
    return u


def _locate_fold(fmap: IteratedMap, a: Array, ta: Array, b: Array, tb: Array, k: int) -> Array:
    """Secant on the tangent's p-component between two branch points."""
    for _ in range(30):
        s = ta[-1] / (ta[-1] - tb[-1])
        um = a + s * (b - a)
        t = (1 - s) * ta + s * tb
        t = t / np.linalg.norm(t)
        uc = _correct(fmap, um, t, k)
        if uc is None:
            return um
        tc = _tangent(_jac(fmap, uc, k), t)
        if abs(tc[-1]) < 1e-13 or np.linalg.norm(b - a) < 1e-13:
            return uc
        if np.sign(tc[-1]) == np.sign(ta[-1]):
            a, ta = uc, tc
        else:
            b, tb = uc, tc
    return a


# ---------------------------------------------------------------- normal form


def _eig_pair(M: Array, target: float) -> tuple[Array, Array]:
    mu, V = np.linalg.eig(M)
    q = np.real(V[:, np.argmin(np.abs(mu - target))])
    muT, W = np.linalg.eig(M.T)
    pv = np.real(W[:, np.argmin(np.abs(muT - target))])
    q = q / np.linalg.norm(q)
    return q, pv / (pv @ q)


def flip_coefficient(fmap: IteratedMap, x: Array, p: float, k: int = 1) -> tuple[float, Array]:
    r"""Normal-form coefficient of a flip of :math:`g = f^k(\cdot, p)` at the point ``x``.

    .. math:: c = \tfrac16 \langle p, C(q,q,q)\rangle
              - \tfrac12 \langle p, B\big(q, (A - I)^{-1} B(q, q)\big)\rangle,

    with :math:`A q = -q`, :math:`A^\top p = -p`, :math:`\lVert q\rVert = 1`,
    :math:`\langle p, q\rangle = 1` (Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed.,
    Sec. 5.4).  The restriction to the centre manifold is :math:`\xi \mapsto -\xi + c\,\xi^3`
    after removing the quadratic term; :math:`c > 0` means supercritical (a stable 2-cycle is born
    where the fixed point loses stability).  :math:`B`, :math:`C` of :math:`g` come from the
    chain rule along the orbit with one-step derivatives by central differences (relative error
    about 1e-6, enough for the sign unless :math:`c \approx 0`).  On a continuum of fixed points
    (multiplier 1 along it) :math:`(A - I)^{-1}` is the pseudo-inverse: the component along the
    continuum only moves the base point.

    Returns ``(c, q)``.
    """
    x = np.asarray(x, dtype=np.float64)
    A = monodromy(fmap, x, p, k)
    q, pv = _eig_pair(A, -1.0)
    Bqq = _jet(fmap, x, p, k, q)[1]
    w = np.linalg.lstsq(A - np.eye(A.shape[0]), Bqq, rcond=1e-10)[0]
    Bqw = (_jet(fmap, x, p, k, q + w)[1] - _jet(fmap, x, p, k, q - w)[1]) / 4
    c = float(pv @ _jet(fmap, x, p, k, q)[2] / 6 - pv @ Bqw / 2)
    return c, q


def _d2(fmap: IteratedMap, x: Array, p: float, v: Array) -> Array:
    n = float(np.linalg.norm(v))
    if n == 0.0:
        return np.zeros_like(x)
    u, h = v / n, 1e-4 * max(1.0, float(np.linalg.norm(x)))
    f = fmap.step
    return n**2 * (f(x + h * u, p) - 2 * f(x, p) + f(x - h * u, p)) / h**2


def _d3(fmap: IteratedMap, x: Array, p: float, v: Array) -> Array:
    n = float(np.linalg.norm(v))
    if n == 0.0:
        return np.zeros_like(x)
    u, h = v / n, 2e-3 * max(1.0, float(np.linalg.norm(x)))
    f = fmap.step
    num = f(x + 2 * h * u, p) - 2 * f(x + h * u, p) + 2 * f(x - h * u, p) - f(x - 2 * h * u, p)
    return n**3 * num / (2 * h**3)


def _jet(fmap: IteratedMap, x: Array, p: float, k: int, v: Array) -> tuple[Array, Array, Array]:
    r"""First three derivatives of :math:`h \mapsto f^k(x + h v)` at 0, by the chain rule
    through the orbit (one-step second and third derivatives by central differences, which
    stay accurate where differences of :math:`f^k` itself would not)."""
    v1, v2, v3 = np.asarray(v, dtype=np.float64), np.zeros_like(x), np.zeros_like(x)
    for _ in range(k):
        A = fmap.jacobian(x, p)
        b12 = (_d2(fmap, x, p, v1 + v2) - _d2(fmap, x, p, v1 - v2)) / 4
        v1, v2, v3 = (
            A @ v1,
            A @ v2 + _d2(fmap, x, p, v1),
            A @ v3 + 3 * b12 + _d3(fmap, x, p, v1),
        )
        x = fmap.step(x, p)
    return v1, v2, v3


# ---------------------------------------------------------------- continuation


def continue_branch(
    fmap: IteratedMap,
    x0: Array,
    p0: float,
    p_range: tuple[float, float],
    *,
    period: int = 1,
    ds: float = 0.01,
    ds_max: float = 0.05,
    max_points: int = 2000,
    direction: Array | None = None,
) -> ContinuationBranch:
    """Follow the period-``period`` branch through ``(x0, p0)`` across ``p_range``.

    ``direction`` is an initial tangent in ``(x, p)`` (default: increasing ``p``).  Stops when
    ``p`` leaves the range, after ``max_points`` or when the corrector fails at the smallest step.
    """
    k = int(period)
    lo, hi = float(min(p_range)), float(max(p_range))
    dim = fmap.dim
    prev = np.zeros(dim + 1)
    prev[-1] = 1.0
    if direction is not None:
        prev = np.asarray(direction, dtype=np.float64) / np.linalg.norm(direction)
    u = _correct(fmap, np.append(np.asarray(x0, dtype=np.float64), p0), prev, k)
    if u is None:
        return ContinuationBranch(k)
    t = _tangent(_jac(fmap, u, k), prev)
    points: list[BranchPoint] = []
    bifs: list[LocatedBifurcation] = []
    mu = multipliers(fmap, u[:-1], float(u[-1]), k)
    points.append(BranchPoint(u[:-1].copy(), float(u[-1]), mu))
    h = float(ds)
    while len(points) < max_points:
        un = _correct(fmap, u + h * t, t, k)
        if un is None or np.linalg.norm(un - u) > 2 * h:
            h /= 2
            if h < 1e-8:
                break
            continue
        tn = _tangent(_jac(fmap, un, k), t)
        mun = multipliers(fmap, un[:-1], float(un[-1]), k)
        bifs.extend(_events(fmap, u, t, mu, un, tn, mun, k, lo, hi))
        if not lo <= un[-1] <= hi:
            un = _to_end(fmap, un, lo if un[-1] < lo else hi, k)
            if un is not None:
                mun = multipliers(fmap, un[:-1], float(un[-1]), k)
                points.append(BranchPoint(un[:-1].copy(), float(un[-1]), mun))
            break
        u, t, mu = un, tn, mun
        points.append(BranchPoint(u[:-1].copy(), float(u[-1]), mu))
        h = min(1.3 * h, ds_max)
    return ContinuationBranch(k, points, bifs)


def _to_end(fmap: IteratedMap, u: Array, end: float, k: int) -> Array | None:
    """The branch point at the parameter ``end`` near ``u`` (Newton with p held at ``end``)."""
    e = np.zeros(u.size)
    e[-1] = 1.0
    v = u.copy()
    v[-1] = end
    return _correct(fmap, v, e, k)


def _events(
    fmap: IteratedMap,
    u: Array,
    t: Array,
    mu: Array,
    un: Array,
    tn: Array,
    mun: Array,
    k: int,
    lo: float,
    hi: float,
) -> list[LocatedBifurcation]:
    out: list[LocatedBifurcation] = []
    if _n_flip(mu) != _n_flip(mun):
        v = _locate(fmap, 0.5 * (u + un), k, "flip")
        if lo <= v[-1] <= hi:
            c, q = flip_coefficient(fmap, v[:-1], float(v[-1]), k)
            out.append(LocatedBifurcation("flip", float(v[-1]), k, v[:-1], c, q))
    if _n_ns(mu) != _n_ns(mun):
        v = _locate(fmap, 0.5 * (u + un), k, "ns")
        if lo <= v[-1] <= hi:
            out.append(LocatedBifurcation("neimark-sacker", float(v[-1]), k, v[:-1]))
    if np.sign(t[-1]) != np.sign(tn[-1]) and abs(t[-1]) > 1e-12 and abs(tn[-1]) > 1e-12:
        v = _locate_fold(fmap, u, t, un, tn, k)
        if lo <= v[-1] <= hi:
            out.append(LocatedBifurcation("fold", float(v[-1]), k, v[:-1]))
    return out


def switch_at_flip(
    fmap: IteratedMap,
    bif: LocatedBifurcation,
    p_range: tuple[float, float],
    *,
    ds: float = 0.01,
    ds_max: float = 0.05,
    max_points: int = 2000,
) -> ContinuationBranch:
    r"""Continue the period-:math:`2k` branch born at a flip.

    At the flip the doubled branch is tangent to :math:`(q, 0)` (:math:`q` the eigenvector of
    the multiplier :math:`-1`); the first point solves :math:`f^{2k}(x) = x` with
    :math:`q^\top(x - x_* - s q) = 0`, which excludes the old branch.
    """
    if bif.kind != "flip" or bif.eigenvector is None:
        raise InvalidParameterError(f"bif must be a located flip; got {bif.kind!r}")
    k2 = 2 * bif.period
    q = bif.eigenvector
    t = np.append(q, 0.0)
    s = max(1e-3, 0.02 * np.sqrt(abs(ds)))
    for _ in range(8):
        u = _correct(fmap, np.append(bif.x + s * q, bif.param), t, k2)
        if u is not None and abs(q @ (u[:-1] - bif.x)) > 0.5 * s:
            break
        s /= 2
    else:
        return ContinuationBranch(k2)
    # the new branch leaves on the side where it exists; start with the p-direction it takes
    direction = np.append(q * 0.0, 1.0 if u[-1] >= bif.param else -1.0)
    return continue_branch(
        fmap,
        u[:-1],
        float(u[-1]),
        p_range,
        period=k2,
        ds=ds,
        ds_max=ds_max,
        max_points=max_points,
        direction=direction,
    )
