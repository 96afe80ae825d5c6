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
# # 09 — Fractal basin boundaries and trainability maps
#
# Basins of attraction on a grid (`basins_of_attraction`), for any map and for GD on a model,
# and four measures of how fractal their boundary is: the box-counting dimension, the
# uncertainty exponent, the basin entropy and the fractal test.  Every measure is a fit or a
# statistic at the scales of the grid: its `.plot()` shows the fit, and the maths page
# (docs/math/basins.md) lists what was reproduced and what was not.

# %%
import os

import numpy as np

import dynsys_gd as dg

FAST = os.environ.get("DYNSYS_GD_FAST") == "1"
N = 200 if FAST else 800

# %% [markdown]
# ## The Newton map of $z^3 - 1$
#
# Three roots, three basins, a boundary published with box-counting dimension 1.42.


# %%
def newton(x):
    z = x[..., 0] + 1j * x[..., 1]
    z = z - (z**3 - 1) / (3 * z**2)
    return np.stack([z.real, z.imag], axis=-1)


import matplotlib.pyplot as plt

g = np.linspace(-1, 1, N)
nb = dg.basins_of_attraction(dg.IteratedMap(newton, 2, name="Newton z^3-1"), (g, g), steps=100)
print(nb.summary())
nb.plot()
plt.show()

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
d = dg.boundary_dimension(nb)
u = dg.uncertainty_exponent(nb)
t = dg.fractal_test(nb, 10)
for obj, ax in zip((d, u, t), axes, strict=True):
    obj.plot(ax=ax)
    print(obj.summary())
print(dg.basin_entropy(nb, 5).summary())
plt.show()

# %% [markdown]
# The "1.42" comes from Attractors.jl's tests, which check $\alpha = 2 - D$ in $[0.55, 0.65]$
# on a $300^2$ grid, counting boxes of 5 to 30 pixels that hold more than one basin.  The same
# count here:

# %%
g300 = np.linspace(-1, 1, 300)
nb300 = dg.basins_of_attraction(dg.IteratedMap(newton, 2), (g300, g300), steps=100)
print(dg.boundary_dimension(nb300, scales=range(5, 31), method="mixed").summary())

# %% [markdown]
# The three basins share one boundary (the Julia set of the Newton map): the Wada property.
# The merging test compares the boundary of each basin against the union of the others.

# %%
wt = dg.wada_test(nb, 5)
print(wt.summary())
wt.plot()
plt.show()

# %% [markdown]
# ## GD on $\tfrac12(xy-1)^2$ at $\eta = 1.01\,\eta^*$
#
# No minimum is stable here ($x^2 + y^2 \ge 2 > 2/\eta$ on $xy = 1$); the runs that do not
# diverge settle on period-2 orbits or stay undecided within the budget (slow drift along the
# neutral direction, or chaos).  The boundary between diverging and the rest is smooth.

# %%
xy = dg.LinearNetwork.scalar(depth=2, target=1.0)
g = np.linspace(-2, 2, 128 if FAST else 512)
xb = dg.basins_of_attraction(xy, (g, g), lr=1.01, steps=1000)
print(xb.summary())
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
xb.plot(ax=axes[0])
test = dg.fractal_test(xb.divergence_map(), 8)
test.plot(ax=axes[1])
print(test.summary())
plt.show()

# %% [markdown]
# ## Liang & Montúfar's regularised loss
#
# $(xy - 1)^2 + 0.3(x^2 + y^2)$ (their loss, no $\tfrac12$, their step size $\eta = 0.6$):
# the boundary between converging and diverging initialisations grows thin fingers at every
# scale, and the fractal test says "fractal" (its statistic is negative: discs across the
# fingers hold less entropy than discs cut by a straight line).  $\tfrac12(xy-1)^2$ at the
# same step (lr $= 1.2$ on our loss) is smooth.

# %%
import sympy

x, y = sympy.symbols("x y")
reg = dg.LossModel((x * y - 1) ** 2 + sympy.Rational(3, 10) * (x**2 + y**2), [x, y])
g = np.linspace(-4, 4, 256 if FAST else 1024)
rb = dg.basins_of_attraction(reg, (g, g), lr=0.6, steps=1000).divergence_map()
pb = dg.basins_of_attraction(xy, (g, g), lr=1.2, steps=1000).divergence_map()
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
for b, ax in zip((rb, pb), axes, strict=True):
    b.plot(ax=ax)
    print(dg.fractal_test(b, 8).summary())
axes[0].set_title("(xy-1)^2 + 0.3(x^2+y^2), eta = 0.6", fontsize=9)
axes[1].set_title("(xy-1)^2, eta = 0.6 (lr 1.2 on 1/2 (xy-1)^2)", fontsize=9)
plt.show()

# %% [markdown]
# ## A trainability map
#
# A tanh network of width 16 and depth 2 with as many data points as parameters; layer 1 is
# trained at $\eta_1$, layer 2 at $\eta_2$.  Red: diverged; blue: log of the mean loss over the
# run (Sohl-Dickstein's convergence score).

# %%
model, theta0 = dg.sohl_dickstein_mlp("tanh", width=16, n_in=2, seed=0)
M = 40 if FAST else 160
lrs = np.logspace(-1, 1.5, M)
tm = dg.trainability_map(model, lrs, lrs, theta0=theta0, steps=200 if FAST else 500)
print(tm.summary())
tm.plot()
plt.show()

# %% [markdown]
# ## Deep zoom
#
# `zoom_sequence` zooms by 10 at each level around a point of the boundary (found by
# multisection between two neighbouring pixels with different outcomes) and measures the
# boundary dimension in every window.  The full sequence to $10^{-10}$ on a $128^2$ map is
# measured on the maths page (docs/math/basins.md); here a short one.

# %%
small = dg.trainability_map(
    model,
    np.logspace(-1, 1.5, 32 if FAST else 128),
    np.logspace(-1, 1.5, 32 if FAST else 128),
    theta0=theta0,
    steps=100 if FAST else 500,
)
zs = dg.zoom_sequence(small, depth=1e2 if FAST else 1e4)
print(zs.summary())
zs.plot()
plt.show()
