"""Optimisers as maps: thresholds from the characteristic polynomial, state Jacobians against
finite differences, critical step sizes against closed forms, the compiled kernels against the
numpy reference bit for bit, and the sharp transition of heavy ball against an independent
long-run loop (docs/math/optimizers.md)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.models.iterated_map import IteratedMap
from dynsys_gd.numeric.orbits.optimizer_map import optimizer_map
from dynsys_gd.optimizers import REGISTRY, check_optimizer

from .rmsprop_example import RMSProp

x, y = sp.symbols("x y")
XY = dg.LossModel((x * y - 1) ** 2 / 2, (x, y))
SCALAR3 = dg.LinearNetwork.scalar(depth=3, target=2.0)
W_STAR = np.array([[1.5, 0.3], [-0.2, 0.7]])


def _spectral_radius(opt: dg.Optimizer, lam: float, lr: float) -> float:
    J = opt.state_jacobian(np.array([[lam]]), opt.fixed_state(np.zeros(1)), lr, np.zeros(1))
    return float(np.max(np.abs(np.linalg.eigvals(J))))


@pytest.mark.parametrize(
    "opt",
    [dg.GD(), dg.HeavyBall(0.5), dg.HeavyBall(0.9), dg.Nesterov(0.5), dg.Nesterov(0.2),
     dg.Adam(beta1=0.9, frozen=[1.0]), dg.Adam(beta1=0.5, frozen=[1.0])],
)  # fmt: skip
def test_threshold_is_where_the_state_jacobian_leaves_the_unit_disc(opt: dg.Optimizer) -> None:
    """Below the threshold a = eta*lambda every multiplier has modulus < 1, above it one has
    modulus > 1 (the flip at z = -1)."""
    a = opt.threshold()
    assert a is not None
    assert _spectral_radius(opt, 1.0, 0.99 * a) < 1.0
    assert _spectral_radius(opt, 1.0, 1.01 * a) > 1.0


def test_closed_form_thresholds() -> None:
    """Heavy ball 2 + 2 beta, Nesterov (2 + 2 beta)/(1 + 2 beta), frozen Adam (2 + 2 b1)/(1 - b1)."""
    assert dg.HeavyBall(0.5).threshold() == 3.0
    assert dg.Nesterov(0.5).threshold() == 1.5
    assert dg.Adam(beta1=0.9, frozen=[1.0]).threshold() == pytest.approx(38.0, rel=1e-14)
    assert dg.Adam().threshold() is None  # live Adam has no linearisation at v = 0


@pytest.mark.parametrize(
    "opt", [dg.GD(), dg.HeavyBall(0.5), dg.Nesterov(0.5), dg.Adam(frozen=[1.0, 3.0]),
            dg.Preconditioned([2.0, 0.5])],
)  # fmt: skip
def test_state_jacobian_matches_finite_differences(opt: dg.Optimizer) -> None:
    """The optimiser's state Jacobian (exact, from the Hessian) equals central differences of
    its own step."""
    F = optimizer_map(XY, opt)
    fd = IteratedMap(F.f, F.dim)
    rng = np.random.default_rng(3)
    for _ in range(3):
        s = rng.uniform(-1.5, 1.5, F.dim)
        assert np.allclose(F.jacobian(s, 0.3), fd.jacobian(s, 0.3), atol=1e-8)


def test_momentum_maps_are_non_singular() -> None:
    """det DF = beta^P for heavy ball and beta1^P for frozen Adam, everywhere."""
    rng = np.random.default_rng(0)
    s = rng.uniform(-2, 2, 6)
    hb = optimizer_map(SCALAR3, dg.HeavyBall(0.5))
    assert np.linalg.det(hb.jacobian(s, 0.7)) == pytest.approx(0.125, rel=1e-12)
    ad = optimizer_map(SCALAR3, dg.Adam(beta1=0.9, frozen=[1.0, 2.0, 3.0]))
    assert np.linalg.det(ad.jacobian(s, 0.7)) == pytest.approx(0.9**3, rel=1e-12)


def test_critical_lr_of_each_optimiser() -> None:
    """Heavy ball 1.5 x GD at beta = 0.5; Nesterov and frozen Adam their closed forms to 1e-12;
    per-layer steps N (prod r)^(1/N) |y|^(2 - 2/N) for the scalar network."""
    gd = dg.critical_lr(SCALAR3)
    S = dg.min_sharpness(SCALAR3)
    assert dg.critical_lr(SCALAR3, optimizer=dg.GD()) == gd
    assert dg.critical_lr(SCALAR3, optimizer=dg.HeavyBall(0.5)) / gd == pytest.approx(1.5, 1e-12)
    assert dg.critical_lr(SCALAR3, optimizer=dg.Nesterov(0.5)) == pytest.approx(1.5 / S, 1e-12)
    adam = dg.Adam(beta1=0.9, frozen=[2.0, 2.0, 2.0])
    assert dg.critical_lr(SCALAR3, optimizer=adam) == pytest.approx(38.0 * 2.0 / S, 1e-12)
    r = [1.0, 0.25, 3.0]
    s_r = 3 * np.prod(r) ** (1 / 3) * 2.0 ** (4 / 3)
    assert dg.critical_lr(SCALAR3, optimizer=dg.LayerwiseGD(r)) == pytest.approx(2 / s_r, 1e-12)
    net = dg.LinearNetwork.from_covariances((2, 2, 2), Sxx=np.eye(2), Syx=W_STAR)
    assert dg.critical_lr(net, optimizer=dg.HeavyBall(0.5)) == pytest.approx(3 / 3.062329, 1e-6)


def test_preconditioned_critical_lr_of_a_sympy_loss() -> None:
    """Q = diag(1, 1/4) on 1/2(xy - 1)^2: the reparametrised loss has S_min = 1, eta* = 2."""
    assert dg.critical_lr(XY, optimizer=dg.Preconditioned([1.0, 4.0])) == pytest.approx(2.0, 1e-9)


OPTIMIZERS = {
    "heavy-ball": lambda P: dg.HeavyBall(0.5),
    "nesterov": lambda P: dg.Nesterov(0.5),
    "adam": lambda P: dg.Adam(),
    "adam-frozen": lambda P: dg.Adam(frozen=np.linspace(1.0, 2.0, P)),
    "layerwise": lambda P: dg.LayerwiseGD(np.linspace(0.5, 2.0, P)),
    "rmsprop": lambda P: RMSProp(),
}


@pytest.mark.parametrize("model", [SCALAR3, XY], ids=["scalar3-straight-line", "xy-polynomial"])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_compiled_kernels_equal_the_numpy_reference(model: object, name: str) -> None:
    """Outcomes, steps, final states and g_tail agree bit for bit between the compiled lanes,
    the numpy reference, other lane counts, two threads and any chunking of the runs."""
    P = model.n_params  # type: ignore[attr-defined]
    opt = OPTIMIZERS[name](P)
    th = np.random.default_rng(1).uniform(-2, 2, (40, P))
    lr = 0.5 * dg.critical_lr(SCALAR3) if P == 3 else 0.3
    # a short budget keeps the numpy reference quick (runs at the cap are undecided alike)
    cfg = dg.EngineConfig(max_steps=1024, max_extension=4.0)
    kw = {"optimizer": opt}
    a = dg.run_gd(model, th, lr, config=cfg, **kw)  # type: ignore[arg-type]
    b = dg.run_gd(model, th, lr, config=cfg, backend="numpy", **kw)  # type: ignore[arg-type]
    c3 = dataclasses.replace(cfg, lanes=3)
    c = dg.run_gd(model, th, lr, workers=2, config=c3, **kw)  # type: ignore[arg-type]
    parts = [dg.run_gd(model, th[i : i + 7], lr, config=cfg, **kw) for i in range(0, 40, 7)]  # type: ignore[arg-type]
    for f in ("outcome", "steps", "theta", "g_tail", "state"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
        assert np.array_equal(getattr(a, f), getattr(c, f)), f
        assert np.array_equal(getattr(a, f), np.concatenate([getattr(p, f) for p in parts])), f
    assert a.state is not None and a.state.shape == (40, opt.state_size(P))


def test_gd_through_the_optimizer_keyword_is_todays_gd() -> None:
    """optimizer=GD() gives the default run bit for bit, and leaves the config's keys alone."""
    th = np.random.default_rng(2).uniform(-2, 2, (50, 3))
    a = dg.run_gd(SCALAR3, th, 0.2)
    b = dg.run_gd(SCALAR3, th, 0.2, optimizer=dg.GD())
    assert np.array_equal(a.theta, b.theta) and np.array_equal(a.steps, b.steps)
    assert a.state is None and a.optimizer is None
    assert dg.EngineConfig(optimizer=dg.GD()).optimizer is None
    assert "optimizer" not in dg.EngineConfig().to_dict()
    hb = dg.EngineConfig(optimizer=dg.HeavyBall(0.5)).to_dict()["optimizer"]
    assert hb == {"name": "heavy-ball", "beta": 0.5}


def test_heavy_ball_sharp_transition_matches_an_independent_long_run() -> None:
    """On 1/2(xy - 1)^2 with beta = 0.5 and uniform [-2, 2]^2: just below (2 + 2 beta)/S_min the
    converged fraction is positive and its interval contains the independent long-run value
    (benchmarks/reference_momentum_fractions.py: 1,035 of 10,000 runs, 10^6 steps); just above it
    is 0, every run decided, the bounded runs labelled periodic."""
    hb = dg.HeavyBall(0.5)
    eta = dg.critical_lr(XY, optimizer=hb)
    assert eta == pytest.approx(1.5, 1e-9)
    below = dg.estimate_convergent_fraction(XY, 0.99 * eta, n_samples=1000, seed=0, optimizer=hb)
    assert below.counts["undecided"] == 0 and below.fraction > 0
    assert below.ci_low <= 0.1035 <= below.ci_high
    above = dg.estimate_convergent_fraction(XY, 1.01 * eta, n_samples=1000, seed=0, optimizer=hb)
    assert above.counts["converged"] == 0 and above.counts["undecided"] == 0
    assert above.counts["periodic"] + above.counts["bounded"] > 0


def test_registry_and_names() -> None:
    """Every registered optimiser is reachable by its name; a new one is one line."""
    assert set(REGISTRY) == {"gd", "heavy-ball", "nesterov", "preconditioned", "layerwise-gd",
                             "adam"}  # fmt: skip
    REGISTRY[RMSProp.name] = RMSProp
    try:
        assert check_optimizer(REGISTRY["rmsprop"]()).name == "rmsprop"
    finally:
        del REGISTRY[RMSProp.name]


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: dg.HeavyBall(beta=1.0), r"beta must be a float in \[0, 1\); got 1.0"),
        (lambda: dg.HeavyBall(beta=-0.1), r"beta must be a float in \[0, 1\)"),
        (lambda: dg.Nesterov(beta="a"), r"beta must be a float in \[0, 1\); got"),  # type: ignore[arg-type]
        (lambda: dg.Preconditioned([1.0, -1.0]), r"P must be a non-empty 1-D array of finite"),
        (lambda: dg.Preconditioned([[1.0, 0.5], [0.5, 1.0]]), r"P must be the diagonal"),
        (lambda: dg.Adam(eps=0.0), r"eps must be a finite float > 0"),
        (lambda: dg.Adam(beta2=1.0), r"beta2 must be a float in \[0, 1\)"),
        (lambda: dg.LayerwiseGD([]), r"lrs must be a non-empty 1-D array"),
        (lambda: dg.run_gd(SCALAR3, np.ones(3), 0.1, optimizer="heavy-ball"),
         r"optimizer must be an Optimizer"),
        (lambda: dg.run_gd(SCALAR3, np.ones(3), 0.1, optimizer=dg.LayerwiseGD([1.0, 2.0])),
         r"lrs must have one entry per layer \(3 layers"),
        (lambda: dg.critical_lr(SCALAR3, optimizer=dg.Adam()),
         r"optimizer must have a linear-stability threshold"),
        (lambda: dg.stability_analysis(3, 0.1, target=2.0, optimizer=dg.Adam()),
         r"optimizer must have a linear-stability threshold for stability_analysis"),
    ],
)  # fmt: skip
def test_bad_input(make: object, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        make()  # type: ignore[operator]


def test_heavy_ball_transition_on_a_matrix_network() -> None:
    """Whitened (2, 2, 2), W* = [[1.5, 0.3], [-0.2, 0.7]], beta = 0.5, uniform [-2, 2]^8: the
    independent long-run loop finds 12 of 10,000 runs converging at 0.99 eta* and none at
    1.01 eta* (benchmarks/reference_momentum_fractions.py); the engine's interval contains the
    first and reads exactly 0 for the second, every run decided."""
    net = dg.LinearNetwork.from_covariances((2, 2, 2), Sxx=np.eye(2), Syx=W_STAR)
    hb = dg.HeavyBall(0.5)
    eta = dg.critical_lr(net, optimizer=hb)
    below = dg.estimate_convergent_fraction(net, 0.99 * eta, n_samples=4000, seed=0, optimizer=hb)
    assert below.counts["undecided"] == 0 and below.ci_low <= 0.0012 <= below.ci_high
    above = dg.estimate_convergent_fraction(net, 1.01 * eta, n_samples=4000, seed=0, optimizer=hb)
    assert above.counts["converged"] == 0 and above.counts["undecided"] == 0


def test_orbit_tools_take_an_optimizer() -> None:
    """Heavy ball (beta = 0.5) on 1/2(xy - 1)^2 flips at eta = 1.5: below it the runs converge,
    just above they settle on stable period-2 orbits of the state (x, y, m_x, m_y), in the
    bifurcation diagram, the periodic-orbit search and the Lyapunov exponent alike."""
    hb = dg.HeavyBall(0.5)
    net = dg.LinearNetwork.scalar(depth=2, target=1.0)
    bd = dg.bifurcation_diagram(net, [1.4, 1.6], n_init=12, transient=1000, optimizer=hb)
    assert bd.critical_lr == pytest.approx(1.5, 1e-12)
    assert set(bd.periods[0][bd.periods[0] > 0]) == {1}
    assert 2 in set(bd.periods[1])
    orbits = dg.find_periodic_orbits(XY, 1.55, np.array([[1.2, 0.9]]), optimizer=hb)
    assert orbits and orbits[0].period == 2 and orbits[0].stable and orbits[0].points.shape[1] == 4
    lyap = dg.lyapunov_exponent(XY, np.array([[1.2, 0.9]]), 1.55, optimizer=hb)
    assert lyap.mean is not None and lyap.mean < 0  # an attracting cycle


def test_an_optimizer_estimate_is_the_same_on_a_process_pool() -> None:
    """The optimiser travels with the tasks: a 2-process pool with small chunks gives the serial
    counts and interval exactly."""
    hb = dg.HeavyBall(0.5)
    a = dg.estimate_convergent_fraction(XY, 1.45, n_samples=600, seed=1, optimizer=hb)
    with dg.make_executor(workers=2) as ex:
        b = dg.estimate_convergent_fraction(
            XY, 1.45, n_samples=600, seed=1, optimizer=hb, executor=ex, chunk_size=150
        )
    assert a.counts == b.counts and (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
    assert a.counts["converged"] > 0
