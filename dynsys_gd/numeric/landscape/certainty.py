r"""How certain :math:`S_{\min}` is, and the three-valued verdict of "every minimum is unstable"
/ "a stable minimum exists" at a step size (the wording of ``dynsys-gd prove``:
passed, failed, not certified; docs/math/claims.md#c6).

* **certified**: a rigorous enclosure :math:`[\ell, u] \ni S_{\min}` (the depth-2 SDP, or a
  proved-complete list of critical points of a loss model in its box);
* **closed form**: an exact formula evaluated in float64 (depth 1, scalar AM–GM, whitened);
* **numerical, not certified**: a numerical minimisation with no lower bound (deep networks
  with a general :math:`\Sigma_{xx}`, a searched list of critical points).

Above :math:`\eta^*` the statement "every minimum is linearly unstable" has status *passed*
when :math:`\ell > 2/\eta` (or a closed form puts :math:`S_{\min}` above :math:`2/\eta`),
*failed* when :math:`u < 2/\eta`, *not certified* otherwise; below :math:`\eta^*` the same for
"a linearly stable minimum exists" with the roles of the bounds exchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

__all__ = ["NOT_CERTIFIED_PHRASE", "SminCertainty", "smin_certainty"]

#: the hedge every report carries when S_min is not certified
NOT_CERTIFIED_PHRASE = "numerical S_min, not certified"


@dataclass(frozen=True)
class SminCertainty:
    """``kind``: "certified", "closed form" or "numerical"; ``status``: "passed", "failed" or
    "not certified" (of the verdict's statement); ``text``: the reason in words."""

    kind: str
    status: str
    text: str
    bounds: tuple[Fraction, Fraction] | None

    @property
    def certified(self) -> bool:
        return self.kind != "numerical"

    def to_dict(self) -> dict[str, Any]:
        return {
            "smin_kind": self.kind,
            "smin_certified": self.certified,
            "verdict_status": self.status,
            "verdict_reason": self.text,
            "smin_bounds": None if self.bounds is None else [float(b) for b in self.bounds],
        }


def smin_certainty(flat: Any, lr: float, above: bool | None) -> SminCertainty:
    r"""The certainty of ``flat.sharpness`` and the status of the verdict at ``lr``.

    ``above``: True for "every minimum unstable" (lr above :math:`\eta^*`), False for "a stable
    minimum exists" (below), None at :math:`\eta^*` (linearisation does not decide: status
    "not certified" whatever the bounds).
    """
    bounds = getattr(flat, "bounds", None)
    method = str(getattr(flat, "method", ""))
    if bounds is not None:
        kind = "certified"
    elif method.startswith("closed form"):
        kind = "closed form"
    else:
        kind = "numerical"
    thr = 2.0 / lr
    if above is None:
        return SminCertainty(
            kind, "not certified", "at eta*, linearisation does not decide", bounds
        )
    if kind == "numerical":
        return SminCertainty(
            kind,
            "not certified",
            f"{NOT_CERTIFIED_PHRASE}: no certified bound of S_min decides it",
            None,
        )
    if kind == "closed form":
        s = float(flat.sharpness)
        ok = (s > thr) if above else (s < thr)
        return SminCertainty(
            kind, "passed" if ok else "failed", f"closed-form S_min = {s:.10g}", None
        )
    assert bounds is not None
    lo, hi = bounds
    q = Fraction(thr)
    where = f"certified S_min in [{float(lo):.12g}, {float(hi):.12g}], 2/lr = {thr:.12g}"
    if (lo > q) if above else (hi < q):
        return SminCertainty(kind, "passed", where, bounds)
    if (hi < q) if above else (lo > q):
        return SminCertainty(kind, "failed", where, bounds)
    return SminCertainty(kind, "not certified", where + " lies inside it", bounds)
