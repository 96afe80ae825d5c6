"""Non-linear sweep (docs/math/nonlinear.md, docs/math/claims.md#c7, docs/math/claims.md#c8): data, the experiment, its result, figure and CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dynsys_gd.analysis.nonlinear import NonlinearSweepResult, nonlinear_sweep
from dynsys_gd.cli import main
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.models.datasets import Dataset, digits_dataset, teacher_student_dataset
from dynsys_gd.models.mlp import MLP
from dynsys_gd.numeric.engine.outcomes import OUTCOME_NAMES
from dynsys_gd.reporting.nonlinear_figures import plot_nonlinear_sweep

# ½(w1 w2 − 1)² as an MLP with identity activation: η* = 2/N = 1 (docs/math/reference-values.md)
XY = MLP((1, 1, 1), "identity", X=np.ones((1, 1)), Y=np.ones((1, 1)))
XY_LRS = [0.8, 0.9, 0.95, 1.05, 1.1, 1.2]


@pytest.fixture(scope="module")
def xy_result() -> NonlinearSweepResult:
    return nonlinear_sweep(
        XY, XY_LRS, n_init=32, seed=3, steps=2000, last_k=100, init="uniform", init_scale=1.5
    )


def test_digits_dataset_is_standardised_and_deterministic() -> None:
    d = digits_dataset(n_samples=50, n_features=5, seed=1)
    assert isinstance(d, Dataset) and d.X.shape == (50, 5) and d.Y.shape == (50, 1)
    np.testing.assert_allclose(d.X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(d.X.std(axis=0), 1, rtol=1e-12)
    np.testing.assert_allclose(d.Y.std(), 1, rtol=1e-12)
    np.testing.assert_array_equal(d.X, digits_dataset(n_samples=50, n_features=5, seed=1).X)
    assert not np.array_equal(d.X, digits_dataset(n_samples=50, n_features=5, seed=2).X)
    assert 0 < d.info["explained_variance"] < 1
    oh = digits_dataset(n_samples=40, n_features=3, targets="onehot")
    assert oh.Y.shape == (40, 10) and oh.n_outputs == 10
    np.testing.assert_allclose(oh.Y.sum(axis=1), 0, atol=1e-12)


def test_teacher_student_dataset_is_realisable() -> None:
    d = teacher_student_dataset((3, 5, 2), 30, "tanh", seed=4)
    assert d.X.shape == (30, 3) and d.Y.shape == (30, 2)
    assert np.all(np.abs(d.Y) > 0)
    noisy = teacher_student_dataset((3, 5, 2), 30, "tanh", seed=4, noise=0.1)
    np.testing.assert_array_equal(noisy.X, d.X)
    assert 0 < np.abs(noisy.Y - d.Y).max() < 1


def test_c7_transition_at_the_known_critical_lr(xy_result: NonlinearSweepResult) -> None:
    """C7 on ½(xy − 1)², η* = 1: g∞ ≈ 0 below η*, clearly positive above; the located
    interval contains η* and so does the prediction 2/S_flat from the converged runs."""
    r = xy_result
    assert r.transition_low == 0.95 and r.transition == 1.05
    assert np.all(r.g_inf[:3] < 1e-8)
    assert np.all(r.g_inf[3:][np.isfinite(r.g_inf[3:])] > 1e-3)
    assert r.flattest_source == "converged"
    assert r.predicted_lr is not None and 0.95 <= r.predicted_lr <= 1.05
    assert r.prediction_in_interval is True
    assert np.all(r.g_inf_low <= r.g_inf + 1e-300) or np.any(np.isnan(r.g_inf))


def test_c6_c8_outcomes_and_stability_of_converged_runs(xy_result: NonlinearSweepResult) -> None:
    """C6: no run converges above η* = 1; C8: converged runs end with λ_max ≤ 2/η."""
    r = xy_result
    for i, c in enumerate(r.counts):
        assert set(c) == set(OUTCOME_NAMES) and sum(c.values()) == 32
        if r.lrs[i] > 1:
            assert c["converged"] == 0
    assert sum(c["converged"] for c in r.counts[:3]) > 0
    assert r.violations == ()
    conv = r.outcome_codes == 0
    assert np.all(r.sharpness_runs[conv] <= (2 / r.lrs[:, None] * np.ones_like(conv))[conv])
    # above η*, bounded runs settle on period-2 orbits (C8 flip bifurcation)
    assert r.counts[3]["periodic"] > 0


def test_result_table_json_and_figure(xy_result: NonlinearSweepResult, tmp_path) -> None:
    r = xy_result
    text = r.summary()
    assert "transition" in text and "2 / S_flat" in text and "C8 check: 0 of" in text
    assert "transition=(0.95, 1.05]" in repr(r)
    d = json.loads(r.to_json())
    assert d["transition"] == 1.05 and d["outcome_codes"][0][0] in OUTCOME_NAMES
    assert len(d["g_inf"]) == len(XY_LRS)
    fig = plot_nonlinear_sweep(r)
    assert len(fig.axes) == 2
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and "g_\\infty" in ax.get_ylabel()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("prediction" in s for s in labels) and any("transition" in s for s in labels)
    fig.savefig(tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 1000
    assert fig.axes[0].get_xlabel().startswith("learning rate")


def test_tanh_network_on_digits_runs_and_is_consistent() -> None:
    d = digits_dataset(n_samples=24, n_features=3, seed=0)
    m = MLP((3, 6, 1), "tanh", X=d.X, Y=d.Y)
    r = nonlinear_sweep(m, [0.05, 0.5, 50.0], n_init=4, seed=0, steps=300, last_k=30)
    assert r.counts[-1]["diverged"] == 4 and np.isnan(r.g_inf[-1])
    assert np.all(np.isfinite(r.sharpness_runs[0]))
    assert r.violations == ()
    # same seed, same numbers
    r2 = nonlinear_sweep(m, [0.05, 0.5, 50.0], n_init=4, seed=0, steps=300, last_k=30)
    np.testing.assert_array_equal(r.g_runs, r2.g_runs)


@pytest.mark.parametrize(
    ("kwargs", "exc", "regex"),
    [
        ({"model": object()}, InvalidParameterError, "model must be an MLP or a NumericModel"),
        ({"lrs": [0.1]}, InvalidParameterError, "lrs must be a 1-D sequence of at least 2"),
        ({"lrs": [0.1, -1.0]}, InvalidParameterError, r"lrs\[\d+\] must be a finite float > 0"),
        ({"lrs": [0.1, 0.1]}, InvalidParameterError, "lrs must be distinct"),
        ({"lrs": "0.1"}, InvalidParameterError, "lrs must be a 1-D sequence"),
        ({"n_init": 0}, InvalidParameterError, "n_init must be"),
        ({"steps": 1}, InvalidParameterError, "steps must be"),
        ({"last_k": 500}, InvalidParameterError, "last_k must be"),
        ({"seed": -1}, InvalidParameterError, "seed"),
        ({"theta0": np.zeros((3, 2))}, InvalidParameterError, "theta0 must be a finite array"),
        ({"g_threshold": 0.0}, InvalidParameterError, "g_threshold must be a finite float > 0"),
    ],
)
def test_bad_input(kwargs: dict, exc: type, regex: str) -> None:
    args: dict = {"model": XY, "lrs": [0.5, 1.5], "n_init": 2, "steps": 100, "last_k": 50}
    args.update(kwargs)
    with pytest.raises(exc, match=regex):
        nonlinear_sweep(args.pop("model"), args.pop("lrs"), **args)


@pytest.mark.parametrize(
    ("kwargs", "regex"),
    [
        ({"n_samples": 1}, "n_samples must be"),
        ({"n_samples": 5000}, "n_samples must be"),
        ({"n_features": 65}, "n_features must be"),
        ({"targets": "probability"}, "targets must be one of"),
    ],
)
def test_digits_bad_input(kwargs: dict, regex: str) -> None:
    with pytest.raises(InvalidParameterError, match=regex):
        digits_dataset(**kwargs)


def test_threshold_rule_and_explicit_theta0() -> None:
    th0 = np.array([[1.2, 0.7], [-0.9, -1.3], [0.4, 2.0]])
    r = nonlinear_sweep(
        XY, [0.9, 1.1], n_init=3, theta0=th0, steps=1500, last_k=50, g_threshold=1e-3
    )
    assert "smallest lr with g_inf >= 0.001" in r.transition_rule
    assert r.transition == 1.1 and r.transition_low == 0.9


def test_cli_json_and_figures(tmp_path, capsys) -> None:
    code = main(
        [
            "nonlinear",
            "--data",
            "teacher",
            "--widths",
            "2",
            "4",
            "1",
            "--lrs",
            "0.1",
            "1",
            "100",
            "--samples",
            "3",
            "--steps",
            "200",
            "--last-k",
            "20",
            "--points",
            "16",
            "--json",
            "--figures",
            str(tmp_path),
        ]
    )
    assert code == 0
    d = json.loads(capsys.readouterr().out)
    assert d["data"]["name"] == "teacher" and len(d["lrs"]) == 3
    assert d["counts"][-1]["diverged"] == 3
    # the default cap is 32 x --steps, passed to the engine as its extension factor
    assert d["config"]["max_steps"] == 200 and d["config"]["max_extension"] == 32.0
    assert isinstance(d["refined"], list) and len(d["lrs"]) == 3 + len(d["refined"])
    assert (tmp_path / "nonlinear_sweep.png").exists()
    assert (tmp_path / "nonlinear_sweep.pdf").exists()


@pytest.mark.parametrize(
    ("argv", "regex"),
    [
        (["--lrs", "0.1"], "--lrs needs at least 2"),
        (["--lrs", "0.1", "-2"], "--lrs entry must be a finite float > 0"),
        (["--widths", "8"], "--widths must be at least 2"),
        (["--widths", "8", "32", "3"], "last width must be 1"),
        (["--samples", "0"], "--samples must be"),
        (["--points", "4000"], "--points must be <= 1797"),
        (["--cap", "5"], "--cap must be"),
        (["--refine", "-1"], "--refine must be"),
    ],
)
def test_cli_bad_input_is_one_line(argv: list[str], regex: str, capsys) -> None:
    assert main(["nonlinear", *argv, "--steps", "10", "--last-k", "5"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "error:" in err
    import re

    assert re.search(regex, err)


def test_outcomes_are_the_engines() -> None:
    """One meaning of "converged": every run's outcome and step count are those of run_gd with
    the same settings (the sweep runs all (lr, init) rows in one call, one lr per row)."""
    import dataclasses

    from dynsys_gd.numeric.engine import EngineConfig, run_gd

    th0 = np.random.default_rng(4).uniform(-1.5, 1.5, size=(6, 2))
    r = nonlinear_sweep(XY, [0.8, 1.1], n_init=6, theta0=th0, steps=800, last_k=40)
    cfg = dataclasses.replace(EngineConfig(), max_steps=800, tail=40)
    for i, lr in enumerate(r.lrs):
        rb = run_gd(XY, th0, float(lr), config=cfg)
        np.testing.assert_array_equal(r.outcome_codes[i], rb.outcome)
        np.testing.assert_array_equal(r.steps_runs[i], rb.steps)
    assert r.config["max_steps"] == 800 and r.config["tail"] == 40


def test_undecided_runs_are_left_out_of_g_inf_and_reported() -> None:
    from dynsys_gd.numeric.engine import EngineConfig

    tiny = EngineConfig(adaptive=False, certificate=False)
    r = nonlinear_sweep(
        XY,
        [0.5, 0.99],
        n_init=16,
        seed=2,
        steps=60,
        last_k=20,
        init="uniform",
        init_scale=1.5,
        config=tiny,
    )
    und = np.array([c["undecided"] for c in r.counts])
    assert und.sum() > 0
    np.testing.assert_array_equal(r.g_inf_n, 16 - und - [c["diverged"] for c in r.counts])
    text = r.summary()
    assert "undecided:" in text and "g_inf leaves them out" in text


def test_bisection_locates_the_known_critical_lr_to_one_percent() -> None:
    """½(xy − 1)², η* = 1: from a coarse grid (0.8, 1.3) the bisection in η narrows the
    transition interval to ±1 % around η* = 1; every refinement step is a new grid point with
    its own runs, all reported."""
    r = nonlinear_sweep(
        XY,
        [0.8, 1.3],
        n_init=16,
        seed=3,
        steps=2000,
        last_k=100,
        init="uniform",
        init_scale=1.5,
        refine=8,
        refine_tol=0.01,
    )
    assert 1 <= len(r.refined) <= 8
    assert r.transition is not None and r.transition_low is not None
    assert r.transition_low <= 1.0 <= r.transition
    assert r.transition - r.transition_low <= 0.01 * (r.transition + r.transition_low)
    assert set(r.refined) <= set(r.lrs.tolist()) and len(r.lrs) == 2 + len(r.refined)
    assert np.all(np.diff(r.lrs) > 0)
    assert r.outcome_codes.shape == (len(r.lrs), 16)
    for c in r.counts:
        assert sum(c.values()) == 16
    # the refined points are geometric midpoints of earlier intervals
    lo, hi = 0.8, 1.3
    for m in r.refined:
        assert m == pytest.approx(np.sqrt(lo * hi), rel=1e-12)
        lo, hi = (m, hi) if m < 1 else (lo, m)
    assert "bisection" in r.transition_rule and "refined" in r.summary()
    assert r.prediction_in_interval is True
    # no refinement: the coarse interval
    r0 = nonlinear_sweep(
        XY,
        [0.8, 1.3],
        n_init=16,
        seed=3,
        steps=2000,
        last_k=100,
        init="uniform",
        init_scale=1.5,
    )
    assert r0.refined == () and (r0.transition_low, r0.transition) == (0.8, 1.3)


def test_an_lr_where_every_run_diverged_is_above_the_transition() -> None:
    """g_inf = 0 and then every run diverged: the transition is the interval between them; a
    jump into divergence counts only straight from g_inf = 0 (a positive g_inf before it is
    the transition)."""
    from dynsys_gd.analysis.nonlinear import _locate

    lrs = np.array([0.5, 1.0, 1.5])
    nan = np.nan
    hi, lo, rule = _locate(lrs, np.array([0.0, 0.0, nan]), np.array([0.0, 0.0, nan]), None, 10.0)
    assert (lo, hi) == (1.0, 1.5) and "every run diverged at its upper end" in rule
    hi, lo, rule = _locate(lrs, np.array([0.0, 0.01, nan]), np.array([0.0, 0.01, nan]), None, 10.0)
    assert (lo, hi) == (0.5, 1.0) and "diverged" not in rule
    hi, lo, _ = _locate(lrs, np.array([1e-6, 1e-4, nan]), np.array([1e-6, 1e-4, nan]), None, 10.0)
    assert (lo, hi) == (0.5, 1.0)
    # every non-divergent run undecided at 1.5 (g_inf nan, tail finite): not "every run diverged"
    hi, lo, rule = _locate(lrs, np.array([0.0, 0.0, nan]), np.array([0.0, 0.0, 1e-9]), None, 10.0)
    assert "last-window gradient" in rule and "every run diverged" not in rule
