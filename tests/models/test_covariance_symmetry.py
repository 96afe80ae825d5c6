"""from_covariances accepts Σxx symmetric up to rounding (symmetrised) and refuses a larger
asymmetry with a message naming Sxx, the tolerance and the asymmetry."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.models.linear import SYMMETRY_RTOL


def test_q_diag_qt_in_floating_point_is_accepted_and_symmetrised():
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    S = Q @ np.diag([1.0, 2.0, 3.0, 4.0]) @ Q.T
    assert not np.array_equal(S, S.T)  # asymmetric in its last bits
    net = dg.LinearNetwork.from_covariances((4, 4, 4), Sxx=S, Syx=np.eye(4))
    E = net.Sxx_exact
    assert all(E[a][b] == E[b][a] for a in range(4) for b in range(4))
    assert E[0][1] == (Fraction(S[0, 1]) + Fraction(S[1, 0])) / 2
    np.testing.assert_array_equal(net.Sxx, net.Sxx.T)
    assert np.allclose(np.linalg.eigvalsh(net.Sxx), [1, 2, 3, 4], atol=1e-12)
    assert dg.critical_lr(net) > 0


def test_asymmetry_beyond_the_tolerance_is_refused():
    S = np.array([[2.0, 0.5], [0.5 + 1e-6, 1.0]])
    with pytest.raises(InvalidParameterError) as err:
        dg.LinearNetwork.from_covariances((2, 2, 2), Sxx=S, Syx=np.eye(2))
    msg = str(err.value)
    assert msg.startswith("Sxx must be symmetric up to max|Sxx - Sxx^T| <= 1e-10")
    assert "got max|Sxx - Sxx^T| = 1e-06" in msg
    assert SYMMETRY_RTOL == 1e-10
