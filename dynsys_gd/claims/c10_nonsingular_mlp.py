r"""Claim C10: non-singularity of the GD map of tanh and ReLU networks.

Crăciun & Ghoshdastidar (arXiv:2510.24466) prove that for networks with piecewise-analytic
activations the GD map :math:`G_\eta(\theta) = \theta - \eta\nabla L(\theta)` is non-singular
for almost every step size: :math:`\{\theta : \det DG_\eta(\theta) = 0\}` has measure zero.

What is checked here (docs/math/claims.md#c10), for one-hidden-layer networks
:math:`f(x) = \sum_j a_j\,\sigma(w_j^\top x)` with the squared loss
:math:`L = \frac1{2n}\sum_k (f(x_k) - y_k)^2` on small rational data:

* **tanh** — :math:`\det DG_\eta(\theta) = \det(I - \eta H(\theta))` is real-analytic in
  :math:`\theta`; at random rational points and step sizes the Hessian is built in ball
  arithmetic (python-flint ``arb``, 128 bits) from its closed form and the determinant's ball
  excludes 0.  One such point proves :math:`\det DG_\eta \not\equiv 0` on the connected
  :math:`\mathbb{R}^P`, hence a zero set of measure zero (an analytic function that is not
  identically zero vanishes on a null set).
* **ReLU** — off the kinks (every pre-activation :math:`w_j^\top x_k \ne 0`, checked exactly) the
  activation pattern is constant on a neighbourhood, :math:`f` is a polynomial there and the
  same certificate applies; each certified point proves measure zero inside its activation
  region; how many of the visited regions were certified is reported.
* **depth 1** — :math:`f(x) = w^\top x` has the constant Hessian :math:`\Sigma_{xx}`, so
  :math:`\det DG_\eta \equiv 0` exactly when :math:`\eta = 1/\lambda_i(\Sigma_{xx})` (checked
  exactly in rationals): the finitely many exceptional step sizes.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from ..analysis.intervals import clopper_pearson
from .report import BALL, EXACT_RATIONAL, ClaimResult, ClaimStatement, Status, _Collector

SPEC = ClaimStatement(
    "C10",
    "Non-singularity of the GD map of tanh / ReLU networks",
    "for one-hidden-layer tanh and ReLU networks and almost every eta > 0, det DG_eta(theta) != 0 "
    "off a null set of theta (depth 1: det DG_eta == 0 iff eta = 1/lambda_i(Sxx))",
)

_PREC = 128


def _data(d: int, n: int, seed: int) -> tuple[list[list[Fraction]], list[Fraction]]:
    rng = np.random.default_rng(seed)
    X = [[Fraction(int(v), 4) for v in rng.integers(-8, 9, d)] for _ in range(n)]
    y = [Fraction(int(v), 4) for v in rng.integers(-8, 9, n)]
    return X, y


def _point(d: int, h: int, rng: np.random.Generator) -> tuple[list[list[Fraction]], list[Fraction]]:
    W = [[Fraction(int(v), 16) for v in rng.integers(-24, 25, d)] for _ in range(h)]
    a = [Fraction(int(v), 16) for v in rng.integers(-24, 25, h)]
    return W, a


def hidden_layer_hessian(
    W: list[list[Fraction]], a: list[Fraction], X: list[list[Fraction]], y: list[Fraction], act: str
) -> Any:
    r"""The Hessian of :math:`L` at :math:`(W, a)` as a flint ``arb_mat`` (parameters ordered
    :math:`W` row-major, then :math:`a`), or None on a ReLU kink.

    With :math:`z_{jk} = w_j^\top x_k`, :math:`r_k = f(x_k) - y_k` and the gradient
    :math:`J_k` of :math:`f(x_k)`: :math:`\partial f/\partial a_j = \sigma(z_j)`,
    :math:`\partial f/\partial w_{ji} = a_j\sigma'(z_j)x_i`, and the non-zero second derivatives
    :math:`\partial^2 f/\partial a_j\partial w_{ji} = \sigma'(z_j)x_i`,
    :math:`\partial^2 f/\partial w_{ji}\partial w_{ji'} = a_j\sigma''(z_j)x_i x_{i'}`;
    :math:`H = \frac1n\sum_k (J_k J_k^\top + r_k\nabla^2 f_k)`.
    """
    import flint

    h, d, n = len(W), len(W[0]), len(X)
    P = h * d + h
    H = [[flint.arb(0) for _ in range(P)] for _ in range(P)]
    for xk, yk in zip(X, y, strict=True):
        s, s1, s2 = [], [], []
        for j in range(h):
            z = sum((W[j][i] * xk[i] for i in range(d)), Fraction(0))
            if act == "tanh":
                t = flint.arb(flint.fmpq(z.numerator, z.denominator)).tanh()
                s.append(t)
                s1.append(1 - t * t)
                s2.append(-2 * t * (1 - t * t))
            else:  # relu, analytic off its kink
                if z == 0:
                    return None
                on = 1 if z > 0 else 0
                s.append(flint.arb(flint.fmpq(z.numerator, z.denominator)) * on)
                s1.append(flint.arb(on))
                s2.append(flint.arb(0))
        f = sum(
            (flint.arb(flint.fmpq(a[j].numerator, a[j].denominator)) * s[j] for j in range(h)),
            flint.arb(0),
        )
        r = f - flint.arb(flint.fmpq(yk.numerator, yk.denominator))
        xa = [flint.arb(flint.fmpq(v.numerator, v.denominator)) for v in xk]
        J = [
            flint.arb(flint.fmpq(a[j].numerator, a[j].denominator)) * s1[j] * xa[i]
            for j in range(h)
            for i in range(d)
        ] + s
        for p in range(P):
            for q in range(P):
                H[p][q] += J[p] * J[q]
        for j in range(h):
            aj = flint.arb(flint.fmpq(a[j].numerator, a[j].denominator))
            for i in range(d):
                H[j * d + i][h * d + j] += r * s1[j] * xa[i]
                H[h * d + j][j * d + i] += r * s1[j] * xa[i]
                for i2 in range(d):
                    H[j * d + i][j * d + i2] += r * aj * s2[j] * xa[i] * xa[i2]
    return flint.arb_mat(H) * flint.arb(flint.fmpq(1, n))


def det_dg_ball(H: Any, lr: Fraction) -> Any:
    r"""The ball :math:`\det(I - \eta H)` for an ``arb_mat`` Hessian and a rational step."""
    import flint

    P = H.nrows()
    eta = flint.arb(flint.fmpq(lr.numerator, lr.denominator))
    eye = flint.arb_mat([[1 if i == j else 0 for j in range(P)] for i in range(P)])
    return (eye - H * eta).det()


def _battery(act: str, n_points: int, seed: int) -> tuple[Status | bool, str]:
    import flint

    old = flint.ctx.prec
    flint.ctx.prec = _PREC
    try:
        d, h, n = 2, 3, 4
        X, y = _data(d, n, seed)
        rng = np.random.default_rng(seed + 1)
        lrs = [Fraction(1, 10), Fraction(1, 2), Fraction(1), Fraction(3), Fraction(10)]
        ok = kinks = total = 0
        patterns: set[tuple[bool, ...]] = set()
        certified_patterns: set[tuple[bool, ...]] = set()
        for _ in range(n_points):
            W, a = _point(d, h, rng)
            H = hidden_layer_hessian(W, a, X, y, act)
            if H is None:
                kinks += 1
                continue
            pat = tuple(
                sum((W[j][i] * xk[i] for i in range(d)), Fraction(0)) > 0
                for j in range(h)
                for xk in X
            )
            patterns.add(pat)
            all_ok = True
            for lr in lrs:
                total += 1
                nz = not det_dg_ball(H, lr).contains(0)
                ok += nz
                all_ok &= nz
            if all_ok:
                certified_patterns.add(pat)
    finally:
        flint.ctx.prec = old
    _, hi = clopper_pearson(total - ok, total) if total else (0.0, 1.0)
    msg = (
        f"widths (2, 3, 1), {act}, 4 rational samples; det(I - eta H) certified non-zero at "
        f"{ok}/{total} (point, eta) pairs, eta in {{1/10, 1/2, 1, 3, 10}}; 95% Clopper-Pearson "
        f"upper bound on the sampled mass of {{det = 0 or not certified}}: {hi:.3g}"
    )
    if act == "relu":
        msg += (
            f"; {kinks} points on a kink skipped; {len(certified_patterns)} of {len(patterns)} "
            "visited activation regions certified (a region not visited is not covered)"
        )
    else:
        msg += "; det DG is analytic in theta, so one certified point gives a null zero set"
    if total and ok == total:
        return True, msg
    return Status.NOT_CERTIFIED, msg + "; some determinant balls contain 0"


def _depth_one() -> tuple[bool, str]:
    # four samples rotated by the rational rotation (3/5, 4/5): Sxx is not diagonal but has the
    # rational eigenvalues 2 and 1/2, so the exceptional step sizes are exact rationals
    c, s = Fraction(3, 5), Fraction(4, 5)
    base = [(2, 0), (-2, 0), (0, 1), (0, -1)]
    X = [(c * u - s * v, s * u + c * v) for u, v in base]
    n = len(X)
    S = [[sum((x[i] * x[j] for x in X), Fraction(0)) / n for j in range(2)] for i in range(2)]

    def det_dg(eta: Fraction) -> Fraction:
        return (1 - eta * S[0][0]) * (1 - eta * S[1][1]) - eta * eta * S[0][1] * S[1][0]

    singular = {eta: det_dg(eta) for eta in (Fraction(1, 2), Fraction(2))}
    generic = {eta: det_dg(eta) for eta in (Fraction(1, 3), Fraction(1), Fraction(3))}
    ok = all(v == 0 for v in singular.values()) and all(v != 0 for v in generic.values())
    return ok, (
        f"depth 1, f = w.x: H = Sxx = [[{S[0][0]}, {S[0][1]}], [{S[1][0]}, {S[1][1]}]] "
        "(eigenvalues 2, 1/2) at every theta, so det DG_eta = det(I - eta Sxx) vanishes "
        "identically exactly at eta = 1/lambda_i: det = "
        + ", ".join(f"{v} at eta = {k}" for k, v in {**singular, **generic}.items())
    )


def check_c10(*, quick: bool = False) -> ClaimResult:
    r"""C10: certified non-zero :math:`\det DG_\eta` for tanh and ReLU networks (module doc)."""
    col = _Collector()
    n_points = 4 if quick else 12
    col.run(
        "tanh (2, 3, 1): det DG_eta != 0 at random rational points and step sizes",
        BALL,
        lambda: _battery("tanh", n_points, 0),
    )
    col.run(
        "ReLU (2, 3, 1) off its kinks: det DG_eta != 0 at random points and step sizes",
        BALL,
        lambda: _battery("relu", n_points, 0),
    )
    col.run(
        "depth 1: det DG_eta vanishes identically exactly at eta = 1/lambda_i(Sxx)",
        EXACT_RATIONAL,
        _depth_one,
    )
    return col.result(SPEC)
