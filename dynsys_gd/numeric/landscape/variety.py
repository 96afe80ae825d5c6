r"""The minima set of a linear network as a variety: its smooth and singular points
(docs/math/claims.md#c2).

:math:`M = \{\theta : W(\theta) = W^*\}` is a fibre of the map :math:`\theta \mapsto W(\theta)`.
At :math:`\theta` the image of its Jacobian J is :math:`\{\sum_i A_i\,\delta_i\,B_i\}` with
:math:`A_i = W_N\cdots W_{i+1}`, :math:`B_i = W_{i-1}\cdots W_1`, so J has full rank
:math:`d_Nd_0` unless some :math:`C \ne 0` has :math:`A_i^\top CB_i^\top = 0` for every i.

* :math:`W^*` of full rank, hidden widths :math:`\ge \min(d_0, d_N)`: J has full rank on all of
  M, a smooth manifold of dimension :math:`P - d_Nd_0` (C2).
* :math:`W^*` of rank :math:`r < \min(d_0, d_N)`: M is a singular variety.  Where
  :math:`\operatorname{rank}W_1 < d_0` and :math:`\operatorname{rank}W_N < d_N`, the matrix
  :math:`C = uv^\top` with :math:`W_N^\top u = 0`, :math:`W_1v = 0` satisfies every equation
  (:math:`A_i^\top u = 0` for :math:`i < N`, :math:`B_iv = 0` for :math:`i > 1`), so the rank of
  J drops: these are singular points of M.  For depth 2 they are all of them (the co-rank is
  exactly :math:`(d_N - \operatorname{rank}W_2)(d_0 - \operatorname{rank}W_1)`).  The balanced
  minimum, every layer of rank r, is one; so is every flattest minimum found with whitened data.

:func:`minima_variety` reports the rank of :math:`W^*`, the largest rank of J found on M (at the
balanced minimum and at random points of M), the dimension of M at its smooth points, and the
rank of J (numerical: singular values above ``1e-9`` times the largest) with the structural
criterion above at named points (the balanced and the flattest minimum).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._results import ResultMixin, jsonable
from ..._validation import describe
from ...errors import InvalidParameterError
from ...models import LinearNetwork
from .smin_variety import _rank, generic_jacobian_rank, jacobian_rank

__all__ = [
    "MinimaVariety",
    "VarietyPoint",
    "generic_jacobian_rank",
    "jacobian_rank",
    "minima_variety",
]


@dataclass(frozen=True, repr=False)
class VarietyPoint(ResultMixin):
    r"""A named point of M with the rank of the Jacobian of :math:`W(\theta)` there.

    Attributes
    ----------
    label : str
    point : ndarray (P,)
    jacobian_rank : int
        Numerical rank of J (singular values above ``1e-9`` times the largest).
    layer_ranks : tuple of int
        Numerical ranks of :math:`W_1, \dots, W_N`.
    singular : bool
        Whether the rank of J is below its largest value on M (:math:`d_Nd_0` unless a hidden
        layer is narrower than both :math:`d_0` and :math:`d_N`).
    structural : bool
        Whether :math:`\operatorname{rank}W_1 < d_0` and :math:`\operatorname{rank}W_N < d_N`
        (which makes the point singular for any depth, see the module docstring).
    """

    label: str
    point: NDArray[np.float64]
    jacobian_rank: int
    layer_ranks: tuple[int, ...]
    singular: bool
    structural: bool

    def __repr__(self) -> str:
        kind = "singular" if self.singular else "smooth"
        return f"VarietyPoint({self.label!r}, rank J = {self.jacobian_rank}, {kind})"

    def summary(self) -> str:
        kind = "singular point of M" if self.singular else "smooth point of M"
        return (
            f"{self.label}: rank J = {self.jacobian_rank}, layer ranks {self.layer_ranks}, {kind}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "point": jsonable(self.point),
            "jacobian_rank": self.jacobian_rank,
            "layer_ranks": list(self.layer_ranks),
            "singular": self.singular,
            "structural": self.structural,
        }


@dataclass(frozen=True, repr=False)
class MinimaVariety(ResultMixin):
    r"""The minima set M of a linear network: manifold or singular variety.

    Attributes
    ----------
    rank_w_star : int
        Numerical rank r of :math:`W^*`.
    full_rank : int
        :math:`d_Nd_0`, the rank of J at a smooth point.
    generic_rank : int
        Largest rank of J found on M.
    is_manifold : bool
        Whether M is a smooth manifold (:math:`W^*` of full rank; C2).
    dimension : int
        :math:`P -` ``generic_rank``: the dimension of M at its smooth points.
    singular_locus : str
        Where the rank of J drops on M.
    points : tuple of VarietyPoint
        The named points checked.
    """

    rank_w_star: int
    full_rank: int
    generic_rank: int
    is_manifold: bool
    dimension: int
    singular_locus: str
    points: tuple[VarietyPoint, ...] = field(default_factory=tuple)

    def __repr__(self) -> str:
        kind = "manifold" if self.is_manifold else "singular variety"
        return f"MinimaVariety(rank W* = {self.rank_w_star}, {kind}, dim {self.dimension})"

    def summary(self) -> str:
        kind = "smooth manifold" if self.is_manifold else "singular variety"
        lines = [
            f"minima set M             : {kind}, dimension {self.dimension} at smooth points",
            f"rank W*                  : {self.rank_w_star}",
            f"rank J on M              : {self.generic_rank} at most (full rank {self.full_rank})",
            f"singular points          : {self.singular_locus}",
        ]
        lines += [f"  {p.summary()}" for p in self.points]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank_w_star": self.rank_w_star,
            "full_rank": self.full_rank,
            "generic_rank": self.generic_rank,
            "is_manifold": self.is_manifold,
            "dimension": self.dimension,
            "singular_locus": self.singular_locus,
            "points": [p.to_dict() for p in self.points],
        }


def _point(
    net: LinearNetwork, label: str, theta: NDArray[np.float64], generic: int
) -> VarietyPoint:
    layers = net.unflatten(theta)
    ranks = tuple(_rank(L) for L in layers)
    rj = jacobian_rank(net, theta)
    d0, dN = net.widths[0], net.widths[-1]
    structural = ranks[0] < d0 and ranks[-1] < dN and net.depth >= 2
    return VarietyPoint(label, theta, rj, ranks, rj < generic, structural)


def minima_variety(net: LinearNetwork, *, samples: int = 8, seed: int = 0) -> MinimaVariety:
    r"""Describe the minima set of ``net``: manifold or singular variety, and where its
    singular points are (see the module docstring).

    Parameters
    ----------
    net : LinearNetwork
        With :math:`\Sigma_{xx} \succ 0`, :math:`W^* \ne 0` and hidden widths
        :math:`\ge \operatorname{rank}W^*` (:meth:`LinearNetwork.require_minima`).
    samples : int
        Random points of M (balanced minimum plus Gaussian perturbations projected onto M)
        at which the rank of J is measured to find its largest value on M.
    seed : int
        Seed of those points.

    Returns
    -------
    MinimaVariety
        With the balanced minimum and the flattest minimum as named points.

    Examples
    --------
    >>> import numpy as np
    >>> import dynsys_gd as dg
    >>> net = dg.LinearNetwork.from_covariances((2, 2, 2), Sxx=np.eye(2), Syx=np.diag([1.0, 0]))
    >>> v = dg.minima_variety(net)
    >>> v.is_manifold, v.rank_w_star, v.generic_rank, v.points[0].singular
    (False, 1, 4, True)
    """
    from ..._validation import check_int
    from .fixed_points import balanced_minimum
    from .sharpness import flattest_minimum

    if not isinstance(net, LinearNetwork):
        raise InvalidParameterError(f"net must be a LinearNetwork; got {describe(net)}")
    samples = check_int("samples", samples, minimum=0, maximum=10_000)
    net.require_minima()
    d0, dN = net.widths[0], net.widths[-1]
    r = net.target_rank
    base = balanced_minimum(net)
    flat = np.asarray(flattest_minimum(net).point)
    generic = max(
        generic_jacobian_rank(net, samples=samples, seed=seed),
        jacobian_rank(net, base),
        jacobian_rank(net, flat),
    )
    named = (
        _point(net, "balanced minimum", base, generic),
        _point(net, "flattest minimum", flat, generic),
    )
    manifold = r == min(d0, dN) and generic == d0 * dN
    if manifold:
        locus = "none (J has full rank on all of M)"
    elif generic < d0 * dN:
        locus = f"the points of M where rank J < {generic} (J never has full rank {d0 * dN} on M)"
    elif net.depth == 2:
        locus = "the points of M with rank W_1 < d_0 and rank W_2 < d_N (rank of J drops there)"
    else:
        locus = (
            "the points of M where rank J drops; among them every point with rank W_1 < d_0 "
            "and rank W_N < d_N"
        )
    return MinimaVariety(r, d0 * dN, generic, manifold, net.n_params - generic, locus, named)
