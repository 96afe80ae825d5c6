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
# # 07 — Beyond the paper: periodic orbits, period doubling, chaos and the null convergent set
#
# Above the critical step size $\eta^* = 2/S_{\min}$ (**C5**, docs/math/claims.md#c5) GD converges from a null set
# of initialisations (**C6**).  What does it do instead?  **C8** (docs/math/claims.md#c8) says bounded runs settle
# on period-2 orbits near the flattest minima (a flip bifurcation at $\eta^*$, where
# $1 - \eta S_{\min} = -1$), then period doubling and chaos, then divergence.  This notebook
# measures all of it for $L(x, y) = \frac12(xy - 1)^2$ ($S_{\min} = 2$, $\eta^* = 1$) and the
# scalar depth-3 network, and makes the null convergent set visible in 100-digit arithmetic.

# %%
import os

import numpy as np
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.analysis.bifurcation import (
    FEIGENBAUM_DELTA,
    bifurcation_diagram,
    period_doubling_cascade,
)
from dynsys_gd.analysis.nullset import follow_null_point, null_points_on_line, null_set_slice
from dynsys_gd.numeric.orbits.lyapunov import lyapunov_exponent
from dynsys_gd.numeric.orbits.periodic import LogisticMap, find_periodic_orbits, period_two_orbit
from dynsys_gd.reporting import (
    plot_bifurcation,
    plot_lyapunov,
    plot_null_point_run,
    plot_null_set,
)

FAST = os.environ.get("DYNSYS_GD_FAST") == "1"
x, y = sp.symbols("x y")
XY = dg.LossModel(sp.Rational(1, 2) * (x * y - 1) ** 2, (x, y), name="xy")

# %% [markdown]
# ## 1. The period-2 orbit born at $\eta^*$
# Found by iterating from the flattest minimum $(1, 1)$ displaced along the top Hessian
# eigenvector, refined by minimum-norm Newton on $G_\eta^2(\theta) - \theta$; its Floquet
# multipliers are the eigenvalues of $DG(\theta_1)\,DG(\theta_0)$, $DG = I - \eta H$.

# %%
orb = period_two_orbit(XY, 1.05, theta_min=[1.0, 1.0])
print(orb.summary())
assert orb.period == 2 and orb.stable

rng = np.random.default_rng(0)
for o in find_periodic_orbits(XY, 1.05, rng.uniform(-2, 2, (32, 2))):
    print(repr(o))

# %% [markdown]
# ## 2. Bifurcation diagram and the period-doubling cascade
# The flip happens at $\eta^* = 1$; the next doublings are located by following the orbit with
# Newton and bisecting on its stability.  On the invariant diagonal $x = y$ the second one is at
# $\sqrt5 - 1$.  The ratios of successive intervals approach Feigenbaum's $\delta$, as for the
# logistic map (check: $r_1 = 3$, $r_2 = 1 + \sqrt6$).

# %%
n_lr = 40 if FAST else 300
lrs = np.linspace(0.9, 1.35, n_lr)
diag = bifurcation_diagram(
    XY,
    lrs,
    n_init=8 if FAST else 32,
    transient=1500 if FAST else 4000,
    n_record=32,
    critical_lr=1.0,
)
print("first flip (period 1 -> 2) between", diag.first_flip())
casc = period_doubling_cascade(
    XY, 0.9, 1.45, [[1.0, 1.0]], n_doublings=3 if FAST else 5, name="1/2 (xy-1)^2"
)
print(casc.summary())
assert abs(casc.points[0] - 1.0) < 1e-8 and abs(casc.points[1] - (np.sqrt(5) - 1)) < 1e-7
plot_bifurcation(diag, cascade=casc, title=r"GD on $\frac{1}{2}(xy-1)^2$")

# %%
logi = period_doubling_cascade(
    LogisticMap, 2.8, 3.5695, [[0.5]], n_doublings=4 if FAST else 5, name="logistic map"
)
print(logi.summary())
print(f"Feigenbaum delta = {FEIGENBAUM_DELTA}")

# %%
net = dg.LinearNetwork.scalar(3, 1.0)
casc3 = period_doubling_cascade(
    net, 0.6, 0.9, [[1.0, 1.0, 1.0]], n_doublings=3 if FAST else 4, name="scalar N=3, y=1"
)
print(casc3.summary())
assert abs(casc3.points[0] - 2 / 3) < 1e-8  # eta* = 2/N for y = 1 (C5)

# %% [markdown]
# ## 3. Lyapunov exponents
# Tangent-map iteration $v \leftarrow (v - \eta H v)/\lVert\cdot\rVert$ with the model's
# Hessian-vector product.  Check: logistic map at $r = 4$ gives $\ln 2$.

# %%
ly4 = lyapunov_exponent(
    LogisticMap(4.0),
    np.random.default_rng(1).uniform(0.05, 0.95, (500, 1)),
    n_steps=2000 if FAST else 10000,
    transient=100,
)
print(ly4.summary(), " ln 2 =", np.log(2))

lrs_l = np.linspace(0.95, 1.45, 12 if FAST else 60)
means, lows, highs = [], [], []
for lr in lrs_l:
    res = lyapunov_exponent(
        XY,
        np.array([[1.0, 1.0 + 1e-6], [0.9, 1.2]]),
        lr,
        n_steps=800 if FAST else 4000,
        transient=300 if FAST else 2000,
    )
    b = res.bounded
    means.append(np.nan if res.mean is None else res.mean)  # None: every run diverged
    lows.append(b.min() if b.size else np.nan)
    highs.append(b.max() if b.size else np.nan)
plot_lyapunov(
    lrs_l,
    means,
    eta_star=1.0,
    spread=(lows, highs),
    title=r"largest Lyapunov exponent, $\frac{1}{2}(xy-1)^2$",
)

# %% [markdown]
# ## 4. The null convergent set, made visible
# For $\eta = 1.1 > \eta^*$, points $\theta_0$ with $G_\eta(\theta_0) \in M$ are constructed at
# 110 digits on horizontal lines.  GD in 100-digit arithmetic stays on $M$ (G fixes M pointwise);
# float64 GD from the same (rounded) point is pushed off $M$, which is unstable above $\eta^*$.

# %%
h_xy = lambda t: t[0] * t[1] - 1  # noqa: E731
pts = null_points_on_line(XY, 1.1, [0.0, 0.7], [1.0, 0.0], k=1, constraint=h_xy, dps=110)
run = follow_null_point(XY, 1.1, pts[0], k=1, n_steps=201, dps=100, constraint=h_xy)
print(run.summary())
assert run.stays_on_m_steps >= 200 and run.float_outcome != "stayed on M"
plot_null_point_run(run)

# %%
levels = np.linspace(-2, 2, 21 if FAST else 121)
slices = {
    k: null_set_slice(
        XY, 1.1, k=k, constraint=h_xy, levels=levels, n_grid=200 if FAST else 600, dps=40
    )
    for k in (1, 2)
}
u = np.linspace(0.5, 2, 200)
manifold = np.concatenate([np.c_[u, 1 / u], np.c_[-u, -1 / u]])
print({k: len(v) for k, v in slices.items()})
plot_null_set(
    slices,
    manifold=manifold,
    title=r"$\{\theta: G_\eta^k(\theta)\in M\}$, $\eta = 1.1$: curves (measure zero)",
)
