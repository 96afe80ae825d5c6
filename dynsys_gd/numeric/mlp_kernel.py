r"""Compiled gradient of an :class:`~dynsys_gd.models.MLP` on lanes, and its numpy twin.

The compiled engine (:mod:`~dynsys_gd.numeric.lanes`, ``KIND_MLP``) steps ``L`` runs side by
side, parameters in rows (``th[P, L]``).  For every data point :math:`k = 1, \dots, n` in turn
the kernel does the forward pass and backpropagation of the network
:math:`f_\theta(x) = W_D\,\sigma(\cdots\sigma(W_1 x + b_1)\cdots) + b_D` on all lanes at once
and adds the point's contribution to the gradient of
:math:`L = \frac1{2n}\sum_k \lVert f_\theta(x_k) - y_k\rVert^2`:

.. math::
   z_i &= W_i a_{i-1} + b_i, \quad a_i = \sigma(z_i), \quad a_0 = x_k, \qquad
   \delta_D = (z_D - y_k)/n,\\
   \nabla_{W_i} L \mathrel{+}= \delta_i a_{i-1}^\top, &\quad
   \nabla_{b_i} L \mathrel{+}= \delta_i, \qquad
   \delta_{i-1} = (W_i^\top \delta_i) \odot \sigma'(z_{i-1}).

Every sum runs in a fixed order: :math:`(W a)_j = W_{j1}a_1 + W_{j2}a_2 + \cdots` then
:math:`+ b_j`; :math:`(W^\top\delta)_q = \delta_1 W_{1q} + \delta_2 W_{2q} + \cdots`; the
gradient accumulates over the data points :math:`k = 1, 2, \dots, n` in order.  Every innermost
loop runs over the lanes, with no reduction inside it, so LLVM vectorises it without changing a
result (no fused multiply-add, no reassociation: ``fastmath`` is off).  The activation is the
engine's own :func:`~dynsys_gd.numeric.activations.tanh_scalar` (or ReLU / identity).

:func:`mlp_columns` is the plain numpy twin used by the reference path
(:mod:`~dynsys_gd.numeric.gd_numpy`) and by recording: the same operations in the same order on
arrays of shape ``(n, B)`` (one row per data point), with the sums over data points done by
``np.cumsum`` (a sequential accumulation, unlike ``np.sum``'s pairwise one).  The two agree bit
for bit (``tests/numeric/test_mlp_kernel.py``).

Why not straight-line code, as for small linear networks: an MLP's gradient is a loop over the
data points, and generated per-lane straight-line code is not vectorised by LLVM; the generic
loops above are (measured in ``benchmarks/bench_engine.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from .activations import ACT_CODES, relu_array, tanh_array, tanh_scalar

__all__ = ["grad_mlp", "mlp_columns", "mlp_layout"]

Array = NDArray[Any]

_JIT: dict[str, Any] = {"cache": True, "error_model": "numpy", "nogil": True, "fastmath": False}

ACT_IDENTITY = ACT_CODES["identity"]
ACT_TANH = ACT_CODES["tanh"]
ACT_RELU = ACT_CODES["relu"]

#: header fields before the per-layer tables: depth, bias flag, data points, activation
_H = 4


def mlp_layout(
    widths: tuple[int, ...], bias: bool, n_samples: int, activation: str
) -> tuple[list[int], int]:
    r"""The int header of ``KIND_MLP`` and the number of work rows.

    ``ip = [D, bias, n, act, d_0..d_D, wo_0..wo_{D-1}, bo_0..bo_{D-1}, ao_0..ao_{D-1},
    so_0..so_{D-1}, do_0..do_{D-1}]``: parameter offsets of :math:`W_{i+1}` and
    :math:`b_{i+1}` (``-1`` without biases), and the work rows of the hidden activations
    :math:`a_i` and derivatives :math:`\sigma'(z_i)` (``i = 1..D-1``) and of the deltas of
    layer ``i+1``.  The parameter layout is the MLP's: :math:`(\operatorname{vec} W_1, b_1,
    \dots)`, each :math:`W_i` row-major.
    """
    D = len(widths) - 1
    wo: list[int] = []
    bo: list[int] = []
    pos = 0
    for i in range(D):
        wo.append(pos)
        pos += widths[i + 1] * widths[i]
        bo.append(pos if bias else -1)
        if bias:
            pos += widths[i + 1]
    rows = 0
    ao = [0] * D
    so = [0] * D
    do = [0] * D
    for i in range(1, D):
        ao[i] = rows
        rows += widths[i]
        so[i] = rows
        rows += widths[i]
    for i in range(D):
        do[i] = rows
        rows += widths[i + 1]
    ip = [D, int(bias), int(n_samples), ACT_CODES[activation], *widths, *wo, *bo, *ao, *so, *do]
    return ip, rows


@numba.njit(**_JIT)
def _forward(
    k: int, ip: Any, X: Any, Y: Any, th: Any, wk: Any
) -> None:  # pragma: no cover  (compiled; tested against the numpy twin)
    """Forward pass of data point ``k`` on every lane: hidden activations and derivatives into
    their work rows, the output delta :math:`(z_D - y_k)/n` into the last delta rows."""
    D = ip[0]
    nb = ip[1]
    nf = float(ip[2])
    act = ip[3]
    d = ip[_H : _H + D + 1]
    wo = ip[_H + D + 1 : _H + 2 * D + 1]
    bo = ip[_H + 2 * D + 1 : _H + 3 * D + 1]
    ao = ip[_H + 3 * D + 1 : _H + 4 * D + 1]
    so = ip[_H + 4 * D + 1 : _H + 5 * D + 1]
    do = ip[_H + 5 * D + 1 : _H + 6 * D + 1]
    L = th.shape[1]
    for i in range(D):
        din = d[i]
        dout = d[i + 1]
        last = i == D - 1
        for j in range(dout):
            zr = wk[do[i] + j] if last else wk[ao[i + 1] + j]
            w = th[wo[i] + j * din]
            if i == 0:
                xv = X[k * din]
                for l in range(L):
                    zr[l] = w[l] * xv
                for q in range(1, din):
                    w = th[wo[i] + j * din + q]
                    xv = X[k * din + q]
                    for l in range(L):
                        zr[l] = zr[l] + w[l] * xv
            else:
                a = wk[ao[i]]
                for l in range(L):
                    zr[l] = w[l] * a[l]
                for q in range(1, din):
                    w = th[wo[i] + j * din + q]
                    a = wk[ao[i] + q]
                    for l in range(L):
                        zr[l] = zr[l] + w[l] * a[l]
            if nb:
                b = th[bo[i] + j]
                for l in range(L):
                    zr[l] = zr[l] + b[l]
            if last:
                yv = Y[k * dout + j]
                for l in range(L):
                    zr[l] = (zr[l] - yv) / nf
            elif act == ACT_TANH:
                sr = wk[so[i + 1] + j]
                for l in range(L):
                    t = tanh_scalar(zr[l])
                    zr[l] = t
                    sr[l] = 1.0 - t * t
            elif act == ACT_RELU:
                sr = wk[so[i + 1] + j]
                for l in range(L):
                    pos = 1.0 if zr[l] > 0.0 else 0.0
                    zr[l] = zr[l] * pos
                    sr[l] = pos


@numba.njit(**_JIT)
def _backward(
    k: int, ip: Any, X: Any, th: Any, g: Any, wk: Any
) -> None:  # pragma: no cover  (compiled; tested against the numpy twin)
    """Backpropagation of data point ``k``: its gradient contribution added to ``g`` (assigned
    for ``k = 0``), the deltas of the hidden layers into their work rows."""
    D = ip[0]
    nb = ip[1]
    act = ip[3]
    d = ip[_H : _H + D + 1]
    wo = ip[_H + D + 1 : _H + 2 * D + 1]
    bo = ip[_H + 2 * D + 1 : _H + 3 * D + 1]
    ao = ip[_H + 3 * D + 1 : _H + 4 * D + 1]
    so = ip[_H + 4 * D + 1 : _H + 5 * D + 1]
    do = ip[_H + 5 * D + 1 : _H + 6 * D + 1]
    L = th.shape[1]
    first = k == 0
    for i in range(D - 1, -1, -1):
        din = d[i]
        dout = d[i + 1]
        for j in range(dout):
            dr = wk[do[i] + j]
            for q in range(din):
                gr = g[wo[i] + j * din + q]
                if i == 0:
                    xv = X[k * din + q]
                    if first:
                        for l in range(L):
                            gr[l] = dr[l] * xv
                    else:
                        for l in range(L):
                            gr[l] = gr[l] + dr[l] * xv
                else:
                    a = wk[ao[i] + q]
                    if first:
                        for l in range(L):
                            gr[l] = dr[l] * a[l]
                    else:
                        for l in range(L):
                            gr[l] = gr[l] + dr[l] * a[l]
            if nb:
                gr = g[bo[i] + j]
                if first:
                    for l in range(L):
                        gr[l] = dr[l]
                else:
                    for l in range(L):
                        gr[l] = gr[l] + dr[l]
        if i > 0:
            for q in range(din):
                br = wk[do[i - 1] + q]
                dr = wk[do[i]]
                w = th[wo[i] + q]
                for l in range(L):
                    br[l] = dr[l] * w[l]
                for j in range(1, dout):
                    dr = wk[do[i] + j]
                    w = th[wo[i] + j * din + q]
                    for l in range(L):
                        br[l] = br[l] + dr[l] * w[l]
                if act != ACT_IDENTITY:
                    sr = wk[so[i] + q]
                    for l in range(L):
                        br[l] = br[l] * sr[l]


@numba.njit(**_JIT)
def grad_mlp(ip: Any, fp: Any, th: Any, g: Any, wk: Any) -> None:  # pragma: no cover
    """Gradient of every lane: ``fp = [X (n d_0, row-major), Y (n d_D)]``."""
    D = ip[0]
    n = ip[2]
    d0 = ip[_H]
    X = fp[: n * d0]
    Y = fp[n * d0 : n * d0 + n * ip[_H + D]]
    for k in range(n):
        _forward(k, ip, X, Y, th, wk)
        _backward(k, ip, X, th, g, wk)


def mlp_columns(ip: Any, fp: Any) -> Callable[[Array], Array]:
    """The numpy twin of :func:`grad_mlp`: gradient of columns ``(P, B)``, bit-identical."""
    D, nb, n, act = (int(v) for v in ip[:_H])
    d = [int(v) for v in ip[_H : _H + D + 1]]
    wo = [int(v) for v in ip[_H + D + 1 : _H + 2 * D + 1]]
    bo = [int(v) for v in ip[_H + 2 * D + 1 : _H + 3 * D + 1]]
    X = np.asarray(fp[: n * d[0]], dtype=np.float64).reshape(n, d[0])
    Y = np.asarray(fp[n * d[0] : n * d[0] + n * d[D]], dtype=np.float64).reshape(n, d[D])
    nf = float(n)
    xcols = [X[:, q][:, None] for q in range(d[0])]

    def grad(th: Array) -> Array:
        g = np.empty_like(th)
        inputs: list[list[Array]] = [xcols]  # a_0 .. a_{D-1}, each a list of (n, B) arrays
        ders: list[list[Array]] = [[]]
        delta: list[Array] = []
        for i in range(D):
            din, dout = d[i], d[i + 1]
            zs = []
            for j in range(dout):
                z = th[wo[i] + j * din][None, :] * inputs[i][0]
                for q in range(1, din):
                    z = z + th[wo[i] + j * din + q][None, :] * inputs[i][q]
                if nb:
                    z = z + th[bo[i] + j][None, :]
                zs.append(z)
            if i == D - 1:
                delta = [(z - Y[:, j][:, None]) / nf for j, z in enumerate(zs)]
            elif act == ACT_TANH:
                ts = [tanh_array(z) for z in zs]
                inputs.append(ts)
                ders.append([1.0 - t * t for t in ts])
            elif act == ACT_RELU:
                pairs = [relu_array(z) for z in zs]
                inputs.append([p[0] for p in pairs])
                ders.append([p[1] for p in pairs])
            else:
                inputs.append(zs)
                ders.append([])
        for i in range(D - 1, -1, -1):
            din, dout = d[i], d[i + 1]
            for j in range(dout):
                for q in range(din):
                    g[wo[i] + j * din + q] = np.cumsum(delta[j] * inputs[i][q], axis=0)[-1]
                if nb:
                    g[bo[i] + j] = np.cumsum(delta[j], axis=0)[-1]
            if i > 0:
                back = []
                for q in range(din):
                    br = delta[0] * th[wo[i] + q][None, :]
                    for j in range(1, dout):
                        br = br + delta[j] * th[wo[i] + j * din + q][None, :]
                    if act != ACT_IDENTITY:
                        br = br * ders[i][q]
                    back.append(br)
                delta = back
        return g

    return grad
