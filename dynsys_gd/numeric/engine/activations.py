r"""The MLP activations of the GD engine, written once and evaluated twice, bit for bit.

The compiled MLP kernel (:mod:`~dynsys_gd.numeric.engine.lanes`, ``KIND_MLP``) and its numpy twin
(:mod:`~dynsys_gd.numeric.engine.gd_numpy`) must round every operation identically, so that the two
paths give the same iterates.  ``math.tanh`` (the C library, called by numba) and
``numpy.tanh`` (numpy's own SIMD loops) are both accurate but differ in the last bit for about
a quarter of all arguments, and the C library's tanh is a function call per element that the
compiler cannot vectorise (16 ns per value here, against 2 ns for numpy's).  So the engine
computes :math:`\tanh` by one formula of its own, using only :math:`+ - \times \div`, floor,
comparisons and copysign, which both evaluators perform in the same order:

.. math::
   y &= 2\min(|x|, 22), \qquad k = \lfloor y/\ln 2 + \tfrac12 \rfloor, \qquad
   r = (y - k\,\ell_{hi}) - k\,\ell_{lo} \quad (|r| \le \tfrac12\ln 2),\\
   e &= r + r^2 \sum_{j=0}^{12} \frac{r^j}{(j+2)!} \approx e^r - 1 \quad
   \text{(Horner)}, \qquad
   E = 2^k e + (2^k - 1) = e^y - 1,\\
   \tanh x &= \operatorname{sign}(x)\, \frac{E}{E + 2} \quad (E \le 2^{53}), \qquad
   \operatorname{sign}(x)\Big(1 - \frac{2}{E + 2}\Big) \quad (E > 2^{53}).

:math:`\ell_{hi} + \ell_{lo} = \ln 2` is the Cody–Waite split (``ell_hi`` has 21 trailing zero
bits, so :math:`k\,\ell_{hi}` is exact for :math:`k \le 64`); :math:`2^k` is built from exact
multiplications by :math:`2^{32}, 2^{16}, \dots, 2` (no table, no ``ldexp``), so the loop
vectorises.  The clamp at 22 is harmless (for :math:`|x| \ge 22`, :math:`\tanh x` rounds to
:math:`\pm 1`, and so does the formula) and keeps :math:`2|x|` from overflowing.  Above
:math:`E = 2^{53}` the floats near :math:`E` are more than 2 apart, so :math:`E + 2` rounds up or
down with the last bit of :math:`E` and :math:`E/(E+2)` would not be monotone in :math:`x`;
:math:`1 - 2/(E+2)` is (every rounding is monotone) and there exact to rounding.  NaN propagates
(the clamp compares with ``>``), and :math:`\pm\infty \mapsto \pm 1`,
:math:`\pm 0 \mapsto \pm 0`, subnormals map to themselves.

Accuracy against mpmath at 120 bits (``benchmarks/tanh_accuracy.py``; the tests check a bound
of 3 ulp): at most 2.25 units in the last place on 95,000 arguments spread over
:math:`[-25, 25]` and :math:`10^{-320} \le |x| \le 1` (mean 0.37 ulp); the C library's
``tanh`` measured 2.08 ulp at most on the same arguments (mean 0.37), numpy's 1.15.  The MLP
models' own :meth:`~dynsys_gd.models.MLP.gradient` keeps ``numpy.tanh``; the engine's iterates
therefore differ from a loop over ``MLP.gradient`` by rounding only.

ReLU is :math:`\sigma(z) = z \cdot [z > 0]`, :math:`\sigma'(z) = [z > 0]` (the convention of
:class:`~dynsys_gd.models.MLP`: :math:`\sigma'(0) = 0`), identity needs no work.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

from ._jit import JIT

__all__ = ["ACT_CODES", "relu_array", "tanh_array", "tanh_scalar"]

#: activation name -> code used by the compiled kernel
ACT_CODES: dict[str, int] = {"identity": 0, "tanh": 1, "relu": 2}

#: Cody–Waite split of ln 2 (fdlibm): LN2_HI has trailing zero bits, LN2_HI + LN2_LO = ln 2
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
INV_LN2 = 1.44269504088896338700e00
#: beyond 2|x| = 44, tanh rounds to +-1 in float64
CLAMP = 22.0
#: above this, E / (E + 2) is not monotone in E (the spacing of floats near E exceeds 2), and
#: 1 - 2 / (E + 2) is used; below it, E / (E + 2) keeps the accuracy for small |x|
BIG = 2.0**53
#: 1/(j+2)! for j = 12 .. 0: the Horner coefficients of (e^r - 1 - r) / r^2, highest first
HORNER = tuple(1.0 / math.factorial(j + 2) for j in range(12, -1, -1))
#: (k, 2^k) for k = 32, 16, 8, 4, 2, 1: 2^k for k <= 63 as a product of exact powers of two
POWERS = ((32.0, 4294967296.0), (16.0, 65536.0), (8.0, 256.0), (4.0, 16.0), (2.0, 4.0), (1.0, 2.0))


@numba.njit(**JIT, inline="always")
def tanh_scalar(x: float) -> float:  # pragma: no cover  (compiled; tested through the twin)
    """The engine's tanh of one float64 (see the module docstring); compiled, vectorisable."""
    a = abs(x)
    if a > CLAMP:
        a = CLAMP
    y = 2.0 * a
    k = np.floor(y * INV_LN2 + 0.5)
    r = (y - k * LN2_HI) - k * LN2_LO
    p = HORNER[0]
    for c in HORNER[1:]:
        p = p * r + c
    e = r + (r * r) * p
    s = 1.0
    for step, mult in POWERS:
        if k >= step:
            s = s * mult
            k = k - step
    big = s * e + (s - 1.0)
    q = big + 2.0
    t = big / q
    if big > BIG:
        t = 1.0 - 2.0 / q
    return math.copysign(t, x)


def tanh_array(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """The same tanh on a numpy array: the operations of :func:`tanh_scalar`, in its order."""
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    y = 2.0 * np.where(a > CLAMP, CLAMP, a)
    k = np.floor(y * INV_LN2 + 0.5)
    r = (y - k * LN2_HI) - k * LN2_LO
    p = np.full_like(r, HORNER[0])
    for c in HORNER[1:]:
        p = p * r + c
    e = r + (r * r) * p
    s = np.ones_like(r)
    for step, mult in POWERS:
        m = k >= step
        s = np.where(m, s * mult, s)
        k = np.where(m, k - step, k)
    big = s * e + (s - 1.0)
    q = big + 2.0
    t = np.where(big > BIG, 1.0 - 2.0 / q, big / q)
    out: NDArray[np.float64] = np.copysign(t, x)
    return out


def relu_array(z: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """ReLU and its derivative, :math:`(z [z > 0], [z > 0])`, as the kernel computes them."""
    pos = np.where(z > 0.0, 1.0, 0.0)
    return z * pos, pos
