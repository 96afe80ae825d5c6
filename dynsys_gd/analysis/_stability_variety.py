r"""The stability report of a linear network whose minima set is a singular variety (private):
a rank-deficient :math:`W^*`, or a hidden layer narrower than :math:`\min(d_0, d_N)`
(docs/math/claims.md#c2, docs/math/claims.md#c5).

:math:`M = \{W(\theta) = W^*\}` is then not a manifold, but :math:`S_{\min}` over it is still
defined and attained (:func:`~dynsys_gd.numeric.landscape.sharpness.flattest_minimum`:
certified by the depth-2 SDP, numerical at depth :math:`\ge 3`), so the report is the usual
one with three differences:

* a line names M as a variety, with its dimension at smooth points and its singular points
  (:func:`~dynsys_gd.numeric.landscape.variety.minima_variety`);
* the sampled minima are the symmetry orbit of the flattest minimum (the layer symmetry keeps
  every layer's rank, so they stay on one stratum of M), and the report says so;
* the saddles are the balanced factorisations of :math:`P_IW^*` for the proper subsets I of
  the :math:`r = \operatorname{rank}W^*` eigenvectors of
  :math:`\Sigma_{yx}\Sigma_{xx}^{-1}\Sigma_{xy}` with non-zero eigenvalue (the critical values
  of a linear network; the other eigenvectors add nothing to :math:`W^*`).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ..errors import InvalidParameterError
from ..models import LinearNetwork

__all__ = ["minima_set", "variety_row", "variety_saddles"]


def minima_set(net: LinearNetwork, seed: int) -> Any:
    """None when M is a smooth manifold (C2) or the single point W* (depth 1, any rank); else its
    :class:`~dynsys_gd.numeric.landscape.variety.MinimaVariety`.  Refuses, before any work, a
    network without minima and :math:`W^* = 0` (then :math:`S_{\\min} = 0` and no step size is
    critical)."""
    if net.target_rank == 0 and not net.is_scalar and net.depth >= 2:
        net.require_minima()
        raise InvalidParameterError(
            "W* must be non-zero for a critical learning rate (W* = 0: theta = 0 is a minimum "
            "with H = 0, so S_min = 0 and eta* is infinite); got W* = 0"
        )
    if net.is_scalar and net.target_rank == 0:
        net.require_manifold()  # a scalar target 0 is refused as before
    if net.depth == 1:  # M = {W*}, a point, whatever the rank of W*
        net.require_minima()
        return None
    try:
        net.require_manifold()
        return None
    except InvalidParameterError:
        net.require_minima()  # unreachable W* (a hidden width below rank W*) is refused
    from ..numeric.landscape.variety import minima_variety

    return minima_variety(net, seed=seed)


def variety_saddles(net: LinearNetwork, *, max_points: int = 16) -> list[Any]:
    """Representative saddles when M is a variety (see the module docstring), polished by
    minimum-norm Newton."""
    from ..numeric.kernels import numeric_model
    from ..numeric.landscape.fixed_points import (
        CriticalPoint,
        balanced_factorisation,
        minimum_norm_newton,
    )

    Ws = net.W_star
    Syx = net.Syx
    lam, Q = np.linalg.eigh(Syx @ np.linalg.solve(net.Sxx, Syx.T))
    Q = Q[:, np.argsort(lam)[::-1]]
    r = net.target_rank
    out: list[tuple[np.ndarray, str]] = []
    for k in range(r):
        for I in itertools.combinations(range(r), k):
            if len(out) >= max_points:
                break
            Qi = Q[:, list(I)]
            theta = balanced_factorisation(net, Qi @ (Qi.T @ Ws), rank=k)
            label = "origin" if k == 0 else f"rank-{k} critical point, directions {list(I)}"
            out.append((theta, label))
    pts, _ = minimum_norm_newton(net, np.stack([p for p, _ in out]), tol=1e-13)
    g = np.linalg.norm(numeric_model(net).gradient(pts), axis=1)
    return [
        CriticalPoint(np.asarray(p, dtype=np.float64), label, "saddle", float(gn))
        for p, (_, label), gn in zip(pts, out, g, strict=True)
    ]


def variety_row(variety: Any, widths: tuple[int, ...]) -> str:
    """The summary's "minima set" text: M as a variety, its singular points and the named
    points checked (the balanced and the flattest minimum)."""
    k = min(widths[0], widths[-1])
    named = "; ".join(p.summary() for p in variety.points)
    return (
        f"not the manifold of C2 (rank W* = {variety.rank_w_star} < min(d_0, d_N) = {k}): a "
        f"variety of dimension {variety.dimension} at its smooth points, rank J <= "
        f"{variety.generic_rank} on M; singular points: {variety.singular_locus}; {named}"
    )
