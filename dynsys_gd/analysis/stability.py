r"""``stability_analysis``: where a learning rate stands relative to the critical one (C2–C6).

For a linear network and a learning rate :math:`\eta` the report gives

* :math:`\eta^* = 2/S_{\min}` (C5) and the verdict below / at / above it;
* the flattest minimum and the spectrum of :math:`DG_\eta` there (C3);
* a sample of minima along M (balanced point moved by the parametrisation symmetry, C2) with
  their sharpness and linear stability: the fraction with :math:`\lambda_{\max}(H) < 2/\eta`;
* the saddles and their type (strict / non-strict, C6);
* the C6 prediction: for :math:`\eta > \eta^*` the convergent set is Lebesgue-null, for
  :math:`\eta < \eta^*` it has positive measure;
* a Monte-Carlo estimate of the convergent fraction with its Clopper–Pearson interval
  (:func:`dynsys_gd.analysis.convergence.estimate_convergent_fraction`; ``n_samples=0`` skips it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._results import ResultMixin, jsonable
from .._validation import check_int, check_positive_float, check_real, check_seed
from ..errors import InvalidParameterError
from ..models import LinearNetwork
from ..numeric.fixed_points import random_minima, saddle_points
from ..numeric.sharpness import FlattestMinimum, flattest_minimum, sharpness
from ..numeric.spectra import FixedPointClass, FixedPointSpectrum, fixed_point_spectrum
from .convergence import MAX_SAMPLES

__all__ = ["LRVerdict", "SaddleInfo", "StabilityReport", "stability_analysis"]

#: relative tolerance for "at the critical learning rate"
AT_CRITICAL_RTOL = 1e-12


class LRVerdict(Enum):
    """Where the learning rate stands relative to :math:`\\eta^*`; values read as sentences."""

    BELOW = "below the critical learning rate: the flattest minima are linearly stable"
    AT = "at the critical learning rate: the flattest minima are marginally stable"
    ABOVE = "above the critical learning rate: every global minimum is linearly unstable"

    def __str__(self) -> str:
        return self.value


_PREDICTION = {
    LRVerdict.BELOW: (
        "C6: lr < eta*, so the stable minima form a non-empty open subset of M and "
        "GD converges from a set of initialisations of positive measure."
    ),
    LRVerdict.AT: (
        "C6: lr = eta* (flip bifurcation at the flattest minima, C8): linearisation "
        "does not decide; convergence, if any, is sub-geometric."
    ),
    LRVerdict.ABOVE: (
        "C6: lr > eta*, so every minimum is linearly unstable and the set of "
        "initialisations from which GD converges has Lebesgue measure zero."
    ),
}


@dataclass(frozen=True)
class SaddleInfo:
    """A saddle of the network, its type at this lr and its Hessian extremes."""

    label: str
    classification: FixedPointClass
    min_eigenvalue: float
    max_eigenvalue: float
    gradient_norm: float
    point: NDArray[np.float64]

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "classification": self.classification.name.lower(),
            "classification_text": self.classification.value,
            "min_eigenvalue": jsonable(self.min_eigenvalue),
            "max_eigenvalue": jsonable(self.max_eigenvalue),
            "gradient_norm": jsonable(self.gradient_norm),
            "point": jsonable(self.point),
        }


@dataclass(frozen=True, repr=False)
class StabilityReport(ResultMixin):
    r"""Result of :func:`stability_analysis`.

    Attributes
    ----------
    widths, depth, target : the network (``target`` is None for matrix networks)
    lr : float
    critical_lr : float
        :math:`\eta^* = 2/S_{\min}` (C5); ``eta_star`` is a deprecated alias.
    ratio : float
        :math:`\eta/\eta^*`.
    verdict : LRVerdict
    flattest : FlattestMinimum
    flattest_spectrum : FixedPointSpectrum
        :math:`DG_\eta` at the flattest minimum (C3).
    minima_sharpness : ndarray (n_minima,)
        :math:`\lambda_{\max}(H)` at the sampled points of M (all :math:`\ge S_{\min}`, C5).
    minima_stable : ndarray of bool (n_minima,)
        :math:`\lambda_{\max}(H) < 2/\eta` at each sampled minimum.
    stable_fraction : float
        Fraction of the sampled minima that are linearly stable at lr.
    saddles : tuple of SaddleInfo
    prediction : str
        The C6 prediction as a sentence.
    convergence : ConvergenceEstimate or None
        Monte-Carlo estimate (None when ``n_samples=0``).
    n_samples, seed : the Monte-Carlo settings.
    """

    widths: tuple[int, ...]
    depth: int
    target: float | None
    lr: float
    critical_lr: float
    ratio: float
    verdict: LRVerdict
    flattest: FlattestMinimum
    flattest_spectrum: FixedPointSpectrum
    minima_sharpness: NDArray[np.float64]
    minima_stable: NDArray[np.bool_]
    stable_fraction: float
    saddles: tuple[SaddleInfo, ...]
    prediction: str
    convergence: Any
    n_samples: int
    seed: int

    @property
    def eta_star(self) -> float:
        """Deprecated alias of :attr:`critical_lr` (kept for one release)."""
        import warnings

        warnings.warn("eta_star is deprecated; use critical_lr", DeprecationWarning, stacklevel=2)
        return self.critical_lr

    @property
    def min_sharpness(self) -> float:
        return self.flattest.sharpness

    def __repr__(self) -> str:
        return (
            f"StabilityReport(widths={self.widths}, lr={self.lr:.6g}, "
            f"eta*={self.critical_lr:.6g}, {self.verdict.name})"
        )

    def summary(self) -> str:
        net = (
            f"scalar, depth {self.depth}, target {self.target:g}"
            if self.target is not None
            else f"widths {self.widths}"
        )
        rows = [
            ("network", net),
            ("learning rate", f"{self.lr:.6g}"),
            (
                "critical lr eta*",
                f"{self.critical_lr:.6g} = 2 / S_min, S_min = "
                f"{self.flattest.sharpness:.6g} ({self.flattest.method})",
            ),
            ("lr / eta*", f"{self.ratio:.6g}"),
            ("verdict", self.verdict.value),
            ("flattest minimum", self.flattest_spectrum.classification.value),
            (
                "sampled minima",
                f"{self.minima_sharpness.size} points of M, "
                f"{self.stable_fraction:.0%} stable at this lr, sharpness "
                f"{_range(self.minima_sharpness)}",
            ),
        ]
        for s in self.saddles:
            rows.append(("saddle", f"{s.label}: {s.classification.value}"))
        rows.append(("prediction", self.prediction))
        c = self.convergence
        if c is None:
            rows.append(("Monte-Carlo", "skipped (n_samples = 0)"))
        else:
            rows.append(
                (
                    "Monte-Carlo",
                    f"converged fraction {c.fraction:.4f}, "
                    f"{c.confidence:.0%} CI [{c.ci_low:.4f}, {c.ci_high:.4f}]"
                    f" (Clopper-Pearson), n = {c.n_samples}, "
                    f"seed = {self.seed}",
                )
            )
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k.ljust(width)} : {v}" for k, v in rows)

    def to_dict(self) -> dict[str, Any]:
        c = self.convergence
        conv: Any = None
        if c is not None:
            conv = (
                c.to_dict()
                if hasattr(c, "to_dict")
                else {
                    "fraction": jsonable(c.fraction),
                    "ci_low": jsonable(c.ci_low),
                    "ci_high": jsonable(c.ci_high),
                    "counts": jsonable(dict(c.counts)),
                    "n_samples": int(c.n_samples),
                }
            )
        return {
            "widths": list(self.widths),
            "depth": self.depth,
            "target": jsonable(self.target),
            "lr": jsonable(self.lr),
            "critical_lr": jsonable(self.critical_lr),
            "min_sharpness": jsonable(self.flattest.sharpness),
            "ratio": jsonable(self.ratio),
            "verdict": self.verdict.name.lower(),
            "verdict_text": self.verdict.value,
            "flattest": self.flattest.to_dict(),
            "flattest_spectrum": self.flattest_spectrum.to_dict(),
            "minima_sharpness": jsonable(self.minima_sharpness),
            "minima_stable": jsonable(self.minima_stable),
            "stable_fraction": jsonable(self.stable_fraction),
            "saddles": [s.to_dict() for s in self.saddles],
            "prediction": self.prediction,
            "convergence": conv,
            "n_samples": self.n_samples,
            "seed": self.seed,
        }


def _range(x: NDArray[np.float64]) -> str:
    if x.size == 0:
        return "-"
    return f"{float(x.min()):.4g} .. {float(x.max()):.4g}"


def _verdict(lr: float, eta_star: float) -> LRVerdict:
    if math.isclose(lr, eta_star, rel_tol=AT_CRITICAL_RTOL, abs_tol=0.0):
        return LRVerdict.AT
    return LRVerdict.BELOW if lr < eta_star else LRVerdict.ABOVE


def stability_analysis(
    depth: int | None,
    lr: Any,
    *,
    target: Any = 1.0,
    network: LinearNetwork | None = None,
    n_minima: int = 32,
    seed: int | None = 0,
    n_samples: int = 500,
    spread: float = 0.25,
    log_scale: float = 0.5,
    **convergence_kwargs: Any,
) -> StabilityReport:
    r"""Stability analysis of GD on a linear network at learning rate ``lr`` (C2–C6).

    Parameters
    ----------
    depth : int or None
        Depth N ≥ 1 of the scalar network :math:`\tfrac12(w_1\cdots w_N - y)^2`; None (or equal
        to ``network.depth``) when ``network`` is given.
    lr : float
        Learning rate :math:`\eta > 0`.
    target : float
        Target :math:`y \ne 0` of the scalar network (ignored when ``network`` is given).  With
        :math:`y = 0` the minima set is not a manifold and the analysis refuses it.
    network : LinearNetwork, optional
        Any linear network; overrides ``depth``/``target``.
    n_minima : int
        Number of sampled points of M (through the symmetry of the parametrisation, C2).
    seed : int or None
        Seed of the sampled minima and of the Monte-Carlo estimate (None: a fresh seed is drawn
        and recorded in the report).
    n_samples : int
        Monte-Carlo initialisations for the convergent fraction (default 500, uniform box
        [-2, 2]^P unless ``init``/``init_scale`` say otherwise); 0 skips the estimate.
    spread, log_scale : float
        Spread of the random symmetry and rescaling range used to sample M.
    **convergence_kwargs
        Passed to :func:`~dynsys_gd.analysis.convergence.estimate_convergent_fraction`
        (e.g. ``init``, ``init_scale``, ``executor``).

    Returns
    -------
    StabilityReport
    """
    lr = check_positive_float("lr", lr)
    n_minima = check_int("n_minima", n_minima, minimum=1, maximum=100_000)
    n_samples = check_int("n_samples", n_samples, minimum=0, maximum=MAX_SAMPLES)
    seed = check_seed("seed", seed)
    if seed is None:  # draw one and record it, so the report can be reproduced
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    if network is not None:
        if not isinstance(network, LinearNetwork):
            raise InvalidParameterError(
                f"network must be a LinearNetwork or None; got {type(network).__name__}"
            )
        if depth is not None:
            depth = check_int("depth", depth, minimum=1)
            if depth != network.depth:
                raise InvalidParameterError(
                    f"depth must be None or equal to network.depth = {network.depth}; got {depth}"
                )
        net = network
    else:
        depth = check_int("depth", depth, minimum=1)
        y = check_real("target", target)
        if y == 0.0:
            raise InvalidParameterError(
                "target must be non-zero: with target 0 the minima set {w_1...w_N = 0} is a "
                "union of coordinate hyperplanes, not a manifold; got target 0"
            )
        net = LinearNetwork.scalar(depth, target)
    net.require_manifold()

    flat = flattest_minimum(net)
    eta_star = 2.0 / flat.sharpness
    verdict = _verdict(lr, eta_star)
    flat_spec = fixed_point_spectrum(net, flat.point, lr, on_manifold=True)
    if verdict is LRVerdict.AT:
        flat_spec = _with_class(flat_spec, FixedPointClass.MARGINAL)

    pts = random_minima(net, n_minima, seed=seed, spread=spread, log_scale=log_scale)
    sharp = np.atleast_1d(sharpness(net, pts)).astype(np.float64)
    stable = sharp < 2.0 / lr
    saddles = []
    for c in saddle_points(net):
        sp = fixed_point_spectrum(net, c.point, lr, on_manifold=False)
        saddles.append(
            SaddleInfo(
                c.label,
                sp.classification,
                float(sp.hessian_eigenvalues.min()),
                float(sp.hessian_eigenvalues.max()),
                c.gradient_norm,
                c.point,
            )
        )

    conv = None
    if n_samples > 0:
        from .convergence import estimate_convergent_fraction

        conv = estimate_convergent_fraction(
            net, lr, n_samples=n_samples, seed=seed, **convergence_kwargs
        )
    return StabilityReport(
        widths=tuple(net.widths),
        depth=net.depth,
        target=float(net.target) if net.is_scalar else None,
        lr=lr,
        critical_lr=eta_star,
        ratio=lr / eta_star,
        verdict=verdict,
        flattest=flat,
        flattest_spectrum=flat_spec,
        minima_sharpness=sharp,
        minima_stable=stable,
        stable_fraction=float(np.mean(stable)),
        saddles=tuple(saddles),
        prediction=_PREDICTION[verdict],
        convergence=conv,
        n_samples=n_samples,
        seed=seed,
    )


def _with_class(spec: FixedPointSpectrum, cls: FixedPointClass) -> FixedPointSpectrum:
    import dataclasses

    return dataclasses.replace(spec, classification=cls)
