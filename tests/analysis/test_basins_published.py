"""Published verdicts on GD basins: Liang & Montufar's regularised loss has a fractal boundary
between converging and diverging initialisations, (xy - 1)^2 a smooth one."""

from __future__ import annotations

import numpy as np
import sympy

import dynsys_gd as dg
from dynsys_gd.cli import main


def _regularised() -> dg.LossModel:
    """Their loss (xy - 1)^2 + 0.3 (x^2 + y^2) on the plane u = x e, v = y e of R^10 x R^10:
    GD stays on that plane and (u.v, |u|^2 + |v|^2) evolve by themselves, so the plane sees
    every outcome of the 20-parameter problem."""
    x, y = sympy.symbols("x y")
    return dg.LossModel((x * y - 1) ** 2 + sympy.Rational(3, 10) * (x**2 + y**2), [x, y])


def test_regularised_loss_is_fractal_and_plain_loss_is_smooth_at_the_same_step():
    g = np.linspace(-4, 4, 512)
    eta = 0.6  # their step size on their loss (no 1/2)
    reg = dg.basins_of_attraction(_regularised(), (g, g), lr=eta, steps=600).divergence_map()
    xy = dg.LinearNetwork.scalar(depth=2, target=1.0)  # 1/2 (xy - 1)^2: twice their step
    plain = dg.basins_of_attraction(xy, (g, g), lr=2 * eta, steps=600).divergence_map()
    for r in (8, 16):
        t_reg, t_plain = dg.fractal_test(reg, r), dg.fractal_test(plain, r)
        assert t_reg.verdict == "fractal" and t_reg.statistic < -3  # thin fingers
        assert t_plain.verdict == "smooth"
    assert dg.boundary_dimension(reg).value > dg.boundary_dimension(plain).value + 0.1


def test_cli_regularised_loss_and_mixed_box_count(capsys):
    args = ["basins", "--l2", "0.15", "--lr", "1.2", "--extent", "4", "--samples", "128"]
    assert main([*args, "--steps", "300", "--count", "mixed", "--scales", "2:8"]) == 0
    out = capsys.readouterr().out
    assert "minimum near (0.837, 0.837)" in out  # x = y, x^2 = 1 - 0.3 on the regularised loss
    assert "boxes counted: mixed" in out
