"""The fused GD basin loop (pixel_gd) against the numpy step it replaces: the same bits."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.analysis.pixel_gd import BLOCK, GDStep
from dynsys_gd.analysis.pixel_steps import iterate_pixels
from dynsys_gd.numeric.engine.lanes import lane_model

x_, y_ = sp.symbols("x y")


def _models():
    reg = (x_ * y_ - 1) ** 2 / 2 + sp.Rational(3, 20) * (x_**2 + y_**2)
    return {
        "poly": (dg.LossModel((x_ * y_ - 1) ** 2 / 2, (x_, y_)), 1.01),
        "poly-regularised": (dg.LossModel(reg, (x_, y_)), 1.3),
        "scalar": (dg.LinearNetwork.scalar(depth=3, target=1.0), 0.6),
        "linear": (
            dg.LinearNetwork.from_covariances((2, 2, 2), Sxx=np.eye(2), Syx=np.eye(2)),
            0.6,
        ),
    }


def _start(dim: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    x0 = rng.uniform(-2.0, 2.0, size=(dim, n))
    x0[:, 3] = 0.0  # the saddle: a fixed point at step 1
    x0[:, 5] = 1e9  # beyond the bound: diverged at the first test
    return x0


class _NumpyStep:
    """The plain numpy step ``x - s * grad`` (what basin maps ran before the fused loop)."""

    def __init__(self, g: GDStep) -> None:
        self.g = g

    def __call__(self, x, aux):
        return x - self.g.scale[:, None] * self.g.lm.gradient_cols(x)


@pytest.mark.parametrize("name", ["poly", "poly-regularised", "scalar", "linear"])
@pytest.mark.parametrize(
    ("steps", "check_every", "max_period"), [(203, 20, 8), (97, 3, 6), (60, 7, 1)]
)
def test_fused_run_is_bit_identical_to_the_numpy_step(name, steps, check_every, max_period):
    model, lr = _models()[name]
    lm = lane_model(model)
    fused = GDStep(lm, np.full(lm.n_params, lr))
    assert fused.fusable
    x0 = _start(lm.n_params, BLOCK + 300)  # two blocks, the second one partial
    kw = {"steps": steps, "check_every": check_every, "max_period": max_period, "tol": 1e-9}
    ref = iterate_pixels(_NumpyStep(fused), x0, **kw)
    for chunk in (x0.shape[1], 101):
        got = iterate_pixels(fused, x0, chunk=chunk, **kw)
        for field in ("x", "outcome", "period", "steps"):
            a, b = getattr(ref, field), getattr(got, field)
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), (name, field, chunk)
    # the runs really end in different ways, so every branch was compared
    assert len(np.unique(ref.outcome)) >= 2 and ref.outcome[5] == 1
    assert ref.steps.min() < ref.steps.max()


def test_layerwise_factors_scale_each_parameter():
    net = dg.LinearNetwork.scalar(depth=2, target=1.0)
    lm = lane_model(net)
    fused = GDStep(lm, np.array([0.3, 1.1]))
    x0 = _start(2, 200)
    kw = {"steps": 150, "check_every": 10}
    ref = iterate_pixels(_NumpyStep(fused), x0, **kw)
    got = iterate_pixels(fused, x0, **kw)
    assert ref.x.tobytes() == got.x.tobytes()
    assert np.array_equal(ref.steps, got.steps) and np.array_equal(ref.outcome, got.outcome)
    # one step by hand: x - s * grad of (w2 w1 - 1)^2 / 2
    x = np.array([[0.5], [1.5]])
    r = x[0, 0] * x[1, 0] - 1.0
    want = x[:, 0] - np.array([0.3, 1.1]) * r * np.array([x[1, 0], x[0, 0]])
    assert np.allclose(fused(x, np.zeros((0, 1)))[:, 0], want, rtol=0, atol=1e-15)


def test_a_value_keeps_the_numpy_path():
    lm = lane_model(dg.LinearNetwork.scalar(depth=2, target=1.0))
    fused = GDStep(lm, np.full(2, 0.5))
    x0 = _start(2, 40)
    run = iterate_pixels(fused, x0, steps=40, value=lambda x, aux: x[0] * 0 + 1.0)
    assert run.score is not None and np.all((run.score == 1.0) | np.isinf(run.score))
