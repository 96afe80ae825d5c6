r"""``dynsys-gd derive``: the symbolic derivation of a linear network's GD map.

Prints the loss, the gradient, the GD map :math:`G_\eta = \theta - \eta\nabla L`, and on request
the Hessian (``--hessian``), the Jacobian :math:`DG_\eta = I - \eta H` of the GD map
(``--jacobian``), LaTeX (``--latex``) and factored forms (``--factor``).  Everything is computed
on exact sparse polynomials over Q (no expression swell); an expression with more than
``--max-terms`` terms is printed compactly as its first terms and its size, and a matrix with more
than ``--max-entries`` entries shows only its first entries.  ``--full`` prints every term, and is
refused beyond :data:`FULL_MAX_TERMS` terms.  Sizes beyond the symbolic size model
(:func:`dynsys_gd.symbolic.derivation.check_derivation_size`) are refused up front with the
estimate.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..symbolic.factoring import factor
from ._registry import COMMANDS

NAME = "derive"
HELP = COMMANDS[NAME]
EPILOG = """examples:
  dynsys-gd derive --depth 3 --target 2
  dynsys-gd derive --widths 2 2 2 --lr 0.5 --hessian --jacobian
  dynsys-gd derive --depth 2 --latex --factor
  dynsys-gd derive --widths 4 4 4 4 4          (compact: first terms and term counts)
"""

#: ``--full`` is refused when the printed expressions would hold more terms than this
FULL_MAX_TERMS = 200_000
#: ``--factor`` is refused beyond this many parameters or terms per expression
FACTOR_MAX_PARAMS = 12
FACTOR_MAX_TERMS = 400
#: shown terms of a compact expression
COMPACT_TERMS = 4
#: monomials with more factors are abbreviated (first and last factors) unless --full
MAX_FACTORS = 12
#: gradient / GD-map components shown when P is large (unless --full)
MAX_COMPONENTS = 32


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ._options import add_network_arguments

    add_network_arguments(p)
    p.add_argument("--lr", type=float, default=None, help="numeric step size (default: symbol eta)")
    p.add_argument("--hessian", action="store_true", help="print the Hessian H = grad^2 L")
    p.add_argument(
        "--jacobian", action="store_true", help="print DG_eta = I - eta H, the GD map's Jacobian"
    )
    p.add_argument("--latex", action="store_true", help="print expressions as LaTeX")
    p.add_argument(
        "--factor",
        action="store_true",
        help=f"factor expressions with sympy.factor (refused beyond {FACTOR_MAX_PARAMS} "
        "parameters: multivariate factoring gets very slow)",
    )
    p.add_argument(
        "--max-terms",
        type=int,
        default=64,
        help="print expressions with more terms compactly (default 64)",
    )
    p.add_argument(
        "--max-entries",
        type=int,
        default=36,
        help="matrix entries shown (upper triangle, row by row; default 36)",
    )
    p.add_argument(
        "--full",
        action="store_true",
        help=f"print every term and entry (refused beyond {FULL_MAX_TERMS:,} terms)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


class _Printer:
    """Formats sparse polynomials: full, compact (first terms), LaTeX, factored."""

    def __init__(self, deriv: Any, args: argparse.Namespace) -> None:
        self.d = deriv
        self.args = args
        self.syms = deriv.params

    def _term_expr(self, monom: tuple[int, ...], coeff: Any) -> Any:
        import sympy

        c = sympy.Rational(int(coeff.numerator), int(coeff.denominator))
        return c * sympy.Mul(*[s**e for s, e in zip(self.syms, monom, strict=True) if e])

    def _short_term(self, monom: tuple[int, ...], coeff: Any) -> str:
        """A term with many factors as its first and last factors and the factor count."""
        import sympy

        factors = [(s, e) for s, e in zip(self.syms, monom, strict=True) if e]
        if len(factors) <= MAX_FACTORS:
            t = self._term_expr(monom, coeff)
            return sympy.latex(t) if self.args.latex else str(t)
        c = sympy.Rational(int(coeff.numerator), int(coeff.denominator))

        def fmt(sym: Any, e: int) -> str:
            if self.args.latex:
                return sympy.latex(sym**e)
            return str(sym) if e == 1 else f"{sym}**{e}"

        head = [fmt(sym, e) for sym, e in factors[:3]]
        tail = [fmt(sym, e) for sym, e in factors[-2:]]
        sep = " " if self.args.latex else "*"
        dots = r"\cdots" if self.args.latex else "..."
        lead = (
            ""
            if c == 1
            else ("-" if c == -1 else f"{sympy.latex(c) if self.args.latex else c}{sep}")
        )
        return f"{lead}{sep.join(head)}{sep}{dots}{sep}{sep.join(tail)} [{len(factors)} factors]"

    def info(self, poly: Any) -> dict[str, Any]:
        import sympy

        n = len(poly)
        degree = max((sum(m) for m in poly.itermonoms()), default=0)
        longest = max((sum(1 for e in m if e) for m in poly.itermonoms()), default=0)
        full = self.args.full or (n <= self.args.max_terms and longest <= MAX_FACTORS)
        if full:
            expr = self.d._to_expr(poly)
            if self.args.factor:
                expr = factor(expr)
            text = sympy.latex(expr) if self.args.latex else str(expr)
        else:
            terms = poly.terms()[:COMPACT_TERMS] if n > self.args.max_terms else poly.terms()
            shown = _join_terms([self._short_term(m, c) for m, c in terms])
            rest = n - len(terms)
            if rest == 0:
                text = shown
            elif self.args.latex:
                text = f"{shown} + \\dots \\; (+{rest}\\ \\text{{more terms}})"
            else:
                text = f"{shown} + ... (+{rest} more terms)"
        return {"terms": n, "degree": degree, "complete": full, "text": text}

    @staticmethod
    def line(info: dict[str, Any]) -> str:
        if info["complete"]:
            return str(info["text"])
        return f"[{info['terms']} terms, degree {info['degree']}] {info['text']}"


def _join_terms(parts: list[str]) -> str:
    """``a + b - c`` from term strings (a leading minus becomes the separator)."""
    out = ""
    for i, t in enumerate(parts):
        if i == 0:
            out = t
        elif t.startswith("-"):
            out += f" - {t[1:]}"
        else:
            out += f" + {t}"
    return out


def _network(args: argparse.Namespace) -> Any:
    """The network of the shared options (``--network``, ``--depth``, ``--target``,
    ``--widths``): the same model as for ``analyze`` and ``sweep``."""
    from ._options import build_network

    return build_network(args)


def _check_options(args: argparse.Namespace, net: Any) -> None:
    from .._validation import check_int
    from ..errors import InvalidParameterError
    from ..symbolic.derivation import check_derivation_size, check_lr_exact, estimate_terms

    check_int("max_terms", args.max_terms, minimum=1)
    check_int("max_entries", args.max_entries, minimum=1)
    if args.lr is not None:
        check_lr_exact(args.lr)
    matrix = args.hessian or args.jacobian
    P = net.n_params
    all_entries = args.full or P * (P + 1) // 2 <= args.max_entries
    check_derivation_size(net, "hessian" if matrix and all_entries else "gradient")
    est = estimate_terms(net)
    if args.full:
        total = est["gradient"] * (2 if args.lr is not None else 1)
        if matrix:
            total += est["hessian"] // 2
        if total > FULL_MAX_TERMS:
            raise InvalidParameterError(
                f"--full would print an estimated {total:,} terms for widths {net.widths} "
                f"(limit {FULL_MAX_TERMS:,}); omit --full for the compact form"
            )
    if args.factor:
        if P > FACTOR_MAX_PARAMS:
            raise InvalidParameterError(
                f"--factor is refused for P = {P} > {FACTOR_MAX_PARAMS} parameters (sympy.factor "
                "of multivariate polynomials gets very slow); omit --factor"
            )
        if est["gradient"] / max(P, 1) > FACTOR_MAX_TERMS:
            raise InvalidParameterError(
                f"--factor is refused for gradients of about {est['gradient'] // P:,} terms each "
                f"(limit {FACTOR_MAX_TERMS}); omit --factor"
            )


def run(args: argparse.Namespace) -> int:
    from ..symbolic.derivation import check_lr_exact, derive

    net = _network(args)
    _check_options(args, net)
    d = derive(net)
    pr = _Printer(d, args)
    R, gens, loss = d._ring
    P = net.n_params
    lr_q = None if args.lr is None else check_lr_exact(args.lr)
    eta_txt = "eta" if lr_q is None else str(lr_q)
    q = None
    if lr_q is not None:
        from sympy.polys.domains import QQ

        q = QQ(int(lr_q.p), int(lr_q.q))

    out: dict[str, Any] = {
        "network": (
            f"scalar linear network, depth {net.depth}, target {net.target:g}"
            if net.is_scalar
            else repr(net)
        ),
        "n_params": P,
        "lr": None if lr_q is None else str(lr_q),
        "loss": pr.info(loss),
    }
    grads = d.gradient_polys
    n_show = P if (args.full or P <= MAX_COMPONENTS) else MAX_COMPONENTS
    out["gradient"] = [pr.info(g) for g in grads[:n_show]]
    out["gradient_components_shown"] = n_show
    if q is not None:
        out["gd_map"] = [pr.info(gens[i] - q * grads[i]) for i in range(n_show)]
    entries: list[tuple[int, int]] = []
    if args.hessian or args.jacobian:
        limit = P * (P + 1) // 2 if args.full else args.max_entries
        for i in range(P):
            for j in range(i, P):
                if len(entries) < limit:
                    entries.append((i, j))
        H = {}
        for i, j in entries:
            H[(i, j)] = grads[i].diff(gens[j])
        out["matrix_entries_shown"] = len(entries)
        out["matrix_entries_total"] = P * (P + 1) // 2
        if args.hessian:
            out["hessian"] = [{"i": i, "j": j, **pr.info(H[(i, j)])} for i, j in entries]
        if args.jacobian:
            jac = []
            for i, j in entries:
                if q is not None:
                    e = (R.one if i == j else R.zero) - q * H[(i, j)]
                    jac.append({"i": i, "j": j, **pr.info(e)})
                else:
                    inf = pr.info(H[(i, j)])
                    delta = "1" if i == j else "0"
                    jac.append({"i": i, "j": j, **inf, "text": f"{delta} - eta*({inf['text']})"})
            out["jacobian"] = jac
    det = None
    if P <= 6:
        import sympy

        det_e = d.det_dg(args.lr, max_params=6)
        if args.factor:
            det_e = factor(det_e)
        det = sympy.latex(det_e) if args.latex else str(det_e)
    out["det_DG"] = det

    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    names = [str(p) for p in d.params]
    w = max(len(n) for n in names)
    print(f"{out['network']}  (P = {P} parameters)")
    print(f"L(theta) = {pr.line(out['loss'])}")
    for name, g in zip(names, out["gradient"], strict=False):
        print(f"dL/d{name.ljust(w)} = {pr.line(g)}")
    if n_show < P:
        print(f"... ({P - n_show} more components; --full prints all)")
    print(f"G_eta(theta) = theta - {eta_txt} * grad L")
    for name, g in zip(names, out.get("gd_map", []), strict=False):
        print(f"  {name.ljust(w)} -> {pr.line(g)}")
    for key, title in (("hessian", "H"), ("jacobian", "DG_eta")):
        if key in out:
            shown, total = out["matrix_entries_shown"], out["matrix_entries_total"]
            note = "" if shown == total else f", showing {shown} of {total} (--full for all)"
            print(f"{title} (symmetric {P} x {P}; upper triangle{note}):")
            for e in out[key]:
                print(f"  {title}[{names[e['i']]}, {names[e['j']]}] = {pr.line(e)}")
    if det is None:
        print("det DG_eta: not expanded for P > 6 (use Derivation.det_dg_at for exact values)")
    else:
        print(f"det DG_eta = {det}")
    return 0
