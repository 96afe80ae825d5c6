r"""Option parsing, output checks and progress shared by the ``dynsys-gd`` subcommands.

Every command validates all of its options here (or with :mod:`dynsys_gd._validation`)
*before* any computation, so bad input gives one line on stderr and exit status 2.

- network options (``--network``, ``--depth``, ``--target``, ``--widths``) and
  :func:`build_network`;
- the Monte-Carlo options with the API's defaults (``--samples`` defaults to
  :data:`DEFAULT_SAMPLES`, the default of :func:`dynsys_gd.stability_analysis`, so the shell and
  a notebook give the same numbers);
- :func:`prepare_output_dir` / :func:`prepare_output_file`: check (and create) where the output
  goes before the computation starts;
- :class:`Stages`: a bar over named stages of a command, and :func:`progress_flag`: the
  ``progress=`` argument to pass to the API (None: on in a terminal, False with ``--quiet`` or
  ``--json``);
- :func:`save`: write a figure as PNG and PDF;
- :func:`add_deprecated_alias`: an old spelling of an option, hidden from ``--help``, that still
  works for one release and prints a one-line deprecation note on stderr.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import check_int, check_real, check_target
from ..analysis.stability import DEFAULT_N_SAMPLES
from ..errors import InvalidParameterError
from ..models import LinearNetwork

__all__ = [
    "DEFAULT_SAMPLES",
    "NETWORKS",
    "WHITENED_W_STAR",
    "Stages",
    "add_deprecated_alias",
    "add_network_arguments",
    "add_samples_argument",
    "build_network",
    "network_label",
    "prepare_output_dir",
    "prepare_output_file",
    "progress_chunk",
    "progress_flag",
    "save",
]

#: Network presets of the command line.
NETWORKS = ("scalar", "whitened", "identity")

#: W* of the whitened 2x2 example of docs/math/reference-values.md.
WHITENED_W_STAR = ((1.5, 0.3), (-0.2, 0.7))


#: Monte-Carlo initialisations of ``analyze --samples``: the default ``n_samples`` of
#: :func:`dynsys_gd.stability_analysis` (a test checks that the two agree).
DEFAULT_SAMPLES: int = DEFAULT_N_SAMPLES


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


class _DeprecatedAlias(argparse.Action):
    """Store like the new option, after a one-line note on stderr naming the new spelling."""

    def __init__(self, *args: Any, new: str, convert: Any = None, **kwargs: Any) -> None:
        self.new = new
        self.convert = convert
        super().__init__(*args, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        import sys

        print(
            f"{parser.prog}: deprecated: {option_string} will be removed in the next release; "
            f"use {self.new}",
            file=sys.stderr,
            flush=True,
        )
        if self.convert is not None:
            values = self.convert(values)
        setattr(namespace, self.dest, values)


def add_deprecated_alias(
    p: argparse.ArgumentParser,
    old: str,
    *,
    dest: str,
    new: str,
    convert: Any = None,
    **kwargs: Any,
) -> None:
    """Accept ``old`` as a hidden, deprecated spelling of the option ``new`` (stored in ``dest``).

    ``kwargs`` are those of the new option (``type``, ``nargs``, ``metavar``); ``convert`` maps
    the old option's value to the new one's when their meanings differ in form (e.g. a file stem
    to a directory).
    """
    p.add_argument(
        old,
        dest=dest,
        action=_DeprecatedAlias,
        new=new,
        convert=convert,
        default=argparse.SUPPRESS,
        help=argparse.SUPPRESS,
        **kwargs,
    )


def add_samples_argument(p: argparse.ArgumentParser, *, what: str, allow_zero: bool) -> None:
    """``--samples N`` with the API default :data:`DEFAULT_SAMPLES`."""
    skip = "; 0 skips the estimate" if allow_zero else ""
    p.add_argument(
        "--samples",
        type=int,
        default=DEFAULT_SAMPLES,
        metavar="N",
        help=f"Monte-Carlo initialisations {what} (default {DEFAULT_SAMPLES}, as "
        f"in the Python API{skip})",
    )


def add_optimizer_arguments(p: argparse.ArgumentParser) -> None:
    """``--optimizer NAME`` and its settings (docs/math/optimizers.md)."""
    g = p.add_argument_group("optimizer (default: plain gradient descent)")
    g.add_argument(
        "--optimizer",
        choices=("gd", "heavy-ball", "nesterov", "layerwise-gd", "adam"),
        default="gd",
        help="the map that is iterated (default gd); its critical learning rate replaces eta*",
    )
    g.add_argument("--beta", type=float, default=0.9, metavar="B",
                   help="momentum of heavy-ball and nesterov (default 0.9)")  # fmt: skip
    g.add_argument("--layer-lrs", type=float, nargs="+", default=None, metavar="R",
                   help="layerwise-gd: relative step size of each layer")  # fmt: skip
    g.add_argument("--beta1", type=float, default=0.9, metavar="B1",
                   help="adam: first-moment coefficient (default 0.9)")  # fmt: skip
    g.add_argument("--beta2", type=float, default=0.999, metavar="B2",
                   help="adam: second-moment coefficient (default 0.999)")  # fmt: skip
    g.add_argument("--eps", type=float, default=1e-8, metavar="E",
                   help="adam: epsilon (default 1e-8)")  # fmt: skip
    g.add_argument("--frozen", type=float, nargs="+", default=None, metavar="P",
                   help="adam: a frozen diagonal preconditioner, one per parameter")  # fmt: skip


def build_optimizer(args: argparse.Namespace) -> Any:
    """The optimiser chosen by ``--optimizer`` (None for plain GD), validated by its class."""
    import dynsys_gd as dg

    name = args.optimizer
    if name == "heavy-ball":
        return dg.HeavyBall(args.beta)
    if name == "nesterov":
        return dg.Nesterov(args.beta)
    if name == "layerwise-gd":
        if args.layer_lrs is None:
            raise InvalidParameterError(
                "--layer-lrs must be given with --optimizer layerwise-gd (one value per layer); "
                "got none"
            )
        return dg.LayerwiseGD(args.layer_lrs)
    if name == "adam":
        return dg.Adam(args.beta1, args.beta2, args.eps, frozen=args.frozen)
    return None


def build_network(args: argparse.Namespace) -> LinearNetwork:
    """The :class:`~dynsys_gd.LinearNetwork` chosen by the network options (validated)."""
    name = args.network
    if name is None:
        name = "identity" if args.widths is not None else "scalar"
    if name not in NETWORKS:
        raise InvalidParameterError(
            f"network must be one of {', '.join(map(repr, NETWORKS))}; got {name!r}"
        )
    if name == "whitened":
        target = 1.0 if args.target is None else check_real("target", args.target)
    else:
        target = 1.0 if args.target is None else check_target(args.target)
    if name == "scalar":
        if args.widths is not None:
            raise InvalidParameterError(
                "widths must not be given for the scalar network "
                f"(use --depth); got widths {args.widths}"
            )
        depth = check_int("depth", 3 if args.depth is None else args.depth, minimum=1)
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
    Syx = np.zeros((widths[-1], widths[0]))
    for k in range(min(widths[0], widths[-1])):
        Syx[k, k] = target
    net = LinearNetwork.from_covariances(tuple(widths), Sxx=np.eye(widths[0]), Syx=Syx)
    net.require_manifold()
    return net


def network_label(net: LinearNetwork) -> str:
    """Short label of a network for figure titles."""
    if net.is_scalar:
        return f"scalar net N={net.depth}, y={net.target:g}"
    return f"linear net widths {'x'.join(map(str, net.widths))}"


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
    """Check that a results file can be created or appended to, before the computation.

    Raises
    ------
    InvalidParameterError
        If the path is a directory, its directory does not exist, an existing file is not
        readable, or a new file cannot be created there.
    """
    p = Path(path)
    if p.exists() and p.is_dir():
        raise InvalidParameterError(f"{option} must be a file path; got the directory {str(p)!r}")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise InvalidParameterError(
            f"{option} must be in an existing directory; {str(parent)!r} does not exist"
        )
    # an existing results store may be read-only: it then opens read-only and serves its
    # results (a task it lacks fails with one line when it would be stored)
    ok = os.access(p, os.R_OK) if p.exists() else os.access(parent, os.W_OK | os.X_OK)
    if not ok:
        raise InvalidParameterError(
            f"{option} must be readable (an existing store) or creatable; got {str(p)!r}"
        )
    return p


def progress_flag(args: argparse.Namespace) -> bool | None:
    """``progress=`` for the API: False with ``--quiet`` or ``--json``, else None (auto: on in a
    terminal or notebook, off in pipes, CI and tests)."""
    if getattr(args, "quiet", False) or getattr(args, "json", False):
        return False
    return None


def progress_chunk(n_samples: int) -> int:
    """Runs per work unit for a Monte-Carlo job of ``n_samples`` runs, so its bar advances in
    about 20 steps (at least 64 runs a unit; results do not depend on the chunking)."""
    return max(64, -(-int(n_samples) // 20))


class Stages:
    """A bar over the named stages of a command (stderr; shown as :func:`progress_flag` says).

    Stages that run a Monte-Carlo job draw their own bar over its runs (the API's
    ``progress=``); this bar counts the stages around them.
    """

    def __init__(self, total: int, *, progress: bool | None, desc: str) -> None:
        from ..runtime.progress import progress_bar

        self._bar = progress_bar(total, desc, progress)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Run one stage named ``name``."""
        self._bar.set_postfix(name)
        try:
            yield
        finally:
            self._bar.update(1)

    def close(self) -> None:
        """Remove the bar."""
        self._bar.close()


def save(fig: Any, outdir: Path, stem: str, written: list[Path]) -> None:
    """Save ``fig`` as PNG and PDF into ``outdir`` and record the PNG path."""
    from ..reporting.style import save_figure

    paths = save_figure(fig, outdir / stem)
    written.append(paths[0])
