r"""Result types of :func:`~dynsys_gd.numeric.landscape.critical_points.critical_points`
(docs/math/general-losses.md): the kind of a critical point, one point, the list."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._results import ResultMixin, jsonable
from ..._validation import check_positive_float, check_real, describe
from ...errors import InvalidParameterError
from ...models import LossModel
from .spectra import MARGINAL_RTOL, FixedPointClass, FixedPointSpectrum, fixed_point_spectrum


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
            if getattr(self.model, "params", None) is not None  # a model of the protocol: none
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


def _spectrum(model: Any, p: CriticalPointInfo, lr: float) -> FixedPointSpectrum:
    sp = fixed_point_spectrum(
        model, p.point, lr, on_manifold=p.kind is CriticalKind.MINIMUM, rtol=MARGINAL_RTOL
    )
    if p.kind is CriticalKind.DEGENERATE and sp.classification is not FixedPointClass.STRICT_SADDLE:
        sp = replace(sp, classification=FixedPointClass.NON_STRICT_SADDLE)
    if p.kind is CriticalKind.MINIMUM and p.isolated and sp.tangent_dim:
        sp = replace(sp, tangent_dim=0, normal_eigenvalues=sp.hessian_eigenvalues)
    return sp


def _check_model(model: Any) -> LossModel:
    if not isinstance(model, LossModel):
        raise InvalidParameterError(
            "model must be a LossModel (a sympy loss: points are refined in mpmath and "
            "certified in ball arithmetic from its symbolic form, which a model given only "
            f"through the model protocol does not have); got {describe(model)}"
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
