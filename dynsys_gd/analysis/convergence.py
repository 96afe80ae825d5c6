r"""Monte-Carlo estimate of the measure of the convergent set (docs/math/convergent-set.md,
docs/math/claims.md#c6, docs/math/claims.md#c7).

:func:`estimate_convergent_fraction` draws initialisations from a stated distribution, runs the
one GD engine (:func:`~dynsys_gd.numeric.engine.run_gd`, whose outcome is the only meaning of
"converged" in the package) and reports the converged fraction with an exact interval, all
outcome counts, the split of converged runs into minima and saddles, the sharpness of the limits
(C8: every limit has :math:`\lambda_{\max} \le 2/\eta`) and the asymptotic gradient norm
:math:`g_\infty` (C7).

Undecided runs make the fraction a range (docs/math/convergent-set.md).  With :math:`k` converged
and :math:`u`
undecided runs out of :math:`n`, the truth lies between :math:`k/n` (``fraction``) and
:math:`(k+u)/n` (``fraction_high``); the reported interval runs from the lower
Clopper–Pearson bound of :math:`k` to the upper Clopper–Pearson bound of :math:`k + u`, so it
covers the truth at the stated level whatever the undecided runs would have done.  Undecided runs
are never counted as non-convergent.  :math:`g_\infty` is the median over the *decided*
non-divergent runs (converged runs count 0, periodic and bounded runs their tail gradient norm);
undecided runs are left out, and the summary says how far the median would move if they were
counted either way.

Reproducibility: initialisations are generated in fixed sampling blocks of
:data:`~dynsys_gd.analysis.convergence_tasks.SAMPLING_BLOCK` samples, block ``b`` from the stream
``dynsys_gd._streams.stream(seed, "monte_carlo", b)`` (its own, independent of every other
purpose); work units (chunks) never cross blocks and every run is independent of the others in
its batch, so the result is bit-identical for every ``chunk_size`` and every executor.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._results import ResultMixin, jsonable, plotted_by
from .._types import Model
from .._validation import check_positive_float, check_real
from ..models.fingerprint import model_label
from ..numeric.engine.cost import _kernel_class, warn_if_long
from ..numeric.engine.outcomes import OUTCOME_NAMES, Outcome
from ..numeric.engine.run import EngineConfig, with_optimizer
from ..numeric.kernels import numeric_model
from ..numeric.landscape.limits import count_limit_kinds, reference_min_loss
from .annotation_sample import annotated_samples
from .convergence_tasks import (
    ANNOTATED_SAMPLES,
    SAMPLING_BLOCK,
    Array,
    _pool_adds_nothing,
    _portable,
    auto_chunk,
    check_common,
    describe_init,
    group_ranges,
    merge_task_results,
    pilot_runs,
    run_group_task,
    run_rows,
    run_task,
    run_tasks,
    sample_block,
    task_json,
    task_ranges,
)
from .convergence_tasks import MAX_SAMPLES as MAX_SAMPLES
from .convergence_tasks import _task_dict as _task_dict
from .intervals import fraction_interval, median_ci

__all__ = [
    "ANNOTATED_SAMPLES",
    "SAMPLING_BLOCK",
    "ConvergenceEstimate",
    "auto_chunk",
    "describe_init",
    "estimate_convergent_fraction",
    "g_inf_stats",
    "merge_task_results",
    "pilot_runs",
    "run_rows",
    "run_task",
    "sample_block",
    "task_json",
    "task_ranges",
]

#: outcome codes of runs decided neither way: undecided, and frozen where the engine has it
_OPEN_CODES = tuple(o.code for o in Outcome if o.name in ("UNDECIDED", "FROZEN"))


@dataclass(frozen=True, eq=False)
class ConvergenceEstimate(ResultMixin):
    r"""Monte-Carlo estimate of the convergent fraction at one step size
    (docs/math/convergent-set.md, docs/math/claims.md#c6–C8).

    Attributes
    ----------
    fraction : float
        :math:`k/n`, the converged share (the low end of the range when runs are undecided).
    fraction_high : float
        :math:`(k+u)/n`: the share if every undecided run converged (equal to ``fraction``
        when :math:`u = 0`).
    ci_low, ci_high : float
        Lower Clopper–Pearson bound of :math:`k` and upper Clopper–Pearson bound of
        :math:`k + u` at level ``confidence`` (the plain Clopper–Pearson interval of
        :math:`k/n` when nothing is undecided).
    counts : dict
        Outcome key -> number of runs (every outcome key).
    n_undecided : int
        :math:`u`, runs the engine could not decide within its budget (never counted as
        non-convergent).
    n_frozen : int
        Runs the engine found frozen (a tiny gradient and no approach to any critical point,
        e.g. near the non-strict saddle θ = 0 of a deep network): never converged, and not
        shown non-convergent either, so they widen the range like undecided runs (the
        formulas above then use :math:`u` = undecided + frozen).
    n_samples, seed, lr, confidence : as given.
    init : str
        The initialisation distribution stated in words.
    n_to_minima, n_to_saddles, n_certified : int
        Annotated converged runs ending at minima / at saddles; annotated converged runs
        decided by the certificate.  Their sum is ``n_annotated``.
    sharpness_min, sharpness_median, sharpness_max : float or None
        :math:`\lambda_{\max}(H)` at the limits of the annotated converged runs (None when none
        converged).
    n_annotated : int or None
        Converged runs whose limit was annotated: those among the first
        ``annotated_samples`` initialisations, a uniform random sample of the converged runs
        (every converged run when ``n_samples <= annotated_samples``); None in results made
        before the sample existed (every converged run).
    annotated_samples : int
        :func:`~dynsys_gd.analysis.annotation_sample.annotated_samples` of the model: at most
        :data:`ANNOTATED_SAMPLES`, fewer for models whose annotation per limit is large.
    g_inf, g_inf_low, g_inf_high : float
        :math:`g_\infty` (C7): median over the decided non-divergent runs of the asymptotic
        gradient norm (0 for converged runs, ``g_tail`` for periodic and bounded runs) and its
        distribution-free interval; ``inf`` when every run diverged, ``nan`` when every
        non-divergent run is undecided or frozen.
    g_inf_n : int
        Number of runs in that median.
    g_inf_if_undecided : tuple of float or None
        The median if the undecided runs were counted as converged (0) and if they were counted
        at their last tail gradient norm; None when no run is undecided.
    n_periodic_by_period : dict
        Period -> number of periodic runs.
    model : str
        Description of the model.
    config : dict
        The engine settings used.
    n_limit_global, n_limit_local, n_limit_saddle : int or None
        The annotated converged runs whose limit is a global minimum (loss within
        :math:`10^{-8}\max(1, |L_{\min}|)` of ``limit_min_loss``), a non-global local minimum
        (second-order test passed, higher loss) or a saddle (docs/math/limits.md; numerical,
        not certified); None for models other than networks and losses and in results made
        before the labels existed.
    limit_min_loss : float or None
        :math:`L_{\min}`, the minimum loss those labels refer to.
    limit_min_loss_source : str
        Where ``limit_min_loss`` comes from.
    """

    fraction: float
    ci_low: float
    ci_high: float
    confidence: float
    counts: dict[str, int]
    n_samples: int
    seed: int
    lr: float
    init: str
    n_undecided: int
    fraction_high: float
    n_to_minima: int
    n_to_saddles: int
    n_certified: int
    sharpness_min: float | None
    sharpness_median: float | None
    sharpness_max: float | None
    g_inf: float
    g_inf_low: float
    g_inf_high: float
    g_inf_n: int
    g_inf_if_undecided: tuple[float, float] | None
    n_periodic_by_period: dict[int, int]
    model: str
    config: dict[str, Any]
    n_frozen: int = 0
    n_annotated: int | None = None
    annotated_samples: int = ANNOTATED_SAMPLES
    n_limit_global: int | None = None
    n_limit_local: int | None = None
    n_limit_saddle: int | None = None
    limit_min_loss: float | None = None
    limit_min_loss_source: str = ""

    @property
    def n_converged(self) -> int:
        """:math:`k`, converged runs (to minima and to saddles)."""
        return int(self.counts["converged"])

    @property
    def n_open(self) -> int:
        """Runs not decided either way: undecided plus frozen (the width of the range)."""
        return int(self.n_undecided + self.n_frozen)

    def _open_words(self) -> str:
        parts = []
        if self.n_undecided:
            parts.append(f"{self.n_undecided} undecided")
        if self.n_frozen:
            parts.append(f"{self.n_frozen} frozen")
        return " and ".join(parts)

    def __repr__(self) -> str:
        und = f", undecided={self.n_undecided}" if self.n_undecided else ""
        und += f", frozen={self.n_frozen}" if self.n_frozen else ""
        return (
            f"ConvergenceEstimate(lr={self.lr:g}, fraction={self.fraction_text(ci=False)} "
            f"[{self.ci_low:.4f}, {self.ci_high:.4f}], n={self.n_samples}{und})"
        )

    @property
    def annotation_sampled(self) -> bool:
        """True when the limits of only a sample of the converged runs were annotated."""
        return self.n_annotated is not None and self.n_annotated < self.n_converged

    def _sample_words(self) -> str:
        if not self.annotation_sampled:
            return ""
        return (
            f"; limits annotated on a uniform sample: the {self.n_annotated} converged runs "
            f"among the first {min(self.n_samples, self.annotated_samples)} initialisations, of "
            f"{self.n_converged} converged"
        )

    def fraction_text(self, digits: int = 4, *, ci: bool = True) -> str:
        """The converged fraction in words: a number, or a range when runs are not decided.

        ``0.9580 (95% CI [0.9483, 0.9664], Clopper-Pearson)``, or with undecided runs
        ``0.0230 to 1.0000, a range: 1954 undecided of 2000 runs (95% CI [0.0170, 1.0000]:
        lower Clopper-Pearson bound of the converged, upper of converged + undecided)``.
        """
        f = f"{{:.{digits}f}}"
        level = f"{100 * self.confidence:g}%"
        if self.n_open == 0:
            head = f.format(self.fraction)
            tail = (
                f"({level} CI [{f.format(self.ci_low)}, {f.format(self.ci_high)}], Clopper-Pearson)"
            )
        else:
            head = (
                f"{f.format(self.fraction)} to {f.format(self.fraction_high)}, a range: "
                f"{self._open_words()} of {self.n_samples} runs"
            )
            tail = (
                f"({level} CI [{f.format(self.ci_low)}, {f.format(self.ci_high)}]: lower "
                "Clopper-Pearson bound of the converged, upper of converged + "
                + (
                    "undecided + frozen)"
                    if self.n_frozen and self.n_undecided
                    else ("frozen)" if self.n_frozen else "undecided)")
                )
            )
        return f"{head} {tail}" if ci else head

    def g_inf_text(self) -> str:
        r""":math:`g_\infty` with its interval and, when runs are not decided, what they change."""
        r = self.g_inf_if_undecided
        if self.g_inf_n == 0 and self.n_open:
            text = f"undefined: every non-divergent run is {self._open_words().split()[-1]}"
            if self.n_undecided and self.n_frozen:
                text = "undefined: every non-divergent run is undecided or frozen"
            if r is not None:
                text += (
                    f" (counting them as converged / at their tail gradient norm would give "
                    f"{r[0]:.3g} / {r[1]:.3g})"
                )
            return text
        text = f"{self.g_inf:.3g} [{self.g_inf_low:.3g}, {self.g_inf_high:.3g}]"
        if r is not None:
            if r[0] == r[1] == self.g_inf:
                text += f" ({self._open_words()} runs left out; they do not move it)"
            else:
                text += (
                    f" ({self._open_words()} runs left out; counting them as converged "
                    f"/ at their tail gradient norm would give {r[0]:.3g} / {r[1]:.3g})"
                )
        return text

    def summary(self) -> str:
        c = self.counts
        lines = [
            f"Convergent fraction at lr = {self.lr:.6g} for {self.model}",
            f"  init: {self.init}; n = {self.n_samples}; seed = {self.seed}",
            f"  fraction converged: {self.fraction_text()}",
            "  outcomes: " + ", ".join(f"{k} {c[k]}" for k in OUTCOME_NAMES),
            f"  converged to minima: {self.n_to_minima}, to saddles: {self.n_to_saddles} "
            f"(certified early: {self.n_certified})" + self._sample_words(),
        ]
        if self.n_undecided:
            lines.append(
                f"  undecided: {self.n_undecided} runs reached the step budget without a "
                "decision; they are not counted as non-convergent, so the fraction is a range"
            )
        if self.n_frozen:
            lines.append(
                f"  frozen: {self.n_frozen} runs barely moved (tiny gradient, no approach to a "
                "critical point); not converged, but not shown non-convergent either, so they "
                "widen the range like undecided runs"
            )
        if self.n_limit_local or self.n_limit_saddle:
            lines.append(f"  limits reached: {self.limit_kinds_text()}")
        if self.sharpness_max is not None:
            lines.append(
                f"  limit sharpness: min {self.sharpness_min:.6g}, median "
                f"{self.sharpness_median:.6g}, max {self.sharpness_max:.6g} "
                f"(2/lr = {2 / self.lr:.6g})"
                + (
                    f" over the {self.n_annotated} annotated runs"
                    if self.annotation_sampled
                    else ""
                )
            )
        lines.append(
            f"  g_inf (median tail gradient norm, decided non-divergent runs): {self.g_inf_text()}"
        )
        return "\n".join(lines)

    def limit_kinds_text(self) -> str:
        """What the annotated converged runs reached, in words ("" without labels)."""
        if self.n_limit_global is None:
            return ""
        return (
            f"{self.n_limit_global} at global minima, {self.n_limit_local} at non-global local "
            f"minima, {self.n_limit_saddle} at saddles (numerical labels; minimum loss "
            f"{self.limit_min_loss:.10g}, {self.limit_min_loss_source})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def _table_(self) -> dict[str, Any]:
        """``to_pandas()``: one row per outcome (runs and share of all runs)."""
        keys = list(self.counts)
        return {
            "outcome": keys,
            "runs": [self.counts[k] for k in keys],
            "share": [self.counts[k] / self.n_samples for k in keys],
        }

    plot = plotted_by("plot_outcomes")


def g_inf_stats(
    outcome: Array, g_tail: Array, confidence: float = 0.95
) -> tuple[float, float, float, int, tuple[float, float] | None]:
    r""":math:`g_\infty` (C7) of a set of runs: the one rule used by every analysis.

    The median (with its distribution-free interval) of the asymptotic gradient norm over the
    decided non-divergent runs: converged runs count 0 (their limit is a critical point, even
    when they were certified while ``g_tail`` was still positive), periodic and bounded runs
    their ``g_tail``; undecided and frozen runs are left out (a frozen run's tiny gradient
    would otherwise pull :math:`g_\infty` to 0 above :math:`\eta^*`).

    Returns
    -------
    (g_inf, low, high, n_used, if_undecided)
        ``inf`` triple when every run diverged, ``nan`` triple when every non-divergent run is
        undecided; ``if_undecided`` is the median with the undecided runs counted as
        converged (0) and at their ``g_tail`` (None when no run is undecided).
    """
    out = np.asarray(outcome)
    conv = out == Outcome.CONVERGED.code
    und = np.isin(out, _OPEN_CODES)
    nondiv = out != Outcome.DIVERGED.code
    g_asym = np.where(conv, 0.0, np.asarray(g_tail, dtype=np.float64))
    decided = nondiv & ~und
    g_if: tuple[float, float] | None = None
    if und.any():
        g_if = (
            float(median_ci(np.where(und, 0.0, g_asym)[nondiv], confidence)[0]),
            float(median_ci(g_asym[nondiv], confidence)[0]),
        )
    if decided.any():
        g, gl, gh = median_ci(g_asym[decided], confidence)
    elif nondiv.any():
        g = gl = gh = math.nan
    else:
        g = gl = gh = math.inf
    return float(g), float(gl), float(gh), int(decided.sum()), g_if


def summarize_runs(
    arrays: dict[str, Any],
    *,
    lr: float,
    n_samples: int,
    seed: int,
    init_text: str,
    confidence: float,
    model_text: str,
    config: EngineConfig,
    min_loss: float | None = None,
    min_loss_source: str = "given",
    local_minima_exist: bool = True,
    annotated: int = ANNOTATED_SAMPLES,
) -> ConvergenceEstimate:
    """Build a :class:`ConvergenceEstimate` from merged per-run arrays (and the limit-kind
    counts against ``min_loss`` when the arrays carry them; ``min_loss`` None: the lowest loss
    among the limits that are minima); the limits of the converged runs among the first
    ``annotated`` initialisations are the annotated ones."""
    out = arrays["outcome"]
    cnt = np.bincount(out, minlength=len(OUTCOME_NAMES))
    counts = {k: int(cnt[i]) for i, k in enumerate(OUTCOME_NAMES)}
    conv = out == Outcome.CONVERGED.code
    k = int(conv.sum())
    u = int(np.sum(out == Outcome.UNDECIDED.code))
    fz = int(np.isin(out, _OPEN_CODES).sum()) - u
    # honest interval (docs/math/convergent-set.md): lower CP bound of k, upper CP bound of k + u (+
    # frozen)
    lo, hi = fraction_interval(k, u + fz, n_samples, confidence)
    # limit annotations: the converged runs among the first `annotated` initialisations
    ann = conv & (np.arange(out.size) < annotated)
    k_ann = int(ann.sum())
    sh = arrays["sharpness"][ann]
    g, gl, gh, g_n, g_if = g_inf_stats(out, arrays["g_tail"], confidence)
    per = arrays["period"][out == Outcome.PERIODIC.code]
    by_period = {int(p): int(c) for p, c in zip(*np.unique(per, return_counts=True), strict=True)}
    kinds: dict[str, Any] = {}
    if "limit_levels" in arrays:
        c, ref = count_limit_kinds(
            int(arrays["limit_saddles"]),
            arrays["limit_levels"],
            min_loss,
            local_minima_exist=local_minima_exist,
        )
        kinds = {
            "n_limit_global": c["global_minimum"],
            "n_limit_local": c["local_minimum"],
            "n_limit_saddle": c["saddle"],
            "limit_min_loss": ref,
            "limit_min_loss_source": (
                min_loss_source
                if min_loss is not None and ref == min_loss
                else "lowest loss among the limits, not a known minimum"
            ),
        }
    return ConvergenceEstimate(
        fraction=k / n_samples,
        ci_low=lo,
        ci_high=hi,
        confidence=confidence,
        counts=counts,
        n_samples=n_samples,
        seed=seed,
        lr=lr,
        init=init_text,
        n_undecided=u,
        n_frozen=fz,
        fraction_high=(k + u + fz) / n_samples,
        n_to_minima=int((ann & arrays["at_minimum"]).sum()),
        n_to_saddles=int((ann & ~arrays["at_minimum"]).sum()),
        n_certified=int((ann & arrays["certified"]).sum()),
        sharpness_min=float(sh.min()) if k_ann else None,
        sharpness_median=float(np.median(sh)) if k_ann else None,
        sharpness_max=float(sh.max()) if k_ann else None,
        n_annotated=k_ann,
        annotated_samples=annotated,
        g_inf=float(g),
        g_inf_low=float(gl),
        g_inf_high=float(gh),
        g_inf_n=g_n,
        g_inf_if_undecided=g_if,
        n_periodic_by_period=by_period,
        model=model_text,
        config=config.to_dict(),
        **kinds,
    )


def estimate_convergent_fraction(
    net: Model,
    lr: float,
    *,
    n_samples: int,
    seed: int,
    init: Any = "uniform",
    init_scale: float = 2.0,
    executor: Any = None,
    chunk_size: int | None = None,
    config: EngineConfig | None = None,
    progress: bool | None = None,
    confidence: float = 0.95,
    optimizer: Any = None,
    min_loss: float | None = None,
) -> ConvergenceEstimate:
    r"""Estimate the Lebesgue measure (probability) of the convergent set of GD
    (docs/math/convergent-set.md, docs/math/claims.md#c6).

    Parameters
    ----------
    net : LinearNetwork, LossModel or NumericModel
        The model.
    lr : float
        Step size :math:`\eta > 0`.
    n_samples : int
        Number of initialisations.
    seed : int
        Master seed; sampling block ``b`` draws from its own stream
        ``(seed, "monte_carlo", b)`` (:mod:`dynsys_gd._streams`): same seed, same result for
        every chunking and executor.
    init : {"uniform", "gaussian"} or callable
        "uniform": box :math:`[-s, s]^P`; "gaussian": :math:`N(0, s^2 I)`; or a picklable
        ``sampler(rng, n, P) -> array (n, P)``.
    init_scale : float
        :math:`s`.
    executor : concurrent.futures.Executor, optional
        None runs in this process: for a model with a compiled kernel, groups of whole
        sampling blocks, each in one engine call whose kernels share its runs on every core
        (else a block per task, on a thread per core); otherwise tasks are submitted to it
        (process pool, Dask client executor, ...), except to a local process pool no larger
        than the cores for a model with a compiled kernel, which would only be slower than this
        process's threads.
    chunk_size : int, optional
        Runs per task (tasks never cross sampling blocks of :data:`SAMPLING_BLOCK`, and run on
        a thread per core without an executor); by default groups of whole blocks in this
        process (:func:`~dynsys_gd.analysis.convergence_tasks.group_ranges`; a whole block for
        the numpy path) and an eighth of a block on an executor (:func:`auto_chunk`).  The
        result does not depend on it.
    config : EngineConfig, optional
        Engine settings.
    progress : bool or None
        Progress bar over the runs on stderr; None (default): on in a terminal or notebook,
        off in pipes, CI and tests (:func:`~dynsys_gd.runtime.progress.progress_enabled`).
        A job estimated to take minutes first issues a ``LongJobWarning`` with the estimate.
    confidence : float
        Level of the intervals (default 0.95).
    optimizer : Optimizer, optional
        The map that is iterated (default GD; e.g. ``dg.HeavyBall(0.5)``); carried in
        ``config`` (:attr:`~dynsys_gd.numeric.engine.EngineConfig.optimizer`).
    min_loss : float, optional
        The minimum loss, when known, that labels a limit a global minimum (default: a linear
        network's loss on M; for a loss model the lowest loss among the limits that are
        minima, which cannot tell a non-global local minimum from a global one when no run
        reaches a global minimum).

    Returns
    -------
    ConvergenceEstimate
        ``fraction`` (:math:`k/n`), ``fraction_high`` (:math:`(k+u)/n`), the honest interval
        ``[ci_low, ci_high]`` (see the module docstring), counts, :math:`g_\infty`.

    Raises
    ------
    InvalidParameterError
        For a bad argument (checked before any run).

    Examples
    --------
    >>> import dynsys_gd as dg
    >>> net = dg.LinearNetwork.scalar(depth=2, target=1.0)
    >>> est = dg.estimate_convergent_fraction(net, 0.5, n_samples=50, seed=0, init_scale=1.0)
    >>> est.counts["undecided"], est.fraction == est.fraction_high
    (0, True)
    """
    lr_f = check_positive_float("lr", lr)
    if min_loss is not None:
        min_loss = check_real("min_loss", min_loss)
    config = with_optimizer(config, optimizer)
    net, n, s, scale, conf, cfg = check_common(
        net,
        lr,
        n_samples,
        seed,
        init,
        init_scale,
        executor,
        chunk_size,
        config,
        progress,
        confidence,
    )
    if executor is not None and _pool_adds_nothing(executor, [(net,)]):
        executor = None  # the threads of this process do the same without the pool's start
    model = _portable(net) if executor is not None else net
    # a compiled kernel runs groups of blocks in one call on every core (the numpy path, which
    # keeps every run's recent iterates, runs block by block)
    grouped = executor is None and chunk_size is None and _kernel_class(net)[0]
    warn_if_long(
        net,
        n,
        f"the Monte-Carlo estimate at lr={lr_f:g}",
        config=cfg,
        pilot=lambda: pilot_runs(net, [lr_f], init, scale, [s], n, cfg),
    )
    desc = f"lr={lr_f:g}"
    if grouped:
        P = int(numeric_model(net).n_params)
        groups = [(model, lr_f, init, scale, s, b0, b1, n, cfg) for b0, b1 in group_ranges(n, P)]
        per_group = run_tasks(run_group_task, groups, None, progress, desc, task_threads=False)
        results = [r for rs in per_group for r in rs]
    else:
        chunk = auto_chunk(n, chunk_size, executor)
        ranges = task_ranges(n, chunk)
        tasks = [(model, lr_f, init, scale, s, b, a, z, n, cfg) for b, a, z in ranges]
        results = run_tasks(run_task, tasks, executor, progress, desc)
    annotated = annotated_samples(net)
    arrays = merge_task_results(results, annotated)
    return summarize_runs(
        arrays,
        lr=lr_f,
        n_samples=n,
        seed=s,
        init_text=describe_init(init, scale),
        confidence=conf,
        model_text=model_label(net),
        config=cfg,
        annotated=annotated,
        **limit_reference(net, min_loss),
    )


def limit_reference(net: Any, min_loss: float | None) -> dict[str, Any]:
    """The minimum loss of the limit labels, where it comes from, and whether the model has
    non-global local minima (a linear network has none)."""
    from ..models import LinearNetwork

    if min_loss is not None:
        return {"min_loss": min_loss, "min_loss_source": "given"}
    ref = reference_min_loss(net) if isinstance(net, LinearNetwork) else None
    return {
        "min_loss": ref,
        "min_loss_source": "the loss on M",
        "local_minima_exist": not isinstance(net, LinearNetwork),
    }
