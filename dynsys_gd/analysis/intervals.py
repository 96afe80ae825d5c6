r"""Exact confidence intervals used by the Monte-Carlo estimates (docs/math/convergent-set.md).

* :func:`clopper_pearson` — exact binomial interval for a proportion: with :math:`k` successes
  in :math:`n` trials at level :math:`1-\alpha`,
  :math:`[B(\alpha/2; k, n-k+1),\; B(1-\alpha/2; k+1, n-k)]` with :math:`B` the beta quantile
  (lower bound 0 when :math:`k = 0`, upper bound 1 when :math:`k = n`).  With :math:`k = 0` the
  upper bound is :math:`1 - (\alpha/2)^{1/n} \approx 3.7/n` at 95 % (the "≈ 3/n" rule of thumb
  is the one-sided :math:`-\ln\alpha / n`).
* :func:`fraction_interval` — the interval of a proportion when some trials are undecided
  (docs/math/convergent-set.md): with :math:`k` successes and :math:`u` undecided of :math:`n`, the
  truth lies in
  :math:`[k/n, (k+u)/n]` and :math:`[\mathrm{CP}_{\text{low}}(k), \mathrm{CP}_{\text{high}}(k+u)]`
  covers it at level :math:`1-\alpha` whatever the undecided trials would have given (each end
  is a one-sided bound at :math:`\alpha/2` for a count that is at least :math:`k`, at most
  :math:`k+u`).
* :func:`median_ci` — distribution-free interval for a median from order statistics: the
  number of sample points below the median is Binomial(n, 1/2), so
  :math:`[x_{(l)}, x_{(u)}]` covers the median with probability
  :math:`P(l \le B < u) \ge 1-\alpha`, :math:`B \sim \mathrm{Bin}(n, 1/2)`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_int, check_probability
from ..errors import InvalidParameterError

__all__ = ["clopper_pearson", "fraction_interval", "median_ci"]


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    r"""Exact (Clopper–Pearson) two-sided confidence interval for a binomial proportion.

    Parameters
    ----------
    k : int
        Successes, ``0 <= k <= n``.
    n : int
        Trials, ``n >= 1``.
    confidence : float
        Level in (0, 1).

    Returns
    -------
    (low, high) : tuple of float
    """
    from scipy.special import betaincinv  # the beta quantile; scipy.stats costs ~1 s to import

    n = check_int("n", n, minimum=1, maximum=2**53)  # exact in float64 (scipy)
    k = check_int("k", k, minimum=0, maximum=n)
    conf = check_probability("confidence", confidence)
    a = 1.0 - conf
    low = 0.0 if k == 0 else float(betaincinv(k, n - k + 1, a / 2))
    high = 1.0 if k == n else float(betaincinv(k + 1, n - k, 1 - a / 2))
    return low, high


def fraction_interval(k: int, u: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    r"""Honest interval of a proportion with :math:`u` undecided trials
    (docs/math/convergent-set.md).

    Parameters
    ----------
    k : int
        Successes (converged runs).
    u : int
        Undecided trials, ``k + u <= n``.
    n : int
        Trials.
    confidence : float
        Level in (0, 1).

    Returns
    -------
    (low, high) : tuple of float
        Lower Clopper–Pearson bound of ``k`` and upper Clopper–Pearson bound of ``k + u``;
        the plain :func:`clopper_pearson` interval when ``u == 0``.

    Raises
    ------
    InvalidParameterError
        If a count is out of range.

    Examples
    --------
    >>> lo, hi = fraction_interval(46, 1954, 2000)
    >>> round(lo, 4), hi
    (0.0169, 1.0)
    """
    n = check_int("n", n, minimum=1, maximum=2**53)  # exact in float64 (scipy)
    k = check_int("k", k, minimum=0, maximum=n)
    u = check_int("u", u, minimum=0, maximum=n - k)
    return clopper_pearson(k, n, confidence)[0], clopper_pearson(k + u, n, confidence)[1]


def _binom_half_cdf(c: int, n: int) -> float:
    r""":math:`P(B \le c)` for :math:`B \sim \mathrm{Bin}(n, 1/2)`: the regularised incomplete
    beta function :math:`1 - I_{1/2}(c + 1, n - c)` (``scipy.special``, no ``scipy.stats``)."""
    from scipy.special import betaincc

    if c < 0:
        return 0.0
    if c >= n:
        return 1.0
    return float(betaincc(c + 1.0, float(n - c), 0.5))


def _first_count_above(n: int, level: float) -> int:
    """Smallest ``c`` in ``[0, n]`` with ``P(B <= c) > level`` (the CDF is non-decreasing)."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if _binom_half_cdf(mid, n) > level:
            hi = mid
        else:
            lo = mid + 1
    return lo


def median_ci(values: Any, confidence: float = 0.95) -> tuple[float, float, float]:
    r"""Sample median and a distribution-free confidence interval for the population median.

    Parameters
    ----------
    values : array_like
        Sample (1-D, non-empty; infinities allowed, no NaN).
    confidence : float
        Level in (0, 1).

    Returns
    -------
    (median, low, high) : tuple of float
        For tiny samples where no order-statistic interval reaches the level, the interval is
        the whole sample range ``[min, max]`` (conservative in the sense of being the widest
        available, but its coverage is then below ``confidence``).
    """
    conf = check_probability("confidence", confidence)
    x = np.sort(np.asarray(values, dtype=np.float64).ravel())
    n = x.size
    if n == 0:
        raise InvalidParameterError("values must be a non-empty sample; got an empty array")
    if np.isnan(x).any():
        raise InvalidParameterError("values must not contain NaN; got NaN values")
    med = (
        float(x[(n - 1) // 2])
        if n % 2
        else float(0.5 * (x[n // 2 - 1] + x[n // 2]))
        if np.isfinite(x[n // 2 - 1] + x[n // 2])
        else float(x[n // 2])
    )
    a = 1.0 - conf
    # lo_count = smallest count c with P(B <= c) > a/2, B ~ Bin(n, 1/2) (bisection on the CDF)
    lo_count = _first_count_above(n, a / 2)
    l_idx = lo_count - 1
    if l_idx < 0:
        return med, float(x[0]), float(x[-1])
    u_idx = n - 1 - l_idx
    return med, float(x[l_idx]), float(x[u_idx])
