r"""``dynsys-gd sweep``: converged fraction over a range of learning rates, stored resumably.

For every learning rate :math:`\eta` of the grid, :func:`dynsys_gd.lr_sweep` estimates the
fraction of initialisations from which GD converges (Clopper–Pearson interval, MATH.md §6) and
writes it to a results file (SQLite); re-running the same command resumes from the stored
points.  With ``--figures DIR`` it draws the fraction against :math:`\eta` with :math:`\eta^*`
marked (C6) and, when the sweep measured it, the asymptotic gradient norm (C7).  Work can run in
parallel: ``--workers K`` (local processes) or ``--scheduler ADDRESS|local`` (Dask).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import check_int, check_positive_float
from ..errors import InvalidParameterError
from .analyze import (
    add_network_arguments,
    attr,
    build_network,
    critical_lr_of,
    prepare_output_dir,
    prepare_output_file,
    save,
)

NAME = "sweep"
HELP = "converged fraction over a grid of learning rates (resumable results file, figures)"
DESCRIPTION = """\
Learning-rate sweep: for every learning rate, the fraction of random initialisations from which
gradient descent converges, with a 95% Clopper-Pearson interval, stored in a resumable SQLite
file. The default grid is 9 points in [0.8, 1.2] * eta* (eta* = 2 / S_min, the critical
learning rate of the network). Above eta* the fraction is 0 (the convergent set has measure 0)."""
EPILOG = """examples:
  dynsys-gd sweep --depth 3 --target 2 --out sweep.sqlite --figures figures
  dynsys-gd sweep --depth 2 --lrs 0.9 0.99 1.01 1.1 --samples 2000 --out xy.sqlite
  dynsys-gd sweep --depth 3 --lr-min 0.2 --lr-max 0.32 --num 13 --workers 2 --out s.sqlite
  dynsys-gd sweep --depth 3 --out s.sqlite --scheduler local --json
  dynsys-gd sweep --network whitened --depth 3 --relative --lr-min 0.9 --lr-max 1.1 \\
      --out w.sqlite
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_network_arguments(p)
    g = p.add_argument_group("learning rates")
    g.add_argument(
        "--lrs",
        type=float,
        nargs="+",
        default=None,
        metavar="ETA",
        help="explicit learning rates (instead of --lr-min/--lr-max/--num)",
    )
    g.add_argument(
        "--lr-min",
        type=float,
        default=None,
        metavar="ETA",
        help="smallest learning rate (default 0.8 eta*)",
    )
    g.add_argument(
        "--lr-max",
        type=float,
        default=None,
        metavar="ETA",
        help="largest learning rate (default 1.2 eta*)",
    )
    g.add_argument(
        "--num",
        type=int,
        default=9,
        metavar="K",
        help="number of learning rates of the grid (default 9)",
    )
    g.add_argument(
        "--relative", action="store_true", help="read --lrs/--lr-min/--lr-max as multiples of eta*"
    )
    p.add_argument(
        "--samples",
        type=int,
        default=500,
        metavar="N",
        help="initialisations per learning rate (default 500)",
    )
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument(
        "--out",
        required=True,
        metavar="FILE.sqlite",
        help="results file (created, or resumed when it exists)",
    )
    p.add_argument(
        "--figures", default=None, metavar="DIR", help="write figures (PNG and PDF) into DIR"
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="K",
        help="worker processes (default: serial; with --scheduler local: Dask workers, default 2)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Dask scheduler address, or 'local' for a local Dask cluster",
    )
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def learning_rates(args: argparse.Namespace, eta_star: Callable[[], float]) -> np.ndarray:
    r"""The grid of learning rates chosen by the options (validated, sorted, unique).

    ``eta_star`` is called only when the grid needs :math:`\eta^*` (defaults, ``--relative``),
    after every option has been validated.
    """
    if args.lrs is not None:
        if args.lr_min is not None or args.lr_max is not None:
            raise InvalidParameterError("lrs must not be combined with --lr-min/--lr-max; got both")
        vals = np.array([check_positive_float("lrs", v) for v in args.lrs])
        return np.unique(vals * (eta_star() if args.relative else 1.0))
    num = check_int("num", args.num, minimum=1, maximum=10_000)
    lo = None if args.lr_min is None else check_positive_float("lr_min", args.lr_min)
    hi = None if args.lr_max is None else check_positive_float("lr_max", args.lr_max)
    if num > 1 and lo is not None and hi is not None and not lo < hi:
        raise InvalidParameterError(f"lr_min must be < lr_max; got lr_min={lo:g}, lr_max={hi:g}")
    need = args.relative or lo is None or hi is None
    e = eta_star() if need else 1.0
    scale = e if args.relative else 1.0
    lo = 0.8 * e if lo is None else lo * scale
    hi = 1.2 * e if hi is None else hi * scale
    if num > 1 and not lo < hi:
        raise InvalidParameterError(f"lr_min must be < lr_max; got lr_min={lo:g}, lr_max={hi:g}")
    vals = np.linspace(lo, hi, num) if num > 1 else np.array([lo])
    return np.unique(vals)


def _make_executor(args: argparse.Namespace) -> Any:
    """None (serial) or a managed executor (process pool or Dask) from the options."""
    workers = args.workers
    if workers is not None:
        workers = check_int("workers", workers, minimum=1, maximum=1024)
    if (workers is None or workers == 1) and args.scheduler is None:
        return None
    from ..runtime.executors import make_executor

    return make_executor(workers=workers, scheduler=args.scheduler)


def _rows(sweep: Any) -> list[list[Any]]:
    lrs = np.asarray(attr(sweep, "lrs", "lr"), dtype=np.float64)
    fr = np.asarray(attr(sweep, "fractions", "fraction"), dtype=np.float64)
    lo = np.asarray(attr(sweep, "ci_low", default=np.full(lrs.shape, np.nan)))
    hi = np.asarray(attr(sweep, "ci_high", default=np.full(lrs.shape, np.nan)))
    counts = attr(sweep, "counts", default=None)
    rows = []
    for i in range(lrs.shape[0]):
        row: list[Any] = [lrs[i], fr[i], f"[{lo[i]:.3f}, {hi[i]:.3f}]"]
        if counts is not None:
            c = counts[i] if not isinstance(counts, dict) else {k: v[i] for k, v in counts.items()}
            row.append(", ".join(f"{k} {int(v)}" for k, v in dict(c).items() if int(v)))
        rows.append(row)
    return rows


def run(args: argparse.Namespace) -> int:
    import dynsys_gd as dg

    from ..reporting.figures import plot_convergent_fraction, plot_gradient_norm_transition
    from ..reporting.text import format_table

    n_samples = check_int("samples", args.samples, minimum=1)
    seed: int = args.seed  # validated by the API call it is passed to
    if args.workers is not None:
        check_int("workers", args.workers, minimum=1, maximum=1024)
    net = build_network(args)
    out = prepare_output_file(args.out, "--out")
    cache: dict[str, float] = {}

    def eta() -> float:
        if "eta" not in cache:
            cache["eta"] = critical_lr_of(net)
        return cache["eta"]

    lrs = learning_rates(args, eta)
    outdir = prepare_output_dir(args.figures, "--figures")
    eta_star = eta()
    from ..runtime.progress import progress_enabled

    show_progress = progress_enabled(not (args.quiet or args.json))  # only on a terminal
    t0 = time.perf_counter()
    executor = _make_executor(args)
    try:
        sweep = dg.lr_sweep(
            net,
            lrs,
            n_samples=n_samples,
            seed=seed,
            executor=executor,
            store=str(out),
            progress=show_progress,
        )
    finally:
        shutdown = getattr(executor, "shutdown", None) or getattr(executor, "close", None)
        if callable(shutdown):
            shutdown()
    figures: list[Path] = []
    if outdir is not None:
        save(plot_convergent_fraction(sweep, eta_star=eta_star), outdir, "fraction_vs_lr", figures)
        if attr(sweep, "g_inf") is not None:
            save(
                plot_gradient_norm_transition(sweep, eta_star=eta_star),
                outdir,
                "gradient_norm_vs_lr",
                figures,
            )
    elapsed = time.perf_counter() - t0
    if args.json:
        d = dict(sweep.to_dict()) if hasattr(sweep, "to_dict") else {}
        d.setdefault("critical_lr", eta_star)
        d["store"] = str(out)
        if figures:
            d["figures"] = [str(p) for p in figures]
        print(json.dumps(d, indent=2, allow_nan=False))
        return 0
    summary = getattr(sweep, "summary", None)
    if callable(summary):
        print(summary())
    else:
        headers = ["lr", "converged", "95% CI"]
        if attr(sweep, "counts") is not None:
            headers.append("outcomes")
        print(format_table(_rows(sweep), headers))
    print(
        f"\neta* = {eta_star:.6g}; {len(lrs)} learning rates x {n_samples} initialisations; "
        f"results in {out}"
    )
    if figures:
        print(f"figures written to {outdir}/: {', '.join(f.stem for f in figures)}")
    print(f"(done in {elapsed:.1f} s)")
    return 0
