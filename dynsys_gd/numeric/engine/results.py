"""The results of :func:`~dynsys_gd.numeric.engine.run_gd`: the per-run arrays of a batch
(:class:`RunBatch`) and the recorded trajectories of a few runs (:class:`Trajectory`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._results import ResultMixin, jsonable
from .outcomes import OUTCOME_NAMES, Outcome

__all__ = ["RunBatch", "Trajectory"]

Array = NDArray[Any]


@dataclass(frozen=True, eq=False)
class Trajectory(ResultMixin):
    r"""The recorded trajectory of one run (see :class:`~dynsys_gd.numeric.engine.RecordSpec`).

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
    r"""Per-run results of :func:`~dynsys_gd.numeric.engine.run_gd` (arrays over the n runs, in
    input order).

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
        (0.0 elsewhere; see ``has_limit``); for linear networks with a minima manifold the
        closed form at the projection of the limit onto M, within :math:`10^{-8}\max(1,
        \lambda_{\max})` of the dense eigenvalues at the final iterate
        (:mod:`~dynsys_gd.numeric.engine.limit_spectra`).
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
