r"""Invariant density of a chaotic map (or chaotic GD) from long orbits, with a convergence
diagnostic (docs/math/continuation.md).

The density of one coordinate :math:`\phi(x) = x_j` is estimated by a normalised histogram of
:math:`\phi(x_t)` over ``steps`` steps of ``B`` runs after a transient.  Convergence is judged by
splitting the time series into two halves: the :math:`L^1` distance between the two half-sample
densities (it is about twice the error of the pooled estimate when the orbit mixes, and stays
large when it does not); ``converged`` means it is below ``tol``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._results import ResultMixin, jsonable
from ..._validation import check_int, check_positive_float, describe
from ...errors import InvalidParameterError
from .lyapunov_spectrum import _as_map

__all__ = ["InvariantDensity", "invariant_density"]

Array = NDArray[Any]


@dataclass(frozen=True)
class InvariantDensity(ResultMixin):
    r"""Histogram estimate of an invariant density.

    Attributes
    ----------
    edges : ndarray (bins + 1,)
    density : ndarray (bins,)
        Integrates to the fraction of samples inside ``edges`` (1 when none fell outside).
    half_l1 : float
        :math:`L^1` distance between the densities of the first and second halves of the runs.
    converged : bool
        ``half_l1 < tol``.
    tol : float
    n_samples : int
    """

    edges: NDArray[np.float64]
    density: NDArray[np.float64]
    half_l1: float
    converged: bool
    tol: float
    n_samples: int

    @property
    def centers(self) -> NDArray[np.float64]:
        return 0.5 * (self.edges[1:] + self.edges[:-1])

    def summary(self) -> str:
        state = "converged" if self.converged else "not converged"
        return (
            f"invariant density from {self.n_samples} samples, {self.density.size} bins: "
            f"half-sample L1 distance {self.half_l1:.3g} ({state} at tol {self.tol:g})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "edges": jsonable(self.edges),
            "density": jsonable(self.density),
            "half_l1": self.half_l1,
            "converged": self.converged,
            "tol": self.tol,
            "n_samples": self.n_samples,
        }

    def __repr__(self) -> str:
        return f"InvariantDensity(bins={self.density.size}, half_l1={self.half_l1:.3g})"


def invariant_density(
    system: Any,
    x0: Any,
    steps: int,
    *,
    lr: float | None = None,
    optimizer: Any = None,
    coordinate: int = 0,
    bins: int = 50,
    value_range: tuple[float, float] | None = None,
    transient: int = 1000,
    tol: float = 0.05,
) -> InvariantDensity:
    """Histogram of coordinate ``coordinate`` along the runs from the rows of ``x0``.

    ``value_range`` defaults to the range of the samples.  Runs that diverge contribute no
    samples after they leave (non-finite values are dropped).
    """
    fmap, p = _as_map(system, lr, optimizer)
    steps = check_int("steps", steps, minimum=2)
    transient = check_int("transient", transient, minimum=0)
    bins = check_int("bins", bins, minimum=1)
    tol = check_positive_float("tol", tol)
    x = np.array(x0, dtype=np.float64, ndmin=2)
    if x.ndim != 2 or x.shape[1] != fmap.dim:
        raise InvalidParameterError(
            f"x0 must be of shape (d,) or (B, d) with d = {fmap.dim}; got {describe(x0)}"
        )
    coordinate = check_int("coordinate", coordinate, minimum=0, maximum=fmap.dim - 1)
    samples = np.empty((steps, x.shape[0]))
    with np.errstate(all="ignore"):
        for _ in range(transient):
            x = fmap.step(x, p)
        for t in range(steps):
            x = fmap.step(x, p)
            samples[t] = x[:, coordinate]
    half = steps // 2
    a, b = samples[:half].ravel(), samples[half:].ravel()
    a, b, all_ = a[np.isfinite(a)], b[np.isfinite(b)], samples[np.isfinite(samples)]
    if all_.size == 0:
        raise InvalidParameterError("x0 must start runs that stay finite; every run diverged")
    rng = value_range if value_range is not None else (float(all_.min()), float(all_.max()))
    edges = np.linspace(rng[0], rng[1], bins + 1)
    w = np.diff(edges)

    def dens(s: Array) -> Array:
        return np.histogram(s, bins=edges)[0] / (max(s.size, 1) * w)

    l1 = float(np.sum(np.abs(dens(a) - dens(b)) * w))
    return InvariantDensity(edges, dens(all_), l1, l1 < tol, tol, int(all_.size))
