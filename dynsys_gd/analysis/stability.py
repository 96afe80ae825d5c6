r"""``stability_analysis``: where a learning rate stands relative to the critical one (C2–C6, C9).

One signature for every model: ``stability_analysis(model_or_depth, lr, ...)`` with a depth (the
scalar network :math:`\tfrac12(w_1\cdots w_N - y)^2`, ``target=``), a
:class:`~dynsys_gd.models.LinearNetwork`, a :class:`~dynsys_gd.models.LossModel` or any other
model of the protocol :class:`~dynsys_gd.models.protocol.Model` (a user's class, a
:class:`~dynsys_gd.models.JaxModel`, an MLP).  A linear network whose :math:`W^*` is
rank-deficient has a minima set that is a singular variety, not a manifold: the report names it
and its singular points (docs/math/claims.md#c2), with :math:`S_{\min}` over it certified at
depth 2 and numerical otherwise.  A model given only through the protocol
has no symbolic form: its critical points and :math:`S_{\min}` are found in float64
(:mod:`~dynsys_gd.numeric.landscape.protocol_critical`) and every statement that rests on them
says "numerical, not certified".  The report gives

* :math:`\eta^* = 2/S_{\min}` (C5) and the verdict below / at / above it (one tolerance,
  :data:`~dynsys_gd.numeric.landscape.spectra.MARGINAL_RTOL`, for "at" and for a marginal minimum);
* the flattest minimum and the spectrum of :math:`DG_\eta` there (C3);
* minima with their sharpness and linear stability, and the distribution they come from: for
  linear networks points of M around the flattest minimum (:func:`~dynsys_gd.numeric.
  fixed_points.sample_minima`), for a loss model the local minima found in the box
  (:func:`~dynsys_gd.numeric.landscape.critical_points.critical_points`);
* the saddles and their type (strict / non-strict, C6);
* depth 1: the singular step sizes :math:`1/\lambda_i(\Sigma_{xx})` (C1);
* the C6 (C9 for a loss model) prediction;
* a Monte-Carlo estimate of the convergent fraction with its Clopper–Pearson interval and the
  initialisation distribution (:func:`dynsys_gd.analysis.convergence.estimate_convergent_fraction`;
  ``n_samples=0`` skips it).
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._results import ResultMixin, jsonable, plotted_by
from .._types import LearningRate, Model
from .._validation import (
    check_int,
    check_positive_float,
    check_seed,
    describe,
)
from ..errors import InvalidParameterError
from ..models import LinearNetwork
from ..numeric.landscape.certainty import SminCertainty, smin_certainty
from ..numeric.landscape.fixed_points import saddle_points, sample_minima
from ..numeric.landscape.sharpness import flattest_minimum, sharpness
from ..numeric.landscape.spectra import (
    FixedPointSpectrum,
    fixed_point_spectrum,
)
from ._stability_model import _UNSET, _resolve_model
from ._stability_parts import (
    _ABOVE,
    _PREDICTION,
    _VERDICT_CLASS,
    SaddleInfo,
    _hedged,
    _limits,
    _with_class,
)
from ._verdict import AT_CRITICAL_RTOL, LRVerdict, _verdict
from .convergence import MAX_SAMPLES, describe_init

__all__ = [
    "DEFAULT_N_SAMPLES",
    "LRVerdict",
    "SaddleInfo",
    "StabilityReport",
    "stability_analysis",
]

#: default Monte-Carlo sample count (the command line ``analyze --samples`` uses the same)
DEFAULT_N_SAMPLES = 1000


@dataclass(frozen=True, repr=False)
class StabilityReport(ResultMixin):
    r"""Result of :func:`stability_analysis`.

    Attributes
    ----------
    widths, depth, target : the network (``target`` is None for matrix networks; ``widths`` is
        ``()`` and ``depth`` 0 for a loss model)
    lr : float
    critical_lr : float
        :math:`\eta^* = 2/S_{\min}` (C5); ``eta_star`` is a deprecated alias.
    ratio : float
        :math:`\eta/\eta^*`.
    verdict : LRVerdict
        Decided with the one tolerance :data:`AT_CRITICAL_RTOL` (= ``MARGINAL_RTOL``); the class
        of the flattest minimum agrees with it (AT ⇔ MARGINAL).
    flattest : FlattestMinimum or LossFlattestMinimum
    flattest_spectrum : FixedPointSpectrum
        :math:`DG_\eta` at the flattest minimum (C3).
    minima_sharpness : ndarray (n_minima,)
        :math:`\lambda_{\max}(H)` at the minima of ``minima_distribution``.
    minima_stable : ndarray of bool (n_minima,)
        :math:`\lambda_{\max}(H) < 2/\eta` at each of them.
    stable_fraction : float
        Fraction of them that are linearly stable at lr (a fraction over
        ``minima_distribution``, not a measure of the convergent set).
    saddles : tuple of SaddleInfo
    prediction : str
        The C6 (C9) prediction as a sentence.
    convergence : ConvergenceEstimate or None
        Monte-Carlo estimate (None when ``n_samples=0``).
    n_samples, seed : the Monte-Carlo settings.
    model : str
        The model in words.
    init : str
        The initialisation distribution of the Monte-Carlo estimate.
    minima_distribution : str
        Where the minima of ``minima_sharpness`` come from.
    singular_lrs : tuple of float
        Depth 1: the step sizes :math:`1/\lambda_i(\Sigma_{xx})` at which :math:`G_\eta` is
        singular everywhere (C1); empty otherwise.
    critical_points : CriticalPointsResult or None
        For a loss model: every critical point found, classified at lr.
    certainty : SminCertainty
        Whether :math:`S_{\min}` is certified, a closed form or numerical, and the status of the
        verdict's statement in ``dynsys-gd prove``'s words (passed, failed, not certified).
    limit_labels : LimitLabels or None
        What the converged runs reached (global minima, non-global local minima, saddles);
        computed for loss models and above :math:`\eta^*` when runs converged, else None.
    contradiction : str
        When runs converged although the prediction is a null set: the line that says so and
        names what attracted them; else "".
    optimizer : Optimizer or None
        The optimiser of the report (None: GD).  For another optimiser ``critical_lr`` is its
        :math:`a^*/\min_M\mu_{\max}(QH)`, ``flattest`` and the minima are those of the
        reparametrised loss :math:`\phi \mapsto L(Q^{1/2}\phi)` (the loss itself when
        :math:`Q = I`), the classifications are the optimiser's, and ``limit_labels`` is None.
    optimizer_spectrum : OptimizerSpectrum or None
        The multipliers of the optimiser's state Jacobian at the flattest minimum.
    variety : MinimaVariety or None
        Linear networks whose minima set is a singular variety (a rank-deficient
        :math:`W^*`): its dimension and singular points
        (:func:`~dynsys_gd.numeric.landscape.variety.minima_variety`); None for a manifold.
    """

    widths: tuple[int, ...]
    depth: int
    target: float | None
    lr: float
    critical_lr: float
    ratio: float
    verdict: LRVerdict
    flattest: Any
    flattest_spectrum: FixedPointSpectrum
    minima_sharpness: NDArray[np.float64]
    minima_stable: NDArray[np.bool_]
    stable_fraction: float
    saddles: tuple[SaddleInfo, ...]
    prediction: str
    convergence: Any
    n_samples: int
    seed: int
    model: str = ""
    init: str = ""
    minima_distribution: str = ""
    singular_lrs: tuple[float, ...] = field(default=())
    critical_points: Any = None
    certainty: SminCertainty | None = None
    limit_labels: Any = None
    contradiction: str = ""
    optimizer: Any = None
    optimizer_spectrum: Any = None
    variety: Any = None

    @property
    def eta_star(self) -> float:
        """Deprecated alias of :attr:`critical_lr` (kept for one release)."""
        warnings.warn("eta_star is deprecated; use critical_lr", DeprecationWarning, stacklevel=2)
        return self.critical_lr

    @property
    def min_sharpness(self) -> float:
        return float(self.flattest.sharpness)

    def __repr__(self) -> str:
        what = f"widths={self.widths}" if self.widths else f"model={self.model!r}"
        return (
            f"StabilityReport({what}, lr={self.lr:.6g}, "
            f"eta*={self.critical_lr:.6g}, {self.verdict.name})"
        )

    def summary(self) -> str:
        if self.model:
            net = self.model
        elif self.target is not None:
            net = f"scalar, depth {self.depth}, target {self.target:g}"
        else:
            net = f"widths {self.widths}"
        rows = [
            ("model", net),
            ("learning rate", f"{self.lr:.6g}"),
            (
                "critical lr eta*",
                f"{self.critical_lr:.6g} = 2 / S_min, S_min = "
                f"{self.flattest.sharpness:.6g} ({self.flattest.method})",
            )
            if self.optimizer is None
            else _opt_rows().critical_row(self),
            ("lr / eta*", f"{self.ratio:.6g}"),
            (
                "verdict",
                self.verdict.value
                + (
                    f" (|lr - eta*| <= {AT_CRITICAL_RTOL:g} eta*)"
                    if self.verdict is LRVerdict.AT
                    else ""
                )
                + ("; minima: those found in the box" if self.critical_points is not None else "")
                + (
                    f" [{self.certainty.status}: {self.certainty.text}]"
                    if self.certainty is not None
                    else ""
                ),
            ),
            ("flattest minimum", self.flattest_spectrum.classification.value)
            if self.optimizer is None
            else _opt_rows().flattest_row(self),
        ]
        if self.variety is not None:
            from ._stability_variety import variety_row

            rows.append(("minima set", variety_row(self.variety, self.widths)))
        if self.singular_lrs:
            hit = any(abs(self.lr - x) <= AT_CRITICAL_RTOL * x for x in self.singular_lrs)
            rows.append(
                (
                    "singular step sizes",
                    "C1, depth 1: G_eta is singular everywhere exactly at lr = 1/lambda_i(Sxx) = "
                    + ", ".join(f"{x:.6g}" for x in self.singular_lrs)
                    + ("; this lr is one of them" if hit else "; this lr is none of them"),
                )
            )
        rows.append(
            (
                "minima",
                f"{self.minima_sharpness.size} points, {self.stable_fraction:.0%} linearly stable "
                f"at this lr, sharpness {_range(self.minima_sharpness)}",
            )
        )
        rows.append(("minima drawn as", self.minima_distribution))
        for s in self.saddles:
            rows.append(
                (
                    "saddle",
                    f"{s.label}: {s.classification.value}"
                    if s.optimizer_radius is None
                    else _opt_rows().saddle_text(self, s),
                )
            )
        rows.append(("prediction", self.prediction))
        c = self.convergence
        rows.append(("initialisation", self.init))
        if c is None:
            rows.append(("Monte-Carlo", "skipped (n_samples = 0)"))
        else:
            split = undecided = ""
            if getattr(c, "n_open", 0):  # undecided / frozen runs: the fraction is a range
                undecided = (
                    f" to {c.fraction_high:.4f} (a range: {c._open_words()} runs not decided)"
                )
            if hasattr(c, "n_to_minima"):
                split = f" ({c.n_to_minima} runs to minima, {c.n_to_saddles} to saddles"
                if getattr(c, "annotation_sampled", False):
                    split += f", of a sample of {c.n_annotated} converged runs"
                split += ")"
            rows.append(
                (
                    "Monte-Carlo",
                    f"converged fraction {c.fraction:.4f}{undecided}{split}, "
                    f"{c.confidence:.0%} CI [{c.ci_low:.4f}, {c.ci_high:.4f}]"
                    f" (Clopper-Pearson), n = {c.n_samples}, "
                    f"seed = {self.seed}",
                )
            )
        if self.limit_labels is not None:
            rows.append(("converged runs", self.limit_labels.counts_text()))
        if self.contradiction:
            rows.append(("contradiction", self.contradiction))
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
            "model": self.model,
            "widths": list(self.widths),
            "depth": self.depth,
            "target": jsonable(self.target),
            "lr": jsonable(self.lr),
            "critical_lr": jsonable(self.critical_lr),
            "min_sharpness": jsonable(self.flattest.sharpness),
            "ratio": jsonable(self.ratio),
            "verdict": self.verdict.name.lower(),
            "verdict_text": self.verdict.value,
            "at_tolerance": AT_CRITICAL_RTOL,
            "flattest": self.flattest.to_dict(),
            "flattest_spectrum": self.flattest_spectrum.to_dict(),
            "minima_sharpness": jsonable(self.minima_sharpness),
            "minima_stable": jsonable(self.minima_stable),
            "stable_fraction": jsonable(self.stable_fraction),
            "minima_distribution": self.minima_distribution,
            "singular_lrs": jsonable(self.singular_lrs),
            "saddles": [s.to_dict() for s in self.saddles],
            "prediction": self.prediction,
            "init": self.init,
            "convergence": conv,
            "n_samples": self.n_samples,
            "seed": self.seed,
            "critical_points": (
                None if self.critical_points is None else self.critical_points.to_dict()
            ),
            **({} if self.certainty is None else self.certainty.to_dict()),
            "limit_labels": None if self.limit_labels is None else self.limit_labels.to_dict(),
            "contradiction": self.contradiction,
            **({} if self.variety is None else {"minima_variety": self.variety.to_dict()}),
            **(
                {}
                if self.optimizer is None
                else {
                    "optimizer": self.optimizer.to_dict(),
                    "optimizer_spectrum": self.optimizer_spectrum.to_dict(),
                }
            ),
        }

    plot = plotted_by("plot_stability_report")


def _range(x: NDArray[np.float64]) -> str:
    if x.size == 0:
        return "-"
    return f"{float(x.min()):.4g} .. {float(x.max()):.4g}"


def _convergence_keywords() -> frozenset[str]:
    from .convergence import estimate_convergent_fraction

    sig = inspect.signature(estimate_convergent_fraction)
    return frozenset(sig.parameters) - {"net", "lr", "n_samples", "seed"}


def _other_optimizer(kwargs: dict[str, Any]) -> Any:
    """The optimiser of the call when it is not GD (its report is in
    :mod:`~dynsys_gd.analysis.stability_optimizer`), else None; live Adam is refused there."""
    from ..optimizers import check_optimizer

    opt = kwargs.get("optimizer")
    if opt is None or check_optimizer(opt).is_gd:
        return None
    from .stability_optimizer import refuse_without_threshold

    refuse_without_threshold(opt)
    return opt


def _opt_rows() -> Any:
    from . import stability_optimizer

    return stability_optimizer


def stability_analysis(
    model_or_depth: Model | int | None = None,
    lr: LearningRate | None = None,
    *,
    target: Any = _UNSET,
    network: LinearNetwork | None = None,
    box: Any = None,
    n_minima: int = 32,
    seed: int | None = 0,
    n_samples: int = DEFAULT_N_SAMPLES,
    spread: float = 0.25,
    log_scale: float = 0.5,
    **convergence_kwargs: Any,
) -> StabilityReport:
    r"""Stability analysis of GD (or of another optimiser with a threshold, ``optimizer=``) at
    learning rate ``lr`` for any model (C2–C6, C9).

    With ``optimizer=X`` (heavy ball, Nesterov, a diagonal preconditioner, per-layer step sizes,
    Adam with a frozen preconditioner) the critical lr is X's,
    :math:`a^*/\min_M\mu_{\max}(QH)` (``critical_lr(model, optimizer=X)``), the flattest
    minimum and the saddles are judged by the multipliers of X's state Jacobian, and the Monte
    Carlo runs X (:mod:`~dynsys_gd.analysis.stability_optimizer`, docs/math/optimizers.md).

    Parameters
    ----------
    model_or_depth : int, LinearNetwork, LossModel or Model
        A depth N ≥ 1 (the scalar network :math:`\tfrac12(w_1\cdots w_N - y)^2` with
        ``target``), any linear network (a rank-deficient :math:`W^*` included), any sympy
        loss, or any model of the protocol (numerical critical points, not certified).
    lr : float
        Learning rate :math:`\eta > 0`.
    target : float
        Target :math:`y \ne 0` of the scalar network (default 1; only with a depth).  With
        :math:`y = 0` the minima set is not a manifold and the analysis refuses it.
    network : LinearNetwork, optional
        Deprecated alias: ``stability_analysis(net, lr)`` is the same as
        ``stability_analysis(None, lr, network=net)`` (a depth given with it must equal
        ``network.depth``).
    box : float, (lo, hi) or P pairs, optional
        Loss models and models of the protocol: the box searched for critical points (default
        :math:`[-4, 4]^P`).
    n_minima : int
        Linear networks: number of sampled points of M
        (:func:`~dynsys_gd.numeric.landscape.fixed_points.
        sample_minima` around the flattest minimum; the distribution is stated in the report).
    seed : int or None
        Seed of the sampled minima, of the critical-point search and of the Monte-Carlo estimate
        (None: a fresh seed is drawn and recorded in the report).
    n_samples : int
        Monte-Carlo initialisations for the convergent fraction (default
        :data:`DEFAULT_N_SAMPLES` = 1000, the same as ``dynsys-gd analyze``; uniform box
        [-2, 2]^P unless ``init``/``init_scale`` say otherwise); 0 skips the estimate.
    spread, log_scale : float
        Spread of the random symmetry and rescaling range used to sample M.
    **convergence_kwargs
        Passed to :func:`~dynsys_gd.analysis.convergence.estimate_convergent_fraction`
        (e.g. ``init``, ``init_scale``, ``executor``); unknown names are refused before any work.

    Returns
    -------
    StabilityReport

    Raises
    ------
    InvalidParameterError
        Before any work, for a bad argument: ``lr`` not a finite float > 0, a depth < 1, a
        target 0 or a matrix :math:`W^* = 0` (:math:`S_{\min} = 0`), a network whose hidden
        widths cannot reach :math:`W^*`, an object that is no model of the protocol, a model
        together with ``depth``, an unknown keyword, or an optimiser without a threshold
        (live Adam).  A model of the protocol in whose box the search finds no minimum is
        refused after the search.

    Examples
    --------
    >>> import dynsys_gd as dg
    >>> report = dg.stability_analysis(3, 0.25, target=2.0, n_samples=100, seed=0)
    >>> report.verdict.name, round(report.critical_lr, 6)
    ('BELOW', 0.264567)
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> m = dg.LossModel((x*y - 1)**2/2 + (x**2 - y**2)**2/8, (x, y))
    >>> dg.stability_analysis(m, 0.5, n_samples=0).verdict.name
    'BELOW'
    >>> hb = dg.stability_analysis(3, 0.38, target=2.0, optimizer=dg.HeavyBall(0.5), n_samples=0)
    >>> round(hb.critical_lr, 6), hb.verdict.name  # 1.5 x GD's eta*
    (0.39685, 'BELOW')
    """
    if "depth" in convergence_kwargs:  # keyword form stability_analysis(depth=3, lr=...)
        depth_kw = convergence_kwargs.pop("depth")
        if model_or_depth is not None:
            raise InvalidParameterError(
                "depth must not be given together with model_or_depth; got both "
                f"{describe(model_or_depth)} and depth={describe(depth_kw)}"
            )
        model_or_depth = depth_kw
    lr = check_positive_float("lr", lr)
    other = _other_optimizer(convergence_kwargs)
    allowed = _convergence_keywords()
    unknown = sorted(set(convergence_kwargs) - allowed)
    if unknown:
        raise InvalidParameterError(
            f"{unknown[0]} is not a keyword of stability_analysis or of "
            f"estimate_convergent_fraction (allowed: {', '.join(sorted(allowed))}); got "
            f"{unknown[0]}={convergence_kwargs[unknown[0]]!r}"
        )
    n_minima = check_int("n_minima", n_minima, minimum=1, maximum=100_000)
    n_samples = check_int("n_samples", n_samples, minimum=0, maximum=MAX_SAMPLES)
    seed = check_seed("seed", seed)
    if seed is None:  # draw one and record it, so the report can be reproduced
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    model = _resolve_model(model_or_depth, network, target)
    init_text = describe_init(
        convergence_kwargs.get("init", "uniform"), float(convergence_kwargs.get("init_scale", 2.0))
    )
    if other is not None:
        from .stability_optimizer import optimizer_analysis

        rest = {k: v for k, v in convergence_kwargs.items() if k != "optimizer"}
        return optimizer_analysis(
            stability_analysis, model, lr, other, box, n_samples, seed,
            n_minima=n_minima, spread=spread, log_scale=log_scale, **rest,
        )  # fmt: skip
    if not isinstance(model, LinearNetwork):  # a sympy loss or a model of the protocol
        from ._stability_loss import loss_model_fields

        return StabilityReport(
            **loss_model_fields(model, lr, box, seed, n_samples, init_text, convergence_kwargs)
        )
    if box is not None:
        raise InvalidParameterError(
            f"box applies to a LossModel only; got box={box!r} with a LinearNetwork"
        )
    net = model
    from ._stability_variety import minima_set

    variety = minima_set(net, seed)  # None: M is a manifold (C2) or the point W*

    flat = flattest_minimum(net)
    eta_star = 2.0 / flat.sharpness
    verdict = _verdict(lr, eta_star)
    flat_spec = _with_class(
        fixed_point_spectrum(net, flat.point, lr, on_manifold=True), _VERDICT_CLASS[verdict]
    )

    if net.depth == 1:  # M is the single point W*
        pts = np.asarray(flat.point, dtype=np.float64)[None, :]
    else:
        pts = sample_minima(
            net, n_minima, seed=seed, center=flat.point, spread=spread, log_scale=log_scale
        )
    sharp = np.atleast_1d(sharpness(net, pts)).astype(np.float64)
    stable = sharp < 2.0 / lr
    if net.depth == 1:
        dist = "the single point W* (depth 1: M = {W*})"
    else:
        dist = (
            "points of M sampled around the flattest minimum: the layer symmetry "
            "G_i = exp(s (c_i I + A_i) / sqrt(N - 1)) applied to it, s ~ U[0, 1], "
            f"c_i ~ U[-{log_scale:g}, {log_scale:g}], A_i entries N(0, {spread:g}^2), seed {seed}"
        )
        if variety is not None:
            dist += (
                " (M is a singular variety: the symmetry keeps every layer's rank, so these "
                "points lie on the stratum of M through the flattest minimum)"
            )
    saddles = []
    for c in _network_saddles(net, variety):
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
    singular: tuple[float, ...] = ()
    if net.depth == 1:
        ev = np.linalg.eigvalsh(net.Sxx)
        singular = tuple(sorted({float(1.0 / x) for x in ev if x > 0}))

    conv = None
    if n_samples > 0:
        from .convergence import estimate_convergent_fraction

        conv = estimate_convergent_fraction(
            net, lr, n_samples=n_samples, seed=seed, **convergence_kwargs
        )
    cert = smin_certainty(flat, lr, _ABOVE[verdict])
    labels, contra = _limits(net, lr, conv, seed, convergence_kwargs, verdict, None)
    desc = (
        f"scalar linear network, depth {net.depth}, target {float(net.target):g}"
        if net.is_scalar
        else f"linear network, widths {tuple(net.widths)}"
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
        prediction=_hedged(_PREDICTION[verdict], cert),
        convergence=conv,
        n_samples=n_samples,
        seed=seed,
        model=desc,
        init=getattr(conv, "init", init_text) if conv is not None else init_text,
        minima_distribution=dist,
        singular_lrs=singular,
        certainty=cert,
        limit_labels=labels,
        contradiction=contra,
        variety=variety,
    )


def _network_saddles(net: LinearNetwork, variety: Any) -> list[Any]:
    """The saddles of the report: none at depth 1 (whatever the rank of W*), those of a
    manifold of minima, or those of a variety."""
    if net.depth == 1:
        return []
    if variety is None:
        return saddle_points(net)
    from ._stability_variety import variety_saddles

    return variety_saddles(net)
