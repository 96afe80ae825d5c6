"""``dynsys-gd basins``: basins of GD on a grid and how fractal their boundary is."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ._registry import COMMANDS

NAME = "basins"
HELP = COMMANDS[NAME]
DESCRIPTION = (
    "Run GD from every cell of a square grid of initialisations of 1/2 (xy - 1)^2 (or of the "
    "Newton map of z^3 - 1), label each cell by the attractor reached (minima, period-k orbits, "
    "divergence, undecided), and measure the boundary: box-counting dimension, uncertainty "
    "exponent, basin entropy and the fractal test."
)
EPILOG = """examples:
  dynsys-gd basins --lr 1.01 --samples 512
  dynsys-gd basins --newton --samples 400 --figures out
  dynsys-gd basins --lr 0.9 --json
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--newton", action="store_true", help="the Newton map of z^3 - 1 on [-1, 1]^2")
    p.add_argument("--lr", type=float, default=1.01, help="step size for 1/2(xy-1)^2 (eta* = 1)")
    p.add_argument("--extent", type=float, default=2.0, help="grid half-width (default 2)")
    p.add_argument("--samples", type=int, default=256, help="grid cells per axis (default 256)")
    p.add_argument("--steps", type=int, default=1000, help="step budget per cell (default 1000)")
    p.add_argument("--box", type=int, default=10, help="disc radius of the fractal test")
    p.add_argument("--figures", default=None, metavar="DIR", help="write figures to DIR")
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from .._validation import check_int, check_positive_float
    from ..analysis.basins_grid import basins_of_attraction
    from ..analysis.fractal import (
        basin_entropy,
        boundary_dimension,
        fractal_test,
        uncertainty_exponent,
    )
    from ..models import LinearNetwork
    from ..models.iterated_map import IteratedMap

    n = check_int("samples", args.samples, minimum=16, maximum=4096)
    steps = check_int("steps", args.steps, minimum=1)
    if args.newton:

        def newton(x: Any) -> Any:
            z = x[..., 0] + 1j * x[..., 1]
            z = z - (z**3 - 1) / (3 * z**2)
            return np.stack([z.real, z.imag], axis=-1)

        g = np.linspace(-1.0, 1.0, n)
        bg = basins_of_attraction(IteratedMap(newton, 2, name="Newton z^3-1"), (g, g), steps=steps)
        target = bg
    else:
        lr = check_positive_float("lr", args.lr)
        e = check_positive_float("extent", args.extent)
        g = np.linspace(-e, e, n)
        bg = basins_of_attraction(
            LinearNetwork.scalar(depth=2, target=1.0), (g, g), lr=lr, steps=steps
        )
        target = bg.divergence_map()  # the converging / diverging boundary
    measures = {
        "dimension": boundary_dimension(target),
        "uncertainty": uncertainty_exponent(target),
        "entropy": basin_entropy(target, 5),
        "test": fractal_test(target, args.box),
    }
    out: dict[str, Any] = {"basins": bg.to_dict() if args.json else None}
    if args.figures:
        import os

        import matplotlib.pyplot as plt

        os.makedirs(args.figures, exist_ok=True)
        files = []
        plots: list[tuple[str, Any]] = [("basins", bg), *measures.items()]
        for name, obj in plots:
            fig = obj.plot()
            path = os.path.join(args.figures, f"basins_{name}.png")
            fig.savefig(path, dpi=120)
            plt.close(fig)
            files.append(path)
        out["figures"] = files
    if args.json:
        out.update({k: v.to_dict() for k, v in measures.items()})
        out.pop("basins")
        out["summary"] = bg.summary()
        print(json.dumps(out, indent=2, default=str))
        return 0
    print(bg.summary())
    for v in measures.values():
        print(v.summary())
    for f in out.get("figures", []):
        print(f"wrote {f}")
    return 0
