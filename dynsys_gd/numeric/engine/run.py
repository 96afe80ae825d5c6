r"""The GD engine: every run of :math:`\theta_{t+1} = \theta_t - \eta\nabla L(\theta_t)` to an
outcome (docs/math/convergent-set.md, docs/math/claims.md#c6–C8).

:func:`run_gd` is the one GD loop of the toolkit with outcome classification.  It takes a batch of
initialisations (``theta0`` of shape ``(n, P)``) and one step size or one per run (a whole
learning-rate grid in one call), and classifies every run into exactly one
:class:`~dynsys_gd.numeric.engine.outcomes.Outcome` by the tests documented in
:mod:`~dynsys_gd.numeric.engine.outcomes` (geometric decay with the measured contraction factor, the
float64 floor, orbit-scaled period tests, frozen runs).

Two paths compute the same thing:

* ``backend="compiled"`` (the default when available): the numba lane kernels of
  :mod:`~dynsys_gd.numeric.engine.lanes` for linear networks (any widths, any :math:`\Sigma_{xx}`),
  polynomial :class:`~dynsys_gd.models.LossModel` s, non-polynomial ones of at most 64
  parameters whose gradient uses functions of :mod:`math`, and :class:`~dynsys_gd.models.MLP` s
  (:mod:`~dynsys_gd.numeric.engine.mlp_kernel`); no Python work per step.
* ``backend="numpy"``: the plain numpy reference path (:mod:`~dynsys_gd.numeric.engine.gd_numpy`),
  bit-identical to the compiled path for those models, and the path of every other model (user
  models) with the model's own batched gradient.

Every run is independent of the others: results are bit-identical for every chunking of
``theta0``, every ``workers`` value and every executor, for one seed on one machine.

After the runs, converged limits are annotated (loss, :math:`\lambda_{\max}, \lambda_{\min}` of
:math:`H`, minimum or saddle, and the convergence certificate of
:mod:`~dynsys_gd.numeric.engine.convergence_certificate` at the limit); these use LAPACK but never
change an outcome.

Sentinels (no NaN is ever reported): for diverged runs ``loss`` and ``g_tail`` are ``inf``;
``sharpness`` / ``lam_min`` are ``0.0`` where ``has_limit`` is False; ``period`` is 0 unless the
outcome is PERIODIC; ``contraction`` is 0.0 where nothing was measured.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._results import ResultMixin, jsonable
from ..._types import ArrayLike, LearningRate, Model, Theta
from ..._validation import check_choice, check_int, check_positive_float, check_real_array, describe
from ...errors import InvalidParameterError
from ..kernels import NumericModel, numeric_model
from .outcomes import OUTCOME_NAMES, Outcome

__all__ = ["EngineConfig", "RecordSpec", "RunBatch", "Trajectory", "run_gd"]

Array = NDArray[Any]

_CONV = Outcome.CONVERGED.code
_DIV = Outcome.DIVERGED.code
_PER = Outcome.PERIODIC.code

#: budgets used when ``max_steps`` / ``max_extension`` are None: (long, short); the long one
#: for models with a compiled kernel of cheap steps, the short one for MLPs (a step is a pass
#: over the data) and for models without a compiled kernel
_AUTO_STEPS = (20_000, 4_000)
_AUTO_EXTENSION = (50.0, 4.0)

BACKENDS: tuple[str, ...] = ("auto", "compiled", "numpy")


@dataclass(frozen=True)
class EngineConfig:
    r"""Settings of :func:`run_gd` (all have documented defaults; see
    :mod:`~dynsys_gd.numeric.engine.outcomes` for the tests they parametrise).

    Attributes
    ----------
    max_steps : int or None, default None
        Step budget per run before adaptive extension.  None: 20,000 for linear networks and
        :class:`~dynsys_gd.models.LossModel` s with a compiled kernel, 4,000 for MLPs and models
        without a compiled kernel, whose steps cost far more.  The budget depends on the model,
        never on the backend.  Budgets are rounded up to a multiple of ``check_every``.
    check_every : int, default 128
        The outcome tests run every this many steps (at least ``2 max_period``).
    tail : int, default 64
        :math:`K`: ``g_tail`` is the mean :math:`\lVert\nabla L\rVert` over the last K steps
        (C7); at most ``check_every``.
    grad_tol : float, default 1e-10
        FROZEN threshold: a run with no sign of approach whose gradient norm stayed below it is
        frozen.  A small gradient alone never makes a run converged.
    div_threshold : float, default 1e6
        Diverged when :math:`\lVert\theta\rVert_\infty` exceeds it (or θ is not finite).
    max_period : int, default 8
        Largest period looked for (at least 2).
    period_tol : float, default 1e-8
        Periodic when the remaining distance to the cycle is below ``period_tol`` times the orbit
        size (the test scales with the orbit).
    min_orbit : float, default 1e-6
        Smallest orbit size (relative to :math:`\max(1, \lVert\theta\rVert_\infty)`) accepted as a
        cycle; float64 noise orbits below it next to a minimum are the float64 floor.
    conv_tol : float, default 1e-9
        Converged when the remaining distance bound :math:`c\,e_1/(1 - \bar\rho_1)` is below
        ``conv_tol`` :math:`\max(1, \lVert\theta\rVert_\infty)`.
    streak : int, default 3
        Consecutive consistent decaying checks that make a geometric streak.
    floor_ulps : float, default 64.0
        The float64 floor: contraction per step below this many units in the last place.
    certificate : bool, default True
        Certify the limit of converged runs
        (:class:`~dynsys_gd.numeric.engine.convergence_certificate.Certifier`: a nearby critical
        point,
        a minimum whose linearisation contracts with margin ``cert_margin``); fills
        ``RunBatch.certified``.  Never changes an outcome.
    cert_every : int, default 200
        Not used any more (the tests run every ``check_every`` steps); kept so existing
        configurations still construct.
    cert_grad : float, default 1e-1
        Not used any more; kept for compatibility.
    cert_margin : float, default 1e-6
        Margin of the limit certificate: :math:`q + \eta\delta \le 1 - \text{margin}`.
    cert_shrink : float, default 0.9
        Not used any more: the shrink test uses the measured contraction factor; kept for
        compatibility.
    cert_max_params : int, default 64
        The limit certificate for models other than linear networks needs dense Hessians; above
        this many parameters it is skipped.
    adaptive : bool, default True
        Runs still approaching something at the budget are extended by ``max_steps`` at a time.
    max_extension : float or None, default None
        Hard cap = ``max_extension * max_steps``.  None: 50 with the long budget (hard cap
        1,000,000 steps), 4 with the short one (MLPs, models without a compiled kernel).
    progress_ratio : float, default 0.9
        Not used any more (progress is a geometric streak); kept for compatibility.
    saddle_tol : float, default 1e-8
        A converged limit is a minimum when :math:`\lambda_{\min}(H) \ge -` saddle_tol and, for
        linear networks, its loss is within ``saddle_tol`` (relative) of the minimum loss.
    lanes : int or None, default None
        Runs stepped side by side by the compiled kernel (None: chosen from the model size).
        Results do not depend on it.
    limits : bool, default True
        Annotate converged runs with the Hessian spectrum at the limit (``sharpness``,
        ``lam_min``, ``at_minimum``; LAPACK, after the runs).  False leaves them 0 / False; the
        outcomes are the same.
    optimizer : Optimizer or None, default None
        The map that is iterated (None: plain GD; see :mod:`dynsys_gd.optimizers`).  Analyses
        that take ``optimizer=`` carry it here, so it reaches every run and keys stored results.
    """

    max_steps: int | None = None
    check_every: int = 128
    tail: int = 64
    grad_tol: float = 1e-10
    div_threshold: float = 1e6
    max_period: int = 8
    period_tol: float = 1e-8
    min_orbit: float = 1e-6
    certificate: bool = True
    cert_every: int = 200
    cert_grad: float = 1e-1
    cert_margin: float = 1e-6
    cert_shrink: float = 0.9
    cert_max_params: int = 64
    adaptive: bool = True
    max_extension: float | None = None
    progress_ratio: float = 0.9
    saddle_tol: float = 1e-8
    conv_tol: float = 1e-9
    streak: int = 3
    floor_ulps: float = 64.0
    lanes: int | None = None
    limits: bool = True
    optimizer: Any = None

    def __post_init__(self) -> None:
        from ...optimizers import check_optimizer

        if self.optimizer is not None and check_optimizer(self.optimizer).is_gd:
            object.__setattr__(self, "optimizer", None)  # GD is the default: one spelling
        if self.max_steps is not None:
            check_int("max_steps", self.max_steps, minimum=1)
        for name in ("check_every", "tail", "cert_every", "cert_max_params", "streak"):
            check_int(name, getattr(self, name), minimum=1)
        check_int("max_period", self.max_period, minimum=2)
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
            "conv_tol",
            "floor_ulps",
        ):
            check_positive_float(name, getattr(self, name))
        if (
            self.max_extension is not None
            and check_positive_float("max_extension", self.max_extension) < 1.0
        ):
            raise InvalidParameterError(
                f"max_extension must be a finite float >= 1; got {self.max_extension!r}"
            )
        for name in ("cert_shrink", "progress_ratio", "cert_margin"):
            if getattr(self, name) >= 1.0:
                raise InvalidParameterError(
                    f"{name} must be a float in (0, 1); got {getattr(self, name)!r}"
                )
        for name in ("certificate", "adaptive", "limits"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidParameterError(
                    f"{name} must be a bool; got {describe(getattr(self, name))}"
                )
        if self.lanes is not None:
            check_int("lanes", self.lanes, minimum=1)
        from ..._limits import check_engine_memory

        check_engine_memory(self)  # size caps: tail / max_period memory, max_steps time
        if self.check_every < 2 * self.max_period:
            raise InvalidParameterError(
                f"check_every must be an int >= 2 * max_period = {2 * self.max_period}; got "
                f"{self.check_every!r}"
            )
        if self.tail > self.check_every:
            raise InvalidParameterError(
                f"tail must be an int <= check_every = {self.check_every}; got {self.tail!r}"
            )

    def budgets(self, long_budget: bool) -> tuple[int, int]:
        """(max_steps, hard cap), both multiples of ``check_every``: the long automatic budget
        (cheap compiled steps) or the short one (MLPs, models without a compiled kernel)."""
        c = self.check_every
        k = 0 if long_budget else 1
        ms = self.max_steps if self.max_steps is not None else _AUTO_STEPS[k]
        ext = self.max_extension if self.max_extension is not None else _AUTO_EXTENSION[k]
        ms = -(-int(ms) // c) * c
        hard = int(np.ceil(ms * ext)) if self.adaptive else ms
        hard = max(ms, -(-hard // c) * c)
        return ms, hard

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary of the settings (``optimizer`` only when it is not GD, so the
        keys of stored GD results are those of earlier releases)."""
        out = {
            f.name: jsonable(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name != "optimizer"
        }
        if self.optimizer is not None:
            out["optimizer"] = self.optimizer.to_dict()
        return out


def with_optimizer(config: EngineConfig | None, optimizer: Any) -> EngineConfig | None:
    """``config`` carrying ``optimizer`` (unchanged when ``optimizer`` is None)."""
    if optimizer is None:
        return config
    from ...optimizers import check_optimizer

    return dataclasses.replace(config or EngineConfig(), optimizer=check_optimizer(optimizer))


@dataclass(frozen=True)
class RecordSpec:
    r"""What :func:`run_gd` keeps of the trajectories of a few runs.

    Attributes
    ----------
    runs : sequence of int
        Indices (rows of ``theta0``) of the runs to record.
    every : int, default 1
        Keep iterate :math:`\theta_t` for every ``t`` divisible by ``every`` (and the last one).
    loss, grad_norm : bool, default True
        Also keep :math:`L(\theta_t)` and :math:`\lVert\nabla L(\theta_t)\rVert`.
    sharpness : bool, default False
        Also keep :math:`\lambda_{\max}(H(\theta_t))` by Lanczos on Hessian-vector products
        (:func:`~dynsys_gd.numeric.landscape.lanczos.lanczos_sharpness`; one Lanczos run per kept
        iterate).
    max_bytes : int, default 256 MiB
        Memory bound: :func:`run_gd` refuses (``InvalidParameterError`` naming ``record``) when
        the worst case (every recorded run reaching the hard cap) would need more.
    """

    runs: Sequence[int] = ()
    every: int = 1
    loss: bool = True
    grad_norm: bool = True
    sharpness: bool = False
    max_bytes: int = 256 * 2**20


@dataclass(frozen=True, eq=False)
class Trajectory(ResultMixin):
    r"""The recorded trajectory of one run (see :class:`RecordSpec`).

    Attributes
    ----------
    run : int
        Row of ``theta0``.
    steps : ndarray of int64
        The ``t`` of every kept iterate (0, every, 2 every, ..., and the final step).
    theta : ndarray (m, P)
        The kept iterates; the last row equals ``RunBatch.theta[run]`` unless the run
        diverged (then it is the first iterate beyond the threshold) or was certified at a
        projected limit.
    loss, grad_norm, sharpness : ndarray (m,) or None
        Loss, gradient norm and :math:`\lambda_{\max}(H)` at the kept iterates (None when not
        asked for).
    """

    run: int
    steps: Array
    theta: Array
    loss: Array | None = None
    grad_norm: Array | None = None
    sharpness: Array | None = None

    def to_dict(self) -> dict[str, Any]:
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
        Final iterate (last iterate within the threshold for diverged runs).
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
        Converged runs whose limit the certificate confirmed (a nearby critical point that is a
        minimum whose linearisation contracts with margin); False where it was not attempted.
    lr : float or ndarray
        Step size (an array of n values when ``run_gd`` was given one per run).
    contraction : ndarray
        Measured per-step contraction factor of the approach: of the distance to the limit for
        converged runs (compare with :math:`\max|1 - \eta\lambda_{\text{normal}}|` of the limit),
        of the distance to the cycle for periodic ones; 0.0 where not measured (e.g. an exact
        stop within one check interval).
    at_float_floor : ndarray of bool
        Decided at the float64 floor: the run stopped contracting within rounding (converged:
        of a linearly attracting limit; periodic: of a cycle).
    trajectories : tuple of Trajectory or None
        Recorded runs (``run_gd(..., record=...)``).
    optimizer : Optimizer or None
        The optimiser that was run (None for plain GD).
    state : ndarray (n, S) or None
        Final optimiser state (parameters, then buffers) when the optimiser has buffers.
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
    lr: float | Array
    contraction: Array = field(default_factory=lambda: np.zeros(0))
    at_float_floor: Array = field(default_factory=lambda: np.zeros(0, dtype=bool))
    trajectories: tuple[Trajectory, ...] | None = None
    optimizer: Any = None
    state: Array | None = None

    @property
    def n(self) -> int:
        """Number of runs."""
        return int(self.outcome.shape[0])

    @property
    def lrs(self) -> Array:
        """Step size of every run (shape (n,))."""
        return np.broadcast_to(np.asarray(self.lr, dtype=np.float64), (self.n,))

    def counts(self) -> dict[str, int]:
        """Number of runs per outcome key (every key present)."""
        c = np.bincount(self.outcome.astype(np.int64), minlength=len(OUTCOME_NAMES))
        return {k: int(c[i]) for i, k in enumerate(OUTCOME_NAMES)}

    def outcomes(self) -> list[Outcome]:
        """Outcomes as enum members."""
        return [Outcome.from_code(int(c)) for c in self.outcome]

    def _lr_text(self) -> str:
        if np.ndim(self.lr) == 0:
            return f"{float(self.lr):.6g}"
        lr = np.asarray(self.lr)
        return f"{lr.min():.6g}..{lr.max():.6g} ({np.unique(lr).size} values)"

    def __repr__(self) -> str:
        opt = "" if self.optimizer is None else f", optimizer={self.optimizer!r}"
        return f"RunBatch(n={self.n}, lr={self._lr_text()}{opt}, counts={self.counts()})"

    def summary(self) -> str:
        c = self.counts()
        who = "GD" if self.optimizer is None else repr(self.optimizer)
        lines = [f"{who} runs: n = {self.n}, lr = {self._lr_text()}"]
        lines += [f"  {k:9s}: {v}" for k, v in c.items()]
        conv = self.has_limit
        if conv.any():
            lines.append(
                f"  converged to minima: {int(self.at_minimum.sum())}, to saddles: "
                f"{int((conv & ~self.at_minimum).sum())}, limit certified: "
                f"{int(self.certified.sum())}, at the float64 floor: "
                f"{int((self.at_float_floor & conv).sum())}"
            )
            ratio = self.sharpness[conv] * self.lrs[conv] / 2.0
            lines.append(
                f"  limit sharpness x lr / 2: min {ratio.min():.6g}, max "
                f"{ratio.max():.6g} (C8: at most 1)"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    _rows_along = "outcome"  # to_pandas(): one row per run


def _validate_theta0(theta0: Any, P: int) -> Array:
    # real input only: complex values are refused (never truncated), strings and objects too
    th = check_real_array("theta0", theta0, finite=False)
    if th.ndim == 1:
        th = th[None, :]
    if th.ndim != 2 or th.shape[1] != P or th.shape[0] < 1:
        raise InvalidParameterError(
            f"theta0 must have shape (n, {P}) with n >= 1; got shape {np.shape(theta0)}"
        )
    if not np.all(np.isfinite(th)):
        raise InvalidParameterError("theta0 must be finite (no NaN or inf); got non-finite values")
    return np.ascontiguousarray(th)


def _validate_lr(lr: Any, n: int) -> tuple[float | Array, Array]:
    if np.ndim(lr) == 0:
        eta = check_positive_float("lr", lr)
        return eta, np.full(n, eta)
    try:
        arr = np.array(lr, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"lr must be a finite float > 0 or a 1-D array of {n} such floats; got {describe(lr)}"
        ) from exc
    if arr.shape != (n,):
        raise InvalidParameterError(
            f"lr must be a finite float > 0 or a 1-D array of {n} such floats (one per row of "
            f"theta0); got shape {np.shape(lr)}"
        )
    if not np.all(np.isfinite(arr) & (arr > 0)):
        bad = arr[~(np.isfinite(arr) & (arr > 0))][0]
        raise InvalidParameterError(
            f"lr must be a finite float > 0 or a 1-D array of {n} such floats; got an entry {bad!r}"
        )
    return arr, arr


def _engine_arrays(
    cfg: EngineConfig, long_budget: bool, lanes: int, P: int = 0, T: int = 0
) -> tuple[Array, Array]:
    """The int and float settings of the kernels (``P`` parameters, ``T`` watched state rows;
    0: taken as the state size by the caller)."""
    ms, hard = cfg.budgets(long_budget)
    ci = np.array(
        [lanes, cfg.check_every, cfg.tail, cfg.max_period, ms, hard, cfg.streak, P, T],
        dtype=np.int64,
    )
    cf = np.array(
        [
            cfg.div_threshold,
            cfg.conv_tol,
            cfg.period_tol,
            cfg.min_orbit,
            cfg.grad_tol,
            cfg.floor_ulps,
        ],
        dtype=np.float64,
    )
    return ci, cf


def _run_compiled(
    lm: Any, th: Array, lrs: Array, ci: Array, cf: Array, workers: int, opt: Any = None
) -> dict[str, Array]:
    from .lanes import KIND_MLP, run_lanes

    n, P = th.shape  # P: the state size (parameters and the optimiser's buffers)
    block, fp = lm.block, lm.fp
    if opt is not None and not opt.is_gd:
        from .optimizer_blocks import optimizer_block

        block = optimizer_block(opt, lm)
        fp = np.ascontiguousarray(np.concatenate([lm.fp, opt.constants(lm.n_params)]))
    out: dict[str, Array] = {
        "code": np.full(n, -1, dtype=np.int8),
        "steps": np.zeros(n, dtype=np.int64),
        "period": np.zeros(n, dtype=np.int64),
        "theta": np.zeros((n, P)),
        "gtail": np.zeros(n),
        "q": np.zeros(n),
        "floor": np.zeros(n, dtype=np.bool_),
    }

    def part(rows: Array) -> None:
        res = {k: np.empty((rows.size, *v.shape[1:]), dtype=v.dtype) for k, v in out.items()}
        run_lanes(
            block,
            lm.kind,
            lm.ip,
            fp,
            lm.nwork,
            np.ascontiguousarray(th[rows]),
            np.ascontiguousarray(lrs[rows]),
            ci,
            cf,
            res["code"],
            res["steps"],
            res["period"],
            res["theta"],
            res["gtail"],
            res["q"],
            res["floor"],
        )
        for k, v in res.items():
            out[k][rows] = v

    from .slices import SLICE_SECONDS, run_in_slices
    from .throughput import seconds_per_run_bound

    # slices of a fraction of a second (Ctrl-C acts between them); the first sized from the
    # step cap, the rest from the measured time per run; no split changes a result
    points = int(lm.nwork) if lm.kind == KIND_MLP else 1  # MLP: work rows >= data points
    bound = seconds_per_run_bound(P, int(ci[5]), points)
    lanes = max(1, int(ci[0]))
    first = max(lanes, int(SLICE_SECONDS / max(bound, 1e-12)))
    run_in_slices(part, n, first=first, minimum=lanes, workers=workers)
    return out


def run_gd(
    model: Model,
    theta0: Theta,
    lr: LearningRate | ArrayLike,
    *,
    config: EngineConfig | None = None,
    backend: str = "auto",
    workers: int | None = None,
    record: RecordSpec | dict[str, Any] | None = None,
    rng: Any = None,
    optimizer: Any = None,
) -> RunBatch:
    r"""Run GD :math:`\theta_{t+1} = \theta_t - \eta\nabla L(\theta_t)` from every row of
    ``theta0`` and classify each run (docs/math/convergent-set.md, docs/math/claims.md#c6–C8; the
    tests are documented in
    :mod:`~dynsys_gd.numeric.engine.outcomes`).

    Parameters
    ----------
    model : LinearNetwork, LossModel or NumericModel
        Anything :func:`~dynsys_gd.numeric.kernels.numeric_model` accepts.
    theta0 : array_like, shape (n, P) or (P,)
        Initialisations (finite).
    lr : float or array_like of shape (n,)
        Step size :math:`\eta > 0`, or one per row of ``theta0`` (a learning-rate grid in one
        call; each run is exactly the run a separate call would make).
    config : EngineConfig, optional
        Budgets and tolerances (defaults: :class:`EngineConfig()`).
    backend : {"auto", "compiled", "numpy"}
        "auto": compiled when a kernel covers the model, else numpy.  "compiled" refuses a
        model without a kernel; "numpy" forces the reference path (same results, slower).
    workers : int or None
        Threads for the compiled path.  None: every core for calls of at least 512 runs made
        from the main thread of the main process, else one
        (:func:`~dynsys_gd.numeric.engine.slices.auto_workers`).  Results do not depend on it:
        the runs go through the kernel in slices of a fraction of a second (Ctrl-C acts between
        slices), and every run is independent of the others.
    record : RecordSpec or dict, optional
        Keep trajectories of a few runs (see :class:`RecordSpec`); the recorded runs are
        replayed with the bit-identical reference path, so their final states equal the
        unrecorded ones.
    rng : ignored
        Accepted for API symmetry; the engine is deterministic given ``theta0``.
    optimizer : Optimizer, optional
        The map to iterate (default: ``config.optimizer``, else plain GD): momentum, Nesterov,
        preconditioned, per-layer or Adam (:mod:`dynsys_gd.optimizers`).  Buffers start at
        their initial values (zero momentum); the outcome is decided on the optimiser's whole
        state, and ``RunBatch.state`` holds the final state.

    Returns
    -------
    RunBatch
        Outcome code, steps, period, final θ, loss, g_tail, limit spectrum, measured
        contraction per run (and trajectories when recorded).

    Raises
    ------
    InvalidParameterError
        Before any step, for a bad argument: ``theta0`` not finite or not of shape (n, P) or
        (P,), ``lr`` not finite and > 0 (or of the wrong length), an unknown backend, or
        ``backend="compiled"`` for a model without a compiled kernel.

    Examples
    --------
    >>> import numpy as np
    >>> import dynsys_gd as dg
    >>> net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    >>> batch = dg.run_gd(net, np.array([[1.0, 1.2, 1.5], [3.0, 3.0, 3.0]]), 0.1)
    >>> [o.key for o in batch.outcomes()]
    ['converged', 'diverged']
    >>> round(float(np.prod(batch.theta[0])), 8)  # the limit lies on M: w1 w2 w3 = 2
    2.0
    """
    if config is None:
        config = EngineConfig()
    elif not isinstance(config, EngineConfig):
        raise InvalidParameterError(
            f"config must be an EngineConfig or None; got {describe(config)}"
        )
    backend = check_choice("backend", backend, BACKENDS)
    if workers is not None:
        check_int("workers", workers, minimum=1)
    m = numeric_model(model)
    P = int(m.n_params)
    from ..orbits.optimizer_map import bound_optimizer

    opt = bound_optimizer(model, optimizer if optimizer is not None else config.optimizer)
    th = _validate_theta0(theta0, P)
    n = th.shape[0]
    lr_out, lrs = _validate_lr(lr, n)
    cap = getattr(model, "max_hessian_params", None)
    if config.limits and isinstance(cap, int) and cap < P:
        raise InvalidParameterError(
            f"config.limits must be False for a model with n_params = {P} > max_hessian_params "
            f"= {cap} (the spectrum at each limit needs the dense Hessian); got True"
        )
    if config.limits:
        from ..._limits import check_dense

        check_dense(
            "config.limits",
            True,
            P,
            what="the Hessian at each limit (pass EngineConfig(limits=False) to skip it)",
        )
    from .lanes import lane_model

    kernel = lane_model(model)  # None: no compiled kernel covers the model
    if backend == "compiled" and kernel is None:
        raise InvalidParameterError(
            f"backend must be 'auto' or 'numpy' for this model (no compiled kernel covers "
            f"{type(model).__name__}); got 'compiled'"
        )
    # budgets depend on the model (its kernel's cost class), never on the backend chosen
    has_kernel = kernel is not None
    long_budget = kernel is not None and kernel.long_budget
    S = opt.state_size(P)
    spec = _validate_record(record, n, S, config, long_budget)
    lanes = config.lanes if config.lanes is not None else (kernel.lanes if kernel else 1)
    ci, cf = _engine_arrays(config, long_budget, lanes, P, opt.tested_rows(P))
    state0 = th if opt.is_gd else np.ascontiguousarray(opt.init_state(th))
    if kernel is not None and backend != "numpy":
        from .slices import auto_workers

        out = _run_compiled(kernel, state0, lrs, ci, cf, workers or auto_workers(n), opt)
    else:
        out = _run_reference(model, kernel, opt, state0, lrs, ci, cf, exact=has_kernel)
    out = _split_state(out, P, opt)
    rb = _finish(model, m, config, th, lr_out, lrs, out, opt)
    _refuse_non_real(model, rb, config)
    if spec is not None:
        trajectories = _record(model, m, spec, state0, lrs, ci, cf, rb, opt)
        rb = dataclasses.replace(rb, trajectories=trajectories)
    return rb


def _run_reference(
    model: Any,
    kernel: Any,
    opt: Any,
    state0: Array,
    lrs: Array,
    ci: Array,
    cf: Array,
    *,
    exact: bool,
    hook: Any = None,
) -> dict[str, Array]:
    """The numpy reference path for any optimiser (bit-identical to the compiled one for models
    with a kernel)."""
    from .gd_numpy import column_gradient, run_numpy

    grad = column_gradient(model, kernel)
    if opt.is_gd:
        return run_numpy(grad, state0, lrs, ci, cf, hook=hook, exact=exact)
    from ...optimizers._render import numpy_point, numpy_step

    P = int(ci[7])
    return run_numpy(
        grad,
        state0,
        lrs,
        ci,
        cf,
        hook=hook,
        exact=exact,
        step=numpy_step(opt, P),
        point=numpy_point(opt, P),
    )


def _split_state(out: dict[str, Array], P: int, opt: Any) -> dict[str, Array]:
    """``theta`` of the outputs as the parameters; the whole final state as ``state``."""
    if opt.is_gd:
        return out
    state = out["theta"]
    return {**out, "theta": np.ascontiguousarray(state[:, :P]), "state": state}


def _finish(
    model: Any,
    m: NumericModel,
    cfg: EngineConfig,
    th0: Array,
    lr_out: Any,
    lrs: Array,
    out: dict[str, Array],
    opt: Any = None,
) -> RunBatch:
    outcome = out["code"].astype(np.int8)
    n, _P = th0.shape
    theta = out["theta"]
    c = cfg.check_every
    loss = np.full(n, np.inf)
    ok = outcome != _DIV
    if ok.any():
        with np.errstate(all="ignore"):
            lv = np.asarray(m.loss(theta[ok]), dtype=np.float64)
        loss[ok] = np.where(np.isfinite(lv), lv, np.inf)
    g_tail = np.where(ok & np.isfinite(out["gtail"]), out["gtail"], np.inf)
    has_limit = outcome == _CONV
    from .limits import annotate_limits

    # the limit certificate is GD's (a minimum whose GD linearisation contracts)
    gd_cfg = cfg if opt is None or opt.is_gd else dataclasses.replace(cfg, certificate=False)
    ann = annotate_limits(model, m, gd_cfg, theta, lrs, has_limit)
    sharp, lmin, at_min, certified = (
        ann["sharpness"],
        ann["lam_min"],
        ann["at_minimum"],
        ann["certified"],
    )
    q = out["q"]
    with np.errstate(all="ignore"):
        contraction = np.where((q > 0) & (q < 1), q ** (1.0 / c), 0.0)
    contraction = np.where(np.isfinite(contraction), contraction, 0.0)
    return RunBatch(
        outcome=outcome,
        steps=out["steps"].astype(np.int64),
        period=out["period"].astype(np.int64),
        theta=theta,
        loss=loss,
        g_tail=g_tail,
        sharpness=sharp,
        lam_min=lmin,
        has_limit=has_limit,
        at_minimum=at_min,
        certified=certified,
        lr=lr_out,
        contraction=contraction,
        at_float_floor=out["floor"].astype(bool) & (outcome != _DIV),
        optimizer=None if opt is None or opt.is_gd else opt,
        state=out.get("state"),
    )


def _validate_record(
    record: Any, n: int, P: int, cfg: EngineConfig, long_budget: bool
) -> RecordSpec | None:
    if record is None:
        return None
    if isinstance(record, dict):
        try:
            record = RecordSpec(**record)
        except TypeError as exc:
            raise InvalidParameterError(
                f"record must be a RecordSpec or a dict of its fields (runs, every, loss, "
                f"grad_norm, sharpness, max_bytes); got {record!r}"
            ) from exc
    if not isinstance(record, RecordSpec):
        raise InvalidParameterError(
            f"record must be a RecordSpec, a dict or None; got {describe(record)}"
        )
    runs = np.asarray(list(record.runs), dtype=object)
    if runs.size == 0 or not all(
        isinstance(r, int | np.integer) and not isinstance(r, bool) and 0 <= int(r) < n
        for r in runs
    ):
        raise InvalidParameterError(
            f"record.runs must be a non-empty sequence of row indices in [0, {n}); got "
            f"{list(record.runs)!r}"
        )
    check_int("record.every", record.every, minimum=1)
    check_int("record.max_bytes", record.max_bytes, minimum=1)
    _ms, hard = cfg.budgets(long_budget)
    points = hard // record.every + 2
    per_point = 8 * (P + 3) + 8
    need = len(set(int(r) for r in runs)) * points * per_point
    if need > record.max_bytes:
        raise InvalidParameterError(
            f"record would need up to {need / 2**20:.1f} MiB ({len(runs)} runs x {points} kept "
            f"iterates x {P} parameters at the hard cap of {hard} steps), above record.max_bytes "
            f"= {record.max_bytes / 2**20:.1f} MiB; record fewer runs, raise record.every or "
            f"max_bytes"
        )
    return record


def _record(
    model: Any,
    m: NumericModel,
    spec: RecordSpec,
    th0: Array,
    lrs: Array,
    ci: Array,
    cf: Array,
    rb: RunBatch,
    opt: Any = None,
) -> tuple[Trajectory, ...]:
    from .lanes import lane_model

    runs = sorted(set(int(r) for r in spec.runs))
    every = int(spec.every)
    P = int(m.n_params)  # rows of th0 are optimiser states: the parameters come first
    kept: dict[int, list[tuple[int, Array]]] = {r: [(0, th0[r, :P].copy())] for r in runs}
    final_steps = {r: int(rb.steps[r]) for r in runs}
    runs_arr = np.asarray(runs)

    def hook(idx: Array, th_cols: Array, t: int) -> None:
        for j, local in enumerate(idx):
            r = int(runs_arr[local])
            if t <= final_steps[r] and (t % every == 0 or t == final_steps[r]):
                kept[r].append((t, th_cols[:P, j].copy()))

    ref_lm = lane_model(model)
    from ...optimizers import GD

    _run_reference(
        model,
        ref_lm,
        opt if opt is not None else GD(),
        th0[runs_arr],
        lrs[runs_arr],
        ci,
        cf,
        exact=ref_lm is not None,
        hook=hook,
    )
    out = []
    for r in runs:
        steps = np.array([t for t, _ in kept[r]], dtype=np.int64)
        theta = np.array([x for _, x in kept[r]], dtype=np.float64).reshape(len(steps), -1)
        loss = gn = sh = None
        with np.errstate(all="ignore"):
            if spec.loss:
                loss = np.asarray(m.loss(theta), dtype=np.float64)
            if spec.grad_norm:
                gn = np.linalg.norm(np.asarray(m.gradient(theta), dtype=np.float64), axis=1)
        if spec.sharpness:
            from ..landscape.lanczos import lanczos_sharpness

            sh = np.array(
                [
                    float(np.max(lanczos_sharpness(m, x))) if np.all(np.isfinite(x)) else np.inf
                    for x in theta
                ]
            )
        out.append(
            Trajectory(run=r, steps=steps, theta=theta, loss=loss, grad_norm=gn, sharpness=sh)
        )
    return tuple(out)


def _refuse_non_real(model: Any, rb: RunBatch, config: EngineConfig) -> None:
    """Raise :class:`~dynsys_gd.errors.NonRealLossError` when a run reported as diverged ended at
    a finite, moderate point where a sympy loss is not real (it left the loss's real domain:
    a NaN, not an overflow).  Polynomial losses, linear networks and MLPs are real everywhere."""
    from ...models.loss import LossModel, _is_real_value

    if not isinstance(model, LossModel) or model.is_polynomial:
        return
    div = rb.outcome == Outcome.DIVERGED.code
    th = rb.theta
    with np.errstate(all="ignore"):
        moderate = np.all(np.isfinite(th), axis=1) & (
            np.max(np.abs(th), axis=1) <= config.div_threshold
        )
    import sympy

    from ...errors import NonRealLossError

    for i in np.flatnonzero(div & moderate)[:16]:
        env = {p: sympy.Float(float(v), 30) for p, v in zip(model.params, th[i], strict=True)}
        values = [model.expr, *(sympy.diff(model.expr, p) for p in model.params)]
        for expr in values:
            # in sympy's arbitrary exponent range: a real value too large for a float (exp(1000x))
            # is an overflow, a genuine divergence, not a value outside the real domain
            if not _is_real_value(sympy.N(expr.subs(env), 30)):
                point = ", ".join(f"{float(t):.6g}" for t in th[i])
                lr = float(rb.lrs[i])
                raise NonRealLossError(
                    f"loss {model.expr} is not real at theta = ({point}), reached by run {i} "
                    f"after {int(rb.steps[i])} steps at lr = {lr:g}; restrict the loss to its "
                    f"real domain"
                )
