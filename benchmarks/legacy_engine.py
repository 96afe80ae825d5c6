r"""The engine as it was before the compiled lanes (kept for benchmarks/bench_engine.py only).

Batched gradient-descent engine with outcome classification (docs/math/convergent-set.md,
docs/math/claims.md#c6–C8).

:func:`run_gd` iterates the GD map :math:`G_\eta(\theta) = \theta - \eta\nabla L(\theta)` on a
batch of initialisations at once (``theta0`` of shape ``(n, P)``) and classifies every run into
exactly one :class:`~dynsys_gd.numeric.engine.outcomes.Outcome`:

``CONVERGED``
    :math:`\lVert\nabla L(\theta_t)\rVert \le` ``grad_tol`` at a check, or a convergence
    certificate (:mod:`dynsys_gd.numeric.engine.convergence_certificate`) was issued.  The fixed
    point
    reached, its
    loss and :math:`\lambda_{\max}(H), \lambda_{\min}(H)` there are recorded, so a convergence to
    a saddle (e.g. :math:`\theta = 0` for :math:`N \ge 3`, where :math:`H = 0`) is visible.
``DIVERGED``
    :math:`\lVert\theta_t\rVert_\infty >` ``div_threshold`` or a non-finite gradient.  Overflow
    is handled under :func:`numpy.errstate`; the last finite iterate is reported.
``PERIODIC``
    :math:`\lVert\theta_{t-j} - \theta_{t-j-k}\rVert \le` ``period_tol`` :math:`(1 +
    \lVert\theta_t\rVert)` for :math:`j = 0..k-1` (one whole orbit) with :math:`2 \le k \le`
    ``max_period`` and an orbit diameter above ``min_orbit`` (so a decaying oscillation is not
    mistaken for a cycle); the smallest such :math:`k` is recorded.
``BOUNDED``
    Budget exhausted, bounded, no period, and no sign of progress: the gradient norm is not
    decreasing (mean over the last ``tail`` steps at least ``progress_ratio`` times the mean over
    the ``tail`` steps before) and the distance to the nearby critical point located by the
    certificate did not shrink at 5 consecutive attempts, nor was the run within 1 % (relative)
    of a minimum at the edge of stability (:math:`\max|1-\eta\lambda_{\text{normal}}| \le
    1.01`) at the last 2 attempts, nor did its gradient norm (sampled every ``cert_every`` steps)
    decrease 8 times in a row.
``UNDECIDED``
    Budget exhausted while still making progress (either test above) and no certificate was
    issued.  Never counted as non-convergent.  With ``adaptive`` such runs are first extended,
    up to ``max_extension * max_steps`` steps.

Finished runs are removed from the active batch (arrays are compacted), so the cost per step is
proportional to the number of runs still undecided.  ``g_tail`` is the mean gradient norm over
the last ``tail`` steps of a run (the asymptotic gradient norm of C7).

Sentinels (no NaN is ever reported): for diverged runs ``loss`` and ``g_tail`` are ``inf``;
``sharpness`` / ``lam_min`` are ``0.0`` where ``has_limit`` is False (only converged runs have a
limit); ``period`` is 0 unless the outcome is PERIODIC.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dynsys_gd._results import ResultMixin, jsonable
from dynsys_gd._validation import check_int, check_positive_float, describe
from dynsys_gd.errors import InvalidParameterError
from dynsys_gd.numeric.engine.outcomes import OUTCOME_NAMES, Outcome
from dynsys_gd.numeric.kernels import NumericModel, fast_gradient, hessian_eigvalsh, numeric_model

__all__ = ["EngineConfig", "RunBatch", "run_gd"]

Array = NDArray[Any]

_CONV = Outcome.CONVERGED.code
_DIV = Outcome.DIVERGED.code
_PER = Outcome.PERIODIC.code
_BND = Outcome.BOUNDED.code
_UND = Outcome.UNDECIDED.code
#: a run counts as still approaching a critical point when the certificate's distance shrank by
#: this factor between two attempts (slow convergence at contraction factors close to 1)
_APPROACH = 0.999
#: ... or when it is this close (relative) to a minimum the certificate located
_NEAR = 1e-2
#: consecutive shrinking attempts needed (a chaotic orbit shrinks by chance about half the time)
_STREAK = 5
#: ... or when its gradient norm decreased at this many consecutive cadences of ``cert_every``
#: steps (slow linear convergence along flat directions, e.g. MLPs at small step sizes)
_G_STREAK = 8
#: a gradient norm above this (or non-finite) ends a run as DIVERGED at once
_BLOWUP = 1e100


@dataclass(frozen=True)
class EngineConfig:
    r"""Settings of :func:`run_gd` (all have documented defaults).

    Attributes
    ----------
    max_steps : int, default 4000
        Step budget per run (before adaptive extension).
    check_every : int, default 50
        Convergence / period / divergence-of-state checks every this many steps.
    tail : int, default 100
        :math:`K`: ``g_tail`` is the mean :math:`\lVert\nabla L\rVert` over the last K steps (C7).
    grad_tol : float, default 1e-10
        Converged when :math:`\lVert\nabla L\rVert \le` grad_tol at a check.
    div_threshold : float, default 1e6
        Diverged when :math:`\lVert\theta\rVert_\infty` exceeds it (or the gradient is not finite).
    max_period : int, default 8
        Largest period looked for.
    period_tol : float, default 1e-12
        Relative tolerance of the period test.
    min_orbit : float, default 1e-6
        Smallest orbit diameter accepted as a genuine cycle.
    certificate : bool, default True
        Try the convergence certificate
        (:func:`~dynsys_gd.numeric.engine.convergence_certificate.certify`) on runs
        that are close to a critical set.
    cert_every : int, default 200
        Certificate attempts every this many steps (a multiple of ``check_every`` is used).
    cert_grad : float, default 1e-1
        Only runs with :math:`\lVert\nabla L\rVert \le` cert_grad are candidates.
    cert_margin : float, default 1e-6
        Required contraction margin: :math:`\max|1-\eta\lambda_{\text{normal}}| + \eta\delta
        \le 1 - \text{margin}` (see the certificate module).
    cert_shrink : float, default 0.9
        The distance to the critical set must have shrunk by this factor since the previous
        attempt (geometric decrease).
    cert_max_params : int, default 64
        For models other than linear networks the certificate locates critical points by
        minimum-norm Newton steps on dense Hessians (P Hessian-vector products each); above
        this many parameters it is not attempted (e.g. MLPs), and runs are classified by the
        gradient rule and the adaptive budget alone.  Linear networks always use the cheap
        Gauss–Newton projection.
    adaptive : bool, default True
        At the budget, runs whose gradient norm is still decreasing are extended.
    max_extension : float, default 4.0
        Total budget of an extended run is at most ``max_extension * max_steps``.
    progress_ratio : float, default 0.9
        "Still decreasing" means mean gradient norm over the last ``tail`` steps below
        ``progress_ratio`` times that over the ``tail`` steps before.
    saddle_tol : float, default 1e-8
        A converged limit is a minimum when :math:`\lambda_{\min}(H) \ge -` saddle_tol and, for
        linear networks, its loss is within ``saddle_tol`` (relative) of the minimum loss.
    """

    max_steps: int = 4000
    check_every: int = 50
    tail: int = 100
    grad_tol: float = 1e-10
    div_threshold: float = 1e6
    max_period: int = 8
    period_tol: float = 1e-12
    min_orbit: float = 1e-6
    certificate: bool = True
    cert_every: int = 200
    cert_grad: float = 1e-1
    cert_margin: float = 1e-6
    cert_shrink: float = 0.9
    cert_max_params: int = 64
    adaptive: bool = True
    max_extension: float = 4.0
    progress_ratio: float = 0.9
    saddle_tol: float = 1e-8

    def __post_init__(self) -> None:
        for name in ("max_steps", "check_every", "tail", "cert_every", "cert_max_params"):
            check_int(name, getattr(self, name), minimum=1)
        check_int("max_period", self.max_period, minimum=1)
        for name in (
            "grad_tol",
            "div_threshold",
            "period_tol",
            "min_orbit",
            "cert_grad",
            "cert_margin",
            "cert_shrink",
            "progress_ratio",
            "saddle_tol",
        ):
            check_positive_float(name, getattr(self, name))
        if check_positive_float("max_extension", self.max_extension) < 1.0:
            raise InvalidParameterError(
                f"max_extension must be a finite float >= 1; got {self.max_extension!r}"
            )
        for name in ("cert_shrink", "progress_ratio", "cert_margin"):
            if getattr(self, name) >= 1.0:
                raise InvalidParameterError(
                    f"{name} must be a float in (0, 1); got {getattr(self, name)!r}"
                )
        for name in ("certificate", "adaptive"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidParameterError(
                    f"{name} must be a bool; got {describe(getattr(self, name))}"
                )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary of the settings."""
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}


@dataclass(frozen=True, eq=False)
class RunBatch(ResultMixin):
    r"""Per-run results of :func:`run_gd` (arrays over the n runs, in input order).

    Attributes
    ----------
    outcome : ndarray of int8
        :attr:`Outcome.code` of each run.
    steps : ndarray of int64
        GD steps taken.
    period : ndarray of int64
        Period k of PERIODIC runs, else 0.
    theta : ndarray (n, P)
        Final iterate (the certified fixed point for certified runs; last finite iterate for
        diverged runs).
    loss : ndarray
        Loss at ``theta`` (``inf`` for diverged runs).
    g_tail : ndarray
        Mean :math:`\lVert\nabla L\rVert` over the last ``tail`` steps (``inf`` for diverged).
    sharpness, lam_min : ndarray
        :math:`\lambda_{\max}(H)`, :math:`\lambda_{\min}(H)` at the limit of converged runs
        (0.0 elsewhere; see ``has_limit``).
    has_limit : ndarray of bool
        True for converged runs.
    at_minimum : ndarray of bool
        Converged runs whose limit is a minimum (False for saddles and non-converged runs).
    certified : ndarray of bool
        Converged runs decided by the certificate rather than by ``grad_tol``.
    lr : float
        Step size.
    """

    outcome: Array
    steps: Array
    period: Array
    theta: Array
    loss: Array
    g_tail: Array
    sharpness: Array
    lam_min: Array
    has_limit: Array
    at_minimum: Array
    certified: Array
    lr: float

    @property
    def n(self) -> int:
        """Number of runs."""
        return int(self.outcome.shape[0])

    def counts(self) -> dict[str, int]:
        """Number of runs per outcome key (all five keys present)."""
        c = np.bincount(self.outcome.astype(np.int64), minlength=len(OUTCOME_NAMES))
        return {k: int(c[i]) for i, k in enumerate(OUTCOME_NAMES)}

    def outcomes(self) -> list[Outcome]:
        """Outcomes as enum members."""
        return [Outcome.from_code(int(c)) for c in self.outcome]

    def __repr__(self) -> str:
        return f"RunBatch(n={self.n}, lr={self.lr:g}, counts={self.counts()})"

    def summary(self) -> str:
        c = self.counts()
        lines = [f"GD runs: n = {self.n}, lr = {self.lr:.6g}"]
        lines += [f"  {k:9s}: {v}" for k, v in c.items()]
        conv = self.has_limit
        if conv.any():
            lines.append(
                f"  converged to minima: {int(self.at_minimum.sum())}, to saddles: "
                f"{int((conv & ~self.at_minimum).sum())}, certified: "
                f"{int(self.certified.sum())}"
            )
            lines.append(
                f"  limit sharpness: min {self.sharpness[conv].min():.6g}, max "
                f"{self.sharpness[conv].max():.6g} (2/lr = {2 / self.lr:.6g})"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}


def _validate_theta0(theta0: Any, P: int) -> Array:
    try:
        th = np.array(theta0, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"theta0 must be a real array of shape (n, {P}); got {describe(theta0)}"
        ) from exc
    if th.ndim == 1:
        th = th[None, :]
    if th.ndim != 2 or th.shape[1] != P or th.shape[0] < 1:
        raise InvalidParameterError(
            f"theta0 must have shape (n, {P}) with n >= 1; got shape {np.shape(theta0)}"
        )
    if not np.all(np.isfinite(th)):
        raise InvalidParameterError("theta0 must be finite (no NaN or inf); got non-finite values")
    return th


class _Limits:
    """Helper computing loss / spectrum / minimum-or-saddle at converged points."""

    def __init__(self, model: Any, m: NumericModel, config: EngineConfig) -> None:
        self.model = model
        self.m = m
        self.cfg = config
        self.lstar: float | None = None
        from dynsys_gd.models import LinearNetwork

        if isinstance(model, LinearNetwork) and model.Sxx_is_definite:
            Ws = model.W_star
            self.lstar = float(model.loss_offset) - 0.5 * float(np.sum((Ws @ model.Sxx) * Ws))

    def evaluate(self, th: Array) -> tuple[Array, Array, Array, Array]:
        """Loss, lam_max, lam_min, at_minimum for a batch of fixed points."""
        with np.errstate(all="ignore"):
            loss = np.asarray(self.m.loss(th), dtype=np.float64)
            lam = hessian_eigvalsh(self.m, th)
        lmax, lmin = lam[:, -1], lam[:, 0]
        tol = self.cfg.saddle_tol
        at_min = lmin >= -tol * np.maximum(1.0, np.abs(lmax))
        if self.lstar is not None:
            at_min &= np.abs(loss - self.lstar) <= tol * max(1.0, abs(self.lstar))
        return loss, lmax, lmin, at_min


def run_gd(
    model: Any, theta0: Any, lr: float, *, config: EngineConfig | None = None, rng: Any = None
) -> RunBatch:
    r"""Run GD :math:`\theta_{t+1} = \theta_t - \eta\nabla L(\theta_t)` from every row of
    ``theta0`` and classify each run (see the module docstring; docs/math/convergent-set.md,
    docs/math/claims.md#c6–C8).

    Parameters
    ----------
    model : LinearNetwork, LossModel or NumericModel
        Anything :func:`~dynsys_gd.numeric.kernels.numeric_model` accepts.
    theta0 : array_like, shape (n, P) or (P,)
        Initialisations (finite).
    lr : float
        Step size :math:`\eta > 0`.
    config : EngineConfig, optional
        Budgets and tolerances (defaults: :class:`EngineConfig()`).
    rng : ignored
        Accepted for API symmetry; the engine is deterministic given ``theta0``.

    Returns
    -------
    RunBatch
        Outcome code, steps, period, final θ, loss, g_tail and limit spectrum per run.
    """
    eta = check_positive_float("lr", lr)
    if config is None:
        config = EngineConfig()
    elif not isinstance(config, EngineConfig):
        raise InvalidParameterError(
            f"config must be an EngineConfig or None; got {describe(config)}"
        )
    m = numeric_model(model)
    grad = fast_gradient(model, m)
    P = int(m.n_params)
    th = _validate_theta0(theta0, P)
    cfg = config
    n = th.shape[0]

    # outputs
    outcome = np.full(n, _UND, dtype=np.int8)
    steps_out = np.zeros(n, dtype=np.int64)
    period_out = np.zeros(n, dtype=np.int64)
    theta_out = th.copy()
    g_tail_out = np.zeros(n)
    certified = np.zeros(n, dtype=bool)
    prog_ratio_out = np.ones(n)

    K = cfg.tail
    maxp = cfg.max_period
    hist_len = 2 * maxp
    check_every = cfg.check_every
    cert_every = max(check_every, (cfg.cert_every // check_every) * check_every)
    budget = np.full(n, cfg.max_steps, dtype=np.int64)
    hard_cap = int(np.ceil(cfg.max_steps * cfg.max_extension)) if cfg.adaptive else cfg.max_steps

    idx = np.arange(n)  # original index of each active run
    gring = np.zeros((2 * K, n))  # gradient norms ring buffer (last 2K steps)
    hist = np.zeros((hist_len, n, P))  # recent iterates before a check
    prev_dist = np.full(n, np.inf)  # certificate: distance at the previous attempt
    dead = np.zeros(n, dtype=bool)  # diverged since the last compaction
    streak = np.zeros(n, dtype=np.int64)  # consecutive attempts with a shrinking distance
    near = np.zeros(n, dtype=np.int64)  # consecutive attempts within _NEAR of a critical pt
    g_prev = np.full(n, np.inf)  # gradient norm at the previous certificate cadence
    g_streak = np.zeros(n, dtype=np.int64)  # consecutive cadences with a decreasing gradient

    certifier = None
    if cfg.certificate:
        from dynsys_gd.numeric.engine.convergence_certificate import Certifier

        certifier = Certifier(model, m, eta, cfg)
        if certifier.net is None and P > cfg.cert_max_params:
            certifier = None

    def finish(sel: Array, code: int, t: int) -> None:
        """Record runs ``sel`` (mask over active) as finished with outcome ``code``."""
        o = idx[sel]
        outcome[o] = code
        steps_out[o] = t
        theta_out[o] = th[sel]
        cnt = min(t, K)
        if cnt > 0:
            rows = [(t - 1 - j) % (2 * K) for j in range(cnt)]
            g_tail_out[o] = gring[rows][:, sel].mean(axis=0)

    def compact(keep: Array) -> None:
        nonlocal th, idx, gring, hist, prev_dist, dead, budget, streak, near, g_prev, g_streak
        th = th[keep]
        idx = idx[keep]
        gring = gring[:, keep]
        hist = hist[:, keep]
        prev_dist = prev_dist[keep]
        dead = dead[keep]
        streak = streak[keep]
        near = near[keep]
        g_prev = g_prev[keep]
        g_streak = g_streak[keep]
        budget = budget[keep]

    t = 0
    with np.errstate(all="ignore"):
        while idx.size > 0 and t < hard_cap:
            g = grad(th)
            gn = np.sqrt(np.einsum("ij,ij->i", g, g))
            new = th - eta * g
            # per step only the cheap test (gradient blow-up / non-finite, before any overflow
            # reaches theta); the threshold on |theta| is applied at the checks
            bad = ~(gn <= _BLOWUP) & ~dead
            if bad.any():
                o = idx[bad]
                outcome[o] = _DIV
                steps_out[o] = t + 1
                theta_out[o] = th[bad]  # last finite iterate
                g_tail_out[o] = np.inf
                dead |= bad
                new[dead] = 0.0
                gn[dead] = 0.0
            th = new
            gring[t % (2 * K)] = gn
            t += 1
            pos = t % check_every
            if hist_len >= check_every or pos == 0 or pos > check_every - hist_len:
                hist[(t - 1) % hist_len] = th
            if pos != 0:
                continue
            # ---- check ----------------------------------------------------------------------
            keep = ~dead
            far = keep & ~(np.max(np.abs(th), axis=1) <= cfg.div_threshold)
            if far.any():
                finish(far, _DIV, t)
                g_tail_out[idx[far]] = np.inf
                keep &= ~far
            g = grad(th)
            gn = np.sqrt(np.einsum("ij,ij->i", g, g))
            conv = keep & (gn <= cfg.grad_tol)
            if conv.any():
                finish(conv, _CONV, t)
                keep &= ~conv
            if t >= hist_len:
                per = keep & _detect_period(
                    hist, t, hist_len, maxp, cfg.period_tol, cfg.min_orbit, period_out, idx
                )
                if per.any():
                    finish(per, _PER, t)
                    keep &= ~per
            if t % cert_every == 0:
                down = gn < g_prev
                g_streak = np.where(down, g_streak + 1, 0)
                g_prev = gn.copy()
            if certifier is not None and t % cert_every == 0:
                cand = keep & (gn <= cfg.cert_grad)
                if cand.any():
                    ci = np.flatnonzero(cand)
                    ok, fixed, dist, q = certifier.attempt(th[ci], prev_dist[ci])
                    tnorm = np.sqrt(np.einsum("ij,ij->i", th[ci], th[ci]))
                    shrank = np.isfinite(dist) & (dist <= _APPROACH * prev_dist[ci])
                    streak[ci] = np.where(shrank, streak[ci] + 1, 0)
                    close = np.isfinite(dist) & (dist <= _NEAR * (1.0 + tnorm)) & (q <= 1.0 + _NEAR)
                    near[ci] = np.where(close, near[ci] + 1, 0)
                    prev_dist[ci] = dist
                    if ok.any():
                        sel = np.zeros_like(keep)
                        sel[ci[ok]] = True
                        finish(sel, _CONV, t)
                        theta_out[idx[ci[ok]]] = fixed[ok]
                        certified[idx[ci[ok]]] = True
                        keep &= ~sel
            # budget
            at_budget = keep & (t >= budget)
            if at_budget.any():
                last = [(t - 1 - j) % (2 * K) for j in range(min(K, t))]
                before = [(t - 1 - K - j) % (2 * K) for j in range(min(K, max(t - K, 0)))]
                m_last = gring[last].mean(axis=0)
                m_before = gring[before].mean(axis=0) if before else np.full(idx.size, np.inf)
                ratio = np.where(m_before > 0, m_last / np.where(m_before > 0, m_before, 1.0), 1.0)
                approaching = (streak >= _STREAK) | (near >= 2) | (g_streak >= _G_STREAK)
                progressing = (ratio < cfg.progress_ratio) | approaching
                extend = at_budget & progressing & (budget < hard_cap)
                budget[extend] = np.minimum(budget[extend] + cfg.max_steps, hard_cap)
                stop = at_budget & ~extend
                if stop.any():
                    und = stop & progressing
                    bnd = stop & ~progressing
                    prog_ratio_out[idx[stop]] = ratio[stop]
                    if und.any():
                        finish(und, _UND, t)
                    if bnd.any():
                        finish(bnd, _BND, t)
                    keep &= ~stop
            if not keep.all():
                compact(keep)
        if idx.size:  # hard cap reached without a check (cannot happen with aligned budgets)
            finish(np.ones(idx.size, dtype=bool), _UND, t)

    # limits of converged runs
    loss_out = np.full(n, np.inf)
    sharp = np.zeros(n)
    lmin_out = np.zeros(n)
    at_min = np.zeros(n, dtype=bool)
    has_limit = outcome == _CONV
    ok_theta = outcome != _DIV
    if ok_theta.any():
        with np.errstate(all="ignore"):
            lv = np.asarray(m.loss(theta_out[ok_theta]), dtype=np.float64)
        loss_out[ok_theta] = np.where(np.isfinite(lv), lv, np.inf)
    if has_limit.any():
        lim = _Limits(model, m, cfg)
        lv, lmax, lmin, amin = lim.evaluate(theta_out[has_limit])
        sharp[has_limit] = np.where(np.isfinite(lmax), lmax, 0.0)
        lmin_out[has_limit] = np.where(np.isfinite(lmin), lmin, 0.0)
        at_min[has_limit] = amin
    g_tail_out[~np.isfinite(g_tail_out) & (outcome != _DIV)] = np.inf
    return RunBatch(
        outcome=outcome,
        steps=steps_out,
        period=period_out,
        theta=theta_out,
        loss=loss_out,
        g_tail=g_tail_out,
        sharpness=sharp,
        lam_min=lmin_out,
        has_limit=has_limit,
        at_minimum=at_min,
        certified=certified,
        lr=eta,
    )


def _detect_period(
    hist: Array,
    t: int,
    hist_len: int,
    maxp: int,
    tol: float,
    min_orbit: float,
    period_out: Array,
    idx: Array,
) -> Array:
    r"""Smallest period :math:`2 \le k \le` maxp of the recent iterates (mask over active runs).

    Uses the ``hist_len = 2 maxp`` iterates :math:`\theta_{t-1-j}`, ``j < hist_len``, stored at
    ring positions ``(t - 1 - j) % hist_len``; writes the period into ``period_out``.
    """
    nact = hist.shape[1]
    found = np.zeros(nact, dtype=bool)

    def it(j: int) -> Array:
        return hist[(t - 1 - j) % hist_len]

    cur = it(0)
    scale = tol * (1.0 + np.sqrt(np.einsum("ij,ij->i", cur, cur)))
    diam = np.zeros(nact)
    for k in range(2, maxp + 1):
        d = it(k - 1) - cur
        diam = np.maximum(diam, np.sqrt(np.einsum("ij,ij->i", d, d)))
        match = ~found
        for j in range(k):
            if not match.any():
                break
            e = it(j) - it(j + k)
            match &= np.sqrt(np.einsum("ij,ij->i", e, e)) <= scale
        match &= diam >= min_orbit
        if match.any():
            period_out[idx[match]] = k
            found |= match
    return found
