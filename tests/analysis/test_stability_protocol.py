"""stability_analysis for a model given only through the model protocol: critical points and
S_min found in float64, every statement worded "numerical, not certified", the JSON carrying it,
and a report that names what attracted the runs when the Monte Carlo contradicts it.

The user class is the plain-numpy ½(xy − 1)² of ``tests/models/user_model_example.py``, whose
answers are known in closed form: the minima are the hyperbola xy = 1 with
λ_max(H) = x² + y² ≥ 2|xy| = 2, so S_min = 2 at |x| = |y| = 1 and η* = 1; heavy ball with β
has η* = (2 + 2β)/S_min.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.landscape.critical_results import CriticalKind
from dynsys_gd.numeric.landscape.protocol_critical import (
    protocol_critical_points,
    protocol_flattest_minimum,
)
from dynsys_gd.numeric.landscape.spectra import FixedPointClass

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "models"))
from user_model_example import ProductLoss  # noqa: E402

HEDGE = "not certified (numerical S_min, not certified)"


class CubicLine:
    """½(a²b − 1)²: global minima on a²b = 1 and a line {a = 0, b < 0} of non-global local
    minima at loss ½ (written by hand, protocol only)."""

    n_params = 2

    def loss(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        r = t[..., 0] ** 2 * t[..., 1] - 1.0
        return 0.5 * r * r

    def gradient(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        a, b = t[..., 0], t[..., 1]
        r = a * a * b - 1.0
        return np.stack([2 * a * b * r, a * a * r], -1)

    def hessian(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        a, b = t[..., 0], t[..., 1]
        r = a * a * b - 1.0
        haa, hab, hbb = 2 * b * r + 4 * a * a * b * b, 2 * a * r + 2 * a**3 * b, a**4
        return np.stack([np.stack([haa, hab], -1), np.stack([hab, hbb], -1)], -2)

    def hvp(self, t: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.einsum("...ij,...j->...i", self.hessian(t), np.asarray(v, dtype=np.float64))

    def fingerprint(self) -> str:
        return "CubicLine-test-v1"


def test_critical_points_of_the_user_class() -> None:
    res = protocol_critical_points(ProductLoss(), 3.0, seed=0)
    assert not res.exact and not res.complete
    saddles = [p for p in res if p.kind is not CriticalKind.MINIMUM]
    assert len(saddles) == 1 and np.max(np.abs(saddles[0].point)) < 1e-9  # the origin
    np.testing.assert_allclose(saddles[0].hessian_eigenvalues, [-1.0, 1.0], atol=1e-9)
    for p in res.minima:  # every minimum on the hyperbola xy = 1, a 1-dimensional set
        assert abs(p.point[0] * p.point[1] - 1.0) < 1e-9
        assert p.isolated is False and p.set_dim == 1
        assert "numerical, not certified" in p.certificate
        assert p.sharpness == pytest.approx(float(np.sum(p.point**2)), rel=1e-9)
    flat = protocol_flattest_minimum(ProductLoss(), 3.0, seed=0)
    assert flat.sharpness == pytest.approx(2.0, abs=1e-9)
    np.testing.assert_allclose(np.abs(flat.point), [1.0, 1.0], atol=1e-5)
    assert flat.bounds is None and "numerical, not certified" in flat.method


@pytest.mark.parametrize("lr", [0.5, 1.2])
def test_report_of_the_user_class(lr: float) -> None:
    rep = dg.stability_analysis(ProductLoss(), lr, n_samples=300, seed=2)
    assert rep.critical_lr == pytest.approx(1.0, abs=1e-9)
    assert rep.min_sharpness == pytest.approx(2.0, abs=1e-9)
    assert rep.verdict is (dg.LRVerdict.BELOW if lr < 1 else dg.LRVerdict.ABOVE)
    assert rep.prediction.startswith(HEDGE)
    text = rep.summary()
    assert "given through the model protocol" in text and "numerical, not certified" in text
    d = json.loads(json.dumps(rep.to_dict()))
    assert d["smin_kind"] == "numerical" and d["smin_certified"] is False
    assert d["verdict_status"] == "not certified"
    assert d["critical_points"]["complete"] is False
    table = rep.critical_points.to_pandas()  # coordinates named theta_i (no sympy symbols)
    assert list(table.columns[:2]) == ["theta_0", "theta_1"] and len(table) == len(rep.saddles) + (
        rep.minima_sharpness.size
    )
    c = rep.convergence
    if lr < 1:
        assert c.fraction > 0.5 and rep.limit_labels.counts["saddle"] == 0
    else:  # above eta* = 1 no minimum is stable: no run converges, nothing to contradict
        assert c.counts["converged"] == 0 and rep.contradiction == ""


def test_contradiction_names_the_line_the_search_missed() -> None:
    # the box a >= 1/2 hides the line {a = 0, b < 0} of local minima from the search, while the
    # Monte Carlo starts in [-2, 2]^2: runs converge there although the prediction is a null set
    box = [(0.5, 4.0), (-4.0, 4.0)]
    eta = dg.stability_analysis(CubicLine(), 0.1, n_samples=0, box=box).critical_lr
    # global minima a^2 b = 1: lambda_max = 4/a^2 + a^4, smallest 3 * 2^(2/3) at a^6 = 2
    assert eta == pytest.approx(2.0 / (3.0 * 2.0 ** (2.0 / 3.0)), rel=1e-8)
    rep = dg.stability_analysis(CubicLine(), 1.1 * eta, n_samples=300, seed=0, box=box)
    assert rep.verdict is dg.LRVerdict.ABOVE and "Lebesgue-null" in rep.prediction
    n = rep.convergence.counts["converged"]
    assert n > 0 and rep.limit_labels.counts["local_minimum"] == n
    assert "contradicts the null-set prediction" in rep.contradiction
    assert "non-global local minima at loss 0.5" in rep.contradiction
    assert "theta_0 = 0" in rep.contradiction and "search missed" in rep.contradiction
    # with the default box the search finds the line: its minima flatten towards b = 0, so
    # every step size tried is below the numerical eta* and the runs there are predicted
    rep = dg.stability_analysis(CubicLine(), 1.1 * eta, n_samples=0, seed=0)
    assert rep.verdict is dg.LRVerdict.BELOW and rep.contradiction == ""
    assert "non-global local minimum" in rep.flattest.method
    # the degenerate origin (H = 0 there) is one point, not decided by linearisation
    degenerate = [s for s in rep.saddles if s.label.startswith("degenerate")]
    assert len(degenerate) == 1 and np.max(np.abs(degenerate[0].point)) < 1e-4
    assert degenerate[0].classification is FixedPointClass.NON_STRICT_SADDLE


def test_heavy_ball_on_the_user_class() -> None:
    rep = dg.stability_analysis(ProductLoss(), 1.4, optimizer=dg.HeavyBall(0.5), n_samples=0)
    assert rep.critical_lr == pytest.approx(1.5, abs=1e-9)
    assert rep.verdict is dg.LRVerdict.BELOW and rep.prediction.startswith(HEDGE)
    pre = dg.stability_analysis(ProductLoss(), 0.4, optimizer=dg.Preconditioned([1.0, 4.0]),
                                n_samples=0)  # fmt: skip
    # mu_max(QH) = y^2 + x^2/4 on xy = 1 with Q = diag(1, 1/4): smallest 1, eta* = 2
    assert pre.critical_lr == pytest.approx(2.0, abs=1e-8)


def test_objects_that_are_not_models_are_refused() -> None:
    class Partial:
        n_params = 2

        def loss(self, t: object) -> object:
            return t

    with pytest.raises(InvalidParameterError, match=r"model_or_depth must be .*protocol"):
        dg.stability_analysis(Partial(), 0.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"without gradient, hessian, hvp"):
        protocol_critical_points(Partial(), 1.0)
    with pytest.raises(InvalidParameterError, match="target applies"):
        dg.stability_analysis(ProductLoss(), 0.5, target=2.0)


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX (extra [jax]) absent")
def test_jax_model_report(tmp_path: Path) -> None:
    """In a separate pytest process (JAX's threads and later forks do not mix)."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider"]
    cmd += ["--rootdir", str(HERE.parents[1]), str(HERE / "jax_stability_checks.py")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "1 passed" in proc.stdout, proc.stdout[-2000:]
