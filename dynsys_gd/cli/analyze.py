r"""``dynsys-gd analyze``: stability analysis of a linear network at one learning rate.

The main job of the toolkit.  It builds the network, runs
:func:`dynsys_gd.stability_analysis` (critical step size :math:`\eta^* = 2/S_{\min}` (C5), the
flattest minimum and its spectrum (C3), sampled minima with their sharpness, the convergent
fraction (C6)), prints the report (or JSON), and with ``--figures DIR`` writes

- ``sharpness_along_M``: :math:`\lambda_{\max}(H)` along a curve in M with the line
  :math:`2/\eta` (C3–C5);
- ``dg_spectrum``: eigenvalues of :math:`DG_\eta` at the flattest and at sharper minima (C3);
- ``basin_slice``: outcomes of GD on a 2-D slice through the flattest minimum (C6, C8);
- ``fraction_vs_lr``: converged fraction for learning rates around :math:`\eta^*` (C6).

The options, output checks and progress bars shared by every command are in
:mod:`dynsys_gd.cli._options`.
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
from ..models import LinearNetwork
from ..numeric.engine.outcomes import OUTCOME_NAMES
from ..numeric.landscape.curves import rebalancing_curve, sharpness_along_manifold
from ._options import (
    Stages,
    add_network_arguments,
    add_optimizer_arguments,
    add_samples_argument,
    build_network,
    build_optimizer,
    network_label,
    prepare_output_dir,
    progress_chunk,
    progress_flag,
    save,
)
from ._registry import COMMANDS

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from ..analysis.stability import StabilityReport
    from ..analysis.sweep import SweepResult

NAME = "analyze"
HELP = COMMANDS[NAME]
DESCRIPTION = """\
Stability analysis of gradient descent on a deep linear network at one learning rate:
the critical learning rate eta* = 2 / S_min (S_min: sharpness of the flattest global minimum),
whether the global minima are linearly stable at --lr, and a Monte-Carlo estimate (with a
Clopper-Pearson interval) of the fraction of initialisations from which GD converges.
Loss convention: L = 1/(2n) sum ||W x - y||^2 (scalar networks: 1/2 (w_1...w_N - y)^2)."""
EPILOG = """examples:
  dynsys-gd analyze --depth 3 --target 2 --lr 0.25 --figures figures
  dynsys-gd analyze --depth 2 --lr 1.01 --samples 4000 --seed 1
  dynsys-gd analyze --network whitened --depth 2 --lr 0.6 --json
  dynsys-gd analyze --widths 2 3 2 --lr 0.4 --figures out/
  dynsys-gd analyze --depth 3 --target 2 --lr 0.38 --optimizer heavy-ball --beta 0.5

networks (--network):
  scalar    L = 1/2 (w_1 ... w_N - y)^2, N = --depth, y = --target (default)
  whitened  2x2 linear network of depth N, Sxx = I, W* = [[1.5, 0.3], [-0.2, 0.7]]
  identity  widths --widths d_0 ... d_N, Sxx = I, W* = target * (identity-like d_N x d_0)
"""

# ----------------------------------------------------------------------------------------------
# figures of one analysis
# ----------------------------------------------------------------------------------------------
#: learning rates of the ``fraction_vs_lr`` figure as multiples of eta*: a coarse grid on
#: [0.8, 1.2] refined around eta*, so the jump at eta* is resolved (C6)
FRACTION_GRID = np.unique(
    np.concatenate(
        [np.linspace(0.8, 0.95, 4), np.linspace(0.97, 1.03, 7), np.linspace(1.05, 1.2, 4)]
    )
)

_PLANE = (
    r"$c + a\,u + b\,v$ ($c$: flattest minimum, $u$: along $M$, $v$: sharpest normal direction)"
)


def figure_sharpness(net: LinearNetwork, lr: float, report: StabilityReport) -> Figure:
    """Sharpness along the rebalancing curve of M through the flattest minimum (C3-C5)."""
    curve = sharpness_along_manifold(net, report.flattest.point)
    return curve.plot(lr=lr, title=f"sharpness along the minima $M$ of {network_label(net)}")


def figure_spectrum(net: LinearNetwork, lr: float, report: StabilityReport) -> Figure:
    """DG spectra at the flattest minimum and at two sharper minima on the same curve (C3)."""
    from ..numeric.landscape.spectra import fixed_point_spectrum
    from ..reporting import plot_dg_spectrum

    pts = rebalancing_curve(net, report.flattest.point, [0.5, 1.0])
    groups = {"flattest minimum": report.flattest_spectrum.dg_eigenvalues}
    for t, p in zip((0.5, 1.0), pts, strict=True):
        groups[f"minimum at t = {t:g} on the rebalancing curve"] = fixed_point_spectrum(
            net, p, lr, on_manifold=True
        ).dg_eigenvalues
    return plot_dg_spectrum(groups, lr=lr)


def figure_basin(net: LinearNetwork, lr: float, resolution: int, extent: float = 1.5) -> Figure:
    """Attractors of GD on the default plane through the flattest minimum (C6, C8)."""
    from ..analysis.basins import basin_slice

    bs = basin_slice(net, lr, extent=extent, resolution=resolution)
    fig = bs.plot(axis_labels=("$a$ (along $M$)", "$b$ (normal to $M$)"), title="")
    ax = fig.axes[0]
    ax.set_title(f"attractors of GD on {_PLANE},\n" + rf"$\eta = {lr:.4g}$", fontsize=9)
    return fig


def figure_fraction(
    net: LinearNetwork,
    critical_lr: float,
    n_samples: int,
    seed: int,
    *,
    lr: float | None = None,
    progress: bool | None = None,
) -> tuple[Figure, SweepResult]:
    r"""Converged fraction on :data:`FRACTION_GRID` :math:`\cdot\,\eta^*` (C6); ``lr`` marked."""
    from ..analysis.sweep import lr_sweep
    from ..reporting import plot_convergent_fraction
    from ..reporting.style import COLORS

    sweep = lr_sweep(
        net,
        critical_lr * FRACTION_GRID,
        n_samples=n_samples,
        seed=seed,
        progress=progress,
        chunk_size=progress_chunk(n_samples),
    )
    fig = plot_convergent_fraction(
        sweep, title=f"convergent set of {network_label(net)} ({sweep.init}, n = {n_samples})"
    )
    if lr is not None and sweep.lrs[0] <= lr <= sweep.lrs[-1]:
        ax = fig.axes[0]
        ax.axvline(
            lr,
            color=COLORS["secondary"],
            linestyle=":",
            linewidth=1.6,
            label=rf"analysed $\eta = {lr:.4g}$",
        )
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig, sweep


def write_analysis_figures(
    net: LinearNetwork,
    lr: float,
    report: StabilityReport,
    outdir: Path,
    *,
    n_samples: int,
    seed: int,
    stages: Stages,
    progress: bool | None,
    fast: bool = False,
) -> list[Path]:
    """Write the four figures of ``analyze --figures``; returns the PNG paths."""
    written: list[Path] = []
    n_fig = max(50, min(n_samples, 200 if fast else 600))
    steps: list[tuple[str, Callable[[], Figure]]] = [
        ("sharpness_along_M", lambda: figure_sharpness(net, lr, report)),
        ("dg_spectrum", lambda: figure_spectrum(net, lr, report)),
        ("basin_slice", lambda: figure_basin(net, lr, 41 if fast else 81)),
        (
            "fraction_vs_lr",
            lambda: figure_fraction(net, report.critical_lr, n_fig, seed, lr=lr, progress=progress)[
                0
            ],
        ),
    ]
    for stem, make in steps:
        with stages.stage(stem):
            save(make(), outdir, stem, written)
    return written


def monte_carlo_block(report: StabilityReport, width: int) -> str:
    """Lines of the text report after the summary: every outcome of the Monte-Carlo runs
    (the summary states the converged fraction, its minima/saddles split and the
    initialisation), and what undecided runs mean.  Keys are padded to ``width``."""
    c = report.convergence
    if c is None:
        return ""
    P = int(np.asarray(report.flattest_spectrum.point).size)
    items = [
        (
            "Monte-Carlo runs",
            ", ".join(f"{name} {c.counts[name]}" for name in OUTCOME_NAMES)
            + f" (of n = {c.n_samples}; P = {P} parameters)",
        )
    ]
    if c.counts["undecided"]:
        items.append(
            (
                "undecided runs",
                f"{c.counts['undecided']} hit the step budget: unknown (they may still "
                "converge), not failures",
            )
        )
    return "\n".join(f"{k.ljust(width)} : {v}" for k, v in items)


# ----------------------------------------------------------------------------------------------
# the command
# ----------------------------------------------------------------------------------------------
def add_arguments(p: argparse.ArgumentParser) -> None:
    add_network_arguments(p)
    p.add_argument(
        "--lr", type=float, required=True, metavar="ETA", help="learning rate (step size) eta > 0"
    )
    add_samples_argument(p, what="for the convergent fraction", allow_zero=True)
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--figures", default=None, metavar="DIR", help="write figures (PNG and PDF) into DIR"
    )
    p.add_argument("--fast", action="store_true", help="smaller figure resolutions")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    add_optimizer_arguments(p)


def run(args: argparse.Namespace) -> int:
    from ..analysis.stability import stability_analysis

    lr = check_positive_float("lr", args.lr)
    n_samples = check_int("samples", args.samples, minimum=0)
    seed: int = args.seed  # validated by the API call it is passed to
    net = build_network(args)
    optimizer = build_optimizer(args)
    if optimizer is not None and args.figures is not None:
        raise InvalidParameterError(
            "--figures must not be given with --optimizer (the figures are those of plain GD); "
            f"got --figures {args.figures} with --optimizer {args.optimizer}"
        )
    outdir = prepare_output_dir(args.figures, "--figures")
    progress = progress_flag(args)
    t0 = time.perf_counter()
    # the Monte-Carlo estimate draws its own bar over its runs (chunks of at most n / 20 runs;
    # the result does not depend on the chunking)
    chunk = progress_chunk(n_samples)
    report = stability_analysis(
        net,
        lr,
        n_samples=n_samples,
        seed=seed,
        progress=progress,
        chunk_size=chunk,
        **({} if optimizer is None else {"optimizer": optimizer}),
    )
    figures: list[Path] = []
    if outdir is not None:
        stages = Stages(4, progress=progress, desc="analyze figures")
        try:
            figures = write_analysis_figures(
                net,
                lr,
                report,
                outdir,
                n_samples=n_samples,
                seed=seed,
                stages=stages,
                progress=progress,
                fast=args.fast,
            )
        finally:
            stages.close()
    elapsed = time.perf_counter() - t0
    if args.json:
        out = dict(report.to_dict())
        if figures:
            out["figures"] = [str(p) for p in figures]
        print(json.dumps(out, indent=2, allow_nan=False))
        return 0
    text = report.summary()
    print(text)
    first = text.splitlines()[0]
    block = monte_carlo_block(report, first.index(" : ") if " : " in first else 16)
    if block:
        print(block)
    if figures:
        print()
        print(f"figures written to {outdir}/ (PNG and PDF):")
        for f in figures:
            print(f"  {f.stem}")
    print(f"\n(done in {elapsed:.1f} s)")
    return 0
