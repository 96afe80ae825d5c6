# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 — Basins of attraction on 2-D slices (C6, C8)
#
# Colour every point of a plane $\{c + a u + b v\}$ of parameter space by the outcome of GD
# started there: converged, diverged, periodic orbit, bounded without converging, or undecided
# (budget exhausted without a certificate).  Below $\eta^*$ the converged basin has positive
# area; above $\eta^*$ it is null (C6) — it does not vanish from the picture because of a
# coarse grid, it is a set of measure zero — and bounded runs settle on period-2 orbits near
# the flattest minima or on chaotic sets (C8).

# %%
import os

import numpy as np

import dynsys_gd as dg
import dynsys_gd.reporting as F
from dynsys_gd.reporting import new_figure

FAST = os.environ.get("DYNSYS_GD_FAST") == "1"
RES = 41 if FAST else 201

# %% [markdown]
# ## $\frac12(xy-1)^2$ in its own coordinates, $\eta^* = 1$
#
# The minima are the hyperbola $xy = 1$ (dashed).  At $\eta = 0.9$ GD converges from a large
# region; at $\eta = 1.01$ about two thirds of the box stay bounded (on period-2 orbits) and the
# only grid points that converge are points of null sets the grid happens to hit exactly: grid
# points lying on $M$ itself ($G_\eta$ fixes $M$ pointwise, e.g. $(1, 1)$, $(\frac12, 2)$) and
# points of the anti-diagonal $x = -y$, the stable manifold of the strict saddle at the origin.

# %%
xy = dg.LinearNetwork.scalar(depth=2, target=1.0)
e1, e2 = np.eye(2)
t = np.linspace(0.5, 2.0, 100)
hyperbola = [(t, 1 / t), (-t, -1 / t)]
fig, axes = new_figure(1, 2, width=12, height=4.6)
slices = {}
for ax, lr in zip(axes, (0.9, 1.01), strict=True):
    bs = dg.basin_slice(xy, lr, center=np.zeros(2), u=e1, v=e2, extent=2.0, resolution=RES)
    slices[lr] = bs
    F.plot_basin_slice(bs, lr=lr, axis_labels=("$x$", "$y$"), curves=hyperbola, ax=ax)
fig  # noqa: B018

# %%
conv = dg.Outcome.CONVERGED.code
print(slices[0.9].summary())
print(slices[1.01].summary())
share_below = slices[0.9].converged_fraction
share_above = slices[1.01].converged_fraction
print(
    f"converged share of the grid: eta = 0.9 -> {share_below:.3f}, eta = 1.01 -> {share_above:.3f}"
)
assert share_below > 0.5
assert share_above < 0.01  # only points that land exactly on a saddle / on M (measure zero)

# %% [markdown]
# ## Depth 3, $y = 2$: the slice through the flattest minimum
#
# $u$ points along $M$ (the rebalancing direction $(w_1, -w_2, 0)$), $v$ along the normal
# direction (the gradient of the product).  Just below $\eta^*$ the basin is a thin band around
# $M$ close to the balanced minimum; just above, runs near the balanced minimum oscillate on a
# period-2 orbit instead of converging (the flip bifurcation of C8).

# %%
net = dg.LinearNetwork.scalar(depth=3, target=2.0)
eta_star = dg.critical_lr(net)
w = np.full(3, 2.0 ** (1 / 3))
u = np.array([w[0], -w[1], 0.0]) / np.linalg.norm([w[0], -w[1]])
v = np.array([w[1] * w[2], w[0] * w[2], w[0] * w[1]])
v = v / np.linalg.norm(v)
fig, axes = new_figure(1, 2, width=12, height=4.6)
slices3 = {}
for ax, rel in zip(axes, (0.95, 1.05), strict=True):
    bs = dg.basin_slice(net, rel * eta_star, center=w, u=u, v=v, extent=1.0, resolution=RES)
    slices3[rel] = bs
    F.plot_basin_slice(
        bs, axis_labels=("$a$ (along $M$)", "$b$ (normal)"), ax=ax, title=rf"$\eta = {rel}\,\eta^*$"
    )
fig  # noqa: B018

# %%
c95 = slices3[0.95].outcome
c105 = slices3[1.05].outcome
print("eta = 0.95 eta*: converged share", float(np.mean(c95 == conv)))
print(
    "eta = 1.05 eta*: converged share",
    float(np.mean(c105 == conv)),
    "| periodic share",
    float(np.mean(c105 == dg.Outcome.PERIODIC.code)),
)
assert np.mean(c95 == conv) > 0.0
assert np.mean(c105 == conv) < 0.01
