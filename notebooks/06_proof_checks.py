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
# # 06 — Proof checks for claims C1–C10
#
# Every claim (docs/math/claims.md) is checked with the strongest method available:
# **exact** (rational arithmetic, symbolic), **certified** (ball arithmetic, modular),
# **numerical** (float64 / high precision) or **Monte Carlo** (with a confidence interval).
# The first part re-derives a few certificates by hand with the public API, so you can see what
# a certificate *is*; the second part runs the toolkit's claim registry (the same checks as
# `dynsys-gd prove` and the scripts in `proofs/`).

# %%
import os
from fractions import Fraction

import numpy as np
import sympy as sp

import dynsys_gd as dg
from dynsys_gd import claims
from dynsys_gd.reporting import format_table

FAST = os.environ.get("DYNSYS_GD_FAST") == "1"
#: Quick mode (``DYNSYS_GD_FAST=1``, as in the test suite and the docs build) runs the checks of
#: ``dynsys-gd prove --quick``: the same checks on smaller cases. Otherwise: every check.
QUICK = FAST

# %% [markdown]
# ## C1 — the GD map is non-singular
#
# $\det DG_\eta(\theta)$ is a polynomial in $\theta$; one point where it is exactly non-zero
# proves it is not identically zero, so its zero set is null and $G_\eta$ maps null sets to
# null sets under preimages.  For $N \ge 3$, $H(0) = 0$, so $\det DG_\eta(0) = 1$ for every
# $\eta$.  For $N = 2$ we evaluate at a rational point, exactly.

# %%
rows = []
for depth, target, point in [(3, 2, (0, 0, 0)), (4, 1, (0, 0, 0, 0)), (2, 1, (1, 2))]:
    net = dg.LinearNetwork.scalar(depth, target)
    d = dg.derive(net)
    for eta in (Fraction(1, 10), Fraction(1), Fraction(7, 3)):
        det = d.det_dg_at(point, eta)
        rows.append([f"N={depth}, y={target}", str(point), str(eta), str(det), det != 0])
        assert det != 0
print(format_table(rows, ["network", "theta", "eta", "det DG (exact)", "non-zero"]))

# %% [markdown]
# The edge case $N = 1$ (linear regression) is reported, not hidden: $H = \Sigma_{xx}$ is
# constant and $G_\eta$ is singular *everywhere* when $\eta = 1/\lambda_i(\Sigma_{xx})$.

# %%
reg = dg.LinearNetwork.scalar(1, 2)
print("N = 1, eta = 1:", dg.derive(reg).det_dg_at((5,), 1), "(singular everywhere)")
print("N = 1, eta = 1/2:", dg.derive(reg).det_dg_at((5,), Fraction(1, 2)))
assert dg.derive(reg).det_dg_at((5,), 1) == 0

# %% [markdown]
# Symbolically, for the scalar network of depth 2 (small enough to expand):

# %%
net2 = dg.LinearNetwork.scalar(2, 1)
eta = sp.Symbol("eta", positive=True)
sp.factor(dg.derive(net2).det_dg(eta))

# %% [markdown]
# ## C2/C3 — the manifold of minima and the spectrum on it
#
# At points of $M$ the Jacobian $J = \partial\,\mathrm{vec}\,W/\partial\theta$ has full rank
# $d_N d_0$, so $M$ is a manifold of dimension $P - d_N d_0$ (C2); $DG_\eta$ has the eigenvalue
# 1 with exactly that multiplicity (C3).  Checked in exact rational arithmetic at a rational
# point of $M$ for the scalar network of depth 3 ($w = (1, 2, 1)$, $y = 2$).

# %%
net3 = dg.LinearNetwork.scalar(3, 2)
d3 = dg.derive(net3)
H = sp.Matrix(d3.hessian.subs(dict(zip(d3.params, (1, 2, 1), strict=True))))
print("H on M =", H.tolist())
print("rank H =", H.rank(), "; dim M = P - rank =", 3 - H.rank())
eta_r = sp.Rational(1, 5)
DG = sp.eye(3) - eta_r * H
mult = (DG - sp.eye(3)).nullspace()
print("multiplicity of the DG-eigenvalue 1:", len(mult))
assert H.rank() == 1 and len(mult) == 2

# %% [markdown]
# ## C4/C5 — the critical step size
#
# Closed forms against the toolkit's numerical minimisation over $M$.

# %%
W_star = np.array([[1.5, 0.3], [-0.2, 0.7]])
checks = [
    ("scalar N=2, y=1", dg.LinearNetwork.scalar(2, 1.0), 2.0),
    ("scalar N=3, y=2", dg.LinearNetwork.scalar(3, 2.0), 3 * 2 ** (4 / 3)),
    ("scalar N=5, y=1", dg.LinearNetwork.scalar(5, 1.0), 5.0),
    (
        "whitened 2x2, N=2",
        dg.LinearNetwork.from_covariances((2, 2, 2), Sxx=np.eye(2), Syx=W_star),
        3.062329,
    ),
]
rows = []
for name, net, expected in checks:
    s = dg.min_sharpness(net)
    rows.append([name, s, expected, abs(s - expected) / expected, 2 / s])
    assert abs(s - expected) <= 1e-6 * expected
print(
    format_table(rows, ["network", "S_min", "expected", "rel. error", "eta* = 2/S_min"], digits=7)
)

# %% [markdown]
# ## All claims: the toolkit's registry
#
# The same checks as `dynsys-gd prove` (in quick mode, `dynsys-gd prove --quick`: the same
# checks on smaller cases): every check names its method and its certificate.

# %%
report = claims.run_claims(quick=QUICK)
print("QUICK MODE (dynsys-gd prove --quick)" if QUICK else "FULL CHECKS (dynsys-gd prove)")
print(report.summary())

# %% [markdown]
# Each check carries its certificate, e.g. C1 (a point where $\det DG_\eta \ne 0$, exactly)
# and C6 (an enclosure showing every minimum is unstable above $\eta^*$):

# %%
by_claim = {r.claim: r for r in report.results}
print(by_claim["C1"].summary())
print()
print(by_claim["C6"].summary())

# %% [markdown]
# The methods used, per claim:

# %%
methods = {}
for r in report.results:
    for c in r.checks:
        methods.setdefault(r.claim, {}).setdefault(c.method, 0)
        methods[r.claim][c.method] += 1
rows = [[claim, ", ".join(f"{m} ({k})" for m, k in ms.items())] for claim, ms in methods.items()]
print(format_table(rows, ["claim", "methods (number of checks)"]))
assert set(methods) == {f"C{i}" for i in range(1, 11)}

# %% [markdown]
# ## Verdict
#
# A check is *passed*, *failed* (a counterexample or a certified contradiction) or *not
# certified* (its method could not decide: that is not a failure, and not a proof either). Any
# failed check stops the notebook here; checks that did not pass are listed with their reasons.


# %%
def verdict(check):
    return str(getattr(check.status, "value", check.status)).lower()


checks = [(r.claim, c) for r in report.results for c in r.checks]
failed = [f"{claim}: {c.name}" for claim, c in checks if verdict(c) in ("failed", "fail")]
assert not failed, "FAILED checks:\n" + "\n".join(failed)
assert {claim for claim, _ in checks} == {f"C{i}" for i in range(1, 11)}
others = [(claim, c) for claim, c in checks if not c.passed]
for claim, c in others:
    print(f"{claim}: {c.name}: {verdict(c)}: {getattr(c, 'reason', None) or c.certificate}")
mode = "QUICK MODE" if QUICK else "FULL CHECKS"
source = "dynsys-gd prove --quick" if QUICK else "dynsys-gd prove"
if not others:
    print(f"{mode}: every claim C1-C10 passed (all {len(checks)} checks of `{source}`)")
else:
    undecided = sorted({claim for claim, _ in others})
    print(
        f"{mode}: no check failed; {len(checks) - len(others)} of {len(checks)} checks of "
        f"`{source}` passed, {len(others)} did not pass (claims {', '.join(undecided)}, listed above)"
    )
