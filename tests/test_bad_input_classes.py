"""Classes of bad input beyond the main path, one parametrized test per class, each
with ``match=`` on the parameter name:

* store paths that are special files or symbolic links are refused and left untouched;
* a callable init sampler without a stable identity is refused when results are stored;
* every size-like argument is refused fast (well under a second) with the estimate it implies;
* complex input is refused (never truncated, no ComplexWarning);
* magnitudes whose squares overflow, or whose powers underflow, are refused with the limit;
* non-finite or out-of-range tolerances and thresholds of the beyond-the-paper functions;
* a loss that is not analytic, not evaluated or not real is refused naming ``loss``.
"""

from __future__ import annotations

import functools
import os
import stat
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.runtime.store import ResultsStore

IPE = InvalidParameterError
x, y = sp.symbols("x y")
NET = dg.LinearNetwork.scalar(2, 1.0)
XY = dg.LossModel((x * y - 1) ** 2 / 2, [x, y])


# ----------------------------------------------------------------------------- store paths
def _fifo(d: Path) -> Path:
    p = d / "pipe.sqlite"
    os.mkfifo(p)
    return p


def _symlink_to_empty(d: Path) -> Path:
    (d / "empty").touch()
    p = d / "link.sqlite"
    p.symlink_to(d / "empty")
    return p


def _dangling_symlink(d: Path) -> Path:
    p = d / "dangling.sqlite"
    p.symlink_to(d / "nowhere")
    return p


def _empty_file(d: Path) -> Path:
    p = d / "empty.sqlite"
    p.touch()
    return p


def _dev_null(d: Path) -> Path:
    return Path(os.devnull)


def _snapshot(p: Path) -> tuple[Any, ...]:
    st = os.lstat(p)
    target = os.readlink(p) if stat.S_ISLNK(st.st_mode) else None
    return (st.st_mode, st.st_ino, st.st_size, target)


def _open_store(p: Path) -> None:
    ResultsStore(p, {"a": 1})


def _lr_sweep(p: Path) -> None:
    dg.lr_sweep(NET, [0.5], n_samples=4, seed=0, store=p, critical_lr=1.0)


def _cli(p: Path) -> None:
    from dynsys_gd.cli import main

    code = main(
        ["sweep", "--depth", "2", "--lrs", "0.5", "--samples", "4", "--quiet", "--out", str(p)]
    )
    assert code == 2
    raise IPE("path must be a regular file (CLI exit 2)")  # the CLI printed the message


PATHS = [
    (_fifo, r"path must be a regular file; got .*which is a FIFO"),
    (_symlink_to_empty, r"path must be a regular file, not a symbolic link"),
    (_dangling_symlink, r"path must be a regular file, not a symbolic link"),
    (_empty_file, r"path '.*empty\.sqlite' is not a usable .*empty file \(0 bytes\)"),
    (
        _dev_null,
        r"path must be a regular file; got '/dev/null', which is a character "
        r"device",
    ),
]


@pytest.mark.parametrize("entry", [_open_store, _lr_sweep, _cli], ids=["store", "lr_sweep", "cli"])
@pytest.mark.parametrize(("make", "regex"), PATHS, ids=[m.__name__.strip("_") for m, _ in PATHS])
def test_special_and_symlinked_store_paths_are_refused_untouched(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path], Path],
    regex: str,
    entry: Callable[[Path], None],
) -> None:
    p = make(tmp_path)
    before_dir = sorted(os.listdir(tmp_path))
    before = _snapshot(p)
    with pytest.raises(IPE, match=regex if entry is not _cli else r"path must"):
        entry(p)
    if entry is _cli:
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "path" in err, err
    assert _snapshot(p) == before
    assert sorted(os.listdir(tmp_path)) == before_dir  # no temporary file left behind


# ----------------------------------------------------------------------------- samplers
def _anonymous(rng: np.random.Generator, n: int, P: int) -> np.ndarray:
    return rng.uniform(-1.0, 1.0, size=(n, P))


def _named(rng: np.random.Generator, n: int, P: int) -> np.ndarray:
    return rng.uniform(-1.0, 1.0, size=(n, P))


_named.name = "uniform[-1, 1]"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "sampler",
    [
        lambda rng, n, P: rng.normal(size=(n, P)),
        lambda rng, n, P: rng.uniform(-3, 3, size=(n, P)),
        _anonymous,
    ],
    ids=["lambda-a", "lambda-b", "function"],
)
def test_anonymous_samplers_are_refused_with_a_store(tmp_path: Path, sampler: Any) -> None:
    with pytest.raises(IPE, match=r"init must be identifiable to be used with store=.*`name`"):
        dg.lr_sweep(
            NET,
            [0.5],
            n_samples=4,
            seed=0,
            init=sampler,
            store=tmp_path / "s.sqlite",
            critical_lr=1.0,
        )
    assert os.listdir(tmp_path) == []


def test_named_samplers_are_kept_apart_by_a_store(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    dg.lr_sweep(NET, [0.5], n_samples=4, seed=0, init=_named, store=path, critical_lr=1.0)

    def other(rng: np.random.Generator, n: int, P: int) -> np.ndarray:
        return rng.uniform(-3.0, 3.0, size=(n, P))

    other.name = "uniform[-3, 3]"  # type: ignore[attr-defined]
    with pytest.raises(IPE, match=r"different configuration"):
        dg.lr_sweep(NET, [0.5], n_samples=4, seed=0, init=other, store=path, critical_lr=1.0)


# ----------------------------------------------------------------------------- sizes
def _engine(**kw: Any) -> Any:
    from dynsys_gd.numeric.engine import EngineConfig

    return EngineConfig(**kw)


def _periodic(**kw: Any) -> Any:
    from dynsys_gd.numeric.orbits.periodic import find_periodic_orbits

    theta0 = kw.pop("theta0", np.ones((4, 2)))
    return find_periodic_orbits(XY, 0.5, theta0, **kw)


def _lyapunov(**kw: Any) -> Any:
    from dynsys_gd.numeric.orbits.lyapunov import lyapunov_exponent

    theta0 = kw.pop("theta0", np.ones((4, 2)))
    return lyapunov_exponent(XY, theta0, 0.5, **kw)


def _mlp(**kw: Any) -> Any:
    from dynsys_gd.models.mlp import MLP

    return MLP(**kw)


def _nonlinear(**kw: Any) -> Any:
    from dynsys_gd.analysis.nonlinear import nonlinear_sweep

    return nonlinear_sweep(_small_mlp(), [0.1, 0.2], **kw)


def _small_mlp() -> Any:
    from dynsys_gd.models.mlp import MLP

    return MLP((2, 2, 1), X=np.ones((3, 2)), Y=np.ones((3, 1)))


@functools.cache
@functools.cache
def _wide_net() -> Any:
    """90,000 parameters (built once, outside the timed refusal)."""
    return dg.LinearNetwork.from_covariances((300, 300), Sxx=np.eye(300), Syx=np.eye(300))


def _critical_lr_wide(**kw: Any) -> Any:
    return dg.critical_lr(_wide_net())


SIZES: list[Any] = [
    (
        _engine,
        {"max_steps": 10**12},
        r"max_steps=1000000000000 needs at least about .* (days|years) of computing .*limit is",
    ),
    (
        _engine,
        {"tail": 10**9},
        r"tail=1000000000 needs about 60 TiB of memory for a block of "
        r"4096 runs; the limit is 8 GiB",
    ),
    (_engine, {"max_period": 10**6}, r"max_period=1000000 needs about 61 GiB of memory"),
    (_periodic, {"transient": 10**13}, r"transient=10000000000000 needs at least about"),
    (_lyapunov, {"n_steps": 10**13}, r"n_steps=10000000000000 needs at least about"),
    (_lyapunov, {"transient": 10**13}, r"transient=10000000000000 needs at least about"),
    (
        _mlp,
        {"widths": (50_000, 40_000, 1), "X": np.ones((1, 50_000)), "Y": np.ones((1, 1))},
        r"widths must give at most 1000000 parameters; got 2000040000",
    ),
    (_nonlinear, {"steps": 10**13}, r"steps=10000000000000 needs at least about"),
    (_nonlinear, {"n_init": 10**12}, r"n_init=1000000000000 needs about .* of memory"),
    (
        dg.estimate_convergent_fraction,
        {"net": NET, "lr": 0.5, "n_samples": 10**15, "seed": 0},
        r"n_samples=1000000000000000 needs about 50 PiB of memory for the per-run results",
    ),
    (
        _critical_lr_wide,
        {},
        r"net \(90000 parameters\) needs about 24\d GiB of memory for "
        r"the dense Hessian",
    ),
]


@pytest.mark.parametrize(
    ("fn", "kwargs", "regex"),
    SIZES,
    ids=[f"{f.__name__}-{next(iter(k), 'net')}" for f, k, _ in SIZES],
)
def test_size_arguments_are_refused_fast_with_their_estimate(
    fn: Callable[..., Any], kwargs: dict[str, Any], regex: str
) -> None:
    if fn is _critical_lr_wide:
        _wide_net()
    t0 = time.process_time()
    with pytest.raises(IPE, match=regex):
        fn(**kwargs)
    assert time.process_time() - t0 < 1.0  # refused before any work


# ----------------------------------------------------------------------------- complex input
def _sample_complex(rng: np.random.Generator, n: int, P: int) -> np.ndarray:
    return rng.uniform(-1, 1, size=(n, P)) + 0j


COMPLEX: list[Any] = [
    (_lyapunov, {"theta0": np.ones((2, 2)) + 1j}, r"theta0 must be real"),
    (_periodic, {"theta0": np.ones((2, 2)) + 0j}, r"theta0 must be real"),
    (
        _mlp,
        {"widths": (2, 1), "X": np.ones((3, 2)) * (1 + 1j), "Y": np.ones((3, 1))},
        r"X must be real",
    ),
    (_mlp, {"widths": (2, 1), "X": np.ones((3, 2)), "Y": [[1j], [1], [1]]}, r"Y must be real"),
    (
        dg.estimate_convergent_fraction,
        {"net": NET, "lr": 0.5, "n_samples": 4, "seed": 0, "init": _sample_complex},
        r"init sampler output must be real",
    ),
    (
        dg.LinearNetwork,
        {"widths": (2, 1), "X": np.ones((3, 2)) + 1j, "Y": np.ones((3, 1))},
        r"X must hold real numbers",
    ),
    (
        dg.run_gd,
        {"model": NET, "theta0": np.array([[1 + 1j, 2.0]]), "lr": 0.1},
        r"theta0 must be real",
    ),
]


@pytest.mark.parametrize(
    ("fn", "kwargs", "regex"),
    COMPLEX,
    ids=[f"{getattr(f, '__name__', 'fn')}-{i}" for i, (f, _, _) in enumerate(COMPLEX)],
)
def test_complex_input_is_refused(
    fn: Callable[..., Any], kwargs: dict[str, Any], regex: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning leaks
        with pytest.raises(IPE, match=regex):
            fn(**kwargs)


# ----------------------------------------------------------------------------- magnitudes
MAGNITUDES: list[Any] = [
    (
        dg.LinearNetwork.scalar,
        {"depth": 2, "target": 1e200},
        r"target must have magnitude <= 1e\+100",
    ),
    (
        dg.LinearNetwork.scalar,
        {"depth": 2, "target": 5e-324},
        r"target must be 0 or have magnitude >= 1e-100",
    ),
    (
        dg.LinearNetwork,
        {"widths": (2, 1), "X": 1e200 * np.ones((3, 2)), "Y": np.ones((3, 1))},
        r"X must have entries of magnitude <= 1e\+100",
    ),
    (
        dg.LinearNetwork.from_covariances,
        {"widths": (1, 1), "Sxx": [[1.0]], "Syx": [[1.0]], "trace_Syy": -1.0},
        r"trace_Syy must be a finite float >= 0",
    ),
    (
        dg.LinearNetwork.from_covariances,
        {"widths": (1, 1), "Sxx": [[1e150]], "Syx": [[1.0]]},
        r"Sxx must have entries of magnitude <= 1e\+100",
    ),
]


@pytest.mark.parametrize(
    ("fn", "kwargs", "regex"),
    MAGNITUDES,
    ids=[f"{f.__name__}-{i}" for i, (f, _, _) in enumerate(MAGNITUDES)],
)
def test_magnitudes_that_overflow_or_underflow_are_refused(
    fn: Callable[..., Any], kwargs: dict[str, Any], regex: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(IPE, match=regex):
            fn(**kwargs)


def test_cli_analyze_with_a_huge_target_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from dynsys_gd.cli import main

    assert main(["analyze", "--depth", "2", "--target", "1e200", "--lr", "0.1"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "target must have magnitude" in err


# ----------------------------------------------------------------------------- tolerances
TOLERANCES: list[Any] = [
    (_periodic, {"tol": float("nan")}, r"tol must be a finite float > 0; got nan"),
    (_periodic, {"tol": float("inf")}, r"tol must be a finite float > 0; got inf"),
    (_periodic, {"tol": 0.0}, r"tol must be a finite float > 0; got 0\.0"),
    (_periodic, {"neutral_tol": -1.0}, r"neutral_tol must be a finite float > 0"),
    (_lyapunov, {"div_threshold": -1.0}, r"div_threshold must be a finite float > 0; got -1"),
    (_lyapunov, {"div_threshold": float("nan")}, r"div_threshold must be a finite float > 0"),
    (_lyapunov, {"theta0": "1,2"}, r"theta0 must be an array of real numbers; got '1,2'"),
    (_lyapunov, {"theta0": np.array([[np.nan, 1.0]])}, r"theta0 must be finite"),
]


@pytest.mark.parametrize(
    ("fn", "kwargs", "regex"),
    TOLERANCES,
    ids=[f"{f.__name__}-{next(iter(k))}-{i}" for i, (f, k, _) in enumerate(TOLERANCES)],
)
def test_beyond_the_paper_arguments_are_validated(
    fn: Callable[..., Any], kwargs: dict[str, Any], regex: str
) -> None:
    with pytest.raises(IPE, match=regex):
        fn(**kwargs)


def test_periodic_orbits_refuse_nan_theta0() -> None:
    from dynsys_gd.numeric.orbits.periodic import find_periodic_orbits

    with pytest.raises(
        IPE,
        match=r"theta0 must be finite \(no NaN or inf\); got nan at index "
        r"\(1, 0\)",
    ):
        find_periodic_orbits(XY, 0.5, np.array([[1.0, 1.0], [np.nan, 1.0]]))


# ----------------------------------------------------------------------------- losses
f = sp.Function("f")
LOSSES: list[Any] = [
    (sp.Abs(x * y - 1), r"loss must be an analytic expression.*Abs is not analytic"),
    (sp.Max(x, y) ** 2, r"loss must be an analytic expression.*Max is not analytic"),
    (sp.Piecewise((x**2, x > 0), (y**2, True)), r"loss must be an analytic expression"),
    (f(x) * y, r"loss must not contain undefined functions"),
    (sp.Integral(x * y, (x, 0, 1)) + y**2, r"loss must not contain an unevaluated Integral"),
    (sp.Derivative(x**3 * y, x), r"loss must not contain an unevaluated Derivative"),
    (
        sp.sqrt(x) * y,
        r"loss must be real at every real theta .*; its value is not real at theta = ",
    ),
    (sp.log(x) + y**2, r"loss must be real at every real theta"),
    (sp.asin(x * y), r"loss must be real at every real theta"),
]


@pytest.mark.parametrize(("loss", "regex"), LOSSES, ids=[str(i) for i in range(len(LOSSES))])
def test_losses_that_are_not_analytic_or_not_real_are_refused(loss: Any, regex: str) -> None:
    t0 = time.process_time()
    with pytest.raises(IPE, match=regex):
        dg.LossModel(loss, [x, y])
    assert time.process_time() - t0 < 5.0


def test_real_analytic_losses_are_accepted() -> None:
    for loss in [
        sp.log(sp.cosh(x * y - 1)),
        sp.sqrt(x**2 + 1) * y**2,
        sp.exp(-x * y) + x**2,
        (x * y - 1) ** 2 / 2,
        sp.log(1 + x**2 * y**2),
    ]:
        m = dg.LossModel(loss, [x, y])
        assert m.n_params == 2


# ----------------------------------------------------------------------------- sentinels
def test_nonlinear_sweep_states_what_it_cannot_measure_and_the_seed_it_drew() -> None:
    """Every run at lr = 50 diverges: no NaN reaches JSON, the summary says it in words, and
    seed=None records the seed actually drawn (the run can be repeated exactly)."""
    import json

    from dynsys_gd.analysis.nonlinear import nonlinear_sweep
    from dynsys_gd.models.datasets import digits_dataset
    from dynsys_gd.models.mlp import MLP

    d = digits_dataset(n_samples=24, n_features=3, seed=0)
    m = MLP((3, 6, 1), "tanh", X=d.X, Y=d.Y)
    r = nonlinear_sweep(m, [0.05, 50.0], n_init=3, seed=None, steps=200, last_k=20)
    assert r.counts[-1]["diverged"] == 3
    assert isinstance(r.seed, int) and r.seed >= 0
    doc = r.to_dict()
    assert doc["g_inf"][-1] is None and doc["final_loss"][-1] is None
    assert isinstance(doc["g_inf"][0], float)
    assert "nan" not in json.dumps(doc, allow_nan=False).lower().replace("nonlinear", "")
    assert "every run diverged at lr = 50" in r.summary()
    again = nonlinear_sweep(m, [0.05, 50.0], n_init=3, seed=r.seed, steps=200, last_k=20)
    np.testing.assert_array_equal(again.g_runs, r.g_runs)


def test_lyapunov_mean_is_none_with_a_sentence_when_every_run_diverges() -> None:
    from dynsys_gd.numeric.orbits.lyapunov import lyapunov_exponent

    res = lyapunov_exponent(XY, np.full((3, 2), 3.0), 1.5, n_steps=50, transient=10)
    assert res.diverged.all()
    assert res.mean is None and res.stderr is None
    assert "none to report, every one of the 3 runs diverged" in res.summary()
    assert res.to_dict()["mean"] is None and "None" in repr(res)


def test_numpy_scalars_and_float32_arrays_are_accepted() -> None:
    from dynsys_gd.numeric.engine import EngineConfig
    from dynsys_gd.numeric.orbits.lyapunov import lyapunov_exponent
    from dynsys_gd.numeric.orbits.periodic import find_periodic_orbits

    net = dg.LinearNetwork.scalar(np.int64(2), np.float32(0.5))
    assert net.depth == 2
    assert EngineConfig(max_steps=np.int64(100), tail=np.int32(10)).max_steps == 100
    theta0 = np.ones((2, 2), dtype=np.float32)
    res = lyapunov_exponent(
        XY,
        theta0,
        np.float32(0.1),
        n_steps=np.int64(20),
        transient=np.int16(5),
        div_threshold=np.float32(1e6),
    )
    assert res.exponents.shape == (2,)
    find_periodic_orbits(
        XY,
        np.float64(0.1),
        theta0,
        max_period=np.int32(4),
        transient=np.int64(50),
        tol=np.float32(1e-6),
    )


def test_a_run_that_leaves_the_real_domain_is_not_called_diverged() -> None:
    """The loss is real on the trial box, and GD at lr 0.1 converges inside the domain; at lr 2.1
    the oscillation about x = 1 grows until x passes sqrt(10): the engine refuses to classify
    that run (it is neither converged nor diverged) instead of calling it diverged."""
    import sympy as sp

    x, y = sp.symbols("x y")
    m = dg.LossModel((x - 1) ** 2 / 2 + y**2 / 2 + sp.sqrt(10 - x**2) / 100, (x, y))
    assert dg.run_gd(m, np.array([[0.5, 0.5]]), 0.1).counts()["converged"] == 1
    with pytest.raises(dg.NonRealLossError, match=r"loss .* is not real at theta = \(3\.2"):
        dg.run_gd(m, np.array([[0.5, 0.5]]), 2.1)
