"""A user's own class that implements the public model protocol runs through the analyses that
need only the protocol, mypy accepts that user code, and stores key it by its fingerprint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError

sys.path.insert(0, str(Path(__file__).parent))
from user_model_example import ProductLoss, run_example

ROOT = Path(__file__).resolve().parents[2]


def _reference() -> dg.LossModel:
    x, y = sp.symbols("x y")
    return dg.LossModel(sp.Rational(1, 2) * (x * y - 1) ** 2, (x, y))


def test_builtin_kinds_and_user_class_implement_the_protocol() -> None:
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    models = [
        dg.LinearNetwork.scalar(3, 2.0),
        _reference(),
        dg.MLP((2, 2, 2), "tanh", X=X, Y=X),
        ProductLoss(),
    ]
    for m in models:
        assert isinstance(m, dg.Model), type(m).__name__
    assert not isinstance(object(), dg.Model)
    # the built-in symbolic kinds answer with the numeric layer's kernels
    net, th = dg.LinearNetwork.scalar(3, 2.0), np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0]])
    k = dg.numeric_model(net)
    np.testing.assert_array_equal(net.gradient(th), k.gradient(th))
    np.testing.assert_array_equal(net.hessian(th), k.hessian(th))
    # w1 w2 w3 = 1 at the first point: L = (1 - 2)^2 / 2
    assert net.loss(th)[0] == pytest.approx(0.5, abs=1e-15)


def test_user_class_matches_the_sympy_loss() -> None:
    th = np.random.default_rng(0).uniform(-2, 2, (50, 2))
    v = np.random.default_rng(1).normal(size=(50, 2))
    ref, user = _reference(), ProductLoss()
    np.testing.assert_allclose(user.gradient(th), ref.gradient(th), rtol=0, atol=1e-13)
    np.testing.assert_allclose(user.hvp(th, v), ref.hvp(th, v), rtol=0, atol=1e-13)
    a = dg.estimate_convergent_fraction(ref, 0.9, n_samples=300, seed=4)
    b = dg.estimate_convergent_fraction(user, 0.9, n_samples=300, seed=4)
    assert a.counts == b.counts


def test_user_class_runs_through_the_analyses(tmp_path: Path) -> None:
    store = tmp_path / "sweep.sqlite"
    out = run_example(str(store))
    est = out["estimate"]
    assert isinstance(est, dg.ConvergenceEstimate) and 0.5 < est.fraction < 1.0
    spec = out["spectrum"]
    assert isinstance(spec, dg.FixedPointSpectrum)
    # at (1, 1): H = [[1, 1], [1, 1]], eigenvalues 0 and 2
    assert spec.sharpness == pytest.approx(2.0, abs=1e-12)
    first = out["sweep"]
    again = run_example(str(store))["sweep"]  # resumed from the store: same numbers
    assert isinstance(first, dg.SweepResult) and isinstance(again, dg.SweepResult)
    np.testing.assert_array_equal(first.fraction, again.fraction)
    np.testing.assert_array_equal(first.counts["converged"], again.counts["converged"])
    assert first.fraction[0] > 0.5 and first.fraction[1] == 0.0  # 1.5 > 2 / min sharpness = 1
    assert out["batch"].counts()["converged"] == 2  # type: ignore[attr-defined]
    rep = out["report"]  # numerical S_min = 2 at |x| = |y| = 1, eta* = 1, not certified
    assert isinstance(rep, dg.StabilityReport)
    assert rep.critical_lr == pytest.approx(1.0, abs=1e-9)
    assert rep.to_dict()["smin_certified"] is False


def test_store_refuses_a_model_without_fingerprint(tmp_path: Path) -> None:
    class NoPrint:
        n_params = 2
        loss = ProductLoss().loss
        gradient = ProductLoss().gradient
        hessian = ProductLoss().hessian
        hvp = ProductLoss().hvp

    m = NoPrint()
    # mypy flags the missing fingerprint; at run time it runs, but no store takes it
    dg.run_gd(m, [[0.5, 1.0]], 0.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="content fingerprint"):
        dg.lr_sweep(m, [0.5], n_samples=10, seed=0, store=tmp_path / "s.sqlite")  # type: ignore[arg-type]
    assert not (tmp_path / "s.sqlite").exists()


def test_store_refuses_a_memory_address(tmp_path: Path) -> None:
    from dynsys_gd.runtime.store import ResultsStore

    with pytest.raises(InvalidParameterError, match="memory address"):
        ResultsStore(tmp_path / "s.sqlite", {"model": repr(object())})


def test_missing_member_is_named() -> None:
    class Partial:
        n_params = 2

        def loss(self, theta: object) -> object:
            return theta

    with pytest.raises(InvalidParameterError, match="without gradient, hessian, hvp"):
        dg.numeric_model(Partial())  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="without gradient, hessian, hvp"):
        dg.run_gd(Partial(), [[1.0, 1.0]], 0.1)  # type: ignore[arg-type]


def test_symbolic_only_analyses_say_so() -> None:
    # the exact route needs the symbolic form; the float64 search takes the protocol
    with pytest.raises(InvalidParameterError, match="model protocol"):
        dg.critical_points(ProductLoss(), 2.0, method="exact")


def test_fingerprint_is_content_based() -> None:
    assert ProductLoss(1.0).fingerprint() == ProductLoss(1.0).fingerprint()
    assert ProductLoss(1.0).fingerprint() != ProductLoss(2.0).fingerprint()
    assert _reference().fingerprint() == _reference().fingerprint()


def test_mypy_accepts_the_user_model(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    cmd = [
        sys.executable,
        "-m",
        "mypy",
        "--no-incremental",
        "--follow-imports=silent",
        "--ignore-missing-imports",
        "--cache-dir",
        str(tmp_path / "cache"),
        str(Path(__file__).parent / "user_model_example.py"),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout
