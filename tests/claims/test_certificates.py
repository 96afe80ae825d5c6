"""Certificates (C1, C2, C9) and the claim checkers, including deliberately wrong claims."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.claims import (
    CLAIMS,
    Status,
    check_c1,
    check_c6,
    check_c9,
    run_claims,
)
from dynsys_gd.claims.certificates import (
    arb_eval,
    ball_det_certificate,
    exact_w_star,
    manifold_certificate,
    nonsingularity_certificate,
    rational_point_on_manifold,
)
from dynsys_gd.errors import InvalidParameterError


def _net343() -> dg.LinearNetwork:
    return dg.LinearNetwork.from_covariances(
        (3, 4, 3), Sxx=np.diag([1.0, 2.0, 3.0]), Syx=np.ones((3, 3)) + np.eye(3)
    )


def test_c1_theta_zero_for_depth_three() -> None:
    net = dg.LinearNetwork.from_covariances((4, 4, 4, 4), Sxx=np.eye(4), Syx=np.eye(4))
    c = nonsingularity_certificate(net, 0.7)
    assert c.nonsingular and c.determinant == 1
    assert all(x == 0 for x in c.point)
    assert "theta = 0" in c.summary()


def test_c1_depth_two_value_matches_symbolic_derivation() -> None:
    net = dg.LinearNetwork.scalar(2, 3)
    c = nonsingularity_certificate(net, Fraction(1, 2))
    assert c.nonsingular and c.method == "exact rational"
    assert dg.derive(net).det_dg_at(c.point, Fraction(1, 2)) == c.determinant != 0


def test_c1_modular_agrees_with_exact() -> None:
    net = _net343()
    ex = nonsingularity_certificate(net, Fraction(1, 3))
    mod = nonsingularity_certificate(net, Fraction(1, 3), method="modular", prime=1000003)
    assert mod.method == "modular (mod p)" and mod.prime == 1000003
    assert ex.point == mod.point
    det = ex.determinant
    p = 1000003
    assert (det.numerator * pow(det.denominator, -1, p)) % p == mod.determinant != 0


def test_c1_large_network_modular_is_fast() -> None:
    net = dg.LinearNetwork.from_covariances((8, 8, 8), Sxx=np.eye(8), Syx=2 * np.eye(8))
    c = nonsingularity_certificate(net, 0.3, method="modular")
    assert c.nonsingular and c.n_params == 128
    assert c.to_dict()["n_params"] == 128


def test_c1_depth_one_exception_is_reported() -> None:
    net = dg.LinearNetwork.from_covariances((2, 3), Sxx=np.diag([1.0, 4.0]), Syx=np.ones((3, 2)))
    bad = nonsingularity_certificate(net, Fraction(1, 4))
    assert bad.singular_everywhere and not bad.nonsingular
    assert "singular everywhere: eta = 1/lambda_i(Sxx)" in bad.message
    good = nonsingularity_certificate(net, Fraction(1, 3))
    assert good.nonsingular and good.determinant == (Fraction(2, 3) * Fraction(-1, 3)) ** 3


def test_c1_checker_fails_on_the_depth_one_exception() -> None:
    net = dg.LinearNetwork.scalar(1, 2.0)
    r = check_c1(net, 1)
    assert r.failed and not r.passed
    assert "singular everywhere" in r.checks[0].certificate
    assert check_c1(net, Fraction(1, 2)).passed


def test_c2_certificate_scalar_and_matrix() -> None:
    c = manifold_certificate(dg.LinearNetwork.scalar(3, 8), [2, 2, 2])
    assert c.on_manifold and c.rank_J == 1 and c.dim_M == 2 and c.nullity_H == 2
    off = manifold_certificate(dg.LinearNetwork.scalar(3, 8), [2, 2, 3])
    assert not off.on_manifold
    net = _net343()
    c2 = manifold_certificate(net)
    assert c2.on_manifold and c2.full_rank and c2.dim_M == 24 - 9 == c2.nullity_H


def test_rational_point_on_manifold_is_exact_for_bottleneck_first_layer() -> None:
    # d_{N-1} = 2 < d_0 = 3, but d_1 = 3 >= d_N = 2: W_1 is solved for
    net = dg.LinearNetwork.from_covariances(
        (3, 3, 2, 2), Sxx=np.eye(3), Syx=np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]])
    )
    pt = rational_point_on_manifold(net)
    c = manifold_certificate(net, pt)
    assert c.on_manifold and c.rank_J == 6
    Ws = exact_w_star(net)
    assert Ws[0, 2] == 2


def test_c6_checker_fails_below_eta_star() -> None:
    net = dg.LinearNetwork.scalar(3, 2.0)
    eta_star = 2 / (3 * 2 ** (4 / 3))
    low = check_c6(net, 0.999 * eta_star)
    assert low.failed and low.checks[0].status is Status.FAILED
    assert (
        "< 2/eta" in low.checks[0].certificate
        and "linearly stable minimum" in low.checks[0].certificate
    )
    high = check_c6(net, 1.001 * eta_star)
    assert high.passed and "> 2/eta" in high.checks[0].certificate


def test_c9_checker_fails_below_threshold() -> None:
    r = check_c9(Fraction(19, 20), quick=True)
    fails = [c for c in r.checks if c.status is Status.FAILED]
    assert fails and all("curve of minima" in c.name for c in fails)
    assert len(fails) == 3
    assert check_c9(Fraction(11, 10), quick=True).passed


def test_ball_det_matches_exact_for_polynomial_loss() -> None:
    x, y = sp.symbols("x y")
    m = dg.LossModel(sp.Rational(1, 2) * (x * y - 1) ** 2, (x, y))
    ok, (lo, hi), _ = ball_det_certificate(m, (Fraction(1, 2), Fraction(1, 3)), Fraction(21, 20))
    exact = dg.derive(m).det_dg_at((Fraction(1, 2), Fraction(1, 3)), Fraction(21, 20))
    assert ok and lo <= exact <= hi and hi - lo < Fraction(1, 10**20)


def test_arb_eval_encloses_transcendental_values() -> None:
    import flint

    x = sp.Symbol("x")
    v = arb_eval(sp.log(sp.cosh(x)) + sp.sqrt(x) + sp.exp(-x), {x: flint.arb(2)})
    expected = float(np.log(np.cosh(2.0)) + np.sqrt(2.0) + np.exp(-2.0))
    assert abs(float(v.mid()) - expected) < 1e-14
    with pytest.raises(InvalidParameterError, match="cannot evaluate"):
        arb_eval(sp.gamma(x), {x: flint.arb(2)})


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"net": "net", "lr": 0.1}, InvalidParameterError, "net must be a LinearNetwork"),
        ({"lr": -0.1}, InvalidParameterError, "lr must be a finite float > 0; got -0.1"),
        ({"lr": 0}, InvalidParameterError, "lr must be a finite float > 0"),
        ({"lr": float("nan")}, InvalidParameterError, "lr must be a finite float > 0"),
        ({"lr": True}, InvalidParameterError, "lr must be a finite float > 0"),
        ({"lr": 0.1, "method": "fast"}, InvalidParameterError, "method must be one of"),
        ({"lr": 0.1, "max_tries": 0}, InvalidParameterError, "max_tries must be an int >= 1"),
    ],
)
def test_nonsingularity_bad_input(kwargs: dict[str, Any], exc: type[Exception], match: str) -> None:
    args = {"net": dg.LinearNetwork.scalar(2, 1.0), **kwargs}
    with pytest.raises(exc, match=match):
        nonsingularity_certificate(**args)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: manifold_certificate("x"), "net must be a LinearNetwork"),
        (
            lambda: manifold_certificate(dg.LinearNetwork.scalar(3, 1.0), [1, 1]),
            "point must have 3 coordinates; got 2",
        ),
        (lambda: manifold_certificate(dg.LinearNetwork.scalar(3, 0.0)), "target|manifold|rank"),
        (lambda: run_claims(["C0"]), "claims must be ids among C1"),
        (lambda: check_c6(dg.LinearNetwork.scalar(3, 2.0), None), "lr must be a finite float > 0"),
    ],
)
def test_claims_and_certificates_bad_input(call: Any, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        call()


def test_registry_and_report_objects() -> None:
    assert list(CLAIMS) == [f"C{i}" for i in range(1, 11)]
    rep = run_claims(["c2", "C2"], quick=True)
    assert len(rep.results) == 1 and rep.passed
    d = rep.to_dict()
    assert d["results"][0]["claim"] == "C2" and d["passed"] is True
    assert "claim | check" in rep.summary().splitlines()[0].replace("  ", " ")
    assert "C2" in repr(rep.results[0]) and rep.to_json().startswith("{")


def test_critical_set_cover_detects_a_missing_critical_point() -> None:
    """C9: the ball-arithmetic cover passes with the full closed-form critical set and fails
    when the isolated saddle at the origin is left out."""
    from dynsys_gd.claims.certificates import critical_set_cover

    x, y = sp.symbols("x y", real=True)
    m = dg.LossModel(sp.Rational(1, 2) * (x * y - 1) ** 2, (x, y))
    ok, excluded, near, text = critical_set_cover(m, [[x * y - 1], [y, x]], n_cells=8)
    assert ok and excluded > 0 and near > 0 and "certified free" in text
    bad, *_, text2 = critical_set_cover(m, [[x * y - 1]], n_cells=8)
    assert not bad and "unexplained cells" in text2
    with pytest.raises(InvalidParameterError, match="2 parameters"):
        critical_set_cover(dg.LossModel(x**2, (x,)), [[x]])
