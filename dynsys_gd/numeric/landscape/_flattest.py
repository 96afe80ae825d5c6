"""What the two flattest-minimum results share (linear networks and sympy losses)."""

from __future__ import annotations

from typing import Any

from ..._results import ResultMixin, jsonable

__all__ = ["FlattestResult"]


class FlattestResult(ResultMixin):
    r"""Base of :class:`~dynsys_gd.numeric.landscape.sharpness.FlattestMinimum` and
    :class:`~dynsys_gd.numeric.landscape.loss_flattest.LossFlattestMinimum`: the critical step
    size
    :math:`\eta^* = 2/S_{\min}` and the first lines of the summary and of the dictionary.

    Subclasses are dataclasses with the fields ``point``, ``sharpness``, ``method``,
    ``bracket`` and ``relative_gap``.
    """

    point: Any
    sharpness: float
    method: str
    bracket: tuple[float, float]
    relative_gap: float

    @property
    def critical_lr(self) -> float:
        r""":math:`\eta^* = 2/S_{\min}` (infinite when :math:`S_{\min} = 0`: then no step size
        makes every minimum unstable)."""
        return 2.0 / self.sharpness if self.sharpness > 0 else float("inf")

    def _summary_head(self) -> list[str]:
        return [
            f"S_min (flattest minimum) : {self.sharpness:.10g}",
            f"eta* = 2 / S_min         : {self.critical_lr:.10g}",
            f"method                   : {self.method}",
        ]

    def _dict_head(self) -> dict[str, Any]:
        return {
            "point": jsonable(self.point),
            "sharpness": jsonable(self.sharpness),
            "critical_lr": jsonable(self.critical_lr),
            "method": self.method,
            "bracket": jsonable(self.bracket),
            "relative_gap": jsonable(self.relative_gap),
        }
