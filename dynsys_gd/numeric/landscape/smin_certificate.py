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
from ...errors import InvalidParameterError
from ...models import LinearNetwork

__all__ = ["DeepSminCertificate", "exact_point_near", "exact_upper_bound"]


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
        The search stopped splitting boxes whose bound reached it (the product-vector bound
        has no search: ``upper``).
    reached_goal : bool
        Whether ``lower >= goal`` (else the box budget ran out first).
    boxes : int
        Boxes evaluated (0 for the product-vector bound).
    method : str
        How the bounds were obtained.
    direction : ndarray (d_0,) or None
        The vector x of the product-vector lower bound
        (:mod:`dynsys_gd.numeric.landscape.smin_deep`); None for the branch and bound.
    """

    lower: Fraction
    upper: Fraction
    value: float
    point: NDArray[np.float64]
    goal: float
    reached_goal: bool
    boxes: int
    method: str
    direction: NDArray[np.float64] | None = None

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
            f"width {self.width:.1e}"
            + (f", {self.boxes} boxes)" if self.direction is None else ")")
        )

    def summary(self) -> str:
        return "\n".join(
            [
                f"S_min in [{float(self.lower):.16g}, {float(self.upper):.16g}] (certified)",
                f"width          : {self.width:.2e} (relative {self.relative_width:.2e})",
                f"numerical value: {self.value:.15g}",
                *(
                    [
                        f"goal           : {self.goal:.12g} "
                        f"({'reached' if self.reached_goal else 'not reached'})",
                        f"boxes          : {self.boxes}",
                    ]
                    if self.direction is None
                    else [f"direction x    : {np.array2string(self.direction, precision=6)}"]
                ),
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
            "direction": None if self.direction is None else jsonable(self.direction),
        }


def _fq(x: Fraction) -> Any:
    import flint

    return flint.fmpq(x.numerator, x.denominator)


def _frac(q: Any) -> Fraction:
    return Fraction(int(q.p), int(q.q))


def _exact_w_star(net: LinearNetwork) -> Any:
    r""":math:`W^* = \Sigma_{yx}\Sigma_{xx}^{-1}` as an exact ``fmpq_mat``."""
    import flint

    net.require_minima()
    S = flint.fmpq_mat([[_fq(x) for x in r] for r in net.Sxx_exact])
    Y = flint.fmpq_mat([[_fq(x) for x in r] for r in net.Syx_exact])
    return Y * S.inv()


#: relative smallest singular value below which an end product counts as rank-deficient
WELL_CONDITIONED = 1e-9


def _rel_sigma_min(M: Any) -> float:
    """sigma_min / sigma_max of an ``fmpq_mat`` in floats (0 for a zero matrix)."""
    s = np.linalg.svd(
        np.array([[float(_frac(M[i, j])) for j in range(M.ncols())] for i in range(M.nrows())]),
        compute_uv=False,
    )
    return float(s[-1] / s[0]) if s[0] > 0 else 0.0


def _ends(layers: list[Any], k: int) -> tuple[Any, Any]:
    """(A, B) = (W_N...W_{k+2}, W_k...W_1) around the layer ``layers[k]`` (0-based), identity
    matrices at the ends (exact)."""
    import flint

    A = flint.fmpq_mat(layers[-1].nrows(), layers[-1].nrows())
    for i in range(A.nrows()):
        A[i, i] = 1
    for L in reversed(layers[k + 1 :]):
        A = A * L
    B = flint.fmpq_mat(layers[0].ncols(), layers[0].ncols())
    for i in range(B.nrows()):
        B[i, i] = 1
    for L in layers[:k]:
        B = L * B
    return A, B


def _layer_to_correct(Ws: Any, layers: list[Any]) -> int | None:
    """The layer whose exact correction is best conditioned: A = product above it of full row
    rank, B = product below it of full column rank, largest min(relative smallest singular
    values); None when no layer qualifies (or all are nearly singular and W* is
    rank-deficient: then :func:`_rank_factor_layers`)."""
    best, best_c = None, -1.0
    for k in reversed(range(len(layers))):
        A, B = _ends(layers, k)
        if A.nrows() > A.ncols() or B.ncols() > B.nrows():
            continue
        if (A * A.transpose()).det() == 0 or (B.transpose() * B).det() == 0:
            continue
        c = min(_rel_sigma_min(A), _rel_sigma_min(B))
        if c > best_c:
            best, best_c = k, c
    if best_c < WELL_CONDITIONED and Ws.rank() < min(Ws.nrows(), Ws.ncols()):
        return None
    return best


def exact_point_near(net: LinearNetwork, theta: Any) -> list[Fraction]:
    r"""An exact rational point of M next to the float point ``theta`` (close to M): one layer
    corrected, :math:`W_k \leftarrow W_k + A^+(W^* - AW_kB)B^+` with
    :math:`A = W_N\cdots W_{k+1}` of full row rank and :math:`B = W_{k-1}\cdots W_1` of full
    column rank (:math:`A^+ = A^\top(AA^\top)^{-1}`, :math:`B^+ = (B^\top B)^{-1}B^\top`, so
    :math:`AA^+ = I = B^+B` and the product is exactly :math:`W^*`); k is the layer with the best
    conditioned A and B (a flattest minimum with :math:`d_0 > d_N` has a nearly rank-deficient
    :math:`W_{N-1}\cdots W_1`, and one of a rank-deficient :math:`W^*` nearly rank-deficient end
    products).  With no such layer, or only nearly singular ones (relative smallest singular
    value below :data:`WELL_CONDITIONED`) for a rank-deficient :math:`W^*`,
    :func:`_rank_factor_layers` (exact rational arithmetic)."""
    import flint

    Ws = _exact_w_star(net)
    layers = [
        flint.fmpq_mat([[_fq(Fraction(float(v))) for v in row] for row in L.tolist()])
        for L in net.unflatten(np.asarray(theta, dtype=np.float64))
    ]
    N = net.depth
    if N == 1:
        return [_frac(Ws[i, j]) for i in range(Ws.nrows()) for j in range(Ws.ncols())]
    k = _layer_to_correct(Ws, layers)
    if k is None:
        layers = _rank_factor_layers(Ws, layers, net.unflatten(np.asarray(theta)))
    else:
        A, B = _ends(layers, k)
        # W_k + A^+ (W* - A W_k B) B^+ with A A^+ = I and B^+ B = I: the product is W*
        Ap = A.transpose() * (A * A.transpose()).inv()
        Bp = (B.transpose() * B).inv() * B.transpose()
        layers[k] = layers[k] + Ap * (Ws - A * layers[k] * B) * Bp
    return [_frac(L[i, j]) for L in layers for i in range(L.nrows()) for j in range(L.ncols())]


def _rank_factor_layers(Ws: Any, layers: list[Any], floats: list[Any]) -> list[Any]:
    r"""Exact layers with :math:`W_N\cdots W_1 = W^*` when neither end product has full rank
    (a rank-deficient :math:`W^*`): :math:`W^* = CD` exactly (D the non-zero rows of the reduced
    row echelon form, C the pivot columns, rank r), :math:`W_1 \leftarrow KD` with
    :math:`K = W_1D^+` rounded, and :math:`W_N \leftarrow W_N + (C - W_NB)(B^\top B)^{-1}
    B^\top` with :math:`B = W_{N-1}\cdots W_2K` (:math:`h \times r`), so
    :math:`W_NB = C` and the product is :math:`CD = W^*`."""
    import flint

    R, r = Ws.rref()
    d0 = Ws.ncols()
    piv = [next(j for j in range(d0) if R[i, j] != 0) for i in range(r)]
    D = flint.fmpq_mat([[R[i, j] for j in range(d0)] for i in range(r)])
    C = flint.fmpq_mat([[Ws[a, j] for j in piv] for a in range(Ws.nrows())])
    Df = np.array([[float(_frac(D[i, j])) for j in range(d0)] for i in range(r)])
    Kf = np.asarray(floats[0], dtype=np.float64) @ np.linalg.pinv(Df)
    K = flint.fmpq_mat([[_fq(Fraction(float(v))) for v in row] for row in Kf.tolist()])
    out = list(layers)
    out[0] = K * D
    B = K
    for L in out[1:-1]:
        B = L * B
    G = B.transpose() * B
    if G.det() == 0:
        raise InvalidParameterError(
            "theta must be close to a point of M whose layers keep the rank of W*; got one "
            "where W_(N-1)...W_1 loses it"
        )
    out[-1] = out[-1] + (C - out[-1] * B) * G.inv() * B.transpose()
    return out


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


def exact_upper_bound(
    net: LinearNetwork, point: NDArray[np.float64]
) -> tuple[Fraction, NDArray[np.float64], float]:
    """(certified upper bound of S_min, the point of M behind it, lambda_max there in floats),
    from the exact point of M near ``point`` (e.g. the flattest minimum's)."""
    from ..kernels import numeric_model
    from .enclosures import certified_spectrum, exact_hessian

    exact = _exact_point(net, point)
    up = certified_spectrum(exact_hessian(net, exact)).upper
    pt = np.array([float(x) for x in exact])
    H = numeric_model(net).hessian(pt[None])[0]
    return up, pt, float(np.linalg.eigvalsh(0.5 * (H + H.T))[-1])
