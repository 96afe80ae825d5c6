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
# # 10 — Continuation in the step size: flips, normal forms, attractor fractions, chaos
#
# The sharp transition at $\eta^* = 2/S_{\min}$ is a **flip** (period-doubling) bifurcation of the
# GD map at the flattest minimum, in the direction normal to the minima manifold
# (docs/math/continuation.md).  `dg.continue_orbits` follows fixed points and period-$k$ orbits
# by pseudo-arclength, locates flips, folds and Neimark–Sacker points, computes the flip's
# normal-form coefficient (supercritical when $c > 0$) and switches onto the doubled branch.

# %%
import os

import numpy as np

import dynsys_gd as dg

FAST = os.environ.get("DYNSYS_GD_FAST") == "1"

# %% [markdown]
# ## The logistic map: the first four flips
#
# $x \mapsto r x(1-x)$ flips at $r = 3$, $1 + \sqrt6$, $3.5440903595519\ldots$; the ratios of
# successive gaps approach Feigenbaum's $\delta = 4.669\ldots$.

# %%
logistic = dg.IteratedMap(
    lambda x, r: r * x * (1 - x), 1, lambda x, r: (r * (1 - 2 * x))[..., None], name="logistic"
)
cascade = dg.continue_orbits(logistic, (2.5, 3.57), [0.5], doublings=3, ds=0.05, ds_max=0.1)
print(cascade.summary())
rs = np.array([b.param for b in cascade.flips()])
print("1 + sqrt 6 - r_2 =", 1 + np.sqrt(6) - rs[1])
print("gap ratios:", np.diff(rs)[:-1] / np.diff(rs)[1:])

# %%
cascade.plot()

# %% [markdown]
# ## GD on $\frac12(xy-1)^2$: the flip at $\eta^* = 1$ and its period-2 orbit
#
# The balanced minimum $(1, 1)$ is a fixed point for every $\eta$ (it sits on a continuum of
# minima: one multiplier is always 1).  Its other multiplier $1 - 2\eta$ crosses $-1$ at
# $\eta = 1$; the stable 2-cycle born there is continued to $\eta = 1.2$.

# %%
xy = dg.LinearNetwork.scalar(2, 1.0)
res = dg.continue_orbits(xy, (0.5, 1.2), [1.0, 1.0], doublings=1)
print(res.summary())
two = res.branches[1]
print("period-2 multipliers at eta = 1.2:", np.round(two.points[-1].multipliers, 12))

# %%
res.plot()

# %% [markdown]
# ## Heavy ball: the flip moves to $(2 + 2\beta)/S_{\min}$
#
# The flip curve in $(\eta, \beta)$ against the closed form $(2 + 2\beta)/2$.

# %%
betas = np.linspace(0.0, 0.9, 4 if FAST else 10)
curve = dg.flip_curve(lambda b: (xy, dg.HeavyBall(b)), betas, [1.0, 1.0], 1.0)
print("max |eta*(beta) - (2 + 2 beta)/2| =", np.abs(curve.params - (1 + betas)).max())

# %% [markdown]
# ## Attractor fractions across $\eta^*$
#
# Each initialisation ends on a minima branch, a period-2 orbit, diverges, or is undecided within
# the budget; identities are matched across $\eta$ and every fraction has its Clopper–Pearson
# interval.  At $\eta = 1$ exactly the minimum's multiplier is $-1$: runs approach it only
# algebraically, so within the budget they are *undecided* (not "did not converge").

# %%
lrs = np.linspace(0.9, 1.1, 5 if FAST else 11)
af = dg.attractor_fractions(xy, lrs, n_samples=200 if FAST else 2000, n_steps=3000)
print(af.summary())

# %%
af.plot()

# %% [markdown]
# ## Chaos statistics: the Hénon map
#
# The QR method gives both exponents; their sum equals $\langle\ln|\det DG|\rangle = \ln 0.3$ on
# every run (checked).

# %%
henon = dg.IteratedMap(
    lambda v: np.stack([1 - 1.4 * v[..., 0] ** 2 + v[..., 1], 0.3 * v[..., 0]], -1), 2, name="henon"
)
x0 = 0.1 * np.random.default_rng(0).standard_normal((4 if FAST else 16, 2))
spec = dg.lyapunov_spectrum(henon, x0, 5000 if FAST else 50000)
print(spec.summary())
print("sum - ln 0.3 =", spec.exponents.sum() - np.log(0.3))

# %%
dens = dg.invariant_density(logistic, x0[:, :1] ** 2, 20000, lr=4.0, bins=40, value_range=(0, 1))
print(dens.summary())
