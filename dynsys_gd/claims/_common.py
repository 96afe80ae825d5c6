"""Private helpers shared by the claim modules (fixed test networks, exact step sizes)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from .._validation import _to_exact, describe
from ..errors import InvalidParameterError
from ..models import LinearNetwork

W_STAR_8 = ((Fraction(3, 2), Fraction(3, 10)), (Fraction(-1, 5), Fraction(7, 10)))


def _lr(lr: Any) -> Fraction:
    if isinstance(lr, bool) or lr is None:
        raise InvalidParameterError(f"lr must be a finite float > 0; got {describe(lr)}")
    v = _to_exact("lr", lr)
    if v <= 0:
        raise InvalidParameterError(f"lr must be a finite float > 0; got {lr!r}")
    return v


def _check_net(net: Any) -> LinearNetwork:
    if not isinstance(net, LinearNetwork):
        raise InvalidParameterError(f"net must be a LinearNetwork; got {describe(net)}")
    return net


def _whitened(depth: int) -> LinearNetwork:
    W = np.array([[float(x) for x in r] for r in W_STAR_8])
    return LinearNetwork.from_covariances((2,) * (depth + 1), Sxx=np.eye(2), Syx=W)


def _scalar_symbols(N: int) -> tuple[Any, Any, Any, Any]:
    """Symbols, y, loss and the substitution onto M for the scalar network of depth N."""
    import sympy as sp

    w = sp.symbols(f"w1:{N + 1}", positive=True)
    y = sp.Symbol("y", positive=True)
    prod = sp.Mul(*w)
    L = (prod - y) ** 2 / 2
    on_M = {w[-1]: y / sp.Mul(*w[:-1])}
    return w, y, L, on_M


def _ball_interval_text(lo: Fraction, hi: Fraction) -> str:
    return f"[{float(lo):.12g}, {float(hi):.12g}]"
