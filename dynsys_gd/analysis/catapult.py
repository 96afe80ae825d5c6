r"""Catapults: lazy, catapult and divergent phases of GD against :math:`\eta\lambda_0`
(docs/math/edge-of-stability.md).

Lewkowycz et al. (2020, "The large learning rate phase of deep learning: the catapult
mechanism") describe three phases of GD from a random initialisation with sharpness
:math:`\lambda_0 = \lambda_{\max}(H(\theta_0))`: for :math:`\eta < 2/\lambda_0` the run stays
near its initialisation and converges (*lazy*); for :math:`2/\lambda_0 < \eta < \eta_{\max}` the
loss first grows, the sharpness falls, and the run converges at a flatter point (*catapult*);
above :math:`\eta_{\max}` it diverges.  For the uv model (two-layer linear network of large
width) they derive :math:`\eta_{\max} = 4/\lambda_0`.

Every run is classified from what was recorded along it (:func:`catapult_outcome`):

* ``divergent`` — the iterate became non-finite or the loss exceeded ``1e12`` times its start;
* ``lazy`` — converged (final :math:`\lVert\nabla L\rVert \le` ``grad_tol``) with no spike;
* ``catapult`` — the loss rose by at least ``spike_factor`` over its running minimum
  (:math:`\max_t L_t / \max(\min_{s \le t} L_s, 10^{-8}L_0) \ge` ``spike_factor``; the floor
  keeps rounding noise near a zero loss from counting), then converged at a final
  sharpness below :math:`\lambda_0`;
* ``spiked`` — spiked and converged, but not at a flatter point;
* ``undecided`` — finite and not converged within the budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._results import ResultMixin, jsonable, plotted_by
from .._types import Model
from .._validation import check_int, check_positive_float, check_real_array, check_seed
from ..errors import InvalidParameterError
from ..numeric.kernels import numeric_model
from ..numeric.landscape.lanczos import batched_sharpness

__all__ = [
    "CATAPULT_OUTCOMES",
    "CatapultPhaseDiagram",
    "catapult_outcome",
    "catapult_phase_diagram",
]

Array = NDArray[np.float64]

#: outcome names, in code order
CATAPULT_OUTCOMES = ("lazy", "catapult", "divergent", "spiked", "undecided")
_BLOWUP = 1e12
_FLOOR = 1e-8  # spikes are measured against max(running minimum, 1e-8 L0): no rounding noise


def catapult_outcome(
    spike: float,
    final_grad_norm: float,
    final_sharpness: float,
    lam0: float,
    *,
    spike_factor: float = 2.0,
    grad_tol: float = 1e-6,
) -> str:
    r"""The phase of one recorded run (module docstring): ``spike`` is
    :math:`\max_t L_t/\min_{s\le t} L_s` (``inf`` or ``nan`` for a run that diverged)."""
    if not np.isfinite(spike) or not np.isfinite(final_grad_norm):
        return "divergent"
    if final_grad_norm > grad_tol:
        return "undecided"
    if spike < spike_factor:
        return "lazy"
    return "catapult" if final_sharpness < lam0 else "spiked"


@dataclass(frozen=True, eq=False)
class CatapultPhaseDiagram(ResultMixin):
    r"""Result of :func:`catapult_phase_diagram`.

    Per grid value ``c`` of :math:`\eta\lambda_0` (length ``len(c_values)``): ``fractions``
    (dict outcome -> share of the ``n_init`` runs) and ``phase`` (the majority outcome).  Per run
    (shape (len(c_values), n_init)): ``outcomes`` (names), ``spike``, ``final_sharpness`` (``nan``
    unless converged).  ``lam0`` has the initial sharpness of each initialisation (each run uses
    :math:`\eta = c/\lambda_0` of its own initialisation).  ``lower_edge`` and ``upper_edge`` are
    the grid intervals ``(c_lo, c_hi]`` where the first run leaves the lazy phase and where the
    majority phase becomes divergent (None when the grid does not show the change).
    """

    c_values: Array
    lam0: Array
    outcomes: NDArray[np.str_]
    spike: Array
    final_sharpness: Array
    steps: int
    spike_factor: float
    grad_tol: float
    model: str
    seed: int

    plot = plotted_by("plot_catapult_phase_diagram")
    _rows_along = "c_values"

    @property
    def fractions(self) -> dict[str, Array]:
        """Share of runs in each outcome per grid value."""
        return {k: np.mean(self.outcomes == k, axis=1) for k in CATAPULT_OUTCOMES}

    @property
    def phase(self) -> tuple[str, ...]:
        """Majority outcome per grid value."""
        fr = np.stack([self.fractions[k] for k in CATAPULT_OUTCOMES], axis=1)
        return tuple(CATAPULT_OUTCOMES[int(i)] for i in np.argmax(fr, axis=1))

    def _edge(self, left_ok: set[str], right: set[str]) -> tuple[float, float] | None:
        ph = self.phase
        for i in range(1, len(ph)):
            if ph[i] in right and ph[i - 1] in left_ok:
                return (float(self.c_values[i - 1]), float(self.c_values[i]))
        return None

    @property
    def lower_edge(self) -> tuple[float, float] | None:
        """Grid interval where the first run leaves ``lazy`` (the last grid value with every
        run lazy, the next one)."""
        all_lazy = self.fractions["lazy"] == 1.0
        for i in range(1, len(all_lazy)):
            if all_lazy[i - 1] and not all_lazy[i]:
                return (float(self.c_values[i - 1]), float(self.c_values[i]))
        return None

    @property
    def upper_edge(self) -> tuple[float, float] | None:
        """Grid interval where the majority phase becomes ``divergent``."""
        return self._edge({"lazy", "catapult", "spiked", "undecided"}, {"divergent"})

    def _table_(self) -> dict[str, Any]:
        cols: dict[str, Any] = {"c": self.c_values, "phase": list(self.phase)}
        for k, v in self.fractions.items():
            cols[f"fraction.{k}"] = v
        cols["spike_median"] = np.median(np.where(np.isfinite(self.spike), self.spike, np.inf), 1)
        with np.errstate(invalid="ignore"):
            ratio = self.final_sharpness / self.lam0[None, :]
        cols["final_over_initial_sharpness_median"] = [
            float(np.median(r[np.isfinite(r)])) if np.isfinite(r).any() else float("nan")
            for r in ratio
        ]
        return cols

    def __repr__(self) -> str:
        return (
            f"CatapultPhaseDiagram({len(self.c_values)} values of lr*lambda0, "
            f"n_init={self.lam0.size}, lower edge {self.lower_edge}, upper edge {self.upper_edge})"
        )

    def summary(self) -> str:
        """Human-readable table and the edges compared with 2/lambda0 and 4/lambda0."""
        t = self._table_()
        head = f"{'lr*lam0':>8} {'phase':>10} " + " ".join(f"{k:>9}" for k in CATAPULT_OUTCOMES)
        lines = [
            f"Catapult phase diagram: {self.model}; {self.lam0.size} initialisations (seed "
            f"{self.seed}), lambda0 in [{self.lam0.min():.4g}, {self.lam0.max():.4g}], "
            f"{self.steps} GD steps; catapult = loss rises by >= {self.spike_factor:g}x over its "
            f"running minimum, then |grad L| <= {self.grad_tol:g} at a sharpness below lambda0",
            head,
            "-" * len(head),
        ]
        for i, c in enumerate(self.c_values):
            lines.append(
                f"{c:>8.4g} {t['phase'][i]:>10} "
                + " ".join(f"{t['fraction.' + k][i]:>9.2f}" for k in CATAPULT_OUTCOMES)
            )
        lo, up = self.lower_edge, self.upper_edge
        lines.append(
            "lower edge (first run not lazy): "
            + ("not on this grid" if lo is None else f"lr*lambda0 in ({lo[0]:.4g}, {lo[1]:.4g}]")
            + " (theory for every model: 2)"
        )
        lines.append(
            "upper edge (majority divergent): "
            + ("not on this grid" if up is None else f"lr*lambda0 in ({up[0]:.4g}, {up[1]:.4g}]")
            + " (Lewkowycz et al. 2020, uv model at large width: 4)"
        )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary."""
        return {
            "c_values": jsonable(self.c_values),
            "lam0": jsonable(self.lam0),
            "outcomes": self.outcomes.tolist(),
            "spike": jsonable(self.spike),
            "final_sharpness": jsonable(self.final_sharpness),
            "phase": list(self.phase),
            "lower_edge": jsonable(self.lower_edge),
            "upper_edge": jsonable(self.upper_edge),
            "steps": self.steps,
            "spike_factor": self.spike_factor,
            "grad_tol": self.grad_tol,
            "model": self.model,
            "seed": self.seed,
        }


def catapult_phase_diagram(
    model: Model,
    c_values: Any,
    *,
    n_init: int = 8,
    steps: int = 3000,
    spike_factor: float = 2.0,
    grad_tol: float = 1e-6,
    seed: int = 0,
    init_scale: float = 1.0,
) -> CatapultPhaseDiagram:
    r"""Run GD at :math:`\eta = c/\lambda_0` for every ``c`` and initialisation and classify.

    Parameters
    ----------
    model : MLP or NumericModel with ``init(rng, n, scale=...)``
        E.g. the uv model ``MLP((d, m, 1), "identity", X=..., Y=...)``.
    c_values : array_like
        Increasing values of :math:`\eta\lambda_0` (> 0).
    n_init : int
        Initialisations (``model.init(seed, n_init, scale=init_scale)``).
    steps : int
        GD steps per run.
    spike_factor : float
        Spike that makes a catapult (> 1).
    grad_tol : float
        Gradient norm below which a run counts as converged (numerical, not certified).
    seed : int
        Seed of the initialisations and of the Lanczos starting vectors.
    init_scale : float
        Scale passed to ``model.init``.

    Notes
    -----
    :math:`\lambda_0` of each initialisation is computed by lock-step Lanczos with ``P`` steps
    (exact up to rounding); all runs go in one batched numpy loop with one step size per row.
    """
    nm = numeric_model(model)
    if not hasattr(model, "init"):
        raise InvalidParameterError(
            f"model must have init(rng, n, scale=...) (e.g. an MLP); got {type(model).__name__}"
        )
    cs = check_real_array("c_values", c_values, ndim=1)
    if cs.size < 1 or np.any(cs <= 0) or np.any(np.diff(cs) <= 0):
        raise InvalidParameterError(
            f"c_values must be increasing positive numbers; got {np.array2string(cs)}"
        )
    n_init = check_int("n_init", n_init, minimum=1)
    steps = check_int("steps", steps, minimum=1)
    spike_factor = check_positive_float("spike_factor", spike_factor)
    if spike_factor <= 1.0:
        raise InvalidParameterError(f"spike_factor must be > 1; got {spike_factor}")
    grad_tol = check_positive_float("grad_tol", grad_tol)
    checked = check_seed("seed", seed)
    if checked is None:
        raise InvalidParameterError("seed must be an int >= 0 (the runs are repeatable); got None")
    seed = checked
    init_scale = check_positive_float("init_scale", init_scale)
    P = int(nm.n_params)
    th0 = np.asarray(model.init(seed, n_init, scale=init_scale), dtype=np.float64)
    lam0 = np.asarray(batched_sharpness(nm, th0, n_iter=P, seed=seed), dtype=np.float64)[:, 0]
    C, n = cs.size, n_init
    th = np.tile(th0, (C, 1))
    lr = (cs[:, None] / lam0[None, :]).reshape(-1, 1)
    with np.errstate(over="ignore", invalid="ignore"):
        L0 = np.asarray(nm.loss(th), dtype=np.float64)
        run_min = L0.copy()
        spike = np.ones(C * n)
        dead = np.zeros(C * n, dtype=bool)
        for _ in range(steps):
            th = th - lr * np.asarray(nm.gradient(th), dtype=np.float64)
            L = np.asarray(nm.loss(th), dtype=np.float64)
            bad = ~np.isfinite(L) | (L > _BLOWUP * L0)
            dead |= bad
            th[dead] = 0.0  # frozen: keeps the batch finite
            run_min = np.fmin(run_min, L)
            spike = np.fmax(spike, L / np.maximum(run_min, _FLOOR * L0))
    spike[dead] = np.inf
    g = np.linalg.norm(np.asarray(nm.gradient(th), dtype=np.float64), axis=1)
    g[dead] = np.nan
    conv = ~dead & (g <= grad_tol)
    S = np.full(C * n, np.nan)
    if conv.any():
        S[conv] = np.asarray(batched_sharpness(nm, th[conv], n_iter=P, seed=seed))[:, 0]
    lam_rows = np.tile(lam0, C)
    out = np.array(
        [
            catapult_outcome(
                spike[i], g[i], S[i], lam_rows[i], spike_factor=spike_factor, grad_tol=grad_tol
            )
            for i in range(C * n)
        ]
    )
    return CatapultPhaseDiagram(
        c_values=cs,
        lam0=lam0,
        outcomes=out.reshape(C, n),
        spike=spike.reshape(C, n),
        final_sharpness=S.reshape(C, n),
        steps=steps,
        spike_factor=spike_factor,
        grad_tol=grad_tol,
        model=repr(model),
        seed=seed,
    )
