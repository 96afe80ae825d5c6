"""The commands of ``dynsys-gd`` by name, with their one-line help, known without importing them.

Each command ``NAME`` is the module ``dynsys_gd.cli.NAME``.  Its one-line help lives here, so
``dynsys-gd --help`` can list every command while a run imports only the module of the command
it runs (the derivation command alone pulls in sympy, which costs more than the analysis).  A new
command is one module plus one line here.
"""

from __future__ import annotations

__all__ = ["COMMANDS"]

#: command name (= module name in this package) -> one-line help, in the order they are listed
COMMANDS: dict[str, str] = {
    "analyze": "stability analysis of a linear network at one learning rate (the main job)",
    "basins": "basins of GD on a grid of initialisations and the fractal measures of their "
    "boundary",
    "derive": "print the loss, gradient, GD map (and Hessian, DG_eta, det DG) of a linear network",
    "figures": "regenerate all figures of the README (PNG and PDF)",
    "nonlinear": "sharp transition of g_inf on a small tanh/ReLU network (digits data shipped)",
    "orbits": "periodic orbits of GD, the period-doubling cascade and Lyapunov exponents (C8)",
    "prove": "verify claims C1-C9 (exact, certified, numerical, Monte-Carlo checks)",
    "sweep": "converged fraction over a grid of learning rates (resumable results file, figures)",
}
