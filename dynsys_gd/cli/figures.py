r"""``dynsys-gd figures``: regenerate every figure shown in the README.

Writes PNG and PDF files into ``--figures`` (default ``docs/figures``):

- ``fraction_vs_lr``: converged fraction of uniform :math:`[-2,2]^2` initialisations for
  :math:`\frac12(xy-1)^2` against :math:`\eta`, with Clopper–Pearson bands, :math:`\eta^* = 1`
  and the share of every outcome (C6);
- ``gradient_norm_vs_lr``: the asymptotic gradient norm :math:`g_\infty(\eta)` of the same
  sweep on a log scale (C7);
- ``basins``: outcomes of GD on the :math:`(x, y)` plane at :math:`\eta = 0.9` and
  :math:`\eta = 1.01` (C6, C8);
- ``sharpness_along_M``: sharpness along the minima manifold of the scalar network
  :math:`N = 3, y = 2` with the line :math:`2/\eta` at :math:`\eta = 0.95\,\eta^*` (C3–C5);
- ``dg_spectrum``: eigenvalues of :math:`DG_\eta` at minima of that network for
  :math:`\eta = 1.05\,\eta^*` (C3, C8).
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ._options import (
    Stages,
    add_deprecated_alias,
    prepare_output_dir,
    progress_chunk,
    progress_flag,
    save,
)
from ._registry import COMMANDS

NAME = "figures"
HELP = COMMANDS[NAME]
DESCRIPTION = """\
Regenerate every figure shown in the README (PNG and PDF): the converged fraction and the
asymptotic gradient norm of 1/2 (xy - 1)^2 against the step size (eta* = 1), its basins at
eta = 0.9 and 1.01, the sharpness along the minima manifold and the spectra of DG for the scalar
network N = 3, y = 2."""
EPILOG = """examples:
  dynsys-gd figures                      # into docs/figures
  dynsys-gd figures --figures /tmp/figs --fast
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--figures",
        default="docs/figures",
        metavar="DIR",
        help="write the figures (PNG and PDF) into DIR (default docs/figures)",
    )
    add_deprecated_alias(p, "--out", dest="figures", new="--figures", metavar="DIR")
    p.add_argument(
        "--fast", action="store_true", help="small sample sizes and resolutions (a few seconds)"
    )
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def _xy_sweep(fast: bool, seed: int, progress: bool | None) -> Any:
    import dynsys_gd as dg

    net = dg.LinearNetwork.scalar(2, 1.0)
    lrs = np.linspace(0.8, 1.2, 9 if fast else 33)
    n = 150 if fast else 2000
    return dg.lr_sweep(
        net, lrs, n_samples=n, seed=seed, progress=progress, chunk_size=progress_chunk(n)
    )


def _basins(fast: bool) -> Any:
    import dynsys_gd as dg

    from ..reporting import new_figure, plot_basin_slice

    net = dg.LinearNetwork.scalar(2, 1.0)  # M = {xy = 1} is drawn from the slice itself
    # legends under the panels: beside square panels they left a wide white gap between them
    fig, axes = new_figure(1, 2, width=10.0, height=6.4)
    for ax, lr in zip(axes, (0.9, 1.01), strict=True):
        bs = dg.basin_slice(
            net,
            lr,
            center=np.zeros(2),
            u=np.array([1.0, 0.0]),
            v=np.array([0.0, 1.0]),
            extent=2.0,
            resolution=51 if fast else 241,
        )
        plot_basin_slice(
            bs,
            lr=lr,
            axis_labels=("$x$", "$y$"),
            ax=ax,
            title=rf"$\frac{{1}}{{2}}(xy-1)^2$, $\eta = {lr}$ ($\eta^* = 1$)",
        )
        leg = ax.get_legend()
        if leg is not None:
            handles, labels = leg.legend_handles, [t.get_text() for t in leg.get_texts()]
            leg.remove()
            ax.legend(
                handles,
                labels,
                loc="upper center",
                bbox_to_anchor=(0.5, -0.14),
                fontsize=8,
                frameon=False,
            )
    return fig


def _spectrum() -> Any:
    import dynsys_gd as dg

    from ..numeric.landscape.curves import rebalancing_curve
    from ..reporting import plot_dg_spectrum

    net = dg.LinearNetwork.scalar(3, 2.0)
    eta = 1.05 * dg.critical_lr(net)
    flat = dg.flattest_minimum(net).point
    sharper = rebalancing_curve(net, flat, [0.4])[0]
    return plot_dg_spectrum(
        {
            "flattest minimum": dg.fixed_point_spectrum(net, flat, eta).dg_eigenvalues,
            "minimum at t = 0.4": dg.fixed_point_spectrum(net, sharper, eta).dg_eigenvalues,
            "saddle at the origin": dg.fixed_point_spectrum(net, np.zeros(3), eta).dg_eigenvalues,
        },
        lr=eta,
        title=r"spectrum of $DG_\eta$, $N = 3$, $y = 2$, "
        r"$\eta = 1.05\,\eta^*$",
    )


def run(args: argparse.Namespace) -> int:
    import dynsys_gd as dg

    from ..numeric.landscape.curves import sharpness_along_manifold
    from ..reporting import plot_convergent_fraction, plot_gradient_norm_transition

    seed: int = args.seed  # validated by the API call it is passed to
    outdir = prepare_output_dir(args.figures, "--figures")
    assert outdir is not None
    written: list[Path] = []
    t0 = time.perf_counter()
    flag = progress_flag(args)
    progress = Stages(5, progress=flag, desc="figures")
    state: dict[str, Any] = {}

    def sweep() -> Any:
        if "sweep" not in state:
            state["sweep"] = _xy_sweep(args.fast, seed, flag)
        return state["sweep"]

    net3 = dg.LinearNetwork.scalar(3, 2.0)
    steps: list[tuple[str, Callable[[], Any]]] = [
        (
            "fraction_vs_lr",
            lambda: plot_convergent_fraction(
                sweep(), eta_star=1.0, title=r"$\frac{1}{2}(xy-1)^2$: convergent set vs step size"
            ),
        ),
        (
            "gradient_norm_vs_lr",
            lambda: plot_gradient_norm_transition(
                sweep(), eta_star=1.0, title=r"$\frac{1}{2}(xy-1)^2$: asymptotic gradient norm"
            ),
        ),
        ("basins", lambda: _basins(args.fast)),
        (
            "sharpness_along_M",
            lambda: sharpness_along_manifold(net3).plot(
                lr=0.95 * dg.critical_lr(net3),
                title="sharpness along the minima $M$ of scalar net N=3, y=2",
            ),
        ),
        ("dg_spectrum", _spectrum),
    ]
    from ..runtime.progress import LongJobWarning

    try:
        with warnings.catch_warnings():
            # the README figures are a fixed job of about a minute: no estimate warnings
            warnings.simplefilter("ignore", LongJobWarning)
            for stem, make in steps:
                with progress.stage(stem):
                    save(make(), outdir, stem, written)
    finally:
        progress.close()
    print(
        f"wrote {len(written)} figures (PNG and PDF) to {outdir}/ in "
        f"{time.perf_counter() - t0:.1f} s:"
    )
    for p in written:
        print(f"  {p}")
    return 0
