"""``dynsys-gd orbits``: periodic orbits, period doublings and Lyapunov exponents (C8, §7)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ._options import add_deprecated_alias
from ._registry import COMMANDS

NAME = "orbits"
HELP = COMMANDS[NAME]
DESCRIPTION = (
    "Find the periodic orbits GD settles on above eta* (Newton-refined, with Floquet multipliers), "
    "locate the period-doubling points eta_1 = eta*, eta_2, ... by continuation and bisection, "
    "compare their ratios with Feigenbaum's delta, and estimate the largest Lyapunov exponent."
)
EPILOG = """examples:
  dynsys-gd orbits --xy --lr 1.05
  dynsys-gd orbits --depth 3 --target 2 --lr 0.27 --cascade 3
  dynsys-gd orbits --xy --lr 1.45 --lyapunov --json
  dynsys-gd orbits --xy --lr 1.1 --figures figures
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--depth", type=int, default=None, help="scalar network depth N (default 2)")
    g.add_argument("--xy", action="store_true", help="use the loss 1/2 (xy - 1)^2")
    p.add_argument("--target", type=float, default=1.0, help="scalar target y (default 1)")
    p.add_argument("--lr", type=float, required=True, help="step size eta")
    p.add_argument(
        "--samples", type=int, default=64, help="initialisations uniform in [-2, 2]^P (default 64)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    p.add_argument(
        "--cascade",
        type=int,
        default=0,
        metavar="K",
        help="also locate K period doublings from the flattest minimum",
    )
    p.add_argument("--lyapunov", action="store_true", help="largest Lyapunov exponent")
    p.add_argument(
        "--figures",
        default=None,
        metavar="DIR",
        help="write the bifurcation diagram (PNG and PDF) into DIR",
    )
    add_deprecated_alias(p, "--figure", dest="figure_stem", new="--figures DIR", metavar="STEM")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    import numpy as np
    import sympy as sp

    from .._validation import check_int, check_positive_float, check_seed
    from ..analysis.bifurcation import bifurcation_diagram, period_doubling_cascade
    from ..models import LinearNetwork, LossModel
    from ..numeric.orbits.lyapunov import lyapunov_exponent
    from ..numeric.orbits.periodic import find_periodic_orbits
    from ._options import prepare_output_dir, progress_flag

    lr = check_positive_float("lr", args.lr)
    n = check_int("samples", args.samples, minimum=1)
    seed = check_seed("seed", args.seed)
    k_casc = check_int("cascade", args.cascade, minimum=0, maximum=8)
    model: Any
    if args.xy:
        x, y = sp.symbols("x y")
        model = LossModel(sp.Rational(1, 2) * (x * y - 1) ** 2, (x, y), name="xy")
        eta_star = 1.0
        flat = np.ones(2)
        label = "1/2 (xy - 1)^2"
        title = r"$L(x, y) = \frac{1}{2}(xy - 1)^2$"
        stem = "bifurcation_xy"
    else:
        depth = check_int("depth", args.depth if args.depth is not None else 2, minimum=1)
        model = LinearNetwork.scalar(depth, args.target)
        from ..numeric.landscape.sharpness import flattest_minimum

        fm = flattest_minimum(model)
        eta_star, flat = fm.critical_lr, np.asarray(fm.point)
        label = f"scalar network N = {depth}, y = {args.target:g}"
        title = f"scalar network, $N = {depth}$, $y = {args.target:g}$"
        stem = f"bifurcation_scalar_N{depth}"
    outdir = prepare_output_dir(args.figures, "--figures")
    target = outdir / stem if outdir is not None else getattr(args, "figure_stem", None)
    P = flat.size
    # the check find_periodic_orbits makes, before the initialisations are allocated
    from .._limits import check_iteration

    rec = 4 * 8  # 4 * max_period (its default, 8)
    check_iteration(
        "samples",
        n,
        steps=2000 + rec,
        runs=n,
        n_params=P,
        arrays=(rec + 3) * n * P,
        context=f"for {n} runs",
    )
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    theta0 = rng.uniform(-2, 2, size=(n, P))
    orbits = find_periodic_orbits(model, lr, theta0)
    out: dict[str, Any] = {
        "model": label,
        "lr": lr,
        "critical_lr": eta_star,
        "orbits": [o.to_dict() for o in orbits],
    }
    cascade = None
    if k_casc:
        cascade = period_doubling_cascade(
            model,
            0.9 * eta_star,
            1.6 * eta_star,
            flat[None, :],
            n_doublings=k_casc,
            name=label,
            progress=progress_flag(args),
        )
        out["cascade"] = cascade.to_dict()
    if args.lyapunov:
        ly = lyapunov_exponent(model, theta0, lr, n_steps=3000, transient=1000, seed=args.seed)
        out["lyapunov"] = ly.to_dict()
    if target is not None:
        from ..reporting import plot_bifurcation, save_figure

        lrs = np.linspace(0.9 * eta_star, max(lr, 1.35 * eta_star), 120)
        d = bifurcation_diagram(
            model, lrs, n_init=16, transient=1000, n_record=32, critical_lr=eta_star, seed=args.seed
        )
        files = save_figure(plot_bifurcation(d, cascade=cascade, title=title), target)
        out["figures"] = [str(f) for f in files]
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"{label}: eta* = {eta_star:.6g}, lr = {lr:g} ({lr / eta_star:.4g} eta*)")
    if not orbits:
        print("no periodic orbit (or fixed point) reached from the samples")
    for o in orbits:
        print(o.summary())
    if cascade is not None:
        print(cascade.summary())
    if args.lyapunov:
        print(out["lyapunov"] and ly.summary())
    for f in out.get("figures", []):
        print(f"wrote {f}")
    return 0
