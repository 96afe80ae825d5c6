"""critical_lr, min_sharpness, flattest_minimum and critical_points for a model given only
through the model protocol: the float64 search of protocol_critical, worded "numerical, not
certified", with the same optimiser thresholds as for the symbolic models.

The user class is the plain-numpy ½(xy − 1)² of ``tests/models/user_model_example.py``. Its
answers are closed forms: the minima are the hyperbola xy = 1, where H = [[y², 1], [1, x²]] has
λ_max = x² + y² ≥ 2|xy| = 2, so S_min = 2 at |x| = |y| = 1 and η* = a*/2 for an optimiser with
threshold a* (GD 2, heavy ball 2 + 2β, Nesterov (2 + 2β)/(1 + 2β), frozen Adam
(2 + 2β₁)/(1 − β₁)).  With a diagonal Q the reparametrised loss ½(√(q₁q₂) φ₁φ₂ − 1)² has
S = 2√(q₁q₂) by the same AM–GM bound.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.landscape.critical_results import CriticalKind

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "models"))
from user_model_example import ProductLoss, landscape_example  # noqa: E402

BETA = 0.5
X, Y = sp.symbols("x y")
SYMBOLIC = dg.LossModel((X * Y - 1) ** 2 / 2, (X, Y), name="xy")
USER = ProductLoss()  # one object: its flattest minimum is searched once


class LayeredProduct(ProductLoss):
    """The same loss with two one-parameter layers (for LayerwiseGD)."""

    layer_sizes = (1, 1)


def _closed_form(a_star: float, q: tuple[float, float] = (1.0, 1.0)) -> float:
    return a_star / (2.0 * math.sqrt(q[0] * q[1]))


OPTIMIZERS = [
    (dg.GD(), _closed_form(2.0)),
    (dg.HeavyBall(BETA), _closed_form(2.0 + 2.0 * BETA)),
    (dg.Nesterov(BETA), _closed_form((2.0 + 2.0 * BETA) / (1.0 + 2.0 * BETA))),
    (dg.Adam(beta1=0.9, frozen=[1.0, 4.0]), _closed_form(3.8 / 0.1, (1.0, 0.25))),
    (dg.Preconditioned([1.0, 4.0]), _closed_form(2.0, (1.0, 0.25))),
]


@pytest.mark.parametrize("opt,expected", OPTIMIZERS, ids=lambda o: repr(o)[:24])
def test_critical_lr_closed_forms_and_the_symbolic_model(
    opt: dg.Optimizer, expected: float
) -> None:
    got = dg.critical_lr(USER, optimizer=opt)
    assert got == pytest.approx(expected, rel=1e-9)
    if not isinstance(opt, dg.Adam):  # (the same Q as Preconditioned: one exact route is enough)
        # the same threshold as for the sympy loss of the same function (its own exact route)
        assert got == pytest.approx(dg.critical_lr(SYMBOLIC, optimizer=opt), rel=1e-9)


def test_gd_and_heavy_ball_as_the_brief_states() -> None:
    assert dg.critical_lr(ProductLoss()) == pytest.approx(1.0, rel=1e-9)
    hb = dg.critical_lr(ProductLoss(), optimizer=dg.HeavyBall(beta=BETA))
    assert hb == pytest.approx(1.5, rel=1e-9)
    assert hb / dg.critical_lr(ProductLoss()) == pytest.approx(1.5, rel=1e-12)


def test_layerwise_gd_on_a_user_model_with_layers() -> None:
    got = dg.critical_lr(LayeredProduct(), optimizer=dg.LayerwiseGD([1.0, 0.25]))
    assert got == pytest.approx(_closed_form(2.0, (1.0, 0.25)), rel=1e-9)  # 2.0


def test_critical_lr_agrees_with_the_stability_report() -> None:
    for opt in (dg.HeavyBall(BETA), dg.Preconditioned([1.0, 4.0])):
        rep = dg.stability_analysis(ProductLoss(), 0.3, optimizer=opt, n_samples=0)
        assert dg.critical_lr(ProductLoss(), optimizer=opt) == rep.critical_lr


def test_flattest_minimum_says_numerical_not_certified() -> None:
    flat = dg.flattest_minimum(ProductLoss())
    assert flat.sharpness == pytest.approx(2.0, rel=1e-9)
    assert dg.min_sharpness(ProductLoss()) == flat.sharpness
    np.testing.assert_allclose(np.abs(flat.point), [1.0, 1.0], atol=1e-5)
    assert flat.certified is False
    assert flat.method.startswith("numerical, not certified")
    assert "numerical, not certified" in flat.summary()
    data = json.loads(flat.to_json())
    assert data["certified"] is False and data["certainty"] == "numerical, not certified"
    assert data["bounds"] is None and data["exact"] is False
    assert "numerical" in repr(flat)


def test_critical_points_of_the_user_model() -> None:
    res = dg.critical_points(ProductLoss(), 3.0, lr=0.5)
    assert not res.exact and not res.complete
    assert "numerical, not certified" in res.method
    assert all("numerical, not certified" in p.certificate for p in res)
    saddles = [p for p in res if p.kind is not CriticalKind.MINIMUM]
    assert len(saddles) == 1 and np.max(np.abs(saddles[0].point)) < 1e-9
    for p in res.minima:
        assert abs(p.point[0] * p.point[1] - 1.0) < 1e-9
        assert p.spectrum is not None  # classified at lr = 0.5
    assert "numerical, not certified" in res.to_json()
    same = dg.critical_points(ProductLoss(), 3.0, lr=0.5, method="search")
    assert [tuple(p.point) for p in same] == [tuple(p.point) for p in res]


def test_bad_input_before_any_work() -> None:
    with pytest.raises(InvalidParameterError, match="method must be 'auto' or 'search'"):
        dg.critical_points(ProductLoss(), 3.0, method="exact")
    with pytest.raises(InvalidParameterError, match="method must be one of"):
        dg.critical_points(ProductLoss(), 3.0, method="newton")
    with pytest.raises(InvalidParameterError, match="dps must be"):
        dg.critical_points(ProductLoss(), 3.0, dps=5)
    with pytest.raises(InvalidParameterError, match="optimizer must have a linear-stability"):
        dg.critical_lr(ProductLoss(), optimizer=dg.Adam())


def test_user_code_through_the_landscape_functions() -> None:
    out = landscape_example()  # mypy checks this file: tests/models/test_user_model.py
    assert out["eta_gd"] == pytest.approx(1.0, rel=1e-9)
    assert out["eta_hb"] == pytest.approx(1.5, rel=1e-9)
    assert out["s_min"] == pytest.approx(2.0, rel=1e-9)


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX (extra [jax]) absent")
def test_jax_model_landscape() -> None:
    """In a separate pytest process (JAX's threads and later forks do not mix)."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider"]
    cmd += ["--rootdir", str(HERE.parent), str(HERE / "jax_landscape_checks.py")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=HERE)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "1 passed" in proc.stdout, proc.stdout[-2000:]


def test_the_search_is_remembered_per_model_object_and_settings() -> None:
    flat = dg.flattest_minimum(USER)
    assert dg.flattest_minimum(USER, box=4.0) is flat  # the default box, spelled out
    other = dg.flattest_minimum(USER, box=[(0.5, 3.0), (0.5, 3.0)])
    assert other is not flat and other.box == ((0.5, 3.0), (0.5, 3.0))
    assert np.all(other.point > 0) and other.sharpness == pytest.approx(2.0, rel=1e-9)
