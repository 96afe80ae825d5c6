r"""Deep linear networks with the squared loss.

A deep linear network :math:`W(\theta) = W_N \cdots W_1` with
:math:`W_i \in \mathbb{R}^{d_i \times d_{i-1}}` and the squared loss of docs/math/setting.md,

  .. math::
     L(\theta) = \frac{1}{2n} \sum_k \lVert W(\theta) x_k - y_k \rVert^2
               = \tfrac12 \operatorname{tr}(W \Sigma_{xx} W^\top) - \operatorname{tr}(W \Sigma_{xy})
                 + \tfrac12 \operatorname{tr} \Sigma_{yy},

  with :math:`\Sigma_{xx} = X^\top X / n`, :math:`\Sigma_{yx} = Y^\top X / n`.  When
  :math:`\Sigma_{xx} \succ 0` and :math:`W^* = \Sigma_{yx}\Sigma_{xx}^{-1}`, this is
  :math:`\tfrac12 \operatorname{tr}((W - W^*)\Sigma_{xx}(W - W^*)^\top) + L^*`.

Parameters of a linear network are flattened as :math:`\theta = (\operatorname{vec} W_1, \dots,
\operatorname{vec} W_N)` with each :math:`W_i` vectorised row-major (C order).

Loss conventions are described in :mod:`dynsys_gd.models.conventions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from .._validation import (
    check_choice,
    check_finite_matrix,
    check_int,
    check_magnitude,
    check_nonnegative_float,
    check_target,
    describe,
)
from ..errors import InvalidParameterError
from .conventions import CONVENTIONS, convention_factor
from .protocol import kernels_of

#: largest network accepted: parameters and depth (the closed-form Hessian needs P^2 numbers)
MAX_PARAMS = 10**6
MAX_DEPTH = 1000
#: Relative tolerance for the symmetry of a given Sxx: max|Sxx - Sxx^T| <= SYMMETRY_RTOL *
#: max(1, max|Sxx|) is accepted (and symmetrised); Q diag Q^T in float64 is off by ~1e-16.
SYMMETRY_RTOL = 1e-10


def _check_widths(widths: Any) -> tuple[int, ...]:
    if isinstance(widths, str | bytes) or not isinstance(widths, Sequence | np.ndarray):
        raise InvalidParameterError(
            f"widths must be a sequence of at least two ints >= 1; got {describe(widths)}"
        )
    ws = list(widths)
    if len(ws) < 2:
        raise InvalidParameterError(
            f"widths must be a sequence of at least two ints >= 1 (d_0, ..., d_N); got {ws!r}"
        )
    if len(ws) - 1 > MAX_DEPTH:
        raise InvalidParameterError(
            f"widths must describe a depth <= {MAX_DEPTH}; got depth {len(ws) - 1}"
        )
    out = []
    for i, w in enumerate(ws):
        out.append(check_int(f"widths[{i}]", w, minimum=1))
    n_params = sum(a * b for a, b in zip(out[1:], out[:-1], strict=True))
    if n_params > MAX_PARAMS:
        raise InvalidParameterError(
            f"widths must give at most {MAX_PARAMS} parameters; got {n_params} for widths "
            f"{tuple(out)}"
        )
    return tuple(out)


def _to_float_and_exact(M: Sequence[Sequence[Fraction]]) -> NDArray[np.float64]:
    return np.array([[float(x) for x in row] for row in M], dtype=np.float64)


def _exact_positive_definite(M: Sequence[Sequence[Fraction]]) -> bool:
    """Sylvester's criterion by exact Gaussian elimination without pivoting: a symmetric
    matrix is positive definite iff every pivot is positive."""
    A = [list(row) for row in M]
    n = len(A)
    for k in range(n):
        pivot = A[k][k]
        if pivot <= 0:
            return False
        for i in range(k + 1, n):
            f = A[i][k] / pivot
            if f:
                row_k, row_i = A[k], A[i]
                for j in range(k + 1, n):
                    row_i[j] -= f * row_k[j]
    return True


def _check_trace_Syy(tr: float, Sxx: NDArray[np.float64], Syx: NDArray[np.float64]) -> None:
    r"""Refuse a ``trace_Syy`` below :math:`\operatorname{tr}(\Sigma_{yx}\Sigma_{xx}^{+}
    \Sigma_{yx}^\top)`: the least-squares residual, hence every loss value, would be negative,
    which no data set gives (the Schur complement of a covariance matrix is PSD)."""
    with np.errstate(all="ignore"):
        fit = float(np.trace(Syx @ np.linalg.pinv(Sxx, hermitian=True) @ Syx.T))
    if np.isfinite(fit) and tr < fit - 1e-9 * max(1.0, abs(fit)):
        raise InvalidParameterError(
            f"trace_Syy must be >= tr(Syx Sxx^+ Syx^T) = {fit:.6g} (else the minimum loss is "
            f"negative, which no data set gives); got {tr:g}"
        )


@dataclass(frozen=True, eq=False)
class LinearNetwork:
    r"""A deep linear network with squared loss (docs/math/setting.md).

    Build one with :meth:`scalar`, from data with ``LinearNetwork(widths, X=X, Y=Y)``, or from
    second moments with :meth:`from_covariances`.

    Parameters
    ----------
    widths : sequence of int
        :math:`(d_0, \dots, d_N)`; depth :math:`N = \text{len(widths)} - 1 \ge 1`.
    X : array_like, shape (n, d_0)
        Inputs, samples as rows.
    Y : array_like, shape (n, d_N)
        Targets, samples as rows.
    convention : str
        The loss to study (see :data:`CONVENTIONS`); the default is
        :math:`\frac{1}{2n}\sum_k\lVert W x_k - y_k\rVert^2`.  Another convention is
        :math:`c L` and is represented exactly by scaling the stored moments by :math:`c`.

    Notes
    -----
    The model stores :math:`\Sigma_{xx}`, :math:`\Sigma_{yx}` (and :math:`\operatorname{tr}
    \Sigma_{yy}` when known) both as float64 arrays and as exact rationals (floats are taken at
    their exact binary value), so exact certificates (C1, C2) use exactly the user's numbers.

    Raises
    ------
    InvalidParameterError
        Before any work, for bad widths, non-finite data, ``X`` and ``Y`` with different
        numbers of rows or columns that do not match the widths, a singular
        :math:`\Sigma_{xx}`, or an unknown convention.

    Examples
    --------
    >>> import numpy as np
    >>> import dynsys_gd as dg
    >>> dg.LinearNetwork.scalar(depth=3, target=2.0).n_params  # 1/2 (w1 w2 w3 - 2)^2
    3
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # three samples as rows
    >>> Y = X @ np.array([[1.5, 0.3], [-0.2, 0.7]]).T
    >>> net = dg.LinearNetwork(widths=(2, 3, 2), X=X, Y=Y)
    >>> net.depth, net.n_params
    (2, 12)
    >>> np.round(net.W_star, 6).tolist()  # W* = Syx Sxx^-1
    [[1.5, 0.3], [-0.2, 0.7]]
    """

    if TYPE_CHECKING:  # set in __post_init__ / __init__ with object.__setattr__ (frozen)
        _cache: dict[str, Any]

    widths: tuple[int, ...]
    Sxx: NDArray[np.float64]
    Syx: NDArray[np.float64]
    trace_Syy: float | None
    Sxx_exact: tuple[tuple[Fraction, ...], ...]
    Syx_exact: tuple[tuple[Fraction, ...], ...]
    convention: str = "mean_half"
    name: str = ""

    # -- constructors ---------------------------------------------------------------------------
    def __init__(
        self, widths: Sequence[int], X: Any = None, Y: Any = None, *, convention: str = "mean_half"
    ) -> None:
        ws = _check_widths(widths)
        check_choice("convention", convention, tuple(CONVENTIONS))
        if X is None or Y is None:
            raise InvalidParameterError(
                "X and Y must both be given (samples as rows); use LinearNetwork.scalar or "
                "LinearNetwork.from_covariances for other ways to build a network; got "
                f"X={describe(X)}, Y={describe(Y)}"
            )
        Xf, Xe = check_finite_matrix("X", X, shape=(None, ws[0]))
        Yf, Ye = check_finite_matrix("Y", Y, shape=(None, ws[-1]))
        n = Xf.shape[0]
        if Yf.shape[0] != n:
            raise InvalidParameterError(
                f"X and Y must have the same number of rows (samples); got X with {n} rows and "
                f"Y with {Yf.shape[0]} rows"
            )
        c = convention_factor(convention, n)
        d0, dN = ws[0], ws[-1]
        Sxx = [
            [c * sum((Xe[k][a] * Xe[k][b] for k in range(n)), Fraction(0)) / n for b in range(d0)]
            for a in range(d0)
        ]
        Syx = [
            [c * sum((Ye[k][a] * Xe[k][b] for k in range(n)), Fraction(0)) / n for b in range(d0)]
            for a in range(dN)
        ]
        trYY = c * sum((Ye[k][a] ** 2 for k in range(n) for a in range(dN)), Fraction(0)) / n
        self._set(ws, Sxx, Syx, trYY, convention, f"data n={n}")

    def _set(
        self,
        ws: tuple[int, ...],
        Sxx: list[list[Fraction]],
        Syx: list[list[Fraction]],
        trYY: Fraction | None,
        convention: str,
        name: str,
    ) -> None:
        object.__setattr__(self, "widths", ws)
        object.__setattr__(self, "Sxx_exact", tuple(tuple(r) for r in Sxx))
        object.__setattr__(self, "Syx_exact", tuple(tuple(r) for r in Syx))
        Sxx_f = _to_float_and_exact(Sxx)
        Syx_f = _to_float_and_exact(Syx)
        Sxx_f.setflags(write=False)
        Syx_f.setflags(write=False)
        object.__setattr__(self, "Sxx", Sxx_f)
        object.__setattr__(self, "Syx", Syx_f)
        object.__setattr__(self, "trace_Syy_exact", trYY)
        object.__setattr__(self, "trace_Syy", None if trYY is None else float(trYY))
        object.__setattr__(self, "convention", convention)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "_cache", {})

    @classmethod
    def scalar(cls, depth: int, target: Any = 1.0) -> LinearNetwork:
        r"""Scalar network :math:`L(w) = \tfrac12 (w_1 \cdots w_N - y)^2` (one datum x = 1).

        Parameters
        ----------
        depth : int
            :math:`N \ge 1`.
        target : float
            :math:`y`.  ``target = 0`` is a valid loss, but its minima set
            :math:`\{\prod w_i = 0\}` is not a manifold, so analyses of M refuse it.
        """
        N = check_int("depth", depth, minimum=1, maximum=MAX_DEPTH)
        check_magnitude("target", target)  # y^2 and y^(2-2/N) stay normal floats
        _, ye = check_finite_matrix("target", [[target]])
        y = ye[0][0]
        net = cls.__new__(cls)
        net._set(
            (1,) * (N + 1),
            [[Fraction(1)]],
            [[y]],
            y * y,
            "mean_half",
            f"scalar depth={N} target={float(y):g}",
        )
        return net

    @classmethod
    def from_covariances(
        cls,
        widths: Sequence[int],
        *,
        Sxx: Any,
        Syx: Any,
        trace_Syy: Any = None,
        convention: str = "mean_half",
    ) -> LinearNetwork:
        r"""Network from second moments :math:`\Sigma_{xx}` (d_0 × d_0, symmetric PSD) and
        :math:`\Sigma_{yx}` (d_N × d_0).

        ``trace_Syy`` (optional) fixes the additive constant of the loss; when omitted and
        :math:`\Sigma_{xx} \succ 0`, the constant is chosen so that the global minimum value is 0.
        ``convention`` names the loss to study: ``"mean"`` (:math:`\frac1n\sum\lVert\cdot
        \rVert^2`) is :math:`2L`, represented exactly by doubling the stored moments, so every
        sharpness and critical step size then refers to that loss.  Conventions that need the
        sample count (``"sum"``, ``"half_sum"``) are only accepted with data (X, Y).

        ``Sxx`` may be symmetric up to rounding (e.g. :math:`Q\,\mathrm{diag}\,Q^\top`
        computed in floating point): it is replaced by :math:`(\Sigma_{xx} +
        \Sigma_{xx}^\top)/2`, exactly.  An asymmetry :math:`\max|\Sigma_{xx} -
        \Sigma_{xx}^\top|` above :data:`SYMMETRY_RTOL` (1e-10) times
        :math:`\max(1, \max|\Sigma_{xx}|)` is refused.
        """
        ws = _check_widths(widths)
        check_choice("convention", convention, tuple(CONVENTIONS))
        Sf, Se = check_finite_matrix("Sxx", Sxx, shape=(ws[0], ws[0]))
        _, Ye = check_finite_matrix("Syx", Syx, shape=(ws[-1], ws[0]))
        d0 = ws[0]
        asym = max(
            (abs(Se[a][b] - Se[b][a]) for a in range(d0) for b in range(a)), default=Fraction(0)
        )
        if asym:
            scale = max(Fraction(1), max(abs(x) for r in Se for x in r))
            if asym > Fraction(SYMMETRY_RTOL) * scale:
                raise InvalidParameterError(
                    f"Sxx must be symmetric up to max|Sxx - Sxx^T| <= {SYMMETRY_RTOL:g} * "
                    f"max(1, max|Sxx|) = {float(Fraction(SYMMETRY_RTOL) * scale):.3g}; got "
                    f"max|Sxx - Sxx^T| = {float(asym):.3g}"
                )
            Se = [[(Se[a][b] + Se[b][a]) / 2 for b in range(d0)] for a in range(d0)]
            Sf = np.array([[float(x) for x in r] for r in Se], dtype=np.float64)
        eig_min = float(np.linalg.eigvalsh(Sf).min())
        if eig_min < -1e-12 * max(1.0, float(np.abs(Sf).max())):
            raise InvalidParameterError(
                f"Sxx must be positive semi-definite; got smallest eigenvalue {eig_min:.3g}"
            )
        tr: Fraction | None = None
        if trace_Syy is not None:
            check_nonnegative_float("trace_Syy", trace_Syy)  # a sum of squares
            tr = check_finite_matrix("trace_Syy", [[trace_Syy]])[1][0][0]
            _check_trace_Syy(float(tr), Sf, np.array([[float(x) for x in r] for r in Ye]))
        c = convention_factor(convention, 1) if convention in ("mean_half", "mean") else None
        if c is None:
            raise InvalidParameterError(
                "convention must be 'mean_half' or 'mean' for covariances (the sample count is "
                f"not known); got {convention!r}"
            )
        net = cls.__new__(cls)
        net._set(
            ws,
            [[c * x for x in r] for r in Se],
            [[c * x for x in r] for r in Ye],
            None if tr is None else c * tr,
            convention,
            "covariances",
        )
        return net

    # -- shape information ----------------------------------------------------------------------
    @property
    def depth(self) -> int:
        """Number of layers :math:`N`."""
        return len(self.widths) - 1

    @property
    def layer_shapes(self) -> tuple[tuple[int, int], ...]:
        r"""Shapes :math:`(d_i, d_{i-1})` of :math:`W_1, \dots, W_N`."""
        w = self.widths
        return tuple((w[i + 1], w[i]) for i in range(self.depth))

    @property
    def n_params(self) -> int:
        r""":math:`P = \sum_i d_i d_{i-1}`."""
        return sum(a * b for a, b in self.layer_shapes)

    @property
    def offsets(self) -> tuple[int, ...]:
        """Start index of each layer in the flat parameter vector (length N + 1)."""
        out = [0]
        for a, b in self.layer_shapes:
            out.append(out[-1] + a * b)
        return tuple(out)

    @property
    def is_scalar(self) -> bool:
        """True when every width is 1."""
        return all(w == 1 for w in self.widths)

    # -- data-derived quantities ---------------------------------------------------------------
    @property
    def Sxx_is_definite(self) -> bool:
        r"""Whether :math:`\Sigma_{xx} \succ 0`.

        Decided from the float64 spectrum when it is far from singular: the computed eigenvalues
        of a symmetric matrix are within :math:`c\,d\,\epsilon\lVert\Sigma_{xx}\rVert_2` of the
        exact ones, so :math:`\lambda_{\min} > 100\,d\,\epsilon\lVert\Sigma_{xx}\rVert_2`
        decides "definite" and :math:`\lambda_{\min} < -100\,d\,\epsilon\lVert\Sigma_{xx}\rVert_2`
        decides "not definite".  In between, exact elimination over the rationals decides (all
        pivots of Gaussian elimination without pivoting positive, i.e. Sylvester's criterion).
        """
        key = "Sxx_definite"
        if key not in self._cache:
            d = self.Sxx.shape[0]
            lam = np.linalg.eigvalsh(self.Sxx)
            margin = 100.0 * d * np.finfo(np.float64).eps * float(np.max(np.abs(lam)))
            if lam[0] > margin:
                self._cache[key] = True
            elif lam[0] < -margin:
                self._cache[key] = False
            else:
                self._cache[key] = _exact_positive_definite(self.Sxx_exact)
        return bool(self._cache[key])

    @property
    def W_star(self) -> NDArray[np.float64]:
        r""":math:`W^* = \Sigma_{yx}\Sigma_{xx}^{-1}` (d_N × d_0).

        Raises
        ------
        InvalidParameterError
            If :math:`\Sigma_{xx}` is singular (then W* is not defined).
        """
        if "W_star" not in self._cache:  # read-only moments: solved once per network
            self._require_definite()
            W = np.asarray(np.linalg.solve(self.Sxx.T, self.Syx.T).T, dtype=np.float64)
            self._cache["W_star"] = W
        out: NDArray[np.float64] = self._cache["W_star"].copy()
        return out

    @property
    def target(self) -> float:
        """For scalar networks: :math:`w^* = \\sigma_{yx}/\\sigma_{xx}`."""
        if not self.is_scalar:
            raise InvalidParameterError(
                f"target is defined for scalar networks only; got widths {self.widths}"
            )
        return float(self.W_star[0, 0])

    def _require_definite(self) -> None:
        if not self.Sxx_is_definite:
            ev = float(np.linalg.eigvalsh(self.Sxx).min())
            raise InvalidParameterError(
                "Sxx must be positive definite to define W* = Syx Sxx^-1; got a singular Sxx "
                f"(smallest eigenvalue {ev:.3g})"
            )

    @property
    def loss_offset(self) -> float:
        r"""Additive constant :math:`\tfrac12 \operatorname{tr}\Sigma_{yy}` of the loss.

        When :math:`\operatorname{tr}\Sigma_{yy}` is unknown (covariances without it), the
        constant :math:`\tfrac12 \operatorname{tr}(W^*\Sigma_{xx}W^{*\top})` that makes the
        minimum 0 is used (or 0 if :math:`\Sigma_{xx}` is singular).
        """
        if self.trace_Syy is not None:
            return 0.5 * self.trace_Syy
        if self.Sxx_is_definite:
            Ws = self.W_star
            return 0.5 * float(np.trace(Ws @ self.Sxx @ Ws.T))
        return 0.0

    @property
    def target_rank(self) -> int:
        r"""Numerical rank of :math:`W^*` (singular values above :math:`10^{-12}\sigma_1`)."""
        key = "target_rank"
        if key not in self._cache:
            s = np.linalg.svd(self.W_star, compute_uv=False)
            self._cache[key] = int(np.sum(s > 1e-12 * float(s[0]))) if s[0] > 0 else 0
        return int(self._cache[key])

    def require_minima(self) -> None:
        r"""Raise unless the minima set :math:`M = \{W(\theta) = W^*\}` is non-empty
        (docs/math/claims.md#c5).

        Needs :math:`\Sigma_{xx} \succ 0` and every hidden width
        :math:`\ge \operatorname{rank} W^*`.  A rank-deficient :math:`W^*` is accepted: M is
        then a singular variety (:func:`~dynsys_gd.numeric.landscape.variety.minima_variety`),
        on which :math:`S_{\min}` is still attained; :math:`W^* = 0` too (then
        :math:`\theta = 0 \in M` has :math:`H = 0` for depth :math:`\ge 2`, so
        :math:`S_{\min} = 0`).
        """
        self._require_definite()
        r = self.target_rank
        hidden = self.widths[1:-1]
        if any(h < r for h in hidden):
            raise InvalidParameterError(
                f"hidden widths must be >= rank W* = {r} for W* to be reachable; got "
                f"widths {self.widths}"
            )

    def require_manifold(self) -> None:
        r"""Raise unless the minima set M = {W(θ) = W*} is a smooth manifold
        (docs/math/claims.md#c2).

        Needs :math:`\Sigma_{xx} \succ 0`, :math:`W^*` of full rank and every hidden width
        :math:`\ge \min(d_0, d_N)`.  Analyses of :math:`S_{\min}` need only
        :meth:`require_minima` (a rank-deficient :math:`W^*` makes M a singular variety).
        """
        self._require_definite()
        Ws = self.W_star
        if "rank_W_star" not in self._cache:
            self._cache["rank_W_star"] = int(np.linalg.matrix_rank(Ws))
        r = int(self._cache["rank_W_star"])
        k = min(self.widths[0], self.widths[-1])
        if r < k:
            if self.is_scalar:
                check_target(float(Ws[0, 0]))  # raises: rank 0 means target 0
            raise InvalidParameterError(
                f"W* must have full rank {k} for the minima set to be a manifold; got rank {r}"
            )
        hidden = self.widths[1:-1]
        if any(h < k for h in hidden):
            raise InvalidParameterError(
                f"hidden widths must be >= min(d_0, d_N) = {k} for W* to be reachable; got "
                f"widths {self.widths}"
            )

    # -- parameter vectors ---------------------------------------------------------------------
    def unflatten(self, theta: NDArray[Any]) -> list[NDArray[Any]]:
        """Split parameters (..., P) into the layers W_1..W_N of shape (..., d_i, d_{i-1})."""
        theta = np.asarray(theta)
        if theta.shape[-1] != self.n_params:
            raise InvalidParameterError(
                f"theta must have last axis of length n_params = {self.n_params}; got shape "
                f"{theta.shape}"
            )
        o = self.offsets
        lead = theta.shape[:-1]
        return [
            theta[..., o[i] : o[i + 1]].reshape(*lead, a, b)
            for i, (a, b) in enumerate(self.layer_shapes)
        ]

    def flatten(self, layers: Sequence[NDArray[Any]]) -> NDArray[Any]:
        """Inverse of :meth:`unflatten`."""
        if len(layers) != self.depth:
            raise InvalidParameterError(
                f"layers must hold depth = {self.depth} matrices; got {len(layers)}"
            )
        parts = []
        for i, (L, shape) in enumerate(zip(layers, self.layer_shapes, strict=True)):
            L = np.asarray(L)
            if L.shape[-2:] != shape:
                raise InvalidParameterError(
                    f"layers[{i}] must have shape {shape}; got {L.shape[-2:]}"
                )
            parts.append(L.reshape(*L.shape[:-2], shape[0] * shape[1]))
        return np.concatenate(parts, axis=-1)

    # -- the model protocol (docs/models.md): batched kernels of the numeric layer ---------------
    def loss(self, theta: Any) -> NDArray[Any]:
        r"""Loss :math:`L(\theta)` in the network's convention, shape ``(batch,)`` (or a
        scalar for one point ``(P,)``); closed-form kernels, no sympy."""
        return kernels_of(self).loss(theta)

    def gradient(self, theta: Any) -> NDArray[Any]:
        r""":math:`\nabla L(\theta)`, shape ``(batch, P)`` (or ``(P,)`` for one point)."""
        return kernels_of(self).gradient(theta)

    def hessian(self, theta: Any) -> NDArray[Any]:
        r""":math:`\nabla^2 L(\theta)`, shape ``(batch, P, P)`` (or ``(P, P)``)."""
        return kernels_of(self).hessian(theta)

    def hvp(self, theta: Any, v: Any) -> NDArray[Any]:
        r"""Hessian-vector product :math:`\nabla^2 L(\theta)\,v`, shape of ``theta``."""
        return kernels_of(self).hvp(theta, v)

    def fingerprint(self) -> str:
        """SHA-256 of everything that defines the loss (widths, exact moments, convention), so
        stored results can be matched to the exact network that produced them."""
        import hashlib

        text = repr(
            (
                "LinearNetwork",
                self.widths,
                self.Sxx_exact,
                self.Syx_exact,
                getattr(self, "trace_Syy_exact", None),
                self.convention,
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()

    def __repr__(self) -> str:
        return f"LinearNetwork(widths={self.widths}, {self.name}, convention={self.convention!r})"
