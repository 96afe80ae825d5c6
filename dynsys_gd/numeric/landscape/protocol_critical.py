r"""Critical points and the flattest minimum of a model given only through the model protocol
(loss, gradient, Hessian): numerical, never certified (docs/math/general-losses.md).

A user's own class or a :class:`~dynsys_gd.models.JaxModel` has no symbolic form, so nothing
here can be refined in high precision or enclosed in ball arithmetic as for a
:class:`~dynsys_gd.models.LossModel`.  The same questions are answered in float64:

1. **Starts.**  ``n_starts`` seeded uniform points of the box, and the same points after
   ``descent_steps`` steps of backtracking gradient descent (Armijo), which moves them into
   the basins of the minima that GD itself reaches.
2. **Newton.**  Minimum-norm Newton :math:`\theta \leftarrow \theta - H^+\nabla L` from every
   start (it converges to saddles as well as minima), then deflated Newton from the starts
   that ran into known points (Farrell, Birkisson & Funke 2015), as in
   :func:`~dynsys_gd.numeric.landscape.critical_points.critical_points`.  Points within a
   relative distance :math:`10^{-7}` of one found already are the same point.
3. **Classification** by the Hessian spectrum at each point: eigenvalues with
   :math:`|\lambda| \le 10^{-8}\max(1, \max|\lambda|)` count as zero.  Without zero
   eigenvalues the point is a minimum (all positive), a maximum or a saddle; with zero
   eigenvalues, a point whose null directions stay critical (moving along them and projecting
   back by Newton lands on other critical points) lies on a critical set of that dimension and
   is classified by its normal spectrum (C3), and otherwise it is *degenerate* unless
   eigenvalues of both signs make it a saddle.
4. **Flattest minimum.**  :math:`S_{\min}` is the smallest :math:`\lambda_{\max}(H)` over the
   minima found; on a non-isolated minima set :math:`\lambda_{\max}` is minimised over the set
   by projected descent (a step along :math:`\ker H`, then Newton back onto the set).

Every number is float64 and the list of points is what a seeded search found: a flatter
minimum elsewhere is not excluded, so :math:`S_{\min}` is *numerical, not certified*.

The public ``critical_points``, ``flattest_minimum``, ``min_sharpness`` and ``critical_lr``
(with any ``optimizer=`` that has a threshold) send such models here
(:func:`is_protocol_model`).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._streams import generator
from ..._validation import check_int, check_positive_float, check_seed, describe
from ...errors import InvalidParameterError
from ...models.protocol import missing_model_methods
from ..kernels import numeric_model
from .critical_points import (
    DEFAULT_BOX_HALF_WIDTH,
    _newton_batch,
    _newton_deflation_search,
    _set_dimension,
    _uniform_starts,
)
from .critical_results import (
    CriticalKind,
    CriticalPointInfo,
    CriticalPointsResult,
    _check_box,
    _spectrum,
)
from .loss_flattest import LossFlattestMinimum

__all__ = [
    "NUMERICAL_CERTIFICATE",
    "ProtocolFlattestMinimum",
    "classified_at",
    "critical_points_of_protocol",
    "is_protocol_model",
    "numerical_det_dg",
    "protocol_critical_points",
    "protocol_flattest_minimum",
]

#: the certificate of every point of this module (nothing is proved)
NUMERICAL_CERTIFICATE = (
    "numerical, not certified: found and classified in float64 from the model protocol "
    "(no symbolic form to refine or enclose it in)"
)
#: gradient norm at which Newton stops (float64)
NEWTON_TOL = 1e-11
#: relative size below which a Hessian eigenvalue counts as zero: about the square root of the
#: Newton tolerance, since float Newton stops that far from a degenerate root, where the
#: Hessian's small eigenvalues are of the order of the distance
ZERO_RTOL = 1e-5
#: a point this close (relative, max norm) to a known point with a singular Hessian is that point
MERGE_RTOL = 1e-4
#: non-isolated minima of one (loss, dimension) group descended on, the sharpest left out
SET_DESCENTS = 3
#: flattest minima found, per model object and search settings (seeded searches only)
_FLAT_CACHE: weakref.WeakKeyDictionary[Any, dict[str, ProtocolFlattestMinimum]] = (
    weakref.WeakKeyDictionary()
)

_KIND_ORDER = {
    CriticalKind.MINIMUM: 0,
    CriticalKind.SADDLE: 1,
    CriticalKind.DEGENERATE: 2,
    CriticalKind.MAXIMUM: 3,
}


@dataclass(frozen=True, repr=False)
class ProtocolFlattestMinimum(LossFlattestMinimum):
    r"""The flattest minimum found of a model given through the protocol (numerical, not
    certified): the fields of
    :class:`~dynsys_gd.numeric.landscape.loss_flattest.LossFlattestMinimum` with ``exact``
    False, ``bounds`` None and no enclosure (``bracket`` is ``(S, S)``)."""

    def __repr__(self) -> str:
        return (
            f"ProtocolFlattestMinimum(sharpness={self.sharpness:.10g}, "
            f"eta*={self.critical_lr:.10g}, numerical)"
        )

    @property
    def certified(self) -> bool:
        r"""Always False: no enclosure of :math:`S_{\min}` (a float64 search)."""
        return False

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "certified": False, "certainty": "numerical, not certified"}

    def summary(self) -> str:
        return "\n".join(
            [
                *self._summary_head(),
                "certainty                : numerical, not certified (no enclosure)",
                f"point                    : ({', '.join(f'{x:.8g}' for x in self.point)})",
            ]
        )


def _check_protocol(model: Any) -> Any:
    missing = missing_model_methods(model, ("n_params", "loss", "gradient", "hessian", "hvp"))
    if missing:
        raise InvalidParameterError(
            "model must implement the model protocol dynsys_gd.Model (n_params, loss, gradient, "
            f"hessian, hvp); got {describe(model)} without {', '.join(missing)}"
        )
    return model


def is_protocol_model(model: Any) -> bool:
    """Whether ``model`` is a model of the protocol with no symbolic form: neither a
    :class:`~dynsys_gd.models.LinearNetwork` nor a :class:`~dynsys_gd.models.LossModel`, and
    with ``n_params``, ``loss``, ``gradient``, ``hessian`` and ``hvp`` (a user's class, a
    :class:`~dynsys_gd.models.JaxModel`, an :class:`~dynsys_gd.models.MLP`)."""
    from ...models import LinearNetwork, LossModel

    if isinstance(model, LinearNetwork | LossModel):
        return False
    return not missing_model_methods(model, ("n_params", "loss", "gradient", "hessian", "hvp"))


def model_name(model: Any) -> str:
    """A label for reports: the model's ``name`` when it has one, else its class name."""
    name = getattr(model, "name", "")
    return name if isinstance(name, str) and name else type(model).__name__


def _descend(
    m: Any, x: NDArray[np.float64], steps: int, box: tuple[tuple[float, float], ...]
) -> NDArray[np.float64]:
    """``steps`` batched steps of gradient descent with Armijo backtracking (a step size per
    start, halved until the loss drops, grown by 1.5 after a success)."""
    lo = np.array([a for a, _ in box])
    hi = np.array([b for _, b in box])
    x = x.copy()
    t = np.full(x.shape[0], 0.1)
    with np.errstate(all="ignore"):
        f = np.array(m.loss(x), dtype=np.float64)  # a copy: JAX returns read-only arrays
        for _ in range(steps):
            g = np.asarray(m.gradient(x), dtype=np.float64)
            g2 = np.sum(g * g, axis=1)
            ok = np.isfinite(f) & np.isfinite(g2) & (g2 > 0)
            if not ok.any():
                break
            for _ in range(30):
                trial = np.clip(x - t[:, None] * g, lo - (hi - lo), hi + (hi - lo))
                ft = np.asarray(m.loss(trial), dtype=np.float64)
                good = ok & np.isfinite(ft) & (ft <= f - 0.5 * t * g2)
                x[good], f[good] = trial[good], ft[good]
                t[good] *= 1.5
                bad = ok & ~good
                if not bad.any():
                    break
                t[bad] *= 0.5
                ok = bad
    return x


def _search(
    m: Any,
    box: tuple[tuple[float, float], ...],
    n_starts: int,
    seed: int,
    descent_steps: int,
) -> list[NDArray[np.float64]]:
    """Newton from uniform and from descended starts, then deflation rounds."""
    uniform = _uniform_starts(box, n_starts, seed, "protocol_critical_starts")
    starts = uniform
    if descent_steps > 0:
        starts = np.concatenate([uniform, _descend(m, uniform, descent_steps, box)])
    return _newton_deflation_search(
        m, starts, box, tol=NEWTON_TOL, n_defl=max(8, n_starts // 4), max_rounds=4,
        eigenvalues=lambda x: _eigh(m, x)[0], zero_rtol=ZERO_RTOL,
    )  # fmt: skip


def _eigh(m: Any, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    H = np.asarray(m.hessian(x[None]), dtype=np.float64)[0]
    lam, V = np.linalg.eigh(0.5 * (H + H.T))
    return lam, V


def _kind(lam: NDArray[np.float64], zero: NDArray[np.bool_], on_set: bool) -> CriticalKind:
    normal = lam[~zero] if on_set or not zero.any() else lam
    nz = lam[~zero]
    if zero.any() and not on_set:
        if nz.size and nz.min() < 0 < nz.max():
            return CriticalKind.SADDLE
        return CriticalKind.DEGENERATE
    if normal.size == 0:
        return CriticalKind.DEGENERATE
    if normal.min() > 0:
        return CriticalKind.MINIMUM
    if normal.max() < 0:
        return CriticalKind.MAXIMUM
    return CriticalKind.SADDLE


def _analyse(m: Any, x: NDArray[np.float64], lr: float | None, model: Any) -> CriticalPointInfo:
    """One point found by the search, classified by its float64 Hessian spectrum."""
    lam, V = _eigh(m, x)
    zero = np.abs(lam) <= ZERO_RTOL * max(1.0, float(np.max(np.abs(lam))))
    set_dim = _set_dimension(m, x, V[:, zero]) if zero.any() else 0
    on_set = bool(zero.any()) and set_dim == int(zero.sum())
    if on_set:
        isolated: bool | None = False
        where = (
            f"; lies on a critical set of dimension {set_dim} (its null directions stay critical)"
        )
    else:
        isolated = None
        set_dim = 0
        where = (
            "; H is singular and the critical set through it is not identified"
            if zero.any()
            else "; H is non-singular there"
        )
    info = CriticalPointInfo(
        point=np.asarray(x, dtype=np.float64),
        point_mp=tuple(f"{v:.17g}" for v in x),
        loss=float(np.asarray(m.loss(x[None]))[0]),
        gradient_norm=float(np.linalg.norm(np.asarray(m.gradient(x[None]))[0])),
        kind=_kind(lam, zero, on_set),
        kind_certified=False,
        isolated=isolated,
        set_dim=set_dim,
        certificate=NUMERICAL_CERTIFICATE + where,
        radius=None,
        hessian_eigenvalues=lam,
        hessian_enclosures=None,
        source="search",
    )
    if lr is not None:
        from dataclasses import replace

        info = replace(info, spectrum=_spectrum(model, info, lr))
    return info


def _merges(x: NDArray[np.float64], q: CriticalPointInfo) -> bool:
    """Whether a candidate is a known point with a singular Hessian (float Newton converges
    only linearly to such a root and stops at a distance of about the square root of its
    tolerance, so the starts that reach it leave a cloud of nearby candidates)."""
    if q.isolated is not None and q.set_dim == 0:
        return False
    lam = q.hessian_eigenvalues
    if not np.any(np.abs(lam) <= ZERO_RTOL * max(1.0, float(np.max(np.abs(lam))))):
        return False
    d = float(np.max(np.abs(x - q.point)))
    return d <= MERGE_RTOL * (1.0 + float(np.max(np.abs(q.point))))


def protocol_critical_points(
    model: Any,
    box: Any = None,
    *,
    lr: float | None = None,
    n_starts: int = 64,
    seed: int | None = 0,
    descent_steps: int = 200,
) -> CriticalPointsResult:
    r"""Critical points of any model of the protocol in a box, found and classified in float64
    (numerical, not certified; see the module docstring).

    Parameters
    ----------
    model : Model
        Anything with ``n_params``, ``loss``, ``gradient``, ``hessian`` and ``hvp``.
    box : float, (lo, hi) or P pairs, optional
        Search box (default :math:`[-4, 4]^P`).
    lr : float, optional
        Learning rate of the classes of the fixed points of :math:`G_\eta`.
    n_starts : int
        Uniform seeded starts (each is also descended first, so Newton runs from twice as many).
    seed : int or None
        Seed of the starts (None: drawn and recorded).
    descent_steps : int
        Backtracking gradient-descent steps before Newton for the second set of starts (0: none).

    Returns
    -------
    CriticalPointsResult
        ``exact`` and ``complete`` are False; every point's certificate says "numerical, not
        certified".

    Examples
    --------
    >>> import numpy as np
    >>> class Bowl:
    ...     n_params = 2
    ...     def loss(self, t): return 0.5 * np.sum(np.asarray(t)**2 * [1.0, 3.0], axis=-1)
    ...     def gradient(self, t): return np.asarray(t) * [1.0, 3.0]
    ...     def hessian(self, t):
    ...         return np.broadcast_to(np.diag([1.0, 3.0]), (*np.shape(t)[:-1], 2, 2))
    ...     def hvp(self, t, v): return np.asarray(v) * [1.0, 3.0]
    ...     def fingerprint(self): return "bowl"
    >>> res = protocol_critical_points(Bowl(), 2.0)
    >>> [(p.kind.name, p.sharpness) for p in res]
    [('MINIMUM', 3.0)]
    """
    model = _check_protocol(model)
    m = numeric_model(model)
    P = int(m.n_params)
    bx = _check_box(DEFAULT_BOX_HALF_WIDTH if box is None else box, P)
    lr_f = None if lr is None else check_positive_float("lr", lr)
    n_starts = check_int("n_starts", n_starts, minimum=1, maximum=100_000)
    descent_steps = check_int("descent_steps", descent_steps, minimum=0, maximum=100_000)
    seed = check_seed("seed", seed)
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    infos: list[CriticalPointInfo] = []
    for x in _search(m, bx, n_starts, seed, descent_steps):
        if not any(_merges(x, q) for q in infos):
            infos.append(_analyse(m, x, lr_f, model))
    infos.sort(key=lambda p: (_KIND_ORDER[p.kind], p.loss, tuple(p.point)))
    how = f"{n_starts} uniform starts in the box (seed {seed})"
    if descent_steps:
        how += f" and the same starts after {descent_steps} backtracking gradient-descent steps"
    method = (
        f"searched (numerical, not certified): minimum-norm Newton from {how}, with deflation "
        "of the isolated points found; each point classified by its float64 Hessian spectrum "
        "(the model is given through the model protocol only)"
    )
    return CriticalPointsResult(
        model_name=model_name(model),
        box=bx,
        lr=lr_f,
        points=tuple(infos),
        method=method,
        exact=False,
        complete=False,
        n_starts=n_starts,
        seed=seed,
        dps=16,
        notes=("numerical, not certified: a flatter or another critical point elsewhere is "
               "not excluded",),
        model=model,
    )  # fmt: skip


def critical_points_of_protocol(
    model: Any,
    box: Any,
    *,
    lr: Any,
    method: str,
    n_starts: int,
    seed: int | None,
    dps: int,
    exact_timeout: float,
) -> CriticalPointsResult:
    """The public ``critical_points``
    (:func:`~dynsys_gd.numeric.landscape.model_points.critical_points`) for a model of the
    protocol: the float64 search (:func:`protocol_critical_points`).  ``method`` "auto" and
    "search" both mean the search; "exact" is refused (it needs a symbolic form); ``dps`` and
    ``exact_timeout`` are checked and apply to the exact route only."""
    if method not in ("auto", "exact", "search"):
        raise InvalidParameterError(
            f"method must be one of 'auto', 'exact', 'search'; got {method!r}"
        )
    if method == "exact":
        raise InvalidParameterError(
            "method must be 'auto' or 'search' for a model given only through the model "
            f"protocol (the exact route needs a symbolic form); got 'exact' with "
            f"{model_name(model)}"
        )
    check_int("dps", dps, minimum=20, maximum=2000)
    check_positive_float("exact_timeout", exact_timeout)
    return protocol_critical_points(model, box, lr=lr, n_starts=n_starts, seed=seed)


def classified_at(res: CriticalPointsResult, lr: float) -> CriticalPointsResult:
    r"""``res.at(lr)`` with the degenerate points whose float64 Hessian has no eigenvalue below
    :math:`-10^{-5}\max(1, \max|\lambda|)` (the zero threshold) classified *not decided by
    linearisation* rather than strict saddles: a negative eigenvalue that small is the float
    Newton's distance from a degenerate root, not a descent direction."""
    from dataclasses import replace

    from .spectra import FixedPointClass

    out = res.at(lr)
    pts = []
    for p in out.points:
        lam = p.hessian_eigenvalues
        small = lam.min() >= -ZERO_RTOL * max(1.0, float(np.max(np.abs(lam))))
        if p.kind is CriticalKind.DEGENERATE and small and p.spectrum is not None:
            p = replace(
                p,
                spectrum=replace(p.spectrum, classification=FixedPointClass.NON_STRICT_SADDLE),
            )
        pts.append(p)
    return replace(out, points=tuple(pts))


def protocol_flattest_minimum(
    model: Any, box: Any = None, *, n_starts: int = 64, seed: int | None = 0, **kwargs: Any
) -> ProtocolFlattestMinimum:
    r"""The flattest minimum found of a protocol model and its numerical :math:`S_{\min}`
    (numerical, not certified; see the module docstring).

    Parameters
    ----------
    model : Model
    box, n_starts, seed, **kwargs
        As for :func:`protocol_critical_points`.

    Returns
    -------
    ProtocolFlattestMinimum
        ``exact`` False, ``bounds`` None, ``bracket`` ``(S, S)``: no enclosure.
        A seeded result is remembered per model object and settings (as the built-in kinds
        cache theirs), so ``critical_lr`` under several optimisers searches once.

    Raises
    ------
    InvalidParameterError
        If the search finds no minimum in the box.
    """
    P = int(_check_protocol(model).n_params)
    bx = _check_box(DEFAULT_BOX_HALF_WIDTH if box is None else box, P)  # the key: every bound
    key = repr((bx, n_starts, seed, sorted(kwargs.items())))
    try:  # remembered per model object, as the sympy and network kinds cache on theirs
        per = _FLAT_CACHE.setdefault(model, {})
    except TypeError:  # not hashable or not weakly referenceable: no cache
        per = {}
    if seed is not None and key in per:
        return per[key]
    out = _flattest_search(model, bx, n_starts, seed, **kwargs)
    if seed is not None:
        per[key] = out
    return out


def _flattest_search(
    model: Any, box: Any, n_starts: int, seed: int | None, **kwargs: Any
) -> ProtocolFlattestMinimum:
    """The search behind :func:`protocol_flattest_minimum` (not cached)."""
    res = protocol_critical_points(model, box, n_starts=n_starts, seed=seed, **kwargs)
    minima = list(res.minima)
    if not minima:
        raise InvalidParameterError(
            f"model has no local minimum found in the box {res.box} (a float64 search from "
            f"{res.n_starts} starts); got {len(res.points)} other critical points"
        )
    m = numeric_model(model)
    best: tuple[float, NDArray[np.float64]] | None = None
    searched_set = False
    groups: dict[tuple[int, float], list[CriticalPointInfo]] = {}
    for p in minima:
        if p.isolated is False and p.set_dim > 0:
            groups.setdefault((p.set_dim, round(p.loss, 9)), []).append(p)
        elif best is None or p.sharpness < best[0]:
            best = (p.sharpness, p.point)
    ends: list[str] = []
    for (dim, loss), pts in groups.items():
        for p in sorted(pts, key=lambda q: q.sharpness)[:SET_DESCENTS]:
            x, f, at_end = _descend_among_minima(m, p.point, dim)
            searched_set = True
            if at_end and f"{loss:.6g}" not in ends:
                ends.append(f"{loss:.6g}")
            if best is None or f < best[0]:
                best = (f, x)
    assert best is not None
    S, x = best
    lowest = min(p.loss for p in minima)
    flat_loss = float(np.asarray(m.loss(x[None]))[0])
    method = (
        f"numerical, not certified: smallest lambda_max(H) over the {len(minima)} local minima "
        f"found by a float64 search ({res.n_starts} starts, seed {res.seed}) in the box"
        + (
            "; on the non-isolated minima sets found, lambda_max was minimised over the set by "
            "projected descent"
            if searched_set
            else ""
        )
        + (
            "; along the minima set at loss "
            + ", ".join(ends)
            + " lambda_max decreases towards a point where the set stops being a set of "
            "minima (a zero normal eigenvalue), where the descent stopped: the infimum over "
            "that set may be lower than the value given"
            if ends
            else ""
        )
        + (
            f"; the flattest minimum found is a non-global local minimum (loss {flat_loss:.6g} "
            f"> lowest minimum loss found {lowest:.6g})"
            if flat_loss > lowest + 1e-9 * max(1.0, abs(lowest))
            else ""
        )
        + " (model given through the model protocol; a flatter minimum elsewhere is not excluded)"
    )
    return ProtocolFlattestMinimum(
        point=np.asarray(x, dtype=np.float64),
        sharpness=float(S),
        method=method,
        bracket=(float(S), float(S)),
        relative_gap=0.0,
        exact=False,
        box=res.box,
        critical_points=res,
        bounds=None,
    )


def _normal_ok(m: Any, x: NDArray[np.float64], k: int) -> tuple[bool, float]:
    """Whether x is still a minimum of a k-dimensional minima set (its normal eigenvalues, all
    but the k smallest in modulus, are positive and not zero) and its lambda_max."""
    lam = _eigh(m, x)[0]
    top = max(1.0, float(np.max(np.abs(lam))))
    normal = lam[np.argsort(np.abs(lam), kind="stable")[k:]]
    return bool(normal.size and normal.min() > ZERO_RTOL * top), float(lam[-1])


def _descend_among_minima(
    m: Any, x: NDArray[np.float64], k: int, *, iters: int = 200
) -> tuple[NDArray[np.float64], float, bool]:
    r"""Minimise :math:`\lambda_{\max}(H)` over a k-dimensional minima set through x: a step
    along :math:`\ker H` (a central-difference gradient of :math:`\lambda_{\max}` there),
    then Newton back onto the set; a step is taken only if it lands on the same loss level at
    a point that is still a minimum of the set.  Returns the point, its
    :math:`\lambda_{\max}` and whether the descent stopped at the end of the minima (a step
    that lowered :math:`\lambda_{\max}` landed where a normal eigenvalue is zero)."""
    _ok, f = _normal_ok(m, x, k)
    loss0 = float(np.asarray(m.loss(x[None]))[0])
    step = 0.1 * max(1.0, float(np.linalg.norm(x)))
    at_end = False
    for _ in range(iters):
        lam, V = _eigh(m, x)
        T = V[:, np.argsort(np.abs(lam), kind="stable")[:k]]
        h = 1e-6 * max(1.0, float(np.linalg.norm(x)))
        g = np.array(
            [(_eigh(m, x + h * T[:, j])[0][-1] - _eigh(m, x - h * T[:, j])[0][-1]) / (2 * h)
             for j in range(k)]
        )  # fmt: skip
        gn = float(np.linalg.norm(g))
        if gn <= 1e-12 * max(1.0, abs(f)):
            break
        d = -(T @ g) / gn
        improved = False
        while step > 1e-13:
            trial = x + step * d
            y, gy = _newton_batch(m, trial[None], tol=1e-12, max_iter=40, step_cap=step)
            same = (
                np.isfinite(gy[0])
                and gy[0] <= 1e-10
                and abs(float(np.asarray(m.loss(y))[0]) - loss0) <= 1e-9 * max(1.0, abs(loss0))
                and float(np.linalg.norm(y[0] - trial)) <= step
            )
            if same:
                ok_y, fy = _normal_ok(m, y[0], k)
                if fy < f and ok_y:
                    x, f, improved = y[0], fy, True
                    step *= 1.5
                    break
                if fy < f:
                    at_end = True
            step *= 0.5
        if not improved:
            break
    return x, f, at_end


def numerical_det_dg(
    model: Any, lr: float, box: tuple[tuple[float, float], ...], seed: int, n_points: int = 16
) -> tuple[bool, str]:
    r"""Whether :math:`\det DG_\eta = \det(I - \eta H)` is non-zero at a seeded random point of
    the box (numerical): for a real-analytic loss the determinant is then a non-zero analytic
    function, whose zero set is Lebesgue-null.  Returns ``(found, text)``."""
    m = numeric_model(model)
    lo = np.array([a for a, _ in box])
    hi = np.array([b for _, b in box])
    th = lo + (hi - lo) * generator(seed, "protocol_det_dg").random((n_points, lo.size))
    H = np.asarray(m.hessian(th), dtype=np.float64)
    with np.errstate(all="ignore"):
        sign, logdet = np.linalg.slogdet(np.eye(lo.size)[None] - lr * H)
    ok = (sign != 0) & np.isfinite(logdet) & (logdet > math.log(1e-10))
    if ok.any():
        i = int(np.argmax(ok))
        return True, (
            f"det DG_eta = {sign[i] * math.exp(logdet[i]):.3g} != 0 at a random point of the box "
            "(numerical: for a real-analytic loss DG_eta is then non-singular off a null set)"
        )
    return False, (
        f"det DG_eta was ~0 at all {n_points} random points of the box tried (numerical), so "
        "the preimage argument of C9 does not apply as far as these go"
    )
