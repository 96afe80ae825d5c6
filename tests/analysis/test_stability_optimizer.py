"""stability_analysis under an optimiser with a threshold: its critical lr, the multipliers of its
state Jacobian at the flattest minimum and at the saddles, and the Monte Carlo under it."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.analysis.stability import LRVerdict
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.landscape.spectra import FixedPointClass

x, y = sp.symbols("x y")
XY = dg.LossModel((x * y - 1) ** 2 / 2, (x, y))
W_STAR = np.array([[1.5, 0.3], [-0.2, 0.7]])
WHITENED = dg.LinearNetwork.from_covariances((2, 2, 2), Sxx=np.eye(2), Syx=W_STAR)
HB = dg.HeavyBall(0.5)


def _heavy_ball_radius(a: float, beta: float) -> float:
    """Largest |z| of z^2 - (1 + beta - a) z + beta = 0 (closed form, independent of the code)."""
    return float(np.max(np.abs(np.roots([1.0, -(1.0 + beta - a), beta]))))


@pytest.fixture(scope="module")
def xy_reports() -> dict[float, dg.StabilityReport]:
    return {
        f: dg.stability_analysis(XY, f * 1.5, optimizer=HB, n_samples=300, seed=0)
        for f in (0.95, 1.05)
    }


def test_heavy_ball_on_xy_below_and_above(xy_reports: dict[float, dg.StabilityReport]) -> None:
    """1/2 (xy - 1)^2, beta = 0.5: eta* = (2 + 2 beta) / S_min = 3 / 2; the flattest minimum
    (x = y = 1, lambda_max = 2) has the heavy-ball multipliers of a = 2 eta."""
    below, above = xy_reports[0.95], xy_reports[1.05]
    assert below.critical_lr == pytest.approx(1.5, rel=1e-9)
    assert below.verdict is LRVerdict.BELOW and above.verdict is LRVerdict.ABOVE
    for f, r in xy_reports.items():
        sp_ = r.optimizer_spectrum
        assert sp_.tangent_dim == 1 and sp_.multipliers.size == 4
        assert sp_.spectral_radius == pytest.approx(_heavy_ball_radius(2 * f * 1.5, 0.5), rel=1e-9)
    assert below.optimizer_spectrum.classification is FixedPointClass.STABLE
    assert above.optimizer_spectrum.classification is FixedPointClass.UNSTABLE
    assert below.convergence.fraction > 0 and below.convergence.counts["undecided"] == 0
    assert above.convergence.counts["converged"] == 0
    assert above.convergence.counts["undecided"] == 0
    assert above.stable_fraction == 0.0 and below.stable_fraction > 0.0
    # the saddle at the origin (lambda = -1, +1): a multiplier > 1 under heavy ball too
    (saddle,) = above.saddles
    assert saddle.optimizer_radius is not None and saddle.optimizer_radius > 1.0
    assert saddle.classification is FixedPointClass.STRICT_SADDLE


def test_report_names_the_optimizer(xy_reports: dict[float, dg.StabilityReport]) -> None:
    r = xy_reports[1.05]
    text = r.summary()
    assert "1.5 for HeavyBall(beta=0.5) = a* / min mu_max(H), a* = 3" in text
    assert "lr > eta* of HeavyBall(beta=0.5)" in r.prediction
    assert "2 / S_min" not in text
    d = json.loads(json.dumps(r.to_dict()))
    assert d["optimizer"] == {"name": "heavy-ball", "beta": 0.5}
    assert d["optimizer_spectrum"]["classification"] == "unstable"
    assert d["critical_lr"] == pytest.approx(1.5, rel=1e-9)
    assert d["saddles"][0]["optimizer_radius"] > 1.0


def test_whitened_network_below_heavy_ball_threshold() -> None:
    """Whitened (2, 2, 2) at 0.95 of its heavy-ball eta* = 1.5 x GD's: the flattest minimum is
    stable under heavy ball (radius sqrt(beta), the complex pair), dim M = 4 neutral ones."""
    eta = dg.critical_lr(WHITENED, optimizer=HB)
    assert eta == pytest.approx(1.5 * dg.critical_lr(WHITENED), rel=1e-12)
    r = dg.stability_analysis(WHITENED, 0.95 * eta, optimizer=HB, n_samples=300, seed=0)
    assert r.verdict is LRVerdict.BELOW and r.critical_lr == pytest.approx(eta, rel=1e-12)
    sp_ = r.optimizer_spectrum
    assert sp_.tangent_dim == 4 and sp_.classification is FixedPointClass.STABLE
    assert sp_.spectral_radius == pytest.approx(np.sqrt(0.5), rel=1e-9)
    assert all((s.optimizer_radius or 0.0) > 1.0 for s in r.saddles)  # three strict saddles
    assert r.convergence.counts["undecided"] == 0
    assert r.convergence.n_samples == 300


def test_layerwise_gd_uses_the_reparametrised_curvature() -> None:
    """LayerwiseGD: eta* = 2 / min mu_max(QH); the flattest minimum theta* = Q^(1/2) phi* is a
    minimum of L and its multipliers 1 - eta mu are inside the unit circle at 0.95 eta*."""
    opt = dg.LayerwiseGD([1.0, 0.5])
    eta = dg.critical_lr(WHITENED, optimizer=opt)
    r = dg.stability_analysis(WHITENED, 0.95 * eta, optimizer=opt, n_samples=0, seed=0)
    assert r.critical_lr == pytest.approx(eta, rel=1e-12)
    theta = r.optimizer_spectrum.point
    w1, w2 = theta[:4].reshape(2, 2), theta[4:].reshape(2, 2)
    np.testing.assert_allclose(w2 @ w1, W_STAR, atol=1e-9)  # a global minimum of L
    assert r.optimizer_spectrum.spectral_radius == pytest.approx(abs(1 - 0.95 * 2), rel=1e-9)


def test_live_adam_is_refused() -> None:
    with pytest.raises(
        InvalidParameterError,
        match=r"optimizer must have a linear-stability "
        r"threshold for stability_analysis; got Adam\(beta1=0\.9",
    ):
        dg.stability_analysis(WHITENED, 0.1, optimizer=dg.Adam(), n_samples=0)


def test_analyze_command_takes_an_optimizer(capsys: pytest.CaptureFixture[str]) -> None:
    """``dynsys-gd analyze --optimizer heavy-ball --beta 0.5``: the JSON names the optimiser and
    its critical lr is 1.5 x GD's 2 / (3 * 2^(4/3)); figures (GD's) are refused with it."""
    from dynsys_gd.cli import main

    args = ["analyze", "--depth", "3", "--target", "2", "--lr", "0.38", "--samples", "0"]
    assert main([*args, "--optimizer", "heavy-ball", "--beta", "0.5", "--json", "--quiet"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["optimizer"] == {"name": "heavy-ball", "beta": 0.5}
    assert d["critical_lr"] == pytest.approx(1.5 * 2 / (3 * 2 ** (4 / 3)), rel=1e-12)
    assert d["verdict"] == "below"
    assert main([*args, "--optimizer", "heavy-ball", "--figures", "out", "--quiet"]) == 2
    assert "--figures must not be given with --optimizer" in capsys.readouterr().err
