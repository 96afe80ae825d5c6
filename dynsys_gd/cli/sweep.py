r"""``dynsys-gd sweep``: converged fraction over a range of learning rates, stored resumably.

For every learning rate :math:`\eta` of the grid, :func:`dynsys_gd.lr_sweep` estimates the
fraction of initialisations from which GD converges (Clopper–Pearson interval,
docs/math/convergent-set.md) and
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
from typing import TYPE_CHECKING

import numpy as np

from .._validation import check_int, check_positive_float
from ..errors import InvalidParameterError
from ._options import (
    Stages,
    add_network_arguments,
    add_optimizer_arguments,
    build_network,
    build_optimizer,
    prepare_output_dir,
    prepare_output_file,
    progress_flag,
    save,
)
from ._registry import COMMANDS

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis.sweep import SweepResult
    from ..runtime.executors import ManagedExecutor

NAME = "sweep"
HELP = COMMANDS[NAME]
DESCRIPTION = """\
Learning-rate sweep: for every learning rate, the fraction of random initialisations from which
gradient descent converges, with a 95% Clopper-Pearson interval, stored in a resumable SQLite
file. The default grid is 9 points in [0.8, 1.2] * eta* (eta* = 2 / S_min, the critical
learning rate of the network). Above eta* the fraction is 0 (the convergent set has measure 0).
With --optimizer the iterated map is momentum, Nesterov, per-layer GD or Adam, and eta* is that
optimiser's critical learning rate (its threshold over the flattest minimum's curvature)."""
EPILOG = """examples:
  dynsys-gd sweep --depth 3 --target 2 --out sweep.sqlite --figures figures
  dynsys-gd sweep --depth 2 --lrs 0.9 0.99 1.01 1.1 --samples 2000 --out xy.sqlite
  dynsys-gd sweep --depth 3 --target 2 --lr-min 0.2 --lr-max 0.32 --num 13 --workers 2 \\
      --out s.sqlite
  dynsys-gd sweep --depth 3 --out s.sqlite --scheduler local --json
  dynsys-gd sweep --depth 2 --optimizer heavy-ball --beta 0.5 --out hb.sqlite
  dynsys-gd sweep --network whitened --depth 3 --relative --lr-min 0.9 --lr-max 1.1 \\
      --out w.sqlite
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_network_arguments(p)
    add_optimizer_arguments(p)
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


def _make_executor(args: argparse.Namespace) -> ManagedExecutor | None:
    """None (serial) or a managed executor (process pool or Dask) from the options."""
    workers = args.workers
    if workers is not None:
        workers = check_int("workers", workers, minimum=1, maximum=1024)
    if (workers is None or workers == 1) and args.scheduler is None:
        return None
    from ..runtime.executors import make_executor

    return make_executor(workers=workers, scheduler=args.scheduler)


def sweep_table(sweep: SweepResult) -> str:
    """The sweep as an aligned table with full column names (one row per learning rate)."""
    from ..numeric.engine.outcomes import OUTCOME_NAMES
    from ..reporting.text import format_fraction_ci, format_table

    eta = sweep.critical_lr
    headers = [
        "lr",
        "lr / eta*",
        "converged fraction [95% CI]",
        "g_inf",
        *OUTCOME_NAMES,
        "to minima",
        "to saddles",
    ]
    rows = []
    for i, lr in enumerate(sweep.lrs):
        rows.append(
            [
                float(lr),
                None if eta is None else float(lr / eta),
                format_fraction_ci(
                    sweep.fraction[i],
                    sweep.ci_low[i],
                    sweep.ci_high[i],
                    digits=4,
                    n_undecided=int(sweep.n_undecided[i] + sweep.n_frozen[i]),
                    fraction_high=float(sweep.fraction_high[i]),
                ),
                float(sweep.g_inf[i]),
                *(int(sweep.counts[k][i]) for k in OUTCOME_NAMES),
                int(sweep.n_to_minima[i]),
                int(sweep.n_to_saddles[i]),
            ]
        )
    lines = [
        f"Learning-rate sweep for {sweep.model}",
        f"  init: {sweep.init}; n = {sweep.n_samples} per lr; seed = {sweep.seed}",
        format_table(rows, headers, indent=2),
    ]
    if sweep.transition is None:
        lines.append("  transition: not bracketed by the grid")
    else:
        lines.append(
            f"  empirical transition in ({sweep.transition[0]:.6g}, {sweep.transition[1]:.6g}]"
        )
    if eta is not None:
        where = {True: "inside", False: "OUTSIDE", None: "not comparable: no transition in"}[
            sweep.critical_lr_in_transition
        ]
        lines.append(f"  eta* = {eta:.6g} ({where} the transition interval)")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import dynsys_gd as dg

    from ..reporting import plot_convergent_fraction, plot_gradient_norm_transition

    n_samples = check_int("samples", args.samples, minimum=1)
    seed: int = args.seed  # validated by the API call it is passed to
    if args.workers is not None:
        check_int("workers", args.workers, minimum=1, maximum=1024)
    net = build_network(args)
    optimizer = build_optimizer(args)
    out = prepare_output_file(args.out, "--out")
    cache: dict[str, float] = {}

    def eta() -> float:
        if "eta" not in cache:
            cache["eta"] = dg.critical_lr(net, optimizer=optimizer)
        return cache["eta"]

    lrs = learning_rates(args, eta)
    outdir = prepare_output_dir(args.figures, "--figures")
    eta_star = eta()
    progress = progress_flag(args)
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
            progress=progress,
            critical_lr=eta_star,
            optimizer=optimizer,
        )
    finally:
        if executor is not None:
            executor.shutdown()
    figures: list[Path] = []
    if outdir is not None:
        stages = Stages(2, progress=progress, desc="sweep figures")
        try:
            with stages.stage("fraction_vs_lr"):
                save(plot_convergent_fraction(sweep), outdir, "fraction_vs_lr", figures)
            with stages.stage("gradient_norm_vs_lr"):
                save(plot_gradient_norm_transition(sweep), outdir, "gradient_norm_vs_lr", figures)
        finally:
            stages.close()
    elapsed = time.perf_counter() - t0
    if args.json:
        d = dict(sweep.to_dict())
        d["store"] = str(out)
        if figures:
            d["figures"] = [str(p) for p in figures]
        print(json.dumps(d, indent=2, allow_nan=False))
        return 0
    print(sweep_table(sweep))
    print(f"\n{len(lrs)} learning rates x {n_samples} initialisations; results in {out}")
    if figures:
        print(f"figures written to {outdir}/: {', '.join(f.stem for f in figures)}")
    print(f"(done in {elapsed:.1f} s)")
    return 0
