r"""Small multilayer perceptrons with exact batched gradients and Hessian-vector products.

The network with widths :math:`(d_0, \dots, d_L)` and activation :math:`\sigma` is

.. math::
   f_\theta(x) = W_L\,\sigma(\cdots \sigma(W_1 x + b_1) \cdots) + b_L,

with squared loss in the project's convention (docs/math/setting.md, §5)

.. math::
   L(\theta) = \frac{1}{2n} \sum_{k=1}^n \lVert f_\theta(x_k) - y_k \rVert^2 .

Parameters are laid out as :math:`\theta = (\operatorname{vec} W_1, b_1, \dots,
\operatorname{vec} W_L, b_L)` with each :math:`W_i \in \mathbb R^{d_i \times d_{i-1}}` flattened
row-major (biases only with ``bias=True``).  Without biases and with the ``"identity"``
activation this is exactly the layout of :class:`~dynsys_gd.models.LinearNetwork`, and
the loss is the same function of θ.

Every kernel is batched over a stack of parameter vectors ``theta`` of shape ``(B, P)``:
forward pass :math:`z_i = a_{i-1} W_i^\top + b_i`, :math:`a_i = \sigma(z_i)`, backpropagation
:math:`\delta_L = (f - Y)/n`, :math:`\delta_{i-1} = (\delta_i W_i) \odot \sigma'(z_{i-1})`,
:math:`\nabla_{W_i} L = \delta_i^\top a_{i-1}`; the exact Hessian-vector product
:math:`H(\theta) v` is the Pearlmutter R-operator (forward-over-reverse): the directional
derivative :math:`\mathcal R\{\cdot\} = \tfrac{d}{dt}\,\cdot\,(\theta + t v)|_{t=0}` pushed
through the forward pass and the backward pass,

.. math::
   \mathcal R\{z_i\} &= \mathcal R\{a_{i-1}\} W_i^\top + a_{i-1} V_i^\top + c_i, \qquad
   \mathcal R\{a_i\} = \sigma'(z_i) \odot \mathcal R\{z_i\},\\
   \mathcal R\{\delta_{i-1}\} &= (\mathcal R\{\delta_i\} W_i + \delta_i V_i) \odot \sigma'(z_{i-1})
   + (\delta_i W_i) \odot \sigma''(z_{i-1}) \odot \mathcal R\{z_{i-1}\},\\
   \mathcal R\{\nabla_{W_i} L\} &= \mathcal R\{\delta_i\}^\top a_{i-1}
   + \delta_i^\top \mathcal R\{a_{i-1}\}.

The dense Hessian is assembled from HVPs on the basis vectors (small P only).  These kernels
feed the GD experiments on non-linear networks (docs/math/nonlinear.md, docs/math/claims.md#c7,
docs/math/claims.md#c8) and the Lanczos sharpness of
:mod:`dynsys_gd.numeric.landscape.lanczos`.  For ReLU, :math:`\sigma'' = 0` and the kernels are the
exact
derivatives away from the kinks :math:`z = 0`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._limits import check_params
from .._validation import (
    check_choice,
    check_int,
    check_positive_float,
    check_real_array,
    describe,
)
from ..errors import InvalidParameterError

__all__ = ["ACTIVATIONS", "MLP"]

Array = NDArray[np.float64]

#: Supported activations.
ACTIVATIONS: tuple[str, ...] = ("tanh", "relu", "identity")

#: Init schemes of :meth:`MLP.init`.
INIT_SCHEMES: tuple[str, ...] = ("glorot", "uniform")


def _act(name: str, z: Array) -> tuple[Array, Array, Array]:
    """Activation, its first and second derivative at ``z``."""
    if name == "tanh":
        t = np.tanh(z)
        d1 = 1.0 - t * t
        return t, d1, -2.0 * t * d1
    if name == "relu":
        pos = (z > 0).astype(z.dtype)
        return z * pos, pos, np.zeros_like(z)
    return z, np.ones_like(z), np.zeros_like(z)


class MLP:
    r"""A small multilayer perceptron with squared loss; a :class:`NumericModel`.

    Parameters
    ----------
    widths : sequence of int
        Layer widths :math:`(d_0, \dots, d_L)`, at least two entries, each ≥ 1.
    activation : {"tanh", "relu", "identity"}
        Hidden activation :math:`\sigma` (the output layer is linear).
    X : array_like, shape (n, d_0)
        Inputs, samples as rows.
    Y : array_like, shape (n, d_L) or (n,) when d_L = 1
        Targets.
    bias : bool
        Add biases :math:`b_i` to every layer.

    Attributes
    ----------
    n_params : int
        Number of parameters P.
    layer_shapes : tuple of (int, int)
        Shapes :math:`(d_i, d_{i-1})` of the weight matrices.
    max_hessian_params : int
        Largest P for which :meth:`hessian` builds a dense Hessian.
    max_depth : int
        Largest number of layers accepted (1000): every step of every run walks all layers
        forward and back, so far deeper nets cannot finish an iteration budget; refused up
        front instead of running for hours.

    Notes
    -----
    Loss :math:`L = \frac{1}{2n}\sum_k \lVert f(x_k) - y_k\rVert^2` (docs/math/setting.md
    convention).
    """

    max_hessian_params: int = 600
    max_depth: int = 1000

    def __init__(
        self, widths: Sequence[int], activation: str = "tanh", *, X: Any, Y: Any, bias: bool = False
    ) -> None:
        if isinstance(widths, str | bytes) or not isinstance(widths, Sequence | np.ndarray):
            raise InvalidParameterError(
                f"widths must be a sequence of at least 2 ints >= 1; got {describe(widths)}"
            )
        if len(widths) > self.max_depth + 1:
            raise InvalidParameterError(
                f"widths must have at most {self.max_depth + 1} entries (depth <= "
                f"{self.max_depth}); got {len(widths)} entries"
            )
        ws = tuple(check_int("widths entry", w, minimum=1) for w in widths)
        if len(ws) < 2:
            raise InvalidParameterError(
                f"widths must be a sequence of at least 2 ints >= 1; got {widths!r}"
            )
        n_params = sum(
            ws[i + 1] * ws[i] + (ws[i + 1] if bias is True else 0) for i in range(len(ws) - 1)
        )
        check_params("widths", None, n_params)  # before any data is copied
        self.activation = check_choice("activation", activation, ACTIVATIONS)
        if not isinstance(bias, bool | np.bool_):
            raise InvalidParameterError(f"bias must be a bool; got {describe(bias)}")
        self.bias = bool(bias)
        self.widths = ws
        self.depth = len(ws) - 1
        self.X = self._check_data("X", X, ws[0])
        self.Y = self._check_data("Y", Y, ws[-1])
        if self.X.shape[0] != self.Y.shape[0]:
            raise InvalidParameterError(
                f"X and Y must have the same number of samples (rows); got {self.X.shape[0]} "
                f"and {self.Y.shape[0]}"
            )
        self.n_samples = int(self.X.shape[0])
        self.layer_shapes = tuple((ws[i + 1], ws[i]) for i in range(self.depth))
        # slices of W_i and b_i in theta
        self._w_slices: list[slice] = []
        self._b_slices: list[slice | None] = []
        pos = 0
        for dout, din in self.layer_shapes:
            self._w_slices.append(slice(pos, pos + dout * din))
            pos += dout * din
            if self.bias:
                self._b_slices.append(slice(pos, pos + dout))
                pos += dout
            else:
                self._b_slices.append(None)
        self.n_params = pos
        #: derived objects (the compiled engine's description of the model)
        self._cache: dict[str, Any] = {}

    @staticmethod
    def _check_data(name: str, value: Any, width: int) -> Array:
        if isinstance(value, str | bytes) or value is None:
            raise InvalidParameterError(
                f"{name} must be a 2-D array of real numbers; got {describe(value)}"
            )
        # real (complex refused, never truncated), any shape for now; shape and finiteness next
        arr = check_real_array(name, value, finite=False, allow_empty=True)
        if arr.ndim == 1 and name == "Y" and width == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or arr.shape[1] != width or arr.shape[0] == 0:
            raise InvalidParameterError(
                f"{name} must have shape (n, {width}) with n >= 1; got shape {arr.shape}"
            )
        return check_real_array(name, arr, copy=False)  # finite, squares stay finite

    def fingerprint(self) -> str:
        """SHA-256 of the architecture and the exact data bytes (identifies stored results)."""
        import hashlib

        h = hashlib.sha256(repr(("MLP", self.widths, self.activation, self.bias)).encode())
        h.update(np.ascontiguousarray(self.X, dtype=np.float64).tobytes())
        h.update(np.ascontiguousarray(self.Y, dtype=np.float64).tobytes())
        return h.hexdigest()

    def __repr__(self) -> str:
        return (
            f"MLP(widths={self.widths}, activation={self.activation!r}, bias={self.bias}, "
            f"n_samples={self.n_samples}, n_params={self.n_params})"
        )

    # -- layout ---------------------------------------------------------------------------------
    def _as_input(self, theta: Any, name: str = "theta") -> tuple[Array, bool]:
        arr = np.asarray(theta, dtype=np.float64)
        single = arr.ndim == 1
        if single:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != self.n_params:
            raise InvalidParameterError(
                f"{name} must have shape (batch, {self.n_params}) or ({self.n_params},); got "
                f"shape {np.asarray(theta).shape}"
            )
        return arr, single

    def unflatten(self, theta: Any) -> list[tuple[Array, Array | None]]:
        """Split ``theta`` (B, P) into per-layer ``(W_i, b_i)``: (B, d_i, d_{i-1}) and (B, d_i)
        (``None`` without biases)."""
        th, _ = self._as_input(theta)
        out: list[tuple[Array, Array | None]] = []
        for (dout, din), ws, bs in zip(
            self.layer_shapes, self._w_slices, self._b_slices, strict=True
        ):
            W = th[:, ws].reshape(-1, dout, din)
            b = None if bs is None else th[:, bs]
            out.append((W, b))
        return out

    def _flatten(self, parts: list[tuple[Array, Array | None]], batch: int) -> Array:
        out = np.empty((batch, self.n_params))
        for (gW, gb), ws, bs in zip(parts, self._w_slices, self._b_slices, strict=True):
            out[:, ws] = gW.reshape(batch, -1)
            if bs is not None and gb is not None:
                out[:, bs] = gb
        return out

    # -- kernels --------------------------------------------------------------------------------
    def _forward(
        self, layers: list[tuple[Array, Array | None]]
    ) -> tuple[list[Array], list[Array], list[Array], Array]:
        """Activations a_0..a_{L-1}, pre-activations z_1..z_{L-1} with σ', σ'', and output."""
        B = layers[0][0].shape[0]
        a: list[Array] = [np.broadcast_to(self.X, (B, *self.X.shape))]
        d1s: list[Array] = []
        d2s: list[Array] = []
        out = a[0]
        for i, (W, b) in enumerate(layers):
            z = a[-1] @ np.swapaxes(W, 1, 2)
            if b is not None:
                z = z + b[:, None, :]
            if i < self.depth - 1:
                s, d1, d2 = _act(self.activation, z)
                a.append(s)
                d1s.append(d1)
                d2s.append(d2)
            else:
                out = z
        return a, d1s, d2s, out

    def output(self, theta: Any) -> Array:
        r"""Network outputs :math:`f_\theta(x_k)`, shape (B, n, d_L)."""
        th, single = self._as_input(theta)
        out = self._forward(self.unflatten(th))[3]
        return out[0] if single else out

    def loss(self, theta: Any) -> Array:
        r"""Loss :math:`\frac{1}{2n}\sum_k\lVert f(x_k) - y_k\rVert^2`, shape (B,)."""
        th, single = self._as_input(theta)
        r = self._forward(self.unflatten(th))[3] - self.Y
        val = 0.5 * np.einsum("bnk,bnk->b", r, r) / self.n_samples
        return val[0] if single else val

    def _backward(
        self, layers: list[tuple[Array, Array | None]], a: list[Array], d1s: list[Array], out: Array
    ) -> tuple[list[Array], list[Array]]:
        """Deltas δ_1..δ_L (δ_i = ∂L/∂z_i) and per-layer pieces."""
        L = self.depth
        deltas: list[Array] = [None] * L  # type: ignore[list-item]
        deltas[L - 1] = (out - self.Y) / self.n_samples
        back: list[Array] = [None] * L  # type: ignore[list-item]  # δ_i W_i
        for i in range(L - 1, 0, -1):
            back[i] = deltas[i] @ layers[i][0]
            deltas[i - 1] = back[i] * d1s[i - 1]
        return deltas, back

    def gradient(self, theta: Any) -> Array:
        r"""Gradient :math:`\nabla L(\theta)` by backpropagation, shape (B, P)."""
        th, single = self._as_input(theta)
        layers = self.unflatten(th)
        a, d1s, _, out = self._forward(layers)
        deltas, _ = self._backward(layers, a, d1s, out)
        parts = [
            ((np.swapaxes(deltas[i], 1, 2) @ a[i]), deltas[i].sum(axis=1) if self.bias else None)
            for i in range(self.depth)
        ]
        g = self._flatten(parts, th.shape[0])
        return g[0] if single else g

    def hvp(self, theta: Any, v: Any) -> Array:
        r"""Exact Hessian-vector product :math:`H(\theta)v` (Pearlmutter R-operator), (B, P).

        ``v`` has shape (B, P) or (P,) (then used for every θ of the batch).
        """
        th, single = self._as_input(theta)
        vv, _ = self._as_input(v, "v")
        if vv.shape[0] != th.shape[0]:
            if vv.shape[0] != 1:
                raise InvalidParameterError(
                    f"v must have shape {th.shape} or ({self.n_params},); got shape "
                    f"{np.asarray(v).shape}"
                )
            vv = np.broadcast_to(vv, th.shape)
        layers = self.unflatten(th)
        dirs = self.unflatten(vv)
        a, d1s, d2s, out = self._forward(layers)
        L = self.depth
        # forward R-pass
        Ra: list[Array] = [np.zeros_like(a[0])]
        Rz: list[Array] = []
        for i in range(L):
            W, _ = layers[i]
            V, c = dirs[i]
            rz = a[i] @ np.swapaxes(V, 1, 2)
            if i > 0:
                rz = rz + (Ra[i] @ np.swapaxes(W, 1, 2))
            if c is not None:
                rz = rz + c[:, None, :]
            Rz.append(rz)
            if i < L - 1:
                Ra.append(d1s[i] * rz)
        # backward pass and its R-pass
        deltas, back = self._backward(layers, a, d1s, out)
        Rd: list[Array] = [None] * L  # type: ignore[list-item]
        Rd[L - 1] = Rz[L - 1] / self.n_samples
        for i in range(L - 1, 0, -1):
            W, _ = layers[i]
            V, _ = dirs[i]
            rb = (Rd[i] @ W) + (deltas[i] @ V)
            Rd[i - 1] = rb * d1s[i - 1] + back[i] * d2s[i - 1] * Rz[i - 1]
        parts = []
        for i in range(L):
            gW = np.swapaxes(Rd[i], 1, 2) @ a[i]
            if i > 0:
                gW = gW + (np.swapaxes(deltas[i], 1, 2) @ Ra[i])
            parts.append((gW, Rd[i].sum(axis=1) if self.bias else None))
        h = self._flatten(parts, th.shape[0])
        return h[0] if single else h

    def hessian(self, theta: Any) -> Array:
        r"""Dense Hessian :math:`\nabla^2 L(\theta)`, shape (B, P, P), from HVPs on the basis.

        Raises
        ------
        InvalidParameterError
            If ``n_params > max_hessian_params`` (use :func:`dynsys_gd.lanczos_sharpness`
            or :meth:`hvp` instead).
        """
        if self.n_params > self.max_hessian_params:
            raise InvalidParameterError(
                f"hessian needs n_params <= max_hessian_params = {self.max_hessian_params}; got "
                f"n_params = {self.n_params} (use hvp or dynsys_gd.lanczos_sharpness for large "
                "networks)"
            )
        th, single = self._as_input(theta)
        P = self.n_params
        eye = np.eye(P)
        H = np.empty((th.shape[0], P, P))
        for b in range(th.shape[0]):  # a loop over points, each one batched over the basis
            H[b] = self.hvp(np.broadcast_to(th[b], (P, P)), eye)
        H = 0.5 * (H + np.swapaxes(H, 1, 2))
        return H[0] if single else H

    # -- initialisation -------------------------------------------------------------------------
    def init(
        self,
        rng: np.random.Generator | int | None,
        n: int,
        scheme: str = "glorot",
        scale: float = 1.0,
    ) -> Array:
        r"""Draw ``n`` parameter vectors, shape (n, P).

        Parameters
        ----------
        rng : numpy Generator, int seed or None
            Source of randomness (an int is passed to ``numpy.random.default_rng``).
        n : int
            Number of initialisations (≥ 1).
        scheme : {"glorot", "uniform"}
            ``"glorot"``: :math:`W_i` entries i.i.d.
            :math:`\mathcal N(0, \mathrm{scale}^2 \cdot 2/(d_{i-1} + d_i))`, biases 0;
            ``"uniform"``: every parameter uniform in :math:`[-\mathrm{scale}, \mathrm{scale}]`.
        scale : float
            Scale (> 0).
        """
        n = check_int("n", n, minimum=1)
        scheme = check_choice("scheme", scheme, INIT_SCHEMES)
        scale = check_positive_float("scale", scale)
        if not isinstance(rng, np.random.Generator):
            if rng is not None and (
                isinstance(rng, bool) or not isinstance(rng, int | np.integer) or rng < 0
            ):
                raise InvalidParameterError(
                    f"rng must be a numpy Generator, a non-negative int seed or None; got "
                    f"{describe(rng)}"
                )
            rng = np.random.default_rng(rng)
        if scheme == "uniform":
            return rng.uniform(-scale, scale, size=(n, self.n_params))
        out = np.zeros((n, self.n_params))
        for (dout, din), ws in zip(self.layer_shapes, self._w_slices, strict=True):
            std = scale * np.sqrt(2.0 / (din + dout))
            out[:, ws] = rng.normal(0.0, std, size=(n, dout * din))
        return out
