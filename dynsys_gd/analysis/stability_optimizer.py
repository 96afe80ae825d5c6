r"""``stability_analysis(..., optimizer=X)``: the report for an optimiser with a threshold
(docs/math/optimizers.md).

An optimiser with threshold :math:`a^*` and curvature matrix :math:`QH` is linearly stable at a
minimum iff :math:`\eta\,\mu_{\max}(QH) < a^*`.  With :math:`Q = I` that is
:math:`(2\eta/a^*)\,\lambda_{\max}(H) < 2`: GD's condition at the step size :math:`\eta' =
2\eta/a^*`.  With a diagonal :math:`Q`, :math:`QH` is similar to the Hessian
:math:`Q^{1/2}HQ^{1/2}` of the reparametrised loss :math:`\phi \mapsto L(Q^{1/2}\phi)`
(:func:`~dynsys_gd.numeric.landscape.optimizer_lr.reparametrised_model`).  So the flattest
minimum, the verdict, the minima sample and the saddles are those of GD's report on the
reparametrised model at :math:`\eta'`, with

.. math:: \eta^*_X = a^* / \min_M \mu_{\max}(QH), \qquad \eta/\eta^*_X = \eta'/\eta^*_{GD}.

What is the optimiser's own is computed from its map on the original model: the multipliers of
its state Jacobian at the fixed state over the flattest minimum
:math:`\theta^* = Q^{1/2}\phi^*` and over each saddle (:class:`OptimizerSpectrum`), and the
Monte-Carlo estimate with ``optimizer=X``.  At a point of M each tangent direction of M
(:math:`\lambda = 0`) gives one multiplier 1; the ``tangent_dim`` multipliers closest to 1 are
these neutral ones and are excluded, as GD's report excludes its tangent eigenvalues.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._results import ResultMixin, jsonable
from ..errors import InvalidParameterError
from ..models import LinearNetwork, LossModel
from ..numeric.landscape.optimizer_lr import ScaledModel
from ..numeric.landscape.spectra import MARGINAL_RTOL, FixedPointClass
from ._verdict import LRVerdict, _verdict

__all__ = ["OptimizerSpectrum", "optimizer_fixed_point_spectrum", "optimizer_stability_report"]


@dataclass(frozen=True, repr=False)
class OptimizerSpectrum(ResultMixin):
    r"""The multipliers of an optimiser's state Jacobian at a fixed state.

    Attributes
    ----------
    optimizer : str
        The optimiser (its repr).
    point : ndarray (P,)
        The critical point :math:`\theta` (the fixed state is ``optimizer.fixed_state(point)``).
    lr : float
    multipliers : ndarray of complex (S,)
        Eigenvalues of the state Jacobian, by decreasing modulus.
    tangent_dim : int
        Neutral multipliers excluded (the tangent directions of M; 0 at a saddle).
    spectral_radius : float
        Largest modulus of the non-neutral multipliers.
    classification : FixedPointClass
        STABLE iff ``spectral_radius < 1``; UNSTABLE (STRICT_SADDLE at a saddle) iff it is
        > 1; MARGINAL within :data:`~dynsys_gd.numeric.landscape.spectra.MARGINAL_RTOL` of 1.
    """

    optimizer: str
    point: NDArray[np.float64]
    lr: float
    multipliers: NDArray[np.complex128]
    tangent_dim: int
    spectral_radius: float
    classification: FixedPointClass

    def __repr__(self) -> str:
        return (
            f"OptimizerSpectrum({self.optimizer}, lr={self.lr:.6g}, "
            f"radius={self.spectral_radius:.6g}, {self.classification.name})"
        )

    def summary(self) -> str:
        return (
            f"{self.optimizer} at lr = {self.lr:.6g}: {self.multipliers.size} multipliers, "
            f"{self.tangent_dim} neutral (tangent to M) excluded, largest other modulus "
            f"{self.spectral_radius:.6g}: {self.classification.value}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "optimizer": self.optimizer,
            "point": jsonable(self.point),
            "lr": jsonable(self.lr),
            "multipliers_real": jsonable(self.multipliers.real.copy()),
            "multipliers_imag": jsonable(self.multipliers.imag.copy()),
            "tangent_dim": self.tangent_dim,
            "spectral_radius": jsonable(self.spectral_radius),
            "classification": self.classification.name.lower(),
            "classification_text": self.classification.value,
        }


def optimizer_fixed_point_spectrum(
    model: Any, optimizer: Any, point: Any, lr: float, *, tangent_dim: int, is_minimum: bool
) -> OptimizerSpectrum:
    r"""Multipliers of ``optimizer``'s state Jacobian at ``optimizer.fixed_state(point)``, with
    the ``tangent_dim`` multipliers closest to 1 excluded as neutral."""
    from ..numeric.kernels import numeric_model
    from ..numeric.orbits.optimizer_map import bound_optimizer

    opt = bound_optimizer(model, optimizer)
    m = numeric_model(model)
    th = np.asarray(point, dtype=np.float64).reshape(1, -1)
    state = opt.fixed_state(th)
    y = opt.gradient_point(state)
    J = np.asarray(opt.state_jacobian(m.hessian(y), state, lr, m.gradient(y)))[0]
    z = np.linalg.eigvals(J).astype(np.complex128)
    z = z[np.argsort(-np.abs(z), kind="stable")]
    neutral = np.argsort(np.abs(z - 1.0), kind="stable")[:tangent_dim]
    rest = np.delete(z, neutral)
    rho = float(np.max(np.abs(rest))) if rest.size else 1.0
    if abs(rho - 1.0) <= MARGINAL_RTOL:
        cls = FixedPointClass.MARGINAL if is_minimum else FixedPointClass.NON_STRICT_SADDLE
    elif rho < 1.0:
        cls = FixedPointClass.STABLE
    else:
        cls = FixedPointClass.UNSTABLE if is_minimum else FixedPointClass.STRICT_SADDLE
    return OptimizerSpectrum(repr(opt), th[0], float(lr), z, int(tangent_dim), rho, cls)


def refuse_without_threshold(optimizer: Any) -> float:
    """The optimiser's threshold :math:`a^*`; live Adam (no linearisation at its fixed points,
    no threshold) is refused."""
    a = optimizer.threshold()
    if a is None:
        raise InvalidParameterError(
            "optimizer must have a linear-stability threshold for stability_analysis; got "
            f"{optimizer!r} (live Adam is not differentiable at its fixed points, v = 0: use "
            "Adam(frozen=...))"
        )
    return float(a)


def _scale(model: Any, opt: Any) -> NDArray[np.float64] | None:
    from ..numeric.kernels import numeric_model

    q = opt.curvature_scale(int(numeric_model(model).n_params))
    return None if q is None else np.sqrt(np.asarray(q, dtype=np.float64))


def _scaled_box(box: Any, s: NDArray[np.float64]) -> Any:
    """The box of theta as a box of phi = theta / s (per parameter)."""
    from ..numeric.landscape.critical_results import _check_box

    pairs = _check_box(4.0 if box is None else box, s.size)
    return [(lo / si, hi / si) for (lo, hi), si in zip(pairs, s, strict=True)]


def optimizer_stability_report(
    model: Any,
    lr: float,
    optimizer: Any,
    gd_report: Any,
    conv: Any,
) -> Any:
    """The report for ``optimizer`` from GD's report on the (reparametrised) model at the
    equivalent step size (see the module docstring) and the Monte Carlo under the optimiser."""
    opt = optimizer
    a = refuse_without_threshold(opt)
    s = _scale(model, opt)
    flat = gd_report.flattest
    crit = a / float(flat.sharpness)
    verdict = _verdict(lr, crit)
    phi = np.asarray(flat.point, dtype=np.float64)
    theta = phi if s is None else s * phi
    tdim = int(gd_report.flattest_spectrum.tangent_dim)
    ospec = optimizer_fixed_point_spectrum(model, opt, theta, lr, tangent_dim=tdim, is_minimum=True)
    if verdict is LRVerdict.AT:
        ospec = dataclasses.replace(ospec, classification=FixedPointClass.MARGINAL)
    saddles = []
    for sd in gd_report.saddles:
        pt = np.asarray(sd.point, dtype=np.float64)
        pt = pt if s is None else s * pt
        sp = optimizer_fixed_point_spectrum(model, opt, pt, lr, tangent_dim=0, is_minimum=False)
        saddles.append(
            dataclasses.replace(
                sd, point=pt, classification=sp.classification, optimizer_radius=sp.spectral_radius
            )
        )
    cert = gd_report.certainty
    if cert is not None:
        cert = dataclasses.replace(cert, text=cert.text.replace("2/lr =", f"{a:.6g}/lr ="))
    contra = ""
    if conv is not None and verdict is LRVerdict.ABOVE and int(conv.counts["converged"]) > 0:
        contra = (
            f"{int(conv.counts['converged'])} of {int(conv.n_samples)} runs converged although "
            f"every minimum is linearly unstable under {opt!r} (their limits are not labelled "
            "for this optimiser)"
        )
    return dataclasses.replace(
        gd_report,
        lr=lr,
        critical_lr=crit,
        ratio=lr / crit,
        verdict=verdict,
        flattest_spectrum=dataclasses.replace(
            gd_report.flattest_spectrum, classification=ospec.classification
        ),
        saddles=tuple(saddles),
        prediction=_prediction(opt, verdict, cert, saddles),
        convergence=conv,
        init=getattr(conv, "init", gd_report.init) if conv is not None else gd_report.init,
        singular_lrs=(),
        critical_points=None,
        certainty=cert,
        limit_labels=None,
        contradiction=contra,
        optimizer=opt,
        optimizer_spectrum=ospec,
    )


def optimizer_analysis(
    gd_analysis: Callable[..., Any],
    model: Any,
    lr: float,
    optimizer: Any,
    box: Any,
    n_samples: int,
    seed: int,
    **kw: Any,
) -> Any:
    """The whole report under ``optimizer`` (``gd_analysis``: GD's
    :func:`~dynsys_gd.analysis.stability.stability_analysis`; ``kw``: its other settings and
    those of the Monte Carlo)."""
    from ..numeric.landscape.optimizer_lr import reparametrised_model
    from ..numeric.orbits.optimizer_map import bound_optimizer

    opt = bound_optimizer(model, optimizer)
    opt.require_autonomous("stability_analysis")
    a = refuse_without_threshold(opt)
    s = _scale(model, opt)
    own = {k: kw.pop(k) for k in ("n_minima", "spread", "log_scale")}
    effective, ebox = model, box
    if s is not None:
        effective = (
            reparametrised_model(model, s * s)
            if isinstance(model, LinearNetwork | LossModel)
            else ScaledModel(model, s)
        )
        ebox = _scaled_box(box, s) if box is not None or not _is_network(model) else None
    gd_report = gd_analysis(effective, 2.0 * lr / a, box=ebox, seed=seed, n_samples=0, **own)
    conv = None
    if n_samples > 0:
        from .convergence import estimate_convergent_fraction

        conv = estimate_convergent_fraction(
            model, lr, n_samples=n_samples, seed=seed, optimizer=opt, **kw
        )
    report = optimizer_stability_report(model, lr, opt, gd_report, conv)
    if s is None:
        return dataclasses.replace(report, n_samples=n_samples)
    return dataclasses.replace(
        report,
        n_samples=n_samples,
        model=_describe(model),
        target=getattr(model, "target", None) if _is_network(model) and model.is_scalar else None,
        minima_distribution=report.minima_distribution
        + "; in the coordinates phi = Q^(-1/2) theta of the reparametrised loss "
        "phi -> L(Q^(1/2) phi), where mu_max(QH) is its sharpness",
    )


def _is_network(model: Any) -> bool:
    return isinstance(model, LinearNetwork)


def _describe(model: Any) -> str:
    if _is_network(model):
        if model.is_scalar:
            return f"scalar linear network, depth {model.depth}, target {float(model.target):g}"
        return f"linear network, widths {tuple(model.widths)}"
    if isinstance(model, LossModel):
        return f"loss model {model.name}, P = {model.n_params}"
    from ._stability_parts import describe_protocol

    return describe_protocol(model)


def _prediction(opt: Any, verdict: Any, cert: Any, saddles: list[Any]) -> str:
    name = repr(opt)
    if verdict is LRVerdict.BELOW:
        text = (
            f"lr < eta* of {name}, so the flattest minima are linearly stable under {name} and "
            "it converges from a set of initialisations of positive measure."
        )
    elif verdict is LRVerdict.AT:
        text = (
            f"lr = eta* of {name} (a multiplier -1 at the flattest minima): linearisation does "
            "not decide; convergence, if any, is sub-geometric."
        )
    else:
        unstable = all(
            sd.optimizer_radius is not None and sd.optimizer_radius > 1.0 for sd in saddles
        )
        text = (
            f"lr > eta* of {name}, so every minimum is linearly unstable under {name}"
            + (
                ", as is every saddle listed (a multiplier of modulus > 1)"
                if saddles and unstable
                else ""
            )
            + "; by the measure-zero argument of docs/math/optimizers.md it converges from a "
            "Lebesgue-null set of initialisations."
        )
    if cert is not None and not cert.certified:
        from ..numeric.landscape.certainty import NOT_CERTIFIED_PHRASE

        return (
            f"not certified ({NOT_CERTIFIED_PHRASE}): {text} This holds if the numerical "
            "minimum of mu_max(QH) is the minimum; no certified bound shows it."
        )
    return text


def critical_row(report: Any) -> tuple[str, str]:
    """The summary's critical-lr row for an optimiser."""
    opt = report.optimizer
    a = refuse_without_threshold(opt)
    q = "H" if opt.curvature_scale(report.optimizer_spectrum.point.size) is None else "QH"
    return (
        "critical lr eta*",
        f"{report.critical_lr:.6g} for {opt!r} = a* / min mu_max({q}), a* = {a:.6g}, "
        f"min mu_max({q}) = {report.flattest.sharpness:.6g} ({report.flattest.method})",
    )


_WORDS = {
    FixedPointClass.STABLE: "linearly stable: every non-neutral multiplier has modulus < 1",
    FixedPointClass.MARGINAL: "marginally stable: the largest non-neutral modulus is 1",
    FixedPointClass.UNSTABLE: "linearly unstable: a multiplier has modulus > 1",
    FixedPointClass.STRICT_SADDLE: "unstable: a multiplier has modulus > 1",
    FixedPointClass.NON_STRICT_SADDLE: "not decided by linearisation",
}


def flattest_row(report: Any) -> tuple[str, str]:
    """The summary's flattest-minimum row for an optimiser."""
    sp = report.optimizer_spectrum
    n = sp.tangent_dim
    return (
        "flattest minimum",
        f"under {report.optimizer!r} {_WORDS[sp.classification]} (multipliers of its state "
        f"Jacobian: largest modulus {sp.spectral_radius:.6g} besides the {n} neutral "
        f"one{'' if n == 1 else 's'} tangent to M)",
    )


def saddle_text(report: Any, sd: Any) -> str:
    """A saddle's summary text for an optimiser."""
    r = sd.optimizer_radius
    cls = FixedPointClass.STRICT_SADDLE if r > 1.0 else FixedPointClass.NON_STRICT_SADDLE
    return (
        f"{sd.label}: Hessian eigenvalues {sd.min_eigenvalue:.6g} .. {sd.max_eigenvalue:.6g}; "
        f"under {report.optimizer!r} {_WORDS[cls]} (largest modulus {r:.6g})"
    )
