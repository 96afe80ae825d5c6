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
# # 02 — The manifold of minima and its sharpness
#
# For a deep linear network the global minima form a smooth manifold
# $M = \{\theta : W_N \cdots W_1 = W^*\}$ (**C2**, docs/math/claims.md#c2).  On $M$ the Jacobian of the GD map
# $DG_\eta = I - \eta H$ has eigenvalue $1$ on the tangent space and $1 - \eta\lambda_i$ on the
# normal directions (**C3**).  A minimum is linearly stable iff its sharpness
# $\lambda_{\max}(H) < 2/\eta$.  The sharpness is proper on $M$ (**C4**), so its minimum
# $S_{\min}$ is attained, and the critical step size is $\eta^* = 2/S_{\min}$ (**C5**).
#
# This notebook shows where on $M$ the minima are stable for a given step size, and checks the
# closed forms of $S_{\min}$.

# %%
import os

import numpy as np

import dynsys_gd as dg
import dynsys_gd.reporting as F
from dynsys_gd.reporting import COLORS, new_figure

FAST = os.environ.get("DYNSYS_GD_FAST") == "1"
GRID = 121 if FAST else 301

# %% [markdown]
# ## Scalar network: $L(w) = \frac12 (w_1 w_2 w_3 - y)^2$, $y = 2$
#
# By AM–GM the flattest minima are balanced, $|w_i| = |y|^{1/N}$, with
# $S_{\min} = N |y|^{2 - 2/N}$ (C5).

# %%
N, y = 3, 2.0
net = dg.LinearNetwork.scalar(depth=N, target=y)
s_min_closed = N * abs(y) ** (2 - 2 / N)
s_min = dg.min_sharpness(net)
eta_star = dg.critical_lr(net)
print(f"S_min: toolkit {s_min:.9f}   closed form {s_min_closed:.9f}")
print(f"eta* : toolkit {eta_star:.9f}   closed form {2 / s_min_closed:.9f}")
assert abs(s_min - s_min_closed) < 1e-6 * s_min_closed
assert abs(eta_star - 0.264567) < 1e-6

# %% [markdown]
# ### Sharpness along a curve in $M$
#
# Rebalancing $\theta(t) = (e^{t} w_1, e^{-t} w_2, w_3)$ keeps the product fixed, so the curve
# stays in $M$.  For $\eta = 0.95\,\eta^*$ only a short arc around the balanced minimum is
# stable; above $\eta^*$ none is.

# %%
w_bal = np.full(N, abs(y) ** (1 / N))
ts = np.linspace(-1.2, 1.2, 241)
curve = dg.rebalancing_curve(net, w_bal, ts)
assert np.allclose(np.prod(curve, axis=1), y)  # C2: the curve lies in M
ev = dg.normal_spectrum(net, curve)
F.plot_sharpness_along_manifold(
    ts,
    ev,
    lr=0.95 * eta_star,
    eta_star=eta_star,
    coord_label=r"$t$ in $(e^t w_1, e^{-t} w_2, w_3)$",
    title="scalar net N = 3, y = 2",
)

# %% [markdown]
# ### The whole manifold: stable region for several step sizes (C4)
#
# $M$ is two-dimensional here: parametrise it by $(\log|w_1|, \log|w_2|)$ with
# $w_3 = y/(w_1 w_2)$ (positive branch).  For a scalar network the only non-zero Hessian
# eigenvalue on $M$ is $\lVert \nabla_w (w_1 w_2 w_3) \rVert^2 = \sum_i \prod_{j\ne i} w_j^2$.
# The stable set $\{\lambda_{\max} < 2/\eta\}$ is bounded (C4) and shrinks to the balanced
# point as $\eta \uparrow \eta^*$.

# %%
a = np.linspace(-1.5, 1.5, GRID)
A, B = np.meshgrid(a, a)
w1 = abs(y) ** (1 / N) * np.exp(A)
w2 = abs(y) ** (1 / N) * np.exp(B)
w3 = y / (w1 * w2)
pts = np.stack([w1.ravel(), w2.ravel(), w3.ravel()], axis=1)
sharp = dg.normal_spectrum(net, pts)[:, -1].reshape(A.shape)
closed = (w2 * w3) ** 2 + (w1 * w3) ** 2 + (w1 * w2) ** 2
assert np.allclose(sharp, closed, rtol=1e-9)
print(f"min over the grid: {sharp.min():.6f} (S_min = {s_min_closed:.6f})")

fig, ax = new_figure(width=6.0, height=4.8)
im = ax.contourf(A, B, np.log10(sharp), levels=30, cmap="viridis")
fig.colorbar(im, ax=ax, label=r"$\log_{10} \lambda_{\max}(H)$")
for frac, ls in [(0.6, ":"), (0.8, "--"), (0.95, "-")]:
    ax.contour(
        A,
        B,
        sharp,
        levels=[2 / (frac * eta_star)],
        colors=[COLORS["critical"]],
        linestyles=ls,
        linewidths=1.4,
    )
    ax.plot(
        [],
        [],
        color=COLORS["critical"],
        linestyle=ls,
        label=rf"$\lambda_{{\max}} = 2/\eta$, $\eta = {frac}\,\eta^*$",
    )
ax.plot(
    [0],
    [0],
    marker="*",
    color="white",
    markersize=12,
    linestyle="none",
    label="balanced (flattest) minimum",
)
ax.set_xlabel(r"$\log(w_1 / |y|^{1/N})$")
ax.set_ylabel(r"$\log(w_2 / |y|^{1/N})$")
ax.set_title("sharpness on the minima manifold (stable inside the red curves)")
ax.legend(loc="lower left", fontsize=8, frameon=True)
fig  # noqa: B018

# %% [markdown]
# ## C3: the spectrum of $DG_\eta$ on $M$
#
# At random points of $M$ the Hessian has $\dim M = N - 1$ zero eigenvalues (tangent
# directions, $DG$-eigenvalue $1$) and one positive eigenvalue (normal direction, $DG$-eigenvalue
# $1 - \eta\lambda$).

# %%
rng = np.random.default_rng(0)
free = rng.uniform(0.5, 2.0, size=(200, N - 1)) * rng.choice([-1, 1], size=(200, N - 1))
theta = np.column_stack([free, y / np.prod(free, axis=1)])
H = dg.numeric_model(net).hessian(theta)
lam = np.linalg.eigvalsh(H)
lr = 0.9 * eta_star
dg_eigs = 1 - lr * lam
n_unit = np.sum(np.isclose(dg_eigs, 1.0, atol=1e-9), axis=1)
assert np.all(n_unit == N - 1), n_unit
print(f"every sampled minimum: {N - 1} DG-eigenvalues equal to 1 (tangent space of M)")
F.plot_dg_spectrum(
    {
        "5 random minima": dg_eigs[:5],
        "flattest minimum": 1
        - lr * np.linalg.eigvalsh(dg.numeric_model(net).hessian(w_bal[None]))[0],
    },
    lr=lr,
)

# %% [markdown]
# ## Whitened 2×2 networks (docs/math/reference-values.md)
#
# With $\Sigma_{xx} = I$ and $W^* = \begin{pmatrix}1.5 & 0.3\\ -0.2 & 0.7\end{pmatrix}$ the
# flattest minima are balanced and $S_{\min} = N\,\sigma_1(W^*)^{2-2/N}$: 3.062329 for $N=2$
# and 5.294403 for $N=3$.

# %%
W_star = np.array([[1.5, 0.3], [-0.2, 0.7]])
sigma1 = np.linalg.svd(W_star, compute_uv=False)[0]
depths = (2,) if FAST else (2, 3)
for depth in depths:
    wnet = dg.LinearNetwork.from_covariances((2,) * (depth + 1), Sxx=np.eye(2), Syx=W_star)
    s = dg.min_sharpness(wnet)
    closed = depth * sigma1 ** (2 - 2 / depth)
    print(f"N = {depth}: S_min toolkit {s:.6f}, closed form {closed:.6f}, eta* = {2 / s:.6f}")
    assert abs(s - closed) < 1e-5 * closed
