r"""The exact and ball-arithmetic machinery of
:func:`~dynsys_gd.numeric.landscape.critical_points.critical_points` (private): the loss and its
derivatives in ball arithmetic, the Krawczyk test, the Groebner computation in a child process
under a CPU-time budget, and the certificate that det DG_eta is not identically zero."""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from ..._validation import check_positive_float
from ...models import LossModel
from .critical_results import _check_model

#: memory cap of the child process doing the exact algebra (bytes)
EXACT_MEMORY_BYTES = 2 * 1024**3
#: the wall-clock backstop of the exact route is this many times its CPU budget (plus 30 s)
EXACT_WALL_FACTOR = 20


def _arb_evaluator(exprs: Sequence[Any], params: Sequence[Any]) -> Callable[[list[Any]], list[Any]]:
    """Compile sympy expressions into a function of flint.arb balls (rigorous enclosures).

    Raises NotImplementedError for functions without a ball implementation here.
    """
    import flint
    import sympy

    index = {p: i for i, p in enumerate(params)}
    funcs: dict[type, str] = {
        sympy.exp: "exp",
        sympy.log: "log",
        sympy.sin: "sin",
        sympy.cos: "cos",
        sympy.tan: "tan",
        sympy.sinh: "sinh",
        sympy.cosh: "cosh",
        sympy.tanh: "tanh",
        sympy.atan: "atan",
        sympy.asin: "asin",
        sympy.acos: "acos",
        sympy.asinh: "asinh",
        sympy.acosh: "acosh",
        sympy.atanh: "atanh",
        sympy.erf: "erf",
        sympy.sec: "sec",
        sympy.csc: "csc",
        sympy.cot: "cot",
        sympy.sech: "sech",
        sympy.csch: "csch",
        sympy.coth: "coth",
    }
    reps, reduced = sympy.cse(list(exprs))

    def build(e: Any, env: dict[Any, int]) -> Callable[[list[Any]], Any]:
        if e in index:
            k = index[e]
            return lambda v: v[k]
        if e in env:
            k2 = env[e]
            return lambda v: v[k2]
        if e.is_Integer or e.is_Rational:
            c = flint.arb(flint.fmpq(int(e.p), int(e.q)))
            return lambda v: c
        if e is sympy.pi:
            return lambda v: flint.arb.pi()
        if e is sympy.E:
            return lambda v: flint.arb(1).exp()
        if e.is_Float:
            fr = Fraction(float(e))
            c2 = flint.arb(flint.fmpq(fr.numerator, fr.denominator))
            return lambda v: c2
        if e.is_Add:
            parts = [build(a, env) for a in e.args]

            def add(v: list[Any]) -> Any:
                acc = parts[0](v)
                for f in parts[1:]:
                    acc = acc + f(v)
                return acc

            return add
        if e.is_Mul:
            parts = [build(a, env) for a in e.args]

            def mul(v: list[Any]) -> Any:
                acc = parts[0](v)
                for f in parts[1:]:
                    acc = acc * f(v)
                return acc

            return mul
        if e.is_Pow:
            base = build(e.base, env)
            ex = e.exp
            if ex.is_Integer:
                n = int(ex)
                if n >= 0:
                    return lambda v: _ipow(base(v), n)
                return lambda v: 1 / _ipow(base(v), -n)
            if ex == sympy.Rational(1, 2):
                return lambda v: base(v).sqrt()
            expo = build(ex, env)
            return lambda v: base(v) ** expo(v)
        if type(e) in funcs:
            name = funcs[type(e)]
            arg = build(e.args[0], env)
            return lambda v: getattr(arg(v), name)()
        raise NotImplementedError(f"no ball arithmetic for {type(e).__name__}")

    env: dict[Any, int] = {}
    steps: list[Callable[[list[Any]], Any]] = []
    P = len(params)
    for sym, sub in reps:
        steps.append(build(sub, env))
        env[sym] = P + len(steps) - 1
    outs = [build(e, env) for e in reduced]

    def run(vals: list[Any]) -> list[Any]:
        v = list(vals)
        for s in steps:
            v.append(s(v))
        return [f(v) for f in outs]

    return run


def _ipow(x: Any, n: int) -> Any:
    """x**n for a ball x by repeated squaring (flint's ``**`` gives nan on balls containing 0)."""
    import flint

    out = flint.arb(1)
    while n:
        if n & 1:
            out = out * x
        n >>= 1
        if n:
            x = x * x
    return out


class _BallModel:
    """Gradient and Hessian of a LossModel on flint.arb boxes."""

    def __init__(self, model: LossModel) -> None:
        import sympy

        self.P = model.n_params
        g = [sympy.diff(model.expr, p) for p in model.params]
        H = [sympy.diff(g[i], model.params[j]) for i in range(self.P) for j in range(i, self.P)]
        self.grad = _arb_evaluator(g, model.params)
        self.hess_upper = _arb_evaluator(H, model.params)

    def hessian(self, vals: list[Any]) -> Any:
        import flint

        up = self.hess_upper(vals)
        P = self.P
        M = flint.arb_mat(P, P)
        k = 0
        for i in range(P):
            for j in range(i, P):
                M[i, j] = up[k]
                M[j, i] = up[k]
                k += 1
        return M


def _ball_model(model: LossModel) -> _BallModel | None:
    key = "ball_model"
    if key not in model._cache:
        try:
            model._cache[key] = _BallModel(model)
        except NotImplementedError:
            model._cache[key] = None
    return model._cache[key]  # type: ignore[no-any-return]


def _mpf_to_arb(x: Any) -> Any:
    import flint
    import mpmath

    sign, man, exp, _ = mpmath.mpf(x)._mpf_  # value = (-1)^sign * man * 2^exp, exactly
    if not man:
        return flint.arb(0)
    v = flint.arb(flint.fmpz(int(man))) * flint.arb(2) ** int(exp)
    return -v if sign else v


def _krawczyk(
    bm: _BallModel, center: Sequence[Any], *, prec: int = 256
) -> tuple[bool, float | None, Any]:
    """Krawczyk test around ``center`` (mpf values).  Returns (certified, radius, box)."""
    import flint

    old = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        P = bm.P
        m = [_mpf_to_arb(c) for c in center]
        scale = max(1.0, max(abs(float(c)) for c in center))
        Hm = bm.hessian(m)
        F = np.array([[float(Hm[i, j].mid()) for j in range(P)] for i in range(P)])
        if not np.all(np.isfinite(F)):
            return False, None, None
        try:
            Yf = np.linalg.inv(F)
        except np.linalg.LinAlgError:
            return False, None, None
        if not np.all(np.isfinite(Yf)) or np.linalg.cond(F) > 1e12:
            return False, None, None
        Y = flint.arb_mat([[flint.arb(float(x)) for x in row] for row in Yf])
        g = bm.grad(m)
        gm = flint.arb_mat([[x] for x in g])
        YF = Y * gm
        eye = flint.arb_mat(P, P)
        for i in range(P):
            eye[i, i] = flint.arb(1)
        for r in (1e-30, 1e-24, 1e-18, 1e-12, 1e-9, 1e-6):
            rad = r * scale
            X = [flint.arb(mi.mid(), rad) for mi in m]
            HX = bm.hessian(X)
            D = flint.arb_mat([[X[i] - m[i]] for i in range(P)])
            K = eye - Y * HX
            KX = K * D
            ok = True
            Kb = []
            for i in range(P):
                ki = m[i] - YF[i, 0] + KX[i, 0]
                Kb.append(ki)
                if not (ki.is_finite() and X[i].contains_interior(ki)):
                    ok = False
                    break
            if ok:
                return True, rad, X
        return False, None, None
    finally:
        flint.ctx.prec = old


def _ball_hessian_enclosures(bm: _BallModel, X: Any) -> tuple[tuple[float, float], ...] | None:
    """Certified intervals for the Hessian eigenvalues over the box X (outward float rounding)."""
    import flint

    from .enclosures import certified_spectrum

    old = flint.ctx.prec
    flint.ctx.prec = 256
    try:
        H = bm.hessian(X)
    finally:
        flint.ctx.prec = old
    try:
        enc = certified_spectrum(H, prec=256)
    except Exception:
        return None
    out: list[tuple[float, float]] = []
    for c in enc.clusters:
        lo = math.nextafter(float(c.lo), -math.inf)
        hi = math.nextafter(float(c.hi), math.inf)
        out.extend([(lo, hi)] * c.count)
    return tuple(out)


# -- the exact route (child process) -------------------------------------------------------------
def _exact_child(
    conn: Any, loss_srepr: str, names: list[str], eps_exp: int, mem: int, cpu: float
) -> None:  # pragma: no cover - runs in a child process
    try:  # a CPU-time budget: the same work is allowed however loaded the machine is
        import resource
        import signal

        def _over_budget(signum: int, frame: Any) -> None:
            conn.send({"status": "cpu"})
            os._exit(0)

        # ITIMER_PROF counts this process's CPU time (user + system) to the microsecond;
        # RLIMIT_CPU (whole seconds) is the backstop should the timer signal be missed
        signal.signal(signal.SIGPROF, _over_budget)
        signal.signal(signal.SIGXCPU, _over_budget)
        signal.setitimer(signal.ITIMER_PROF, cpu)
        _soft, hard_cpu = resource.getrlimit(resource.RLIMIT_CPU)
        soft = math.ceil(cpu) + 1
        if hard_cpu != resource.RLIM_INFINITY:
            soft = min(soft, hard_cpu)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard_cpu))
    except Exception:  # no CPU limit where the platform has none; the wall backstop stays
        pass
    try:  # cap the address space at what the (forked) process already maps plus ``mem``
        import resource

        with open("/proc/self/statm") as fh:
            mapped = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = mapped + mem
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except Exception:  # no cap where the platform has none; the time limit stays
        pass
    try:
        import sympy

        syms = [sympy.Symbol(n) for n in names]
        loss = sympy.sympify(loss_srepr, locals=dict(zip(names, syms, strict=True)))
        grad = [sympy.expand(sympy.diff(loss, s)) for s in syms]
        grad = [g for g in grad if g != 0]
        if not grad:
            conn.send({"status": "constant"})
            return
        G = sympy.groebner(grad, *syms, order="grevlex")
        if G.exprs == [1]:
            conn.send({"status": "ok", "roots": [[] for _ in syms]})
            return
        if not G.is_zero_dimensional:
            conn.send({"status": "positive-dimensional"})
            return
        eps = sympy.Rational(1, 10**eps_exp)
        roots: list[list[tuple[str, str]]] = []
        for k in range(len(syms)):
            order = [s for i, s in enumerate(syms) if i != k] + [syms[k]]
            Gk = sympy.groebner(grad, *order, order="grevlex").fglm("lex")
            elim = sympy.Poly(Gk.exprs[-1], syms[k])
            ivs = sympy.Poly(elim.as_expr(), syms[k]).intervals(eps=eps)
            roots.append([(str(a), str(b)) for (a, b), _ in ivs])
        conn.send({"status": "ok", "roots": roots})
    except MemoryError:
        conn.send({"status": "memory"})
    except Exception as exc:
        conn.send({"status": "error", "error": f"{type(exc).__name__}: {exc}"})


def _exact_candidates(
    model: LossModel, timeout: float
) -> tuple[str, list[list[tuple[Fraction, Fraction]]]]:
    """Run the Groebner computation with a CPU-time budget of ``timeout`` seconds (the
    child's ``ITIMER_PROF``); returns (status, root intervals).

    The budget counts the child's own CPU time, so a loaded machine gives the same answer; a
    wall-clock backstop of ``EXACT_WALL_FACTOR`` times the budget (plus 30 s) only guards
    against a child that never gets the CPU.
    """
    import sympy

    names = [f"v{i}" for i in range(model.n_params)]
    loss = model.expr.xreplace(
        {p: sympy.Symbol(n) for p, n in zip(model.params, names, strict=True)}
    )
    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover - platforms without fork
        return "no fork on this platform", []
    parent, child = ctx.Pipe(duplex=False)
    cpu = float(timeout)
    wall = EXACT_WALL_FACTOR * cpu + 30.0
    proc = ctx.Process(
        target=_exact_child,
        args=(child, str(loss), names, 40, EXACT_MEMORY_BYTES, cpu),
        daemon=True,
    )
    proc.start()
    child.close()
    try:
        if not parent.poll(wall):
            return (
                f"wall-clock backstop of {wall:g} s reached before the CPU budget of {cpu:g} s "
                "was used",
                [],
            )
        msg = parent.recv()
    except EOFError:
        return "the exact computation ended without an answer", []
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        parent.close()
    status = msg.get("status")
    if status != "ok":
        return {
            "positive-dimensional": "the critical set is not finite (positive-dimensional ideal)",
            "constant": "the loss is constant",
            "memory": "memory cap reached",
            "cpu": f"CPU budget of {cpu:g} s reached (exact route timed out)",
        }.get(status, msg.get("error", str(status))), []
    out = [[(Fraction(a), Fraction(b)) for a, b in r] for r in msg["roots"]]
    return "ok", out


def _ball_from_interval(a: Fraction, b: Fraction) -> Any:
    import flint

    mid = (a + b) / 2
    rad = (b - a) / 2
    return flint.arb(flint.fmpq(mid.numerator, mid.denominator)) + flint.arb(
        0, float(rad) * (1 + 1e-12) + 1e-300 if rad else 0
    )


# -- non-singularity of the GD map (C9) -----------------------------------------------------------
def det_dg_certificate(model: LossModel, lr: Any) -> tuple[bool, str]:
    r"""Certify :math:`\det DG_\eta \not\equiv 0` for a sympy loss (C9): one point where the
    determinant is provably non-zero.

    :math:`\det(I - \eta H(\theta))` is enclosed in ball arithmetic (python-flint, 256 bits) at a
    few fixed rational points θ with η taken at its exact binary value; a ball that excludes 0
    proves the determinant non-zero there, so it is not identically zero (and, L being analytic,
    its zero set is null and :math:`G_\eta` is non-singular).

    Returns
    -------
    (certified, sentence)
    """
    import flint

    model = _check_model(model)
    eta = Fraction(check_positive_float("lr", lr))
    bm = _ball_model(model)
    if bm is None:
        return False, "not certified: the loss has a function without a ball enclosure here"
    P = model.n_params
    old = flint.ctx.prec
    flint.ctx.prec = 256
    try:
        e = flint.arb(flint.fmpq(eta.numerator, eta.denominator))
        for k in range(4):
            q = [Fraction(((i + 1) * (k + 2)) % 7 + 1, 3 + k) for i in range(P)]
            X = [flint.arb(flint.fmpq(v.numerator, v.denominator)) for v in q]
            H = bm.hessian(X)
            D = flint.arb_mat(P, P)
            for i in range(P):
                for j in range(P):
                    D[i, j] = (1 if i == j else 0) - e * H[i, j]
            d = D.det()
            if d.is_finite() and not d.contains(0):
                pt = ", ".join(str(v) for v in q)
                return True, (
                    f"det DG_eta is not identically zero: at theta = ({pt}) it lies in "
                    f"[{float(d.lower()):.6g}, {float(d.upper()):.6g}] (ball arithmetic)"
                )
    finally:
        flint.ctx.prec = old
    return False, "not certified: det DG_eta was not shown non-zero at the points tried"
