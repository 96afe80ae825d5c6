r"""The certified enclosure of :math:`S_{\min}` returned by the deep-network bounds, and the
upper bound they share: the certified :math:`\lambda_{\max}(H)` at an exact rational point of
M next to the numerical flattest minimum (docs/math/certified-smin.md)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._results import ResultMixin, jsonable
from ...models import LinearNetwork

__all__ = ["DeepSminCertificate", "exact_upper_bound"]


@dataclass(frozen=True, repr=False)
class DeepSminCertificate(ResultMixin):
    r"""Certified enclosure :math:`\text{lower} \le S_{\min} \le \text{upper}` (deep linear
    networks, general :math:`\Sigma_{xx}`).

    Attributes
    ----------
    lower, upper : Fraction
        Rigorous bounds.
    value : float
        :math:`\lambda_{\max}(H)` in float64 at ``point`` (the numerical minimum).
    point : ndarray (P,)
        Float values of the exact rational point of M behind ``upper``.
    goal : float
        The search stopped splitting boxes whose bound reached it.
    reached_goal : bool
        Whether ``lower >= goal`` (else the box budget ran out first).
    boxes : int
        Boxes evaluated.
    method : str
        How the bounds were obtained.
    """

    lower: Fraction
    upper: Fraction
    value: float
    point: NDArray[np.float64]
    goal: float
    reached_goal: bool
    boxes: int
    method: str

    @property
    def width(self) -> float:
        """``upper - lower``."""
        return float(self.upper - self.lower)

    @property
    def relative_width(self) -> float:
        """``(upper - lower)/upper``."""
        return float((self.upper - self.lower) / self.upper)

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies in ``[lower, upper]``."""
        return self.lower <= Fraction(x) <= self.upper

    def __repr__(self) -> str:
        return (
            f"DeepSminCertificate([{float(self.lower):.12g}, {float(self.upper):.12g}], "
            f"width {self.width:.1e}, {self.boxes} boxes)"
        )

    def summary(self) -> str:
        return "\n".join(
            [
                f"S_min in [{float(self.lower):.12g}, {float(self.upper):.12g}] (certified)",
                f"width          : {self.width:.2e} (relative {self.relative_width:.2e})",
                f"numerical value: {self.value:.15g}",
                f"goal           : {self.goal:.12g} "
                f"({'reached' if self.reached_goal else 'not reached'})",
                f"boxes          : {self.boxes}",
                f"method         : {self.method}",
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "lower": jsonable(self.lower),
            "upper": jsonable(self.upper),
            "lower_float": float(self.lower),
            "upper_float": float(self.upper),
            "width": self.width,
            "value": self.value,
            "point": jsonable(self.point),
            "goal": self.goal,
            "reached_goal": self.reached_goal,
            "boxes": self.boxes,
            "method": self.method,
        }


def _fq(x: Fraction) -> Any:
    import flint

    return flint.fmpq(x.numerator, x.denominator)


def _exact_point(net: LinearNetwork, theta: NDArray[np.float64]) -> list[Fraction]:
    r"""Exact point of M (square layers): the float layers :math:`W_1..W_{N-1}` at their binary
    values and :math:`W_N = W^*(W_{N-1}\cdots W_1)^{-1}` in rational arithmetic."""
    import flint

    S = flint.fmpq_mat([[_fq(x) for x in r] for r in net.Sxx_exact])
    Ws = flint.fmpq_mat([[_fq(x) for x in r] for r in net.Syx_exact]) * S.inv()
    layers = [
        flint.fmpq_mat([[_fq(Fraction(float(v))) for v in row] for row in L.tolist()])
        for L in net.unflatten(theta)
    ]
    B = layers[0]
    for L in layers[1:-1]:
        B = L * B
    layers[-1] = Ws * B.inv()
    return [
        Fraction(int(L[i, j].p), int(L[i, j].q))
        for L in layers
        for i in range(L.nrows())
        for j in range(L.ncols())
    ]


def exact_upper_bound(net: LinearNetwork) -> tuple[Fraction, NDArray[np.float64], float]:
    """(certified upper bound of S_min, the point of M behind it, lambda_max there in floats)."""
    from ..kernels import numeric_model
    from .enclosures import certified_spectrum, exact_hessian
    from .sharpness import flattest_minimum

    exact = _exact_point(net, flattest_minimum(net).point)
    up = certified_spectrum(exact_hessian(net, exact)).upper
    pt = np.array([float(x) for x in exact])
    H = numeric_model(net).hessian(pt[None])[0]
    return up, pt, float(np.linalg.eigvalsh(0.5 * (H + H.T))[-1])
