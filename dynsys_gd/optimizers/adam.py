r"""Adam (Kingma & Ba 2015) as a map: live, or with its preconditioner frozen.

Live: state :math:`(\theta, m, v)` and, with bias correction, the powers
:math:`(\beta_1^t, \beta_2^t)`:

.. math:: m' = \beta_1 m + (1 - \beta_1) g, \quad v' = \beta_2 v + (1 - \beta_2) g^2, \quad
   \theta' = \theta - \eta\,\frac{m'/(1 - \beta_1^{t+1})}{\sqrt{v'/(1 - \beta_2^{t+1})} +
   \epsilon}.

Carrying the powers in the state makes the map autonomous on the larger state, but the update
still depends on the step count through them, so analyses that need an autonomous map on
:math:`(\theta, m, v)` refuse it (``bias_correction=False`` gives the autonomous variant).  At its
fixed points :math:`v = 0`, where :math:`\sqrt{v}` is not differentiable: live Adam has no
linearisation there.

Frozen (Cohen et al. 2022, "Adaptive gradient methods at the edge of stability"): the
preconditioner :math:`P = \operatorname{diag}(p)` is fixed and only the first moment moves,
:math:`m' = \beta_1 m + (1 - \beta_1)g`, :math:`\theta' = \theta - \eta P^{-1}m'`.  On an
eigenvector of :math:`P^{-1}H` with :math:`a = \eta\mu`: :math:`z^2 - (1 + \beta_1 - a(1 -
\beta_1))z + \beta_1 = 0`, stable iff :math:`a < (2 + 2\beta_1)/(1 - \beta_1)` (38 at
:math:`\beta_1 = 0.9`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_positive_float
from ..errors import InvalidParameterError
from ._checks import check_beta, check_positive_vector
from .base import Array, Optimizer, UpdateRule

__all__ = ["Adam"]

_MOMENTS = (
    ("mt", "op[0] * {B0} + op[1] * {G}"),
    ("vt", "op[2] * {B1} + op[3] * ({G} * {G})"),
    ("B0", "mt"),
    ("B1", "vt"),
)


class Adam(Optimizer):
    r"""Adam, live (default) or with a frozen preconditioner.

    Parameters
    ----------
    beta1, beta2 : float in [0, 1)
        Moment coefficients (defaults 0.9, 0.999).
    eps : float > 0
        :math:`\epsilon` (default 1e-8).
    bias_correction : bool
        Divide the moments by :math:`1 - \beta^{t+1}` (default True; the map then depends on
        the step count).
    frozen : array_like or None
        The diagonal :math:`p` of a frozen preconditioner (e.g. :math:`\sqrt{\hat v} +
        \epsilon` taken from a run): then only :math:`m` moves and ``beta2``, ``eps`` and
        ``bias_correction`` are not used.

    Examples
    --------
    >>> import dynsys_gd as dg
    >>> dg.Adam(beta1=0.9, frozen=[1.0, 1.0]).threshold()  # (2 + 2 beta1) / (1 - beta1)
    38.00000000000001
    """

    name = "adam"

    def __init__(
        self,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        *,
        bias_correction: bool = True,
        frozen: Any = None,
    ) -> None:
        self.beta1 = check_beta("beta1", beta1)
        self.beta2 = check_beta("beta2", beta2)
        self.eps = check_positive_float("eps", eps)
        if not isinstance(bias_correction, bool):
            raise InvalidParameterError(f"bias_correction must be a bool; got {bias_correction!r}")
        self.frozen = None if frozen is None else check_positive_vector("frozen", frozen)
        self.bias_correction = bias_correction and self.frozen is None

    # the state layout depends on the variant
    @property
    def n_buffers(self) -> int:  # type: ignore[override]
        return 1 if self.frozen is not None else 2

    @property
    def n_scalars(self) -> int:  # type: ignore[override]
        return 2 if self.bias_correction else 0

    @property
    def autonomous(self) -> bool:  # type: ignore[override]
        return not self.bias_correction

    def tested_rows(self, P: int) -> int:
        # the moments have their own dynamics (v decays at rate beta2): watch the whole state
        return self.state_size(P) if self.frozen is None else P

    def initial_scalars(self) -> Array:
        return np.ones(self.n_scalars)

    def bind(self, P: int, layer_sizes: tuple[int, ...] | None = None) -> Optimizer:
        if self.frozen is not None and self.frozen.size != P:
            raise InvalidParameterError(
                f"frozen must have one entry per parameter ({P}); got {self.frozen.size}"
            )
        return self

    def rule(self) -> UpdateRule:
        if self.frozen is not None:
            return UpdateRule(
                coord=(
                    ("mt", "op[0] * {B0} + op[1] * {G}"),
                    ("B0", "mt"),
                    ("T", "{T} - {E} * ({Q} * mt)"),
                ),
                q_offset=2,
            )
        if self.bias_correction:
            return UpdateRule(
                pre=(
                    ("S0", "op[0] * {S0}"),
                    ("S1", "op[2] * {S1}"),
                    ("bc1", "1.0 - {S0}"),
                    ("bc2", "1.0 - {S1}"),
                ),
                coord=(
                    *_MOMENTS,
                    ("T", "{T} - {E} * ((mt / {p:bc1}) / (sqrt(vt / {p:bc2}) + op[4]))"),
                ),
            )
        return UpdateRule(coord=(*_MOMENTS, ("T", "{T} - {E} * (mt / (sqrt(vt) + op[4]))")))

    def constants(self, P: int) -> Array:
        head = [self.beta1, 1.0 - self.beta1]
        if self.frozen is not None:
            return np.concatenate([head, 1.0 / self.frozen])
        return np.array([*head, self.beta2, 1.0 - self.beta2, self.eps])

    def curvature_scale(self, P: int) -> Array | None:
        return None if self.frozen is None else 1.0 / self.frozen

    def state_jacobian(self, hessian: Array, state: Array, lr: float, grad: Array) -> Array:
        if self.frozen is None:
            raise InvalidParameterError(
                "optimizer must have a linearisation here: live Adam is not differentiable at "
                "its fixed points (sqrt(v) at v = 0); use Adam(frozen=...) ; got live Adam"
            )
        H = np.asarray(hessian, dtype=np.float64)
        P = H.shape[-1]
        b1, q = self.beta1, 1.0 / self.frozen
        eye = np.broadcast_to(np.eye(P), H.shape)
        dm_dth = (1.0 - b1) * H
        top = np.concatenate([eye - lr * q[:, None] * dm_dth, -lr * b1 * (q[:, None] * eye)], -1)
        bottom = np.concatenate([dm_dth, b1 * eye], axis=-1)
        return np.concatenate([top, bottom], axis=-2)

    def threshold(self) -> float | None:
        if self.frozen is None:
            return None
        return (2.0 + 2.0 * self.beta1) / (1.0 - self.beta1)

    def settings(self) -> dict[str, Any]:
        out: dict[str, Any] = {"beta1": self.beta1}
        if self.frozen is not None:
            out["frozen"] = self.frozen.tolist()
        else:
            out.update(beta2=self.beta2, eps=self.eps, bias_correction=self.bias_correction)
        return out
