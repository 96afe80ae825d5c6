"""``dynsys-gd derive``: print the symbolic derivation of a linear network's GD map."""

from __future__ import annotations

import argparse
import json
from typing import Any

NAME = "derive"
HELP = "print the loss, gradient, Hessian and det DG of a small linear network"
EPILOG = """examples:
  dynsys-gd derive --depth 3 --target 2
  dynsys-gd derive --widths 2 2 2 --lr 0.5
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--depth", type=int, default=None, help="scalar network depth N")
    g.add_argument(
        "--widths",
        type=int,
        nargs="+",
        default=None,
        help="widths d_0 ... d_N of a whitened network with W* = I-like target",
    )
    p.add_argument("--target", type=float, default=1.0, help="scalar target y (default 1)")
    p.add_argument("--lr", type=float, default=None, help="numeric step size (default: symbol eta)")
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    import numpy as np
    import sympy

    from ..models import LinearNetwork
    from ..symbolic import derive

    if args.widths is not None:
        w = args.widths
        Syx = np.zeros((w[-1], w[0]))
        for k in range(min(w[0], w[-1])):
            Syx[k, k] = args.target
        net = LinearNetwork.from_covariances(tuple(w), Sxx=np.eye(w[0]), Syx=Syx)
    else:
        net = LinearNetwork.scalar(args.depth if args.depth is not None else 3, args.target)
    d = derive(net)
    lr = args.lr
    det = d.det_dg(lr, max_params=6) if net.n_params <= 6 else None
    out: dict[str, Any] = {
        "network": repr(net),
        "n_params": net.n_params,
        "loss": str(sympy.factor(d.loss)) if net.is_scalar else str(d.loss),
        "gradient": [str(sympy.factor(g)) for g in d.gradient],
        "gd_map": [str(e) for e in d.gd_map(lr)],
        "det_DG": None if det is None else str(sympy.factor(det)),
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"{out['network']}  (P = {out['n_params']} parameters)")
    print(f"L(theta)       = {out['loss']}")
    for p, g in zip(d.params, out["gradient"], strict=True):
        print(f"dL/d{p!s:<8} = {g}")
    print("G_eta(theta)   = theta - eta * grad L")
    for p, g in zip(d.params, out["gd_map"], strict=True):
        print(f"  {p!s:<10} -> {g}")
    if det is None:
        print("det DG_eta     : not expanded for P > 6 (use Derivation.det_dg_at)")
    else:
        print(f"det DG_eta     = {out['det_DG']}")
    return 0
