r"""``dynsys-gd figures``: regenerate every figure shown in the README.

Writes PNG and PDF files into ``--out`` (default ``docs/figures``):

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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .analyze import Progress, figure_sharpness, prepare_output_dir, save

NAME = "figures"
HELP = "regenerate all figures of the README (PNG and PDF)"
DESCRIPTION = """\
Regenerate every figure shown in the README (PNG and PDF): the converged fraction and the
asymptotic gradient norm of 1/2 (xy - 1)^2 against the step size (eta* = 1), its basins at
eta = 0.9 and 1.01, the sharpness along the minima manifold and the spectra of DG for the scalar
network N = 3, y = 2."""
EPILOG = """examples:
  dynsys-gd figures                      # into docs/figures
  dynsys-gd figures --out /tmp/figs --fast
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out",
        default="docs/figures",
        metavar="DIR",
        help="output directory (default docs/figures)",
    )
    p.add_argument(
        "--fast", action="store_true", help="small sample sizes and resolutions (a few seconds)"
    )
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def _xy_sweep(fast: bool, seed: int) -> Any:
    import dynsys_gd as dg

    net = dg.LinearNetwork.scalar(2, 1.0)
    lrs = np.linspace(0.8, 1.2, 9 if fast else 33)
    return dg.lr_sweep(net, lrs, n_samples=150 if fast else 2000, seed=seed)


def _basins(fast: bool) -> Any:
    import dynsys_gd as dg

    from ..reporting.figures import plot_basin_slice
    from ..reporting.style import new_figure

    net = dg.LinearNetwork.scalar(2, 1.0)
    t = np.linspace(0.5, 2.0, 100)
    curves = [(t, 1 / t), (-t, -1 / t)]
    fig, axes = new_figure(1, 2, width=12.0, height=4.6)
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
            curves=curves,
            ax=ax,
            title=rf"$\frac{{1}}{{2}}(xy-1)^2$, $\eta = {lr}$ ($\eta^* = 1$)",
        )
    return fig


def _spectrum() -> Any:
    import dynsys_gd as dg

    from ..numeric.kernels import numeric_model
    from ..reporting.figures import plot_dg_spectrum, rebalancing_curve

    net = dg.LinearNetwork.scalar(3, 2.0)
    eta = 1.05 * dg.critical_lr(net)
    w = np.full(3, 2.0 ** (1 / 3))
    pts = rebalancing_curve(net, w, [0.0, 0.4])
    ev = np.linalg.eigvalsh(numeric_model(net).hessian(pts))
    return plot_dg_spectrum(
        {
            "flattest minimum": ev[0],
            "minimum at t = 0.4": ev[1],
            "saddle at the origin": np.zeros(3),
        },
        lr=eta,
        hessian=True,
        title=r"spectrum of $DG_\eta$, $N = 3$, $y = 2$, "
        r"$\eta = 1.05\,\eta^*$",
    )


def run(args: argparse.Namespace) -> int:
    import dynsys_gd as dg

    from ..reporting.figures import plot_convergent_fraction, plot_gradient_norm_transition

    seed: int = args.seed  # validated by the API call it is passed to
    outdir = prepare_output_dir(args.out, "--out")
    assert outdir is not None
    written: list[Path] = []
    t0 = time.perf_counter()
    progress = Progress(5, enabled=not args.quiet, desc="figures")
    state: dict[str, Any] = {}

    def sweep() -> Any:
        if "sweep" not in state:
            state["sweep"] = _xy_sweep(args.fast, seed)
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
            lambda: figure_sharpness(
                net3, 0.95 * dg.critical_lr(net3), dg.critical_lr(net3), np.full(3, 2.0 ** (1 / 3))
            ),
        ),
        ("dg_spectrum", _spectrum),
    ]
    try:
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
