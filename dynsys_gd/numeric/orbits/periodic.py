r"""Periodic orbits of the GD map and their Floquet multipliers (docs/math/claims.md#c8, §7).

A period-:math:`k` orbit of :math:`G_\eta(\theta) = \theta - \eta\nabla L(\theta)` is a fixed
point of :math:`G_\eta^k` that is not a fixed point of :math:`G_\eta^j`, :math:`j < k`, dividing
:math:`k`.  Orbits are found from bounded runs (iterate, detect an approximate period) and refined
by Newton's method on

.. math:: F(\theta) = G_\eta^k(\theta) - \theta, \qquad
          DF(\theta) = DG(\theta_{k-1}) \cdots DG(\theta_0) - I, \quad DG = I - \eta H .

Orbits of linear networks are not isolated (every point of the minima manifold M is a fixed
point, C2–C3; period-2 orbits come in families too), so DF is singular along the family and the
Newton step is the minimum-norm (pseudo-inverse) step :math:`\delta = -DF^{+}F`.

Stability comes from the monodromy matrix :math:`\Pi = \prod_j DG(\theta_j)`: its eigenvalues are
the Floquet multipliers.  Multipliers equal to 1 (within ``neutral_tol``) belong to directions
along a continuous family of orbits; they are split off and the orbit is classified by the rest
(as C3 classifies minima by the normal spectrum only).  A flip bifurcation happens when a
multiplier crosses :math:`-1` (at :math:`\eta^*` for period 1 → 2, C8).

The maps are given as small objects with ``n_params``, ``step(theta)``, ``jacobian(theta)`` and
``jvp(theta, v)`` (batched over the first axis): :class:`GDMap` for a model and a step size, and
:class:`LogisticMap` (:math:`x \mapsto r x (1 - x)`) as a check with a known cascade.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._limits import check_iteration
from ..._results import ResultMixin, jsonable
from ..._types import MapLike, MapSystem, Theta
from ..._validation import check_batch, check_int, check_positive_float
from ...errors import ConvergenceError, InvalidParameterError
from ..kernels import numeric_model

__all__ = [
    "GDMap",
    "LogisticMap",
    "MapSystem",
    "PeriodicOrbit",
    "as_map",
    "detect_period",
    "find_periodic_orbits",
    "floquet_multipliers",
    "iterate_map",
    "make_orbit",
    "period_two_orbit",
    "refine_orbit",
]

Array = NDArray[Any]


class GDMap:
    r"""The GD map :math:`G_\eta` of a model, :math:`DG_\eta = I - \eta H` (docs/math/gd-map.md).

    Parameters
    ----------
    model : LinearNetwork, LossModel or NumericModel
        The loss.
    lr : float
        Step size :math:`\eta > 0`.
    precision : int or None
        ``None`` for float64; else decimal digits of mpmath kernels (object arrays of ``mpf``;
        call inside ``mpmath.workdps(precision)`` so inputs carry the same precision).
    """

    def __init__(self, model: Any, lr: float, *, precision: int | None = None) -> None:
        self.lr_float = check_positive_float("lr", lr)
        if precision is not None:
            check_int("precision", precision, minimum=16)
        self.model = model
        self.precision = precision
        self.kernels = numeric_model(model, precision=precision)
        self.n_params = int(self.kernels.n_params)
        if precision is None:
            self.lr: Any = self.lr_float
        else:
            import mpmath

            with mpmath.workdps(precision):
                self.lr = mpmath.mpf(lr) if not isinstance(lr, float) else mpmath.mpf(repr(lr))

    def __repr__(self) -> str:
        return f"GDMap(lr={self.lr_float:g}, P={self.n_params}, precision={self.precision})"

    def step(self, theta: Array) -> Array:
        return theta - self.lr * self.kernels.gradient(theta)

    def jacobian(self, theta: Array) -> Array:
        H = self.kernels.hessian(theta)
        eye = np.eye(self.n_params) if self.precision is None else _mp_eye(self.n_params)
        return eye - self.lr * H

    def jvp(self, theta: Array, v: Array) -> Array:
        return v - self.lr * self.kernels.hvp(theta, v)


class LogisticMap:
    r"""The logistic map :math:`x \mapsto r x (1 - x)`, :math:`f'(x) = r (1 - 2x)` (``P = 1``).

    Its period-doubling points are known (:math:`r_1 = 3`, :math:`r_2 = 1 + \sqrt 6`, …, ratios
    → Feigenbaum's :math:`\delta \approx 4.6692`) and its Lyapunov exponent at :math:`r = 4` is
    :math:`\ln 2`: a check of the orbit, bifurcation and Lyapunov tools.
    """

    n_params = 1

    def __init__(self, r: float) -> None:
        self.r = check_positive_float("r", r)

    def __repr__(self) -> str:
        return f"LogisticMap(r={self.r:g})"

    def step(self, theta: Array) -> Array:
        return self.r * theta * (1 - theta)

    def jacobian(self, theta: Array) -> Array:
        return (self.r * (1 - 2 * theta))[..., None]

    def jvp(self, theta: Array, v: Array) -> Array:
        return self.r * (1 - 2 * theta) * v


def _mp_eye(n: int) -> Array:
    import mpmath

    out = np.empty((n, n), dtype=object)
    for i in range(n):
        for j in range(n):
            out[i, j] = mpmath.mpf(1 if i == j else 0)
    return out


def as_map(model: Any, lr: float | None = None) -> MapSystem:
    """``model`` itself if it is a :class:`MapSystem`, else ``GDMap(model, lr)``."""
    if isinstance(model, MapSystem) and not hasattr(model, "gradient"):
        return model
    if lr is None:
        raise InvalidParameterError("lr must be a finite float > 0 for a model; got None")
    return GDMap(model, lr)


def iterate_map(
    system: MapSystem, theta0: Array, n_steps: int, *, record: int = 0, div_threshold: float = 1e6
) -> tuple[Array, Array, Array]:
    r"""Iterate a batch ``theta0`` (B, P) ``n_steps`` times (float64).

    Returns ``(final, diverged, tail)``: final states, a boolean mask of runs that left
    :math:`\lVert\theta\rVert_\infty \le` ``div_threshold`` (frozen from then on, no overflow
    warning) and the last ``record`` states, shape ``(record, B, P)``.
    """
    th = np.array(theta0, dtype=np.float64, copy=True)
    if th.ndim != 2 or th.shape[1] != system.n_params:
        raise InvalidParameterError(
            f"theta0 must have shape (B, {system.n_params}); got {th.shape}"
        )
    div: Array = np.asarray(~np.isfinite(th).all(axis=1))
    tail = np.empty((record, *th.shape))
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(n_steps):
            new = system.step(th)
            bad = ~np.isfinite(new).all(axis=1) | (np.abs(new).max(axis=1) > div_threshold)
            div |= bad
            th = np.where(div[:, None], th, new)
            j = t - (n_steps - record)
            if j >= 0:
                tail[j] = th
    return th, div, tail


def detect_period(tail: Array, *, max_period: int = 8, tol: float = 1e-7) -> NDArray[np.int64]:
    r"""Smallest :math:`k \le` ``max_period`` with :math:`\lVert\theta_{t} - \theta_{t-k}\rVert
    \le tol\,(1 + \lVert\theta_t\rVert)` over the whole recorded tail (shape ``(T, B, P)``,
    ``T ≥ 2 max_period``); 0 where none."""
    T, B, _ = tail.shape
    if T < 2 * max_period:
        raise InvalidParameterError(
            f"tail must hold at least 2*max_period = {2 * max_period} states; got {T}"
        )
    period = np.zeros(B, dtype=np.int64)
    scale = 1.0 + np.abs(tail).max(axis=(0, 2))
    for k in range(max_period, 0, -1):
        d = np.abs(tail[k:] - tail[:-k]).max(axis=(0, 2))
        ok = d <= tol * scale
        period = np.where(ok, k, period)
    return period


def _orbit_points(system: MapSystem, theta: Array, period: int) -> Array:
    pts = [theta]
    for _ in range(period - 1):
        pts.append(system.step(pts[-1][None, :])[0])
    return np.array(pts)


def _monodromy(system: MapSystem, pts: Array) -> Array:
    J = system.jacobian(pts)
    M = J[0]
    for j in range(1, len(pts)):
        M = J[j] @ M
    return np.asarray(M)


def _is_mp(system: MapSystem) -> bool:
    return getattr(system, "precision", None) is not None


def refine_orbit(
    system: MapSystem, theta: Any, period: int, *, tol: float | None = None, max_iter: int = 60
) -> tuple[Array, float]:
    r"""Newton's method on :math:`F = G^k(\theta) - \theta` with minimum-norm steps.

    :math:`\delta = -DF^{+}F` (pseudo-inverse, singular values below
    :math:`10^{-10}\sigma_{\max}` — or :math:`10^{-(dps/2)}` in mpmath — cut off), so
    continuous families of orbits (neutral multiplier 1) do not stall the iteration.  Works in
    float64 or, for a :class:`GDMap` with ``precision``, in mpmath.

    Returns ``(theta, residual)`` with ``residual = max|F(theta)|``.
    Raises :class:`ConvergenceError` when the residual does not fall below ``tol``.
    """
    period = check_int("period", period, minimum=1)
    mp = _is_mp(system)
    P = system.n_params
    if mp:
        import mpmath

        dps = int(system.precision)  # type: ignore[attr-defined]
        tol_ = float(tol) if tol is not None else 10.0 ** (-(dps - 10))
        with mpmath.workdps(dps):
            th = np.array([mpmath.mpf(v) for v in np.asarray(theta).ravel()], dtype=object)
            res = mpmath.inf
            for _ in range(max_iter):
                pts = _orbit_points(system, th, period)
                F = system.step(pts[-1][None, :])[0] - th
                res = max(abs(f) for f in F)
                if res <= tol_:
                    break
                DF = mpmath.matrix(_monodromy(system, pts).tolist()) - mpmath.eye(P)
                U, S, V = mpmath.svd_r(DF)
                smax = max(S) if len(S) else mpmath.mpf(0)
                cut = smax * mpmath.mpf(10) ** (-(dps // 2))
                Fm = mpmath.matrix(list(F))
                delta = mpmath.matrix(P, 1)
                for i in range(len(S)):
                    if S[i] > cut:
                        c = (U[:, i].T * Fm)[0] / S[i]
                        delta += c * V[i, :].T
                th = th - np.array([delta[i] for i in range(P)], dtype=object)
            if res > tol_:
                raise ConvergenceError(
                    f"Newton for a period-{period} orbit did not converge: residual {res}"
                )
            return th, float(res)
    tol_ = 1e-12 if tol is None else float(tol)
    th = np.asarray(theta, dtype=np.float64).ravel().copy()
    res = np.inf
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(max_iter):
            pts = _orbit_points(system, th, period)
            F = system.step(pts[-1][None, :])[0] - th
            if not np.isfinite(F).all():
                break
            res = float(np.abs(F).max()) / (1.0 + float(np.abs(th).max()))
            if res <= tol_:
                break
            DF = _monodromy(system, pts) - np.eye(P)
            th = th - np.linalg.pinv(DF, rcond=1e-10) @ F
    if not res <= tol_:
        raise ConvergenceError(
            f"Newton for a period-{period} orbit did not converge: residual {res:.3g}"
        )
    return th, res


def floquet_multipliers(system: MapSystem, theta: Any, period: int) -> NDArray[np.complex128]:
    r"""Eigenvalues of :math:`\prod_{j<k} DG(\theta_j)` along the orbit, sorted by decreasing
    modulus (complex128, also for an mpmath system: evaluated at the rounded orbit)."""
    if _is_mp(system):
        import mpmath

        with mpmath.workdps(int(system.precision)):  # type: ignore[attr-defined]
            pts = _orbit_points(system, np.asarray(theta), period)
            M = _monodromy(system, pts)
        M = np.array(M.tolist(), dtype=np.float64)
    else:
        pts = _orbit_points(system, np.asarray(theta, dtype=np.float64), period)
        M = _monodromy(system, pts)
    ev = np.linalg.eigvals(np.asarray(M, dtype=np.float64))
    return ev[np.argsort(-np.abs(ev), kind="stable")].astype(np.complex128)


@dataclass(frozen=True)
class PeriodicOrbit(ResultMixin):
    r"""A periodic orbit of a map with its Floquet multipliers (docs/math/claims.md#c8).

    Attributes
    ----------
    period : int
        Minimal period :math:`k`.
    points : ndarray (k, P)
        The orbit :math:`\theta_0, G(\theta_0), \dots` (float64).
    multipliers : ndarray (P,) complex
        Eigenvalues of the monodromy matrix, by decreasing modulus.
    n_neutral : int
        Multipliers within ``neutral_tol`` of 1 (directions along a family of orbits).
    stable : bool
        All non-neutral multipliers have modulus < 1.
    residual : float
        :math:`\max|G^k(\theta_0) - \theta_0|` after Newton.
    lr : float or None
        Step size (``None`` for a map without one).
    """

    period: int
    points: Array
    multipliers: NDArray[np.complex128]
    n_neutral: int
    stable: bool
    residual: float
    lr: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def leading_multiplier(self) -> complex:
        """Largest-modulus non-neutral multiplier (0 if every multiplier is neutral)."""
        rest = _non_neutral(self.multipliers, self.n_neutral)
        return complex(rest[0]) if len(rest) else 0j

    def __repr__(self) -> str:
        return (
            f"PeriodicOrbit(period={self.period}, stable={self.stable}, "
            f"leading={self.leading_multiplier:.4g}, n_neutral={self.n_neutral})"
        )

    def summary(self) -> str:
        mus = ", ".join(
            f"{m.real:.6g}" if abs(m.imag) < 1e-12 else f"{m:.6g}" for m in self.multipliers
        )
        pts = "; ".join("(" + ", ".join(f"{v:.6g}" for v in p) + ")" for p in self.points)
        lr = "" if self.lr is None else f" at lr = {self.lr:g}"
        return (
            f"period-{self.period} orbit{lr}: {pts}\n"
            f"  Floquet multipliers: {mus} ({self.n_neutral} neutral)\n"
            f"  {'stable' if self.stable else 'unstable'}; Newton residual {self.residual:.2e}"
        )

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "period": self.period,
                "points": self.points.tolist(),
                "multipliers_real": self.multipliers.real.tolist(),
                "multipliers_imag": self.multipliers.imag.tolist(),
                "n_neutral": self.n_neutral,
                "stable": self.stable,
                "residual": self.residual,
                "lr": self.lr,
                **self.extra,
            }
        )


def _non_neutral(mu: NDArray[np.complex128], n_neutral: int) -> NDArray[np.complex128]:
    if n_neutral == 0:
        return mu
    idx = np.argsort(np.abs(mu - 1.0), kind="stable")[:n_neutral]
    keep = np.ones(len(mu), dtype=bool)
    keep[idx] = False
    return mu[keep]


def _count_neutral(mu: NDArray[np.complex128], tol: float) -> int:
    return int(np.sum(np.abs(mu - 1.0) <= tol))


def _minimal_period(system: MapSystem, th: Array, period: int, tol: float) -> int:
    pts = _orbit_points(system, th, period + 1)
    scale = 1.0 + float(np.abs(th).max())
    for j in range(1, period + 1):
        if period % j == 0 and float(np.abs(pts[j] - th).max()) <= tol * scale:
            return j
    return period


def make_orbit(
    system: MapSystem,
    theta: Any,
    period: int,
    *,
    neutral_tol: float = 1e-6,
    lr: float | None = None,
) -> PeriodicOrbit:
    """Refine ``theta`` to a period-``period`` orbit and classify it (float64)."""
    th, res = refine_orbit(system, theta, period)
    k = _minimal_period(system, th, period, 1e-9)
    if k != period:
        th, res = refine_orbit(system, th, k)
    mu = floquet_multipliers(system, th, k)
    n0 = _count_neutral(mu, neutral_tol)
    rest = _non_neutral(mu, n0)
    stable = bool(np.all(np.abs(rest) < 1.0))
    return PeriodicOrbit(
        period=k,
        points=_orbit_points(system, th, k),
        multipliers=mu,
        n_neutral=n0,
        stable=stable,
        residual=res,
        lr=lr,
    )


def _deflated_newton(
    system: MapSystem,
    theta: Array,
    period: int,
    roots: list[Array],
    *,
    tol: float = 1e-12,
    max_iter: int = 80,
    power: float = 2.0,
    shift: float = 1.0,
) -> Array | None:
    r"""Newton on :math:`F = G^k(\theta) - \theta` deflated at the known solutions ``roots``.

    Deflation (Farrell, Birkisson & Funke 2015) replaces :math:`F` by :math:`m(\theta)F` with
    :math:`m = \prod_j (\lVert\theta - r_j\rVert^{-p} + \sigma)`, which vanishes nowhere but
    blows up at every known root, so Newton cannot converge to one again.  The deflated step is
    the minimum-norm Newton step :math:`\delta = -DF^+F` rescaled by
    :math:`1/(1 - \nabla\log m\cdot\delta)`.  Returns the converged point (residual of the
    undeflated :math:`F` below ``tol``, relative) or ``None``.
    """
    th = np.asarray(theta, dtype=np.float64).ravel().copy()
    R = np.array(roots, dtype=np.float64).reshape(-1, th.size)
    P = system.n_params
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(max_iter):
            pts = _orbit_points(system, th, period)
            F = system.step(pts[-1][None, :])[0] - th
            if not np.isfinite(F).all():
                return None
            if float(np.abs(F).max()) / (1.0 + float(np.abs(th).max())) <= tol:
                return th
            DF = _monodromy(system, pts) - np.eye(P)
            delta = -np.linalg.pinv(DF, rcond=1e-10) @ F
            if len(R):
                d = th[None, :] - R
                n2 = np.einsum("ij,ij->i", d, d)
                if np.any(n2 == 0.0):
                    return None
                a = n2 ** (-power / 2)
                grad = (((-power * a / n2) / (a + shift))[:, None] * d).sum(axis=0)
                denom = 1.0 - float(grad @ delta)
                if not np.isfinite(denom) or abs(denom) < 1e-14:
                    return None
                delta = delta / denom
            th = th + delta
            if not np.isfinite(th).all() or float(np.abs(th).max()) > 1e6:
                return None
    return None


def find_periodic_orbits(
    model: MapLike,
    lr: float | None,
    theta0: Theta,
    *,
    max_period: int = 8,
    transient: int = 2000,
    tol: float = 1e-6,
    neutral_tol: float = 1e-6,
    unstable: bool = False,
    max_orbits: int = 64,
    optimizer: Any = None,
) -> list[PeriodicOrbit]:
    r"""Periodic orbits of the GD map from a batch of initialisations (docs/math/claims.md#c8, §7).

    Attracting orbits: every run is iterated ``transient`` steps (float64, batched); runs whose
    last ``4 max_period`` states repeat with a period :math:`k \le` ``max_period`` (within
    ``tol``) are refined by pseudo-inverse Newton on :math:`G^k(\theta) - \theta` and
    classified by their Floquet multipliers.

    Unstable orbits too (``unstable=True``), as continuation tools do: for every period
    :math:`k \le` ``max_period``, Newton on :math:`G^k(\theta) - \theta` is started from every
    row of ``theta0`` itself and *deflated* at the points of the orbits already found (of
    periods dividing :math:`k`), repeatedly from the same start until it fails, so it reaches
    saddle-type and repelling orbits that iteration never shows.  Each orbit is classified
    (``stable``, multipliers) and records how it was found in ``extra["found_by"]``
    ("iteration" or "Newton with deflation").  Continuous families of orbits (the minima
    manifold of a linear network) have no isolated points, so at most ``max_orbits`` orbits are
    returned.

    Distinct orbits are returned (deduplicated as point sets), sorted by period.  Runs that
    diverge or show no period are skipped; fixed points (period 1) are included.

    Parameters
    ----------
    model : LinearNetwork, LossModel, NumericModel or MapSystem
        The map (``lr`` is ignored for a MapSystem).
    lr : float or None
        GD step size.
    theta0 : array (B, P)
        Initialisations (and the Newton starts when ``unstable``).
    unstable : bool
        Also search for unstable orbits by deflated Newton (default False).
    max_orbits : int
        Cap on the number of orbits returned.
    optimizer : Optimizer, optional
        Another optimiser's map at ``lr`` instead of GD's (docs/math/optimizers.md): orbits then
        live on the optimiser's state (parameters, then buffers), and rows of ``theta0`` with P
        entries start with the optimiser's initial buffers.
    """
    from .optimizer_map import optimizer_system

    model, lr, theta0 = optimizer_system(model, lr, theta0, optimizer)
    system = as_map(model, lr)
    max_period = check_int("max_period", max_period, minimum=1, maximum=64)
    transient = check_int("transient", transient, minimum=1)
    max_orbits = check_int("max_orbits", max_orbits, minimum=1)
    if not isinstance(unstable, bool):
        raise InvalidParameterError(f"unstable must be a bool; got {unstable!r}")
    tol = check_positive_float("tol", tol)
    neutral_tol = check_positive_float("neutral_tol", neutral_tol)
    th0 = check_batch("theta0", theta0, system.n_params)  # real, finite (B, P)
    rec = 4 * max_period
    B, P = th0.shape
    check_iteration(
        "transient",
        transient,
        steps=transient + rec,
        runs=B,
        n_params=P,
        arrays=(rec + 2) * B * P,
        context=f"for {B} runs",
    )
    starts = th0
    _, div, tail = iterate_map(system, th0, transient + rec, record=rec)
    per = detect_period(tail, max_period=max_period, tol=tol)
    orbits: list[PeriodicOrbit] = []
    lr_f = getattr(system, "lr_float", None)

    def add(orb: PeriodicOrbit, how: str) -> bool:
        if len(orbits) >= max_orbits or any(_same_orbit(orb, o) for o in orbits):
            return False
        orbits.append(
            PeriodicOrbit(
                orb.period,
                orb.points,
                orb.multipliers,
                orb.n_neutral,
                orb.stable,
                orb.residual,
                orb.lr,
                {"found_by": how},
            )
        )
        return True

    for b in np.flatnonzero((per > 0) & ~div):
        try:
            orb = make_orbit(system, tail[-1, b], int(per[b]), neutral_tol=neutral_tol, lr=lr_f)
        except ConvergenceError:
            continue
        add(orb, "iteration")
    if unstable:
        for k in range(1, max_period + 1):
            for start in starts:
                for _attempt in range(4):  # deflation: find further orbits from the same start
                    if len(orbits) >= max_orbits:
                        break
                    roots = [p for o in orbits if k % o.period == 0 for p in o.points]
                    th = _deflated_newton(system, start, k, roots)
                    if th is None:
                        break
                    try:
                        orb = make_orbit(system, th, k, neutral_tol=neutral_tol, lr=lr_f)
                    except ConvergenceError:
                        break
                    if not add(orb, "Newton with deflation"):
                        break
    orbits.sort(key=lambda o: (o.period, float(np.abs(o.points).sum())))
    return orbits


def _same_orbit(a: PeriodicOrbit, b: PeriodicOrbit, tol: float = 1e-6) -> bool:
    if a.period != b.period:
        return False
    d = np.abs(a.points[:, None, :] - b.points[None, :, :]).max(axis=2)
    return bool(np.all(d.min(axis=1) <= tol * (1 + np.abs(a.points).max())))


def period_two_orbit(
    model: MapLike,
    lr: float,
    *,
    theta_min: Any | None = None,
    offset: float = 0.05,
    transient: int = 3000,
) -> PeriodicOrbit:
    r"""The period-2 orbit born at the flip bifurcation at :math:`\eta^*` (edge of stability, C8).

    Starts at a flattest minimum ``theta_min`` (default:
    :func:`~dynsys_gd.numeric.landscape.sharpness.flattest_minimum` for a linear network),
    displaced by
    ``offset`` along the top Hessian eigenvector, iterates ``transient`` steps and refines the
    period-2 orbit by Newton.  Raises :class:`ConvergenceError` when no period-2 orbit is reached
    (e.g. ``lr`` below :math:`\eta^*`, where the run converges instead).
    """
    lr = check_positive_float("lr", lr)
    system = GDMap(model, lr)
    if theta_min is None:
        from ...models import LinearNetwork

        if not isinstance(model, LinearNetwork):
            raise InvalidParameterError(
                "theta_min must be given for a model that is not a LinearNetwork; got None"
            )
        from ..landscape.sharpness import flattest_minimum

        theta_min = flattest_minimum(model).point
    th = np.asarray(theta_min, dtype=np.float64).reshape(1, -1)
    H = system.kernels.hessian(th)[0]
    _, V = np.linalg.eigh(H)
    start = th + offset * V[:, -1][None, :]
    _, div, tail = iterate_map(system, start, transient, record=16)
    if div[0]:
        raise ConvergenceError(f"the run from the flattest minimum diverged at lr = {lr:g}")
    per = detect_period(tail, max_period=8, tol=1e-6)[0]
    if per != 2:
        raise ConvergenceError(
            f"no period-2 orbit reached at lr = {lr:g} (detected period {int(per)}; 0 = none)"
        )
    return make_orbit(system, tail[-1, 0], 2, lr=lr)
