r"""Largest Lyapunov exponent of GD runs (docs/math/beyond.md, beyond the paper).

For a map :math:`f` and a run :math:`\theta_{t+1} = f(\theta_t)`, the largest Lyapunov exponent

.. math:: \lambda_1 = \lim_{T\to\infty} \frac1T \sum_{t<T} \ln
          \frac{\lVert Df(\theta_t) v_t\rVert}{\lVert v_t\rVert}, \qquad
          v_{t+1} = \frac{Df(\theta_t) v_t}{\lVert Df(\theta_t) v_t\rVert}

is estimated by tangent-map iteration with renormalisation at every step, batched over runs.
For GD, :math:`DG_\eta v = v - \eta H v` uses the model's Hessian-vector product (no Hessian is
formed for linear networks).  :math:`\lambda_1 < 0` on a stable periodic orbit (it equals
:math:`\frac1k\ln|\mu_{\max}|`), :math:`\lambda_1 = 0` along a continuous family (the neutral
direction of M, C3) and :math:`\lambda_1 > 0` on a chaotic attractor.  Checked on the logistic
map at :math:`r = 4`, where :math:`\lambda_1 = \ln 2`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._limits import check_iteration
from ..._results import ResultMixin, jsonable
from ..._types import MapLike, Theta
from ..._validation import check_batch, check_int, check_positive_float, check_seed
from .periodic import as_map

__all__ = ["LyapunovResult", "lyapunov_exponent"]

Array = NDArray[Any]


@dataclass(frozen=True)
class LyapunovResult(ResultMixin):
    r"""Largest Lyapunov exponents of a batch of runs.

    Attributes
    ----------
    exponents : ndarray (B,)
        :math:`\lambda_1` per run (NaN-free: diverged runs have ``inf`` and ``diverged`` True).
    diverged : ndarray (B,) of bool
        Runs that left the bounded region during the transient or the measurement.
    n_steps, transient : int
        Steps averaged over / discarded before.
    lr : float or None
        GD step size (``None`` for a plain map).
    """

    exponents: NDArray[np.float64]
    diverged: NDArray[np.bool_]
    n_steps: int
    transient: int
    lr: float | None = None

    @property
    def bounded(self) -> NDArray[np.float64]:
        """Exponents of the runs that stayed bounded."""
        return self.exponents[~self.diverged]

    @property
    def mean(self) -> float | None:
        """Mean exponent over bounded runs; ``None`` when every run diverged (there is no
        exponent to average: a diverging run has no finite Lyapunov exponent)."""
        b = self.bounded
        return float(b.mean()) if b.size else None

    @property
    def stderr(self) -> float | None:
        """Standard error of :attr:`mean` across runs; ``None`` with fewer than 2 bounded runs
        (it cannot be estimated from one run)."""
        b = self.bounded
        return float(b.std(ddof=1) / np.sqrt(b.size)) if b.size > 1 else None

    def __repr__(self) -> str:
        mean = "None" if self.mean is None else f"{self.mean:.6g}"
        err = "None" if self.stderr is None else f"{self.stderr:.2g}"
        return (
            f"LyapunovResult(mean={mean}, stderr={err}, "
            f"n_runs={self.exponents.size}, diverged={int(self.diverged.sum())})"
        )

    def summary(self) -> str:
        lr = "" if self.lr is None else f" at lr = {self.lr:g}"
        b = self.bounded
        n_div = int(self.diverged.sum())
        tail = f"{self.n_steps} steps after a transient of {self.transient}"
        if self.mean is None:
            return (
                f"largest Lyapunov exponent{lr}: none to report, every one of the {n_div} runs "
                f"diverged; {tail}"
            )
        rng = f" (range {b.min():.4g} .. {b.max():.4g})"
        err = (
            f" ± {self.stderr:.2g}"
            if self.stderr is not None
            else " (one bounded run: no standard error)"
        )
        return (
            f"largest Lyapunov exponent{lr}: {self.mean:.6g}{err} over "
            f"{b.size} bounded runs{rng}; {n_div} diverged; {tail}"
        )

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "mean": self.mean,
                "stderr": self.stderr,
                "exponents": [float(e) if np.isfinite(e) else None for e in self.exponents],
                "diverged": self.diverged.tolist(),
                "n_steps": self.n_steps,
                "transient": self.transient,
                "lr": self.lr,
            }
        )


def lyapunov_exponent(
    model: MapLike,
    theta0: Theta,
    lr: float | None = None,
    *,
    n_steps: int = 5000,
    transient: int = 1000,
    seed: int | None = 0,
    div_threshold: float = 1e6,
    optimizer: Any = None,
) -> LyapunovResult:
    r"""Largest Lyapunov exponent of the runs from ``theta0`` (batched tangent iteration).

    Parameters
    ----------
    model : LinearNetwork, LossModel, NumericModel or MapSystem
        A model (with ``lr``: the GD map, :math:`DG v = v - \eta H v` via ``hvp``) or any map with
        ``step`` and ``jvp`` (e.g. :class:`~dynsys_gd.numeric.orbits.periodic.LogisticMap`).
    theta0 : array (B, P)
        Initialisations.
    lr : float, optional
        GD step size (required for a model).
    n_steps, transient : int
        Steps averaged over, after ``transient`` steps discarded.
    seed : int
        Seed of the random initial tangent vectors (``SeedSequence(seed)``).
    div_threshold : float
        Runs with :math:`\lVert\theta\rVert_\infty` above it are marked diverged.
    optimizer : Optimizer, optional
        Another optimiser's map at ``lr`` instead of GD's, on its whole state (rows of
        ``theta0`` with P entries start with the optimiser's initial buffers).
    """
    from .optimizer_map import optimizer_system

    model, lr, theta0 = optimizer_system(model, lr, theta0, optimizer)
    system = as_map(model, lr)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    transient = check_int("transient", transient, minimum=0)
    seed_ = check_seed("seed", seed)
    div_threshold = check_positive_float("div_threshold", div_threshold)
    th = check_batch("theta0", theta0, system.n_params)  # real, finite (B, P), a copy
    B = th.shape[0]
    name, value = ("transient", transient) if transient > n_steps else ("n_steps", n_steps)
    check_iteration(
        name,
        value,
        steps=transient + n_steps,
        runs=B,
        n_params=th.shape[1],
        arrays=4 * B * th.shape[1],
        context=f"for {B} runs",
    )
    rng = np.random.default_rng(np.random.SeedSequence(seed_))
    v = rng.standard_normal(th.shape)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    div: NDArray[np.bool_] = np.asarray(~np.isfinite(th).all(axis=1))
    acc = np.zeros(B)
    tiny = np.finfo(np.float64).tiny
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(transient + n_steps):
            new = system.step(th)
            bad = ~np.isfinite(new).all(axis=1) | (np.abs(new).max(axis=1) > div_threshold)
            div |= bad
            if t >= transient:
                w = system.jvp(th, v)
                nrm = np.linalg.norm(w, axis=1)
                ok = ~div & np.isfinite(nrm)
                acc = np.where(ok, acc + np.log(np.maximum(nrm, tiny)), acc)
                v = np.where(
                    ok[:, None] & (nrm[:, None] > tiny),
                    w / np.where(nrm > tiny, nrm, 1.0)[:, None],
                    v,
                )
            else:
                # also align the tangent vector during the transient
                w = system.jvp(th, v)
                nrm = np.linalg.norm(w, axis=1)
                good = np.isfinite(nrm) & (nrm > tiny)
                v = np.where(good[:, None], w / np.where(good, nrm, 1.0)[:, None], v)
            th = np.where(div[:, None], th, new)
    exps = np.where(div, np.inf, acc / n_steps)
    lr_f = getattr(system, "lr_float", None)
    return LyapunovResult(
        exponents=exps, diverged=div, n_steps=n_steps, transient=transient, lr=lr_f
    )
