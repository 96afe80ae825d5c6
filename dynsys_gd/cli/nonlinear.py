r"""``dynsys-gd nonlinear``: the sharp transition of GD on a small non-linear network.

Full-batch GD on a tanh/ReLU multilayer perceptron (squared loss
:math:`L = \frac{1}{2n}\sum_k\lVert f(x_k) - y_k\rVert^2`) trained on the 8×8 digits
shipped with the package (or a teacher–student set), over a grid of learning rates with several
initialisations each: the asymptotic gradient norm :math:`g_\infty(\eta)` jumps at a critical
learning rate (docs/math/nonlinear.md, docs/math/claims.md#c7), which is compared with
:math:`2/S_{\mathrm{flat}}`, the sharpness-based prediction; converged runs are checked to end
at minima with :math:`\lambda_{\max} \le 2/\eta` (C8).  See
:func:`dynsys_gd.analysis.nonlinear.nonlinear_sweep`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from .._validation import check_int, check_positive_float, check_seed
from ..errors import InvalidParameterError
from ._options import add_deprecated_alias
from ._registry import COMMANDS

NAME = "nonlinear"
HELP = COMMANDS[NAME]
DESCRIPTION = """\
Learning-rate sweep of full-batch gradient descent on a small multilayer perceptron with squared
loss L = 1/(2n) sum |f(x) - y|^2 on the 8x8 digits shipped with the package (PCA features,
standardised digit label as target) or on a teacher-student data set. For each learning rate,
--samples initialisations run --steps steps, extended up to --cap steps while a run is still
undecided (runs at the edge of stability converge slowly); the table shows the asymptotic
gradient norm g_inf (median of the mean |grad L| over the last --last-k steps, with a 95% CI),
the final loss and sharpness (Lanczos), and outcome counts. The transition (largest jump of
g_inf) is then narrowed by up to --refine bisection steps in the learning rate, each a new
learning rate with its own runs, and compared with the prediction 2 / S_flat (flattest minimum
reached at smaller learning rates). The default settings take about a minute of CPU time."""
EPILOG = """examples:
  dynsys-gd nonlinear --figures figures
  dynsys-gd nonlinear --activation relu --widths 8 32 1 --samples 8 --json
  dynsys-gd nonlinear --data teacher --widths 4 16 1 --lrs 0.1 0.3 1 3
"""

DEFAULT_LRS = tuple(float(x) for x in np.geomspace(0.3, 2.25, 9))
#: default hard cap of GD steps per run, in units of --steps (the engine extends undecided runs
#: up to it): 128,000 steps with the default --steps
CAP_FACTOR = 32
#: default number of bisection steps in eta after the grid (to +-1 % from a x1.41 grid)
DEFAULT_REFINE = 5


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data",
        choices=("digits", "teacher"),
        default="digits",
        help="data set (default: the 8x8 digits shipped with the package)",
    )
    p.add_argument(
        "--activation",
        choices=("tanh", "relu"),
        default="tanh",
        help="hidden activation (default tanh)",
    )
    p.add_argument(
        "--widths",
        type=int,
        nargs="+",
        default=None,
        metavar="D",
        help="layer widths d_0 ... d_L (default: 8 32 1; d_0 = number of features)",
    )
    p.add_argument(
        "--points",
        type=int,
        default=64,
        metavar="N",
        help="number of data points (default 64: the default network can fit them)",
    )
    add_deprecated_alias(p, "--n-samples", dest="points", new="--points", type=int, metavar="N")
    p.add_argument(
        "--lrs",
        type=float,
        nargs="+",
        default=None,
        metavar="ETA",
        help="learning rates (default: 7 points log-spaced in [0.3, 2.4], then --refine)",
    )
    p.add_argument(
        "--samples",
        type=int,
        default=8,
        metavar="N",
        help="initialisations per learning rate (default 8)",
    )
    add_deprecated_alias(p, "--n-init", dest="samples", new="--samples", type=int, metavar="N")
    p.add_argument(
        "--steps",
        type=int,
        default=4000,
        metavar="T",
        help="GD steps per run before the engine extends undecided runs (default 4000)",
    )
    p.add_argument(
        "--cap",
        type=int,
        default=None,
        metavar="T",
        help=f"hard cap of GD steps per run while a run is undecided, at least --steps (default "
        f"{CAP_FACTOR} x --steps = {CAP_FACTOR * 4000:,}): runs at the edge of stability "
        "contract by about 0.9993 per step",
    )
    p.add_argument(
        "--refine",
        type=int,
        default=DEFAULT_REFINE,
        metavar="N",
        help=f"at most N bisection steps in the learning rate after the grid, each a new "
        f"learning rate with its own --samples runs, until the transition is located to "
        f"+-1 %% (default {DEFAULT_REFINE}; 0: the grid only)",
    )
    p.add_argument(
        "--last-k",
        type=int,
        default=200,
        metavar="K",
        help="window of the last K steps for g_inf (default 200)",
    )
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument(
        "--figures", default=None, metavar="DIR", help="write nonlinear_sweep.png and .pdf into DIR"
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from ..analysis.nonlinear import nonlinear_sweep
    from ..models.datasets import digits_dataset, teacher_student_dataset
    from ..models.mlp import MLP
    from ..numeric.engine.run import EngineConfig
    from ..reporting import plot_nonlinear_sweep
    from ._options import prepare_output_dir, progress_flag

    # validate everything before the computation
    n_samples = check_int("--points", args.points, minimum=2)
    n_init = check_int("--samples", args.samples, minimum=1)
    steps = check_int("--steps", args.steps, minimum=2)
    last_k = check_int("--last-k", args.last_k, minimum=1, maximum=steps)
    seed = check_seed("--seed", args.seed)
    cap = CAP_FACTOR * steps if args.cap is None else check_int("--cap", args.cap, minimum=steps)
    refine = check_int("--refine", args.refine, minimum=0)
    lrs = (
        DEFAULT_LRS
        if args.lrs is None
        else tuple(check_positive_float("--lrs entry", x) for x in args.lrs)
    )
    if len(lrs) < 2:
        raise InvalidParameterError(f"--lrs needs at least 2 learning rates; got {len(lrs)}")
    widths = (8, 32, 1) if args.widths is None else tuple(args.widths)
    if len(widths) < 2 or any(w < 1 for w in widths):
        raise InvalidParameterError(
            f"--widths must be at least 2 ints >= 1; got {' '.join(map(str, widths))}"
        )
    outdir = prepare_output_dir(args.figures, "--figures")

    if args.data == "digits":
        if n_samples > 1797:
            raise InvalidParameterError(f"--points must be <= 1797 for digits; got {n_samples}")
        if widths[0] > 64:
            raise InvalidParameterError(f"--widths: d_0 must be <= 64 for digits; got {widths[0]}")
        data = digits_dataset(
            n_samples=n_samples,
            n_features=widths[0],
            targets="label" if widths[-1] == 1 else "onehot",
            seed=seed,
        )
        if data.n_outputs != widths[-1]:
            raise InvalidParameterError(
                f"--widths: the last width must be 1 (digit label) or 10 (one-hot) for digits; "
                f"got {widths[-1]}"
            )
    else:
        data = teacher_student_dataset(widths, n_samples, args.activation, seed)
    model = MLP(widths, args.activation, X=data.X, Y=data.Y)
    if not args.json:
        print(
            f"{model}: {data!r}, {len(lrs)} learning rates x {n_init} initialisations, "
            f"{steps} steps (up to {cap} while undecided), up to {refine} bisection steps ...",
            file=sys.stderr,
            flush=True,
        )
    t0 = time.perf_counter()
    res = nonlinear_sweep(
        model,
        lrs,
        n_init=n_init,
        seed=seed,
        steps=steps,
        last_k=last_k,
        config=EngineConfig(max_steps=steps, max_extension=cap / steps),
        refine=refine,
        progress=progress_flag(args),
    )
    elapsed = time.perf_counter() - t0
    written: list[Path] = []
    if outdir is not None:
        from ..reporting import save_figure

        fig = plot_nonlinear_sweep(
            res,
            title=f"GD on a {args.activation} MLP {widths}, {data.name} data "
            f"(n = {data.X.shape[0]}): sharp transition of $g_\\infty$ (C7, C8)",
        )
        written = save_figure(fig, outdir / "nonlinear_sweep")
    if args.json:
        d = res.to_dict()
        d["data"] = {"name": data.name, **data.info}
        d["figures"] = [str(p) for p in written]
        print(json.dumps(d, allow_nan=False))
    else:
        print(res.summary())
        print(f"total time {elapsed:.1f} s")
        for p in written:
            print(f"wrote {p}")
    return 0
