"""``dynsys-gd basins``: basins of GD on a grid and how fractal their boundary is."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ._registry import COMMANDS

NAME = "basins"
HELP = COMMANDS[NAME]
DESCRIPTION = (
    "Run GD from every cell of a square grid of initialisations of 1/2 (xy - 1)^2 (plus "
    "C (x^2 + y^2) with --l2 C; or the Newton map of z^3 - 1), label each cell by the "
    "attractor reached (minima, period-k orbits, "
    "divergence, undecided), and measure the boundary: box-counting dimension, uncertainty "
    "exponent, basin entropy, the fractal test (and the Wada test for Newton's three basins)."
)
EPILOG = """examples:
  dynsys-gd basins --lr 1.01 --samples 512
  dynsys-gd basins --newton --samples 400 --figures out
  dynsys-gd basins --lr 0.9 --json
  dynsys-gd basins --newton --samples 300 --count mixed --scales 5:30
  dynsys-gd basins --l2 0.15 --lr 1.0 --samples 1024 --box 16
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--newton", action="store_true", help="the Newton map of z^3 - 1 on [-1, 1]^2")
    p.add_argument("--lr", type=float, default=1.01, help="step size for 1/2(xy-1)^2 (eta* = 1)")
    p.add_argument(
        "--l2",
        type=float,
        default=0.0,
        metavar="C",
        help="add C (x^2 + y^2) to the loss (Liang-Montufar's 0.3 on their loss without 1/2 is "
        "C = 0.15 with twice their step size)",
    )
    p.add_argument(
        "--count",
        choices=("cells", "mixed"),
        default="cells",
        help="box count: boxes holding a boundary cell, or more than one label (Attractors.jl)",
    )
    p.add_argument("--scales", default=None, metavar="A:B", help="fit box sides A..B pixels")
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
        bg = basins_of_attraction(_xy_model(args.l2), (g, g), lr=lr, steps=steps)
        target = bg.divergence_map()  # the converging / diverging boundary
    measures = {
        "dimension": boundary_dimension(target, scales=_scales(args.scales), method=args.count),
        "uncertainty": uncertainty_exponent(target),
        "entropy": basin_entropy(target, 5),
        "test": fractal_test(target, args.box),
    }
    if args.newton:
        from ..analysis.basins_wada import wada_test

        measures["wada"] = wada_test(bg, 5, labels=[t.label for t in bg.attractors])
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


def _xy_model(c: float) -> Any:
    """1/2 (xy - 1)^2, plus c (x^2 + y^2) when c > 0."""
    from .._validation import check_nonnegative_float
    from ..models import LinearNetwork, LossModel

    c = check_nonnegative_float("l2", c)
    if c == 0:
        return LinearNetwork.scalar(depth=2, target=1.0)
    import sympy

    x, y = sympy.symbols("x y")
    loss = (x * y - 1) ** 2 / 2 + sympy.nsimplify(c) * (x**2 + y**2)
    return LossModel(loss, [x, y], name=f"1/2(xy-1)^2 + {c:g}(x^2+y^2)")


def _scales(text: str | None) -> Any:
    """``"A:B"`` -> range(A, B + 1); None -> None."""
    if text is None:
        return None
    from ..errors import InvalidParameterError

    try:
        a, b = (int(t) for t in text.split(":"))
    except ValueError:
        raise InvalidParameterError(f"scales must be A:B (two integers); got {text!r}") from None
    return range(a, b + 1)
