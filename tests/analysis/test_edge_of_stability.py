"""Sharpness traces: closed forms on a quadratic loss, the edge of stability on a tanh MLP."""

from __future__ import annotations

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.analysis.edge_of_stability import preconditioner_of, sharpness_trace
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.models.datasets import digits_dataset


def _linear_regression() -> tuple[dg.MLP, np.ndarray]:
    rng = np.random.default_rng(3)
    X = rng.standard_normal((20, 4)) * np.array([2.0, 1.0, 0.5, 0.3])
    Y = X @ np.array([1.0, -1.0, 0.5, 2.0])
    m = dg.MLP((4, 1), "identity", X=X, Y=Y)
    return m, X.T @ X / X.shape[0]


def test_gd_trace_on_a_quadratic_is_the_top_eigenvalue_of_xtx_and_the_loss_decays() -> None:
    m, H = _linear_regression()
    lam = np.linalg.eigvalsh(H)
    tr = sharpness_trace(m, np.zeros(4), 1.0 / lam[-1], 40, 10)
    np.testing.assert_array_equal(tr.steps, [0, 10, 20, 30, 40])
    np.testing.assert_allclose(tr.sharpness, lam[-1], rtol=1e-7)
    # the loss of GD on a quadratic is a closed form in the eigenbasis of H
    assert np.all(np.diff(tr.loss) < 0)
    assert tr.threshold == 2.0 and tr.threshold_line == pytest.approx(2 * lam[-1])
    assert tr.plateau_ratio == pytest.approx(0.5, rel=1e-7)
    assert not tr.diverged and not tr.preconditioned


def test_frozen_adam_trace_is_the_top_eigenvalue_of_qh() -> None:
    m, H = _linear_regression()
    p = np.array([0.5, 1.0, 2.0, 4.0])
    opt = dg.Adam(frozen=p)
    tr = sharpness_trace(m, np.zeros(4), 0.01, 5, 5, optimizer=opt)
    qh = np.linalg.eigvals(np.diag(1 / p) @ H).real.max()
    np.testing.assert_allclose(tr.sharpness, qh, rtol=1e-7)
    assert tr.preconditioned and tr.threshold == pytest.approx(38.0)


def test_live_adam_preconditioner_is_one_over_sqrt_vhat_plus_eps() -> None:
    m, _ = _linear_regression()
    opt = dg.Adam(beta2=0.9, eps=1e-3)
    th = np.array([0.3, -0.2, 0.1, 0.4])
    st = opt.init_state(th[None])
    q0 = preconditioner_of(opt, st[0], 4)
    assert q0 is not None and np.all(np.isnan(q0))  # t = 0: v = 0, undefined
    st = opt.step(m.gradient, st, 0.01)
    g = m.gradient(th[None])[0]
    v_hat = (0.1 * g * g) / (1 - 0.9)  # one step: v = (1 - beta2) g^2, bias corrected
    q1 = preconditioner_of(opt, st[0], 4)
    assert q1 is not None
    np.testing.assert_allclose(q1, 1 / (np.sqrt(v_hat) + 1e-3))
    tr = sharpness_trace(m, th, 0.01, 4, 2, optimizer=opt)
    assert np.isnan(tr.sharpness[0]) and np.all(np.isfinite(tr.sharpness[1:]))


def test_gd_on_a_digits_tanh_mlp_sharpens_then_plateaus_at_two_over_lr() -> None:
    d = digits_dataset(64, 8)
    m = dg.MLP((8, 16, 1), "tanh", X=d.X, Y=d.Y)
    tr = sharpness_trace(m, m.init(0, 1)[0], 0.5, 3000, 100)
    assert tr.sharpness[0] < 0.7 * tr.threshold_line  # starts well below 2/lr
    assert abs(tr.plateau_ratio - 1.0) < 0.02
    df = tr.to_pandas()
    assert list(df.columns[:3]) == ["steps", "loss", "sharpness"] and len(df) == 31
    fig = tr.plot()
    assert len(fig.axes) == 2
    assert "plateau" in tr.summary() and "SharpnessTrace(" in repr(tr)


def test_a_run_that_diverges_stops_recording() -> None:
    m, H = _linear_regression()
    lam = np.linalg.eigvalsh(H)[-1]
    tr = sharpness_trace(m, np.ones(4), 3.0 / lam, 3000, 100)
    assert tr.diverged and tr.steps[-1] < 3000


@pytest.mark.parametrize(
    ("kwargs", "regex"),
    [
        ({"lr": 0.0}, "lr must be"),
        ({"steps": 0}, "steps must be"),
        ({"every": 11}, "every must be"),
        ({"theta0": np.zeros(3)}, r"theta0 must have shape \(4,\)"),
        ({"optimizer": "adam"}, "optimizer must be"),
        ({"plateau_fraction": 1.5}, "plateau_fraction must be"),
    ],
)
def test_bad_input(kwargs: dict, regex: str) -> None:
    m, _ = _linear_regression()
    args = {"theta0": np.zeros(4), "lr": 0.1, "steps": 10, "every": 2, **kwargs}
    with pytest.raises(InvalidParameterError, match=regex):
        sharpness_trace(m, **args)
