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
# # 08 — Beyond linear models: the sharp transition on non-linear networks (§5, C7, C8)
#
# The theorems of the paper are proved for deep linear networks; docs/math/nonlinear.md asks whether the
# same picture holds for small **non-linear** multilayer perceptrons
# $f(x) = W_L\,\sigma(\cdots\sigma(W_1 x)\cdots)$ with squared loss
# $L = \frac{1}{2n}\sum_k \lVert f(x_k) - y_k\rVert^2$, trained by full-batch GD:
#
# * **C7**: the asymptotic gradient norm $g_\infty(\eta)$ (median over initialisations of the
#   mean $\lVert\nabla L\rVert$ over the last $K$ steps) is (close to) $0$ below a critical
#   learning rate and jumps to a positive value above it;
# * **C8**: every run that converges ends at a minimum with $\lambda_{\max}(H) \le 2/\eta$;
#   above the transition bounded runs hover at the *edge of stability* $\lambda_{\max}\approx
#   2/\eta$;
# * with no closed form for $\eta^*$, the transition is compared with $2/S_{\mathrm{flat}}$, the
#   sharpness of the flattest minimum GD reaches at smaller learning rates.
#
# The toolkit's `MLP` has exact batched gradients (backpropagation) and exact Hessian-vector
# products (Pearlmutter's R-operator); the sharpness comes from Lanczos on those HVPs.

# %%
import os

import numpy as np

import dynsys_gd as dg
from dynsys_gd.analysis.nonlinear import nonlinear_sweep
from dynsys_gd.models.datasets import digits_dataset, teacher_student_dataset
from dynsys_gd.numeric.landscape.lanczos import batched_sharpness, lanczos_sharpness
from dynsys_gd.reporting import plot_nonlinear_sweep

FAST = os.environ.get("DYNSYS_GD_FAST") == "1"
N_INIT = 6 if FAST else 16
STEPS = 1500 if FAST else 4000
LRS = np.geomspace(0.1, 2.5, 9 if FAST else 15)

# %% [markdown]
# ## The kernels are exact
# Gradient against central differences, HVP against the dense Hessian, Lanczos against the
# dense spectrum, and the identity activation against the closed-form linear-network kernels.

# %%
rng = np.random.default_rng(0)
X, Y = rng.standard_normal((12, 3)), rng.standard_normal((12, 2))
mlp = dg.MLP((3, 5, 2), "tanh", X=X, Y=Y, bias=True)
theta = mlp.init(1, 3)
E, eps = np.eye(mlp.n_params), 1e-6
g_fd = np.stack(
    [
        (mlp.loss(theta + eps * E[j]) - mlp.loss(theta - eps * E[j])) / (2 * eps)
        for j in range(mlp.n_params)
    ],
    axis=1,
)
H = mlp.hessian(theta)
top_dense = np.linalg.eigvalsh(H)[:, -1]
top_lanczos = np.array([lanczos_sharpness(mlp, t)[0] for t in theta])
err_g = np.abs(mlp.gradient(theta) - g_fd).max()
err_l = np.abs(top_lanczos / top_dense - 1).max()
err_b = np.abs(batched_sharpness(mlp, theta)[:, 0] / top_dense - 1).max()
lin = dg.numeric_model(dg.LinearNetwork((3, 4, 2), X=X, Y=Y))
ident = dg.MLP((3, 4, 2), "identity", X=X, Y=Y)
t_lin = ident.init(2, 4)
err_lin = np.abs(ident.hessian(t_lin) - lin.hessian(t_lin)).max()
print(
    f"gradient vs finite differences: {err_g:.1e}; Lanczos vs dense: {err_l:.1e}; "
    f"batched Lanczos vs dense: {err_b:.1e}; identity MLP vs LinearNetwork Hessian: "
    f"{err_lin:.1e}"
)
assert err_g < 1e-7 and err_l < 1e-8 and err_b < 1e-8 and err_lin < 1e-12

# %% [markdown]
# ## Digits shipped with the package: a tanh network, learning-rate sweep
# 64 digits (the UCI 8×8 digits shipped with dynsys_gd, no download), 8 principal components, the digit
# label (standardised) as the target, a tanh network $8 \to 32 \to 1$ (288 parameters, enough to
# fit the data).  All (learning rate, initialisation) pairs run as one batch.

# %%
data = digits_dataset(n_samples=64, n_features=8, seed=0)
model = dg.MLP((8, 32, 1), "tanh", X=data.X, Y=data.Y)
res = nonlinear_sweep(model, LRS, n_init=N_INIT, seed=0, steps=STEPS, last_k=200)
print(res.summary())

# %%
plot_nonlinear_sweep(res, title="tanh MLP (8, 32, 1) on 64 bundled digits")

# %% [markdown]
# Reading the figure: left, $g_\infty$ drops with $\eta$ while runs converge, then jumps by
# orders of magnitude inside the shaded interval; the dashed line is $2/S_{\mathrm{flat}}$.
# Right, the final sharpness: below the transition it sits under the stability limit $2/\eta$
# (C8); above it every bounded run sits *on* $2/\eta$ — the edge of stability.

# %%
assert res.transition is not None, "no transition located"
i = int(np.flatnonzero(res.lrs == res.transition)[0])
# where every run is still descending (undecided) g_inf has no value; its last-window gradient
# bounds it from above, and the sweep locates the transition on that bound there
g_loc = np.where(np.isnan(res.g_inf), res.g_inf_tail, res.g_inf)
assert g_loc[i] > 10 * g_loc[i - 1]
above = (res.lrs > res.transition) & np.isfinite(res.sharpness_median)
# edge of stability: above the transition, the median sharpness is close to 2/eta
assert np.all(np.abs(res.sharpness_median[above] * res.lrs[above] / 2 - 1) < 0.1)
print(
    f"transition in ({res.transition_low:.3g}, {res.transition:.3g}], "
    f"prediction 2/S_flat = {res.predicted_lr:.3g}, C8 violations: {len(res.violations)}"
)

# %% [markdown]
# ## Teacher–student data, ReLU network
# The same experiment on a realisable problem with ReLU activations (the kernels are exact
# away from the kinks; $\sigma'' = 0$).  Here the transition is less clean than for tanh: with
# a short budget $g_\infty$ can rise in two steps, and the "largest jump" rule then picks one
# of them — read the table, not only the located interval.

# %%
ts = teacher_student_dataset((4, 8, 1), 48, "relu", seed=1)
relu = dg.MLP((4, 24, 1), "relu", X=ts.X, Y=ts.Y)
res_relu = nonlinear_sweep(
    relu, np.geomspace(0.05, 3.0, 9 if FAST else 13), n_init=N_INIT, seed=1, steps=STEPS, last_k=200
)
print(res_relu.summary())
plot_nonlinear_sweep(res_relu, title="ReLU MLP (4, 24, 1), teacher-student data")
