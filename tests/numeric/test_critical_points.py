"""critical_points / critical_lr for any sympy loss (C3, C5, C6, C9)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.landscape.critical_points import CriticalKind, critical_points
from dynsys_gd.numeric.landscape.loss_flattest import loss_flattest_minimum
from dynsys_gd.numeric.landscape.spectra import FixedPointClass

x, y = sp.symbols("x y")
LOSS = (x * y - 1) ** 2 / 2 + (x**2 - y**2) ** 2 / 8


def _model() -> dg.LossModel:
    return dg.LossModel(LOSS, (x, y))


def _independent_critical_points():
    """By hand with sympy: real solutions of grad L = 0 and the exact Hessian eigenvalues."""
    grad = [sp.diff(LOSS, v) for v in (x, y)]
    sols = sp.solve(grad, [x, y], dict=True)
    H = sp.hessian(LOSS, (x, y))
    out = []
    for s in sols:
        if all(s[v].is_real for v in (x, y)):
            ev = sorted(float(e) for e in H.subs(s).eigenvals(multiple=True))
            out.append(((float(s[x]), float(s[y])), ev))
    return sorted(out)


def _dg_class(eigs, lr):
    """Independent class: a minimum (all eigenvalues > 0) is stable iff max|1 - lr*l| < 1; a
    point with a negative eigenvalue is a strict saddle."""
    if min(eigs) < 0:
        return FixedPointClass.STRICT_SADDLE
    rho = max(abs(1 - lr * e) for e in eigs)
    return FixedPointClass.STABLE if rho < 1 else FixedPointClass.UNSTABLE


@pytest.mark.parametrize("method", ["auto", "search"])
@pytest.mark.parametrize("lr", [0.5, 1.2])
def test_two_d_loss_three_critical_points_with_classes(method, lr):
    ref = _independent_critical_points()
    assert len(ref) == 3  # (-1, -1), (0, 0), (1, 1)
    res = critical_points(_model(), 3.0, lr=lr, method=method, seed=1)
    got = sorted(res.points, key=lambda p: tuple(p.point))
    assert len(got) == 3
    for p, (pt, eigs) in zip(got, ref, strict=True):
        np.testing.assert_allclose(p.point, pt, atol=1e-12)
        np.testing.assert_allclose(p.hessian_eigenvalues, eigs, atol=1e-12)
        assert p.classification is _dg_class(eigs, lr)
        assert p.isolated is True and p.kind_certified
        assert p.kind is (CriticalKind.MINIMUM if min(eigs) > 0 else CriticalKind.SADDLE)
        assert p.gradient_norm < 1e-40
        # the certified enclosures contain the exact eigenvalues
        assert all(lo <= e <= hi for (lo, hi), e in zip(p.hessian_enclosures, eigs, strict=True))
    if method == "auto":
        assert res.exact and res.complete and res.n_starts == 0
    else:
        assert not res.exact and not res.complete and res.n_starts == 64


def test_reclassify_without_a_new_search():
    res = critical_points(_model(), 3.0, lr=0.5)
    high = res.at(1.2)
    assert [p.classification for p in res.minima] == [FixedPointClass.STABLE] * 2
    assert [p.classification for p in high.minima] == [FixedPointClass.UNSTABLE] * 2
    assert [p.point.tolist() for p in high] == [p.point.tolist() for p in res]
    none = critical_points(_model(), 3.0)
    assert none.lr is None and all(p.spectrum is None for p in none)


def test_critical_lr_agrees_with_an_independent_computation():
    ref = _independent_critical_points()
    s_min = min(max(eigs) for _, eigs in ref if min(eigs) > 0)  # over the minima
    m = _model()
    assert dg.critical_lr(m) == pytest.approx(2.0 / s_min, rel=1e-12)
    assert dg.min_sharpness(m) == pytest.approx(s_min, rel=1e-12)
    flat = dg.flattest_minimum(m)
    assert flat.exact and "exact" in flat.method
    assert flat.bracket[0] <= s_min <= flat.bracket[1]
    assert flat.bounds is not None and flat.bounds[0] <= s_min <= flat.bounds[1]
    assert flat.relative_gap < 1e-12


def test_non_isolated_minima_set_minimises_lambda_max_over_the_set():
    """1/2 (xy - 1)^2: minima form the curve xy = 1 with lambda_max = x^2 + y^2 >= 2xy = 2 (AM-GM),
    so S_min = 2 and eta* = 1 (docs/math/reference-values.md)."""
    m = dg.LossModel((x * y - 1) ** 2 / 2, (x, y))
    res = critical_points(m, 3.0, lr=0.5)
    assert not res.exact and any("not finite" in n for n in res.notes)
    minima = res.minima
    assert len(minima) >= 5
    for p in minima:
        assert p.isolated is False and p.set_dim == 1
        assert p.point[0] * p.point[1] == pytest.approx(1.0, abs=1e-10)
        assert p.sharpness == pytest.approx(p.point @ p.point, rel=1e-9)
        assert p.spectrum.tangent_dim == 1
    origin = [p for p in res.saddles]
    assert len(origin) == 1 and np.allclose(origin[0].point, 0.0, atol=1e-12)
    assert origin[0].classification is FixedPointClass.STRICT_SADDLE
    flat = loss_flattest_minimum(m, 3.0)
    assert flat.sharpness == pytest.approx(2.0, rel=1e-10)
    assert not flat.exact and "projected descent" in flat.method
    assert dg.critical_lr(m, box=3.0) == pytest.approx(1.0, rel=1e-10)


def test_analytic_loss_search_and_certificates():
    m = dg.LossModel(sp.log(sp.cosh(x * y - 1)) + (x - y) ** 2 / 2, (x, y))
    res = critical_points(m, 3.0, lr=0.5)
    assert not res.exact and any(p.isolated for p in res)
    mins = sorted(tuple(np.round(p.point, 9)) for p in res.minima)
    assert mins == [(-1.0, -1.0), (1.0, 1.0)]
    # at (1, 1): H = [[2, 0], [0, 2]] - by hand: d2/dx2 log cosh(u) = y^2 sech^2 u + 1 ...
    H = sp.hessian(m.expr, (x, y)).subs({x: 1, y: 1})
    ref = sorted(float(e) for e in H.eigenvals(multiple=True))
    np.testing.assert_allclose(res.minima[0].hessian_eigenvalues, ref, atol=1e-12)


def test_cpu_budget_falls_back_to_the_search():
    m = _model()
    res = critical_points(m, 3.0, exact_timeout=1e-6)
    assert not res.exact and any("CPU budget of 1e-06 s reached" in n for n in res.notes)
    assert res.method.startswith("exact route timed out (CPU budget")
    assert len(res) == 3


def test_result_views():
    res = critical_points(_model(), 3.0, lr=0.5)
    d = json.loads(res.to_json())
    assert d["complete"] is True and len(d["points"]) == 3
    assert {p["classification"] for p in d["points"]} == {"stable", "strict_saddle"}
    text = res.summary()
    assert "complete in the box (proved)" in text and "Krawczyk" in text
    assert repr(res) == "CriticalPointsResult(3 points: 2 minimum, 1 saddle; complete)"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"model": "m"}, r"model must be a LossModel"),
        ({"box": 0.0}, r"box must be a finite float > 0; got 0.0"),
        ({"box": (1.0, -1.0)}, r"box\[0\] must be an interval \(lo, hi\) with lo < hi"),
        ({"box": [(0, 1)] * 3}, r"box must be a number s > 0, a pair \(lo, hi\) or 2 pairs"),
        ({"lr": float("nan")}, r"lr must be a finite float > 0; got nan"),
        ({"method": "guess"}, r"method must be one of 'auto', 'exact', 'search'"),
        ({"n_starts": 0}, r"n_starts must be an int >= 1; got 0"),
    ],
)
def test_bad_input(kwargs, match):
    args = {"model": _model(), "box": 2.0, **kwargs}
    with pytest.raises(InvalidParameterError, match=match):
        critical_points(args.pop("model"), args.pop("box"), **args)


def test_exact_needs_a_polynomial_and_no_minimum_is_refused():
    with pytest.raises(InvalidParameterError, match="method='exact' needs a polynomial loss"):
        critical_points(dg.LossModel(sp.cosh(x) + y**2, (x, y)), 2.0, method="exact")
    with pytest.raises(InvalidParameterError, match="model has no local minimum in the box"):
        loss_flattest_minimum(dg.LossModel(x * y, (x, y)), 2.0)


def test_linear_network_as_a_sympy_loss_gives_the_same_critical_lr():
    """Two independent routes to S_min of a general-Sxx network (2, 2, 2): the minimisation over
    M parametrised by the layer symmetry (numeric.sharpness) and, on the same loss written as a
    sympy expression, the critical-point search with descent of lambda_max over the minima set."""
    from dynsys_gd.symbolic.derivation import derive

    net = dg.LinearNetwork.from_covariances(
        (2, 2, 2), Sxx=np.diag([1.0, 2.0]), Syx=np.array([[1.0, 0.3], [0.2, 0.8]])
    )
    d = derive(net)
    m = dg.LossModel(d.loss, d.params)
    flat = loss_flattest_minimum(m, 2.0, n_starts=16)
    assert flat.sharpness == pytest.approx(dg.min_sharpness(net), rel=1e-9)
    assert all(p.isolated is False and p.set_dim == 4 for p in flat.critical_points.minima)


def test_to_pandas_round_trips_the_numbers_of_to_dict():
    pytest.importorskip("pandas")
    res = critical_points(_model(), 3.0, lr=1.2)
    df = res.to_pandas()
    d = res.to_dict()
    assert list(df.columns[:2]) == ["x", "y"] and len(df) == 3
    for (_, row), p in zip(df.iterrows(), d["points"], strict=True):
        assert [row["x"], row["y"]] == p["point"]
        assert row["classification"] == p["classification"] and row["sharpness"] == p["sharpness"]


def test_asymmetric_loss_certifies_negative_coordinates():
    """(x^2 - 1)^2 + x/2 + y^2/2: three critical points on y = 0, at the real roots of
    4x^3 - 4x + 1/2 = 0 (by hand with sympy); the minimum at x < -1 must be certified where it
    is (a sign lost in the ball centre would certify the mirror point instead)."""
    loss = (x**2 - 1) ** 2 + x / 2 + y**2 / 2
    exact_roots = sp.Poly(sp.diff(loss, x), x).real_roots()
    roots = sorted(float(r) for r in exact_roots)
    res = critical_points(dg.LossModel(loss, (x, y)), 3.0, lr=0.3)
    assert res.exact and res.complete
    got = sorted(res.points, key=lambda p: p.point[0])
    np.testing.assert_allclose([p.point[0] for p in got], roots, atol=1e-14)
    assert [p.kind for p in got] == [
        CriticalKind.MINIMUM,
        CriticalKind.SADDLE,
        CriticalKind.MINIMUM,
    ]
    for p, r in zip(got, sorted(exact_roots, key=float), strict=True):
        # d2L/dx2 at the exact root, to 30 digits: the enclosure must contain the exact value
        # (12 r^2 - 4 evaluated in float64 from the rounded root can fall an ulp outside it)
        lam = sp.N(12 * r**2 - 4, 30)
        assert all(p.isolated for p in got) and p.kind_certified
        lo, hi = sorted(p.hessian_enclosures)[-1] if lam > 1 else sorted(p.hessian_enclosures)[0]
        assert sp.Float(lo, 30) <= lam <= sp.Float(hi, 30)
    global_min = loss_flattest_minimum(dg.LossModel(loss, (x, y)), 3.0, which="global")
    assert global_min.point[0] == pytest.approx(roots[0])  # the lower of the two wells


def test_det_dg_certificate_encloses_the_exact_determinant():
    """C9's non-singularity: the ball enclosure of det(I - eta H) at the point named in the
    sentence contains the exact rational determinant computed by sympy."""
    import re
    from fractions import Fraction

    from dynsys_gd.numeric.landscape.critical_points import det_dg_certificate

    ok, text = det_dg_certificate(_model(), 1.2)
    assert ok, text
    m = re.search(r"theta = \(([^)]*)\) it lies in \[([^,]+), ([^\]]+)\]", text)
    pt = [sp.Rational(v) for v in m.group(1).split(", ")]
    eta = sp.Rational(Fraction(1.2).numerator, Fraction(1.2).denominator)
    H = sp.hessian(LOSS, (x, y)).subs({x: pt[0], y: pt[1]})
    exact = float((sp.eye(2) - eta * H).det())
    assert float(m.group(2)) * (1 - 1e-5) <= exact <= float(m.group(3)) * (1 + 1e-5)
    assert exact != 0
