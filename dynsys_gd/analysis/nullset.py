r"""The null convergent set above :math:`\eta^*` made visible (docs/math/claims.md#c6, §7).

For :math:`\eta > \eta^*` the set of initialisations from which GD converges has measure zero
(C6), but it is not empty: every :math:`\theta_0` with :math:`G_\eta^k(\theta_0) \in M` converges
in :math:`k` steps, because :math:`G_\eta` fixes every point of :math:`M` (:math:`\nabla L = 0`
there).  Such points are constructed in high precision (mpmath, ``dps`` ≈ 100+) on a line
:math:`\theta(s) = b + s\,u` by solving the scalar equation

.. math:: f(s) = \frac{h(G_\eta^k(\theta(s)))}{\prod_{j<k} h(G_\eta^j(\theta(s)))} = 0,

where :math:`h` vanishes exactly on :math:`M` (:math:`h = w_1\cdots w_N - y` for a scalar
network, :math:`h = xy - 1` for :math:`\frac12(xy-1)^2`); the division deflates the roots that
reach :math:`M` earlier (in particular the trivial ones, :math:`\theta(s) \in M`).  Sign changes of
``f`` on a float64 grid bracket the roots, refined by the secant/Anderson solver of mpmath.

Because :math:`M` is unstable above :math:`\eta^*` (normal multiplier :math:`|1 - \eta\lambda| >
1`, C3), a float64 run from the rounded point lands :math:`\sim 10^{-16}` off :math:`M` and is
pushed away geometrically, while the 100-digit run stays on :math:`M`.  Sweeping the line over a
2-D slice traces the null set as curves (a lower-dimensional set).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._results import ResultMixin, jsonable, plotted_by
from .._types import Model, Theta
from .._validation import check_int, check_positive_float, describe
from ..errors import ConvergenceError, InvalidParameterError
from ..numeric.kernels import numeric_model

__all__ = [
    "NullSetPoint",
    "follow_null_point",
    "manifold_constraint",
    "null_points_on_line",
    "null_set_slice",
]

Array = NDArray[Any]


def manifold_constraint(
    model: Any, constraint: Callable[[Any], Any] | None = None
) -> Callable[[Any], Any]:
    r"""The function :math:`h` with :math:`M = \{h = 0\}`.

    For a scalar :class:`~dynsys_gd.models.LinearNetwork`, :math:`h(\theta) =
    \prod_i w_i - y`; otherwise ``constraint`` must be given (e.g. ``lambda t: t[0] * t[1] - 1``
    for :math:`\frac12(xy-1)^2`).  ``h`` takes a 1-D array (float or ``mpf``) and returns a
    scalar.
    """
    if constraint is not None:
        if not callable(constraint):
            raise InvalidParameterError(
                f"constraint must be a callable theta -> scalar; got {type(constraint).__name__}"
            )
        return constraint
    from ..models import LinearNetwork

    if isinstance(model, LinearNetwork) and model.is_scalar:
        model.require_manifold()
        y = model.target

        def h(theta: Any) -> Any:
            p = theta[0]
            for v in theta[1:]:
                p = p * v
            return p - y

        return h
    raise InvalidParameterError(
        "constraint must be given for a model that is not a scalar LinearNetwork; got None"
    )


def _gd_steps(grad: Callable[[Any], Any], theta: Any, lr: Any, k: int) -> list[Any]:
    out = [theta]
    for _ in range(k):
        out.append(out[-1] - lr * grad(out[-1]))
    return out


@dataclass(frozen=True)
class NullSetPoint(ResultMixin):
    r"""A point of the null convergent set and what happens when GD is run from it.

    Attributes
    ----------
    theta0 : tuple of str
        The constructed :math:`\theta_0` (decimal strings with ``dps`` digits).
    k : int
        :math:`G_\eta^k(\theta_0) \in M`.
    lr : float
    dps : int
        Digits of the high-precision iteration.
    n_steps : int
        Steps iterated.
    h_mp, h_float : ndarray (n_steps + 1,)
        :math:`\log_{10}|h(\theta_t)|` along the high-precision and the float64 run
        (:math:`-\infty` clipped to ``-dps``; ``inf`` once the float run diverged).
    stays_on_m_steps : int
        Steps :math:`t \ge k` during which the high-precision run satisfies
        :math:`|h| \le 10^{-dps/2}`.
    float_exit_step : int or None
        First step :math:`t \ge k` at which the float64 run has :math:`|h| > 10^{-3}`
        (``None``: never).
    float_outcome : str
        ``"diverged"``, ``"left M"`` or ``"stayed on M"``.
    """

    theta0: tuple[str, ...]
    k: int
    lr: float
    dps: int
    n_steps: int
    h_mp: NDArray[np.float64]
    h_float: NDArray[np.float64]
    stays_on_m_steps: int
    float_exit_step: int | None
    float_outcome: str

    @property
    def theta0_float(self) -> NDArray[np.float64]:
        return np.array([float(v) for v in self.theta0])

    def __repr__(self) -> str:
        return (
            f"NullSetPoint(k={self.k}, lr={self.lr:g}, theta0≈{self.theta0_float.round(6)}, "
            f"mp stays {self.stays_on_m_steps} steps, float exit {self.float_exit_step})"
        )

    def summary(self) -> str:
        return (
            f"theta0 = ({', '.join(v[:22] for v in self.theta0)}) is mapped onto M in "
            f"{self.k} step(s) at lr = {self.lr:g}:\n"
            f"  {self.dps}-digit GD stays on M for {self.stays_on_m_steps} steps "
            f"(max log10|h| after step k: {self.h_mp[self.k :].max():.1f});\n"
            f"  float64 GD from the rounded point: {self.float_outcome}"
            + (
                ""
                if self.float_exit_step is None
                else f" (|h| > 1e-3 at step {self.float_exit_step})"
            )
        )

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "theta0": list(self.theta0),
                "k": self.k,
                "lr": self.lr,
                "dps": self.dps,
                "n_steps": self.n_steps,
                "log10_h_mp": [float(v) for v in self.h_mp],
                "log10_h_float": [float(v) if np.isfinite(v) else None for v in self.h_float],
                "stays_on_m_steps": self.stays_on_m_steps,
                "float_exit_step": self.float_exit_step,
                "float_outcome": self.float_outcome,
            }
        )

    plot = plotted_by("plot_null_point_run")


def null_points_on_line(
    model: Model,
    lr: float,
    base: Any,
    direction: Any,
    *,
    k: int = 1,
    s_range: tuple[float, float] = (-2.0, 2.0),
    n_grid: int = 400,
    dps: int = 110,
    constraint: Callable[[Any], Any] | None = None,
    min_offset: float = 1e-6,
) -> list[Any]:
    r"""All points :math:`\theta = b + s u`, :math:`s` in ``s_range``, with
    :math:`G_\eta^k(\theta) \in M` but :math:`G_\eta^j(\theta) \notin M` for :math:`j < k`,
    found at ``dps`` digits.

    Returns a list of 1-D object arrays of ``mpf`` (precision ``dps``), sorted by :math:`s`.
    Roots are bracketed by sign changes of the deflated :math:`f(s)` on an ``n_grid`` float64
    grid (so roots of even multiplicity are missed) and refined with
    ``mpmath.findroot(..., solver="anderson")``; a bracket whose refined point has
    :math:`|h(G^k)| > 10^{-(dps-10)}` or :math:`|h(G^j)| <` ``min_offset`` (:math:`j<k`) is dropped.
    """
    import mpmath

    lr = check_positive_float("lr", lr)
    k = check_int("k", k, minimum=1, maximum=20)
    dps = check_int("dps", dps, minimum=30)
    n_grid = check_int("n_grid", n_grid, minimum=3)
    h = manifold_constraint(model, constraint)
    b = np.asarray(base, dtype=np.float64).ravel()
    u = np.asarray(direction, dtype=np.float64).ravel()
    kf = numeric_model(model)
    if b.shape != u.shape or b.size != kf.n_params:
        raise InvalidParameterError(
            f"base and direction must have {kf.n_params} entries; got {b.size} and {u.size}"
        )
    lo, hi = float(s_range[0]), float(s_range[1])
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise InvalidParameterError(f"s_range must be (lo, hi) with lo < hi; got {s_range!r}")
    s = np.linspace(lo, hi, n_grid)
    th = b[None, :] + s[:, None] * u[None, :]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        steps = _gd_steps(lambda t: kf.gradient(t), th, lr, k)
        hs = [np.asarray(h(st.T), dtype=np.float64) for st in steps]
        f = hs[k] / np.prod(np.stack(hs[:k]), axis=0)
    ok = np.isfinite(f)
    idx = np.flatnonzero(
        ok[:-1]
        & ok[1:]
        & (np.sign(f[:-1]) * np.sign(f[1:]) < 0)
        & (np.abs(f[:-1]) < 1e3)
        & (np.abs(f[1:]) < 1e3)
    )
    km = numeric_model(model, precision=dps)
    out: list[tuple[float, Any]] = []
    with mpmath.workdps(dps):
        bm = np.array([mpmath.mpf(repr(float(v))) for v in b], dtype=object)
        um = np.array([mpmath.mpf(repr(float(v))) for v in u], dtype=object)
        lrm = mpmath.mpf(repr(float(lr)))

        def grad(t: Any) -> Any:
            return km.gradient(t)

        def fm(sv: Any) -> Any:
            st = _gd_steps(grad, bm + sv * um, lrm, k)
            den = mpmath.mpf(1)
            for j in range(k):
                den *= h(st[j])
            return h(st[k]) / den

        for i in idx:
            try:
                root = mpmath.findroot(
                    fm,
                    (mpmath.mpf(repr(float(s[i]))), mpmath.mpf(repr(float(s[i + 1])))),
                    solver="anderson",
                    tol=mpmath.mpf(10) ** (-2 * dps + 20),
                )
            except (ValueError, ZeroDivisionError):
                continue
            theta = bm + root * um
            st = _gd_steps(grad, theta, lrm, k)
            if abs(h(st[k])) > mpmath.mpf(10) ** (-(dps - 10)):
                continue
            if any(abs(h(st[j])) < min_offset for j in range(k)):
                continue
            out.append((float(root), theta))
    out.sort(key=lambda p: p[0])
    return [p[1] for p in out]


def follow_null_point(
    model: Model,
    lr: float,
    theta0: Theta,
    *,
    k: int = 1,
    n_steps: int = 200,
    dps: int = 100,
    constraint: Callable[[Any], Any] | None = None,
    exit_tol: float = 1e-3,
) -> NullSetPoint:
    r"""Run GD from a constructed null-set point at ``dps`` digits and in float64 (C6, §7).

    The high-precision run reaches :math:`M` after ``k`` steps and stays there (G fixes M
    pointwise); the float64 run from the rounded point is pushed off :math:`M` (unstable above
    :math:`\eta^*`) and either diverges or ends on a period-2 / chaotic attractor.

    Notes
    -----
    Growth off :math:`M` is geometric with the normal multiplier :math:`|1 - \eta\lambda|` of
    the point reached, so ``dps`` digits last about ``dps / log10|1 - eta lambda|`` steps
    (``stays_on_m_steps`` counts the steps with :math:`|h| \le 10^{-dps/2}`).  The float64 run
    can occasionally land *exactly* on :math:`M` (e.g. :math:`x y - 1` rounds to 0, so the
    gradient is exactly 0 and the run stops): it is then reported as ``"stayed on M"`` — an
    artefact of rounding, not a contradiction of C6.
    """
    import mpmath

    lr = check_positive_float("lr", lr)
    k = check_int("k", k, minimum=0)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    dps = check_int("dps", dps, minimum=30)
    h = manifold_constraint(model, constraint)
    km = numeric_model(model, precision=dps)
    kf = numeric_model(model)
    with mpmath.workdps(dps):
        try:
            th = np.array([mpmath.mpf(v) for v in np.asarray(theta0).ravel()], dtype=object)
        except (TypeError, ValueError):
            raise InvalidParameterError(
                f"theta0 must be a 1-D array of finite real numbers; got {describe(theta0)}"
            ) from None
        if np.ndim(theta0) != 1 or not all(mpmath.isfinite(v) for v in th):
            raise InvalidParameterError(
                f"theta0 must be a 1-D array of finite real numbers; got {describe(theta0)}"
            )
        if th.size != kf.n_params:
            raise InvalidParameterError(f"theta0 must have {kf.n_params} entries; got {th.size}")
        theta_str = tuple(
            mpmath.nstr(v, dps, min_fixed=-mpmath.inf, max_fixed=mpmath.inf) for v in th
        )
        lrm = mpmath.mpf(repr(float(lr)))
        floor = mpmath.mpf(10) ** (-dps)
        hm = [float(mpmath.log10(max(abs(h(th)), floor)))]
        cur = th
        for _ in range(n_steps):
            cur = cur - lrm * km.gradient(cur)
            hm.append(float(mpmath.log10(max(abs(h(cur)), floor))))
        tf = np.array([float(v) for v in th])
    hf = [float(np.log10(max(abs(float(h(tf))), 1e-300)))]
    diverged = False
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(n_steps):
            tf = tf - lr * kf.gradient(tf[None, :])[0]
            if diverged or not np.isfinite(tf).all() or np.abs(tf).max() > 1e6:
                diverged = True
                hf.append(np.inf)
                continue
            hf.append(float(np.log10(max(abs(float(h(tf))), 1e-300))))
    h_mp = np.array(hm)
    h_fl = np.array(hf)
    on = h_mp[k:] <= -dps / 2
    stays = int(np.argmin(on)) if not on.all() else len(on) - 1
    bad = np.flatnonzero(h_fl[k:] > np.log10(exit_tol))
    exit_step = int(bad[0]) + k if bad.size else None
    outcome = "diverged" if diverged else ("left M" if exit_step is not None else "stayed on M")
    return NullSetPoint(
        theta0=theta_str,
        k=k,
        lr=lr,
        dps=dps,
        n_steps=n_steps,
        h_mp=h_mp,
        h_float=h_fl,
        stays_on_m_steps=stays,
        float_exit_step=exit_step,
        float_outcome=outcome,
    )


def null_set_slice(
    model: Any,
    lr: float,
    *,
    k: int = 1,
    levels: Any = None,
    x_range: tuple[float, float] = (-2.0, 2.0),
    n_grid: int = 400,
    dps: int = 40,
    constraint: Callable[[Any], Any] | None = None,
    axis: int = 0,
    other: Any = None,
) -> NDArray[np.float64]:
    r"""Points of :math:`\{\theta : G_\eta^k(\theta) \in M\}` in a 2-D slice, traced line by line.

    For every value ``c`` in ``levels`` the line :math:`\theta_{1-axis} = c`, :math:`\theta_{axis}
    = s \in` ``x_range`` (remaining coordinates fixed to ``other``, default 1) is searched with
    :func:`null_points_on_line`.  The result, shape ``(n, P)`` (float64), lies on curves: the
    set is lower-dimensional (measure zero, C6).
    """
    kf = numeric_model(model)
    P = int(kf.n_params)
    if P < 2:
        raise InvalidParameterError(f"model must have at least 2 parameters; got {P}")
    axis = check_int("axis", axis, minimum=0, maximum=1)
    lev = np.linspace(-2, 2, 41) if levels is None else np.asarray(levels, dtype=np.float64)
    rest = np.ones(P) if other is None else np.asarray(other, dtype=np.float64).ravel()
    pts: list[NDArray[np.float64]] = []
    for c in lev:
        b = rest.copy()
        b[axis] = 0.0
        b[1 - axis] = c
        u = np.zeros(P)
        u[axis] = 1.0
        try:
            roots = null_points_on_line(
                model, lr, b, u, k=k, s_range=x_range, n_grid=n_grid, dps=dps, constraint=constraint
            )
        except ConvergenceError:  # pragma: no cover - defensive
            continue
        pts.extend(np.array([float(v) for v in r]) for r in roots)
    return np.array(pts).reshape(-1, P)
