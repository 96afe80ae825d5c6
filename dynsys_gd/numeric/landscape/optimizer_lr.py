r"""The critical step size of any optimiser map (docs/math/optimizers.md).

At a minimum, an optimiser with threshold :math:`a^*` and curvature matrix :math:`QH`
(:meth:`~dynsys_gd.optimizers.base.Optimizer.curvature_scale`) is linearly stable iff
:math:`\eta\,\mu_{\max}(QH) < a^*`.  The critical step size is therefore

.. math:: \eta^*_{\text{opt}} = a^* / \min_{\theta\in M}\mu_{\max}(Q H(\theta)).

With :math:`Q = I` (GD, heavy ball, Nesterov) the minimum is :math:`S_{\min}` and
:math:`\eta^*_{\text{opt}} = a^* / S_{\min}`.  With a diagonal :math:`Q`, :math:`QH` is similar
to :math:`Q^{1/2}HQ^{1/2}`, the Hessian of :math:`\phi \mapsto L(Q^{1/2}\phi)`: the minimum is the
minimal sharpness of the reparametrised loss.  For a linear network whose :math:`Q` is constant
on each layer (:class:`~dynsys_gd.optimizers.LayerwiseGD`, or layer-constant diagonals), the
reparametrised loss is again a linear network, with :math:`W = c\,\Phi_N\cdots\Phi_1`,
:math:`c = \prod_k r_k^{1/2}`: the covariances become :math:`c^2\Sigma_{xx}` and
:math:`c\,\Sigma_{yx}`, and every closed form and certificate of the network applies.  A sympy loss
is reparametrised exactly.  A model given only through the model protocol is reparametrised
numerically (:class:`ScaledModel`: loss, gradient and Hessian of :math:`L(Q^{1/2}\phi)` from
those of :math:`L`), and its minimum of :math:`\mu_{\max}(QH)` is the flattest minimum a float64
search finds in the box of :math:`\phi = Q^{-1/2}\theta` (numerical, not certified,
:mod:`~dynsys_gd.numeric.landscape.protocol_critical`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ...errors import InvalidParameterError
from ...models import LinearNetwork, LossModel
from ...optimizers import Optimizer

__all__ = ["ScaledModel", "critical_lr", "optimizer_critical_lr", "reparametrised_model"]


class ScaledModel:
    r"""A model of the protocol in the coordinates :math:`\phi = \theta / s`:
    :math:`\phi \mapsto L(s\phi)`, gradient :math:`s\nabla L(s\phi)`, Hessian
    :math:`\operatorname{diag}(s)\,H\,\operatorname{diag}(s)` (whose spectrum is that of
    :math:`QH` for :math:`Q = \operatorname{diag}(s^2)`)."""

    def __init__(self, model: Any, s: NDArray[np.float64]) -> None:
        from ..kernels import numeric_model

        self.base = model
        self._m = numeric_model(model)
        self.s = np.asarray(s, dtype=np.float64)
        self.n_params = int(self.s.size)
        self.name = f"{getattr(model, 'name', '') or type(model).__name__} (Q^1/2 phi)"

    def loss(self, phi: Any) -> Any:
        return self._m.loss(np.asarray(phi, dtype=np.float64) * self.s)

    def gradient(self, phi: Any) -> Any:
        return np.asarray(self._m.gradient(np.asarray(phi, dtype=np.float64) * self.s)) * self.s

    def hessian(self, phi: Any) -> Any:
        H = np.asarray(self._m.hessian(np.asarray(phi, dtype=np.float64) * self.s))
        return H * self.s[:, None] * self.s[None, :]

    def hvp(self, phi: Any, v: Any) -> Any:
        th = np.asarray(phi, dtype=np.float64) * self.s
        return np.asarray(self._m.hvp(th, np.asarray(v, dtype=np.float64) * self.s)) * self.s

    def fingerprint(self) -> str:
        import hashlib

        base = self.base.fingerprint() if hasattr(self.base, "fingerprint") else ""
        return hashlib.sha256(f"scaled|{base}|{self.s.tobytes().hex()}".encode()).hexdigest()


def _layer_constant(q: np.ndarray, sizes: tuple[int, ...]) -> list[float] | None:
    out, start = [], 0
    for n in sizes:
        block = q[start : start + n]
        if np.any(block != block[0]):
            return None
        out.append(float(block[0]))
        start += n
    return out


def reparametrised_model(model: Any, q: np.ndarray) -> Any:
    r"""The model of :math:`\phi \mapsto L(Q^{1/2}\phi)`, whose Hessian is
    :math:`Q^{1/2}HQ^{1/2}` (see the module docstring)."""
    from ..orbits.optimizer_map import layer_sizes

    if isinstance(model, LinearNetwork):
        sizes = layer_sizes(model)
        r = _layer_constant(q, sizes) if sizes is not None else None
        if r is not None:
            c = float(np.prod(np.sqrt(r)))
            return LinearNetwork.from_covariances(
                tuple(model.widths), Sxx=c * c * np.asarray(model.Sxx), Syx=c * model.Syx
            )
        model = model.loss_model() if hasattr(model, "loss_model") else None
    if isinstance(model, LossModel):
        import sympy

        sub = {
            p: sympy.sqrt(sympy.nsimplify(float(qi), rational=True)) * p
            for p, qi in zip(model.params, q, strict=True)
        }
        return LossModel(model.expr.xreplace(sub), model.params, name=f"{model.name} (Q^1/2 phi)")
    from .protocol_critical import is_protocol_model

    if model is not None and is_protocol_model(model):
        return ScaledModel(model, np.sqrt(np.asarray(q, dtype=np.float64)))
    raise InvalidParameterError(
        "model must be a LinearNetwork, a LossModel or a model of the protocol for the "
        f"critical step size of a preconditioned optimiser; got {type(model).__name__}"
    )


def critical_lr(net: Any, optimizer: Any = None, **kwargs: Any) -> float:
    r"""Critical learning rate of an optimiser's map: :math:`\eta^* = 2/S_{\min}` for GD (C5;
    see :func:`dynsys_gd.numeric.landscape.sharpness.critical_lr`), and
    :math:`a^*/\min_M\mu_{\max}(QH)` for another optimiser (``optimizer=``, e.g.
    :math:`(2 + 2\beta)/S_{\min}` for heavy ball): above it every global minimum is linearly
    unstable and the optimiser converges from a null set of initialisations only (C6).

    Parameters
    ----------
    net : LinearNetwork, LossModel or Model
        The model.  A model given only through the model protocol (no symbolic form) has the
        :math:`S_{\min}` of a float64 search, so its critical step size is *numerical, not
        certified* (``dg.flattest_minimum(model)`` says so); the thresholds :math:`a^*` are the
        same as for the symbolic models.
    optimizer : Optimizer, optional
        Default GD.
    **kwargs
        Passed to :func:`~dynsys_gd.numeric.landscape.sharpness.min_sharpness` (search
        settings of a LossModel or of a model of the protocol: ``box``, ``n_starts``,
        ``seed``; ``box`` is in the coordinates :math:`\theta`).

    Raises
    ------
    InvalidParameterError
        If the model has no minima to speak of (see ``min_sharpness``), or the optimiser has no
        threshold (live Adam).

    Examples
    --------
    >>> import dynsys_gd as dg
    >>> net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    >>> round(dg.critical_lr(net), 6)  # 2 / (3 * 2^(4/3))
    0.264567
    >>> round(dg.critical_lr(net, optimizer=dg.HeavyBall(beta=0.5)) / dg.critical_lr(net), 12)
    1.5
    >>> dg.flattest_minimum(net).method
    'closed form (AM–GM)'
    """
    from ...optimizers import check_optimizer
    from .sharpness import critical_lr as gd_critical_lr

    opt = check_optimizer(optimizer)
    if opt.is_gd:
        return gd_critical_lr(net, **kwargs)
    return optimizer_critical_lr(net, opt, **kwargs)


def optimizer_critical_lr(model: Any, optimizer: Optimizer, **kwargs: Any) -> float:
    r""":math:`a^*/\min_M \mu_{\max}(QH)` for the optimiser (see the module docstring)."""
    from ..kernels import numeric_model
    from ..orbits.optimizer_map import bound_optimizer
    from .sharpness import min_sharpness

    opt = bound_optimizer(model, optimizer)
    a = opt.threshold()
    if a is None:
        raise InvalidParameterError(
            f"optimizer must have a linear-stability threshold for a critical step size; got "
            f"{opt!r} (live Adam has no linearisation at its fixed points: use "
            f"Adam(frozen=...))"
        )
    q = opt.curvature_scale(int(numeric_model(model).n_params))
    if q is None:
        return a / min_sharpness(model, **kwargs)
    scaled = reparametrised_model(model, np.asarray(q))
    if isinstance(scaled, ScaledModel):  # the box of theta as a box of phi = theta / s
        from .critical_points import DEFAULT_BOX_HALF_WIDTH
        from .critical_results import _check_box

        box = kwargs.pop("box", None)
        pairs = _check_box(DEFAULT_BOX_HALF_WIDTH if box is None else box, scaled.n_params)
        kwargs["box"] = [(lo / si, hi / si) for (lo, hi), si in zip(pairs, scaled.s, strict=True)]
    return a / min_sharpness(scaled, **kwargs)
