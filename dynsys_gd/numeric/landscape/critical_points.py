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
import multiprocessing
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._results import ResultMixin, jsonable
from ..._streams import generator
from ..._types import LearningRate
from ..._validation import check_int, check_positive_float, check_real, check_seed, describe
from ...errors import InvalidParameterError
from ...models import LossModel
from ..kernels import numeric_model
from ._flattest import FlattestResult
from .manifold import pinv_newton
from .spectra import MARGINAL_RTOL, FixedPointClass, FixedPointSpectrum, fixed_point_spectrum

__all__ = [
    "CriticalKind",
    "CriticalPointInfo",
    "CriticalPointsResult",
    "LossFlattestMinimum",
    "critical_points",
    "det_dg_certificate",
    "loss_critical_lr",
    "loss_flattest_minimum",
    "loss_min_sharpness",
]

#: default half-width of the search box of :func:`loss_flattest_minimum` / ``critical_lr``
DEFAULT_BOX_HALF_WIDTH = 4.0
#: at most this many parameters for the exact (Groebner) route
EXACT_MAX_PARAMS = 6
#: at most this many candidate boxes (product of real-root counts) in the exact route
EXACT_MAX_CANDIDATES = 4096
#: memory cap of the child process doing the exact algebra (bytes)
EXACT_MEMORY_BYTES = 2 * 1024**3
#: the wall-clock backstop of the exact route is this many times its CPU budget (plus 30 s)
EXACT_WALL_FACTOR = 20


class CriticalKind(Enum):
    """Type of a critical point of L; values read as sentences."""

    MINIMUM = "a local minimum (H positive definite on the normal space)"
    SADDLE = "a saddle (H has eigenvalues of both signs)"
    MAXIMUM = "a local maximum (H negative definite)"
    DEGENERATE = "degenerate: H is singular and the type is not decided by the Hessian"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, repr=False)
class CriticalPointInfo(ResultMixin):
    r"""One critical point of L (a fixed point of :math:`G_\eta` for every η).

    Attributes
    ----------
    point : ndarray (P,)
        Float64 rounding of the refined point.
    point_mp : tuple of str
        The point refined at ``dps`` digits (decimal strings).
    loss : float
    gradient_norm : float
        :math:`\lVert\nabla L\rVert` at the refined point, evaluated at ``dps`` digits.
    kind : CriticalKind
    kind_certified : bool
        The type follows from certified Hessian enclosures (no enclosure contains 0).
    isolated : bool or None
        True: certified isolated and non-degenerate (Krawczyk).  False: lies on a critical set of
        dimension ``set_dim`` (numerical test).  None: not decided.
    set_dim : int
        Dimension of the critical set through the point (0 when isolated).
    certificate : str
        What was proved about the point, as a sentence.
    radius : float or None
        Half-width of the Krawczyk box (the true point lies within it in every coordinate).
    hessian_eigenvalues : ndarray (P,), ascending
    hessian_enclosures : tuple of (float, float) or None
        Certified intervals (rounded outward to float64) containing the Hessian eigenvalues.
    source : str
        "exact" (Groebner candidate) or "search" (Newton from a start).
    spectrum : FixedPointSpectrum or None
        :math:`DG_\eta` at the point for the result's learning rate (None without one).
    """

    point: NDArray[np.float64]
    point_mp: tuple[str, ...]
    loss: float
    gradient_norm: float
    kind: CriticalKind
    kind_certified: bool
    isolated: bool | None
    set_dim: int
    certificate: str
    radius: float | None
    hessian_eigenvalues: NDArray[np.float64]
    hessian_enclosures: tuple[tuple[float, float], ...] | None
    source: str
    spectrum: FixedPointSpectrum | None = None

    @property
    def sharpness(self) -> float:
        r""":math:`\lambda_{\max}(H)` at the point."""
        return float(self.hessian_eigenvalues.max())

    @property
    def classification(self) -> FixedPointClass | None:
        """Class of the fixed point at the result's learning rate (None without one)."""
        return None if self.spectrum is None else self.spectrum.classification

    @property
    def is_minimum(self) -> bool:
        return self.kind is CriticalKind.MINIMUM

    def __repr__(self) -> str:
        cls = "" if self.spectrum is None else f", {self.spectrum.classification.name}"
        pt = ", ".join(f"{x:.6g}" for x in self.point[:4]) + (" ..." if self.point.size > 4 else "")
        return f"CriticalPointInfo(({pt}), {self.kind.name}{cls})"

    def summary(self) -> str:
        pt = ", ".join(f"{x:.8g}" for x in self.point)
        ev = ", ".join(f"{x:.6g}" for x in self.hessian_eigenvalues)
        lines = [
            f"point ({pt}): {self.kind.value}" + (" (certified)" if self.kind_certified else ""),
            f"  loss {self.loss:.10g}, |grad L| = {self.gradient_norm:.1e}, "
            f"Hessian eigenvalues [{ev}]",
            f"  {self.certificate}",
        ]
        if self.spectrum is not None:
            lines.append(f"  at lr = {self.spectrum.lr:.6g}: {self.spectrum.classification.value}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "point": jsonable(self.point),
            "point_mp": list(self.point_mp),
            "loss": jsonable(self.loss),
            "gradient_norm": jsonable(self.gradient_norm),
            "kind": self.kind.name.lower(),
            "kind_text": self.kind.value,
            "kind_certified": self.kind_certified,
            "isolated": self.isolated,
            "set_dim": self.set_dim,
            "certificate": self.certificate,
            "radius": jsonable(self.radius),
            "sharpness": jsonable(self.sharpness),
            "hessian_eigenvalues": jsonable(self.hessian_eigenvalues),
            "hessian_enclosures": jsonable(self.hessian_enclosures),
            "source": self.source,
            "spectrum": None if self.spectrum is None else self.spectrum.to_dict(),
            "classification": (
                None if self.spectrum is None else self.spectrum.classification.name.lower()
            ),
        }


@dataclass(frozen=True, repr=False)
class CriticalPointsResult(ResultMixin):
    r"""Result of :func:`critical_points`.

    Attributes
    ----------
    model_name : str
    box : tuple of (float, float)
        The search box, one interval per parameter.
    lr : float or None
        Learning rate of the classes (None: types only; use :meth:`at`).
    points : tuple of CriticalPointInfo
        Ordered by kind (minima first) and then by loss.
    method : str
        How the points were found, as a sentence.
    exact : bool
        The exact route (Groebner basis, real-root isolation) produced the list.
    complete : bool
        Proved complete: every real critical point in the box is in the list (exact route, every
        candidate certified or excluded).  False for a search, which proves nothing about points
        it did not find.
    n_starts, seed : the search settings (n_starts 0 when the exact route was complete).
    dps : int
        Digits of the mpmath refinement.
    notes : tuple of str
        Anything the user should know (time limit reached, undecided candidates, ...).
    """

    model_name: str
    box: tuple[tuple[float, float], ...]
    lr: float | None
    points: tuple[CriticalPointInfo, ...]
    method: str
    exact: bool
    complete: bool
    n_starts: int
    seed: int
    dps: int
    notes: tuple[str, ...] = field(default=())
    #: the model (kept for :meth:`at`; not part of the comparison, the repr or ``to_dict``)
    model: Any = field(default=None, repr=False, compare=False)

    @property
    def minima(self) -> tuple[CriticalPointInfo, ...]:
        return tuple(p for p in self.points if p.kind is CriticalKind.MINIMUM)

    @property
    def saddles(self) -> tuple[CriticalPointInfo, ...]:
        return tuple(p for p in self.points if p.kind is not CriticalKind.MINIMUM)

    def __len__(self) -> int:
        return len(self.points)

    def __iter__(self) -> Any:
        return iter(self.points)

    def __getitem__(self, i: int) -> CriticalPointInfo:
        return self.points[i]

    def at(self, lr: Any) -> CriticalPointsResult:
        r"""The same points classified at another learning rate (no new search)."""
        lr = check_positive_float("lr", lr)
        model = self.model
        pts = tuple(replace(p, spectrum=_spectrum(model, p, lr)) for p in self.points)
        out = replace(self, lr=lr, points=pts)
        return out

    def __repr__(self) -> str:
        kinds = ", ".join(
            f"{sum(p.kind is k for p in self.points)} {k.name.lower()}"
            for k in CriticalKind
            if any(p.kind is k for p in self.points)
        )
        return (
            f"CriticalPointsResult({len(self.points)} points: {kinds or 'none'}; "
            f"{'complete' if self.complete else 'searched'})"
        )

    def summary(self) -> str:
        box = " x ".join(f"[{a:g}, {b:g}]" for a, b in self.box)
        head = [
            f"critical points of {self.model_name} in {box}",
            f"method: {self.method}",
            (
                "the list is complete in the box (proved)"
                if self.complete
                else "the list is what the search found; it is not proved complete"
            ),
            f"{len(self.points)} points"
            + ("" if self.lr is None else f", classified at lr = {self.lr:.6g}"),
        ]
        body = [p.summary() for p in self.points if p.isolated is not False]
        # points on non-isolated critical sets: one line per (kind, dimension, loss, class)
        groups: dict[tuple[Any, ...], list[CriticalPointInfo]] = {}
        for p in self.points:
            if p.isolated is False:
                key = (p.kind, p.set_dim, round(p.loss, 9), p.classification)
                groups.setdefault(key, []).append(p)
        for (kind, dim, loss, cls), pts in groups.items():
            sh = np.array([q.sharpness for q in pts])
            line = (
                f"{len(pts)} points on a {dim}-dimensional critical set: {kind.value}, loss "
                f"{loss:.10g}, sharpness {sh.min():.6g} .. {sh.max():.6g}"
            )
            if cls is not None:
                line += f"; at lr = {self.lr:.6g}: {cls.value}"
            body.append(line)
        return "\n".join(head + body + [f"note: {n}" for n in self.notes])

    def to_pandas(self) -> Any:
        """One row per critical point: its coordinates (named by the parameters), kind, class at
        the result's learning rate, loss, sharpness, isolation and gradient norm."""
        import pandas as pd

        P = len(self.box)
        names = (
            [str(p) for p in self.model.params]
            if self.model is not None
            else [f"theta_{i}" for i in range(P)]
        )
        rows = []
        for p in self.points:
            row: dict[str, Any] = dict(zip(names, (float(v) for v in p.point), strict=True))
            row.update(
                kind=p.kind.name.lower(),
                classification=(
                    None if p.classification is None else p.classification.name.lower()
                ),
                loss=p.loss,
                sharpness=p.sharpness,
                isolated=p.isolated,
                set_dim=p.set_dim,
                kind_certified=p.kind_certified,
                gradient_norm=p.gradient_norm,
                source=p.source,
            )
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model_name,
            "box": jsonable(self.box),
            "lr": jsonable(self.lr),
            "method": self.method,
            "exact": self.exact,
            "complete": self.complete,
            "n_starts": self.n_starts,
            "seed": self.seed,
            "dps": self.dps,
            "notes": list(self.notes),
            "points": [p.to_dict() for p in self.points],
        }


# -- validation ---------------------------------------------------------------------------------
def _check_model(model: Any) -> LossModel:
    if not isinstance(model, LossModel):
        raise InvalidParameterError(
            f"model must be a LossModel (a sympy loss); got {describe(model)}"
        )
    return model


def _check_box(box: Any, P: int) -> tuple[tuple[float, float], ...]:
    """Accept s (the box [-s, s]^P), (lo, hi) for every coordinate, or P pairs."""
    if isinstance(box, str | bytes):
        raise InvalidParameterError(
            f"box must be a number s > 0, a pair (lo, hi) or {P} pairs; got {describe(box)}"
        )
    if np.ndim(box) == 0:
        s = check_positive_float("box", box)
        return tuple((-s, s) for _ in range(P))
    arr = np.asarray(box, dtype=object)
    if arr.shape == (2,):
        pairs = [tuple(box)] * P
    elif arr.shape == (P, 2):
        pairs = [tuple(r) for r in box]
    else:
        raise InvalidParameterError(
            f"box must be a number s > 0, a pair (lo, hi) or {P} pairs (lo, hi); got "
            f"{describe(box)}"
        )
    out = []
    for i, (a, b) in enumerate(pairs):
        lo, hi = check_real(f"box[{i}][0]", a), check_real(f"box[{i}][1]", b)
        if not lo < hi:
            raise InvalidParameterError(
                f"box[{i}] must be an interval (lo, hi) with lo < hi; got ({lo!r}, {hi!r})"
            )
        out.append((lo, hi))
    return tuple(out)


# -- ball-arithmetic evaluation of sympy expressions -------------------------------------------
def _arb_evaluator(exprs: Sequence[Any], params: Sequence[Any]) -> Callable[[list[Any]], list[Any]]:
    """Compile sympy expressions into a function of flint.arb balls (rigorous enclosures).

    Raises NotImplementedError for functions without a ball implementation here.
    """
    import flint
    import sympy

    index = {p: i for i, p in enumerate(params)}
    funcs: dict[type, str] = {
        sympy.exp: "exp",
        sympy.log: "log",
        sympy.sin: "sin",
        sympy.cos: "cos",
        sympy.tan: "tan",
        sympy.sinh: "sinh",
        sympy.cosh: "cosh",
        sympy.tanh: "tanh",
        sympy.atan: "atan",
        sympy.asin: "asin",
        sympy.acos: "acos",
        sympy.asinh: "asinh",
        sympy.acosh: "acosh",
        sympy.atanh: "atanh",
        sympy.erf: "erf",
        sympy.sec: "sec",
        sympy.csc: "csc",
        sympy.cot: "cot",
        sympy.sech: "sech",
        sympy.csch: "csch",
        sympy.coth: "coth",
    }
    reps, reduced = sympy.cse(list(exprs))

    def build(e: Any, env: dict[Any, int]) -> Callable[[list[Any]], Any]:
        if e in index:
            k = index[e]
            return lambda v: v[k]
        if e in env:
            k2 = env[e]
            return lambda v: v[k2]
        if e.is_Integer or e.is_Rational:
            c = flint.arb(flint.fmpq(int(e.p), int(e.q)))
            return lambda v: c
        if e is sympy.pi:
            return lambda v: flint.arb.pi()
        if e is sympy.E:
            return lambda v: flint.arb(1).exp()
        if e.is_Float:
            fr = Fraction(float(e))
            c2 = flint.arb(flint.fmpq(fr.numerator, fr.denominator))
            return lambda v: c2
        if e.is_Add:
            parts = [build(a, env) for a in e.args]

            def add(v: list[Any]) -> Any:
                acc = parts[0](v)
                for f in parts[1:]:
                    acc = acc + f(v)
                return acc

            return add
        if e.is_Mul:
            parts = [build(a, env) for a in e.args]

            def mul(v: list[Any]) -> Any:
                acc = parts[0](v)
                for f in parts[1:]:
                    acc = acc * f(v)
                return acc

            return mul
        if e.is_Pow:
            base = build(e.base, env)
            ex = e.exp
            if ex.is_Integer:
                n = int(ex)
                if n >= 0:
                    return lambda v: _ipow(base(v), n)
                return lambda v: 1 / _ipow(base(v), -n)
            if ex == sympy.Rational(1, 2):
                return lambda v: base(v).sqrt()
            expo = build(ex, env)
            return lambda v: base(v) ** expo(v)
        if type(e) in funcs:
            name = funcs[type(e)]
            arg = build(e.args[0], env)
            return lambda v: getattr(arg(v), name)()
        raise NotImplementedError(f"no ball arithmetic for {type(e).__name__}")

    env: dict[Any, int] = {}
    steps: list[Callable[[list[Any]], Any]] = []
    P = len(params)
    for sym, sub in reps:
        steps.append(build(sub, env))
        env[sym] = P + len(steps) - 1
    outs = [build(e, env) for e in reduced]

    def run(vals: list[Any]) -> list[Any]:
        v = list(vals)
        for s in steps:
            v.append(s(v))
        return [f(v) for f in outs]

    return run


def _ipow(x: Any, n: int) -> Any:
    """x**n for a ball x by repeated squaring (flint's ``**`` gives nan on balls containing 0)."""
    import flint

    out = flint.arb(1)
    while n:
        if n & 1:
            out = out * x
        n >>= 1
        if n:
            x = x * x
    return out


class _BallModel:
    """Gradient and Hessian of a LossModel on flint.arb boxes."""

    def __init__(self, model: LossModel) -> None:
        import sympy

        self.P = model.n_params
        g = [sympy.diff(model.loss, p) for p in model.params]
        H = [sympy.diff(g[i], model.params[j]) for i in range(self.P) for j in range(i, self.P)]
        self.grad = _arb_evaluator(g, model.params)
        self.hess_upper = _arb_evaluator(H, model.params)

    def hessian(self, vals: list[Any]) -> Any:
        import flint

        up = self.hess_upper(vals)
        P = self.P
        M = flint.arb_mat(P, P)
        k = 0
        for i in range(P):
            for j in range(i, P):
                M[i, j] = up[k]
                M[j, i] = up[k]
                k += 1
        return M


def _ball_model(model: LossModel) -> _BallModel | None:
    key = "ball_model"
    if key not in model._cache:
        try:
            model._cache[key] = _BallModel(model)
        except NotImplementedError:
            model._cache[key] = None
    return model._cache[key]  # type: ignore[no-any-return]


def _mpf_to_arb(x: Any) -> Any:
    import flint
    import mpmath

    sign, man, exp, _ = mpmath.mpf(x)._mpf_  # value = (-1)^sign * man * 2^exp, exactly
    if not man:
        return flint.arb(0)
    v = flint.arb(flint.fmpz(int(man))) * flint.arb(2) ** int(exp)
    return -v if sign else v


def _krawczyk(
    bm: _BallModel, center: Sequence[Any], *, prec: int = 256
) -> tuple[bool, float | None, Any]:
    """Krawczyk test around ``center`` (mpf values).  Returns (certified, radius, box)."""
    import flint

    old = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        P = bm.P
        m = [_mpf_to_arb(c) for c in center]
        scale = max(1.0, max(abs(float(c)) for c in center))
        Hm = bm.hessian(m)
        F = np.array([[float(Hm[i, j].mid()) for j in range(P)] for i in range(P)])
        if not np.all(np.isfinite(F)):
            return False, None, None
        try:
            Yf = np.linalg.inv(F)
        except np.linalg.LinAlgError:
            return False, None, None
        if not np.all(np.isfinite(Yf)) or np.linalg.cond(F) > 1e12:
            return False, None, None
        Y = flint.arb_mat([[flint.arb(float(x)) for x in row] for row in Yf])
        g = bm.grad(m)
        gm = flint.arb_mat([[x] for x in g])
        YF = Y * gm
        eye = flint.arb_mat(P, P)
        for i in range(P):
            eye[i, i] = flint.arb(1)
        for r in (1e-30, 1e-24, 1e-18, 1e-12, 1e-9, 1e-6):
            rad = r * scale
            X = [flint.arb(mi.mid(), rad) for mi in m]
            HX = bm.hessian(X)
            D = flint.arb_mat([[X[i] - m[i]] for i in range(P)])
            K = eye - Y * HX
            KX = K * D
            ok = True
            Kb = []
            for i in range(P):
                ki = m[i] - YF[i, 0] + KX[i, 0]
                Kb.append(ki)
                if not (ki.is_finite() and X[i].contains_interior(ki)):
                    ok = False
                    break
            if ok:
                return True, rad, X
        return False, None, None
    finally:
        flint.ctx.prec = old


def _ball_hessian_enclosures(bm: _BallModel, X: Any) -> tuple[tuple[float, float], ...] | None:
    """Certified intervals for the Hessian eigenvalues over the box X (outward float rounding)."""
    import flint

    from .enclosures import certified_spectrum

    old = flint.ctx.prec
    flint.ctx.prec = 256
    try:
        H = bm.hessian(X)
    finally:
        flint.ctx.prec = old
    try:
        enc = certified_spectrum(H, prec=256)
    except Exception:
        return None
    out: list[tuple[float, float]] = []
    for c in enc.clusters:
        lo = math.nextafter(float(c.lo), -math.inf)
        hi = math.nextafter(float(c.hi), math.inf)
        out.extend([(lo, hi)] * c.count)
    return tuple(out)


# -- the exact route (child process) -------------------------------------------------------------
def _exact_child(
    conn: Any, loss_srepr: str, names: list[str], eps_exp: int, mem: int, cpu: float
) -> None:  # pragma: no cover - runs in a child process
    try:  # a CPU-time budget: the same work is allowed however loaded the machine is
        import resource
        import signal

        def _over_budget(signum: int, frame: Any) -> None:
            conn.send({"status": "cpu"})
            os._exit(0)

        # ITIMER_PROF counts this process's CPU time (user + system) to the microsecond;
        # RLIMIT_CPU (whole seconds) is the backstop should the timer signal be missed
        signal.signal(signal.SIGPROF, _over_budget)
        signal.signal(signal.SIGXCPU, _over_budget)
        signal.setitimer(signal.ITIMER_PROF, cpu)
        _soft, hard_cpu = resource.getrlimit(resource.RLIMIT_CPU)
        soft = math.ceil(cpu) + 1
        if hard_cpu != resource.RLIM_INFINITY:
            soft = min(soft, hard_cpu)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard_cpu))
    except Exception:  # no CPU limit where the platform has none; the wall backstop stays
        pass
    try:  # cap the address space at what the (forked) process already maps plus ``mem``
        import resource

        with open("/proc/self/statm") as fh:
            mapped = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = mapped + mem
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except Exception:  # no cap where the platform has none; the time limit stays
        pass
    try:
        import sympy

        syms = [sympy.Symbol(n) for n in names]
        loss = sympy.sympify(loss_srepr, locals=dict(zip(names, syms, strict=True)))
        grad = [sympy.expand(sympy.diff(loss, s)) for s in syms]
        grad = [g for g in grad if g != 0]
        if not grad:
            conn.send({"status": "constant"})
            return
        G = sympy.groebner(grad, *syms, order="grevlex")
        if G.exprs == [1]:
            conn.send({"status": "ok", "roots": [[] for _ in syms]})
            return
        if not G.is_zero_dimensional:
            conn.send({"status": "positive-dimensional"})
            return
        eps = sympy.Rational(1, 10**eps_exp)
        roots: list[list[tuple[str, str]]] = []
        for k in range(len(syms)):
            order = [s for i, s in enumerate(syms) if i != k] + [syms[k]]
            Gk = sympy.groebner(grad, *order, order="grevlex").fglm("lex")
            elim = sympy.Poly(Gk.exprs[-1], syms[k])
            ivs = sympy.Poly(elim.as_expr(), syms[k]).intervals(eps=eps)
            roots.append([(str(a), str(b)) for (a, b), _ in ivs])
        conn.send({"status": "ok", "roots": roots})
    except MemoryError:
        conn.send({"status": "memory"})
    except Exception as exc:
        conn.send({"status": "error", "error": f"{type(exc).__name__}: {exc}"})


def _exact_candidates(
    model: LossModel, timeout: float
) -> tuple[str, list[list[tuple[Fraction, Fraction]]]]:
    """Run the Groebner computation with a CPU-time budget of ``timeout`` seconds (the
    child's ``ITIMER_PROF``); returns (status, root intervals).

    The budget counts the child's own CPU time, so a loaded machine gives the same answer; a
    wall-clock backstop of ``EXACT_WALL_FACTOR`` times the budget (plus 30 s) only guards
    against a child that never gets the CPU.
    """
    import sympy

    names = [f"v{i}" for i in range(model.n_params)]
    loss = model.loss.xreplace(
        {p: sympy.Symbol(n) for p, n in zip(model.params, names, strict=True)}
    )
    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover - platforms without fork
        return "no fork on this platform", []
    parent, child = ctx.Pipe(duplex=False)
    cpu = float(timeout)
    wall = EXACT_WALL_FACTOR * cpu + 30.0
    proc = ctx.Process(
        target=_exact_child,
        args=(child, str(loss), names, 40, EXACT_MEMORY_BYTES, cpu),
        daemon=True,
    )
    proc.start()
    child.close()
    try:
        if not parent.poll(wall):
            return (
                f"wall-clock backstop of {wall:g} s reached before the CPU budget of {cpu:g} s "
                "was used",
                [],
            )
        msg = parent.recv()
    except EOFError:
        return "the exact computation ended without an answer", []
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        parent.close()
    status = msg.get("status")
    if status != "ok":
        return {
            "positive-dimensional": "the critical set is not finite (positive-dimensional ideal)",
            "constant": "the loss is constant",
            "memory": "memory cap reached",
            "cpu": f"CPU budget of {cpu:g} s reached (exact route timed out)",
        }.get(status, msg.get("error", str(status))), []
    out = [[(Fraction(a), Fraction(b)) for a, b in r] for r in msg["roots"]]
    return "ok", out


def _ball_from_interval(a: Fraction, b: Fraction) -> Any:
    import flint

    mid = (a + b) / 2
    rad = (b - a) / 2
    return flint.arb(flint.fmpq(mid.numerator, mid.denominator)) + flint.arb(
        0, float(rad) * (1 + 1e-12) + 1e-300 if rad else 0
    )


# -- searched route -----------------------------------------------------------------------------
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


def _search(
    model: LossModel,
    box: tuple[tuple[float, float], ...],
    n_starts: int,
    seed: int,
    max_rounds: int = 4,
) -> tuple[list[NDArray[np.float64]], int]:
    """Multi-start Newton plus deflation; returns candidate points (float64, in the box)."""
    m = numeric_model(model)
    P = model.n_params
    lo = np.array([a for a, _ in box])
    hi = np.array([b for _, b in box])
    width = float(np.max(hi - lo))
    rng = generator(seed, "critical_point_starts")
    starts = lo + (hi - lo) * rng.random((n_starts, P))
    tol = 1e-11
    pts, gn = _newton_batch(m, starts, tol=tol, max_iter=60, step_cap=0.5 * width)
    found: list[NDArray[np.float64]] = []
    isolated: list[NDArray[np.float64]] = []
    duplicates: list[int] = []

    def add(x: NDArray[np.float64]) -> bool:
        for f in found:
            if np.linalg.norm(x - f) <= 1e-7 * (1.0 + float(np.linalg.norm(f))):
                return False
        found.append(x)
        H = m.hessian(x[None])[0]
        lam = np.linalg.eigvalsh(0.5 * (H + H.T))
        if float(np.min(np.abs(lam))) > 1e-8 * max(1.0, float(np.max(np.abs(lam)))):
            isolated.append(x)
        return True

    for i in range(n_starts):
        if np.isfinite(gn[i]) and gn[i] <= tol and _in_box(pts[i], box, 1e-9 * width):
            if not add(pts[i]):
                duplicates.append(i)
    # deflation rounds from the starts that ran into known points
    n_defl = min(len(duplicates), max(8, n_starts // 4))
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


def _spectrum(model: Any, p: CriticalPointInfo, lr: float) -> FixedPointSpectrum:
    sp = fixed_point_spectrum(
        model, p.point, lr, on_manifold=p.kind is CriticalKind.MINIMUM, rtol=MARGINAL_RTOL
    )
    if p.kind is CriticalKind.DEGENERATE and sp.classification is not FixedPointClass.STRICT_SADDLE:
        sp = replace(sp, classification=FixedPointClass.NON_STRICT_SADDLE)
    if p.kind is CriticalKind.MINIMUM and p.isolated and sp.tangent_dim:
        sp = replace(sp, tangent_dim=0, normal_eigenvalues=sp.hessian_eigenvalues)
    return sp


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
        raise InvalidParameterError(f"method='exact' needs a polynomial loss; got {model.loss}")

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


# -- non-singularity of the GD map (C9) -----------------------------------------------------------
def det_dg_certificate(model: LossModel, lr: Any) -> tuple[bool, str]:
    r"""Certify :math:`\det DG_\eta \not\equiv 0` for a sympy loss (C9): one point where the
    determinant is provably non-zero.

    :math:`\det(I - \eta H(\theta))` is enclosed in ball arithmetic (python-flint, 256 bits) at a
    few fixed rational points θ with η taken at its exact binary value; a ball that excludes 0
    proves the determinant non-zero there, so it is not identically zero (and, L being analytic,
    its zero set is null and :math:`G_\eta` is non-singular).

    Returns
    -------
    (certified, sentence)
    """
    import flint

    model = _check_model(model)
    eta = Fraction(check_positive_float("lr", lr))
    bm = _ball_model(model)
    if bm is None:
        return False, "not certified: the loss has a function without a ball enclosure here"
    P = model.n_params
    old = flint.ctx.prec
    flint.ctx.prec = 256
    try:
        e = flint.arb(flint.fmpq(eta.numerator, eta.denominator))
        for k in range(4):
            q = [Fraction(((i + 1) * (k + 2)) % 7 + 1, 3 + k) for i in range(P)]
            X = [flint.arb(flint.fmpq(v.numerator, v.denominator)) for v in q]
            H = bm.hessian(X)
            D = flint.arb_mat(P, P)
            for i in range(P):
                for j in range(P):
                    D[i, j] = (1 if i == j else 0) - e * H[i, j]
            d = D.det()
            if d.is_finite() and not d.contains(0):
                pt = ", ".join(str(v) for v in q)
                return True, (
                    f"det DG_eta is not identically zero: at theta = ({pt}) it lies in "
                    f"[{float(d.lower()):.6g}, {float(d.upper()):.6g}] (ball arithmetic)"
                )
    finally:
        flint.ctx.prec = old
    return False, "not certified: det DG_eta was not shown non-zero at the points tried"


# -- flattest minimum for any loss --------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class LossFlattestMinimum(FlattestResult):
    r"""The flattest local minimum of a sympy loss found in a box (C5 for any model).

    Same attribute names as :class:`~dynsys_gd.numeric.landscape.sharpness.FlattestMinimum`.

    Attributes
    ----------
    point : ndarray (P,)
    sharpness : float
        :math:`S_{\min}`: the smallest :math:`\lambda_{\max}(H)` over the minima found (minimised
        over each non-isolated minima set found).
    method : str
        What is exact and what is searched, as a sentence.
    bracket : tuple of float
        ``bounds`` as floats when ``exact``; else a certified enclosure of
        :math:`\lambda_{\max}(H)` at the flattest point when it is an isolated, certified
        minimum; ``(sharpness, sharpness)`` otherwise (no enclosure).
    relative_gap : float
        Relative width of ``bracket``.
    exact : bool
        S_min is the minimum over a proved-complete list of isolated minima in the box.
    box : tuple of (float, float)
    critical_points : CriticalPointsResult
    bounds : tuple of Fraction or None
        When ``exact``: a rigorous enclosure of :math:`S_{\min}` over the minima in the box (the
        smallest lower and upper ends of the certified top-eigenvalue enclosures); else None.
    """

    point: NDArray[np.float64]
    sharpness: float
    method: str
    bracket: tuple[float, float]
    relative_gap: float
    exact: bool
    box: tuple[tuple[float, float], ...]
    critical_points: CriticalPointsResult
    bounds: tuple[Fraction, Fraction] | None = None

    def __repr__(self) -> str:
        return (
            f"LossFlattestMinimum(sharpness={self.sharpness:.10g}, "
            f"eta*={self.critical_lr:.10g}, exact={self.exact})"
        )

    def summary(self) -> str:
        return "\n".join(
            [
                *self._summary_head(),
                f"enclosure of lambda_max  : [{self.bracket[0]:.12g}, {self.bracket[1]:.12g}]",
                f"point                    : ({', '.join(f'{x:.8g}' for x in self.point)})",
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            **self._dict_head(),
            "exact": self.exact,
            "bounds": jsonable(self.bounds),
            "box": jsonable(self.box),
        }


def _lam_max(m: Any, x: NDArray[np.float64]) -> float:
    H = m.hessian(x[None])[0]
    return float(np.linalg.eigvalsh(0.5 * (H + H.T))[-1])


def _descend_on_set(
    m: Any, x: NDArray[np.float64], k: int, *, iters: int = 200
) -> tuple[NDArray[np.float64], float]:
    r"""Minimise :math:`\lambda_{\max}(H)` over a k-dimensional critical set through x:
    a step along the tangent space (null space of H), then Newton back onto the set."""
    f = _lam_max(m, x)
    loss0 = float(m.loss(x[None])[0])
    step = 0.1 * max(1.0, float(np.linalg.norm(x)))
    for _ in range(iters):
        H = m.hessian(x[None])[0]
        lam, V = np.linalg.eigh(0.5 * (H + H.T))
        T = V[:, np.argsort(np.abs(lam))[:k]]
        h = 1e-6 * max(1.0, float(np.linalg.norm(x)))
        grad_t = np.array(
            [
                (_lam_max(m, x + h * T[:, j]) - _lam_max(m, x - h * T[:, j])) / (2 * h)
                for j in range(k)
            ]
        )
        gn = float(np.linalg.norm(grad_t))
        if gn <= 1e-12 * max(1.0, abs(f)):
            break
        d = -(T @ grad_t) / gn
        improved = False
        while step > 1e-13:
            trial = x + step * d
            y, g = _newton_batch(m, trial[None], tol=1e-12, max_iter=40, step_cap=step)
            # stay on the same critical set: same loss value, landed near the trial point
            same = (
                abs(float(m.loss(y)[0]) - loss0) <= 1e-9 * max(1.0, abs(loss0))
                and float(np.linalg.norm(y[0] - trial)) <= step
            )
            if np.isfinite(g[0]) and g[0] <= 1e-10 and same:
                fy = _lam_max(m, y[0])
                if fy < f:
                    x, f = y[0], fy
                    improved = True
                    step *= 1.5
                    break
            step *= 0.5
        if not improved:
            break
    return x, f


def loss_flattest_minimum(
    model: LossModel, box: Any = None, *, which: str = "local", **kwargs: Any
) -> LossFlattestMinimum:
    r"""The flattest minimum of a sympy loss in a box and :math:`S_{\min}` (C5 for any model).

    Parameters
    ----------
    model : LossModel
    box : float, (lo, hi) or P pairs, optional
        Search box (default :math:`[-4, 4]^P`, :data:`DEFAULT_BOX_HALF_WIDTH`).
    which : {"local", "global"}
        Minimise over every local minimum found (default: each stable one attracts GD from a set
        of positive measure) or only over those with the lowest loss found (the global minima of
        the paper's C5).
    **kwargs
        Passed to :func:`critical_points` (``method``, ``n_starts``, ``seed``, ``dps``, ...).

    Returns
    -------
    LossFlattestMinimum
        ``exact`` is True when the minimum is over a proved-complete list of isolated minima in
        the box; otherwise the minima are what a seeded multi-start search found.

    Raises
    ------
    InvalidParameterError
        If no minimum is found in the box.
    """
    model = _check_model(model)
    if which not in ("local", "global"):
        raise InvalidParameterError(f"which must be 'local' or 'global'; got {which!r}")
    bx = _check_box(DEFAULT_BOX_HALF_WIDTH if box is None else box, model.n_params)
    key = repr(("loss_flattest", bx, which, tuple(sorted(kwargs.items()))))
    if key in model._cache:
        return model._cache[key]  # type: ignore[no-any-return]
    res = critical_points(model, bx, **kwargs)
    minima = list(res.minima)
    if not minima:
        raise InvalidParameterError(
            f"model has no local minimum in the box {bx} ({res.method}); got "
            f"{len(res.points)} other critical points"
        )
    if which == "global":
        lmin = min(p.loss for p in minima)
        minima = [p for p in minima if p.loss <= lmin + 1e-9 * max(1.0, abs(lmin))]
    m = numeric_model(model)
    best: tuple[float, NDArray[np.float64], CriticalPointInfo] | None = None
    searched_set = False
    for p in minima:
        if p.isolated is False and p.set_dim > 0:
            x, f = _descend_on_set(m, p.point, p.set_dim)
            searched_set = True
        else:
            x, f = p.point, p.sharpness
        if best is None or f < best[0]:
            best = (f, x, p)
    assert best is not None
    S, x, p = best
    exact = bool(res.complete and all(q.isolated for q in minima))
    bounds: tuple[Fraction, Fraction] | None = None
    if exact and all(q.hessian_enclosures is not None for q in minima):
        # lambda_max of each certified minimum lies in its top enclosure, so the smallest one
        # lies between the smallest lower and the smallest upper end
        tops = [q.hessian_enclosures[-1] for q in minima]  # type: ignore[index]
        bounds = (Fraction(min(a for a, _ in tops)), Fraction(min(b for _, b in tops)))
        bracket = (float(bounds[0]), float(bounds[1]))
    elif p.isolated and p.hessian_enclosures is not None and not searched_set:
        bracket = p.hessian_enclosures[-1]
    else:
        bracket = (S, S)
    if exact:
        method = (
            f"exact: smallest lambda_max(H) over the {len(minima)} isolated local minima of "
            "a proved-complete list of critical points in the box (Groebner basis, "
            "certified in ball arithmetic)"
        )
    else:
        how = (
            "the exact route (not proved complete)"
            if res.exact
            else f"a multi-start Newton search ({res.n_starts} starts, seed {res.seed})"
        )
        method = (
            f"searched: smallest lambda_max(H) over the {len(minima)} local minima found "
            f"by {how} in the box"
        )
        if searched_set:
            method += (
                "; on the non-isolated minima set found, lambda_max was minimised over "
                "the set by projected descent"
            )
        method += " (a flatter minimum elsewhere is not excluded)"
    gap = (bracket[1] - bracket[0]) / S if S else math.inf
    out = LossFlattestMinimum(
        point=np.asarray(x, dtype=np.float64),
        sharpness=float(S),
        method=method,
        bracket=(float(bracket[0]), float(bracket[1])),
        relative_gap=float(gap),
        exact=exact,
        box=bx,
        critical_points=res,
        bounds=bounds,
    )
    model._cache[key] = out
    return out


def loss_min_sharpness(model: LossModel, box: Any = None, **kwargs: Any) -> float:
    r""":math:`S_{\min}` of a sympy loss (see :func:`loss_flattest_minimum`)."""
    return loss_flattest_minimum(model, box, **kwargs).sharpness


def loss_critical_lr(model: LossModel, box: Any = None, **kwargs: Any) -> float:
    r""":math:`\eta^* = 2/S_{\min}` of a sympy loss (see :func:`loss_flattest_minimum`)."""
    return 2.0 / loss_min_sharpness(model, box, **kwargs)
