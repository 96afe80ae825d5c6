r"""Critical points of any sympy loss in a box: the fixed points of the GD map (docs/math/gd-map.md,
docs/math/claims.md#c6, docs/math/claims.md#c9).

Fixed points of :math:`G_\eta(\theta) = \theta - \eta\nabla L(\theta)` are the critical points of
L, for every :math:`\eta`.  :func:`critical_points` finds those of a
:class:`~dynsys_gd.models.LossModel` in a box, as fixed-point finders of dynamical-systems tools
do, and returns each one with its Hessian spectrum, its type and (for a learning rate) the
spectrum and class of :math:`DG_\eta = I - \eta H` (C3, C6).

How the points are found
------------------------
1. **Exact** (polynomial losses, small systems).  A Groebner basis of the gradient ideal
   (``sympy.groebner``, grevlex, then FGLM to lex) decides whether the critical set is finite
   (zero-dimensional ideal).  If it is, the univariate eliminant of every coordinate gives, by
   exact real-root isolation (``Poly.intervals``), rational intervals that contain every real
   critical coordinate; their Cartesian product is a finite list of candidate boxes that contains
   every real critical point.  Each candidate is either *excluded* (the gradient evaluated in ball
   arithmetic on the box does not contain 0) or *certified* by the Krawczyk test below, so the
   list is **complete** in the box when no candidate is left undecided.  The algebra runs in a
   child process with a CPU-time budget (``exact_timeout`` CPU seconds, so the answer does not
   depend on the machine's load) and a memory cap, because Groebner bases can be arbitrarily
   expensive; beyond the budget the search below is used instead, and the result names the
   timed-out exact route.
2. **Searched** (any analytic loss, or when the exact route fails or the critical set is not
   finite).  Minimum-norm Newton :math:`\theta \leftarrow \theta - H^+\nabla L` from ``n_starts``
   seeded uniform starts in the box, then rounds of *deflated* Newton from the starts that ran
   into known points: with the deflation operator
   :math:`M(\theta) = \prod_r (\lVert\theta - r\rVert^{-2} + 1)` over the isolated points found,
   the Newton step :math:`\delta` for :math:`\nabla L` becomes :math:`\delta/(1 - M^{-1}\nabla
   M\cdot\delta)` (Farrell, Birkisson & Funke 2015), which pushes iterates away from known roots.
   A search is never a proof that no other critical point exists.

How each point is checked
-------------------------
* Refinement in mpmath at ``dps`` digits (minimum-norm Newton, gradient norm
  :math:`< 10^{-(dps-5)}`).
* **Certified isolated** (python-flint ball arithmetic): the Krawczyk operator
  :math:`K(X) = m - Y\nabla L(m) + (I - Y H(X))(X - m)` on a box X around the refined point m,
  with :math:`Y \approx H(m)^{-1}`; :math:`K(X) \subset \operatorname{int} X` proves that X holds
  exactly one critical point and that H is non-singular there (an isolated, non-degenerate fixed
  point of :math:`G_\eta` for every η).  The Hessian over X is then enclosed
  (:func:`~dynsys_gd.numeric.landscape.enclosures.certified_spectrum`), which certifies the type
  (minimum,
  saddle, maximum) when no eigenvalue enclosure contains 0.
* Points where H is singular are not isolated candidates: when moving along each null direction
  of H and projecting back with Newton lands on other critical points, the point lies on a
  critical set of that dimension (numerical test, a Morse–Bott set such as the curve
  :math:`xy = 1` of :math:`\tfrac12(xy-1)^2`), and it is classified by its normal spectrum (C3).

Flattest minimum (C5 for any model)
-----------------------------------
:func:`loss_flattest_minimum` takes the smallest :math:`\lambda_{\max}(H)` over the local minima
found; on a non-isolated minima set it minimises :math:`\lambda_{\max}(H)` over the set by
projected descent (a step along the tangent space :math:`\ker H`, then Newton back onto the set).
``critical_lr = 2 / S_min``.  The result says what is exact (a complete, certified list of
isolated critical points in the box, with an enclosure of :math:`\lambda_{\max}`) and what is
searched.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._streams import generator
from ..._types import LearningRate
from ..._validation import check_int, check_positive_float, check_seed
from ...errors import InvalidParameterError
from ...models import LossModel
from ..kernels import numeric_model
from ._cp_exact import (
    _ball_from_interval,
    _ball_hessian_enclosures,
    _ball_model,
    _exact_candidates,
    _krawczyk,
    det_dg_certificate,
)
from .critical_results import (
    CriticalKind,
    CriticalPointInfo,
    CriticalPointsResult,
    _check_box,
    _check_model,
    _spectrum,
)
from .manifold import pinv_newton

__all__ = [
    "CriticalKind",
    "CriticalPointInfo",
    "CriticalPointsResult",
    "critical_points",
    "det_dg_certificate",
]

#: default half-width of the search box of :func:`loss_flattest_minimum` / ``critical_lr``
DEFAULT_BOX_HALF_WIDTH = 4.0
#: at most this many parameters for the exact (Groebner) route
EXACT_MAX_PARAMS = 6
#: at most this many candidate boxes (product of real-root counts) in the exact route
EXACT_MAX_CANDIDATES = 4096


# -- the search ---------------------------------------------------------------------------------
def _newton_batch(
    m: Any, th: NDArray[np.float64], *, tol: float, max_iter: int, step_cap: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Batched minimum-norm Newton with a step cap (keeps wild first steps bounded)."""
    return pinv_newton(
        m, th, tol=tol, max_iter=max_iter, rank_rtol=1e-10, step_cap=step_cap, symmetrize=True
    )


def _deflated_newton(
    m: Any,
    x0: NDArray[np.float64],
    roots: list[NDArray[np.float64]],
    *,
    tol: float,
    max_iter: int,
    step_cap: float,
) -> tuple[NDArray[np.float64], float]:
    x = x0.copy()
    gn = math.inf
    with np.errstate(all="ignore"):
        for _ in range(max_iter):
            g = m.gradient(x[None])[0]
            gn = float(np.linalg.norm(g))
            if not math.isfinite(gn):
                return x, math.inf
            if gn <= tol:
                return x, gn
            H = m.hessian(x[None])[0]
            H = 0.5 * (H + H.T)
            if not np.all(np.isfinite(H)):
                return x, math.inf
            lam, V = np.linalg.eigh(H)
            cut = 1e-10 * float(np.max(np.abs(lam)))
            inv = np.where(np.abs(lam) > cut, 1.0 / np.where(lam == 0, 1.0, lam), 0.0)
            delta = -(V @ ((V.T @ g) * inv))
            # deflation M(x) = prod_r (|x - r|^-2 + 1); grad log M = sum_r -2 (x - r)/|x-r|^4 / m_r
            glogM = np.zeros_like(x)
            for r in roots:
                d = x - r
                d2 = float(d @ d)
                if d2 == 0.0:
                    return x, math.inf
                mr = 1.0 / d2 + 1.0
                glogM += (-2.0 * d / d2**2) / mr
            denom = 1.0 - float(glogM @ delta)
            tau = 1.0 / denom if abs(denom) > 1e-12 else 1.0
            step = tau * delta
            sn = float(np.linalg.norm(step))
            if sn > step_cap:
                step *= step_cap / sn
            x = x + step
    return x, gn


def _in_box(
    x: NDArray[np.float64], box: tuple[tuple[float, float], ...], slack: float = 0.0
) -> bool:
    return all(lo - slack <= xi <= hi + slack for xi, (lo, hi) in zip(x, box, strict=True))


def _uniform_starts(
    box: tuple[tuple[float, float], ...], n_starts: int, seed: int, stream: str
) -> NDArray[np.float64]:
    """``n_starts`` seeded uniform points of the box (random stream ``stream`` of ``seed``)."""
    lo = np.array([a for a, _ in box])
    hi = np.array([b for _, b in box])
    return lo + (hi - lo) * generator(seed, stream).random((n_starts, len(box)))


def _newton_deflation_search(
    m: Any,
    starts: NDArray[np.float64],
    box: tuple[tuple[float, float], ...],
    *,
    tol: float,
    n_defl: int,
    max_rounds: int,
    eigenvalues: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    zero_rtol: float,
) -> list[NDArray[np.float64]]:
    r"""Distinct critical points in the box from Newton at every start, then deflation rounds.

    Minimum-norm Newton runs from each start; a converged point (:math:`\|\nabla L\| \le`
    ``tol``, inside the box up to :math:`10^{-9}` of its width) is new when it is farther than
    :math:`10^{-7}(1 + \|f\|)` from every point :math:`f` found before.  The first ``n_defl``
    starts that ran into a known point then run deflated Newton away from the isolated points
    (every Hessian eigenvalue, from ``eigenvalues``, above
    ``zero_rtol`` :math:`\cdot\max(1, \max|\lambda|)` in size), for at most ``max_rounds``
    rounds while a round finds something new
    (docs/math/gd-map.md).

    Returns
    -------
    list of ndarray
        The points in the order found (float64, numerical).
    """
    width = float(np.max(np.array([b for _, b in box]) - np.array([a for a, _ in box])))
    pts, gn = _newton_batch(m, starts, tol=tol, max_iter=60, step_cap=0.5 * width)
    found: list[NDArray[np.float64]] = []
    isolated: list[NDArray[np.float64]] = []
    duplicates: list[int] = []

    def add(x: NDArray[np.float64]) -> bool:
        for f in found:
            if np.linalg.norm(x - f) <= 1e-7 * (1.0 + float(np.linalg.norm(f))):
                return False
        found.append(x)
        lam = eigenvalues(x)
        if float(np.min(np.abs(lam))) > zero_rtol * max(1.0, float(np.max(np.abs(lam)))):
            isolated.append(x)
        return True

    for i in range(starts.shape[0]):
        if np.isfinite(gn[i]) and gn[i] <= tol and _in_box(pts[i], box, 1e-9 * width):
            if not add(pts[i]):
                duplicates.append(i)
    n_defl = min(len(duplicates), n_defl)
    for _ in range(max_rounds):
        if not isolated or n_defl == 0:
            break
        new = 0
        for i in duplicates[:n_defl]:
            x, g = _deflated_newton(
                m, starts[i], isolated, tol=tol, max_iter=80, step_cap=0.5 * width
            )
            if math.isfinite(g) and g <= tol and _in_box(x, box, 1e-9 * width) and add(x):
                new += 1
        if new == 0:
            break
    return found


def _search(
    model: LossModel,
    box: tuple[tuple[float, float], ...],
    n_starts: int,
    seed: int,
    max_rounds: int = 4,
) -> tuple[list[NDArray[np.float64]], int]:
    """Multi-start Newton plus deflation; returns candidate points (float64, in the box)."""
    m = numeric_model(model)
    starts = _uniform_starts(box, n_starts, seed, "critical_point_starts")

    def eigenvalues(x: NDArray[np.float64]) -> NDArray[np.float64]:
        H = m.hessian(x[None])[0]
        return np.linalg.eigvalsh(0.5 * (H + H.T))

    found = _newton_deflation_search(
        m, starts, box, tol=1e-11, n_defl=max(8, n_starts // 4), max_rounds=max_rounds,
        eigenvalues=eigenvalues, zero_rtol=1e-8,
    )  # fmt: skip
    return found, n_starts


# -- per-point analysis --------------------------------------------------------------------------
def _set_dimension(m: Any, x: NDArray[np.float64], null: NDArray[np.float64]) -> int:
    """Numerical dimension of the critical set through x along the null directions of H."""
    if null.shape[1] == 0:
        return 0
    eps = 1e-3 * max(1.0, float(np.linalg.norm(x)))
    trial = np.concatenate([x[None] + eps * null.T, x[None] - eps * null.T])
    back, gn = _newton_batch(m, trial, tol=1e-11, max_iter=40, step_cap=10 * eps)
    moved = np.linalg.norm(back - x[None], axis=1)
    ok = (gn <= 1e-10) & (moved > 0.3 * eps)
    k = null.shape[1]
    # a direction counts when both signs of the move stay on the critical set
    return int(np.sum(ok[:k] & ok[k:]))


def _analyse_point(
    model: LossModel, x: Any, source: str, dps: int, lr: float | None
) -> CriticalPointInfo | None:
    import mpmath

    from .fixed_points import refine_mp

    m = numeric_model(model)
    pt_mp, gn_mp = refine_mp(model, np.asarray(x, dtype=np.float64), dps=dps)
    with mpmath.workdps(dps):
        if not all(mpmath.isfinite(v) for v in pt_mp):
            return None
        gnorm = float(gn_mp)
        strs = tuple(mpmath.nstr(v, dps) for v in pt_mp)
    if not (math.isfinite(gnorm) and gnorm <= 1e-8):
        return None
    xf = np.array([float(v) for v in pt_mp])
    H = m.hessian(xf[None])[0]
    H = 0.5 * (H + H.T)
    lam, V = np.linalg.eigh(H)
    scale = max(float(np.max(np.abs(lam))), 1e-300)
    zero = np.abs(lam) <= 1e-8 * max(scale, 1.0)
    loss = float(m.loss(xf[None])[0])
    bm = _ball_model(model)
    isolated: bool | None = None
    radius = None
    enclosures = None
    kind_cert = False
    set_dim = 0
    if bm is not None and not np.any(zero):
        ok, radius, X = _krawczyk(bm, pt_mp)
        if ok:
            isolated = True
            enclosures = _ball_hessian_enclosures(bm, X)
    if isolated:
        cert = (
            f"certified: exactly one critical point in the box of half-width {radius:.1e} "
            "around it, with H non-singular there (Krawczyk test in ball arithmetic)"
        )
    elif np.any(zero):
        set_dim = _set_dimension(m, xf, V[:, zero])
        if set_dim == int(np.sum(zero)):
            isolated = False
            cert = (
                f"not isolated: lies on a critical set of dimension {set_dim} (the null "
                "directions of H stay critical; numerical test)"
            )
        else:
            cert = (
                "not certified: H is singular and the critical set through the point could "
                "not be identified (degenerate critical point)"
            )
    elif bm is None:
        cert = "not certified: the loss has a function without a ball-arithmetic enclosure here"
    else:
        cert = "not certified: the Krawczyk test did not succeed (ill-conditioned point)"
    normal = lam[~zero] if isolated is False else lam
    nz = lam[~zero]
    if isolated is None and np.any(zero) and nz.size and nz.min() < 0 < nz.max():
        # eigenvalues of both signs decide it even with null directions: not a minimum (a
        # descent direction) and not a maximum (an ascent direction)
        kind = CriticalKind.SADDLE
    elif isolated is None and np.any(zero):
        kind = CriticalKind.DEGENERATE
    elif normal.size == 0:
        kind = CriticalKind.DEGENERATE
    elif normal.min() > 0:
        kind = CriticalKind.MINIMUM
    elif normal.max() < 0:
        kind = CriticalKind.MAXIMUM
    else:
        kind = CriticalKind.SADDLE
    if enclosures is not None:
        if all(a > 0 for a, _ in enclosures) and kind is CriticalKind.MINIMUM:
            kind_cert = True
        elif all(b < 0 for _, b in enclosures) and kind is CriticalKind.MAXIMUM:
            kind_cert = True
        elif (
            kind is CriticalKind.SADDLE
            and any(a > 0 for a, _ in enclosures)
            and any(b < 0 for _, b in enclosures)
        ):
            kind_cert = True
    info = CriticalPointInfo(
        point=xf,
        point_mp=strs,
        loss=loss,
        gradient_norm=gnorm,
        kind=kind,
        kind_certified=kind_cert,
        isolated=isolated,
        set_dim=set_dim,
        certificate=cert,
        radius=radius,
        hessian_eigenvalues=lam,
        hessian_enclosures=enclosures,
        source=source,
    )
    if lr is not None:
        info = replace(info, spectrum=_spectrum(model, info, lr))
    return info


_KIND_ORDER = {
    CriticalKind.MINIMUM: 0,
    CriticalKind.SADDLE: 1,
    CriticalKind.DEGENERATE: 2,
    CriticalKind.MAXIMUM: 3,
}


def critical_points(
    model: LossModel,
    box: Any,
    *,
    lr: LearningRate | None = None,
    method: str = "auto",
    n_starts: int = 64,
    seed: int | None = 0,
    dps: int = 50,
    exact_timeout: float = 10.0,
) -> CriticalPointsResult:
    r"""Critical points of a sympy loss in a box, each with its spectrum and class (C3, C6, C9).

    Parameters
    ----------
    model : LossModel
        Any real-analytic loss.
    box : float, (lo, hi) or sequence of P pairs
        Search region: ``s`` means :math:`[-s, s]^P`.
    lr : float, optional
        Learning rate :math:`\eta` for the class of each fixed point of :math:`G_\eta`
        (:class:`~dynsys_gd.numeric.landscape.spectra.FixedPointClass`); the types (minimum,
        saddle, ...)
        do not depend on it.  :meth:`CriticalPointsResult.at` reclassifies without a new search.
    method : {"auto", "exact", "search"}
        "auto": the exact route for polynomial losses with at most
        :data:`EXACT_MAX_PARAMS` parameters, then the search if the exact route cannot decide;
        "exact": the exact route only (refuses non-polynomial losses); "search": multi-start
        Newton with deflation only.
    n_starts : int
        Starts of the search (uniform in the box, seeded).
    seed : int or None
        Seed of the starts (None: drawn and recorded).
    dps : int
        Digits of the mpmath refinement (>= 20).
    exact_timeout : float
        CPU seconds allowed for the Groebner computation (a child process; its
        ``ITIMER_PROF`` CPU-time timer): a budget of the child's own CPU time,
        not wall time, so the same call gives the same result on a loaded machine.  A
        timed-out exact route is named in ``method`` and ``notes``.

    Returns
    -------
    CriticalPointsResult
        ``complete`` says whether the list is proved complete in the box.

    Examples
    --------
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> m = LossModel((x*y - 1)**2/2 + (x**2 - y**2)**2/8, (x, y))
    >>> res = critical_points(m, 3.0, lr=0.5)
    >>> [p.kind.name for p in res]
    ['MINIMUM', 'MINIMUM', 'SADDLE']
    """
    model = _check_model(model)
    P = model.n_params
    bx = _check_box(box, P)
    lr_f = None if lr is None else check_positive_float("lr", lr)
    if method not in ("auto", "exact", "search"):
        raise InvalidParameterError(
            f"method must be one of 'auto', 'exact', 'search'; got {method!r}"
        )
    n_starts = check_int("n_starts", n_starts, minimum=1, maximum=100_000)
    seed = check_seed("seed", seed)
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    dps = check_int("dps", dps, minimum=20, maximum=2000)
    exact_timeout = check_positive_float("exact_timeout", exact_timeout)
    if method == "exact" and not model.is_polynomial:
        raise InvalidParameterError(f"method='exact' needs a polynomial loss; got {model.expr}")

    notes: list[str] = []
    infos: list[CriticalPointInfo] = []
    exact = complete = False
    method_text = ""
    used_starts = 0
    try_exact = method == "exact" or (
        method == "auto" and model.is_polynomial and P <= EXACT_MAX_PARAMS
    )
    if method == "auto" and model.is_polynomial and P > EXACT_MAX_PARAMS:
        notes.append(f"exact route skipped: more than {EXACT_MAX_PARAMS} parameters")
    if try_exact:
        status, roots = _exact_candidates(model, exact_timeout)
        if status != "ok":
            notes.append(f"exact route not used: {status}")
            if "budget" in status or "backstop" in status:
                method_text = f"exact route timed out ({status})"
            if method == "exact":
                raise InvalidParameterError(
                    f"model: the exact route cannot solve this system ({status})"
                )
        else:
            res = _exact_points(model, bx, roots, dps, lr_f, notes)
            if res is not None:
                infos, complete = res
                exact = True
                method_text = (
                    "exact: Groebner basis of the gradient ideal (finite critical "
                    "set), exact real-root isolation of each coordinate's eliminant, "
                    "every candidate certified (Krawczyk) or excluded in ball "
                    "arithmetic"
                )
                if not complete:
                    method_text += "; some candidates undecided"
    if not complete:
        cands, used_starts = _search(model, bx, n_starts, seed)
        for c in cands:
            if _already_known(c, infos):
                continue
            info = _analyse_point(model, c, "search", dps, lr_f)
            if info is not None and _in_box(info.point, bx) and not _is_dup(info, infos):
                infos.append(info)
        method_text = (
            (method_text + "; then " if method_text else "")
            + f"searched: minimum-norm Newton from {used_starts} uniform starts in the "
            f"box (seed {seed}) with deflation of the isolated points found; each "
            "point refined in mpmath and tested for isolation in ball arithmetic"
        )
    infos.sort(key=lambda p: (_KIND_ORDER[p.kind], p.loss, tuple(p.point)))
    out = CriticalPointsResult(
        model_name=model.name,
        box=bx,
        lr=lr_f,
        points=tuple(infos),
        method=method_text,
        exact=exact,
        complete=complete,
        n_starts=used_starts,
        seed=seed,
        dps=dps,
        notes=tuple(notes),
        model=model,
    )
    return out


#: a search candidate this close (relative, max norm) to a known degenerate point is that point
DEGENERATE_MERGE_RTOL = 1e-4


def _already_known(c: NDArray[np.float64], infos: list[CriticalPointInfo]) -> bool:
    """Whether a search candidate needs no analysis of its own: it lies in the certified
    uniqueness box of a known point (Krawczyk: exactly one critical point there), or within
    :data:`DEGENERATE_MERGE_RTOL` of a known degenerate point (float Newton converges only
    linearly to a degenerate root and stops about the square root of its tolerance away, so
    each start would otherwise pay a slow high-precision refinement of the same point)."""
    for q in infos:
        d = float(np.max(np.abs(c - q.point)))
        if q.radius is not None and d < q.radius:
            return True
        scale = 1.0 + float(np.max(np.abs(q.point)))
        if q.kind is CriticalKind.DEGENERATE and d <= DEGENERATE_MERGE_RTOL * scale:
            return True
    return False


def _is_dup(info: CriticalPointInfo, infos: list[CriticalPointInfo]) -> bool:
    for q in infos:
        if np.linalg.norm(info.point - q.point) <= 1e-9 * (1.0 + float(np.linalg.norm(q.point))):
            return True
    return False


def _exact_points(
    model: LossModel,
    box: tuple[tuple[float, float], ...],
    roots: list[list[tuple[Fraction, Fraction]]],
    dps: int,
    lr: float | None,
    notes: list[str],
) -> tuple[list[CriticalPointInfo], bool] | None:
    import itertools

    import flint

    bm = _ball_model(model)
    if bm is None:  # pragma: no cover - polynomials always have a ball model
        return None
    # keep only root intervals that meet the box
    per = [
        [iv for iv in r if float(iv[1]) >= lo and float(iv[0]) <= hi]
        for r, (lo, hi) in zip(roots, box, strict=True)
    ]
    n_cand = 1
    for r in per:
        n_cand *= len(r)
    if n_cand > EXACT_MAX_CANDIDATES:
        notes.append(
            f"exact route not used: {n_cand} candidate boxes (more than {EXACT_MAX_CANDIDATES})"
        )
        return None
    infos: list[CriticalPointInfo] = []
    undecided = 0
    old = flint.ctx.prec
    for cand in itertools.product(*per):
        flint.ctx.prec = 256
        try:
            B = [_ball_from_interval(a, b) for a, b in cand]
            g = bm.grad(B)
            excluded = any(not gi.contains(0) for gi in g)
        finally:
            flint.ctx.prec = old
        if excluded:
            continue
        x0 = np.array([float((a + b) / 2) for a, b in cand])
        info = _analyse_point(model, x0, "exact", dps, lr)
        if info is None or not info.isolated:
            undecided += 1
            continue
        # the candidate box must lie inside the Krawczyk box (then its only possible critical
        # point is the certified one); the decimal centre is within 1e-45 relative of the ball's
        assert info.radius is not None
        rad_q = Fraction(info.radius)
        inside = True
        for (a, b), c_str in zip(cand, info.point_mp, strict=True):
            c = Fraction(c_str)
            margin = Fraction(1, 10**45) * max(Fraction(1), abs(c))
            if abs(a - c) + margin > rad_q or abs(b - c) + margin > rad_q:
                inside = False
        if not inside:
            undecided += 1
            continue
        if _in_box(info.point, box) and not _is_dup(info, infos):
            infos.append(info)
    if undecided:
        notes.append(f"{undecided} candidate box(es) neither excluded nor certified")
    return infos, undecided == 0
