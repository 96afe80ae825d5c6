r"""Full Lyapunov spectrum of a map by the QR method, with the sum rule checked on every run
(docs/math/continuation.md).

For :math:`x_{t+1} = G(x_t)` the tangent map is carried on an orthonormal frame:
:math:`DG(x_t) Q_t = Q_{t+1} R_{t+1}` (QR), and

.. math:: \lambda_i = \lim_{T\to\infty} \frac1T \sum_{t=1}^{T} \ln |R_t|_{ii}.

Since :math:`\prod_i |R_t|_{ii} = |\det DG(x_{t-1})|`, the exponents obey the sum rule
:math:`\sum_i \lambda_i = \langle \ln|\det DG| \rangle` along the same run; it is checked on each
run (the two sides are accumulated independently, so a broken Jacobian or an ill-conditioned
frame shows as a mismatch).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._results import ResultMixin, jsonable
from ..._validation import check_int, describe
from ...errors import InvalidParameterError
from ...models.iterated_map import IteratedMap
from .optimizer_map import optimizer_map

__all__ = ["LyapunovSpectrum", "lyapunov_spectrum"]

Array = NDArray[Any]


@dataclass(frozen=True)
class LyapunovSpectrum(ResultMixin):
    r"""Lyapunov spectra of a batch of runs.

    Attributes
    ----------
    exponents : ndarray (d,)
        Mean over bounded runs of :math:`\lambda_1 \ge \dots \ge \lambda_d`.
    stderr : ndarray (d,)
        Standard error across runs (NaN with fewer than two runs: not estimable).
    per_run : ndarray (B, d)
    log_det : ndarray (B,)
        :math:`\langle \ln|\det DG|\rangle` per run.
    sum_rule_error : float
        :math:`\max_b |\sum_i \lambda_{b,i} - \langle\ln|\det DG|\rangle_b|`.
    n_steps, transient : int
    diverged : ndarray (B,) of bool
    """

    exponents: NDArray[np.float64]
    stderr: NDArray[np.float64]
    per_run: NDArray[np.float64]
    log_det: NDArray[np.float64]
    sum_rule_error: float
    n_steps: int
    transient: int
    diverged: NDArray[np.bool_]

    def summary(self) -> str:
        ex = ", ".join(
            f"{e:.6g} ± {s:.2g}" if np.isfinite(s) else f"{e:.6g} (error not estimable)"
            for e, s in zip(self.exponents, self.stderr, strict=False)
        )
        return (
            f"Lyapunov spectrum over {self.n_steps} steps, "
            f"{int((~self.diverged).sum())} bounded runs: ({ex}); sum rule "
            f"|sum - <ln|det DG|>| <= {self.sum_rule_error:.2g}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "exponents": jsonable(self.exponents),
            "stderr": [None if not np.isfinite(s) else float(s) for s in self.stderr],
            "sum_rule_error": self.sum_rule_error,
            "n_steps": self.n_steps,
            "transient": self.transient,
            "n_diverged": int(self.diverged.sum()),
        }

    def __repr__(self) -> str:
        ex = ", ".join(f"{e:.4g}" for e in self.exponents)
        return f"LyapunovSpectrum(({ex}), n_steps={self.n_steps})"


def _as_map(system: Any, lr: float | None, optimizer: Any) -> tuple[IteratedMap, float | None]:
    if isinstance(system, IteratedMap):
        if system.has_parameter and lr is None:
            raise InvalidParameterError("lr must be given for a map f(x, p); got None")
        return system, lr
    if lr is None:
        raise InvalidParameterError(f"lr must be a finite float > 0 for a model; got {lr}")
    return optimizer_map(system, optimizer), float(lr)


def lyapunov_spectrum(
    system: Any,
    x0: Any,
    steps: int,
    *,
    lr: float | None = None,
    optimizer: Any = None,
    transient: int = 1000,
    div_threshold: float = 1e6,
) -> LyapunovSpectrum:
    r"""Lyapunov spectrum of the map by the QR method, batched over the rows of ``x0``.

    Parameters
    ----------
    system : IteratedMap or model
        A map (``lr`` is its parameter, if it has one) or a model (its optimiser map at step
        size ``lr``; the state includes the optimiser's buffers).
    x0 : array (d,) or (B, d)
    steps : int
        Steps averaged over, after ``transient`` discarded steps.

    Examples
    --------
    >>> import numpy as np
    >>> import dynsys_gd as dg
    >>> henon = dg.IteratedMap(lambda v: np.stack([1 - 1.4 * v[..., 0]**2 + v[..., 1],
    ...                                             0.3 * v[..., 0]], -1), dim=2)
    >>> spec = dg.lyapunov_spectrum(henon, [[0.1, 0.1]], 20000)
    >>> bool(abs(spec.exponents.sum() - np.log(0.3)) < 1e-8)
    True
    """
    fmap, p = _as_map(system, lr, optimizer)
    steps = check_int("steps", steps, minimum=1)
    transient = check_int("transient", transient, minimum=0)
    x = np.array(x0, dtype=np.float64, ndmin=2)
    if x.ndim != 2 or x.shape[1] != fmap.dim or not np.all(np.isfinite(x)):
        raise InvalidParameterError(
            f"x0 must be finite of shape (d,) or (B, d) with d = {fmap.dim}; got {describe(x0)}"
        )
    B, d = x.shape
    div = np.zeros(B, dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(transient):
            x = fmap.step(x, p)
            div |= ~np.isfinite(x).all(axis=1) | (np.abs(x).max(axis=1) > div_threshold)
            x[div] = 0.0
        Q = np.broadcast_to(np.eye(d), (B, d, d)).copy()
        acc = np.zeros((B, d))
        logdet = np.zeros(B)
        for _ in range(steps):
            J = fmap.jacobian(x, p)
            logdet += np.log(np.abs(np.linalg.det(J)))
            Q, R = np.linalg.qr(J @ Q)
            acc += np.log(np.abs(np.diagonal(R, axis1=1, axis2=2)))
            x = fmap.step(x, p)
            div |= ~np.isfinite(x).all(axis=1) | (np.abs(x).max(axis=1) > div_threshold)
            x[div] = 0.0
    per_run = np.sort(acc / steps, axis=1)[:, ::-1]
    ld = logdet / steps
    ok = ~div
    good = per_run[ok]
    ex = good.mean(axis=0) if good.size else np.full(d, np.nan)
    se = good.std(axis=0, ddof=1) / np.sqrt(len(good)) if len(good) > 1 else np.full(d, np.nan)
    err = float(np.max(np.abs(good.sum(axis=1) - ld[ok]))) if good.size else float("nan")
    return LyapunovSpectrum(ex, se, per_run, ld, err, steps, transient, div)
