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

This module also holds the small helpers the other commands share (network options, output
checks, progress bars).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import check_int, check_positive_float, check_real
from ..errors import InvalidParameterError

NAME = "analyze"
HELP = "stability analysis of a linear network at one learning rate (the main job)"
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

networks (--network):
  scalar    L = 1/2 (w_1 ... w_N - y)^2, N = --depth, y = --target (default)
  whitened  2x2 linear network of depth N, Sxx = I, W* = [[1.5, 0.3], [-0.2, 0.7]] (MATH.md 8)
  identity  widths --widths d_0 ... d_N, Sxx = I, W* = target * (identity-like d_N x d_0)
"""

#: Network presets of the command line.
NETWORKS = ("scalar", "whitened", "identity")

#: W* of the whitened 2x2 example of MATH.md §8.
WHITENED_W_STAR = ((1.5, 0.3), (-0.2, 0.7))


# ----------------------------------------------------------------------------------------------
# shared helpers (used by the sweep and figures commands too)
# ----------------------------------------------------------------------------------------------
def add_network_arguments(p: argparse.ArgumentParser) -> None:
    """Options that choose the network: ``--network``, ``--depth``, ``--target``, ``--widths``."""
    g = p.add_argument_group("network")
    g.add_argument(
        "--network",
        default=None,
        metavar="NAME",
        help=f"one of {', '.join(NETWORKS)} (default: scalar, or identity with --widths)",
    )
    g.add_argument(
        "--depth", type=int, default=None, metavar="N", help="depth N (number of layers)"
    )
    g.add_argument(
        "--target",
        type=float,
        default=None,
        metavar="Y",
        help="scalar target y (default 1); for 'identity' the scale of W*",
    )
    g.add_argument(
        "--widths",
        type=int,
        nargs="+",
        default=None,
        metavar="D",
        help="widths d_0 ... d_N of an 'identity' network",
    )


def build_network(args: argparse.Namespace) -> Any:
    """The :class:`~dynsys_gd.LinearNetwork` chosen by the network options (validated)."""
    from ..models import LinearNetwork

    name = args.network
    if name is None:
        name = "identity" if args.widths is not None else "scalar"
    if name not in NETWORKS:
        raise InvalidParameterError(
            f"network must be one of {', '.join(map(repr, NETWORKS))}; got {name!r}"
        )
    target = 1.0 if args.target is None else check_real("target", args.target)
    if name == "scalar":
        if args.widths is not None:
            raise InvalidParameterError(
                "widths must not be given for the scalar network "
                f"(use --depth); got widths {args.widths}"
            )
        depth = check_int("depth", 3 if args.depth is None else args.depth, minimum=1)
        if target == 0.0:
            raise InvalidParameterError(
                "target must be non-zero: with target 0 the minima {w_1...w_N = 0} do not form "
                "a manifold; got 0"
            )
        return LinearNetwork.scalar(depth, target)
    if name == "whitened":
        depth = check_int("depth", 2 if args.depth is None else args.depth, minimum=1)
        W = np.asarray(WHITENED_W_STAR) * (1.0 if args.target is None else target)
        return LinearNetwork.from_covariances((2,) * (depth + 1), Sxx=np.eye(2), Syx=W)
    # identity
    if args.widths is None:
        raise InvalidParameterError(
            "widths must be given for the identity network (--widths d_0 ... d_N); got none"
        )
    widths = [check_int("widths", w, minimum=1) for w in args.widths]
    if len(widths) < 2:
        raise InvalidParameterError(f"widths must hold at least 2 numbers (d_0, d_1); got {widths}")
    if args.depth is not None and args.depth != len(widths) - 1:
        raise InvalidParameterError(
            f"depth must equal len(widths) - 1 = {len(widths) - 1}; got {args.depth}"
        )
    if target == 0.0:
        raise InvalidParameterError("target must be non-zero (W* = target * I); got 0")
    Syx = np.zeros((widths[-1], widths[0]))
    for k in range(min(widths[0], widths[-1])):
        Syx[k, k] = target
    net = LinearNetwork.from_covariances(tuple(widths), Sxx=np.eye(widths[0]), Syx=Syx)
    net.require_manifold()
    return net


def prepare_output_dir(path: str | os.PathLike[str] | None, option: str) -> Path | None:
    """Create the output directory now (before any long computation) and check it is writable.

    Raises
    ------
    InvalidParameterError
        If the path exists and is not a directory, or is not writable.
    """
    if path is None:
        return None
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InvalidParameterError(f"{option} must be a directory; got the file {str(p)!r}")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidParameterError(
            f"{option} must be a writable directory; cannot create "
            f"{str(p)!r} ({exc.strerror or exc})"
        ) from exc
    if not os.access(p, os.W_OK | os.X_OK):
        raise InvalidParameterError(f"{option} must be a writable directory; got {str(p)!r}")
    return p


def prepare_output_file(path: str | os.PathLike[str], option: str) -> Path:
    """Check that a results file can be created or appended to, before the computation."""
    p = Path(path)
    if p.exists() and p.is_dir():
        raise InvalidParameterError(f"{option} must be a file path; got the directory {str(p)!r}")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise InvalidParameterError(
            f"{option} must be in an existing directory; {str(parent)!r} does not exist"
        )
    ok = os.access(p, os.W_OK) if p.exists() else os.access(parent, os.W_OK | os.X_OK)
    if not ok:
        raise InvalidParameterError(f"{option} must be writable; got {str(p)!r}")
    return p


class Progress:
    """A progress bar over named stages (stderr, only on a terminal), silent when disabled."""

    def __init__(self, total: int, *, enabled: bool, desc: str) -> None:
        from ..runtime.progress import progress_bar

        self._bar = progress_bar(total, desc, enabled)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self._bar.set_postfix(name)
        try:
            yield
        finally:
            self._bar.update(1)

    def close(self) -> None:
        self._bar.close()


def attr(obj: Any, *names: str, default: Any = None) -> Any:
    """First attribute (or mapping key) of ``obj`` among ``names`` that exists and is not None."""
    for n in names:
        val = obj.get(n) if isinstance(obj, dict) else getattr(obj, n, None)
        if val is not None:
            return val
    return default


def critical_lr_of(net: Any, report: Any = None) -> float:
    r""":math:`\eta^*` from a report, else from :func:`dynsys_gd.critical_lr`."""
    val = None if report is None else attr(report, "critical_lr")
    if val is None:
        import dynsys_gd as dg

        val = dg.critical_lr(net)
    return float(val)


def flattest_point(net: Any, report: Any = None) -> np.ndarray:
    r"""A flattest global minimum :math:`\theta` (closed form for balanced cases, else
    :func:`dynsys_gd.flattest_minimum`)."""
    cand = None if report is None else attr(report, "flattest", "flattest_minimum")
    for obj in (cand,):
        if obj is None:
            continue
        th = obj if isinstance(obj, np.ndarray) else attr(obj, "theta", "point", "params")
        if th is not None and np.shape(th) == (net.n_params,):
            return np.asarray(th, dtype=np.float64)
    if net.is_scalar:
        y = net.target
        w = np.full(net.depth, abs(y) ** (1.0 / net.depth))
        if y < 0:
            w[0] = -w[0]
        return w
    import dynsys_gd as dg

    obj = dg.flattest_minimum(net)
    th = obj if isinstance(obj, np.ndarray) else attr(obj, "theta", "point", "params")
    if th is None and isinstance(obj, tuple):
        th = obj[0]
    return np.asarray(th, dtype=np.float64)


def save(fig: Any, outdir: Path, stem: str, written: list[Path]) -> None:
    """Save ``fig`` as PNG and PDF into ``outdir`` and record the PNG path."""
    from ..reporting.style import save_figure

    paths = save_figure(fig, outdir / stem)
    written.append(paths[0])


# ----------------------------------------------------------------------------------------------
# figures of one analysis
# ----------------------------------------------------------------------------------------------
def figure_sharpness(net: Any, lr: float, eta_star: float, theta0: np.ndarray) -> Any:
    """Sharpness along the rebalancing curve of M through the flattest minimum."""
    from ..reporting.figures import (
        normal_spectrum,
        plot_sharpness_along_manifold,
        rebalancing_curve,
    )

    ts = np.linspace(-1.5, 1.5, 161)
    ev = normal_spectrum(net, rebalancing_curve(net, theta0, ts))
    return plot_sharpness_along_manifold(
        ts,
        ev,
        lr=lr,
        eta_star=eta_star,
        coord_label=r"$t$ on the curve $(e^{t}W_1, e^{-t}W_2, \dots)$ in $M$",
        title=f"minima manifold of {_net_label(net)}",
    )


def figure_spectrum(net: Any, lr: float, theta0: np.ndarray) -> Any:
    """DG spectra at the flattest minimum and two sharper minima on the same curve."""
    from ..numeric.kernels import numeric_model
    from ..reporting.figures import plot_dg_spectrum, rebalancing_curve

    pts = rebalancing_curve(net, theta0, [0.0, 0.5, 1.0])
    H = numeric_model(net).hessian(pts)
    ev = np.linalg.eigvalsh(H)
    groups = {"flattest minimum": ev[0], "minimum at t = 0.5": ev[1], "minimum at t = 1": ev[2]}
    return plot_dg_spectrum(groups, lr=lr, hessian=True)


def slice_directions(net: Any, theta0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit tangent (rebalancing) and unit normal (gradient of the loss off M) directions."""
    from ..numeric.kernels import numeric_model
    from ..reporting.figures import rebalancing_curve

    h = 1e-6
    pts = rebalancing_curve(net, theta0, [-h, h])
    u = (pts[1] - pts[0]) / (2 * h)
    u = u / np.linalg.norm(u)
    H = numeric_model(net).hessian(theta0[None, :])[0]
    _w, V = np.linalg.eigh(H)
    v = V[:, -1]
    v = v - (v @ u) * u
    return u, v / np.linalg.norm(v)


def figure_basin(
    net: Any, lr: float, theta0: np.ndarray, resolution: int, extent: float = 1.5
) -> Any:
    """Outcomes on the slice through the flattest minimum spanned by tangent and normal."""
    import dynsys_gd as dg

    from ..reporting.figures import plot_basin_slice

    u, v = slice_directions(net, theta0)
    bs = dg.basin_slice(net, lr, center=theta0, u=u, v=v, extent=extent, resolution=resolution)
    return plot_basin_slice(
        bs,
        lr=lr,
        axis_labels=("$a$ (along $M$)", "$b$ (normal to $M$)"),
        title=rf"GD outcomes on $\theta^\flat + a u + b v$, "
        rf"$\eta = {lr:.4g}$",
    )


def figure_fraction(
    net: Any,
    eta_star: float,
    n_samples: int,
    seed: int,
    num: int = 7,
    executor: Any = None,
    lr: float | None = None,
) -> tuple[Any, Any]:
    r"""Converged fraction for :math:`\eta \in [0.8, 1.2]\,\eta^*` (C6); ``lr`` is marked."""
    import dynsys_gd as dg

    from ..reporting.figures import plot_convergent_fraction
    from ..reporting.style import COLORS

    lrs = eta_star * np.linspace(0.8, 1.2, num)
    sweep = dg.lr_sweep(net, lrs, n_samples=n_samples, seed=seed, executor=executor)
    fig = plot_convergent_fraction(
        sweep, eta_star=eta_star, title=f"convergent set of {_net_label(net)}"
    )
    if lr is not None:
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


def _net_label(net: Any) -> str:
    if net.is_scalar:
        return f"scalar net N={net.depth}, y={net.target:g}"
    return f"linear net widths {'x'.join(map(str, net.widths))}"


def write_analysis_figures(
    net: Any,
    lr: float,
    report: Any,
    outdir: Path,
    *,
    n_samples: int,
    seed: int,
    progress: Progress,
    fast: bool = False,
) -> list[Path]:
    """Write the four figures of ``analyze --figures``; returns the PNG paths."""
    written: list[Path] = []
    eta_star = critical_lr_of(net, report)
    theta0 = flattest_point(net, report)
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("sharpness_along_M", lambda: figure_sharpness(net, lr, eta_star, theta0)),
        ("dg_spectrum", lambda: figure_spectrum(net, lr, theta0)),
        ("basin_slice", lambda: figure_basin(net, lr, theta0, 41 if fast else 81)),
        (
            "fraction_vs_lr",
            lambda: figure_fraction(
                net, eta_star, max(50, min(n_samples, 200 if fast else 600)), seed, lr=lr
            )[0],
        ),
    ]
    for stem, make in steps:
        with progress.stage(stem):
            save(make(), outdir, stem, written)
    return written


# ----------------------------------------------------------------------------------------------
# the command
# ----------------------------------------------------------------------------------------------
def add_arguments(p: argparse.ArgumentParser) -> None:
    add_network_arguments(p)
    p.add_argument(
        "--lr", type=float, required=True, metavar="ETA", help="learning rate (step size) eta > 0"
    )
    p.add_argument(
        "--samples",
        type=int,
        default=1000,
        metavar="N",
        help="Monte-Carlo initialisations for the convergent fraction (default "
        "1000; 0 skips the estimate)",
    )
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--figures", default=None, metavar="DIR", help="write figures (PNG and PDF) into DIR"
    )
    p.add_argument("--fast", action="store_true", help="smaller figure resolutions")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    import dynsys_gd as dg

    lr = check_positive_float("lr", args.lr)
    n_samples = check_int("samples", args.samples, minimum=0)
    seed: int = args.seed  # validated by the API call it is passed to
    net = build_network(args)
    outdir = prepare_output_dir(args.figures, "--figures")
    progress = Progress(
        2 + (4 if outdir else 0), enabled=not (args.quiet or args.json), desc="analyze"
    )
    t0 = time.perf_counter()
    try:
        with progress.stage("stability analysis"):
            report = dg.stability_analysis(
                net.depth, lr, network=net, n_samples=n_samples, seed=seed
            )
        with progress.stage("report"):
            text = None if args.json else report.summary()
        figures: list[Path] = []
        if outdir is not None:
            figures = write_analysis_figures(
                net,
                lr,
                report,
                outdir,
                n_samples=n_samples,
                seed=seed,
                progress=progress,
                fast=args.fast,
            )
    finally:
        progress.close()
    elapsed = time.perf_counter() - t0
    if args.json:
        out = dict(report.to_dict())
        if figures:
            out["figures"] = [str(p) for p in figures]
        print(json.dumps(out, indent=2, allow_nan=False))
        return 0
    print(text)
    if figures:
        print()
        print(f"figures written to {outdir}/ (PNG and PDF):")
        for f in figures:
            print(f"  {f.stem}")
    print(f"\n(done in {elapsed:.1f} s)")
    return 0
