r"""Exact and certified certificates for claims C1, C2 and C9 of docs/math/index.md.

* C1 (:func:`nonsingularity_certificate`): a point θ where :math:`\det DG_\eta(\theta) \ne 0`
  exactly, so the polynomial :math:`\det DG_\eta` is not identically zero and :math:`G_\eta` is
  non-singular.  The Hessian is built exactly from its closed form
  (:func:`dynsys_gd.numeric.landscape.enclosures.exact_hessian`); the determinant is computed over
  :math:`\mathbb{Q}` (python-flint ``fmpq_mat``) or modulo a large prime (``nmod_mat``:
  non-zero mod p implies non-zero).  Depth 1 is reported honestly: :math:`H = I\otimes\Sigma_{xx}`
  is constant and :math:`G_\eta` is singular everywhere iff :math:`\eta = 1/\lambda_i(\Sigma_{xx})`.
* C2 (:func:`manifold_certificate`): an exact rational point of :math:`M = \{W(\theta) = W^*\}`,
  the exact rank of :math:`J = \partial\operatorname{vec}W/\partial\theta` there and
  :math:`\dim M = P - \operatorname{rank} J`.
* C9 (:func:`ball_det_certificate`, :func:`arb_eval`): ball-arithmetic evaluation of analytic
  sympy losses (log, cosh, exp, ...), so :math:`\det DG_\eta` at a rational point is enclosed
  rigorously and "the enclosure excludes 0" proves :math:`\det DG_\eta \not\equiv 0`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from .._results import ResultMixin, jsonable
from .._streams import generator
from .._validation import _to_exact, check_choice, check_int, describe
from ..errors import InvalidParameterError
from ..models import LinearNetwork, LossModel
from ..numeric.landscape.enclosures import arb_to_interval, exact_hessian

__all__ = [
    "DEFAULT_PRIME",
    "ManifoldCertificate",
    "NonsingularityCertificate",
    "arb_eval",
    "ball_det_certificate",
    "critical_set_cover",
    "exact_w_star",
    "manifold_certificate",
    "nonsingularity_certificate",
    "rational_point_on_manifold",
]

#: A 62-bit prime for modular determinants.
DEFAULT_PRIME = 4611686018427387847


def _fq(x: Fraction) -> Any:
    import flint

    return flint.fmpq(x.numerator, x.denominator)


def _check_lr(lr: Any) -> Fraction:
    if isinstance(lr, bool) or lr is None:
        raise InvalidParameterError(f"lr must be a finite float > 0; got {describe(lr)}")
    try:
        eta = _to_exact("lr", lr)
    except InvalidParameterError as exc:
        raise InvalidParameterError(f"lr must be a finite float > 0; got {describe(lr)}") from exc
    if eta <= 0:
        raise InvalidParameterError(f"lr must be a finite float > 0; got {lr!r}")
    return eta


def _short(val: Any) -> str:
    """Short text of a possibly huge exact number: the value or its sign and size."""
    if isinstance(val, Fraction):
        n, d = abs(val.numerator), val.denominator
        if n.bit_length() + d.bit_length() > 180:
            import math

            mag = (n.bit_length() - d.bit_length()) * math.log10(2)
            sign = "-" if val < 0 else "+"
            return (
                f"{sign}~10^{mag:.0f} (exact rational, numerator of {n.bit_length()} bits, "
                f"denominator of {d.bit_length()} bits)"
            )
    return str(val)


def _det_mod_p(D: Any, p: int) -> int:
    """Determinant of an fmpq_mat modulo p (denominators must be invertible mod p)."""
    import flint

    n = D.nrows()
    rows = []
    for i in range(n):
        for j in range(n):
            x = D[i, j]
            num, den = int(x.p) % p, int(x.q) % p
            if den == 0:
                raise ZeroDivisionError
            rows.append(num * pow(den, -1, p) % p)
    return int(flint.nmod_mat(n, n, rows, p).det())


@dataclass(frozen=True, repr=False)
class NonsingularityCertificate(ResultMixin):
    r"""Certificate of C1 for one network and step size.

    Attributes
    ----------
    nonsingular : bool
        True when a point with :math:`\det DG_\eta \ne 0` was found.
    singular_everywhere : bool
        True in the depth-1 exception :math:`\eta = 1/\lambda_i(\Sigma_{xx})`.
    point : tuple of Fraction
        The witness θ (empty when singular everywhere).
    determinant : Fraction or int or None
        Exact :math:`\det DG_\eta(\theta)` (method "exact rational") or its residue mod
        ``prime`` (method "modular (mod p)").
    method, prime, n_params, seconds, message
    """

    nonsingular: bool
    singular_everywhere: bool
    point: tuple[Fraction, ...]
    determinant: Any
    method: str
    prime: int | None
    n_params: int
    lr: Fraction
    seconds: float
    message: str

    def __repr__(self) -> str:
        return (
            f"NonsingularityCertificate(nonsingular={self.nonsingular}, "
            f"P={self.n_params}, method={self.method!r})"
        )

    def summary(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        return {
            "nonsingular": self.nonsingular,
            "singular_everywhere": self.singular_everywhere,
            "point": [str(x) for x in self.point],
            "determinant": _short(self.determinant),
            "method": self.method,
            "prime": self.prime,
            "n_params": self.n_params,
            "lr": jsonable(self.lr),
            "seconds": self.seconds,
            "message": self.message,
        }


def _candidate_points(net: LinearNetwork, n_random: int, seed: int) -> list[list[Fraction]]:
    P = net.n_params
    pts: list[list[Fraction]] = []
    if net.depth >= 3:
        pts.append([Fraction(0)] * P)  # H(0) = 0: det DG = 1 for every eta
    rng = generator(seed, "certificate_points")
    for _ in range(n_random):
        num = rng.integers(-3, 4, size=P)
        pts.append([Fraction(int(a)) for a in num])
    if net.depth < 3:
        pts.append([Fraction(0)] * P)
    return pts


def nonsingularity_certificate(
    net: LinearNetwork,
    lr: Any,
    *,
    method: str = "exact",
    prime: int = DEFAULT_PRIME,
    max_tries: int = 8,
    seed: int = 0,
) -> NonsingularityCertificate:
    r"""Certify :math:`\det DG_\eta \not\equiv 0` (docs/math/claims.md#c1) by one exact non-zero
    value.

    Parameters
    ----------
    net : LinearNetwork
    lr : float or Fraction
        η > 0 (floats at their exact binary value).
    method : {"exact", "modular"}
        Determinant over :math:`\mathbb{Q}` or modulo ``prime`` (non-zero mod p ⇒ non-zero).
    prime : int
        Prime for the modular method.
    max_tries : int
        Random rational points tried after θ = 0 (for N ≥ 3, θ = 0 always works).
    seed : int
        Seed of the random rational points.

    Returns
    -------
    NonsingularityCertificate
        For depth 1, ``singular_everywhere`` is True exactly when
        :math:`\det(I - \eta\Sigma_{xx}) = 0`, i.e. :math:`\eta = 1/\lambda_i(\Sigma_{xx})`
        (then :math:`\det DG_\eta = \det(I-\eta\Sigma_{xx})^{d_1} = 0` at every θ).
    """
    import flint

    if not isinstance(net, LinearNetwork):
        raise InvalidParameterError(f"net must be a LinearNetwork; got {describe(net)}")
    eta = _check_lr(lr)
    check_choice("method", method, ("exact", "modular"))
    p = check_int("prime", prime, minimum=3)
    tries = check_int("max_tries", max_tries, minimum=1)
    t0 = time.perf_counter()
    P = net.n_params
    if net.depth == 1:
        S = flint.fmpq_mat([[_fq(x) for x in r] for r in net.Sxx_exact])
        d0 = net.widths[0]
        I0 = flint.fmpq_mat(d0, d0, [1 if i == j else 0 for i in range(d0) for j in range(d0)])
        base = (I0 - _fq(eta) * S).det()
        det = Fraction(int(base.p), int(base.q)) ** net.widths[1]
        singular = det == 0
        msg = (
            "depth 1: H = I ⊗ Sxx is constant, det DG = det(I - eta Sxx)^d1 = "
            f"{det} at every theta; "
            + (
                "singular everywhere: eta = 1/lambda_i(Sxx)"
                if singular
                else "det DG_eta != 0 at every theta (G_eta is a diffeomorphism)"
            )
        )
        return NonsingularityCertificate(
            not singular,
            singular,
            () if singular else tuple([Fraction(0)] * P),
            det,
            "exact rational",
            None,
            P,
            eta,
            time.perf_counter() - t0,
            msg,
        )
    I = flint.fmpq_mat(P, P, [1 if i == j else 0 for i in range(P) for j in range(P)])
    for pt in _candidate_points(net, tries, seed):
        D = I - _fq(eta) * exact_hessian(net, pt)
        if method == "exact":
            d = D.det()
            val: Any = Fraction(int(d.p), int(d.q))
            ok = val != 0
            mname = "exact rational"
        else:
            try:
                val = _det_mod_p(D, p)
            except ZeroDivisionError:
                continue
            ok = val != 0
            mname = "modular (mod p)"
        if ok:
            where = (
                "theta = 0 (H(0) = 0 for N >= 3)" if all(x == 0 for x in pt) else "a rational point"
            )
            shown = _short(val)
            msg = (
                f"det DG_eta({where}) = {shown} != 0 "
                f"({mname}{'' if method == 'exact' else f', p = {p}'}; P = {P}, "
                f"eta = {eta})"
            )
            return NonsingularityCertificate(
                True,
                False,
                tuple(pt),
                val,
                mname,
                p if method == "modular" else None,
                P,
                eta,
                time.perf_counter() - t0,
                msg,
            )
    return NonsingularityCertificate(
        False,
        False,
        (),
        None,
        "exact rational" if method == "exact" else "modular (mod p)",
        None,
        P,
        eta,
        time.perf_counter() - t0,
        f"no point with det DG != 0 found in {tries + 1} tries",
    )


# -- C2 -----------------------------------------------------------------------------------------
def exact_w_star(net: LinearNetwork) -> Any:
    r""":math:`W^* = \Sigma_{yx}\Sigma_{xx}^{-1}` as an exact ``fmpq_mat``."""
    import flint

    net.require_minima()
    S = flint.fmpq_mat([[_fq(x) for x in r] for r in net.Sxx_exact])
    Y = flint.fmpq_mat([[_fq(x) for x in r] for r in net.Syx_exact])
    return Y * S.inv()


def rational_point_on_manifold(net: LinearNetwork, *, seed: int = 0) -> list[Fraction]:
    r"""An exact rational point of :math:`M = \{W(\theta) = W^*\}`.

    Random integer matrices :math:`W_1..W_{N-1}`, then :math:`W_N = W^*(B^\top B)^{-1}B^\top`
    with :math:`B = W_{N-1}\cdots W_1` (needs :math:`d_{N-1} \ge d_0`), or symmetrically
    :math:`W_1 = A^\top(AA^\top)^{-1}W^*` with :math:`A = W_N\cdots W_2` (needs
    :math:`d_1 \ge d_N`).  Scalar networks: :math:`w = (1, \dots, 1, w^*)`.
    """
    import flint

    net.require_manifold()
    Wst = exact_w_star(net)
    N = net.depth
    shapes = net.layer_shapes
    rng = generator(seed, "manifold_points")
    if N == 1:
        layers = [Wst]
    else:
        for _attempt in range(20):
            layers = [
                flint.fmpq_mat(a, b, [int(v) for v in rng.integers(-3, 4, a * b)])
                for a, b in shapes
            ]
            if net.is_scalar:
                layers = [flint.fmpq_mat(1, 1, [1]) for _ in shapes]
            try:
                if net.widths[N - 1] >= net.widths[0]:
                    B = layers[0]
                    for L in layers[1 : N - 1]:
                        B = L * B
                    BtB = B.transpose() * B
                    layers[N - 1] = Wst * BtB.inv() * B.transpose()
                elif net.widths[1] >= net.widths[N]:
                    A = layers[N - 1]
                    for L in reversed(layers[1 : N - 1]):
                        A = A * L
                    AAt = A * A.transpose()
                    layers[0] = A.transpose() * AAt.inv() * Wst
                else:
                    raise InvalidParameterError(
                        "rational_point_on_manifold needs d_{N-1} >= d_0 or d_1 >= d_N; got "
                        f"widths {net.widths}"
                    )
                break
            except ZeroDivisionError:
                continue
        else:  # pragma: no cover - random integer matrices are almost surely full rank
            raise InvalidParameterError("could not build a rational point of M")
    out: list[Fraction] = []
    for L in layers:
        for i in range(L.nrows()):
            for j in range(L.ncols()):
                x = L[i, j]
                out.append(Fraction(int(x.p), int(x.q)))
    return out


@dataclass(frozen=True, repr=False)
class ManifoldCertificate(ResultMixin):
    r"""Certificate of C2 (and the C3 multiplicity) at an exact rational point of M.

    Attributes
    ----------
    point : tuple of Fraction
        θ with :math:`W(\theta) = W^*` exactly.
    on_manifold : bool
        Exact check :math:`W(\theta) = W^*`.
    rank_J : int
        Exact rank of :math:`J = \partial\operatorname{vec}W/\partial\theta`.
    full_rank : bool
        ``rank_J == d_N d_0`` (θ is a regular point: M is a manifold there).
    dim_M : int
        :math:`P - \operatorname{rank}J`.
    nullity_H : int
        Exact nullity of :math:`H(\theta)`; equals ``dim_M`` (C3: eigenvalue 1 of DG with that
        multiplicity).
    """

    point: tuple[Fraction, ...]
    on_manifold: bool
    rank_J: int
    full_rank: bool
    dim_M: int
    nullity_H: int
    n_params: int
    method: str = "exact rational"

    def __repr__(self) -> str:
        return (
            f"ManifoldCertificate(rank_J={self.rank_J}, dim_M={self.dim_M}, "
            f"nullity_H={self.nullity_H})"
        )

    def summary(self) -> str:
        return (
            f"W(theta) = W* exactly: {self.on_manifold}; rank J = {self.rank_J} "
            f"(full: {self.full_rank}); dim M = P - rank J = {self.n_params} - {self.rank_J}"
            f" = {self.dim_M}; nullity of H = {self.nullity_H}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "point": jsonable(list(self.point)),
            "on_manifold": self.on_manifold,
            "rank_J": self.rank_J,
            "full_rank": self.full_rank,
            "dim_M": self.dim_M,
            "nullity_H": self.nullity_H,
            "n_params": self.n_params,
            "method": self.method,
        }


def _exact_jacobian(net: LinearNetwork, pt: list[Fraction]) -> tuple[Any, Any]:
    from ..numeric.landscape.enclosures import exact_product_and_jacobian

    _, _, _, W, J = exact_product_and_jacobian(net, [_fq(x) for x in pt])
    return W, J


def manifold_certificate(
    net: LinearNetwork, point: Any = None, *, seed: int = 0
) -> ManifoldCertificate:
    r"""Exact C2 certificate: rank of :math:`J` and :math:`\dim M` at a rational point of M.

    ``point`` defaults to :func:`rational_point_on_manifold`.  :math:`\operatorname{rank} J` and
    the nullity of :math:`H` are computed exactly (row reduction over :math:`\mathbb{Q}`).
    """
    if not isinstance(net, LinearNetwork):
        raise InvalidParameterError(f"net must be a LinearNetwork; got {describe(net)}")
    pt = (
        rational_point_on_manifold(net, seed=seed)
        if point is None
        else [_to_exact("point", v) for v in np.asarray(point, dtype=object).ravel().tolist()]
    )
    if len(pt) != net.n_params:
        raise InvalidParameterError(f"point must have {net.n_params} coordinates; got {len(pt)}")
    W, J = _exact_jacobian(net, pt)
    on = W == exact_w_star(net)
    rank = int(J.rref()[1])
    H = exact_hessian(net, pt)
    nullity = net.n_params - int(H.rref()[1])
    dN, d0 = net.widths[-1], net.widths[0]
    return ManifoldCertificate(
        tuple(pt), bool(on), rank, rank == dN * d0, net.n_params - rank, nullity, net.n_params
    )


# -- C9: ball arithmetic for analytic losses ----------------------------------------------------
def arb_eval(expr: Any, env: dict[Any, Any]) -> Any:
    r"""Evaluate a sympy expression in ball arithmetic (``flint.arb``), rigorously.

    Supports numbers, symbols (values in ``env`` as arb/fmpq/int), ``+``, ``*``, integer and
    rational powers, ``exp``, ``log``, ``sin``, ``cos``, ``sinh``, ``cosh``, ``tanh``,
    ``sech``, ``Abs`` and ``sqrt``.  Raises InvalidParameterError for anything else.
    """
    import flint
    import sympy

    def ev(e: Any) -> Any:
        if e in env:
            return flint.arb(env[e]) if not isinstance(env[e], flint.arb) else env[e]
        if e.is_Integer:
            return flint.arb(int(e))
        if e.is_Rational:
            return flint.arb(flint.fmpq(int(e.p), int(e.q)))
        if e is sympy.pi:
            return flint.arb.pi()
        if e is sympy.E:
            return flint.arb(1).exp()
        if e.is_Float:
            return flint.arb(flint.fmpq(*Fraction(float(e)).as_integer_ratio()))
        if isinstance(e, sympy.Add):
            acc = flint.arb(0)
            for a in e.args:
                acc += ev(a)
            return acc
        if isinstance(e, sympy.Mul):
            acc = flint.arb(1)
            for a in e.args:
                acc *= ev(a)
            return acc
        if isinstance(e, sympy.Pow):
            base, ex = e.args
            b = ev(base)
            if ex.is_Integer:
                k = int(ex)
                return b**k if k >= 0 else 1 / (b ** (-k))
            if ex.is_Rational:
                return b ** flint.fmpq(int(ex.p), int(ex.q))
            return (ev(ex) * b.log()).exp()
        funcs = {
            sympy.exp: "exp",
            sympy.log: "log",
            sympy.sin: "sin",
            sympy.cos: "cos",
            sympy.sinh: "sinh",
            sympy.cosh: "cosh",
            sympy.tanh: "tanh",
        }
        for f, name in funcs.items():
            if isinstance(e, f):
                return getattr(ev(e.args[0]), name)()
        if isinstance(e, sympy.sech):
            return 1 / ev(e.args[0]).cosh()
        if isinstance(e, sympy.Abs):
            return abs(ev(e.args[0]))
        raise InvalidParameterError(f"arb_eval cannot evaluate {e} (unsupported function)")

    return ev(sympy.sympify(expr))


def ball_det_certificate(
    model: LossModel, point: Any, lr: Any, *, prec: int = 128
) -> tuple[bool, tuple[Fraction, Fraction], str]:
    r"""Enclose :math:`\det DG_\eta(\theta)` at a rational point in ball arithmetic (C9).

    Returns ``(excludes_zero, (lo, hi), text)``: if the enclosure excludes 0, then
    :math:`\det DG_\eta \not\equiv 0` (rigorous, for any analytic loss).
    """
    import flint

    from ..symbolic.derivation import derive

    if not isinstance(model, LossModel):
        raise InvalidParameterError(f"model must be a LossModel; got {describe(model)}")
    eta = _check_lr(lr)
    pt = [_to_exact("point", v) for v in list(point)]
    if len(pt) != model.n_params:
        raise InvalidParameterError(f"point must have {model.n_params} coordinates; got {len(pt)}")
    H = derive(model).hessian
    old = flint.ctx.prec
    flint.ctx.prec = check_int("prec", prec, minimum=53)
    try:
        env = {s: flint.arb(_fq(v)) for s, v in zip(model.params, pt, strict=True)}
        P = model.n_params
        M = flint.arb_mat(P, P)
        for i in range(P):
            for j in range(P):
                M[i, j] = (1 if i == j else 0) - flint.arb(_fq(eta)) * arb_eval(H[i, j], env)
        d = M.det()
        lo, hi = arb_to_interval(d)  # end points at the working precision
    finally:
        flint.ctx.prec = old
    excl = bool(lo > 0 or hi < 0)
    text = (
        f"det DG_eta({', '.join(str(v) for v in pt)}) in [{float(lo):.12g}, "
        f"{float(hi):.12g}] (ball, eta = {eta})"
    )
    return excl, (lo, hi), text


def critical_set_cover(
    model: LossModel,
    near: Any,
    *,
    box: float = 2.0,
    n_cells: int = 32,
    max_depth: int = 6,
    prec: int = 64,
) -> tuple[bool, int, int, str]:
    r"""Rigorous cover of the critical points of a 2-parameter loss in a box (C9).

    The box :math:`[-b, b]^2` is split into ``n_cells``² cells (bisected up to ``max_depth``
    times where needed); on each cell the gradient is enclosed in ball arithmetic
    (:func:`arb_eval` with ball arguments).  A cell whose gradient enclosure excludes 0 holds no
    critical point.  Every other cell must satisfy ``near``: a list of groups of sympy
    expressions, one group of which has enclosures that all contain 0 on the cell (e.g.
    ``[[u], [u_x, u_y]]`` for :math:`\{u = 0\}\cup\{\nabla u = 0\}`).  Returns
    ``(ok, n_excluded, n_near, text)``: when ``ok``, every critical point in the box lies in a
    cell next to the closed-form critical set.
    """
    import flint
    import sympy

    from ..symbolic.derivation import derive

    if not isinstance(model, LossModel) or model.n_params != 2:
        raise InvalidParameterError(
            f"model must be a LossModel with 2 parameters; got {describe(model)}"
        )
    cells = check_int("n_cells", n_cells, minimum=1)
    grad = list(derive(model).gradient)
    groups = [[sympy.sympify(e) for e in (g if isinstance(g, list | tuple) else [g])] for g in near]
    xs, ys = model.params
    h = Fraction(box) / cells
    old = flint.ctx.prec
    flint.ctx.prec = check_int("prec", prec, minimum=53)
    excluded = near_cells = 0
    bad: list[tuple[float, float]] = []

    def visit(cx: Fraction, cy: Fraction, r: Fraction, depth: int) -> None:
        nonlocal excluded, near_cells
        env = {xs: flint.arb(_fq(cx), _fq(r)), ys: flint.arb(_fq(cy), _fq(r))}
        if any(not arb_eval(g, env).contains(0) for g in grad):
            excluded += 1
        elif any(all(arb_eval(e, env).contains(0) for e in grp) for grp in groups):
            near_cells += 1
        elif depth < max_depth:  # bisect: the enclosure tightens on smaller cells
            r2 = r / 2
            for dx in (-r2, r2):
                for dy in (-r2, r2):
                    visit(cx + dx, cy + dy, r2, depth + 1)
        else:
            bad.append((float(cx), float(cy)))

    try:
        for i in range(cells):
            for j in range(cells):
                visit(-Fraction(box) + h * (2 * i + 1), -Fraction(box) + h * (2 * j + 1), h, 0)
    finally:
        flint.ctx.prec = old
    ok = not bad
    text = (
        f"[-{box}, {box}]^2 in {cells}x{cells} cells (adaptive bisection): {excluded} "
        "cells certified free of critical points (ball enclosure of grad L excludes 0), "
        f"{near_cells} cells touch "
        + " or ".join("{" + ", ".join(f"{e} = 0" for e in grp) + "}" for grp in groups)
        + ("" if ok else f", {len(bad)} unexplained cells, e.g. {bad[:3]}")
    )
    return ok, excluded, near_cells, text
