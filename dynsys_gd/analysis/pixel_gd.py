r"""The GD step of a basin map fused with the per-pixel recurrence tests in one compiled loop
(docs/math/basins.md).

:func:`~dynsys_gd.analysis.pixel_steps.iterate_pixels` calls a vectorised ``step`` once per
step on every running pixel and tests them in Python every ``check_every`` steps.  For the GD
map :math:`\theta \leftarrow \theta - (\eta q) \odot \nabla L(\theta)` of a model with a compiled
lane gradient (scalar and linear networks, polynomial losses) :func:`gd_pixels` does the same
work in one compiled call per chunk: the pixels run in blocks of :data:`BLOCK` lanes, each
block from step 0 to the budget with its own history ring, tested and compacted in place.

Every pixel sees exactly the operations of the numpy path, in the same order: the gradient is
the same kernel (:func:`~dynsys_gd.numeric.engine.lane_gradients._grad`, elementwise over the
lanes), the update is ``x - s * g`` with two roundings (no FMA: the options of
:mod:`~dynsys_gd.numeric.engine._jit`), the history is stored at the same steps and the tests
are the same code (:func:`_test`, which the numpy path calls too).  Every compiled function the
fused loop calls lives in this file or in a kernel source of
:mod:`~dynsys_gd.numeric.engine._jit` (whose digest names the numba cache directory), so numba's
per-file cache can never pair this loop with a stale test or gradient.  The results are therefore
bit-identical to the numpy path, and to themselves for every chunking (each pixel's run
depends on its own column only).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from ..numeric.engine._jit import JIT
from ..numeric.engine.lane_gradients import KIND_LINEAR, KIND_POLY, KIND_SCALAR, _grad

__all__ = [
    "BLOCK",
    "CONVERGED",
    "DIVERGED",
    "FUSED_KINDS",
    "PERIODIC",
    "UNDECIDED",
    "GDStep",
    "gd_pixels",
]

Array = NDArray[Any]

#: outcome codes of a pixel (the engine's Outcome codes: converged, diverged, periodic, undecided)
CONVERGED, DIVERGED, PERIODIC, UNDECIDED = 0, 1, 2, 4

#: lanes per block: the block's state, gradient, work rows and history stay in cache
BLOCK = 256
#: lane-model kinds whose gradient :func:`_grad` computes
FUSED_KINDS = (KIND_SCALAR, KIND_LINEAR, KIND_POLY)


class GDStep:
    r"""The GD step :math:`x \leftarrow x - s \odot \nabla L(x)` on columns, as a picklable
    callable (``step(x, aux)``), that :func:`~dynsys_gd.analysis.pixel_steps.iterate_pixels`
    runs fused (:meth:`run_chunk`) when its kind allows."""

    def __init__(self, lane_model: Any, scale: Array) -> None:
        self.lm = lane_model
        self.scale = np.ascontiguousarray(scale, dtype=np.float64).ravel()
        self.fusable = int(lane_model.kind) in FUSED_KINDS

    def __call__(self, x: Array, aux: Array) -> Array:
        return x - self.scale[:, None] * self.lm.gradient_cols(x)

    def run_chunk(
        self, x0: Array, steps: int, check_every: int, max_period: int, tol: float, bound: float
    ) -> tuple[Array, Array, Array, Array]:
        """The fused run of one chunk: ``(x, outcome, period, steps)`` as in ``_chunk``."""
        lm = self.lm
        return gd_pixels(  # type: ignore[no-any-return]
            lm.kind,
            lm.ip,
            lm.fp,
            lm.nwork,
            self.scale,
            np.ascontiguousarray(x0, dtype=np.float64),
            int(steps),
            int(check_every),
            int(max_period),
            float(tol),
            float(bound),
        )


@numba.njit(**JIT)
def _test(x: Any, ring: Any, t: int, K: int, tol: float, bound: float) -> Any:  # pragma: no cover
    """Per column: -1 diverged, k >= 1 recurrent with period k (smallest), 0 neither."""
    d, m = x.shape
    out = np.zeros(m, dtype=np.int64)
    for j in range(m):
        size = 0.0
        bad = False
        for i in range(d):
            v = abs(x[i, j])
            if not v <= bound:
                bad = True
            elif v > size:
                size = v
        if bad:
            out[j] = -1
            continue
        lim = tol * (1.0 + size)
        for k in range(1, min(K, t) + 1):
            slot = (t - k) % (K + 1)
            close = True
            for i in range(d):
                if not abs(x[i, j] - ring[slot, i, j]) <= lim:
                    close = False
                    break
            if close:
                out[j] = k
                break
    return out


@numba.njit(**JIT)
def _stored(t: int, steps: int, ce: int, K: int) -> bool:  # pragma: no cover
    """Whether the iterate of step ``t`` (not a test step) is kept: only the last ``K`` before
    a test are ever compared."""
    return (-t) % ce <= K or steps - t <= K


@numba.njit(**JIT)
def _block(
    kind: int,
    ip: Any,
    fp: Any,
    nwork: int,
    s: Any,
    x0: Any,
    j0: int,
    m0: int,
    steps: int,
    ce: int,
    K: int,
    tol: float,
    bound: float,
    out_x: Any,
    outcome: Any,
    period: Any,
    nsteps: Any,
) -> None:  # pragma: no cover
    """Run pixels ``j0 .. j0 + m0 - 1`` to the end; running pixels are kept at the front."""
    d = x0.shape[0]
    xf = np.empty(d * m0)
    gf = np.zeros(d * m0)
    wf = np.zeros(nwork * m0)
    ring = np.empty((K + 1, d, m0))
    idx = np.arange(j0, j0 + m0)
    m = m0
    for i in range(d):
        for j in range(m0):
            xf[i * m0 + j] = x0[i, j0 + j]
            ring[0, i, j] = x0[i, j0 + j]
    for t in range(1, steps + 1):
        x = xf[: d * m].reshape((d, m))
        g = gf[: d * m].reshape((d, m))
        _grad(kind, ip, fp, x, g, wf[: nwork * m].reshape((nwork, m)))
        for i in range(d):
            si = s[i]
            for j in range(m):
                x[i, j] = x[i, j] - si * g[i, j]
        slot = t % (K + 1)
        if not (t % ce == 0 or t == steps):
            if _stored(t, steps, ce, K):
                ring[slot, :, :m] = x
            continue
        found = _test(x, ring[:, :, :m], t, K, tol, bound)
        ring[slot, :, :m] = x
        w = 0
        for j in range(m):
            f = found[j]
            if f == 0:
                if w != j:
                    for r in range(K + 1):
                        for i in range(d):
                            ring[r, i, w] = ring[r, i, j]
                idx[w] = idx[j]
                w += 1
                continue
            gj = idx[j]
            for i in range(d):
                out_x[i, gj] = x[i, j]
            outcome[gj] = DIVERGED if f < 0 else (CONVERGED if f == 1 else PERIODIC)
            period[gj] = max(f, 0)
            nsteps[gj] = t
        if w < m:
            # repack the running columns of x as a (d, w) array, front to back in place
            for i in range(d):
                w2 = 0
                for j in range(m):
                    if found[j] == 0:
                        xf[i * w + w2] = xf[i * m + j]
                        w2 += 1
            m = w
        if m == 0:
            return
    x = xf[: d * m].reshape((d, m))
    for j in range(m):
        for i in range(d):
            out_x[i, idx[j]] = x[i, j]


@numba.njit(**JIT)
def gd_pixels(
    kind: int,
    ip: Any,
    fp: Any,
    nwork: int,
    s: Any,
    x0: Any,
    steps: int,
    ce: int,
    K: int,
    tol: float,
    bound: float,
) -> Any:  # pragma: no cover
    """GD on the columns of ``x0`` with the recurrence tests of
    :func:`~dynsys_gd.analysis.pixel_steps.iterate_pixels`: ``(x, outcome, period, steps)``."""
    n = x0.shape[1]
    out_x = x0.copy()
    outcome = np.full(n, UNDECIDED, dtype=np.int8)
    period = np.zeros(n, dtype=np.int64)
    nsteps = np.full(n, steps, dtype=np.int64)
    for j0 in range(0, n, BLOCK):
        m0 = min(BLOCK, n - j0)
        _block(
            kind,
            ip,
            fp,
            nwork,
            s,
            x0,
            j0,
            m0,
            steps,
            ce,
            K,
            tol,
            bound,
            out_x,
            outcome,
            period,
            nsteps,
        )
    return out_x, outcome, period, nsteps
