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
# # 01 — Quick start
#
# `dynsys_gd` treats gradient descent $\theta \mapsto G_\eta(\theta) = \theta - \eta\nabla
# L(\theta)$ as a discrete dynamical system and checks what the theory of large learning rates
# claims (Crăciun & Ghoshdastidar, arXiv:2402.13108): for a deep linear network, above the
# critical step size $\eta^* = 2/S_{\min}$ ($S_{\min}$: the sharpness of the flattest global
# minimum, **C5** in docs/math/claims.md#c5) GD converges from a set of initialisations of measure zero (**C6**).
#
# Loss convention: $L(\theta) = \frac{1}{2n}\sum_k \lVert W_N\cdots W_1 x_k - y_k\rVert^2$; the
# scalar network is $L(w) = \frac12(w_1\cdots w_N - y)^2$.

# %%
import json
import os

import numpy as np

import dynsys_gd as dg
import dynsys_gd.reporting as F

FAST = os.environ.get("DYNSYS_GD_FAST") == "1"
N_SAMPLES = 200 if FAST else 2000

# %% [markdown]
# ## One call: `stability_analysis`
#
# The scalar network of depth 3 with target $y = 2$ has
# $\eta^* = 2/(3\cdot 2^{4/3}) \approx 0.264567$.  Below $\eta^*$ the flattest minima are
# stable and a positive fraction of initialisations converges:

# %%
net = dg.LinearNetwork.scalar(depth=3, target=2.0)
eta_star = dg.critical_lr(net)
print(f"eta* = {eta_star:.6f}  (closed form {2 / (3 * 2 ** (4 / 3)):.6f})")
assert abs(eta_star - 0.264567) < 1e-6

below = dg.stability_analysis(3, 0.9 * eta_star, target=2.0, n_samples=N_SAMPLES, seed=0)
print(below.summary())

# %% [markdown]
# Result objects are frozen dataclasses with `summary()`, `to_dict()` (JSON-safe) and a
# markdown view in notebooks:

# %%
below  # noqa: B018

# %% [markdown]
# ## Above the critical step size
#
# At $\eta = 1.1\,\eta^*$ every minimum is linearly unstable (its sharpness exceeds $2/\eta$),
# so the convergent set has measure zero: the Monte-Carlo estimate is 0, with a two-sided 95 %
# Clopper–Pearson upper bound $1 - 0.025^{1/n} \approx 3.7/n$.

# %%
above = dg.stability_analysis(3, 1.1 * eta_star, target=2.0, n_samples=N_SAMPLES, seed=0)
print(above.summary())

# %%
est_below = dg.estimate_convergent_fraction(net, 0.9 * eta_star, n_samples=N_SAMPLES, seed=1)
est_above = dg.estimate_convergent_fraction(net, 1.1 * eta_star, n_samples=N_SAMPLES, seed=1)
print(est_below.summary())
print()
print(est_above.summary())
assert est_below.fraction > 0.5
assert est_above.fraction == 0.0 and est_above.ci_high < 5.0 / N_SAMPLES

# %% [markdown]
# ## The JSON view
#
# Every result converts to strict JSON (no NaN literals), e.g. for storing or for the
# `dynsys-gd analyze --json` command line.

# %%
d = json.loads(above.to_json())
sorted(d)[:12]

# %% [markdown]
# ## A first picture: where on the minima manifold GD can converge
#
# Along a curve in $M$ the sharpness $\lambda_{\max}(H)$ has its minimum $S_{\min}$ at the
# balanced minimum; minima under the line $2/\eta$ are linearly stable.

# %%
w_bal = np.full(3, 2.0 ** (1 / 3))
ts = np.linspace(-1.0, 1.0, 201)
ev = dg.sharpness_along_manifold(net, w_bal, ts).normal_eigenvalues
F.plot_sharpness_along_manifold(
    ts, ev, lr=0.9 * eta_star, eta_star=eta_star, coord_label=r"$t$ in $(e^t w_1, e^{-t} w_2, w_3)$"
)

# %% [markdown]
# ## Next
#
# - `02_minima_manifold`: the manifold of minima and its sharpness (C2–C5);
# - `03_convergent_fraction`: the fraction of convergent initialisations against $\eta$ (C6);
# - `04_gradient_norm_transition`: the jump of the asymptotic gradient norm (C7);
# - `05_basins`: basins of attraction on 2-D slices (C6, C8);
# - `06_proof_checks`: the certificates for claims C1–C9.
#
# From the shell: `dynsys-gd analyze --depth 3 --target 2 --lr 0.25 --figures figures`.
