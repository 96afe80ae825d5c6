"""Limits labelled global minimum / non-global local minimum / saddle, and the certainty of
S_min behind the stability verdict."""

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.models import LinearNetwork, LossModel
from dynsys_gd.numeric.landscape.certainty import NOT_CERTIFIED_PHRASE, smin_certainty
from dynsys_gd.numeric.landscape.limits import LimitKind, label_limits

a, b = sp.symbols("a b")
LINE = LossModel((a**2 * b - 1) ** 2 / 2, (a, b))


def test_line_of_local_minima_global_minima_and_a_degenerate_saddle():
    X = np.array([[0.0, -0.5], [0.0, -1.5], [1.0, 1.0], [2.0, 0.25], [0.0, 0.0], [np.nan, 0]])
    conv = np.array([True, True, True, True, True, False])
    lab = label_limits(LINE, X, conv)
    assert lab.kinds == (
        LimitKind.LOCAL_MINIMUM,
        LimitKind.LOCAL_MINIMUM,
        LimitKind.GLOBAL_MINIMUM,
        LimitKind.GLOBAL_MINIMUM,
        LimitKind.SADDLE,  # H = 0 at the origin; L = 1/2 - a^2 b + ... drops for b > 0
    )
    assert lab.counts == {"global_minimum": 2, "local_minimum": 2, "saddle": 1}
    assert lab.min_loss == 0.0
    line = next(s for s in lab.sets if s.kind is LimitKind.LOCAL_MINIMUM)
    assert line.loss == 0.5 and line.count == 2 and line.dimension == 1
    assert line.equations() == "{a = 0, b in [-1.5, -0.5]}"
    assert line.listed is None
    assert "non-global local minima at loss 0.5" in line.describe()
    d = lab.to_dict()
    assert d["counts"]["local_minimum"] == 2 and d["sets"][0]["kind"] == "global_minimum"


def test_listed_flags_a_set_the_search_missed():
    from dynsys_gd.numeric.landscape.critical_points import critical_points

    cps = critical_points(LINE, 3.0, seed=0)
    lab = label_limits(LINE, np.array([[0.0, -0.7], [0.0, -1.1]]), critical_points=cps)
    (only,) = lab.sets
    assert only.kind is LimitKind.LOCAL_MINIMUM and only.listed is False
    assert "that the critical-point search missed" in only.describe()


def test_linear_network_non_global_limits_are_saddles():
    net = LinearNetwork.scalar(2, 1.0)  # L = (w1 w2 - 1)^2 / 2: minima w1 w2 = 1, saddle 0
    lab = label_limits(net, np.array([[1.0, 1.0], [2.0, 0.5], [0.0, 0.0]]))
    assert lab.kinds == (LimitKind.GLOBAL_MINIMUM, LimitKind.GLOBAL_MINIMUM, LimitKind.SADDLE)
    assert lab.min_loss_source == "the loss on M"


def test_bad_input():
    with pytest.raises(InvalidParameterError, match="limits must have shape"):
        label_limits(LINE, np.zeros((3, 3)))
    with pytest.raises(InvalidParameterError, match="model must be"):
        label_limits("x", np.zeros((1, 2)))
    with pytest.raises(InvalidParameterError, match="converged must have shape"):
        label_limits(LINE, np.zeros((2, 2)), [True])


class _Flat:
    def __init__(self, s, method, bounds=None):
        self.sharpness, self.method, self.bounds = s, method, bounds


def test_certainty_three_values():
    num = smin_certainty(_Flat(4.0, "numerical minimisation over M"), 0.6, True)
    assert (num.kind, num.status, num.certified) == ("numerical", "not certified", False)
    assert NOT_CERTIFIED_PHRASE in num.text
    closed = smin_certainty(_Flat(4.0, "closed form (whitened)"), 0.6, True)
    assert closed.status == "passed"  # 4 > 2/0.6
    enc = (Fraction(3), Fraction(4))
    assert smin_certainty(_Flat(3.5, "c", enc), 0.7, True).status == "passed"  # 3 > 2.86
    assert smin_certainty(_Flat(3.5, "c", enc), 0.45, True).status == "failed"  # 4 < 4.44
    assert smin_certainty(_Flat(3.5, "c", enc), 0.55, True).status == "not certified"
    assert smin_certainty(_Flat(3.5, "c", enc), 0.45, False).status == "passed"
    assert smin_certainty(_Flat(3.5, "c", enc), 0.6, None).status == "not certified"
