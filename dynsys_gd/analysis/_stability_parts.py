r"""Pieces of the stability report shared by its builders (private): the saddle record, the
C6 predictions and their hedge, the class of the flattest minimum by verdict, and the limit
lines (:mod:`~dynsys_gd.analysis.stability`, :mod:`~dynsys_gd.analysis._stability_loss`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._results import jsonable
from ..models import LinearNetwork
from ..numeric.landscape.certainty import NOT_CERTIFIED_PHRASE, SminCertainty
from ..numeric.landscape.spectra import FixedPointClass, FixedPointSpectrum
from ._verdict import LRVerdict

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
    #: under another optimiser: the largest multiplier modulus of its state Jacobian here
    optimizer_radius: float | None = None

    def to_dict(self) -> dict[str, Any]:
        extra = {} if self.optimizer_radius is None else {"optimizer_radius": self.optimizer_radius}
        return {
            **extra,
            "label": self.label,
            "classification": self.classification.name.lower(),
            "classification_text": self.classification.value,
            "min_eigenvalue": jsonable(self.min_eigenvalue),
            "max_eigenvalue": jsonable(self.max_eigenvalue),
            "gradient_norm": jsonable(self.gradient_norm),
            "point": jsonable(self.point),
        }


_ABOVE = {LRVerdict.ABOVE: True, LRVerdict.BELOW: False, LRVerdict.AT: None}


def _hedged(prediction: str, cert: SminCertainty) -> str:
    """The prediction with prove's wording when S_min is not certified."""
    if cert.certified:
        return prediction
    return (
        f"not certified ({NOT_CERTIFIED_PHRASE}): {prediction} This holds if the numerical "
        "S_min is the minimum; no certified bound shows it."
    )


_VERDICT_CLASS = {
    LRVerdict.BELOW: FixedPointClass.STABLE,
    LRVerdict.AT: FixedPointClass.MARGINAL,
    LRVerdict.ABOVE: FixedPointClass.UNSTABLE,
}


def _limits(
    model: Any,
    lr: float,
    conv: Any,
    seed: int,
    kwargs: dict[str, Any],
    verdict: LRVerdict,
    cps: Any,
) -> tuple[Any, str]:
    """Limit labels (loss models, or above eta*, when runs converged) and the contradiction
    line (above eta*)."""
    if conv is None or not (not isinstance(model, LinearNetwork) or verdict is LRVerdict.ABOVE):
        return None, ""
    from ._limit_report import contradiction_line, labels_from_counts, limit_labels

    if verdict is not LRVerdict.ABOVE and (counted := labels_from_counts(conv)) is not None:
        return counted, ""  # the estimate's counts: no replay (no set to name below eta*)
    labels = limit_labels(model, lr, conv, seed, kwargs, cps)
    if verdict is LRVerdict.ABOVE:
        return labels, contradiction_line(labels, int(conv.n_samples))
    return labels, ""


def _with_class(spec: FixedPointSpectrum, cls: FixedPointClass) -> FixedPointSpectrum:
    import dataclasses

    return dataclasses.replace(spec, classification=cls)


def describe_protocol(model: Any) -> str:
    """The report's words for a model given only through the model protocol."""
    from ..numeric.landscape.protocol_critical import model_name

    return (
        f"model {model_name(model)} given through the model protocol (no symbolic form: "
        f"numerical, not certified), P = {int(model.n_params)}"
    )
