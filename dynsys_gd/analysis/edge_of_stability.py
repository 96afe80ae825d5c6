r"""Sharpness along training: progressive sharpening and the edge of stability
(docs/math/edge-of-stability.md).

For GD at step size :math:`\eta` a minimum is linearly stable only if
:math:`\lambda_{\max}(H) \le 2/\eta` (docs/math/gd-map.md).  Cohen et al. (2021, "Gradient descent
on neural networks typically occurs at the edge of stability") observed that along training the
sharpness :math:`\lambda_{\max}(H(\theta_t))` first grows (*progressive sharpening*) and then
hovers at :math:`2/\eta` while the loss keeps decreasing non-monotonically (*edge of
stability*).  For an optimiser with a diagonal preconditioner :math:`Q` the quantity bounded by
the optimiser's threshold :math:`a^*` is the top eigenvalue of :math:`QH`, which equals that of
the symmetric :math:`Q^{1/2} H Q^{1/2}`; for Adam with :math:`\beta_1 = 0.9` the threshold is
:math:`a^* = (2 + 2\beta_1)/(1 - \beta_1) = 38` (Cohen et al. 2022, "Adaptive gradient methods
at the edge of stability").

:func:`sharpness_trace` steps an optimiser (:mod:`dynsys_gd.optimizers`, plain GD by default) on
the numpy kernels of a model and records, every ``every`` steps, the loss and
:math:`\lambda_{\max}(Q^{1/2} H Q^{1/2})` by Lanczos on Hessian-vector products
(:func:`~dynsys_gd.numeric.landscape.lanczos.lanczos_sharpness`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._results import ResultMixin, jsonable, plotted_by
from .._types import Model
from .._validation import check_int, check_positive_float, check_real_array
from ..errors import InvalidParameterError
from ..numeric.kernels import numeric_model
from ..numeric.landscape.lanczos import lanczos_sharpness

__all__ = ["SharpnessTrace", "preconditioner_of", "sharpness_trace"]

Array = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class SharpnessTrace(ResultMixin):
    r"""Result of :func:`sharpness_trace` (docs/math/edge-of-stability.md).

    Per record (arrays of the same length): ``steps`` (the step count :math:`t`), ``loss``
    :math:`L(\theta_t)` and ``sharpness`` :math:`\lambda_{\max}(Q_t^{1/2} H(\theta_t)
    Q_t^{1/2})` (:math:`Q = I` for GD; ``nan`` where the preconditioner is not defined yet:
    live Adam at :math:`t = 0`, where :math:`v = 0`).  ``threshold`` is the optimiser's bound
    :math:`a^*` on :math:`\eta\lambda` (2 for GD, 38 for Adam at :math:`\beta_1 = 0.9`) and
    ``threshold_line`` :math:`= a^*/\eta`.  ``plateau`` is the median sharpness over the last
    ``plateau_fraction`` of the records and ``plateau_ratio`` its ratio to ``threshold_line``
    (1 at the edge of stability; ``nan`` when no finite record is there).  ``diverged`` is
    True when the iterate became non-finite (recording stopped there).
    """

    steps: NDArray[np.int64]
    loss: Array
    sharpness: Array
    lr: float
    threshold: float
    optimizer: str
    model: str
    preconditioned: bool
    plateau_fraction: float
    diverged: bool

    plot = plotted_by("plot_sharpness_trace")
    _rows_along = "steps"  # to_pandas(): one row per record

    @property
    def threshold_line(self) -> float:
        r""":math:`a^*/\eta`, the sharpness at which the optimiser's linearisation loses
        stability."""
        return self.threshold / self.lr

    @property
    def plateau(self) -> float:
        """Median recorded sharpness over the last ``plateau_fraction`` of the records."""
        n = len(self.steps)
        tail = self.sharpness[n - max(1, int(np.ceil(self.plateau_fraction * n))) :]
        tail = tail[np.isfinite(tail)]
        return float(np.median(tail)) if tail.size else float("nan")

    @property
    def plateau_ratio(self) -> float:
        """``plateau / threshold_line``."""
        return self.plateau / self.threshold_line

    def __repr__(self) -> str:
        return (
            f"SharpnessTrace({self.optimizer}, lr={self.lr:.4g}, {len(self.steps)} records, "
            f"plateau/threshold={self.plateau_ratio:.4f})"
        )

    def summary(self) -> str:
        """Human-readable summary: setting, initial and final sharpness, plateau vs threshold."""
        what = "lambda_max(Q^1/2 H Q^1/2)" if self.preconditioned else "lambda_max(H)"
        fin = np.isfinite(self.sharpness)
        first = float(self.sharpness[fin][0]) if fin.any() else float("nan")
        lines = [
            f"Sharpness trace: {self.model}, optimizer {self.optimizer}, lr = {self.lr:.6g}",
            f"{len(self.steps)} records of {what} (Lanczos on HVPs, relative tolerance 1e-8) "
            f"at steps {int(self.steps[0])}..{int(self.steps[-1])}",
            f"first recorded sharpness {first:.6g}; largest {np.nanmax(self.sharpness):.6g}; "
            f"threshold {self.threshold:.6g}/lr = {self.threshold_line:.6g}",
            f"plateau (median over the last {self.plateau_fraction:.0%} of records) "
            f"{self.plateau:.6g} = {self.plateau_ratio:.4f} x threshold line",
            f"loss {self.loss[0]:.4g} -> {self.loss[-1]:.4g}",
        ]
        if self.diverged:
            lines.append(f"the run diverged (non-finite iterate) after step {int(self.steps[-1])}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary of the fields and the derived plateau numbers."""
        out: dict[str, Any] = {
            "steps": jsonable(self.steps),
            "loss": jsonable(self.loss),
            "sharpness": jsonable(self.sharpness),
            "lr": self.lr,
            "threshold": self.threshold,
            "threshold_line": self.threshold_line,
            "optimizer": self.optimizer,
            "model": self.model,
            "preconditioned": self.preconditioned,
            "plateau_fraction": self.plateau_fraction,
            "plateau": jsonable(self.plateau),
            "plateau_ratio": jsonable(self.plateau_ratio),
            "diverged": self.diverged,
        }
        return out


class _ScaledHessian:
    """The HVP of :math:`Q^{1/2} H Q^{1/2}` at one point, as a NumericModel for Lanczos."""

    def __init__(self, nm: Any, sq: Array | None) -> None:
        self.nm = nm
        self.sq = sq
        self.n_params = int(nm.n_params)

    def hvp(self, theta: Array, v: Array) -> Array:
        if self.sq is None:
            return np.asarray(self.nm.hvp(theta, v), dtype=np.float64)
        return self.sq * np.asarray(self.nm.hvp(theta, self.sq * v), dtype=np.float64)


def preconditioner_of(optimizer: Any, state: Array, P: int) -> Array | None:
    r"""The diagonal :math:`Q` of the curvature matrix :math:`QH` at ``state`` (one state, shape
    (S,)), or None for :math:`Q = I`.

    A fixed preconditioner comes from ``optimizer.curvature_scale(P)``.  Live Adam has
    :math:`Q = 1/(\sqrt{\hat v} + \epsilon)` with :math:`\hat v = v/(1 - \beta_2^t)` (bias
    correction) or :math:`\hat v = v`; it returns ``nan`` entries while :math:`t = 0`.
    """
    from ..optimizers import Adam

    if isinstance(optimizer, Adam) and optimizer.frozen is None:
        v = np.asarray(state[2 * P : 3 * P], dtype=np.float64)
        if optimizer.bias_correction:
            c2 = 1.0 - float(state[3 * P + 1])
            if c2 <= 0.0:
                return np.full(P, np.nan)
            v = v / c2
        return 1.0 / (np.sqrt(v) + optimizer.eps)
    q = optimizer.curvature_scale(P)
    return None if q is None else np.asarray(q, dtype=np.float64)


def _threshold(optimizer: Any) -> float:
    from ..optimizers import Adam

    t = optimizer.threshold()
    if t is None and isinstance(optimizer, Adam):
        return (2.0 + 2.0 * optimizer.beta1) / (1.0 - optimizer.beta1)  # frozen-Adam bound
    if t is None:
        raise InvalidParameterError(
            f"optimizer must have a stability threshold (threshold() not None); got {optimizer!r}"
        )
    return float(t)


def sharpness_trace(
    model: Model,
    theta0: Any,
    lr: float,
    steps: int,
    every: int,
    optimizer: Any = None,
    *,
    plateau_fraction: float = 0.25,
    seed: int = 0,
) -> SharpnessTrace:
    r"""Record the (preconditioned) sharpness and the loss along one optimiser run.

    Parameters
    ----------
    model : MLP, LinearNetwork, LossModel or NumericModel
        The model (its float64 numpy kernels are used: ``numeric_model(model)``).
    theta0 : array_like, shape (P,)
        Initial parameters.
    lr : float
        Step size :math:`\eta > 0`.
    steps : int
        Number of optimiser steps (≥ 1).
    every : int
        Record every ``every`` steps (1 ≤ every ≤ steps); step ``steps`` is always recorded.
    optimizer : Optimizer or None
        A :mod:`dynsys_gd.optimizers` object (``None``: plain GD).
    plateau_fraction : float in (0, 1]
        Share of the last records over which :attr:`SharpnessTrace.plateau` is taken.
    seed : int
        Seed of the Lanczos starting vector.

    Returns
    -------
    SharpnessTrace

    Notes
    -----
    With state :math:`s_t` and :math:`\theta_t` its parameter part, each record is
    :math:`L(\theta_t)` and :math:`\lambda_{\max}(Q_t^{1/2} H(\theta_t) Q_t^{1/2}) =
    \lambda_{\max}(Q_t H(\theta_t))` (similar matrices), with :math:`Q_t` from
    :func:`preconditioner_of`.  Lanczos (ARPACK, relative tolerance :math:`10^{-8}`) needs only
    Hessian-vector products.  The optimiser's threshold :math:`a^*` bounds
    :math:`\eta\lambda_{\max}` at a linearly stable minimum (for live Adam the frozen-
    preconditioner bound :math:`(2 + 2\beta_1)/(1 - \beta_1)` is used, as in Cohen et al. 2022).
    """
    nm = numeric_model(model)
    P = int(nm.n_params)
    th0 = check_real_array("theta0", theta0)
    if th0.shape != (P,):
        raise InvalidParameterError(f"theta0 must have shape ({P},); got shape {th0.shape}")
    lr = check_positive_float("lr", lr)
    steps = check_int("steps", steps, minimum=1)
    every = check_int("every", every, minimum=1, maximum=steps)
    plateau_fraction = check_positive_float("plateau_fraction", plateau_fraction)
    if plateau_fraction > 1.0:
        raise InvalidParameterError(f"plateau_fraction must be in (0, 1]; got {plateau_fraction}")
    if optimizer is None:
        from ..optimizers import GD

        optimizer = GD()
    if not hasattr(optimizer, "step") or not hasattr(optimizer, "init_state"):
        raise InvalidParameterError(
            f"optimizer must be a dynsys_gd optimizer (init_state, step) or None; got "
            f"{type(optimizer).__name__}"
        )
    optimizer = optimizer.bind(P)
    threshold = _threshold(optimizer)
    state = optimizer.init_state(th0[None, :])
    rec_steps: list[int] = []
    losses: list[float] = []
    sharp: list[float] = []
    preconditioned = False
    diverged = False
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps + 1):
            if t % every == 0 or t == steps:
                th = state[0, :P]
                if not np.all(np.isfinite(state)):
                    diverged = True
                    break
                q = preconditioner_of(optimizer, state[0], P)
                preconditioned = preconditioned or q is not None
                rec_steps.append(t)
                losses.append(float(nm.loss(th[None, :])[0]))
                if q is not None and not np.all(np.isfinite(q)):
                    sharp.append(float("nan"))
                else:
                    op = _ScaledHessian(nm, None if q is None else np.sqrt(q))
                    sharp.append(float(lanczos_sharpness(op, th, tol=1e-8, seed=seed)[0]))
            if t < steps:
                state = optimizer.step(nm.gradient, state, lr)
    if not rec_steps:  # pragma: no cover - theta0 is checked finite
        raise InvalidParameterError("theta0 must be finite")
    return SharpnessTrace(
        steps=np.asarray(rec_steps, dtype=np.int64),
        loss=np.asarray(losses),
        sharpness=np.asarray(sharp),
        lr=lr,
        threshold=threshold,
        optimizer=repr(optimizer),
        model=repr(model),
        preconditioned=preconditioned,
        plateau_fraction=plateau_fraction,
        diverged=diverged,
    )
