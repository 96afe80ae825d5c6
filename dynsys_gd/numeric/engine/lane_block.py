"""What every compiled lane block shares: the compiler options, the block signature, and the
part of a GD step that follows the gradient.

A *block function* (signature :data:`BLOCK_SIG`) does ``c`` GD steps of every lane of
``th[P, L]`` (see :mod:`~dynsys_gd.numeric.engine.lanes`); the generic block, the MLP block
(:mod:`~dynsys_gd.numeric.engine.mlp_kernel`) and the generated straight-line blocks differ only in
how
they compute the gradient.
"""

from __future__ import annotations

import math
from typing import Any

import numba
from numba.core import cgutils
from numba.extending import intrinsic

from ._jit import JIT

__all__ = ["BLOCK_SIG", "after_gradient", "fetch_add", "load_acquire"]

_JIT = JIT

_f2 = numba.types.float64[:, ::1]
_f1 = numba.types.float64[::1]
_i1 = numba.types.int64[::1]
_i8 = numba.types.int64
#: ``block(kind, ip, fp, th, g, wk, lr, hist, gsum, gmax, c, tail, H)``
BLOCK_SIG = numba.types.void(
    _i8, _i1, _f1, _f2, _f2, _f2, _f1, numba.types.float64[:, :, ::1], _f1, _f1, _i8, _i8, _i8
)


@numba.njit(**_JIT)
def after_gradient(
    s: int,
    th: Any,
    g: Any,
    lr: Any,
    hist: Any,
    gsum: Any,
    gmax: Any,
    gg: Any,
    c: int,
    tail: int,
    H: int,
) -> None:  # pragma: no cover
    """The rest of step ``s`` of a block once ``g`` holds the gradient: the gradient norm (in
    the last ``tail`` steps), the GD update, the iterate into ``hist`` (last ``H`` steps)."""
    P, L = th.shape
    if s >= c - tail:
        for l in range(L):
            gg[l] = g[0, l] * g[0, l]
        for i in range(1, P):
            for l in range(L):
                gg[l] = gg[l] + g[i, l] * g[i, l]
        for l in range(L):
            gn = math.sqrt(gg[l])
            gsum[l] = gsum[l] + gn
            if gn > gmax[l]:
                gmax[l] = gn
    for i in range(P):
        for l in range(L):
            th[i, l] = th[i, l] - lr[l] * g[i, l]
    if s >= c - H:
        h = s - (c - H)
        for i in range(P):
            for l in range(L):
                hist[h, i, l] = th[i, l]


def _fetch_add(typingctx: Any, arr: Any, idx: Any, val: Any) -> Any:  # pragma: no cover
    """``old = arr[idx]; arr[idx] += val; return old`` as one atomic (sequentially consistent)
    operation: the kernels of several threads claim runs from one shared counter."""
    sig = numba.types.int64(arr, numba.types.intp, numba.types.int64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        a, i, v = args
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, a)
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [i])
        return builder.atomic_rmw("add", ptr, v, "seq_cst")

    return sig, codegen


#: ``fetch_add(arr, idx, val)`` in compiled code (see :func:`_fetch_add`)
fetch_add: Any = intrinsic(_fetch_add)


def _load_acquire(typingctx: Any, arr: Any, idx: Any) -> Any:  # pragma: no cover
    """``arr[idx]`` as an atomic load (acquire): a flag written by another thread is read from
    memory every time, never from a copy the compiler kept in a register (a plain load on
    x86, no bus lock)."""
    sig = numba.types.int64(arr, numba.types.intp)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        a, i = args
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, a)
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [i])
        return builder.load_atomic(ptr, "acquire", 8)

    return sig, codegen


#: ``load_acquire(arr, idx)`` in compiled code (see :func:`_load_acquire`)
load_acquire: Any = intrinsic(_load_acquire)
