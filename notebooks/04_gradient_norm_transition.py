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
# # 04 — The sharp transition of the asymptotic gradient norm (C7)
#
# Let $g_\infty(\eta)$ be the asymptotic gradient norm: the median over initialisations of the
# mean $\lVert\nabla L\rVert$ over the last $K$ steps of the runs that do not diverge.
# **C7** (docs/math/claims.md#c7): $g_\infty(\eta) = 0$ below $\eta^* = 2/S_{\min}$ and it becomes positive above
# $\eta^*$.  Below $\eta^*$ runs converge to stable minima; above it no minimum is stable, and
# bounded runs settle on period-2 orbits around the flattest minima (**C8**: a flip bifurcation
# at $\eta^*$, where $1 - \eta S_{\min} = -1$) and later on chaotic attractors.
#
# The computation below is a plain batched GD over all (learning rate, initialisation) pairs at
# once, using the toolkit's numeric kernels (`dg.numeric_model`).

# %%
import os

import numpy as np

import dynsys_gd as dg
import dynsys_gd.reporting as F
from dynsys_gd.reporting import mark_critical_lr, new_figure

FAST = os.environ.get("DYNSYS_GD_FAST") == "1"
N_INIT = 150 if FAST else 1000
N_LR = 11 if FAST else 41
STEPS = 3000 if FAST else 20000
LAST_K = 200


# %%
def asymptotic_gradient_norm(net, lrs, *, n_init, steps, last_k, scale=2.0, seed=0):
    r"""Median (and quartiles) over initialisations of the mean $\lVert\nabla L\rVert$ over the
    last ``last_k`` of ``steps`` GD steps, per learning rate; NaN where every run diverged.

    All ``len(lrs) * n_init`` runs advance together as one batch (one row per run).
    """
    model = dg.numeric_model(net)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    theta0 = rng.uniform(-scale, scale, size=(n_init, net.n_params))
    theta = np.tile(theta0, (len(lrs), 1))  # same initialisations for every lr
    eta = np.repeat(np.asarray(lrs, dtype=float), n_init)[:, None]
    acc = np.zeros(theta.shape[0])
    alive = np.ones(theta.shape[0], dtype=bool)
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(steps):
            idx = np.flatnonzero(alive)
            g = model.gradient(theta[idx])
            gn = np.linalg.norm(g, axis=1)
            bad = ~np.isfinite(gn) | (np.abs(theta[idx]).max(axis=1) > 1e8)
            alive[idx[bad]] = False
            ok = idx[~bad]
            theta[ok] -= eta[ok] * g[~bad]
            if step >= steps - last_k:
                acc[ok] += gn[~bad] / last_k
    acc = acc.reshape(len(lrs), n_init)
    alive = alive.reshape(len(lrs), n_init)
    med, q1, q3 = (np.full(len(lrs), np.nan) for _ in range(3))
    for i in range(len(lrs)):
        if alive[i].any():
            med[i], q1[i], q3[i] = np.quantile(acc[i, alive[i]], [0.5, 0.25, 0.75])
    return med, q1, q3, alive.mean(axis=1)


# %% [markdown]
# ## $\frac12 (xy - 1)^2$ (scalar network of depth 2): $\eta^* = 1$

# %%
net = dg.LinearNetwork.scalar(depth=2, target=1.0)
eta_star = dg.critical_lr(net)
assert abs(eta_star - 1.0) < 1e-9
lrs = eta_star * np.linspace(0.8, 1.2, N_LR)
g_inf, q1, q3, bounded = asymptotic_gradient_norm(
    net, lrs, n_init=N_INIT, steps=STEPS, last_k=LAST_K
)
for lr, g, b in zip(lrs, g_inf, bounded, strict=True):
    print(f"eta/eta* = {lr / eta_star:5.3f}   g_inf = {g:9.3g}   non-divergent runs {b:5.1%}")

# %%
below = lrs < 0.97 * eta_star
above = lrs > 1.03 * eta_star
assert np.all(g_inf[below] < 1e-8), g_inf[below]
assert np.all(g_inf[above] > 1e-3), g_inf[above]
F.plot_gradient_norm_transition(
    lrs, g_inf, q_low=q1, q_high=q3, eta_star=eta_star, floor=1e-16, title=r"$\frac{1}{2}(xy-1)^2$"
)

# %% [markdown]
# ## Scalar network of depth 3, $y = 2$: $\eta^* = 2/(3\cdot 2^{4/3}) \approx 0.264567$
#
# Plotted against $\eta/\eta^*$, with the fraction of runs that stay bounded.

# %%
net3 = dg.LinearNetwork.scalar(depth=3, target=2.0)
eta3 = dg.critical_lr(net3)
assert abs(eta3 - 0.264567) < 1e-6
lrs3 = eta3 * np.linspace(0.8, 1.2, N_LR)
g3, a3, b3, bounded3 = asymptotic_gradient_norm(
    net3, lrs3, n_init=N_INIT, steps=STEPS, last_k=LAST_K, seed=1
)
fig, axes = new_figure(1, 2, width=11, height=4)
F.plot_gradient_norm_transition(
    lrs3 / eta3,
    g3,
    q_low=a3,
    q_high=b3,
    eta_star=1.0,
    eta_star_label=r"$\eta = \eta^*$",
    ax=axes[0],
    title="scalar net N = 3, y = 2",
)
axes[0].set_xlabel(r"$\eta / \eta^*$")
axes[1].plot(lrs3 / eta3, bounded3, marker="o")
mark_critical_lr(axes[1], 1.0, label=r"$\eta = \eta^*$")
axes[1].set_xlabel(r"$\eta / \eta^*$")
axes[1].set_ylabel("fraction of runs that stay bounded")
axes[1].set_ylim(0, 1.02)
fig  # noqa: B018

# %%
assert np.all(g3[lrs3 < 0.97 * eta3] < 1e-8)
assert np.all(g3[lrs3 > 1.03 * eta3] > 1e-3)
print("C7 transition observed for N = 2 and N = 3: g_inf = 0 below eta*, > 0 above")

# %% [markdown]
# ## The same quantity from the toolkit's sweep
#
# `dg.lr_sweep` reports $g_\infty(\eta)$ for every learning rate (median of the tail gradient
# norm over non-divergent runs, with a distribution-free confidence interval of the median),
# using the engine with its convergence certificate.

# %%
sweep = dg.lr_sweep(net, [0.9, 0.95, 1.05, 1.1], n_samples=60 if FAST else 500, seed=3)
print(sweep.summary())
g_sweep = np.asarray(sweep.g_inf)
assert np.all(g_sweep[:2] < 1e-8) and np.all(g_sweep[2:] > 1e-3)
F.plot_gradient_norm_transition(sweep, eta_star=eta_star, title="from dg.lr_sweep")
