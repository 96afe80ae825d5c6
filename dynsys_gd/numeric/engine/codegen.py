r"""Straight-line gradient code for the compiled lanes, and the monomial table of polynomials.

Scalar networks up to depth :data:`MAX_STRAIGHT_DEPTH` and matrix networks up to
:data:`MAX_STRAIGHT_PARAMS` parameters (any :math:`\Sigma_{xx}`) get their gradient written out
for their widths (:func:`scalar_lines`, :func:`matrix_lines`: prefix and suffix products computed
once and shared by every layer, the common subexpressions of the symbolic gradient; zero entries
of :math:`\Sigma_{xx}` skipped, unit entries not multiplied).  :func:`generated_block` puts the
lines into a lane block (signature :data:`~dynsys_gd.numeric.engine.lane_block.BLOCK_SIG`),
compiled once per shape from memory and cached by numba in the kernel directory
(:func:`~dynsys_gd.numeric.engine.kernel_cache.load_generated`).  Linear networks keep their
runs side by side up to :data:`LANES_UP_TO` parameters (the loop over the lanes is vectorised);
other bodies of more than :data:`PER_RUN_ABOVE` parameters step each run on its own contiguous
copy.

Non-polynomial :class:`~dynsys_gd.models.LossModel` s of at most :data:`MAX_STRAIGHT_PARAMS`
parameters get the same treatment from the sympy gradient (:func:`expression_lines`:
``sympy.cse`` once, integer powers as products, functions from :mod:`math`);
:func:`expr_gradient` runs the same lines in Python for the reference path.  Polynomial ones are
evaluated by the generic kernel from the monomial table of :func:`poly_table`.

Every generated line performs the operations of the generic kernels
(:mod:`~dynsys_gd.numeric.engine.lane_gradients`) in the same order, so both agree bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "LANES_UP_TO",
    "MAX_STRAIGHT_DEPTH",
    "MAX_STRAIGHT_PARAMS",
    "PER_RUN_ABOVE",
    "expr_gradient",
    "expression_lines",
    "generated_block",
    "matrix_lines",
    "poly_table",
    "scalar_lines",
]


# ------------------------------------------------------------------------------------------------
# polynomial losses: the monomial table of the exact gradient polynomials
# ------------------------------------------------------------------------------------------------
def poly_table(model: Any) -> tuple[Any, Any, int] | None:
    """Monomial table of the exact gradient polynomials of a polynomial LossModel."""
    from ...symbolic.derivation import derive

    d = derive(model)
    if not d.polynomial:
        return None
    nv = d.n_params
    index: dict[tuple[int, ...], int] = {}
    rows: list[list[tuple[int, float]]] = []
    for poly in d.gradient_polys:
        terms = []
        for mon, coeff in poly.terms():
            m = index.setdefault(tuple(int(e) for e in mon), len(index))
            terms.append((m, _as_float(coeff)))
        terms.sort()
        rows.append(terms)
    exps = np.array(list(index), dtype=np.int64).reshape(len(index), nv)
    md = int(exps.max()) if exps.size else 0
    indptr = [0]
    indices: list[int] = []
    coeffs: list[float] = []
    for terms in rows:
        for m, cf in terms:
            indices.append(m)
            coeffs.append(cf)
        indptr.append(len(indices))
    ip = [nv, md, exps.shape[0], *exps.ravel().tolist(), *indptr, *indices]
    nwork = nv * md + exps.shape[0]
    return ip, coeffs, nwork


def _as_float(coeff: Any) -> float:
    from fractions import Fraction

    return float(Fraction(int(coeff.numerator), int(coeff.denominator)))


# ------------------------------------------------------------------------------------------------
# straight-line lane blocks generated for small networks
# ------------------------------------------------------------------------------------------------
#: scalar networks up to this depth and matrix networks up to this many parameters get a
#: block of straight-line code generated for their widths (one compilation per shape, cached)
MAX_STRAIGHT_DEPTH = 32
MAX_STRAIGHT_PARAMS = 64


def scalar_lines(N: int, sxx: float, syx: float) -> list[str]:
    """Straight-line gradient ``g0..g{N-1}`` of a scalar network from ``x0..x{N-1}``: the
    operations of :func:`_grad_scalar` in the same order."""
    L = ["o0 = 1.0"]
    for i in range(1, N):
        L.append(f"o{i} = o{i - 1} * x{i - 1}")
    L.append("sf = 1.0")
    for i in range(N - 2, -1, -1):
        L.append(f"sf = sf * x{i + 1}")
        L.append(f"o{i} = o{i} * sf")
    L.append("p = o0 * x0")
    L.append(f"r = {sxx!r} * p - {syx!r}")
    for i in range(N):
        L.append(f"g{i} = o{i} * r")
    return L


def matrix_lines(widths: tuple[int, ...], Sxx: Any, Syx: Any) -> list[str]:
    """Straight-line gradient of a linear network: the operations of
    :func:`~dynsys_gd.numeric.engine.lane_gradients._grad_linear` in the same order (prefix and
    suffix products computed once and shared by every layer's gradient, zero entries of Sxx
    skipped, unit entries not multiplied)."""
    N = len(widths) - 1
    d = list(widths)
    off = [0]
    for j in range(N):
        off.append(off[-1] + d[j + 1] * d[j])

    def layer(j: int, r: int, c: int) -> str:
        return f"x{off[j] + r * d[j] + c}"

    out_lines: list[str] = []

    def mm(A: Any, B: Any, name: str, n: int, k: int, m: int) -> list[list[str]]:
        res = []
        for i in range(n):
            row = []
            for j in range(m):
                v = f"{name}_{i}_{j}"
                out_lines.append(f"{v} = {A(i, 0)} * {B(0, j)}")
                for q in range(1, k):
                    out_lines.append(f"{v} = {v} + {A(i, q)} * {B(q, j)}")
                row.append(v)
            res.append(row)
        return res

    pre: dict[int, list[list[str]]] = {}
    if N >= 2:
        pre[1] = [[layer(0, r, c) for c in range(d[0])] for r in range(d[1])]
    for j in range(2, N):
        Pj = pre[j - 1]
        pre[j] = mm(
            lambda i, q, j=j: layer(j - 1, i, q),
            lambda q, c, Pj=Pj: Pj[q][c],
            f"pre{j}",
            d[j],
            d[j - 1],
            d[0],
        )
    suf: dict[int, list[list[str]]] = {}
    if N >= 2:
        suf[N - 2] = [[layer(N - 1, r, c) for c in range(d[N - 1])] for r in range(d[N])]
    for j in range(N - 3, -1, -1):
        Sj = suf[j + 1]
        suf[j] = mm(
            lambda i, q, Sj=Sj: Sj[i][q],
            lambda q, c, j=j: layer(j + 1, q, c),
            f"suf{j}",
            d[N],
            d[j + 2],
            d[j + 1],
        )
    if N >= 2:
        S0 = suf[0]
        W = mm(lambda i, q: S0[i][q], lambda q, c: layer(0, q, c), "W", d[N], d[1], d[0])
    else:
        W = [[layer(0, r, c) for c in range(d[0])] for r in range(d[N])]
    R = []
    for r in range(d[N]):
        row = []
        for c in range(d[0]):
            terms = []
            for q in range(d[0]):
                cf = float(Sxx[q, c])
                if cf == 0.0:
                    continue
                terms.append(W[r][q] if cf == 1.0 else f"{cf!r} * {W[r][q]}")
            v = f"R_{r}_{c}"
            out_lines.append(f"{v} = {terms[0] if terms else '0.0'}")
            for tm in terms[1:]:
                out_lines.append(f"{v} = {v} + {tm}")
            out_lines.append(f"{v} = {v} - {float(Syx[r, c])!r}")
            row.append(v)
        R.append(row)
    for j in range(N):
        a, b = d[j + 1], d[j]
        if j < N - 1:
            Sj = suf[j]
            T = mm(lambda i, q, Sj=Sj: Sj[q][i], lambda q, c: R[q][c], f"T{j}", a, d[N], d[0])
        else:
            T = R
        if j > 0:
            Pj = pre[j]
            G = mm(lambda i, q, T=T: T[i][q], lambda q, c, Pj=Pj: Pj[c][q], f"G{j}", a, d[0], b)
        else:
            G = T
        for r in range(a):
            for c in range(b):
                out_lines.append(f"g{off[j] + r * b + c} = {G[r][c]}")
    return out_lines


_BLOCK_TEMPLATE = """# generated by dynsys_gd.numeric.engine.codegen (straight-line); do not edit
import math

import numba

from dynsys_gd.numeric.engine.lane_block import _JIT, BLOCK_SIG


@numba.njit(BLOCK_SIG, **_JIT)
def block(kind, ip, fp, th, g, wk, lr, hist, gsum, gmax, c, tail, H):
    P, L = th.shape
    for l in range(L):
        gsum[l] = 0.0
        gmax[l] = 0.0
    for s in range(c):
        if s >= c - tail:
            for l in range(L):
{unpack}
{body}
{norm}
                gn = math.sqrt(gg)
                gsum[l] = gsum[l] + gn
                if gn > gmax[l]:
                    gmax[l] = gn
                e = lr[l]
{update}
        else:
            for l in range(L):
{unpack}
{body}
                e = lr[l]
{update}
        if s >= c - H:
            h = s - (c - H)
            for i in range(P):
                for l in range(L):
                    hist[h, i, l] = th[i, l]
"""

#: per-trajectory variant for larger bodies: each lane's run steps ``c`` times on a contiguous
#: copy of its parameters (the straight-line gradient can then be vectorised within a run)
_BLOCK_TEMPLATE_RUN = """# generated by dynsys_gd.numeric.engine.codegen (per-run); do not edit
import math

import numba
import numpy as np

from dynsys_gd.numeric.engine.lane_block import _JIT, BLOCK_SIG


@numba.njit(**_JIT)
def grad(xv, gv):
{unpack}
{body}
{pack}


@numba.njit(BLOCK_SIG, **_JIT)
def block(kind, ip, fp, th, g, wk, lr, hist, gsum, gmax, c, tail, H):
    P, L = th.shape
    xb = np.empty(P)
    gb = np.empty(P)
    for l in range(L):
        for i in range(P):
            xb[i] = th[i, l]
        e = lr[l]
        gs = 0.0
        gm = 0.0
        for s in range(c):
            grad(xb, gb)
            if s >= c - tail:
                gg = gb[0] * gb[0]
                for i in range(1, P):
                    gg = gg + gb[i] * gb[i]
                gn = math.sqrt(gg)
                gs = gs + gn
                if gn > gm:
                    gm = gn
            for i in range(P):
                xb[i] = xb[i] - e * gb[i]
            if s >= c - H:
                h = s - (c - H)
                for i in range(P):
                    hist[h, i, l] = xb[i]
        for i in range(P):
            th[i, l] = xb[i]
        gsum[l] = gs
        gmax[l] = gm
"""

#: straight-line bodies with more parameters than this use the per-run block by default (the
#: optimiser blocks and non-polynomial losses)
PER_RUN_ABOVE = 16
#: linear networks keep the lanes side by side up to this many parameters (every straight-line
#: shape): LLVM vectorises the loop over the lanes (4 lanes per instruction) once its
#: runtime alias checks are allowed (:mod:`~dynsys_gd.numeric.engine._jit`), 3-5 times faster
#: per step than the per-run block from 17 parameters on
LANES_UP_TO = MAX_STRAIGHT_PARAMS


def generated_block(lines: list[str], P: int, lanes_up_to: int = PER_RUN_ABOVE) -> Any:
    """Compile (once per shape; cached on disk) a lane block around straight-line gradient
    code; returns the compiled block (signature BLOCK_SIG).  Bodies of more than
    ``lanes_up_to`` parameters step each run on its own contiguous copy (the same operations
    in the same order: the same bits)."""

    if P > lanes_up_to:
        src = _BLOCK_TEMPLATE_RUN.format(
            unpack="\n".join(f"    x{i} = xv[{i}]" for i in range(P)),
            body="\n".join("    " + ln for ln in lines),
            pack="\n".join(f"    gv[{i}] = g{i}" for i in range(P)),
        )
        return _load_block(src)
    pad = " " * 16
    unpack = "\n".join(f"{pad}x{i} = th[{i}, l]" for i in range(P))
    body = "\n".join(pad + ln for ln in lines)
    norm = "\n".join([f"{pad}gg = g0 * g0"] + [f"{pad}gg = gg + g{i} * g{i}" for i in range(1, P)])
    update = "\n".join(f"{pad}th[{i}, l] = x{i} - e * g{i}" for i in range(P))
    src = _BLOCK_TEMPLATE.format(unpack=unpack, body=body, norm=norm, update=update)
    return _load_block(src)


def _load_block(src: str) -> Any:
    """Compile the generated ``src`` from memory (its cache file verified) and return ``block``."""
    from .kernel_cache import load_generated

    return load_generated(src, "lane_block", "block")


# ------------------------------------------------------------------------------------------------
# non-polynomial losses: straight-line code from the sympy gradient (common subexpressions once)
# ------------------------------------------------------------------------------------------------
_MATH_FUNCS = {
    "exp",
    "log",
    "sin",
    "cos",
    "tan",
    "sinh",
    "cosh",
    "tanh",
    "atan",
    "asin",
    "acos",
    "asinh",
    "acosh",
    "atanh",
    "sqrt",
    "log1p",
    "expm1",
    "erf",
    "fabs",
}


def expression_lines(model: Any) -> list[str] | None:
    r"""Straight-line code ``g0..g{P-1}`` from ``x0..x{P-1}`` for the gradient of a loss given
    by a sympy expression: ``sympy.cse`` once, integer powers written as products (so the
    compiled and the Python evaluation round identically), functions from :mod:`math`.
    None when an expression uses something else."""
    import sympy
    from sympy.printing.pycode import PythonCodePrinter

    from ...symbolic.derivation import derive

    d = derive(model)
    P = d.n_params
    xs = [sympy.Symbol(f"x{i}") for i in range(P)]
    sub = dict(zip(d.params, xs, strict=True))
    grads = [sympy.sympify(gi).xreplace(sub) for gi in d.gradient]
    reps, red = sympy.cse(grads, symbols=sympy.numbered_symbols("c"))

    class _Printer(PythonCodePrinter):  # type: ignore[misc]
        def _print_Pow(self, expr: Any, rational: bool = False) -> str:
            b, e = expr.as_base_exp()
            if e.is_Integer and 1 <= int(e) <= 16:
                return "(" + " * ".join([self.parenthesize(b, 100)] * int(e)) + ")"
            if e.is_Integer and -16 <= int(e) <= -1:
                return "(1.0 / (" + " * ".join([self.parenthesize(b, 100)] * -int(e)) + "))"
            if e == sympy.Rational(1, 2):
                return f"math.sqrt({self._print(b)})"
            return f"math.pow({self._print(b)}, {self._print(sympy.Float(e))})"

        def _print_Rational(self, expr: Any) -> str:
            return repr(float(expr))

        def _print_Integer(self, expr: Any) -> str:
            return repr(float(expr))

    pr = _Printer({"fully_qualified_modules": True, "standard": "python3"})
    lines = []
    try:
        for sym, ex in reps:
            lines.append(f"{sym} = {pr.doprint(ex)}")
        for i, ex in enumerate(red):
            lines.append(f"g{i} = {pr.doprint(ex)}")
    except Exception:
        return None
    import re

    for ln in lines:
        for fn in re.findall(r"math\.([a-z0-9_]+)", ln):
            if fn not in _MATH_FUNCS and fn not in ("pow",):
                return None
        if re.search(r"\b(?!math\b)[a-z_]+\.", ln.split("=", 1)[1]) or "numpy" in ln:
            return None
    return lines


def expr_gradient(lines: list[str], P: int) -> Any:
    """Plain Python function ``grad(x) -> g`` (lists of floats) running the same code."""
    src = "import math\ndef grad(x):\n"
    src += "".join(f"    x{i} = x[{i}]\n" for i in range(P))
    src += "".join(f"    {ln}\n" for ln in lines)
    src += "    return [" + ", ".join(f"g{i}" for i in range(P)) + "]\n"
    ns: dict[str, Any] = {}
    exec(compile(src, "<dynsys_gd expression gradient>", "exec"), ns)
    return ns["grad"]
