"""Certified eigenvalue enclosures and the exact closed-form Hessian (numeric/landscape/enclosures.py)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.landscape.enclosures import (
    arb_to_interval,
    certified_dg_spectrum,
    certified_spectrum,
    exact_hessian,
)


def _to_np(M: Any) -> np.ndarray:
    return np.array(
        [[float(M[i, j].p) / float(M[i, j].q) for j in range(M.ncols())] for i in range(M.nrows())]
    )


@pytest.mark.parametrize(
    "widths", [(1, 1, 1), (2, 3, 2), (2, 2, 3, 2), (3, 2, 2, 1), (2, 1, 1, 1, 2)]
)
def test_exact_hessian_matches_symbolic_and_float_kernels(widths: tuple[int, ...]) -> None:
    rng = np.random.default_rng(len(widths) * 10 + widths[0])
    X = rng.integers(-3, 4, (6, widths[0])).astype(float)
    Y = rng.integers(-3, 4, (6, widths[-1])).astype(float)
    net = dg.LinearNetwork(widths, X=X, Y=Y)
    pt = [Fraction(int(v), 4) for v in rng.integers(-6, 7, net.n_params)]
    H = exact_hessian(net, pt)
    assert H == dg.derive(net).hessian_at_rational(pt)
    Hf = dg.numeric_model(net).hessian(np.array([[float(x) for x in pt]]))[0]
    np.testing.assert_allclose(_to_np(H), Hf, rtol=1e-12, atol=1e-12)


def test_spectrum_encloses_float_eigenvalues_and_counts() -> None:
    rng = np.random.default_rng(3)
    A = rng.normal(size=(7, 7))
    A = A + A.T
    enc = certified_spectrum(A)
    ev = np.linalg.eigvalsh(A)
    assert sum(c.count for c in enc.clusters) == 7 == enc.size
    for lam in ev:
        assert any(float(c.lo) - 1e-12 <= lam <= float(c.hi) + 1e-12 for c in enc.clusters)
    assert enc.lower <= Fraction(float(ev[0])) and Fraction(float(ev[-1])) <= enc.upper
    assert float(enc.upper - enc.lower) < float(ev[-1] - ev[0]) + 1e-9


def test_multiple_eigenvalue_cluster_on_manifold() -> None:
    """C3: at a point of M the Hessian eigenvalue 0 has multiplicity dim M; it is one cluster."""
    net = dg.LinearNetwork.scalar(4, 16)
    H = exact_hessian(net, [2, 2, 2, 2])  # on M: prod = 16
    enc = certified_spectrum(H)
    zero = [c for c in enc.clusters if c.lo <= 0 <= c.hi]
    assert len(zero) == 1 and zero[0].count == 3
    # normal eigenvalue |g|^2 = 4 * 8^2 = 256, certified
    assert enc.top.count == 1 and enc.top.lo <= 256 <= enc.top.hi
    assert enc.count_in(Fraction(255), Fraction(257)) == 1
    dg_enc = certified_dg_spectrum(H, Fraction(1, 100))
    one = [c for c in dg_enc.clusters if c.lo <= 1 <= c.hi]
    assert one[0].count == 3
    assert dg_enc.lower <= Fraction(1) - Fraction(256, 100) <= dg_enc.clusters[0].hi


def test_exact_diagonal_matrix_gives_point_intervals() -> None:
    import flint

    A = flint.fmpq_mat([[2, 0, 0], [0, Fraction(1, 3).numerator, 0], [0, 0, -5]])
    enc = certified_spectrum(A)
    assert [(c.lo, c.hi, c.count) for c in enc.clusters] == [(-5, -5, 1), (1, 1, 1), (2, 2, 1)]
    assert "3 eigenvalues" in enc.summary() and enc.to_dict()["size"] == 3


def test_arb_ball_input_and_interval_conversion() -> None:
    import flint

    b = flint.arb("1.5 +/- 0.25")
    lo, hi = arb_to_interval(b)
    assert lo <= Fraction(5, 4) and hi >= Fraction(7, 4)
    M = flint.arb_mat([[b, 0], [0, 3]])
    enc = certified_spectrum(M)
    assert enc.lower <= Fraction(5, 4) and enc.upper >= 3


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: certified_spectrum(np.ones((2, 3))), "A must be a non-empty square matrix"),
        (lambda: certified_spectrum(np.array([[1.0, 2.0], [0.0, 1.0]])), "A must be symmetric"),
        (lambda: certified_spectrum(np.eye(2), prec=10), "prec must be an int >= 53"),
        (lambda: certified_dg_spectrum(np.eye(2), -1.0), "lr must be a finite float > 0"),
        (lambda: exact_hessian("net", [1]), "net must be a LinearNetwork"),
        (
            lambda: exact_hessian(dg.LinearNetwork.scalar(2, 1.0), [1]),
            "theta must have 2 coordinates; got 1",
        ),
    ],
)
def test_bad_input(call: Any, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        call()
