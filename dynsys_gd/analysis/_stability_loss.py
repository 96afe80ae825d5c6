r"""The stability report of a model that is not a linear network (private): a sympy loss
(:class:`~dynsys_gd.models.LossModel`, exact critical points where the algebra allows) or any
model given only through the model protocol (a user's class, a
:class:`~dynsys_gd.models.JaxModel`, an MLP: critical points found in float64,
:mod:`~dynsys_gd.numeric.landscape.protocol_critical`, so S_min is "numerical, not certified"
and the report says so).  The critical points in a box are classified at lr (C6, C9;
docs/math/general-losses.md)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..models import LossModel
from ..numeric.landscape.certainty import smin_certainty
from ..numeric.landscape.spectra import FixedPointClass, fixed_point_spectrum
from ._stability_parts import (
    _ABOVE,
    _PREDICTION,
    _VERDICT_CLASS,
    SaddleInfo,
    _hedged,
    _limits,
    _with_class,
    describe_protocol,
)
from ._verdict import LRVerdict, _verdict

__all__ = ["loss_model_fields"]


def _flattest(model: Any, box: Any, seed: int) -> Any:
    """The flattest minimum: exact or searched for a sympy loss, numerical for the protocol."""
    if isinstance(model, LossModel):
        from ..numeric.landscape.loss_flattest import loss_flattest_minimum

        return loss_flattest_minimum(model, box, seed=seed)
    from ..numeric.landscape.protocol_critical import protocol_flattest_minimum

    return protocol_flattest_minimum(model, box, seed=seed)


def _det_dg(model: Any, lr: float, box: Any, seed: int) -> tuple[bool, str]:
    """Whether DG_eta is non-singular off a null set: symbolic for a sympy loss, a numerical
    check at random points for the protocol."""
    if isinstance(model, LossModel):
        from ..numeric.landscape.critical_points import det_dg_certificate

        return det_dg_certificate(model, lr)
    from ..numeric.landscape.protocol_critical import numerical_det_dg

    return numerical_det_dg(model, lr, box, seed)


def _classified(model: Any, cps: Any, lr: float) -> Any:
    """The critical points classified at lr (for the protocol, degenerate points with only a
    float-sized negative eigenvalue are not decided by linearisation)."""
    if isinstance(model, LossModel):
        return cps.at(lr)
    from ..numeric.landscape.protocol_critical import classified_at

    return classified_at(cps, lr)


def _describe(model: Any) -> str:
    if isinstance(model, LossModel):
        return f"loss model {model.name}, P = {model.n_params}"
    return describe_protocol(model)


def loss_model_fields(
    model: Any,
    lr: float,
    box: Any,
    seed: int,
    n_samples: int,
    init_text: str,
    convergence_kwargs: dict[str, Any],
) -> dict[str, Any]:
    r"""The fields of the report (:class:`~dynsys_gd.analysis.stability.StabilityReport`) for
    a sympy loss or a protocol model: critical points in a box, classified at lr (C6, C9)."""
    from ..numeric.landscape.critical_results import CriticalKind

    flat = _flattest(model, box, seed)
    cps = _classified(model, flat.critical_points, lr)
    eta_star = flat.critical_lr
    verdict = _verdict(lr, eta_star)
    flat_spec = _with_class(
        fixed_point_spectrum(model, flat.point, lr, on_manifold=True), _VERDICT_CLASS[verdict]
    )
    minima = cps.minima
    sharp = np.array([p.sharpness for p in minima], dtype=np.float64)
    stable = sharp < 2.0 / lr
    box_text = " x ".join(f"[{a:g}, {b:g}]" for a, b in cps.box)
    dist = (
        f"the {len(minima)} local minima found in the box {box_text} "
        f"({'a proved-complete list' if cps.complete else 'a seeded search, not proved complete'}"
        + (
            "; points on a non-isolated minima set are those the search landed on"
            if any(p.isolated is False for p in minima)
            else ""
        )
        + ")"
    )
    saddles = []
    undecided = 0
    for p in cps.saddles:
        sp = p.spectrum
        assert sp is not None
        if sp.classification is not FixedPointClass.STRICT_SADDLE:
            undecided += 1
        pt = ", ".join(f"{x:.6g}" for x in p.point)
        saddles.append(
            SaddleInfo(
                f"{p.kind.name.lower()} at ({pt}), loss {p.loss:.6g}",
                sp.classification,
                float(p.hessian_eigenvalues.min()),
                float(p.hessian_eigenvalues.max()),
                p.gradient_norm,
                p.point,
            )
        )
    scope = (
        "the list is proved complete in the box"
        if cps.complete
        else "a search: critical points it did not find are not covered"
    )
    if verdict is LRVerdict.ABOVE:
        nonsingular, det_text = _det_dg(model, lr, cps.box, seed)
        all_unstable = undecided == 0  # minima unstable above eta*, saddles strict
        if nonsingular and all_unstable:
            pred = (
                "C9: lr > eta*, every critical point found has an eigenvalue of DG_eta of "
                f"modulus > 1 ({scope}) and {det_text}, so GD converges from a Lebesgue-null "
                "set of initialisations"
                + (
                    " (critical points outside the box are not covered)."
                    if cps.complete
                    else " (as far as the critical points found go)."
                )
            )
        else:
            missing = []
            if not nonsingular:
                missing.append(det_text)
            if not all_unstable:
                missing.append(
                    f"{undecided} critical point(s) are not decided by linearisation (degenerate)"
                )
            pred = (
                f"C9: lr > eta*, so every minimum found is linearly unstable ({scope}); the "
                f"measure-zero conclusion is not certified: {'; '.join(missing)}."
            )
    elif verdict is LRVerdict.BELOW:
        pred = (
            "C6/C9: lr < eta*, so the flattest minimum found is linearly stable and attracts "
            "a set of initialisations of positive measure."
        )
    else:
        pred = _PREDICTION[LRVerdict.AT]
    conv = None
    if n_samples > 0:
        from ._limit_report import min_loss_kwargs
        from .convergence import estimate_convergent_fraction

        conv = estimate_convergent_fraction(
            model, lr, n_samples=n_samples, seed=seed, **min_loss_kwargs(cps, convergence_kwargs)
        )
    cert = smin_certainty(flat, lr, _ABOVE[verdict])
    labels, contra = _limits(model, lr, conv, seed, convergence_kwargs, verdict, cps)
    n_min = sum(p.kind is CriticalKind.MINIMUM for p in cps.points)
    return dict(
        widths=(),
        depth=0,
        target=None,
        lr=lr,
        critical_lr=eta_star,
        ratio=lr / eta_star,
        verdict=verdict,
        flattest=flat,
        flattest_spectrum=flat_spec,
        minima_sharpness=sharp,
        minima_stable=stable,
        stable_fraction=float(np.mean(stable)) if n_min else 0.0,
        saddles=tuple(saddles),
        prediction=_hedged(pred, cert),
        convergence=conv,
        n_samples=n_samples,
        seed=seed,
        model=_describe(model),
        init=getattr(conv, "init", init_text) if conv is not None else init_text,
        minima_distribution=dist,
        critical_points=cps,
        certainty=cert,
        limit_labels=labels,
        contradiction=contra,
    )
