r"""Compiled gradient of an :class:`~dynsys_gd.models.MLP` on lanes, and its numpy twin.

The compiled engine (:mod:`~dynsys_gd.numeric.engine.lanes`, ``KIND_MLP``) steps ``L`` runs side by
side, parameters in rows (``th[P, L]``).  The kernel computes, for every lane, the gradient of
:math:`L = \frac1{2n}\sum_k \lVert f_\theta(x_k) - y_k\rVert^2` for the network
:math:`f_\theta(x) = W_D\,\sigma(\cdots\sigma(W_1 x + b_1)\cdots) + b_D`:

.. math::
   z_i &= W_i a_{i-1} + b_i, \quad a_i = \sigma(z_i), \quad a_0 = x_k, \qquad
   \delta_D = (z_D - y_k)/n,\\
   \nabla_{W_i} L \mathrel{+}= \delta_i a_{i-1}^\top, &\quad
   \nabla_{b_i} L \mathrel{+}= \delta_i, \qquad
   \delta_{i-1} = (W_i^\top \delta_i) \odot \sigma'(z_{i-1}).

Every sum runs in a fixed order, and every element sees exactly the IEEE operations of the
numpy twin :func:`mlp_columns`: :math:`(W a)_j = W_{j1}a_1 + W_{j2}a_2 + \cdots` then
:math:`+ b_j`; :math:`(W^\top\delta)_q = \delta_1 W_{1q} + \delta_2 W_{2q} + \cdots` then
:math:`\times\sigma'`; the gradient accumulates over the data points :math:`k = 1, 2, \dots, n`
in order (the first assigned, then ``g = g + delta * a``).  No fused multiply-add, no
reassociation (``fastmath`` off); products may swap their operands (exact).  The activation
is the engine's own :func:`~dynsys_gd.numeric.engine.activations.tanh_scalar` (or ReLU / identity).

Since the forward pass of data point ``k`` does not depend on the gradient of the earlier
points, the data points may be processed in any grouping as long as each gradient element
adds its terms in the order ``k = 0, 1, ...``.  Two loop orders are used (same results):

* **lanes outermost** (:func:`_grad_lanes_outer`, used for few lanes or wide layers): one lane
  at a time, the forward pass of *all* ``n`` data points at once with the innermost loops over
  the data points (long, vectorised), the weight gradient as a running outer-product sum
  over the data points with the innermost loop over the longer of the two unit indices.
  Its scratch (``O(P + n * sum(widths))`` floats, independent of ``L``) is allocated per
  call; ``wk`` is not used.
* **lanes innermost** (:func:`grad_lanes_inner`, the original order, used for many lanes
  and narrow layers): innermost loops over the lanes, ``CHUNK`` data points per pass so that
  a gradient row is loaded once per ``CHUNK`` points (``((g + d0 a0) + d1 a1) + ...``).

Why two orders: every loop invocation costs a few ns of setup (runtime alias checks, vector
preamble), and with interleaved 8-wide vectors LLVM runs loops shorter than about 32 iterations
mostly scalar; so the loops should be long, over the lanes when there are many runs, over the
data points when there are few (the thresholds :data:`INNER_MIN_LANES` and
:data:`INNER_MAX_WIDTH` were measured on the digits data and on small synthetic data).
Generated straight-line code, as for small linear networks, does not help here: an MLP's
gradient is a loop over the data points.

:func:`mlp_columns` is the plain numpy twin used by the reference path
(:mod:`~dynsys_gd.numeric.engine.gd_numpy`) and by recording: the same operations in the same order
on
arrays of shape ``(n, B)`` (one row per data point), with the sums over data points done by
``np.cumsum`` (a sequential accumulation, unlike ``np.sum``'s pairwise one).  The two agree bit
for bit (``tests/numeric/test_mlp_kernel.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from .activations import ACT_CODES, relu_array, tanh_array, tanh_scalar
from .lane_block import _JIT, BLOCK_SIG, after_gradient

__all__ = ["block_mlp", "grad_mlp", "mlp_columns", "mlp_gradient_cols", "mlp_layout"]

Array = NDArray[Any]

ACT_IDENTITY = ACT_CODES["identity"]
ACT_TANH = ACT_CODES["tanh"]
ACT_RELU = ACT_CODES["relu"]

#: header fields before the per-layer tables: depth, bias flag, data points, activation
_H = 4
#: data points per pass of the lanes-innermost kernel (the work rows hold CHUNK data points)
CHUNK = 4
#: the lanes-innermost order is used from min(n, INNER_MIN_LANES) lanes on, for hidden widths
#: below INNER_MAX_WIDTH (crossovers measured on the digits data and on n = 7, 9 toy data)
INNER_MIN_LANES = 64
INNER_MAX_WIDTH = 64


def mlp_layout(
    widths: tuple[int, ...], bias: bool, n_samples: int, activation: str
) -> tuple[list[int], int]:
    r"""The int header of ``KIND_MLP`` and the number of work rows.

    ``ip = [D, bias, n, act, d_0..d_D, wo_0..wo_{D-1}, bo_0..bo_{D-1}, ao_0..ao_{D-1},
    so_0..so_{D-1}, do_0..do_{D-1}]`` (a flat int list): parameter offsets of
    :math:`W_{i+1}` and :math:`b_{i+1}` (``-1`` without biases), and the first work rows of
    the blocks of hidden activations :math:`a_i`, derivatives :math:`\sigma'(z_i)`
    (``i = 1..D-1``) and deltas of layer ``i+1``.  Each block holds ``CHUNK`` data points:
    unit ``j`` of data point ``s`` of a pass is row ``ao_i + s*d_i + j`` (likewise ``so``,
    ``do``).  Only the lanes-innermost kernel uses the work rows.  The parameter
    layout is the MLP's: :math:`(\operatorname{vec} W_1, b_1, \dots)`, each :math:`W_i`
    row-major.
    """
    D = len(widths) - 1
    wo, bo = [], []
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
        rows += CHUNK * widths[i]
        so[i] = rows
        rows += CHUNK * widths[i]
    for i in range(D):
        do[i] = rows
        rows += CHUNK * widths[i + 1]
    ip = [D, int(bias), int(n_samples), ACT_CODES[activation], *widths, *wo, *bo, *ao, *so, *do]
    return ip, rows


@numba.njit(**_JIT)
def _dot_row(th, wr, din, src, wk, zr, L):
    """wk[zr] = th[wr]*wk[src] + th[wr+1]*wk[src+1] + ... (left to right)."""
    for l in range(L):
        wk[zr, l] = th[wr, l] * wk[src, l]
    q = 1
    while q + 4 <= din:
        for l in range(L):
            z = wk[zr, l]
            z = z + th[wr + q, l] * wk[src + q, l]
            z = z + th[wr + q + 1, l] * wk[src + q + 1, l]
            z = z + th[wr + q + 2, l] * wk[src + q + 2, l]
            z = z + th[wr + q + 3, l] * wk[src + q + 3, l]
            wk[zr, l] = z
        q += 4
    while q < din:
        for l in range(L):
            wk[zr, l] = wk[zr, l] + th[wr + q, l] * wk[src + q, l]
        q += 1


@numba.njit(**_JIT)
def _dot_row_x(th, wr, din, X, xo, wk, zr, L):
    """wk[zr] = th[wr]*X[xo] + th[wr+1]*X[xo+1] + ... (left to right)."""
    x0 = X[xo]
    for l in range(L):
        wk[zr, l] = th[wr, l] * x0
    q = 1
    while q + 4 <= din:
        x0 = X[xo + q]
        x1 = X[xo + q + 1]
        x2 = X[xo + q + 2]
        x3 = X[xo + q + 3]
        for l in range(L):
            z = wk[zr, l]
            z = z + th[wr + q, l] * x0
            z = z + th[wr + q + 1, l] * x1
            z = z + th[wr + q + 2, l] * x2
            z = z + th[wr + q + 3, l] * x3
            wk[zr, l] = z
        q += 4
    while q < din:
        x0 = X[xo + q]
        for l in range(L):
            wk[zr, l] = wk[zr, l] + th[wr + q, l] * x0
        q += 1


@numba.njit(**_JIT)
def _header(ip: Any) -> Any:  # pragma: no cover  (compiled)
    """The header: depth, bias flag, data points, activation code, then the per-layer tables
    (widths, parameter offsets of W and b, work rows of activations, derivatives and deltas;
    views into ``ip``)."""
    D = ip[0]
    return (
        D,
        ip[1],
        ip[2],
        ip[3],
        ip[_H : _H + D + 1],
        ip[_H + D + 1 : _H + 2 * D + 1],
        ip[_H + 2 * D + 1 : _H + 3 * D + 1],
        ip[_H + 3 * D + 1 : _H + 4 * D + 1],
        ip[_H + 4 * D + 1 : _H + 5 * D + 1],
        ip[_H + 5 * D + 1 : _H + 6 * D + 1],
    )


@numba.njit(**_JIT)
def grad_lanes_inner(ip: Any, fp: Any, th: Any, g: Any, wk: Any) -> None:  # pragma: no cover
    """Lanes innermost: every innermost loop runs over the lanes ``l`` (2D indexing, no row
    views).  The data points go in passes of ``CHUNK``: forward point by point (the dot
    products unrolled by four inputs, ``((z + w_q a_q) + w_{q+1} a_{q+1}) + ...``), then each
    gradient row gets the ``CHUNK`` terms in one lane loop, in the order of the points."""
    D, nb, n, act, d, wo, bo, ao, so, do = _header(ip)
    nf = float(n)
    d0 = d[0]
    X = fp[: n * d0]
    Y = fp[n * d0 : n * d0 + n * d[D]]
    L = th.shape[1]
    for k0 in range(0, n, CHUNK):
        ns = min(CHUNK, n - k0)
        # ---------------- forward, sample by sample within the chunk
        for i in range(D):
            din = d[i]
            dout = d[i + 1]
            last = i == D - 1
            for s in range(ns):
                k = k0 + s
                for j in range(dout):
                    zr = (do[i] if last else ao[i + 1]) + s * dout + j
                    wr = wo[i] + j * din
                    if i == 0:
                        _dot_row_x(th, wr, din, X, k * din, wk, zr, L)
                    else:
                        _dot_row(th, wr, din, ao[i] + s * din, wk, zr, L)
                    if nb:
                        b = bo[i] + j
                        for l in range(L):
                            wk[zr, l] = wk[zr, l] + th[b, l]
                    if last:
                        yv = Y[k * dout + j]
                        for l in range(L):
                            wk[zr, l] = (wk[zr, l] - yv) / nf
                    elif act == ACT_TANH:
                        sr = so[i + 1] + s * dout + j
                        for l in range(L):
                            t = tanh_scalar(wk[zr, l])
                            wk[zr, l] = t
                            wk[sr, l] = 1.0 - t * t
                    elif act == ACT_RELU:
                        sr = so[i + 1] + s * dout + j
                        for l in range(L):
                            pos = 1.0 if wk[zr, l] > 0.0 else 0.0
                            wk[zr, l] = wk[zr, l] * pos
                            wk[sr, l] = pos
        # ---------------- backward
        for i in range(D - 1, -1, -1):
            din = d[i]
            dout = d[i + 1]
            for j in range(dout):
                for q in range(din):
                    gr = wo[i] + j * din + q
                    s0 = 0
                    if k0 == 0:
                        # first data point: assigned
                        dr = do[i] + j
                        if i == 0:
                            xv = X[q]
                            for l in range(L):
                                g[gr, l] = wk[dr, l] * xv
                        else:
                            ar = ao[i] + q
                            for l in range(L):
                                g[gr, l] = wk[dr, l] * wk[ar, l]
                        s0 = 1
                    if ns == CHUNK and s0 == 0:
                        # four data points in one pass: ((g + d0 a0) + d1 a1) + ...
                        r0 = do[i] + j
                        if i == 0:
                            x0 = X[k0 * din + q]
                            x1 = X[(k0 + 1) * din + q]
                            x2 = X[(k0 + 2) * din + q]
                            x3 = X[(k0 + 3) * din + q]
                            for l in range(L):
                                v = g[gr, l]
                                v = v + wk[r0, l] * x0
                                v = v + wk[r0 + dout, l] * x1
                                v = v + wk[r0 + 2 * dout, l] * x2
                                v = v + wk[r0 + 3 * dout, l] * x3
                                g[gr, l] = v
                        else:
                            a0 = ao[i] + q
                            for l in range(L):
                                v = g[gr, l]
                                v = v + wk[r0, l] * wk[a0, l]
                                v = v + wk[r0 + dout, l] * wk[a0 + din, l]
                                v = v + wk[r0 + 2 * dout, l] * wk[a0 + 2 * din, l]
                                v = v + wk[r0 + 3 * dout, l] * wk[a0 + 3 * din, l]
                                g[gr, l] = v
                    else:
                        for s in range(s0, ns):
                            dr = do[i] + s * dout + j
                            if i == 0:
                                xv = X[(k0 + s) * din + q]
                                for l in range(L):
                                    g[gr, l] = g[gr, l] + wk[dr, l] * xv
                            else:
                                ar = ao[i] + s * din + q
                                for l in range(L):
                                    g[gr, l] = g[gr, l] + wk[dr, l] * wk[ar, l]
                if nb:
                    gr = bo[i] + j
                    s0 = 0
                    if k0 == 0:
                        dr = do[i] + j
                        for l in range(L):
                            g[gr, l] = wk[dr, l]
                        s0 = 1
                    for s in range(s0, ns):
                        dr = do[i] + s * dout + j
                        for l in range(L):
                            g[gr, l] = g[gr, l] + wk[dr, l]
            if i > 0:
                # back-propagated deltas: sum over j in order, then times sigma'
                for s in range(ns):
                    for q in range(din):
                        br = do[i - 1] + s * din + q
                        dr = do[i] + s * dout
                        w = wo[i] + q
                        for l in range(L):
                            wk[br, l] = wk[dr, l] * th[w, l]
                        for j in range(1, dout):
                            w = wo[i] + j * din + q
                            for l in range(L):
                                wk[br, l] = wk[br, l] + wk[dr + j, l] * th[w, l]
                        if act != ACT_IDENTITY:
                            sr = so[i] + s * din + q
                            for l in range(L):
                                wk[br, l] = wk[br, l] * wk[sr, l]


@numba.njit(**_JIT)
def _lincomb(buf, out, coef, co, cstride, src, sstride, m, n):
    """buf[out+k] = c_0*buf[src+k] + c_1*buf[src+sstride+k] + ... + c_{m-1}*...,
    k = 0..n-1, c_t = coef[co + t*cstride]; the sum left to right."""
    c = coef[co]
    o = buf[out : out + n]
    a = buf[src : src + n]
    for k in range(n):
        o[k] = c * a[k]
    t = 1
    while t + 4 <= m:
        c0 = coef[co + t * cstride]
        c1 = coef[co + (t + 1) * cstride]
        c2 = coef[co + (t + 2) * cstride]
        c3 = coef[co + (t + 3) * cstride]
        s0 = src + t * sstride
        a0 = buf[s0 : s0 + n]
        a1 = buf[s0 + sstride : s0 + sstride + n]
        a2 = buf[s0 + 2 * sstride : s0 + 2 * sstride + n]
        a3 = buf[s0 + 3 * sstride : s0 + 3 * sstride + n]
        for k in range(n):
            v = o[k]
            v = v + c0 * a0[k]
            v = v + c1 * a1[k]
            v = v + c2 * a2[k]
            v = v + c3 * a3[k]
            o[k] = v
        t += 4
    while t < m:
        c0 = coef[co + t * cstride]
        s0 = src + t * sstride
        a0 = buf[s0 : s0 + n]
        for k in range(n):
            o[k] = o[k] + c0 * a0[k]
        t += 1


@numba.njit(**_JIT)
def _outer_sum(buf, out, u, v, R, C, n):
    """buf[out + r*C + c] = sum_k buf[u + r*n + k] * buf[v + k*C + c], k = 0, 1, ... in order
    (first term assigned, then added one at a time); eight data points per pass."""
    for r in range(R):
        ur = buf[u + r * n : u + r * n + n]
        o = buf[out + r * C : out + r * C + C]
        u0 = ur[0]
        b0 = buf[v : v + C]
        for c in range(C):
            o[c] = u0 * b0[c]
        k = 1
        while k + 8 <= n:
            u0 = ur[k]
            u1 = ur[k + 1]
            u2 = ur[k + 2]
            u3 = ur[k + 3]
            u4 = ur[k + 4]
            u5 = ur[k + 5]
            u6 = ur[k + 6]
            u7 = ur[k + 7]
            vk = buf[v + k * C : v + (k + 8) * C]
            for c in range(C):
                x = o[c]
                x = x + u0 * vk[c]
                x = x + u1 * vk[C + c]
                x = x + u2 * vk[2 * C + c]
                x = x + u3 * vk[3 * C + c]
                x = x + u4 * vk[4 * C + c]
                x = x + u5 * vk[5 * C + c]
                x = x + u6 * vk[6 * C + c]
                x = x + u7 * vk[7 * C + c]
                o[c] = x
            k += 8
        while k < n:
            u0 = ur[k]
            b0 = buf[v + k * C : v + k * C + C]
            for c in range(C):
                o[c] = o[c] + u0 * b0[c]
            k += 1


@numba.njit(**_JIT)
def _transpose(buf, dst, src, R, C):
    """buf[dst + c*R + r] = buf[src + r*C + c]."""
    for c in range(C):
        for r in range(R):
            buf[dst + c * R + r] = buf[src + r * C + c]


@numba.njit(**_JIT)
def outer_prepare(ip: Any, fp: Any, P: int) -> Any:  # pragma: no cover  (compiled)
    """The scratch of the lanes-outermost order, independent of the lanes: ``(buf, sc, o_a,
    o_s, o_d)`` with the data already in place (``X^T``, ``X``, ``Y^T``, a row of ones) and
    the offsets of every block; made once per block of steps, reused by every step."""
    D, _nb, n, _act, d, _wo, _bo, _ao, _so, _do = _header(ip)
    d0 = d[0]
    dD = d[D]
    mx = 0
    for i in range(D + 1):
        mx = max(mx, d[i])
    mxo = 0
    for i in range(D):
        mxo = max(mxo, d[i] * d[i + 1])
    o_x = 0  # X^T  [d0, n]   (input of layer 0, unit-major)
    o_xr = o_x + d0 * n  # X    [n, d0]
    o_y = o_xr + d0 * n  # Y^T  [dD, n]
    o_p = o_y + dD * n  # parameters of the lane [P]
    o_g = o_p + P  # gradient of the lane [P]
    o_a = np.zeros(D + 1, dtype=np.int64)  # activations a_i [d_i, n], i = 1..D-1
    o_s = np.zeros(D + 1, dtype=np.int64)  # derivatives s_i [d_i, n]
    o_d = np.zeros(D + 1, dtype=np.int64)  # deltas of layer i [d_i, n], i = 1..D
    pos = o_g + P
    o_a[0] = o_x
    for i in range(1, D):
        o_a[i] = pos
        pos += d[i] * n
        o_s[i] = pos
        pos += d[i] * n
    for i in range(1, D + 1):
        o_d[i] = pos
        pos += d[i] * n
    o_t = pos  # a transposed [n, mx]
    pos += n * mx
    o_o = pos  # transposed gradient block [mxo]
    pos += mxo
    o_1 = pos  # a row of ones [n] (bias = unit with constant input 1.0)
    pos += n
    o_dt = pos  # deltas transposed [n, mx]
    pos += n * mx
    buf = np.empty(pos)
    for k in range(n):
        buf[o_1 + k] = 1.0
    for k in range(n):
        for q in range(d0):
            buf[o_x + q * n + k] = fp[k * d0 + q]
            buf[o_xr + k * d0 + q] = fp[k * d0 + q]
        for j in range(dD):
            buf[o_y + j * n + k] = fp[n * d0 + k * dD + j]
    sc = np.array([o_x, o_xr, o_y, o_p, o_g, o_t, o_o, o_1, o_dt], dtype=np.int64)
    return buf, sc, o_a, o_s, o_d


@numba.njit(**_JIT)
def outer_lanes(
    ip: Any, th: Any, g: Any, buf: Any, sc: Any, o_a: Any, o_s: Any, o_d: Any
) -> None:  # pragma: no cover  (compiled; tested against the numpy twin)
    """Lanes outermost: for each lane, its parameters are copied into the scratch ``buf``
    (:func:`outer_prepare`), the forward pass runs on all data points at once (unit-major
    rows ``[d_i, n]``, the innermost loops over the data points ``k``), the weight gradient
    is an outer-product sum over ``k`` in order (:func:`_outer_sum`, innermost over the longer
    unit index), the bias gradient the same sum with a row of ones (``1.0 * delta`` is exact)
    or, for one output, a plain sequential sum; the back-propagated deltas are again loops
    over ``k``."""
    D, nb, n, act, d, wo, bo, _ao, _so, _do = _header(ip)
    nf = float(n)
    P = th.shape[0]
    L = th.shape[1]
    _o_x, o_xr, o_y, o_p, o_g, o_t, o_o, o_1, o_dt = (
        sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6], sc[7], sc[8],
    )  # fmt: skip
    for l in range(L):
        for p in range(P):
            buf[o_p + p] = th[p, l]
        # ---------------- forward: z_j[k] for all data points k at once
        for i in range(D):
            din = d[i]
            dout = d[i + 1]
            last = i == D - 1
            for j in range(dout):
                zr = (o_d[i + 1] if last else o_a[i + 1]) + j * n
                _lincomb(buf, zr, buf, o_p + wo[i] + j * din, 1, o_a[i], n, din, n)
                z = buf[zr : zr + n]
                if nb:
                    b = buf[o_p + bo[i] + j]
                    for k in range(n):
                        z[k] = z[k] + b
                if last:
                    y = buf[o_y + j * n : o_y + j * n + n]
                    for k in range(n):
                        z[k] = (z[k] - y[k]) / nf
                elif act == ACT_TANH:
                    sg = buf[o_s[i + 1] + j * n : o_s[i + 1] + j * n + n]
                    for k in range(n):
                        t = tanh_scalar(z[k])
                        z[k] = t
                        sg[k] = 1.0 - t * t
                elif act == ACT_RELU:
                    sg = buf[o_s[i + 1] + j * n : o_s[i + 1] + j * n + n]
                    for k in range(n):
                        ps = 1.0 if z[k] > 0.0 else 0.0
                        z[k] = z[k] * ps
                        sg[k] = ps
        # ---------------- backward
        for i in range(D - 1, -1, -1):
            din = d[i]
            dout = d[i + 1]
            dr = o_d[i + 1]
            # gradient of W_{i+1}: sum over k in order of delta_j[k] * a_q[k]
            if din >= dout:
                # rows j, inner loop over q: needs a^T [n, din]
                if i == 0:
                    at = o_xr
                else:
                    _transpose(buf, o_t, o_a[i], din, n)
                    at = o_t
                _outer_sum(buf, o_g + wo[i], dr, at, dout, din, n)
            else:
                # rows q, inner loop over j: needs delta^T [n, dout]
                _transpose(buf, o_t, dr, dout, n)
                _outer_sum(buf, o_o, o_a[i], o_t, din, dout, n)
                for j in range(dout):
                    for q in range(din):
                        buf[o_g + wo[i] + j * din + q] = buf[o_o + q * dout + j]
            if nb:
                # bias gradient sum_k delta_j[k], vectorised over j: 1.0 * delta is exact, so
                # the outer sum with a row of ones performs the same additions in the same order
                if dout == 1:
                    x = buf[dr]
                    for k in range(1, n):
                        x = x + buf[dr + k]
                    buf[o_g + bo[i]] = x
                else:
                    if din >= dout:
                        _transpose(buf, o_dt, dr, dout, n)
                        dtt = o_dt
                    else:
                        dtt = o_t
                    _outer_sum(buf, o_g + bo[i], o_1, dtt, 1, dout, n)
            if i > 0:
                # delta of layer i: sum over j in order of delta_j * W[j, q], times sigma'
                for q in range(din):
                    br = o_d[i] + q * n
                    _lincomb(buf, br, buf, o_p + wo[i] + q, din, dr, n, dout, n)
                    if act != ACT_IDENTITY:
                        bv = buf[br : br + n]
                        sg = buf[o_s[i] + q * n : o_s[i] + q * n + n]
                        for k in range(n):
                            bv[k] = bv[k] * sg[k]
        for p in range(P):
            g[p, l] = buf[o_g + p]


@numba.njit(**_JIT)
def _grad_lanes_outer(ip: Any, fp: Any, th: Any, g: Any, wk: Any) -> None:  # pragma: no cover
    """The lanes-outermost order with its own scratch (``wk`` is not used)."""
    buf, sc, o_a, o_s, o_d = outer_prepare(ip, fp, th.shape[0])
    outer_lanes(ip, th, g, buf, sc, o_a, o_s, o_d)


@numba.njit(**_JIT)
def lanes_innermost(ip: Any, L: int) -> bool:  # pragma: no cover  (compiled)
    """Which loop order serves ``L`` lanes: innermost when the lane loops are at least as long
    as the data-point loops (up to :data:`INNER_MIN_LANES`) and no hidden layer is wide."""
    D = ip[0]
    wmax = 0
    for i in range(1, D):
        wmax = max(wmax, ip[_H + i])
    return L >= min(ip[2], INNER_MIN_LANES) and wmax < INNER_MAX_WIDTH


@numba.njit(**_JIT)
def grad_mlp(ip: Any, fp: Any, th: Any, g: Any, wk: Any) -> None:  # pragma: no cover
    """Gradient of every lane: ``fp = [X (n d_0, row-major), Y (n d_D)]``."""
    if lanes_innermost(ip, th.shape[1]):
        grad_lanes_inner(ip, fp, th, g, wk)
    else:
        _grad_lanes_outer(ip, fp, th, g, wk)


@numba.njit(BLOCK_SIG, **_JIT)
def block_mlp(
    kind: int, ip: Any, fp: Any, th: Any, g: Any, wk: Any, lr: Any, hist: Any, gsum: Any,
    gmax: Any, c: int, tail: int, H: int,
) -> None:  # pragma: no cover  # fmt: skip
    """The lane block of MLPs (signature :data:`~dynsys_gd.numeric.engine.lane_block.BLOCK_SIG`):
    the loop order is chosen once per block (the lanes do not change within it), the scratch
    of the lanes-outermost order is made once, and the MLP gradient is called directly (inside
    a dispatch over all kernels LLVM optimised its loops less well, and every user of the
    dispatch would compile it)."""
    gg = np.empty(th.shape[1])
    gsum[:] = 0.0
    gmax[:] = 0.0
    if lanes_innermost(ip, th.shape[1]):
        for s in range(c):
            grad_lanes_inner(ip, fp, th, g, wk)
            after_gradient(s, th, g, lr, hist, gsum, gmax, gg, c, tail, H)
    else:
        buf, sc, o_a, o_s, o_d = outer_prepare(ip, fp, th.shape[0])
        for s in range(c):
            outer_lanes(ip, th, g, buf, sc, o_a, o_s, o_d)
            after_gradient(s, th, g, lr, hist, gsum, gmax, gg, c, tail, H)


@numba.njit(**_JIT)
def mlp_gradient_cols(ip: Any, fp: Any, nwork: int, th: Any) -> Any:  # pragma: no cover
    """Gradient of a ``(P, n)`` array of columns (for tests and the engine's description)."""
    g = np.zeros_like(th)
    wk = np.zeros((max(nwork, 2), th.shape[1]))
    grad_mlp(ip, fp, th, g, wk)
    return g


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
