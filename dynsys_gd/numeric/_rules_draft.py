
# ------------------------------------------------------------------------------------------------
# The outcome tests (one set of rules, two implementations: per lane compiled, per batch numpy)
# ------------------------------------------------------------------------------------------------
from typing import Any
import math as _math

import numba as _numba
import numpy as _np

_JIT = {"cache": True, "error_model": "numpy", "nogil": True, "fastmath": False}

#: codes (the order of :class:`Outcome`)
C_CONV, C_DIV, C_PER, C_BND, C_UND, C_FRZ = 0, 1, 2, 3, 4, 5
#: one unit in the last place of 1.0 (float64 machine epsilon)
ULP = 2.0**-52
#: a single drop of a displacement by this factor in one check interval is evidence of approach
STRONG_DROP = 0.25
#: ... and a rise by this factor forgets earlier evidence (the run moves away)
FORGET_RISE = 16.0
#: consecutive growing checks of the step length that mark an unsettled transient
RISE = 8
#: "no measured contraction" (any value >= 1)
NO_Q = 2.0


@_numba.njit(**_JIT)
def displacements(hist: Any, maxp: int, E: Any, D: Any) -> None:  # pragma: no cover
    r"""From the last ``H = 2 maxp`` iterates ``hist[H, P, L]``: the k-step displacements
    ``E[k-1] = max_{j<k} |theta_{t-j} - theta_{t-j-k}|`` (k >= 2) and the orbit sizes
    ``D[k-1] = max_{j<max(k,2)} |theta_{t-j} - theta_{t-j-1}|``; ``E[0] = D[0]``."""
    H = hist.shape[0]
    P = hist.shape[1]
    L = hist.shape[2]
    acc = _np.empty(L)
    for k in range(1, maxp + 1):
        jn = k if k >= 2 else 2
        for l in range(L):
            E[k - 1, l] = 0.0
        for j in range(jn):
            a = H - 1 - j
            b = a - k
            for l in range(L):
                dd = hist[a, 0, l] - hist[b, 0, l]
                acc[l] = dd * dd
            for i in range(1, P):
                for l in range(L):
                    dd = hist[a, i, l] - hist[b, i, l]
                    acc[l] = acc[l] + dd * dd
            for l in range(L):
                v = _math.sqrt(acc[l])
                if v > E[k - 1, l]:
                    E[k - 1, l] = v
        if k == 1:
            for l in range(L):
                D[0, l] = E[0, l]
                D[1, l] = E[0, l]
    for k in range(3, maxp + 1):
        # step length theta_{t-k+1} - theta_{t-k}, j = k - 1
        a = H - k
        b = a - 1
        for l in range(L):
            dd = hist[a, 0, l] - hist[b, 0, l]
            acc[l] = dd * dd
        for i in range(1, P):
            for l in range(L):
                dd = hist[a, i, l] - hist[b, i, l]
                acc[l] = acc[l] + dd * dd
        for l in range(L):
            v = _math.sqrt(acc[l])
            D[k - 1, l] = v if v > D[k - 2, l] else D[k - 2, l]


@_numba.njit(**_JIT)
def lane_update(E: object, l: int, maxp: int, floor_lvl: float, S: int, c: int, hard: int,
                eprev: object,
                streak: object, rmax: object, rprev: object, qmeas: object,
                rise: object) -> None:  # pragma: no cover
    """Update the decay statistics of lane ``l`` for every k (see :func:`batch_update`)."""
    for kk in range(maxp):
        e = E[kk, l]
        ep = eprev[kk, l]
        if ep < 0.0:
            r = _np.inf
        elif ep > 0.0:
            r = e / ep
        elif e == 0.0:
            r = 0.0
        else:
            r = _np.inf
        rp = rprev[kk, l]
        if r < 1.0:
            hi = r if r > rp else rp
            if streak[kk, l] > 0 and abs(r - rp) <= 0.5 * (1.0 - hi):
                streak[kk, l] += 1
                if r > rmax[kk, l]:
                    rmax[kk, l] = r
            else:
                streak[kk, l] = 1
                rmax[kk, l] = r
        else:
            streak[kk, l] = 0
            rmax[kk, l] = 0.0
        if streak[kk, l] >= S and (1.0 - rmax[kk, l]) * hard >= c:
            # a geometric decay that would shrink the displacement by e within the hard cap
            qmeas[kk, l] = rmax[kk, l]
        elif r <= STRONG_DROP and ep > floor_lvl and qmeas[kk, l] >= 1.0:
            qmeas[kk, l] = r
        elif r > FORGET_RISE:
            qmeas[kk, l] = NO_Q
        if kk == 0:
            if r > 1.0 and r < _np.inf:
                rise[l] += 1
            else:
                rise[l] = 0
        rprev[kk, l] = r
        eprev[kk, l] = e


@_numba.njit(**_JIT)
def lane_classify(E: object, D: object, Dprev: object, l: int, maxp: int, scale: float, c: int, S: int, conv_tol: float,
                  period_tol: float, min_orbit: float, floor_lvl: float, streak: object,
                  rmax: object, qmeas: object) -> Any:  # pragma: no cover
    """(code, period, floor) of lane ``l`` after :func:`lane_update`; code -1 = undecided yet,
    -2 = exactly stationary (the caller decides with the gradient, see :func:`stationary`)."""
    e1 = E[0, l]
    if e1 == 0.0:
        return -2, 0, False
    if streak[0, l] >= S and e1 * c <= conv_tol * scale * (1.0 - rmax[0, l]):
        return C_CONV, 0, False
    q = qmeas[0, l]
    if q < 1.0 and e1 * (1.0 - q) <= floor_lvl and e1 < min_orbit * scale:
        return C_CONV, 0, True
    for k in range(2, maxp + 1):
        kk = k - 1
        dk = D[kk, l]
        dp = Dprev[kk, l]
        # a cycle: an orbit of size above min_orbit whose size no longer changes
        if dk >= min_orbit * scale and dp >= 0.0 and abs(dk - dp) <= 4.0 * period_tol * dk + floor_lvl:
            ek = E[kk, l]
            if ek == 0.0:
                return C_PER, k, False
            if streak[kk, l] >= S and ek * c <= period_tol * dk * k * (1.0 - rmax[kk, l]):
                return C_PER, k, False
            qk = qmeas[kk, l]
            if qk < 1.0 and ek * (1.0 - qk) * k <= floor_lvl:
                return C_PER, k, True
    return -1, 0, False


@_numba.njit(**_JIT)
def stationary(gmax: float, q1: float) -> Any:  # pragma: no cover
    """Outcome of an exactly stationary float64 iterate: an exact critical point (zero
    gradient), the float64 floor after an observed approach, else frozen."""
    if gmax == 0.0:
        return C_CONV, False
    if q1 < 1.0:
        return C_CONV, True
    return C_FRZ, False


@_numba.njit(**_JIT)
def lane_progressing(l: int, maxp: int, S: int, c: int, hard: int, streak: object,
                     rmax: object) -> bool:  # pragma: no cover
    """Some displacement decays geometrically fast enough to matter within the hard cap."""
    for kk in range(maxp):
        if streak[kk, l] >= S and (1.0 - rmax[kk, l]) * hard >= c:
            return True
    return False


@_numba.njit(**_JIT)
def at_budget(progressing: bool, rising: bool, budget: int, hard: int, max_steps: int,
              gmax: float, grad_tol: float) -> Any:  # pragma: no cover
    """(code, new budget) at the budget: extend, undecided, frozen or bounded.

    A run still approaching (``progressing``) is extended, then undecided; otherwise one whose
    gradient stayed below ``grad_tol`` is frozen; otherwise one whose steps are still growing
    monotonically (``rising``: a transient, e.g. a slow escape from a saddle) is extended, then
    undecided; otherwise it is bounded.
    """
    if progressing or (rising and not gmax <= grad_tol):
        if budget < hard:
            nb = budget + max_steps
            return -1, (nb if nb < hard else hard)
        return C_UND, budget
    if gmax <= grad_tol:
        return C_FRZ, budget
    return C_BND, budget
