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
# # 11 — Momentum, Nesterov and Adam near their thresholds
#
# The main theorem is about the map that is iterated. Heavy-ball momentum, Nesterov's method and
# Adam with a frozen preconditioner are maps on a larger state (parameters and buffers) with
# their own linear-stability thresholds at a minimum (docs/math/optimizers.md):
#
# | optimiser | stable iff |
# |---|---|
# | GD | $\eta\lambda < 2$ |
# | heavy ball | $\eta\lambda < 2 + 2\beta$ |
# | Nesterov | $\eta\lambda < (2 + 2\beta)/(1 + 2\beta)$ |
# | Adam, frozen $P$ | $\eta\,\mu_{\max}(P^{-1}H) < (2 + 2\beta_1)/(1 - \beta_1)$ |
#
# Above its critical step size every minimum is unstable and, the maps being non-singular, the
# optimiser converges from a null set of initialisations only. This notebook checks the sharp
# transition for each of them.

# %%
import os

import numpy as np
import sympy as sp

import dynsys_gd as dg
import dynsys_gd.reporting as F

FAST = os.environ.get("DYNSYS_GD_FAST") == "1"
N_SAMPLES = 150 if FAST else 2000
N_LR = 6 if FAST else 16  # an even count: the grid avoids eta* itself

# %% [markdown]
# ## Critical step sizes against their closed forms
#
# For the scalar network $\frac12(w_1w_2w_3 - 2)^2$ the flattest minimum has sharpness
# $S_{\min} = 3\cdot 2^{4/3}$; each optimiser's critical step size is its threshold over it.

# %%
net = dg.LinearNetwork.scalar(depth=3, target=2.0)
S = dg.min_sharpness(net)
beta = 0.5
rows = [
    ("GD", dg.GD(), 2.0),
    ("heavy ball, beta = 0.5", dg.HeavyBall(beta), 2 + 2 * beta),
    ("Nesterov, beta = 0.5", dg.Nesterov(beta), (2 + 2 * beta) / (1 + 2 * beta)),
    ("Adam, frozen P = I, beta1 = 0.9", dg.Adam(beta1=0.9, frozen=np.ones(3)), 38.0),
]
for name, opt, a in rows:
    eta = dg.critical_lr(net, optimizer=opt)
    print(f"{name:32s} eta* = {eta:.9f}   threshold / S_min = {a / S:.9f}")
    assert abs(eta - a / S) <= 1e-12 * eta

# %% [markdown]
# ## Heavy ball on $\frac12(xy-1)^2$
#
# $S_{\min} = 2$, so heavy ball with $\beta = 0.5$ has $\eta^* = 1.5$ (GD: 1). An independent
# long-run loop (`benchmarks/reference_momentum_fractions.py`, 10,000 runs, up to $10^6$ steps)
# finds 1,035 of 10,000 uniform $[-2, 2]^2$ initialisations converging at $0.99\,\eta^*$ and none
# at $1.01\,\eta^*$.

# %%
x, y = sp.symbols("x y")
xy = dg.LossModel((x * y - 1) ** 2 / 2, (x, y))
hb = dg.HeavyBall(0.5)
eta_hb = dg.critical_lr(xy, optimizer=hb)
sweep = dg.lr_sweep(xy, eta_hb * np.linspace(0.9, 1.1, N_LR), n_samples=N_SAMPLES, seed=0,
                    optimizer=hb, critical_lr=eta_hb)  # fmt: skip
print(sweep.summary())

# %%
F.plot_convergent_fraction(sweep, eta_star=eta_hb, relative=True,
                           title=r"heavy ball ($\beta = 0.5$) on $\frac{1}{2}(xy-1)^2$")  # fmt: skip

# %%
fr = np.asarray(sweep.fraction)
rel = np.asarray(sweep.lrs) / eta_hb
assert np.all(fr[rel > 1 + 1e-9] == 0.0) and np.all(fr[rel < 1 - 1e-9] > 0.0), fr
assert int(np.sum(sweep.counts["undecided"])) == 0
print("sharp transition at (2 + 2 beta) / S_min: positive below, exactly 0 above")

# %% [markdown]
# Above the threshold the runs that stay bounded settle on period-2 orbits of the momentum map,
# born in the flip at $\eta^*$ (on the state $(\theta, m)$, the velocity alternates in sign):

# %%
orbits = dg.find_periodic_orbits(xy, 1.05 * eta_hb, np.array([[1.2, 0.9], [0.4, 1.8]]),
                                 optimizer=hb)  # fmt: skip
for o in orbits:
    print(f"period {o.period}, stable {o.stable}, points (x, y, m_x, m_y):")
    print(np.round(o.points, 5))
assert any(o.period == 2 and o.stable for o in orbits)

# %% [markdown]
# ## Nesterov becomes unstable earlier than GD
#
# With $\beta = 0.5$ Nesterov's threshold is $1.5 < 2$: on $\frac12(xy-1)^2$ its critical step
# size is $0.75$, below GD's 1.

# %%
nes = dg.Nesterov(0.5)
eta_n = dg.critical_lr(xy, optimizer=nes)
lo = dg.estimate_convergent_fraction(xy, 0.98 * eta_n, n_samples=N_SAMPLES, seed=1, optimizer=nes)
hi = dg.estimate_convergent_fraction(xy, 1.02 * eta_n, n_samples=N_SAMPLES, seed=1, optimizer=nes)
print(f"eta* (Nesterov) = {eta_n:.6f}")
print(lo.summary())
print(hi.summary())
assert lo.fraction > 0 and hi.fraction == 0.0

# %% [markdown]
# ## Adam with a frozen preconditioner
#
# With $P = \mathrm{diag}(1, 4)$ and $\beta_1 = 0.9$ the threshold is 38 on the eigenvalues of
# $P^{-1}H$; the critical step size is $38/\min_M\mu_{\max}(P^{-1}H)$, computed on the exactly
# reparametrised loss $\phi \mapsto L(P^{-1/2}\phi)$, whose flattest minimum has sharpness 1 here.

# %%
adam = dg.Adam(beta1=0.9, frozen=[1.0, 4.0])
eta_a = dg.critical_lr(xy, optimizer=adam)
print(f"eta* (frozen Adam) = {eta_a:.6f} (38 / 1)")
lo = dg.estimate_convergent_fraction(xy, 0.98 * eta_a, n_samples=N_SAMPLES, seed=2,
                                     optimizer=adam)  # fmt: skip
hi = dg.estimate_convergent_fraction(xy, 1.02 * eta_a, n_samples=N_SAMPLES, seed=2,
                                     optimizer=adam)  # fmt: skip
print(lo.summary())
print(hi.summary())
assert abs(eta_a - 38.0) < 1e-6 and hi.fraction == 0.0 and lo.fraction > 0.0
