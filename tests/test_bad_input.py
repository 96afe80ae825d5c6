"""Bad-input table across the public API: every refused input raises the documented exception
with a message naming the parameter, the rule and the value, and leaves no file behind.

Rows are (callable, kwargs, exception, regex).  Paths in kwargs written as "{tmp}/..." are put
under pytest's ``tmp_path``, which must be empty after the call.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.runtime.executors import make_executor, map_tasks
from dynsys_gd.runtime.progress import progress_bar
from dynsys_gd.runtime.store import ResultsStore
from dynsys_gd.symbolic.derivation import derive

x, y = sp.symbols("x y")
NET = dg.LinearNetwork.scalar(2, 1.0)
NET0 = dg.LinearNetwork.scalar(2, 0.0)
NET2_NARROW = dg.LinearNetwork.from_covariances((2, 1, 2), Sxx=np.eye(2), Syx=np.eye(2))
LOSS = dg.LossModel((x * y - 1) ** 2 / 2, [x, y])
LOGCOSH = dg.LossModel(sp.log(sp.cosh(x * y - 1)), [x, y])
X3, Y3 = np.ones((3, 2)), np.ones((3, 1))
IPE = InvalidParameterError
CONFIG = {"depth": 2, "n_samples": 10}


def _optional(module: str, name: str) -> Callable[..., Any] | None:
    """A public function if its module exists yet (analysis modules land in parallel)."""
    try:
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]
    except (ImportError, AttributeError):
        return None


estimate = _optional("dynsys_gd.analysis.convergence", "estimate_convergent_fraction")
lr_sweep = _optional("dynsys_gd.analysis.sweep", "lr_sweep")
stability = _optional("dynsys_gd.analysis.stability", "stability_analysis")


def det_dg(**kw: Any) -> Any:
    return derive(kw.pop("model", NET)).det_dg(**kw)


def det_dg_at(**kw: Any) -> Any:
    return derive(kw.pop("model", NET)).det_dg_at(**kw)


def gd_map(**kw: Any) -> Any:
    return derive(NET).gd_map(**kw)


def store_put(tmp: Path, **kw: Any) -> None:
    with ResultsStore(tmp / "s.sqlite", CONFIG) as st:
        st.put(**kw)


def store_export(tmp: Path, method: str, path: str) -> None:
    with ResultsStore(tmp / "s.sqlite", CONFIG) as st:
        st.put("a", {"x": 1})
        getattr(st, method)(path)


ROWS: list[Any] = [
    # ---- LinearNetwork constructors
    (dg.LinearNetwork.scalar, {"depth": 0}, IPE, r"depth must be an int >= 1; got 0"),
    (dg.LinearNetwork.scalar, {"depth": 10**9}, IPE, r"depth must be an int <= 1000; got 10+"),
    (
        dg.LinearNetwork.from_covariances,
        {"widths": (10**6, 10**6, 1), "Sxx": [[1.0]], "Syx": [[1.0]]},
        IPE,
        r"widths must give at most 1000000 parameters; got 1000001000000",
    ),
    (dg.LinearNetwork.scalar, {"depth": 2.5}, IPE, r"depth must be an int >= 1; got 2\.5"),
    (dg.LinearNetwork.scalar, {"depth": True}, IPE, r"depth must be an int >= 1; got True"),
    (dg.LinearNetwork.scalar, {"depth": "2"}, IPE, r"depth must be an int >= 1; got '2'"),
    (
        dg.LinearNetwork.scalar,
        {"depth": 2, "target": float("nan")},
        IPE,
        r"target must be a finite real number; got nan",
    ),
    (
        dg.LinearNetwork.scalar,
        {"depth": 2, "target": float("inf")},
        IPE,
        r"target must be a finite real number; got inf",
    ),
    (
        dg.LinearNetwork.scalar,
        {"depth": 2, "target": "one"},
        IPE,
        r"target must be a finite real number; got 'one'",
    ),
    (
        dg.LinearNetwork,
        {"widths": [2, 0, 1], "X": X3, "Y": Y3},
        IPE,
        r"widths\[1\] must be an int >= 1; got 0",
    ),
    (
        dg.LinearNetwork,
        {"widths": [2], "X": X3, "Y": Y3},
        IPE,
        r"widths must be a sequence of at least two ints >= 1",
    ),
    (
        dg.LinearNetwork,
        {"widths": "abc", "X": X3, "Y": Y3},
        IPE,
        r"widths must be a sequence of at least two ints >= 1; got 'abc'",
    ),
    (
        dg.LinearNetwork,
        {"widths": [2, 1], "X": np.ones((3, 3)), "Y": Y3},
        IPE,
        r"X must have shape \(\*, 2\); got shape \(3, 3\)",
    ),
    (
        dg.LinearNetwork,
        {"widths": [2, 1], "X": X3, "Y": np.ones((4, 1))},
        IPE,
        r"X and Y must have the same number of rows",
    ),
    (
        dg.LinearNetwork,
        {"widths": [2, 1], "X": np.array([[1.0, np.nan]]), "Y": np.ones((1, 1))},
        IPE,
        r"X must be finite \(no NaN or inf\); got nan",
    ),
    (dg.LinearNetwork, {"widths": [2, 1], "X": X3}, IPE, r"X and Y must both be given"),
    (
        dg.LinearNetwork,
        {"widths": [2, 1], "X": X3, "Y": Y3, "convention": "l2"},
        IPE,
        r"convention must be one of 'mean_half', 'half_sum', 'mean', 'sum'; got 'l2'",
    ),
    (
        dg.LinearNetwork.from_covariances,
        {"widths": [2, 1], "Sxx": np.ones((3, 3)), "Syx": np.ones((1, 2))},
        IPE,
        r"Sxx must have shape \(2, 2\); got shape \(3, 3\)",
    ),
    (
        dg.LinearNetwork.from_covariances,
        {"widths": [2, 1], "Sxx": np.array([[1.0, 2.0], [0.0, 1.0]]), "Syx": np.ones((1, 2))},
        IPE,
        r"Sxx must be symmetric",
    ),
    (
        dg.LinearNetwork.from_covariances,
        {"widths": [2, 1], "Sxx": -np.eye(2), "Syx": np.ones((1, 2))},
        IPE,
        r"Sxx must be positive semi-definite; got smallest eigenvalue -1",
    ),
    (
        dg.LinearNetwork.from_covariances,
        {"widths": [2, 1], "Sxx": np.eye(2), "Syx": np.full((1, 2), np.inf)},
        IPE,
        r"Syx must be finite \(no NaN or inf\); got inf",
    ),
    (
        dg.LinearNetwork.from_covariances,
        {"widths": [2, 1], "Sxx": np.eye(2), "Syx": np.ones((1, 2)), "convention": "sum"},
        IPE,
        r"convention must be 'mean_half' or 'mean' for covariances",
    ),
    # ---- LossModel
    (
        dg.LossModel,
        {"loss": "x*y", "params": [x, y]},
        IPE,
        r"loss must be a sympy expression; got 'x\*y'",
    ),
    (
        dg.LossModel,
        {"loss": (x * y - 1) ** 2, "params": []},
        IPE,
        r"params must be a non-empty sequence of sympy Symbols",
    ),
    (
        dg.LossModel,
        {"loss": (x * y - 1) ** 2, "params": "xy"},
        IPE,
        r"params must be a sequence of sympy Symbols; got 'xy'",
    ),
    (
        dg.LossModel,
        {"loss": (x * y - 1) ** 2, "params": [x]},
        IPE,
        r"loss must be an expression in the given params only; got other symbols: y",
    ),
    (
        dg.LossModel,
        {"loss": (x * y - 1) ** 2, "params": [x, x, y]},
        IPE,
        r"params must be distinct symbols",
    ),
    (
        dg.LossModel,
        {"loss": (x * y - 1) ** 2, "params": [x, 2]},
        IPE,
        r"params\[1\] must be a sympy Symbol; got 2",
    ),
    (
        dg.LossModel,
        {"loss": sp.I * x * y, "params": [x, y]},
        IPE,
        r"loss must be a finite real expression",
    ),
    # ---- derive and the Derivation methods
    (derive, {"model": "net"}, IPE, r"model must be a LinearNetwork or a LossModel"),
    (derive, {"model": None}, IPE, r"model must be a LinearNetwork or a LossModel"),
    (det_dg, {"max_params": 0}, IPE, r"max_params must be an int >= 1; got 0"),
    (
        det_dg,
        {"model": dg.LinearNetwork.scalar(9, 1.0)},
        IPE,
        r"n_params must be <= max_params = 8; got 9",
    ),
    (det_dg_at, {"point": [1, 2, 3], "lr": 0.5}, IPE, r"point must have 2 coordinates; got 3"),
    (
        det_dg_at,
        {"point": [1, float("nan")], "lr": 0.5},
        IPE,
        r"point must be finite \(no NaN or inf\); got nan",
    ),
    (
        det_dg_at,
        {"point": [1, 2], "lr": float("inf")},
        IPE,
        r"lr must be a finite float > 0; got inf",
    ),
    (
        det_dg_at,
        {"model": LOGCOSH, "point": [1, 2], "lr": 0.5},
        IPE,
        r"hessian_at_rational needs a polynomial loss",
    ),
    (
        gd_map,
        {"lr": "abc"},
        IPE,
        r"lr must be None, a finite float > 0 or a sympy expression; got 'abc'",
    ),
    # ---- numeric_model
    (
        dg.numeric_model,
        {"model": "net"},
        IPE,
        r"model must implement the model protocol dynsys_gd.Model .*; got str without n_params",
    ),
    (
        dg.numeric_model,
        {"model": NET, "precision": 0},
        IPE,
        r"precision must be None or an int >= 15 \(decimal digits\); got 0",
    ),
    # ---- min_sharpness / critical_lr
    (dg.min_sharpness, {"net": "net"}, IPE, r"net must be a LinearNetwork; got str"),
    # target 0 is accepted by min_sharpness / critical_lr (S_min = 0, eta* = inf)
    (
        dg.min_sharpness,
        {"net": NET2_NARROW},
        IPE,
        r"hidden widths must be >= rank W\* = 2",
    ),
    # a LossModel is accepted (critical points in a box); its box is validated
    (dg.critical_lr, {"net": LOSS, "box": 0.0}, IPE, r"box must be a finite float > 0; got 0.0"),
    (dg.critical_lr, {"net": NET0, "box": 2.0}, IPE, r"box: keywords for a LossModel only"),
    # ---- ResultsStore (no file may be left behind)
    (
        ResultsStore,
        {"path": None, "config": CONFIG},
        IPE,
        r"path must be a non-empty str or os.PathLike file path; got None",
    ),
    (
        ResultsStore,
        {"path": "{tmp}", "config": CONFIG},
        IPE,
        r"path must be a file path; got the directory",
    ),
    (
        ResultsStore,
        {"path": "{tmp}/missing/s.sqlite", "config": CONFIG},
        IPE,
        r"path must be in an existing directory",
    ),
    (
        ResultsStore,
        {"path": "{tmp}/s.sqlite", "config": "depth=2"},
        IPE,
        r"config must be a dict; got 'depth=2'",
    ),
    (
        ResultsStore,
        {"path": "{tmp}/s.sqlite", "config": {"net": object()}},
        IPE,
        r"config must be JSON-serialisable",
    ),
    (
        ResultsStore,
        {"path": "{tmp}/s.sqlite", "config": CONFIG, "kind": ""},
        IPE,
        r"kind must be a non-empty str; got ''",
    ),
    # ---- make_executor / map_tasks / progress_bar
    (make_executor, {"workers": 0}, IPE, r"workers must be an int >= 1; got 0"),
    (make_executor, {"workers": 2.0}, IPE, r"workers must be an int >= 1; got 2\.0"),
    (make_executor, {"workers": 10**12}, IPE, r"workers must be an int <= 1024; got 10+"),
    (
        make_executor,
        {"scheduler": "cluster"},
        IPE,
        r"scheduler must be None, 'local' or a scheduler address .*got 'cluster'",
    ),
    (make_executor, {"scheduler": 8786}, IPE, r"scheduler must be None, 'local'.*got 8786"),
    (
        make_executor,
        {"scheduler": "tcp://127.0.0.1:8786", "workers": 4},
        IPE,
        r"workers must be None when connecting to the scheduler",
    ),
    (map_tasks, {"fn": 3, "tasks": [1], "executor": None}, IPE, r"fn must be callable; got 3"),
    (
        map_tasks,
        {"fn": abs, "tasks": [1], "executor": "dask"},
        IPE,
        r"executor must be None or a concurrent.futures.Executor; got 'dask'",
    ),
    (progress_bar, {"total": -1}, IPE, r"total must be an int >= 0; got -1"),
]

if stability is not None:
    ROWS += [
        (stability, {"depth": 2, "lr": -0.1}, IPE, r"lr must be a finite float > 0; got -0\.1"),
        (
            stability,
            {"depth": 2, "lr": 0.5, "n_minima": 10**12},
            IPE,
            r"n_minima must be an int <= 100000; got 1000000000000",
        ),
        (
            stability,
            {"depth": 2, "lr": 0.5, "n_samples": 10**12},
            IPE,
            r"n_samples must be an int <= 1000000000; got 1000000000000",
        ),
        (
            stability,
            {"depth": 2, "lr": float("nan")},
            IPE,
            r"lr must be a finite float > 0; got nan",
        ),
        (stability, {"depth": 2, "lr": "0.1"}, IPE, r"lr must be a finite float > 0; got '0\.1'"),
        (
            stability,
            {"depth": 2, "lr": 0.5, "target": 0.0},
            IPE,
            r"target must be non-zero.*not a manifold",
        ),
        (stability, {"depth": 0, "lr": 0.5}, IPE, r"depth must be an int >= 1; got 0"),
        (
            stability,
            {"depth": 2, "lr": 0.5, "n_minima": 0},
            IPE,
            r"n_minima must be an int >= 1; got 0",
        ),
        (stability, {"depth": 2, "lr": 0.5, "seed": -1}, IPE, r"seed must be an int >= 0; got -1"),
        (
            stability,
            {"depth": 2, "lr": 0.5, "network": "net"},
            IPE,
            r"network must be a LinearNetwork or None; got str",
        ),
        (
            stability,
            {"depth": 3, "lr": 0.5, "network": NET},
            IPE,
            r"depth must be None or equal to network.depth = 2; got 3",
        ),
        (
            stability,
            {"depth": 2, "lr": 0.5, "n_samples": -5},
            IPE,
            r"n_samples must be an int >= 0; got -5",
        ),
        (
            stability,
            {"depth": 2, "lr": 0.5, "n_samples": 4, "init": "cauchy"},
            IPE,
            r"init must be one of 'uniform', 'gaussian' or a callable",
        ),
    ]

if estimate is not None:
    _E = {"net": NET, "lr": 0.5, "n_samples": 10, "seed": 0}
    ROWS += [
        (estimate, {**_E, "n_samples": 0}, IPE, r"n_samples must be an int >= 1; got 0"),
        # sizes that would exhaust time or memory are refused up front
        (
            estimate,
            {**_E, "n_samples": 10**12},
            IPE,
            r"n_samples=1000000000000 needs about 51 TiB of memory for the per-run results",
        ),
        (estimate, {**_E, "n_samples": 10.0}, IPE, r"n_samples must be an int >= 1; got 10\.0"),
        (estimate, {**_E, "seed": None}, IPE, r"seed must be an int >= 0 \(required for "),
        (estimate, {**_E, "seed": -3}, IPE, r"seed must be an int >= 0; got -3"),
        (
            estimate,
            {**_E, "init": "cauchy"},
            IPE,
            r"init must be one of 'uniform', 'gaussian' or a callable sampler.*got 'cauchy'",
        ),
        (estimate, {**_E, "init_scale": 0.0}, IPE, r"init_scale must be a finite float > 0"),
        (
            estimate,
            {**_E, "init_scale": float("inf")},
            IPE,
            r"init_scale must be a finite float > 0; got inf",
        ),
        (estimate, {**_E, "lr": 0.0}, IPE, r"lr must be a finite float > 0; got 0\.0"),
        (estimate, {**_E, "lr": float("inf")}, IPE, r"lr must be a finite float > 0; got inf"),
        (estimate, {**_E, "net": "net"}, IPE, r"model must implement the model protocol"),
        (
            estimate,
            {**_E, "executor": "pool"},
            IPE,
            r"executor must be None or a concurrent.futures.Executor; got 'pool'",
        ),
        (estimate, {**_E, "chunk_size": 0}, IPE, r"chunk_size must be an int >= 1; got 0"),
        (estimate, {**_E, "progress": "yes"}, IPE, r"progress must be a bool or None; got 'yes'"),
        (estimate, {**_E, "confidence": 1.5}, IPE, r"confidence must be a float in \(0, 1\)"),
        (estimate, {**_E, "config": {}}, IPE, r"config must be an EngineConfig or None; got \{\}"),
    ]

if lr_sweep is not None:
    _S = {"net": NET, "lrs": [0.5, 0.9], "n_samples": 8, "seed": 0}
    ROWS += [
        (
            lr_sweep,
            {**_S, "lrs": []},
            IPE,
            r"lrs must be a non-empty 1-D sequence of finite floats > 0",
        ),
        (lr_sweep, {**_S, "lrs": "0.1"}, IPE, r"lrs must be a non-empty 1-D sequence.*got '0\.1'"),
        (lr_sweep, {**_S, "lrs": [[0.1]]}, IPE, r"lrs must be a non-empty 1-D sequence"),
        (
            lr_sweep,
            {**_S, "lrs": [0.1, float("nan")]},
            IPE,
            r"lrs\[1\] must be a finite float > 0; got nan",
        ),
        (lr_sweep, {**_S, "lrs": [0.1, -1.0]}, IPE, r"lrs\[1\] must be a finite float > 0; got -1"),
        (lr_sweep, {**_S, "lrs": [0.1, 0.1]}, IPE, r"lrs must be distinct"),
        (lr_sweep, {**_S, "n_samples": 0}, IPE, r"n_samples must be an int >= 1; got 0"),
        (lr_sweep, {**_S, "seed": None}, IPE, r"seed must be an int >= 0"),
        (lr_sweep, {**_S, "init": "cauchy"}, IPE, r"init must be one of 'uniform', 'gaussian'"),
        (lr_sweep, {**_S, "critical_lr": -1.0}, IPE, r"critical_lr must be a finite float > 0"),
        (
            lr_sweep,
            {**_S, "executor": "dask"},
            IPE,
            r"executor must be None or a concurrent.futures.Executor",
        ),
        (
            lr_sweep,
            {**_S, "store": "{tmp}/missing/s.sqlite"},
            IPE,
            r"must be in an existing directory",
        ),
        (lr_sweep, {**_S, "store": "{tmp}"}, IPE, r"must be a file path; got the directory"),
        (lr_sweep, {**_S, "store": 3}, IPE, r"must be a non-empty str or os.PathLike"),
    ]


def _nested(levels: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cur = out
    for _ in range(levels):
        cur["a"] = {}
        cur = cur["a"]
    return out


def _raises(rng: Any, n: int, P: int) -> Any:
    raise ZeroDivisionError("division by zero")


def _nan_sampler(rng: Any, n: int, P: int) -> Any:
    return np.full((n, P), np.nan)


# ---- trust: the inputs of the audit (overflow, negative minimum loss, depth, scale, samplers,
# nesting); a ProcessPoolExecutor starts no process before its first submit
_POOL = __import__("concurrent.futures").futures.ProcessPoolExecutor(max_workers=1)
ROWS += [
    (
        dg.LinearNetwork.from_covariances,
        {"widths": (2, 1, 2), "Sxx": np.eye(2), "Syx": [[1.0, 0.0], [0.0, 2.0]], "trace_Syy": 0},
        IPE,
        r"trace_Syy must be >= tr\(Syx Sxx\^\+ Syx\^T\) = 5 \(else the minimum loss is negative",
    ),
    (
        dg.MLP,
        {"widths": (1,) * 100001, "X": np.ones((3, 1)), "Y": np.ones((3, 1))},
        IPE,
        r"widths must have at most 1001 entries \(depth <= 1000\); got 100001 entries",
    ),
    (
        dg.run_gd,
        {
            "model": dg.MLP((1,) * 701, X=np.ones((3, 1)), Y=np.ones((3, 1))),
            "theta0": np.ones((1, 700)),
            "lr": 0.1,
        },
        IPE,
        r"config.limits must be False for a model with n_params = 700 > max_hessian_params",
    ),
    (
        ResultsStore,
        {"path": "{tmp}/s.sqlite", "config": _nested(5000)},
        IPE,
        r"config must be JSON-serialisable; .*nesting deeper than 64 levels",
    ),
]
if estimate is not None:
    _E = {"net": NET, "lr": 0.5, "n_samples": 8, "seed": 0}
    ROWS += [
        (estimate, {**_E, "init_scale": 1e308}, IPE, r"init_scale must be a finite float in \(0, "),
        (estimate, {**_E, "init": _raises}, IPE, r"init sampler .* raised ZeroDivisionError"),
        (estimate, {**_E, "init": lambda: 0}, IPE, r"init sampler .* raised TypeError"),
        (estimate, {**_E, "init": _nan_sampler}, IPE, r"with 16 non-finite entries"),
        (
            estimate,
            {**_E, "init": lambda r, n, P: r.uniform(-1, 1, (n, P)), "executor": _POOL},
            IPE,
            r"init must be a picklable sampler .* to run on a process pool",
        ),
    ]

# ---- user-style junk on the remaining public surfaces
ROWS += [
    (
        dg.fixed_point_spectrum,
        {"model": NET, "theta": "é", "lr": 0.5},
        IPE,
        r"theta must be an array of real numbers",
    ),
    (
        dg.lanczos_sharpness,
        {"model": dg.numeric_model(NET), "theta": "é"},
        IPE,
        r"theta must be an array of real numbers",
    ),
    (dg.clopper_pearson, {"k": 3, "n": 10**20}, IPE, r"n must be an int <= 9007199254740992"),
    (
        dg.teacher_student_dataset,
        {"widths": [], "n_samples": 10, "seed": 0},
        IPE,
        r"widths must be a sequence of at least 2 ints >= 1",
    ),
    (
        dg.teacher_student_dataset,
        {"widths": (2, 3, 1), "n_samples": 10**20, "seed": 0},
        IPE,
        r"n_samples=10+ needs about .* of memory for the inputs and targets",
    ),
    (
        dg.follow_null_point,
        {"model": NET, "lr": 0.9, "theta0": None},
        IPE,
        r"theta0 must be a 1-D array of finite real numbers; got None",
    ),
    (
        dg.bifurcation_diagram,
        {"model": NET, "lrs": [0.5, 0.9], "n_init": 10**20, "seed": 0},
        IPE,
        r"n_init=10+ needs about .* of memory",
    ),
    (
        dg.bifurcation_diagram,
        {"model": NET, "lrs": [0.5, 0.9], "transient": 10**20, "seed": 0},
        IPE,
        r"transient=10+ needs at least about .* of computing",
    ),
]

CLI_ROWS = [
    (["orbits", "--lr", "0.5", "--samples", str(10**12)], r"samples=10+ needs about .* TiB"),
    (["orbits", "--lr", "0.5", "--seed", "-1"], r"seed must be an int >= 0; got -1"),
    (["orbits", "--lr", "nan"], r"lr must be a finite float > 0; got nan"),
]


@pytest.mark.parametrize(("argv", "regex"), CLI_ROWS, ids=[" ".join(r[0]) for r in CLI_ROWS])
def test_cli_bad_input_is_one_line(
    argv: list[str], regex: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from dynsys_gd.cli import main

    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    _out, err = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert re.search(regex, lines[0]), lines[0]


def test_exp_overflow_is_a_divergence_not_a_non_real_loss() -> None:
    """exp(1000 x) is real everywhere; its gradient overflows float64: diverged, no error."""
    m = dg.LossModel(sp.exp(1000 * x), [x])
    rb = dg.run_gd(m, np.array([[1.0], [0.5]]), 0.1)
    assert [o.key for o in rb.outcomes()] == ["diverged", "diverged"]


def test_overflowing_terms_are_not_called_not_real() -> None:
    """cosh(300 x) - sinh(300 x) = exp(-300 x) gives inf - inf = NaN in float64 at the probe
    points: an overflow, accepted; sqrt(x) is refused."""
    dg.LossModel(sp.cosh(300 * x) - sp.sinh(300 * x) + x**2, [x])
    with pytest.raises(IPE, match=r"loss must be real at every real theta"):
        dg.LossModel(sp.sqrt(x), [x])


def _ids(row: Any) -> str:
    values = row.values if hasattr(row, "values") else row
    fn, kwargs = values[0], values[1]
    name = getattr(fn, "__qualname__", getattr(fn, "__name__", "fn"))
    return f"{name}-{','.join(sorted(kwargs))}"


def _fill(value: Any, tmp: Path) -> Any:
    if isinstance(value, str) and value.startswith("{tmp}"):
        return str(tmp) + value[len("{tmp}") :]
    return value


@pytest.mark.parametrize(("fn", "kwargs", "exc", "regex"), ROWS, ids=[_ids(r) for r in ROWS])
def test_bad_input_is_refused(
    tmp_path: Path,
    fn: Callable[..., Any],
    kwargs: dict[str, Any],
    exc: type[BaseException],
    regex: str,
) -> None:
    kwargs = {k: _fill(v, tmp_path) for k, v in kwargs.items()}
    with pytest.raises(exc, match=regex):
        fn(**kwargs)
    assert list(tmp_path.iterdir()) == []  # nothing created, not even a partial file


def test_table_is_large_enough() -> None:
    assert len(ROWS) >= 30


@pytest.mark.parametrize(
    ("kwargs", "regex"),
    [
        ({"key": "", "result": {"x": 1}}, r"key must be a non-empty str"),
        ({"key": "a", "result": (1, 2)}, r"result must be a dict; got \(1, 2\)"),
        ({"key": "a", "result": {"f": object()}}, r"result must be JSON-serialisable"),
        ({"key": "a", "result": {"key": 1}}, r"reserved keys"),
    ],
)
def test_store_put_bad_input_keeps_the_store_empty(
    tmp_path: Path, kwargs: dict[str, Any], regex: str
) -> None:
    with pytest.raises(IPE, match=regex):
        store_put(tmp_path, **kwargs)
    with ResultsStore(tmp_path / "s.sqlite", CONFIG) as st:
        assert len(st) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["s.sqlite"]


@pytest.mark.parametrize(
    ("method", "path", "regex"),
    [
        ("export_csv", "{tmp}/missing/r.csv", r"path must be in an existing directory"),
        ("export_json", "{tmp}", r"path must be a file path; got the directory"),
        ("export_json", "{tmp}/s.sqlite", r"must not be the store file itself"),
        ("export_csv", 12, r"path must be a non-empty str or os.PathLike file path; got 12"),
    ],
)
def test_refused_export_leaves_no_partial_file(
    tmp_path: Path, method: str, path: Any, regex: str
) -> None:
    with pytest.raises(IPE, match=regex):
        store_export(tmp_path, method, _fill(path, tmp_path))
    assert [p.name for p in tmp_path.iterdir()] == ["s.sqlite"]


@pytest.mark.parametrize("content", ["foreign", "corrupt"])
def test_lr_sweep_refuses_a_foreign_or_corrupt_store_without_touching_it(
    tmp_path: Path, content: str
) -> None:
    if lr_sweep is None:
        pytest.skip("analysis.sweep not available")
    path = tmp_path / "results.db"
    if content == "foreign":
        import sqlite3

        con = sqlite3.connect(path)
        con.execute("CREATE TABLE results (lr REAL, fraction REAL)")
        con.execute("INSERT INTO results VALUES (0.5, 1.0)")
        con.commit()
        con.close()
    else:
        path.write_bytes(np.random.default_rng(1).bytes(3000))
    before = path.read_bytes()
    with pytest.raises(IPE, match=r"not a usable dynsys_gd results store.*not modified"):
        lr_sweep(NET, [0.5], n_samples=8, seed=0, store=path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["results.db"]
