r"""One check function per claim C1–C9 of MATH.md, a registry and a runner.

Every check returns a :class:`ClaimResult` holding a list of :class:`Check` s, each with a
status (PASS / FAIL / SKIP), the *method* that produced it and the *certificate* (the exact
value, the enclosure or the confidence interval that makes it a proof or a measurement):

=========================  =====================================================================
method                     meaning
=========================  =====================================================================
exact symbolic             sympy identities / limits, for every value of the symbols
exact rational             python-flint ``fmpq_mat`` arithmetic at rational points
modular (mod p)            determinant modulo a prime (non-zero mod p ⇒ non-zero)
certified ball arithmetic  python-flint ``arb`` enclosures (Gershgorin on a similar matrix)
numerical (float64)        float64 computations with stated tolerances
Monte Carlo                sampled GD runs with a Clopper–Pearson interval
=========================  =====================================================================

A check that needs a toolkit module that is not installed is SKIP (never PASS).  An exception
inside a check is a FAIL carrying the error text, so the runner always completes.

Run everything with :func:`run_claims` (also ``dynsys-gd prove`` and the scripts in
``proofs/``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from typing import Any

import numpy as np

from .._results import ResultMixin
from .._validation import _to_exact, check_int, describe
from ..errors import InvalidParameterError
from ..numeric.certified import arb_to_interval, certified_spectrum, exact_hessian
from ..symbolic.models import LinearNetwork, LossModel
from .certificates import (
    arb_eval,
    ball_det_certificate,
    critical_set_cover,
    manifold_certificate,
    nonsingularity_certificate,
    rational_point_on_manifold,
)

__all__ = [
    "CLAIMS",
    "METHODS",
    "Check",
    "ClaimResult",
    "ClaimSpec",
    "ClaimsReport",
    "Status",
    "check_c1",
    "check_c2",
    "check_c3",
    "check_c4",
    "check_c5",
    "check_c6",
    "check_c7",
    "check_c8",
    "check_c9",
    "proof_main",
    "run_claim",
    "run_claims",
]

EXACT_SYMBOLIC = "exact symbolic"
EXACT_RATIONAL = "exact rational"
MODULAR = "modular (mod p)"
BALL = "certified ball arithmetic"
NUMERICAL = "numerical (float64)"
MONTE_CARLO = "Monte Carlo"
METHODS = (EXACT_SYMBOLIC, EXACT_RATIONAL, MODULAR, BALL, NUMERICAL, MONTE_CARLO)

#: MATH.md §8: whitened 2x2 target
W_STAR_8 = ((Fraction(3, 2), Fraction(3, 10)), (Fraction(-1, 5), Fraction(7, 10)))


class Status(Enum):
    """Verdict of one check."""

    PASS = "PASS"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True)
class Check:
    """One verified statement: its status, the method and the certificate."""

    name: str
    status: Status
    method: str
    certificate: str
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status is Status.PASS

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status.value, "method": self.method,
                "certificate": self.certificate, "seconds": round(self.seconds, 4)}


@dataclass(frozen=True, repr=False)
class ClaimResult(ResultMixin):
    """The checks of one claim; ``passed`` when none FAILED and at least one PASSED."""

    claim: str
    title: str
    statement: str
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return (not any(c.status is Status.FAIL for c in self.checks)
                and any(c.passed for c in self.checks))

    @property
    def failed(self) -> bool:
        return any(c.status is Status.FAIL for c in self.checks)

    def __repr__(self) -> str:
        n = {s: sum(c.status is s for c in self.checks) for s in Status}
        return (f"ClaimResult({self.claim}, pass={n[Status.PASS]}, fail={n[Status.FAIL]}, "
                f"skip={n[Status.SKIP]})")

    def summary(self) -> str:
        lines = [f"{self.claim} {self.title}", f"  claim: {self.statement}"]
        for c in self.checks:
            lines.append(f"  [{c.status.value}] {c.name}")
            lines.append(f"         method: {c.method}")
            lines.append(f"         certificate: {c.certificate}")
        lines.append(f"  => {self.claim} {'PASS' if self.passed else 'FAIL'}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"claim": self.claim, "title": self.title, "statement": self.statement,
                "passed": self.passed, "checks": [c.to_dict() for c in self.checks]}


@dataclass(frozen=True, repr=False)
class ClaimsReport(ResultMixin):
    """Results of several claims (what ``dynsys-gd prove`` prints)."""

    results: tuple[ClaimResult, ...]
    quick: bool
    seconds: float

    @property
    def passed(self) -> bool:
        return not any(r.failed for r in self.results)

    def rows(self) -> list[list[str]]:
        """Table rows: claim | check | method | result."""
        return [[r.claim, c.name, c.method, c.status.value]
                for r in self.results for c in r.checks]

    def __repr__(self) -> str:
        return (f"ClaimsReport({len(self.results)} claims, passed={self.passed}, "
                f"{self.seconds:.1f} s)")

    def summary(self) -> str:
        rows = self.rows()
        heads = ["claim", "check", "method", "result"]
        widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
                  for i, h in enumerate(heads)]
        widths[1] = min(widths[1], 70)

        def fmt(r: list[str]) -> str:
            cells = [r[i] if len(r[i]) <= widths[i] else r[i][:widths[i] - 1] + "…"
                     for i in range(4)]
            return " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))

        out = [fmt(heads), "-+-".join("-" * w for w in widths)]
        out += [fmt(r) for r in rows]
        n_fail = sum(r[3] == "FAIL" for r in rows)
        n_skip = sum(r[3] == "SKIP" for r in rows)
        out.append(f"{len(rows) - n_fail - n_skip} passed, {n_fail} failed, {n_skip} skipped "
                   f"({self.seconds:.1f} s{', quick' if self.quick else ''})")
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "quick": self.quick, "seconds": round(self.seconds, 3),
                "results": [r.to_dict() for r in self.results]}


# -- helpers ------------------------------------------------------------------------------------
class _Collector:
    """Runs check bodies, timing them and turning exceptions into FAIL / SKIP."""

    def __init__(self) -> None:
        self.checks: list[Check] = []

    def run(self, name: str, method: str, body: Callable[[], tuple[bool, str]]) -> None:
        t0 = time.perf_counter()
        try:
            ok, cert = body()
            status = Status.PASS if ok else Status.FAIL
        except ImportError as exc:
            status, cert = Status.SKIP, f"not available: {exc}"
        except Exception as exc:
            status, cert = Status.FAIL, f"error: {type(exc).__name__}: {exc}"
        self.checks.append(Check(name, status, method, cert, time.perf_counter() - t0))


def _lr(lr: Any) -> Fraction:
    if isinstance(lr, bool) or lr is None:
        raise InvalidParameterError(f"lr must be a finite float > 0; got {describe(lr)}")
    v = _to_exact("lr", lr)
    if v <= 0:
        raise InvalidParameterError(f"lr must be a finite float > 0; got {lr!r}")
    return v


def _check_net(net: Any) -> LinearNetwork:
    if not isinstance(net, LinearNetwork):
        raise InvalidParameterError(f"net must be a LinearNetwork; got {describe(net)}")
    return net


def _whitened(depth: int) -> LinearNetwork:
    W = np.array([[float(x) for x in r] for r in W_STAR_8])
    return LinearNetwork.from_covariances((2,) * (depth + 1), Sxx=np.eye(2), Syx=W)


def _scalar_symbols(N: int) -> tuple[Any, Any, Any, Any]:
    """Symbols, y, loss and the substitution onto M for the scalar network of depth N."""
    import sympy as sp

    w = sp.symbols(f"w1:{N + 1}", positive=True)
    y = sp.Symbol("y", positive=True)
    prod = sp.Mul(*w)
    L = (prod - y) ** 2 / 2
    on_M = {w[-1]: y / sp.Mul(*w[:-1])}
    return w, y, L, on_M


def _ball_interval_text(lo: Fraction, hi: Fraction) -> str:
    return f"[{float(lo):.12g}, {float(hi):.12g}]"


# -- C1 -----------------------------------------------------------------------------------------
def check_c1(net: LinearNetwork | None = None, lr: Any = None, *,
             quick: bool = False) -> ClaimResult:
    r"""C1: :math:`\det DG_\eta \not\equiv 0` for N ≥ 2 (and the N = 1 exception).

    With ``net`` and ``lr`` given, certify that one case (depth 1 at
    :math:`\eta = 1/\lambda_i(\Sigma_{xx})` gives FAIL with the report "singular everywhere").
    Otherwise the default battery: scalar depths 2–5 at several η, a non-whitened 3-4-3 network,
    a large (10,10,10) network mod p (6,6,6 in quick mode), the exact Hessian against the sympy
    derivation, and the depth-1 exception detected.
    """
    col = _Collector()
    if net is not None:
        n = _check_net(net)
        eta = _lr(lr)

        def one() -> tuple[bool, str]:
            c = nonsingularity_certificate(n, eta)
            return c.nonsingular, c.message

        col.run(f"det DG_eta not identically 0 for widths {n.widths}, eta = {eta}",
                EXACT_RATIONAL, one)
        return _result("C1", col)

    def scalars() -> tuple[bool, str]:
        parts = []
        ok = True
        for N in (2, 3, 4, 5):
            for eta in (Fraction(1, 10), Fraction(1), Fraction(7, 3)):
                c = nonsingularity_certificate(LinearNetwork.scalar(N, 2), eta)
                ok &= c.nonsingular
                parts.append(f"N={N},eta={eta}: det={c.determinant}")
        return ok, "; ".join(parts[:4]) + f"; ... ({len(parts)} cases, all non-zero)"

    col.run("scalar networks N = 2..5, y = 2, eta in {1/10, 1, 7/3}", EXACT_RATIONAL, scalars)

    def general() -> tuple[bool, str]:
        n = LinearNetwork.from_covariances(
            (3, 4, 3), Sxx=np.diag([1.0, 2.0, 3.0]), Syx=np.ones((3, 3)) + np.eye(3))
        c = nonsingularity_certificate(n, Fraction(1, 3))
        return c.nonsingular, c.message

    col.run("non-whitened network (3, 4, 3), eta = 1/3", EXACT_RATIONAL, general)

    w = (6, 6, 6) if quick else (10, 10, 10)

    def large() -> tuple[bool, str]:
        n = LinearNetwork.from_covariances(w, Sxx=np.eye(w[0]), Syx=2 * np.eye(w[0]))
        c = nonsingularity_certificate(n, Fraction(3, 10), method="modular")
        return c.nonsingular, f"{c.message}; {c.seconds:.2f} s"

    col.run(f"large network {w}, eta = 3/10", MODULAR, large)
    if not quick:
        def large_exact() -> tuple[bool, str]:
            n = LinearNetwork.from_covariances((12, 12, 12), Sxx=np.eye(12), Syx=2 * np.eye(12))
            c = nonsingularity_certificate(n, Fraction(3, 10))
            return c.nonsingular, f"{c.message}; {c.seconds:.2f} s"

        col.run("large network (12, 12, 12) (P = 288), eta = 3/10", EXACT_RATIONAL, large_exact)

    def cross() -> tuple[bool, str]:
        from ..symbolic.derivation import derive

        n = LinearNetwork.from_covariances(
            (2, 3, 2), Sxx=np.array([[2.0, 1.0], [1.0, 3.0]]), Syx=np.array([[1.0, 2.0],
                                                                            [0.5, -1.0]]))
        rng = np.random.default_rng(0)
        pt = [Fraction(int(a), 3) for a in rng.integers(-5, 6, n.n_params)]
        same = exact_hessian(n, pt) == derive(n).hessian_at_rational(pt)
        return bool(same), ("closed-form exact Hessian == sympy derivation at a rational point"
                            f" of (2, 3, 2): {bool(same)}")

    col.run("exact closed-form Hessian equals the symbolic one", EXACT_RATIONAL, cross)

    def exception() -> tuple[bool, str]:
        n = LinearNetwork.from_covariances((2, 2), Sxx=np.diag([1.0, 2.0]), Syx=np.eye(2))
        bad = nonsingularity_certificate(n, Fraction(1, 2))
        good = nonsingularity_certificate(n, Fraction(1, 3))
        ok = bad.singular_everywhere and good.nonsingular
        return ok, (f"N = 1, Sxx = diag(1, 2): eta = 1/2 -> {bad.message}; eta = 1/3 -> "
                    f"det = {good.determinant} (non-singular)")

    col.run("N = 1 exception reported: singular everywhere iff eta = 1/lambda_i(Sxx)",
            EXACT_RATIONAL, exception)
    return _result("C1", col)


# -- C2 -----------------------------------------------------------------------------------------
def check_c2(*, quick: bool = False) -> ClaimResult:
    r"""C2: M is a manifold of dimension :math:`P - d_N d_0` (exact rank of J on M)."""
    col = _Collector()
    cases: list[tuple[str, LinearNetwork, Any]] = [
        ("scalar N = 3, y = 8 at w = (2, 2, 2)", LinearNetwork.scalar(3, 8), [2, 2, 2]),
        ("scalar N = 4, y = -3", LinearNetwork.scalar(4, -3), None),
        ("whitened (2, 2, 2), MATH.md §8 W*", _whitened(2), None),
        ("non-whitened (3, 4, 3)", LinearNetwork.from_covariances(
            (3, 4, 3), Sxx=np.diag([1.0, 2.0, 3.0]), Syx=np.ones((3, 3)) + np.eye(3)), None),
    ]
    if not quick:
        cases.append(("bottleneck-free (2, 3, 3, 2)", LinearNetwork.from_covariances(
            (2, 3, 3, 2), Sxx=np.array([[2.0, 1.0], [1.0, 2.0]]),
            Syx=np.array([[1.0, 0.0], [1.0, 3.0]])), None))
    for name, net, pt in cases:
        def body(net: LinearNetwork = net, pt: Any = pt) -> tuple[bool, str]:
            c = manifold_certificate(net, pt)
            expected = net.n_params - net.widths[0] * net.widths[-1]
            ok = c.on_manifold and c.full_rank and c.dim_M == expected
            return ok, (f"{c.summary()}; expected dim M = P - d_N d_0 = {expected}; "
                        f"theta = ({', '.join(str(x) for x in c.point[:6])}"
                        f"{', ...' if len(c.point) > 6 else ''})")

        col.run(f"{name}: rank J = d_N d_0 at an exact point of M", EXACT_RATIONAL, body)
    return _result("C2", col)


# -- C3 -----------------------------------------------------------------------------------------
def check_c3(*, quick: bool = False) -> ClaimResult:
    r"""C3: on M, :math:`H = J^\top(\Sigma\otimes I)J`; DG has eigenvalue 1 with multiplicity
    dim M and :math:`1-\eta\lambda_i` on the normal directions."""
    import sympy as sp

    col = _Collector()
    for N in ((2, 3, 4) if quick else (2, 3, 4, 5)):
        def body(N: int = N) -> tuple[bool, str]:
            w, _y, L, on_M = _scalar_symbols(N)
            H = sp.hessian(L, w).subs(on_M)
            g = sp.Matrix([sp.Mul(*[w[j] for j in range(N) if j != i]) for i in range(N)])
            g = g.subs(on_M)
            diff = (H - g * g.T).applyfunc(sp.simplify)
            zero = diff == sp.zeros(N, N)
            Hg = (H * g - (g.T * g)[0] * g).applyfunc(sp.simplify)
            ok = zero and Hg == sp.zeros(N, 1)
            return ok, (f"H|_M - g g^T == 0 and H g = |g|^2 g identically (g_i = prod_(j!=i) "
                        f"w_j): rank 1, eigenvalue |g|^2 = sum y^2/w_i^2 on the normal, 0 with "
                        f"multiplicity {N - 1} = dim M on the tangent")

        col.run(f"scalar N = {N}: H on M = g g^T (rank one)", EXACT_SYMBOLIC, body)

    for name, net in [("whitened (2, 2, 2)", _whitened(2)),
                      ("non-whitened (3, 4, 3)", LinearNetwork.from_covariances(
                          (3, 4, 3), Sxx=np.diag([1.0, 2.0, 3.0]),
                          Syx=np.ones((3, 3)) + np.eye(3)))]:
        def mat(net: LinearNetwork = net) -> tuple[bool, str]:
            c = manifold_certificate(net)
            H = exact_hessian(net, list(c.point))
            enc = certified_spectrum(H)
            zero = [cl for cl in enc.clusters if cl.lo <= 0 <= cl.hi]
            others = [cl for cl in enc.clusters if not (cl.lo <= 0 <= cl.hi)]
            ok = (c.nullity_H == c.dim_M and len(zero) == 1 and zero[0].count == c.dim_M
                  and all(cl.lo > 0 for cl in others))
            normal = ", ".join(_ball_interval_text(cl.lo, cl.hi) for cl in others[:4])
            return ok, (f"exact nullity of H = {c.nullity_H} = dim M = {c.dim_M} (DG eigenvalue"
                        f" 1 with that multiplicity); certified: {zero[0].count if zero else 0}"
                        f" eigenvalues in the cluster at 0, normal eigenvalues > 0 in {normal}")

        col.run(f"{name}: eigenvalue 1 of DG has multiplicity dim M; normal part enclosed",
                BALL, mat)
    return _result("C3", col)


# -- C4 -----------------------------------------------------------------------------------------
def check_c4(*, quick: bool = False) -> ClaimResult:
    r"""C4: the sharpness is proper on M (grows without bound along M to infinity)."""
    import sympy as sp

    col = _Collector()
    for N in ((2, 3) if quick else (2, 3, 4, 5)):
        def body(N: int = N) -> tuple[bool, str]:
            t = sp.Symbol("t", positive=True)
            y = sp.Symbol("y", positive=True)
            wcurve = [t] * (N - 1) + [y / t ** (N - 1)]
            S = sum((y / wi) ** 2 for wi in wcurve)  # |g|^2 on M, g_i = y / w_i
            big = sp.limit(S, t, sp.oo)
            small = sp.limit(S, t, 0, "+")
            # properness on all of M: |g|^2 >= (y / w_k)^2 for every k, and if |w| -> oo on M
            # then min_k |w_k| -> 0 (the product is fixed), so |g|^2 -> oo.
            w, _, _, on_M = _scalar_symbols(N)
            g = [sp.Mul(*[w[j] for j in range(N) if j != i]).subs(on_M) for i in range(N)]
            ident = all(sp.simplify(g[i] - y / w[i].subs(on_M)) == 0 for i in range(N))
            ok = big is sp.oo and small is sp.oo and ident
            return ok, (f"along w = (t, ..., t, y/t^{N - 1}): |g|^2 = {sp.simplify(S)} -> "
                        f"{big} (t->oo), {small} (t->0+); on M g_i = y/w_i identically, so "
                        "|g|^2 >= y^2 / min_k w_k^2 -> oo as |w| -> oo")

        col.run(f"scalar N = {N}: sharpness -> oo along M to infinity", EXACT_SYMBOLIC, body)

    def matrix() -> tuple[bool, str]:
        net = _whitened(2)
        base = rational_point_on_manifold(net)
        o = net.offsets
        lows = []
        for t in (1, 10, 100):
            pt = [x * t for x in base[o[0]:o[1]]] + [x / t for x in base[o[1]:o[2]]]
            lows.append(certified_spectrum(exact_hessian(net, pt)).top.lo)
        ok = lows[1] > 10 * lows[0] and lows[2] > 50 * lows[1]
        return ok, ("certified lower bounds of lambda_max(H) along (t W_1, W_2 / t) in M: "
                    + ", ".join(f"t={t}: >= {float(v):.6g}" for t, v in
                                zip((1, 10, 100), lows, strict=True)))

    col.run("whitened (2, 2, 2): lambda_max grows like t^2 along a curve of M", BALL, matrix)
    return _result("C4", col)


# -- C5 -----------------------------------------------------------------------------------------
def check_c5(*, quick: bool = False) -> ClaimResult:
    r"""C5: :math:`S_{\min} = N|y|^{2-2/N}` (scalar, AM–GM), :math:`N\sigma_1^{2-2/N}`
    (whitened), :math:`\eta^* = 2/S_{\min}`."""
    import sympy as sp

    col = _Collector()
    for N in ((2, 3, 4) if quick else (2, 3, 4, 5, 6)):
        def body(N: int = N) -> tuple[bool, str]:
            w = sp.symbols(f"w1:{N + 1}", positive=True)
            y = sp.Symbol("y", positive=True)
            f = sum(y ** 2 / wi ** 2 for wi in w)  # |g|^2 on M
            # AM-GM: f >= N (prod y^2/w_i^2)^(1/N) = N (y^(2N) / y^2)^(1/N) on prod w = y
            amgm = sp.simplify(N * (y ** (2 * N) / y ** 2) ** sp.Rational(1, N))
            target = N * y ** (2 - sp.Rational(2, N))
            bal = {wi: y ** sp.Rational(1, N) for wi in w}
            at_bal = sp.simplify(f.subs(bal))
            # Lagrange: grad f = mu grad(prod w) at the balanced point (same mu for all i)
            prod = sp.Mul(*w)
            mus = {sp.simplify((sp.diff(f, wi) / sp.diff(prod, wi)).subs(bal)) for wi in w}
            ok = (sp.simplify(amgm - target) == 0 and sp.simplify(at_bal - target) == 0
                  and len(mus) == 1)
            return ok, (f"min of sum y^2/w_i^2 on prod w = y: AM-GM bound {target} attained at "
                        f"w_i = y^(1/N) (Lagrange multiplier {mus.pop()}); "
                        f"eta* = 2/({target})")

        col.run(f"scalar N = {N}: S_min = N y^(2-2/N) (AM-GM, Lagrange)", EXACT_SYMBOLIC, body)

    def scalar_num() -> tuple[bool, str]:
        from ..numeric.sharpness import flattest_minimum

        fm = flattest_minimum(LinearNetwork.scalar(3, 2.0))
        expected = 3 * 2 ** (4 / 3)
        eta = 2 / fm.sharpness
        ok = abs(fm.sharpness - expected) < 1e-9 * expected and abs(eta - 0.264567) < 1e-6
        return ok, (f"flattest_minimum(N=3, y=2).sharpness = {fm.sharpness:.12g}, closed form "
                    f"{expected:.12g}; eta* = {eta:.6f} (MATH.md §8: 0.264567)")

    col.run("scalar N = 3, y = 2: toolkit S_min and eta* = 0.264567", NUMERICAL, scalar_num)

    for depth, value in ((2, 3.062329), (3, 5.294403)):
        def whitened(depth: int = depth, value: float = value) -> tuple[bool, str]:
            import flint

            from ..numeric.sharpness import flattest_minimum

            net = _whitened(depth)
            fm = flattest_minimum(net)
            enc = certified_spectrum(exact_hessian(net, fm.point))
            lo, hi = enc.top.lo, enc.top.hi
            # closed form N sigma_1^(2 - 2/N) in ball arithmetic from the exact W*^T W*
            Wq = flint.fmpq_mat([[flint.fmpq(x.numerator, x.denominator) for x in r]
                                 for r in W_STAR_8])
            s2 = certified_spectrum(Wq.transpose() * Wq).top
            s2_ball = flint.arb(flint.fmpq(s2.lo.numerator, s2.lo.denominator))
            s2_ball = s2_ball.union(flint.arb(flint.fmpq(s2.hi.numerator, s2.hi.denominator)))
            closed = depth * s2_ball ** flint.fmpq(depth - 1, depth)
            clo, chi = arb_to_interval(closed)
            ok = (abs(float(hi) - value) < 1e-6 * value and enc.top.count == 1
                  and float(hi) - float(lo) < 1e-9 and abs(float(clo) - float(lo)) < 1e-9)
            return ok, (f"lambda_max(H) at the flattest minimum in {_ball_interval_text(lo, hi)};"
                        f" closed form N sigma_1^(2-2/N) in {_ball_interval_text(clo, chi)}; "
                        f"MATH.md §8: {value}")

        col.run(f"whitened (2,)*{depth + 1}: S_min = N sigma_1^(2-2/N) = {value}", BALL,
                whitened)

    if not quick:
        def general() -> tuple[bool, str]:
            from ..numeric.sharpness import flattest_minimum

            net = LinearNetwork.from_covariances(
                (2, 2, 2), Sxx=np.array([[2.0, 0.5], [0.5, 1.0]]),
                Syx=np.array([[1.5, 0.3], [-0.2, 0.7]]))
            fm = flattest_minimum(net)
            lo, hi = fm.bracket
            enc = certified_spectrum(exact_hessian(net, fm.point))
            ok = lo <= fm.sharpness <= hi and enc.top.lo <= fm.sharpness * (1 + 1e-9)
            return ok, (f"numerical S_min = {fm.sharpness:.10g} in the C5 bracket [{lo:.10g}, "
                        f"{hi:.10g}]; certified lambda_max at its point in "
                        f"{_ball_interval_text(enc.top.lo, enc.top.hi)}")

        col.run("general Sxx (2, 2, 2): S_min within the C5 bracket", NUMERICAL, general)
    return _result("C5", col)


# -- C6 -----------------------------------------------------------------------------------------
def _certified_smin_lower(net: LinearNetwork) -> tuple[Fraction, str]:
    r"""Certified lower bound of :math:`S_{\min}` (C5): scalar AM–GM, whitened closed form, or
    the lower bracket :math:`\lambda_{\min}(\Sigma_{xx}) N\sigma_1^{2-2/N}`."""
    import flint

    net.require_manifold()
    N = net.depth
    S = flint.fmpq_mat([[flint.fmpq(x.numerator, x.denominator) for x in r]
                        for r in net.Sxx_exact])
    Y = flint.fmpq_mat([[flint.fmpq(x.numerator, x.denominator) for x in r]
                        for r in net.Syx_exact])
    Wst = Y * S.inv()
    s2 = certified_spectrum(Wst.transpose() * Wst).top.lo  # sigma_1^2 >= s2
    lmin = certified_spectrum(S).lower
    if s2 <= 0 or lmin <= 0:
        return Fraction(0), "no positive certified bound"
    old = flint.ctx.prec
    flint.ctx.prec = 128
    try:
        val = (flint.arb(flint.fmpq(lmin.numerator, lmin.denominator)) * N
               * flint.arb(flint.fmpq(s2.numerator, s2.denominator)) ** flint.fmpq(N - 1, N))
        lo = arb_to_interval(val)[0]
    finally:
        flint.ctx.prec = old
    kind = ("AM-GM, scalar" if net.is_scalar else "lambda_min(Sxx) N sigma_1^(2-2/N)")
    return lo, kind


def check_c6(net: LinearNetwork | None = None, lr: Any = None, *, quick: bool = False,
             n_samples: int | None = None, seed: int = 0) -> ClaimResult:
    r"""C6: for :math:`\eta > \eta^*` every minimum is unstable (certified lower bound of
    :math:`\lambda_{\max}` on M above :math:`2/\eta`) and the convergent set is null (Monte
    Carlo: converged fraction 0 with its Clopper–Pearson interval).

    With ``net`` and ``lr`` the certified check is run for that case only: an η below η* gives
    FAIL (the bound does not exceed 2/η).  The default battery uses the scalar network N = 3,
    y = 2 and the whitened 2×2 network at 1.02 η*, strict saddles, and the Monte-Carlo
    fractions at 0.98 η* (positive) and 1.02 η* (zero).
    """
    col = _Collector()
    n_mc = check_int("n_samples", n_samples, minimum=1) if n_samples is not None else (
        100 if quick else 400)

    def certified(net: LinearNetwork, eta: Fraction) -> Callable[[], tuple[bool, str]]:
        def body() -> tuple[bool, str]:
            lo, kind = _certified_smin_lower(net)
            bound = 2 / eta
            ok = lo > bound
            rel = "> " if ok else "<= "
            return ok, (f"every theta in M has lambda_max(H) >= S_min >= {float(lo):.12g} "
                        f"(certified, {kind}) {rel}2/eta = {float(bound):.12g}")
        return body

    if net is not None:
        n = _check_net(net)
        eta = _lr(lr)
        col.run(f"widths {n.widths}, eta = {float(eta):.8g}: every minimum unstable", BALL,
                certified(n, eta))
        return _result("C6", col)

    scalar = LinearNetwork.scalar(3, 2.0)
    eta_s = 2 / (3 * 2 ** (4 / 3))
    col.run("scalar N = 3, y = 2 at 1.02 eta*: every minimum unstable", BALL,
            certified(scalar, _to_exact("lr", 1.02 * eta_s)))
    wnet = _whitened(2)
    eta_w = 2 / 3.062329
    col.run("whitened (2, 2, 2) at 1.02 eta*: every minimum unstable", BALL,
            certified(wnet, _to_exact("lr", 1.02 * eta_w)))

    def saddles() -> tuple[bool, str]:
        H = exact_hessian(scalar, [0, 0, 1])
        enc = certified_spectrum(H)
        H0 = exact_hessian(scalar, [0, 0, 0])
        zero = all(H0[i, j] == 0 for i in range(3) for j in range(3))
        ok = enc.lower < 0 and zero
        return ok, (f"theta = (0, 0, 1): lambda_min(H) <= {float(enc.clusters[0].hi):.6g} < 0 "
                    "(strict saddle: DG eigenvalue > 1); theta = 0: H = 0 exactly (non-strict, "
                    "not decided by linearisation)")

    col.run("scalar N = 3: strict saddles unstable, theta = 0 non-strict", BALL, saddles)

    def mc() -> tuple[bool, str]:
        from .convergence import estimate_convergent_fraction

        below = estimate_convergent_fraction(scalar, 0.98 * eta_s, n_samples=n_mc, seed=seed)
        above = estimate_convergent_fraction(scalar, 1.02 * eta_s, n_samples=n_mc, seed=seed)
        ok = above.counts.get("converged", 0) == 0 and below.ci_low > 0
        return ok, (f"n = {n_mc}, seed = {seed}: converged fraction {below.fraction:.3f} "
                    f"[{below.ci_low:.3f}, {below.ci_high:.3f}] at 0.98 eta*, "
                    f"{above.fraction:.3f} [{above.ci_low:.3f}, {above.ci_high:.3f}] at "
                    f"1.02 eta* (95% Clopper-Pearson)")

    col.run("scalar N = 3, y = 2: convergent fraction > 0 below eta*, 0 above", MONTE_CARLO, mc)

    def mc_whitened() -> tuple[bool, str]:
        from .convergence import estimate_convergent_fraction

        kw: dict[str, Any] = {"n_samples": n_mc, "seed": seed, "init": "gaussian",
                              "init_scale": 1.0}
        below = estimate_convergent_fraction(wnet, 0.98 * eta_w, **kw)
        above = estimate_convergent_fraction(wnet, 1.02 * eta_w, **kw)
        # §8 states "about 0.37" without its sample size: accept the CI within 0.15 of it
        ok = (above.counts.get("converged", 0) == 0 and below.ci_low > 0
              and below.ci_low - 0.15 <= 0.37 <= below.ci_high + 0.15)
        return ok, (f"Gaussian std 1 initialisations, n = {n_mc}, seed = {seed}: converged "
                    f"fraction {below.fraction:.3f} [{below.ci_low:.3f}, {below.ci_high:.3f}] at "
                    f"0.98 eta* (MATH.md §8: about 0.37), {above.fraction:.3f} "
                    f"[{above.ci_low:.3f}, {above.ci_high:.3f}] at 1.02 eta* (§8: 0)")

    col.run("whitened (2, 2, 2): fraction ~0.37 at 0.98 eta*, 0 at 1.02 eta*", MONTE_CARLO,
            mc_whitened)
    return _result("C6", col)


# -- C7 / C8 ------------------------------------------------------------------------------------
def _runs(net: LinearNetwork, lr: float, n: int, seed: int, steps: int) -> Any:
    from ..numeric.engine import EngineConfig, run_gd

    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    theta0 = rng.uniform(-2.0, 2.0, size=(n, net.n_params))
    return run_gd(net, theta0, lr, config=EngineConfig(max_steps=steps))


def check_c7(*, quick: bool = False, seed: int = 0) -> ClaimResult:
    r"""C7: :math:`g_\infty(\eta) = 0` below :math:`\eta^*` and :math:`> 0` above (scalar N = 3,
    y = 2, uniform [−2, 2]³ initialisations)."""
    from ..numeric.outcomes import Outcome

    col = _Collector()
    n = 60 if quick else 300
    net = LinearNetwork.scalar(3, 2.0)
    eta_s = 2 / (3 * 2 ** (4 / 3))

    def body() -> tuple[bool, str]:
        vals: dict[float, float] = {}
        nconv: dict[float, int] = {}
        for f in (0.9, 1.1):
            rb = _runs(net, f * eta_s, n, seed, 4000)
            keep = rb.outcome != Outcome.DIVERGED.code
            # a run classified converged has a (certified) limit at a critical point, where the
            # gradient is 0: its asymptotic gradient norm is 0, whatever the tail mean was when
            # the run was stopped early; other runs contribute their tail mean.
            conv = rb.outcome == Outcome.CONVERGED.code
            g = np.where(conv, 0.0, rb.g_tail)
            vals[f] = float(np.median(g[keep])) if keep.any() else float("inf")
            nconv[f] = int(conv.sum())
        ok = vals[0.9] == 0.0 and vals[1.1] > 1e-3
        return ok, (f"n = {n} runs each (seed {seed}); g_inf = median over non-divergent runs "
                    f"of the mean |grad L| over the last steps (0 for converged runs): "
                    f"g_inf(0.9 eta*) = {vals[0.9]:.3g} ({nconv[0.9]} converged), "
                    f"g_inf(1.1 eta*) = {vals[1.1]:.3g} ({nconv[1.1]} converged)")

    col.run("scalar N = 3, y = 2: g_inf jumps from 0 to > 0 across eta*", MONTE_CARLO, body)

    def sweep() -> tuple[bool, str]:
        from .sweep import lr_sweep

        factors = (0.9, 0.98, 1.02, 1.1)
        res = lr_sweep(net, [f * eta_s for f in factors], n_samples=n, seed=seed)
        below = [float(g) for g, f in zip(res.g_inf, factors, strict=True) if f < 1]
        above = [float(g) for g, f in zip(res.g_inf, factors, strict=True) if f > 1]
        ok = (max(below) < 1e-6 and min(above) > 1e-3
              and bool(res.eta_star_in_transition))
        return ok, ("lr_sweep at (0.9, 0.98, 1.02, 1.1) eta*, n = "
                    f"{n}: g_inf = " + ", ".join(f"{float(g):.3g}" for g in res.g_inf)
                    + "; fractions = " + ", ".join(f"{float(v):.3f}" for v in res.fraction)
                    + f"; transition {res.transition} contains eta* = {eta_s:.6f}: "
                    f"{res.eta_star_in_transition}")

    col.run("lr_sweep: g_inf 0 below eta*, > 0 above, transition brackets eta*", MONTE_CARLO,
            sweep)
    return _result("C7", col)


def check_c8(*, quick: bool = False, seed: int = 0) -> ClaimResult:
    r"""C8: every converged run ends at a minimum with :math:`\lambda_{\max}(H) \le 2/\eta`;
    above :math:`\eta^*` bounded runs settle on period-2 orbits."""
    from ..numeric.outcomes import Outcome

    col = _Collector()
    n = 60 if quick else 300
    net = LinearNetwork.scalar(3, 2.0)
    eta_s = 2 / (3 * 2 ** (4 / 3))

    def stable() -> tuple[bool, str]:
        parts = []
        ok = True
        for f in (0.6, 0.9):
            eta = f * eta_s
            rb = _runs(net, eta, n, seed, 4000)
            conv = rb.outcome == Outcome.CONVERGED.code
            mins = conv & rb.at_minimum
            worst = float(rb.sharpness[mins].max()) if mins.any() else 0.0
            ok &= bool(mins.any()) and worst <= (2 / eta) * (1 + 1e-6)
            parts.append(f"eta = {f} eta*: {int(mins.sum())}/{n} converged to minima, max "
                         f"lambda_max = {worst:.6g} <= 2/eta = {2 / eta:.6g}")
        return ok, "; ".join(parts)

    col.run("converged runs end with lambda_max(H) <= 2/eta", MONTE_CARLO, stable)

    def period2() -> tuple[bool, str]:
        rb = _runs(net, 1.05 * eta_s, n, seed, 4000)
        per = rb.outcome == Outcome.PERIODIC.code
        conv = int((rb.outcome == Outcome.CONVERGED.code).sum())
        p2 = int((per & (rb.period == 2)).sum())
        counts = {o.key: int((rb.outcome == o.code).sum()) for o in Outcome}
        ok = p2 > 0 and conv == 0
        return ok, (f"eta = 1.05 eta*, n = {n}: outcomes {counts}; {p2} period-2 orbits "
                    "(flip bifurcation at eta*), 0 converged")

    col.run("above eta*: period-2 orbits, no convergence", MONTE_CARLO, period2)
    return _result("C8", col)


# -- C9 -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _GeneralLoss:
    """A loss L = phi(u(x, y)) with phi'(u) = 0 iff u = 0 and phi''(0) > 0.

    Its critical set is {u = 0} (parametrised by ``curve(t)``) plus the points where
    grad u = 0 (``isolated``)."""

    name: str
    phi: Callable[[Any], Any]
    u: Callable[[Any, Any], Any]
    curve: Callable[[Any], tuple[Any, Any]]
    t_domain: Any
    isolated: tuple[tuple[int, int], ...]
    reflected: bool = True


def _general_losses() -> list[_GeneralLoss]:
    import sympy as sp

    return [
        _GeneralLoss("1/2 (xy - 1)^2", lambda u: u ** 2 / 2, lambda x, y: x * y - 1,
                     lambda t: (t, 1 / t), sp.Interval.open(0, sp.oo), ((0, 0),)),
        _GeneralLoss("log cosh(xy - 1)", lambda u: sp.log(sp.cosh(u)), lambda x, y: x * y - 1,
                     lambda t: (t, 1 / t), sp.Interval.open(0, sp.oo), ((0, 0),)),
        _GeneralLoss("1/4 (x^2 + y^2 - 1)^2", lambda u: u ** 2 / 4,
                     lambda x, y: x ** 2 + y ** 2 - 1, lambda t: (sp.cos(t), sp.sin(t)),
                     sp.Interval(0, 2 * sp.pi), ((0, 0),), False),
    ]


_C9_CACHE: dict[tuple[str, str], Any] = {}


def check_c9(lr: Any = None, *, quick: bool = False) -> ClaimResult:
    r"""C9: for analytic losses (½(xy−1)², log cosh(xy−1), ¼(x²+y²−1)²; η* = 1 for each):
    :math:`\det DG_\eta \not\equiv 0` (ball enclosure excluding 0) and every critical point
    unstable at η (default 1.05): the critical set is derived in closed form, the normal Hessian
    eigenvalue on the curve of minima has an exact infimum that is certified > 2/η, and the
    isolated critical points have certified negative Hessian eigenvalues.  With ``lr`` below 1
    the instability checks FAIL, as they must.  The default battery (``lr=None``) adds the
    Monte-Carlo measure of MATH.md §8 for ½(xy−1)² at η = 0.99 and 1.01.

    (For log cosh(xy) the critical set is the union of the axes, where the normal eigenvalue
    x² + y² tends to 0: the hypothesis of C9 fails there, which is why it is not in the list.)
    """
    import flint
    import sympy as sp

    eta = _lr(Fraction(21, 20) if lr is None else lr)
    col = _Collector()
    x, y = sp.symbols("x y", real=True)
    t = sp.Symbol("t", real=True)
    for spec in _general_losses():
        u = spec.u(x, y)
        L = spec.phi(u)
        model = LossModel(L, (x, y), name=spec.name)

        def det_body(model: LossModel = model) -> tuple[bool, str]:
            ok, _, text = ball_det_certificate(model, (Fraction(1, 2), Fraction(1, 3)), eta)
            return ok, text + " excludes 0" if ok else text

        col.run(f"{spec.name}: det DG_eta not identically 0", BALL, det_body)

        def crit_body(spec: _GeneralLoss = spec, u: Any = u, L: Any = L) -> tuple[bool, str]:
            key = (spec.name, "critical set")
            if key in _C9_CACHE:  # symbolic and independent of eta: derived once per session
                return _C9_CACHE[key]  # type: ignore[no-any-return]
            uu = sp.Symbol("u", real=True)
            dphi = sp.diff(spec.phi(uu), uu)
            grad = sp.Matrix([sp.diff(L, x), sp.diff(L, y)])
            gu = sp.Matrix([sp.diff(u, x), sp.diff(u, y)])
            # structure: grad L = phi'(u) grad u
            same = (grad - dphi.subs(uu, u) * gu).applyfunc(sp.simplify) == sp.zeros(2, 1)
            zeros_phi = sp.solveset(dphi, uu, domain=sp.S.Reals)
            # phi'(u) = 0 only at u = 0 (phi' strictly increasing: phi'' > 0)
            mono = sp.simplify(sp.diff(dphi, uu))
            only0 = zeros_phi == sp.FiniteSet(0) or (
                zeros_phi.is_subset(sp.FiniteSet(0)) is not False and mono.is_positive)
            gu_zero = sp.solve(list(gu), [x, y], dict=True)
            iso = {(int(s[x]), int(s[y])) for s in gu_zero}
            cx, cy = spec.curve(t)
            on_curve = sp.simplify(u.subs({x: cx, y: cy})) == 0
            ok = bool(same and only0 and iso == set(spec.isolated) and on_curve)
            refl = " and its reflection (-t, -1/t)" if spec.reflected else ""
            out = ok, (f"grad L = phi'(u) grad u with u = {u}, phi'(u) = 0 iff u = 0 "
                       f"(phi'' = {mono}); grad u = 0 only at {sorted(iso)}; critical set = "
                       f"{{u = 0}} = {{({cx}, {cy})}}{refl} + {sorted(iso)}")
            _C9_CACHE[key] = out
            return out

        col.run(f"{spec.name}: critical set in closed form", EXACT_SYMBOLIC, crit_body)

        def cover_body(model: LossModel = model, u: Any = u) -> tuple[bool, str]:
            near = [[u], [sp.diff(u, x), sp.diff(u, y)]]
            ok, _, _, text = critical_set_cover(model, near, n_cells=8 if quick else 32)
            return ok, text

        col.run(f"{spec.name}: no other critical point in [-2, 2]^2", BALL, cover_body)

        def curve_body(spec: _GeneralLoss = spec, u: Any = u, L: Any = L) -> tuple[bool, str]:
            key = (spec.name, "normal quotient")
            if key not in _C9_CACHE:
                H = sp.hessian(L, (x, y))
                n = sp.Matrix([sp.diff(u, x), sp.diff(u, y)])
                q = sp.simplify((n.T * H * n)[0] / (n.T * n)[0])
                cx, cy = spec.curve(t)
                q_t = sp.simplify(q.subs({x: cx, y: cy}))
                inf = sp.minimum(q_t, t, spec.t_domain)
                # the reflected branch (-t, -1/t): same q by the symmetry (x, y) -> (-x, -y)
                sym = sp.simplify(q.subs({x: -x, y: -y}) - q) == 0
                _C9_CACHE[key] = (q_t, inf, sym)
            q_t, inf, sym = _C9_CACHE[key]
            old = flint.ctx.prec
            flint.ctx.prec = 128
            try:
                ball = arb_eval(inf, {})
                lo = arb_to_interval(ball)[0]
            finally:
                flint.ctx.prec = old
            bound = 2 / eta
            ok = lo > bound
            ok = bool(ok and sym)
            return ok, (f"normal Rayleigh quotient on u = 0: q(t) = {q_t}, inf = {inf} "
                        f">= {float(lo):.12g} {'>' if lo > bound else '<='} 2/eta = "
                        f"{float(bound):.12g} (certified), same on the reflected branch")

        col.run(f"{spec.name}: every point of the curve of minima unstable at eta = "
                f"{float(eta):g}", BALL, curve_body)

        def iso_body(spec: _GeneralLoss = spec, L: Any = L) -> tuple[bool, str]:
            H = sp.hessian(L, (x, y))
            texts = []
            ok = True
            old = flint.ctx.prec
            flint.ctx.prec = 128
            try:
                for px, py in spec.isolated:
                    env = {x: flint.arb(px), y: flint.arb(py)}
                    M = flint.arb_mat([[arb_eval(H[i, j], env) for j in range(2)]
                                       for i in range(2)])
                    enc = certified_spectrum(M)
                    unstable = enc.clusters[0].hi < 0 or enc.top.lo > 2 / eta
                    ok &= unstable
                    texts.append(f"({px}, {py}): Hessian eigenvalues in " + ", ".join(
                        _ball_interval_text(c.lo, c.hi) for c in enc.clusters)
                        + (" (strict saddle: DG eigenvalue > 1)" if unstable else ""))
            finally:
                flint.ctx.prec = old
            return ok, "; ".join(texts)

        col.run(f"{spec.name}: isolated critical points unstable", BALL, iso_body)

    def mc() -> tuple[bool, str]:
        from .convergence import estimate_convergent_fraction

        n = 100 if quick else 400
        model = LossModel(sp.Rational(1, 2) * (x * y - 1) ** 2, (x, y), name="1/2 (xy - 1)^2")
        below = estimate_convergent_fraction(model, 0.99, n_samples=n, seed=0)
        above = estimate_convergent_fraction(model, 1.01, n_samples=n, seed=0)
        ok = above.counts.get("converged", 0) == 0 and below.ci_low > 0.5
        bounded = above.counts.get("bounded", 0) + above.counts.get("periodic", 0)
        return ok, (f"1/2 (xy - 1)^2, uniform [-2, 2]^2, n = {n}: converged fraction "
                    f"{below.fraction:.3f} [{below.ci_low:.3f}, {below.ci_high:.3f}] at eta = "
                    f"0.99 (MATH.md §8: about 0.69), {above.fraction:.3f} [{above.ci_low:.3f}, "
                    f"{above.ci_high:.3f}] at 1.01 (§8: exactly 0); {bounded}/{n} bounded or "
                    "periodic at 1.01 (§8: about 67 %)")

    if lr is None:  # the default battery only: the measurement is at fixed eta = 0.99, 1.01
        col.run("1/2 (xy - 1)^2: converged fraction ~0.69 at eta = 0.99, 0 at 1.01",
                MONTE_CARLO, mc)
    return _result("C9", col)


# -- registry -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClaimSpec:
    """A registered claim: id, short title, statement and its default check."""

    claim: str
    title: str
    statement: str
    check: Callable[..., ClaimResult]


def _result(claim: str, col: _Collector) -> ClaimResult:
    spec = CLAIMS[claim]
    return ClaimResult(claim, spec.title, spec.statement, tuple(col.checks))


CLAIMS: dict[str, ClaimSpec] = {
    "C1": ClaimSpec("C1", "Non-singularity of the GD map",
                    "for every eta > 0 and N >= 2, det DG_eta is a polynomial in theta that is "
                    "not identically zero (N = 1: singular everywhere iff eta = 1/lambda_i(Sxx))",
                    check_c1),
    "C2": ClaimSpec("C2", "Manifold of minima",
                    "M = {W(theta) = W*} is a smooth manifold of dimension P - d_N d_0", check_c2),
    "C3": ClaimSpec("C3", "Spectrum on M",
                    "on M, H = J^T (I x Sxx) J: DG has eigenvalue 1 with multiplicity dim M "
                    "(tangent) and 1 - eta lambda_i on the normal directions", check_c3),
    "C4": ClaimSpec("C4", "Properness",
                    "non-zero Hessian eigenvalues are proper on M: S_min is attained and the "
                    "stable minima form a bounded set", check_c4),
    "C5": ClaimSpec("C5", "Critical step size",
                    "eta* = 2/S_min with S_min = N|y|^(2-2/N) (scalar), N sigma_1^(2-2/N) "
                    "(whitened), bracketed by lambda_min/max(Sxx) N sigma_1^(2-2/N)", check_c5),
    "C6": ClaimSpec("C6", "Main theorem",
                    "for eta > eta* every minimum is unstable and GD converges from a null set; "
                    "below eta* the convergent set has positive measure", check_c6),
    "C7": ClaimSpec("C7", "Sharp transition",
                    "the asymptotic gradient norm g_inf(eta) is 0 below eta* and positive above",
                    check_c7),
    "C8": ClaimSpec("C8", "Edge of stability",
                    "converged runs end at minima with lambda_max(H) <= 2/eta; above eta* "
                    "bounded runs settle on period-2 orbits", check_c8),
    "C9": ClaimSpec("C9", "General analytic losses",
                    "if L is analytic, det DG_eta is not identically 0 and every critical point "
                    "has a DG eigenvalue of modulus > 1, GD converges from a null set", check_c9),
}


def _claim_ids(claims: Any) -> list[str]:
    if claims is None:
        return list(CLAIMS)
    if isinstance(claims, str):
        claims = [claims]
    out = []
    for c in claims:
        key = str(c).upper()
        if key not in CLAIMS:
            raise InvalidParameterError(
                f"claims must be ids among {', '.join(CLAIMS)}; got {describe(c)}")
        if key not in out:
            out.append(key)
    return out


def run_claim(claim: str, *, quick: bool = False) -> ClaimResult:
    """Run the default checks of one claim (``"C1"`` … ``"C9"``)."""
    (key,) = _claim_ids([claim])
    return CLAIMS[key].check(quick=quick)  # type: ignore[no-any-return]


def run_claims(claims: Any = None, *, quick: bool = False,
               on_result: Callable[[ClaimResult], None] | None = None) -> ClaimsReport:
    """Run the checks of the given claims (default: all, C1…C9) and collect a report.

    ``on_result`` is called after each claim (for progressive output).
    """
    ids = _claim_ids(claims)
    t0 = time.perf_counter()
    results = []
    for key in ids:
        r = run_claim(key, quick=quick)
        results.append(r)
        if on_result is not None:
            on_result(r)
    return ClaimsReport(tuple(results), bool(quick), time.perf_counter() - t0)



def proof_main(claim: str, argv: list[str] | None = None) -> int:
    """Entry point of the ``proofs/`` scripts: print the claim and every check with its status,
    method and certificate; return 1 on any FAIL (``--quick`` for the small version)."""
    import argparse

    (key,) = _claim_ids([claim])
    parser = argparse.ArgumentParser(description=f"Proof checks of claim {key} (MATH.md): "
                                                 f"{CLAIMS[key].statement}")
    parser.add_argument("--quick", action="store_true", help="small cases (seconds)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    result = run_claim(key, quick=args.quick)
    if args.json:
        print(result.to_json(indent=2))
    else:
        print(result.summary())
    return 1 if result.failed else 0
