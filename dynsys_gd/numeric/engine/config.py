"""The settings of :func:`~dynsys_gd.numeric.engine.run_gd`: budgets and tolerances of the
outcome tests (:class:`EngineConfig`) and what is kept of recorded trajectories
(:class:`RecordSpec`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._results import jsonable
from ..._validation import check_int, check_positive_float, describe
from ...errors import InvalidParameterError

__all__ = ["BACKENDS", "EngineConfig", "RecordSpec", "with_optimizer"]

#: budgets used when ``max_steps`` / ``max_extension`` are None: (long, short); the long one
#: for models with a compiled kernel of cheap steps, the short one for MLPs (a step is a pass
#: over the data) and for models without a compiled kernel
_AUTO_STEPS = (20_000, 4_000)
_AUTO_EXTENSION = (50.0, 4.0)

BACKENDS: tuple[str, ...] = ("auto", "compiled", "numpy")


@dataclass(frozen=True)
class EngineConfig:
    r"""Settings of :func:`~dynsys_gd.numeric.engine.run_gd` (all have documented defaults; see
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
        Consecutive consistent decaying checks that make a geometric streak; also the number of
        ratios of the window streak, the same test on step lengths a few steps apart within the
        last ``2 max_period`` iterates of a check (see
        :mod:`~dynsys_gd.numeric.engine.outcomes`).
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
    r"""What :func:`~dynsys_gd.numeric.engine.run_gd` keeps of the trajectories of a few runs.

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
        Memory bound: :func:`~dynsys_gd.numeric.engine.run_gd` refuses
        (``InvalidParameterError`` naming ``record``) when the worst case (every recorded run
        reaching the hard cap) would need more.
    """

    runs: Sequence[int] = ()
    every: int = 1
    loss: bool = True
    grad_norm: bool = True
    sharpness: bool = False
    max_bytes: int = 256 * 2**20
