r"""Outcomes of a GD run and the tests that decide them (docs/math/convergent-set.md,
docs/math/claims.md#c6–C8).

Every run ends in exactly one :class:`Outcome`.  ``UNDECIDED`` (budget exhausted while the run
was still approaching something) is never counted as non-convergent; ``FROZEN`` is never
counted as converged.

The tests
---------
Every ``c = check_every`` steps the engine looks at the last :math:`H = 2 k_{\max}` iterates of
a run and measures, for :math:`k = 1..k_{\max}` (``max_period``), the *k-step displacement*

.. math::
   e_k = \max_{j < \max(k, 2)} \lVert\theta_{t-j} - \theta_{t-j-k}\rVert
   \quad (e_1 \text{ is the step length}), \qquad
   D_k = \max_{j < \max(k, 2)} \lVert\theta_{t-j} - \theta_{t-j-1}\rVert

(:math:`D_k` is the size of the last k steps: the orbit size for period k).  Between two checks
the ratio :math:`\rho_k = e_k(t) / e_k(t - c)` is recorded.  A *geometric streak* is a run of at
least ``S`` (``streak``) consecutive checks with :math:`\rho_k < 1` whose successive ratios agree,
:math:`|\rho - \rho_{\text{prev}}| \le \tfrac12 (1 - \max(\rho, \rho_{\text{prev}}))`; its
largest ratio :math:`\bar\rho_k` is the *measured contraction* per check.  If a displacement
decays geometrically with per-step factor :math:`q` then :math:`\bar\rho = q^c` and, since
:math:`1 - q^c \le c (1 - q)`, the distance still to travel is at most

.. math::
   \sum_{s > t} e_1(s) \le \frac{e_1}{1 - q} \le \frac{c\, e_1}{1 - \bar\rho_1}

(for a k-cycle the same bound with :math:`c/k`).  The certificate is therefore tied to the
measured contraction factor of the limit, whatever it is (0.5 or 0.9997 per step), not to a
fixed shrink factor.  Decisions use only :math:`+ - \times \div \sqrt{}` and comparisons.

``CONVERGED``
    (a) the iterate is exactly stationary in float64 and the gradient is exactly zero (an
    exact critical point), or stationary after an observed approach (below); (b) a geometric
    streak of :math:`e_1` with remaining distance :math:`c e_1 / (1 - \bar\rho_1) \le`
    ``conv_tol`` :math:`\cdot \max(1, \lVert\theta\rVert_\infty)`; or (c) the *float64 floor*:
    after an observed approach (a geometric streak whose contraction would shrink the step by a
    factor e within the hard cap, or a single drop of :math:`e_1` by 4× from above the floor),
    the contraction per step :math:`e_1 (1 - \bar\rho_1)/c` is below ``floor_ulps`` units in
    the last place of :math:`\max(1, \lVert\theta\rVert_\infty)` and :math:`e_1` is below
    ``min_orbit``: the run is within rounding of a linearly attracting limit and float64 cannot
    bring it closer (docs/math/convergent-set.md: runs at the edge of stability stall on a ~1e−12
    two-cycle); or (d) the *window streak*: the step lengths
    :math:`w_m = \lVert\theta_{t-md} - \theta_{t-md-1}\rVert`, :math:`m = 0..S`, inside the
    last :math:`H` iterates (:math:`d` the largest divisor of :math:`c` with :math:`S d \le H -
    2`: 4 by default) form a geometric streak of :math:`S` ratios :math:`w_m / w_{m+1}`, the
    same streak test at interval :math:`d` instead of :math:`c`, and the remaining distance
    :math:`d\, e_1 / (1 - \bar\rho_w) \le` ``conv_tol`` :math:`\cdot \max(1,
    \lVert\theta\rVert_\infty)`.  A fast run is then decided at the first check after it
    gets there, instead of after a streak of ``S`` checks ``c`` steps apart; its measured
    contraction per check is :math:`\bar\rho_w^{\,c/d}`.  Rules (b)–(d) are tried in that
    order.
    A small gradient alone never makes a run converged.
``PERIODIC`` (period k, the smallest found, :math:`2 \le k \le k_{\max}`)
    The orbit size :math:`D_k` is at least ``min_orbit`` (relative) and no longer changes
    (:math:`|D_k - D_k^{\text{prev}}| \le 4\,` ``period_tol`` :math:`D_k` + floor), and either
    :math:`e_k = 0` (an exact float64 cycle), or a geometric streak of :math:`e_k` with remaining
    distance :math:`(c/k)\, e_k / (1 - \bar\rho_k) \le` ``period_tol`` :math:`D_k` (the test
    scales with the orbit, so slowly attracting cycles with Floquet multipliers 0.97–0.99 are
    found), or the float64 floor of the cycle.
``DIVERGED``
    :math:`\lVert\theta\rVert_\infty >` ``div_threshold`` or not finite at a check; the step
    count is the first step beyond the threshold, the reported iterate the last one within it.
``FROZEN``
    At the budget the run showed no approach to anything and its gradient norm stayed below
    ``grad_tol`` over the last ``tail`` steps: it barely moves (e.g. near the non-strict saddle
    :math:`\theta = 0` of a deep scalar network, where :math:`\lVert\nabla L\rVert \approx
    10^{-14}`; docs/math/claims.md#c6) and is *not* converging within any practical budget.
    Escaping such
    a region takes of the order of :math:`1/\lVert\nabla L\rVert` steps, so whether it would
    converge much later is not decided.
``UNDECIDED``
    At the hard cap the run was still approaching something (a geometric streak fast enough to
    matter), still moving slowly (every step below ``SLOW`` relative) or still growing
    monotonically (a transient such as a slow escape from a saddle).  Such runs are first
    extended by ``max_steps`` at a time up to the hard cap.
``BOUNDED``
    At the budget none of the above: bounded, moving, not periodic, not approaching.

The rules exist twice, with the same operations in the same order: compiled (``lanes_*`` on a
whole block of lanes at once, in loops over the lanes that LLVM vectorises, and ``lane_*`` for the
few lanes that are decided or at their budget; used by :mod:`~dynsys_gd.numeric.engine.lanes`),
and per batch in numpy (``batch_*``, used by the reference path
:mod:`~dynsys_gd.numeric.engine.gd_numpy`).  Both give the same decisions bit for bit; the tests
check it run by run.
"""

from __future__ import annotations

import math as _math
from enum import Enum
from typing import Any

import numba as _numba
import numpy as _np

from ._jit import JIT

__all__ = ["OUTCOME_NAMES", "Outcome"]


class Outcome(Enum):
    """The outcome of one GD run; ``.value`` reads as a sentence, ``.name.lower()`` is the key
    used in counts ("converged", "diverged", "periodic", "bounded", "undecided", "frozen")."""

    CONVERGED = "converged to a critical point"
    DIVERGED = "diverged to infinity"
    PERIODIC = "settled on a periodic orbit"
    BOUNDED = "stayed bounded without converging"
    UNDECIDED = "undecided within the budget"
    FROZEN = "frozen: a tiny gradient and no approach to a critical point"

    @property
    def key(self) -> str:
        """Lower-case name used as the key of outcome counts."""
        return self.name.lower()

    @property
    def code(self) -> int:
        """Small integer code used in compact arrays (order of definition)."""
        return _CODES[self]

    @classmethod
    def from_code(cls, code: int) -> Outcome:
        """Inverse of :attr:`code`."""
        return _BY_CODE[int(code)]

    @classmethod
    def from_key(cls, key: str) -> Outcome:
        """Outcome from its lower-case key."""
        return cls[key.upper()]


_CODES = {o: i for i, o in enumerate(Outcome)}
_BY_CODE = dict(enumerate(Outcome))

#: Outcome keys in canonical order.
OUTCOME_NAMES: tuple[str, ...] = tuple(o.key for o in Outcome)

_JIT = JIT

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
#: the halves of a budget segment must agree within this factor for a run to count as settled
TREND = 1.25
#: steps all below this (relative to max(1, |theta|_inf)) mark a slow, unsettled run
SLOW = 1e-4
#: "no measured contraction" (any value >= 1)
NO_Q = 2.0


@_numba.njit(**_JIT)
def _row_sq_max(hist: Any, a: int, b: int, acc: Any, out: Any) -> None:  # pragma: no cover
    """``out[l] = max(out[l], |hist[a, :, l] - hist[b, :, l]|^2)`` for every lane (squares
    summed over the parameters in order; ``acc`` is scratch)."""
    P = hist.shape[1]
    L = hist.shape[2]
    ha = hist[a]
    hb = hist[b]
    for l in range(L):
        dd = ha[0, l] - hb[0, l]
        acc[l] = dd * dd
    for i in range(1, P):
        for l in range(L):
            dd = ha[i, l] - hb[i, l]
            acc[l] = acc[l] + dd * dd
    for l in range(L):
        v = acc[l]
        out[l] = v if v > out[l] else out[l]


@_numba.njit(**_JIT)
def _row_sq_max_few(hist: Any, a: int, b: int, out: Any) -> None:  # pragma: no cover
    """:func:`_row_sq_max` for one to four parameters, in one pass over the lanes: the
    running sum stays in a register (for a few parameters the stores and loads of the running
    sum, not the arithmetic, are the cost); the additions are the same, in the same order."""
    P = hist.shape[1]
    L = hist.shape[2]
    ha = hist[a]
    hb = hist[b]
    if P == 1:
        for l in range(L):
            d0 = ha[0, l] - hb[0, l]
            v = d0 * d0
            out[l] = v if v > out[l] else out[l]
    elif P == 2:
        for l in range(L):
            d0 = ha[0, l] - hb[0, l]
            d1 = ha[1, l] - hb[1, l]
            v = d0 * d0 + d1 * d1
            out[l] = v if v > out[l] else out[l]
    elif P == 3:
        for l in range(L):
            d0 = ha[0, l] - hb[0, l]
            d1 = ha[1, l] - hb[1, l]
            d2 = ha[2, l] - hb[2, l]
            v = (d0 * d0 + d1 * d1) + d2 * d2
            out[l] = v if v > out[l] else out[l]
    else:
        for l in range(L):
            d0 = ha[0, l] - hb[0, l]
            d1 = ha[1, l] - hb[1, l]
            d2 = ha[2, l] - hb[2, l]
            d3 = ha[3, l] - hb[3, l]
            v = ((d0 * d0 + d1 * d1) + d2 * d2) + d3 * d3
            out[l] = v if v > out[l] else out[l]


@_numba.njit(**_JIT)
def displacements(hist: Any, maxp: int, E: Any, D: Any) -> None:  # pragma: no cover
    r"""From the last ``H = 2 maxp`` iterates ``hist[H, P, L]``: the k-step displacements
    ``E[k-1] = max_{j<k} |theta_{t-j} - theta_{t-j-k}|`` (k >= 2) and the orbit sizes
    ``D[k-1] = max_{j<max(k,2)} |theta_{t-j} - theta_{t-j-1}|``; ``E[0] = D[0]``.

    The maxima are taken over squared distances and the square root once at the end: the
    square root is correctly rounded and monotone, so :math:`\sqrt{\max_j a_j} = \max_j
    \sqrt{a_j}` bit for bit (``2 maxp - 2`` roots per lane instead of 43: ``D[0]`` and ``D[1]``
    are the root of ``E[0]``).  Up to four parameters a distance is summed in one pass over the
    lanes (:func:`_row_sq_max_few`)."""
    H = hist.shape[0]
    L = hist.shape[2]
    few = hist.shape[1] <= 4
    acc = _np.empty(L)
    for k in range(1, maxp + 1):
        jn = k if k >= 2 else 2
        Ek = E[k - 1]
        for l in range(L):
            Ek[l] = 0.0
        for j in range(jn):
            a = H - 1 - j
            if few:
                _row_sq_max_few(hist, a, a - k, Ek)
            else:
                _row_sq_max(hist, a, a - k, acc, Ek)
    for l in range(L):
        D[0, l] = E[0, l]
        D[1, l] = E[0, l]
    for k in range(3, maxp + 1):
        # step length theta_{t-k+1} - theta_{t-k}, j = k - 1
        Dk = D[k - 1]
        for l in range(L):
            Dk[l] = D[k - 2, l]
        a = H - k
        if few:
            _row_sq_max_few(hist, a, a - 1, Dk)
        else:
            _row_sq_max(hist, a, a - 1, acc, Dk)
    for k in range(maxp):
        for l in range(L):
            E[k, l] = _math.sqrt(E[k, l])
    for l in range(L):
        D[0, l] = E[0, l]
        D[1, l] = E[0, l]
    for k in range(2, maxp):
        for l in range(L):
            D[k, l] = _math.sqrt(D[k, l])


@_numba.njit(**_JIT)
def window_spacing(c: int, H: int, S: int) -> int:  # pragma: no cover
    r"""The spacing :math:`d` of the window streak: the largest divisor of ``c`` with
    :math:`S d \le H - 2` (the ``S + 1`` step lengths it compares lie within the last ``H``
    iterates); 0 when there is none (then the window streak is not tested)."""
    for d in range((H - 2) // S if S > 0 else 0, 0, -1):
        if c % d == 0:
            return d
    return 0


@_numba.njit(**_JIT)
def window_steps(hist: Any, d: int, S: int, W: Any) -> None:  # pragma: no cover
    r"""The step lengths of the window streak from the last ``H`` iterates ``hist[H, P, L]``:
    ``W[m, l]`` :math:`= \lVert\theta_{t-md} - \theta_{t-md-1}\rVert` for :math:`m = 0..S`
    (squares summed in order, as in :func:`displacements`)."""
    H = hist.shape[0]
    L = hist.shape[2]
    few = hist.shape[1] <= 4
    acc = _np.empty(L)
    for m in range(S + 1):
        Wm = W[m]
        for l in range(L):
            Wm[l] = 0.0
        a = H - 1 - m * d
        if few:
            _row_sq_max_few(hist, a, a - 1, Wm)
        else:
            _row_sq_max(hist, a, a - 1, acc, Wm)
        for l in range(L):
            Wm[l] = _math.sqrt(Wm[l])


@_numba.njit(inline="always", **_JIT)
def lane_window(W: Any, l: int, S: int) -> float:  # pragma: no cover
    r"""The largest ratio :math:`\bar\rho_w` of the window streak of lane ``l`` when its ``S``
    ratios :math:`W_m / W_{m+1}` are all below 1 and successive ones agree (as in a geometric
    streak), else ``NO_Q``."""
    ok = True
    hi = 0.0
    rp = 0.0
    for m in range(S):
        r = W[m, l] / W[m + 1, l]
        ok = ok & (r < 1.0)
        hi = r if r > hi else hi
        if m > 0:
            top = r if r > rp else rp
            ok = ok & (abs(r - rp) <= 0.5 * (1.0 - top))
        rp = r
    return hi if ok else NO_Q


@_numba.njit(**_JIT)
def window_power(rho: float, k: int) -> float:  # pragma: no cover
    r""":math:`\rho^k` by ``k`` multiplications in order (the window contraction per check,
    :math:`k = c / d`: the same bits in both paths)."""
    p = 1.0
    for _ in range(k):
        p = p * rho
    return p


@_numba.njit(inline="always", **_JIT)
def lane_classify(
    E: Any,
    D: Any,
    Dprev: Any,
    l: int,
    maxp: int,
    scale: float,
    c: int,
    S: int,
    conv_tol: float,
    period_tol: float,
    min_orbit: float,
    floor_lvl: float,
    streak: Any,
    rmax: Any,
    qmeas: Any,
    W: Any,
    d: int,
) -> Any:  # pragma: no cover
    """(code, period, floor, window contraction) of lane ``l`` after :func:`lanes_update`;
    code -1 = undecided yet, -2 = exactly stationary (the caller decides with the gradient, see
    :func:`stationary`); the last value is the contraction per check of a run converged by its
    window streak (``NO_Q`` otherwise)."""
    e1 = E[0, l]
    if e1 == 0.0:
        return -2, 0, False, NO_Q
    if streak[0, l] >= S and e1 * c <= conv_tol * scale * (1.0 - rmax[0, l]):
        return C_CONV, 0, False, NO_Q
    q = qmeas[0, l]
    if q < 1.0 and e1 * (1.0 - q) <= floor_lvl and e1 < min_orbit * scale:
        return C_CONV, 0, True, NO_Q
    if d > 0:
        rw = lane_window(W, l, S)
        if rw < 1.0 and e1 * d <= conv_tol * scale * (1.0 - rw):
            return C_CONV, 0, False, window_power(rw, c // d)
    for k in range(2, maxp + 1):
        kk = k - 1
        dk = D[kk, l]
        dp = Dprev[kk, l]
        # a cycle: an orbit of size above min_orbit whose size no longer changes
        if (
            dk >= min_orbit * scale
            and dp >= 0.0
            and abs(dk - dp) <= 4.0 * period_tol * dk + floor_lvl
        ):
            ek = E[kk, l]
            if ek == 0.0:
                return C_PER, k, False, NO_Q
            if streak[kk, l] >= S and ek * c <= period_tol * dk * k * (1.0 - rmax[kk, l]):
                return C_PER, k, False, NO_Q
            qk = qmeas[kk, l]
            if qk < 1.0 and ek * (1.0 - qk) * k <= floor_lvl:
                return C_PER, k, True, NO_Q
    return -1, 0, False, NO_Q


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
def lane_progressing(
    l: int, maxp: int, S: int, c: int, hard: int, streak: Any, rmax: Any
) -> bool:  # pragma: no cover
    """Some displacement decays geometrically fast enough to matter within the hard cap."""
    for kk in range(maxp):
        if streak[kk, l] >= S and (1.0 - rmax[kk, l]) * hard >= c:
            return True
    return False


@_numba.njit(**_JIT)
def lane_trend(l: int, seg: Any) -> bool:  # pragma: no cover
    """The two halves of the budget segment differ (a slow transient, not a settled orbit):
    the largest step, or the largest closest-return distance, changed by more than TREND."""
    for j in range(2):
        a = seg[j, l]
        b = seg[2 + j, l]
        if b < a / TREND or b > a * TREND:
            return True
    return False


@_numba.njit(**_JIT)
def at_budget(
    progressing: bool,
    unsettled: bool,
    budget: int,
    hard: int,
    max_steps: int,
    gmax: float,
    grad_tol: float,
) -> Any:  # pragma: no cover
    """(code, new budget) at the budget: extend, undecided, frozen or bounded.

    A run still approaching (``progressing``) is extended, then undecided; otherwise one whose
    gradient stayed below ``grad_tol`` is frozen; otherwise an ``unsettled`` one (steps growing
    monotonically, or every step below ``SLOW``) is extended, then undecided; otherwise it is
    bounded.
    """
    if progressing or (unsettled and not gmax <= grad_tol):
        if budget < hard:
            nb = budget + max_steps
            return -1, (nb if nb < hard else hard)
        return C_UND, budget
    if gmax <= grad_tol:
        return C_FRZ, budget
    return C_BND, budget


# ------------------------------------------------------------------------------------------------
# the same rules on a whole block of lanes at once (loops over the lanes that LLVM vectorises;
# every lane gets exactly the operations of the per-lane functions above)
# ------------------------------------------------------------------------------------------------
@_numba.njit(**_JIT)
def lanes_scale(th: Any, T: int, div: float, scale: Any, fin: Any) -> None:  # pragma: no cover
    """``scale[l] = max(1, |theta_l|_inf)`` over the first ``T`` rows and ``fin[l]``: every
    entry finite and within ``div``."""
    L = th.shape[1]
    for l in range(L):
        scale[l] = 1.0
        fin[l] = True
    for i in range(T):
        for l in range(L):
            v = abs(th[i, l])
            ok = v <= div
            fin[l] = fin[l] & ok
            scale[l] = v if (ok & (v > scale[l])) else scale[l]


@_numba.njit(**_JIT)
def lanes_update(
    E: Any,
    maxp: int,
    flv: Any,
    S: int,
    c: int,
    hard: int,
    eprev: Any,
    streak: Any,
    rmax: Any,
    rprev: Any,
    qmeas: Any,
    rise: Any,
) -> None:  # pragma: no cover
    """Update the decay statistics of every lane for every k (floor level ``flv[l]``; the rules
    of :func:`batch_update`, as selects instead of branches: the conditions are combined with
    ``&``, not ``and``, which LLVM compiled to branches that mispredict)."""
    L = E.shape[1]
    for kk in range(maxp):
        for l in range(L):
            e = E[kk, l]
            ep = eprev[kk, l]
            r0 = e / ep
            r = _np.inf if ep < 0.0 else (r0 if ep > 0.0 else (0.0 if e == 0.0 else _np.inf))
            rp = rprev[kk, l]
            hi = r if r > rp else rp
            st = streak[kk, l]
            rm = rmax[kk, l]
            dec = r < 1.0
            cons = (st > 0) & (abs(r - rp) <= 0.5 * (1.0 - hi))
            st = (st + 1 if cons else 1) if dec else 0
            rm = ((r if r > rm else rm) if cons else r) if dec else 0.0
            q = qmeas[kk, l]
            meaningful = (st >= S) & ((1.0 - rm) * hard >= c)
            strong = (r <= STRONG_DROP) & (ep > flv[l]) & (q >= 1.0)
            q = rm if meaningful else (r if strong else (NO_Q if r > FORGET_RISE else q))
            qmeas[kk, l] = q
            streak[kk, l] = st
            rmax[kk, l] = rm
            rprev[kk, l] = r
            eprev[kk, l] = e
        if kk == 0:
            for l in range(L):
                r = rprev[0, l]
                rise[l] = rise[l] + 1 if ((r > 1.0) & (r < _np.inf)) else 0


@_numba.njit(**_JIT)
def lanes_candidates(
    E: Any,
    D: Any,
    Dprev: Any,
    maxp: int,
    scale: Any,
    c: int,
    S: int,
    conv_tol: float,
    period_tol: float,
    min_orbit: float,
    flv: Any,
    streak: Any,
    rmax: Any,
    qmeas: Any,
    W: Any,
    d: int,
    cand: Any,
) -> None:  # pragma: no cover
    """``cand[l]``: :func:`lane_classify` decides lane ``l`` (returns a code other than -1),
    from the same comparisons (combined with ``&`` and ``|``: no branches); only those lanes
    are classified one by one."""
    L = E.shape[1]
    for l in range(L):
        e1 = E[0, l]
        sc = scale[l]
        q = qmeas[0, l]
        a = e1 == 0.0
        b = (streak[0, l] >= S) & (e1 * c <= conv_tol * sc * (1.0 - rmax[0, l]))
        f = (q < 1.0) & (e1 * (1.0 - q) <= flv[l]) & (e1 < min_orbit * sc)
        cand[l] = a | b | f
    if d > 0:
        lanes_window(E, W, S, d, scale, conv_tol, cand)
    for k in range(2, maxp + 1):
        kk = k - 1
        for l in range(L):
            dk = D[kk, l]
            dp = Dprev[kk, l]
            ok = (
                (dk >= min_orbit * scale[l])
                & (dp >= 0.0)
                & (abs(dk - dp) <= 4.0 * period_tol * dk + flv[l])
            )
            ek = E[kk, l]
            qk = qmeas[kk, l]
            d1 = ek == 0.0
            d2 = (streak[kk, l] >= S) & (ek * c <= period_tol * dk * k * (1.0 - rmax[kk, l]))
            d3 = (qk < 1.0) & (ek * (1.0 - qk) * k <= flv[l])
            cand[l] = cand[l] | (ok & (d1 | d2 | d3))


@_numba.njit(**_JIT)
def lanes_window(
    E: Any, W: Any, S: int, d: int, scale: Any, conv_tol: float, cand: Any
) -> None:  # pragma: no cover
    """``cand[l] |=`` the window streak of lane ``l`` decides it (:func:`lane_window` and the
    remaining-distance test of :func:`lane_classify`, lane by lane in vectorised loops)."""
    L = E.shape[1]
    ok = _np.ones(L, dtype=_np.bool_)
    hi = _np.zeros(L)
    rp = _np.zeros(L)
    for m in range(S):
        Wa = W[m]
        Wb = W[m + 1]
        for l in range(L):
            r = Wa[l] / Wb[l]
            o = ok[l] & (r < 1.0)
            h = hi[l]
            hi[l] = r if r > h else h
            p = rp[l]
            top = r if r > p else p
            ok[l] = (o & (abs(r - p) <= 0.5 * (1.0 - top))) if m > 0 else o
            rp[l] = r
    for l in range(L):
        h = hi[l]
        cand[l] = cand[l] | ((ok[l] & (h < 1.0)) & (E[0, l] * d <= conv_tol * scale[l] * (1.0 - h)))


@_numba.njit(**_JIT)
def lanes_segment(
    E: Any, D: Any, maxp: int, t: Any, budget: Any, half: int, seg: Any
) -> None:  # pragma: no cover
    """Segment maxima of the largest step D_kmax and of min_{k>=2} e_k of every lane:
    ``seg[0:2, l]`` over the first half of the current budget segment, ``seg[2:4, l]`` over
    the second half (when ``t[l] > budget[l] - half``).  Every loop runs over the lanes, with
    selects instead of a lane-dependent row, so all of them are vectorised (the maxima are
    those of :func:`batch_segment`)."""
    L = E.shape[1]
    emin = _np.empty(L)
    for l in range(L):
        emin[l] = E[1, l]
    for kk in range(2, maxp):
        for l in range(L):
            v = E[kk, l]
            emin[l] = v if v < emin[l] else emin[l]
    for l in range(L):
        second = t[l] > budget[l] - half
        v = D[maxp - 1, l]
        a = seg[2, l] if second else seg[0, l]
        w = v if v > a else a
        seg[0, l] = seg[0, l] if second else w
        seg[2, l] = w if second else seg[2, l]
        u = emin[l]
        a = seg[3, l] if second else seg[1, l]
        w = u if u > a else a
        seg[1, l] = seg[1, l] if second else w
        seg[3, l] = w if second else seg[3, l]


# ------------------------------------------------------------------------------------------------
# the same rules on whole batches (numpy reference path); arrays have the runs on the last axis
# ------------------------------------------------------------------------------------------------
def _batch_sq(hist: Any, a: int, b: int) -> Any:
    """Squared distances of rows ``a`` and ``b`` of ``hist[H, P, B]``, summed in order."""
    dd = hist[a, 0] - hist[b, 0]
    acc = dd * dd
    for i in range(1, hist.shape[1]):
        dd = hist[a, i] - hist[b, i]
        acc = acc + dd * dd
    return acc


def batch_window_steps(hist: Any, d: int, S: int) -> Any:
    """:func:`window_steps` for ``hist[H, P, B]``."""
    H = hist.shape[0]
    W = _np.zeros((S + 1, hist.shape[2]))
    for m in range(S + 1):
        v = _batch_sq(hist, H - 1 - m * d, H - 2 - m * d)
        W[m] = _np.where(v > W[m], v, W[m])
    return _np.sqrt(W)


def batch_window(W: Any, S: int) -> Any:
    """:func:`lane_window` on a batch."""
    ok = _np.ones(W.shape[1], dtype=bool)
    hi = _np.zeros(W.shape[1])
    rp = _np.zeros(W.shape[1])
    with _np.errstate(all="ignore"):
        for m in range(S):
            r = W[m] / W[m + 1]
            ok &= r < 1.0
            hi = _np.where(r > hi, r, hi)
            if m > 0:
                top = _np.where(r > rp, r, rp)
                ok &= _np.abs(r - rp) <= 0.5 * (1.0 - top)
            rp = r
    return _np.where(ok, hi, NO_Q)


def batch_displacements(hist: Any, maxp: int) -> tuple[Any, Any]:
    """(E, D) of :func:`displacements` for ``hist[H, P, B]`` (maxima of squared distances,
    then one square root, as there)."""
    H, B = hist.shape[0], hist.shape[2]
    E = _np.zeros((maxp, B))
    D = _np.zeros((maxp, B))

    for k in range(1, maxp + 1):
        jn = k if k >= 2 else 2
        for j in range(jn):
            a = H - 1 - j
            v = _batch_sq(hist, a, a - k)
            E[k - 1] = _np.where(v > E[k - 1], v, E[k - 1])
    D[0] = E[0]
    D[1] = E[0]
    for k in range(3, maxp + 1):
        a = H - k
        v = _batch_sq(hist, a, a - 1)
        D[k - 1] = _np.where(v > D[k - 2], v, D[k - 2])
    return _np.sqrt(E), _np.sqrt(D)


class BatchState:
    """Decay statistics of a batch of runs (the per-lane arrays of the compiled path)."""

    def __init__(self, maxp: int, B: int) -> None:
        self.eprev = _np.full((maxp, B), -1.0)
        self.streak = _np.zeros((maxp, B), dtype=_np.int64)
        self.rmax = _np.zeros((maxp, B))
        self.rprev = _np.full((maxp, B), _np.inf)
        self.qmeas = _np.full((maxp, B), NO_Q)
        self.rise = _np.zeros(B, dtype=_np.int64)
        self.Dprev = _np.full((maxp, B), -1.0)

    def take(self, keep: Any) -> None:
        """Keep only the runs ``keep`` (a boolean mask)."""
        for name in ("eprev", "streak", "rmax", "rprev", "qmeas", "Dprev"):
            setattr(self, name, getattr(self, name)[:, keep])
        self.rise = self.rise[keep]


def batch_update(E: Any, st: BatchState, floor_lvl: Any, S: int, c: int, hard: int) -> None:
    """:func:`lanes_update` on a batch."""
    inf = _np.inf
    for kk in range(E.shape[0]):
        e = E[kk]
        ep = st.eprev[kk]
        with _np.errstate(all="ignore"):
            r = _np.where(
                ep < 0.0,
                inf,
                _np.where(
                    ep > 0.0, e / _np.where(ep > 0.0, ep, 1.0), _np.where(e == 0.0, 0.0, inf)
                ),
            )
            rp = st.rprev[kk]
            hi = _np.where(r > rp, r, rp)
            cons = (st.streak[kk] > 0) & (_np.abs(r - rp) <= 0.5 * (1.0 - hi))
        dec = r < 1.0
        streak = _np.where(dec, _np.where(cons, st.streak[kk] + 1, 1), 0)
        rmax = _np.where(dec, _np.where(cons, _np.where(r > st.rmax[kk], r, st.rmax[kk]), r), 0.0)
        meaningful = (streak >= S) & ((1.0 - rmax) * hard >= c)
        strong = (r <= STRONG_DROP) & (ep > floor_lvl) & (st.qmeas[kk] >= 1.0)
        st.qmeas[kk] = _np.where(
            meaningful, rmax, _np.where(strong, r, _np.where(r > FORGET_RISE, NO_Q, st.qmeas[kk]))
        )
        st.streak[kk] = streak
        st.rmax[kk] = rmax
        if kk == 0:
            st.rise = _np.where((r > 1.0) & (r < inf), st.rise + 1, 0)
        st.rprev[kk] = r
        st.eprev[kk] = e


def batch_classify(
    E: Any,
    D: Any,
    st: BatchState,
    scale: Any,
    c: int,
    S: int,
    conv_tol: float,
    period_tol: float,
    min_orbit: float,
    floor_lvl: Any,
    W: Any,
    d: int,
) -> tuple[Any, Any, Any, Any]:
    """:func:`lane_classify` on a batch: (code, period, floor, window contraction) with code
    -1 / -2 as there."""
    B = E.shape[1]
    code = _np.full(B, -1, dtype=_np.int64)
    period = _np.zeros(B, dtype=_np.int64)
    floor = _np.zeros(B, dtype=bool)
    qwin = _np.full(B, NO_Q)
    e1 = E[0]
    und = _np.ones(B, dtype=bool)
    m = e1 == 0.0
    code[m] = -2
    und &= ~m
    m = und & (st.streak[0] >= S) & (e1 * c <= conv_tol * scale * (1.0 - st.rmax[0]))
    code[m] = C_CONV
    und &= ~m
    q = st.qmeas[0]
    m = und & (q < 1.0) & (e1 * (1.0 - q) <= floor_lvl) & (e1 < min_orbit * scale)
    code[m] = C_CONV
    floor[m] = True
    und &= ~m
    if d > 0:
        rw = batch_window(W, S)
        m = und & (rw < 1.0) & (e1 * d <= conv_tol * scale * (1.0 - rw))
        code[m] = C_CONV
        if m.any():  # the contraction per check, only for the lanes decided
            r = rw[m]
            p = _np.ones(r.size)
            for _ in range(c // d):
                p = p * r
            qwin[m] = p
        und &= ~m
    for k in range(2, E.shape[0] + 1):
        kk = k - 1
        dk = D[kk]
        dp = st.Dprev[kk]
        ok = (
            und
            & (dk >= min_orbit * scale)
            & (dp >= 0.0)
            & (_np.abs(dk - dp) <= 4.0 * period_tol * dk + floor_lvl)
        )
        ek = E[kk]
        m1 = ok & (ek == 0.0)
        m2 = ok & ~m1 & (st.streak[kk] >= S) & (ek * c <= period_tol * dk * k * (1.0 - st.rmax[kk]))
        qk = st.qmeas[kk]
        m3 = ok & ~m1 & ~m2 & (qk < 1.0) & (ek * (1.0 - qk) * k <= floor_lvl)
        m = m1 | m2 | m3
        code[m] = C_PER
        period[m] = k
        floor[m3] = True
        und &= ~m
    return code, period, floor, qwin


def batch_stationary(gmax: Any, q1: Any) -> tuple[Any, Any]:
    """:func:`stationary` on a batch."""
    code = _np.where(gmax == 0.0, C_CONV, _np.where(q1 < 1.0, C_CONV, C_FRZ))
    floor = (gmax != 0.0) & (q1 < 1.0)
    return code, floor


def batch_progressing(st: BatchState, S: int, c: int, hard: int) -> Any:
    """:func:`lane_progressing` on a batch."""
    return _np.any((st.streak >= S) & ((1.0 - st.rmax) * hard >= c), axis=0)


def batch_at_budget(
    progressing: Any,
    unsettled: Any,
    budget: Any,
    hard: int,
    max_steps: int,
    gmax: Any,
    grad_tol: float,
) -> tuple[Any, Any]:
    """:func:`at_budget` on a batch: (code, new budget)."""
    small = gmax <= grad_tol
    go_on = progressing | (unsettled & ~small)
    extend = go_on & (budget < hard)
    code = _np.where(go_on, _np.where(extend, -1, C_UND), _np.where(small, C_FRZ, C_BND))
    nb = budget + max_steps
    budget = _np.where(extend, _np.where(nb < hard, nb, hard), budget)
    return code, budget


def batch_segment(E: Any, D: Any, second_half: Any, seg: Any) -> None:
    """:func:`lanes_segment` on a batch (``seg[4, B]``, ``second_half[B]``)."""
    emin = E[1]
    for kk in range(2, E.shape[0]):
        emin = _np.where(E[kk] < emin, E[kk], emin)
    for j, v in ((0, D[-1]), (1, emin)):
        a = _np.where(second_half, seg[2 + j], seg[j])
        new = _np.where(v > a, v, a)
        seg[j] = _np.where(second_half, seg[j], new)
        seg[2 + j] = _np.where(second_half, new, seg[2 + j])


def batch_trend(seg: Any) -> Any:
    """:func:`lane_trend` on a batch."""
    out = _np.zeros(seg.shape[1], dtype=bool)
    for j in range(2):
        a, b = seg[j], seg[2 + j]
        out |= (b < a / TREND) | (b > a * TREND)
    return out
