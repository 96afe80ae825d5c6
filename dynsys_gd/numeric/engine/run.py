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
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._types import ArrayLike, LearningRate, Model, Theta
from ..._validation import check_choice, check_int, check_positive_float, check_real_array, describe
from ...errors import InvalidParameterError
from ..kernels import NumericModel, numeric_model
from .config import BACKENDS, EngineConfig, RecordSpec
from .config import with_optimizer as with_optimizer
from .outcomes import Outcome
from .record import _record, _validate_record
from .reference import _run_reference
from .results import RunBatch, Trajectory
from .slices import map_parts, row_parts

__all__ = ["EngineConfig", "RecordSpec", "RunBatch", "Trajectory", "run_gd"]

Array = NDArray[Any]

_CONV = Outcome.CONVERGED.code
_DIV = Outcome.DIVERGED.code


def _validate_theta0(theta0: Any, P: int) -> Array:
    # real input only: complex values are refused (never truncated), strings and objects too
    # no copy of a float64 array: the engine only reads the initial states (the numpy path steps
    # a copy of its own)
    th = check_real_array("theta0", theta0, finite=False, copy=False)
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


#: block function -> its compiled address, looked up once (see :func:`_block_address`)
_BLOCK_ADDRESSES: dict[Any, Any] = {}


def _block_address(block: Any, driver: Any) -> Any:
    """The block function as numba's wrapper-address protocol, its compiled address looked up
    once: a jitted function passed as a first-class function is resolved again on every call
    of the driver (about 60 us, with the GIL held), once per slice.  The same compiled code
    runs; any failure keeps the function itself."""
    hit = _BLOCK_ADDRESSES.get(block)
    if hit is not None:
        return hit
    try:
        from numba.experimental.function_type import (
            WrapperAddressProtocol,
            _get_wrapper_address,
        )

        sig = driver.nopython_signatures[0].args[0].signature

        class _Address(WrapperAddressProtocol):  # type: ignore[misc]
            def __init__(self) -> None:
                self.fn = block  # keeps the compiled library alive
                self.addr = int(_get_wrapper_address(block, sig))

            def __wrapper_address__(self) -> int:
                return self.addr

            def signature(self) -> Any:
                return sig

        out: Any = _Address()
    except Exception:  # pragma: no cover - a numba without the protocol: pass the function
        out = block
    _BLOCK_ADDRESSES[block] = out
    return out


def _run_compiled(
    lm: Any, th: Array, lrs: Array, ci: Array, cf: Array, workers: int, opt: Any = None
) -> dict[str, Array]:
    """Run the compiled kernels on every row of ``th`` (initial parameters, ``(n, P)``).

    The kernels of the threads share one queue of the runs and read their initial states by
    index: the optimiser's initial state (parameters and buffers, ``S`` entries a run) is built
    for the whole batch once (``init_state`` is row-wise).  Every run is claimed by exactly
    one kernel, so every output row is written once and the outputs are allocated without
    filling them (an interrupted call raises, its outputs unused)."""
    from .lanes import KIND_MLP, run_lanes

    n, P = th.shape
    gd = opt is None or opt.is_gd
    S = P if gd else int(opt.state_size(P))  # the state size (parameters and buffers)
    block, fp = lm.block, lm.fp
    if not gd:
        from .optimizer_blocks import optimizer_block

        block = optimizer_block(opt, lm)
        fp = np.ascontiguousarray(np.concatenate([lm.fp, opt.constants(lm.n_params)]))
    block = _block_address(block, run_lanes)
    out: dict[str, Array] = {
        "code": np.full(n, -1, dtype=np.int8),
        "steps": np.empty(n, dtype=np.int64),
        "period": np.empty(n, dtype=np.int64),
        "theta": np.empty((n, S)),
        "gtail": np.empty(n),
        "q": np.empty(n),
        "floor": np.empty(n, dtype=np.bool_),
    }

    # the kernels claim runs by index from one shared queue, so they read the whole batch's
    # initial states (for an optimiser with buffers, built here once, row-wise)
    start = np.ascontiguousarray(th if gd else opt.init_state(th))
    lrs = np.ascontiguousarray(lrs)

    def kernel(ctl: Array) -> None:
        run_lanes(
            block, lm.kind, lm.ip, fp, lm.nwork, start, lrs, ci, cf, out["code"], out["steps"],
            out["period"], out["theta"], out["gtail"], out["q"], out["floor"], ctl,
        )  # fmt: skip

    from .slices import SLICE_SECONDS, run_shared
    from .throughput import seconds_per_run_bound

    # one queue of runs shared by the kernels of the threads (Ctrl-C stops them within a
    # block); calls bounded below SLICE_SECONDS run here; no split changes a result
    points = int(lm.nwork) if lm.kind == KIND_MLP else 1  # MLP: work rows >= data points
    inline = n * seconds_per_run_bound(S, int(ci[5]), points) < SLICE_SECONDS
    run_shared(kernel, n, workers=workers, inline=inline)
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
        the threads' kernels share one queue of the runs (Ctrl-C stops them within a block of
        steps), and every run is independent of the others.
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
    return _run_gd(model, theta0, lr, config, backend, workers, record, optimizer, losses=True)


def run_outcomes(
    model: Model,
    theta0: Theta,
    lr: LearningRate | ArrayLike,
    *,
    config: EngineConfig | None = None,
    workers: int | None = None,
    annotate: ArrayLike | None = None,
) -> RunBatch:
    """:func:`run_gd` without the losses at the final iterates (the ``loss`` column is NaN):
    for work units that keep only outcome columns and limit annotations (the Monte-Carlo
    estimate, the sweep), which would otherwise spend a tenth of their time on a column they
    drop.  Every other column is the one :func:`run_gd` gives, bit for bit.

    ``annotate`` (bool per row, default every row) selects the rows whose limits are annotated
    (``config.limits``, ``config.certificate``); the other rows get the columns of a call with
    both off (outcomes never depend on them), in the same single call."""
    mask = None if annotate is None else np.asarray(annotate, dtype=bool)
    return _run_gd(
        model, theta0, lr, config, "auto", workers, None, None, losses=False, annotate=mask
    )


def _run_gd(
    model: Model,
    theta0: Theta,
    lr: LearningRate | ArrayLike,
    config: EngineConfig | None,
    backend: str,
    workers: int | None,
    record: RecordSpec | dict[str, Any] | None,
    optimizer: Any,
    *,
    losses: bool,
    annotate: Array | None = None,
) -> RunBatch:
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
    if annotate is not None and annotate.shape != (n,):
        raise InvalidParameterError(
            f"annotate must be a bool array of shape ({n},) (one per run); got {describe(annotate)}"
        )
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
    if kernel is not None and backend != "numpy":
        from .slices import auto_workers

        out = _run_compiled(kernel, th, lrs, ci, cf, workers or auto_workers(n), opt)
    else:
        state0 = th if opt.is_gd else np.ascontiguousarray(opt.init_state(th))
        out = _run_reference(model, kernel, opt, state0, lrs, ci, cf, exact=has_kernel)
    out = _split_state(out, P, opt)
    threads = _threads(kernel, backend, workers, n)
    rb = _finish(model, m, config, th, lr_out, lrs, out, opt, threads, losses, annotate)
    _refuse_non_real(model, rb, config)
    if spec is not None:
        trajectories = _record(model, m, spec, th, lrs, ci, cf, rb, opt)
        rb = dataclasses.replace(rb, trajectories=trajectories)
    return rb


def _split_state(out: dict[str, Array], P: int, opt: Any) -> dict[str, Array]:
    """``theta`` of the outputs as the parameters; the whole final state as ``state``."""
    if opt.is_gd:
        return out
    state = out["theta"]
    return {**out, "theta": np.ascontiguousarray(state[:, :P]), "state": state}


def _threads(kernel: Any, backend: str, workers: int | None, n: int) -> int:
    """Threads for the work after the runs (losses and limit annotations): the engine
    call's own."""
    if kernel is None or backend == "numpy":
        return 1
    from .slices import auto_workers

    return int(workers or auto_workers(n))


#: limits from which the work after the runs is split over the threads of the call
SPLIT_LIMITS = 2048
#: runs from which that work is split over the threads even without limits to annotate, when
#: it includes the losses (the contraction rates alone cost less than handing them over)
SPLIT_ROWS = 16384
#: limits of a part of that work at most (a part takes up to about 0.1 s on a linear network:
#: Ctrl-C waits at most about that long)
PART_LIMITS = 16384


def _row_columns(
    model: Any,
    m: NumericModel,
    cfg: EngineConfig,
    theta: Array,
    lrs: Array,
    code: Array,
    q: Array,
    losses: bool,
    limits: Array,
) -> dict[str, Array]:
    """The per-run columns computed after the runs, for a range of rows: ``loss`` (inf for a
    diverged run; NaN everywhere when ``losses`` is off), ``contraction`` (the per-step rate
    :math:`q^{1/c}` of a measured per-check ratio :math:`0 < q < 1`, else 0) and the limit
    annotations of :func:`~.limits.annotate_limits` of the rows ``limits`` (row-wise: any
    split of the rows gives the same columns)."""
    from .limits import annotate_limits

    n = theta.shape[0]
    loss = np.full(n, np.inf if losses else np.nan)
    ok = code != _DIV
    if losses and ok.any():
        with np.errstate(all="ignore"):
            lv = np.asarray(m.loss(theta[ok]), dtype=np.float64)
        loss[ok] = np.where(np.isfinite(lv), lv, np.inf)
    cols = annotate_limits(model, m, cfg, theta, lrs, limits)
    cols["loss"] = loss
    with np.errstate(all="ignore"):
        inside = (q > 0) & (q < 1)
        contraction = np.zeros(q.shape)
        contraction[inside] = q[inside] ** (1.0 / cfg.check_every)
    cols["contraction"] = np.where(np.isfinite(contraction), contraction, 0.0)
    return cols


def _finish(
    model: Any,
    m: NumericModel,
    cfg: EngineConfig,
    th0: Array,
    lr_out: Any,
    lrs: Array,
    out: dict[str, Array],
    opt: Any = None,
    threads: int = 1,
    losses: bool = True,
    annotate: Array | None = None,
) -> RunBatch:
    outcome = out["code"].astype(np.int8)
    theta = out["theta"]
    g_tail = np.where((outcome != _DIV) & np.isfinite(out["gtail"]), out["gtail"], np.inf)
    has_limit = outcome == _CONV
    # the limit certificate is GD's (a minimum whose GD linearisation contracts)
    gd_cfg = cfg if opt is None or opt.is_gd else dataclasses.replace(cfg, certificate=False)
    # rows' work: a loss per non-diverged run, an annotation (about 8 losses) per limit, and a
    # little per row (the contraction rate)
    w_loss, w_limit = (1.0 if losses else 0.0), (8.0 if cfg.limits else 0.0)
    limits = has_limit if annotate is None else has_limit & annotate
    weights = 0.25 + w_loss * (outcome != _DIV) + w_limit * limits
    k = int(limits.sum())
    split = threads > 1 and (k >= SPLIT_LIMITS or (losses and outcome.size >= SPLIT_ROWS))
    # twice as many parts as threads, claimed in turn: a part whose work its weight misjudges
    # (an annotation costs from a few losses to a hundred, by model) is evened out by the others
    parts = row_parts(weights, max(2 * threads, -(-k // PART_LIMITS)) if split else 1)
    got = map_parts(
        lambda ab: _row_columns(
            model,
            m,
            gd_cfg,
            theta[ab[0] : ab[1]],
            lrs[ab[0] : ab[1]],
            outcome[ab[0] : ab[1]],
            out["q"][ab[0] : ab[1]],
            losses,
            limits[ab[0] : ab[1]],
        ),
        parts,
        threads,
    )
    ann = got[0] if len(got) == 1 else {k: np.concatenate([g[k] for g in got]) for k in got[0]}
    loss = ann.get("loss", np.zeros(0))
    sharp, lmin, at_min, certified = (
        ann.get("sharpness", np.zeros(0)),
        ann.get("lam_min", np.zeros(0)),
        ann.get("at_minimum", np.zeros(0, dtype=bool)),
        ann.get("certified", np.zeros(0, dtype=bool)),
    )
    contraction = ann["contraction"]
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
