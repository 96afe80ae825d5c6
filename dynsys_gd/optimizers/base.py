r"""What every optimiser map is: a state, an update, a state Jacobian and a stability threshold
(docs/math/optimizers.md).

An optimiser iterates a map :math:`F_\eta` on a state :math:`s = (\theta, b_1, \dots, b_k, c)`:
the parameters :math:`\theta \in \mathbb{R}^P`, :math:`k` buffers of the same size (momentum,
moments) and a few scalars (Adam's bias-correction powers).  Every critical point
:math:`\theta^*` of :math:`L` is the :math:`\theta`-part of a fixed point whose buffers take the
values of :meth:`Optimizer.fixed_state`.

The update is written **once**, as a short list of assignments in a small template language
(:class:`UpdateRule`), and rendered both into the compiled lane kernels of the engine
(:mod:`~dynsys_gd.numeric.engine`) and into the numpy reference path, so the two perform the
same IEEE operations in the same order and agree bit for bit.  Placeholders:

``{T}``, ``{B0}``, ``{B1}``
    the coordinate of :math:`\theta` and of buffers 0 and 1 (read on the right, written on the
    left of an assignment);
``{G}``
    the gradient coordinate at the gradient point :attr:`UpdateRule.point`;
``{E}``
    the step size :math:`\eta` of the run;
``{Q}``
    a per-coordinate constant (a diagonal preconditioner);
``{S0}``, ``{S1}``
    scalar state (only in :attr:`UpdateRule.pre`);
``op[k]``
    the optimiser's constants (:meth:`Optimizer.constants`), e.g. :math:`\beta`;
``sqrt(...)``
    the correctly rounded square root.

Names of temporaries are plain identifiers; names assigned in :attr:`UpdateRule.pre` are
per-run scalars that the per-coordinate assignments read as ``{p:name}``.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from ..errors import InvalidParameterError

__all__ = ["Optimizer", "UpdateRule"]

Array = NDArray[Any]


@dataclass(frozen=True)
class UpdateRule:
    """One step of an optimiser in the template language of this module.

    Attributes
    ----------
    coord : tuple of (target, expression)
        Assignments done for every coordinate ``i`` in order; targets ``T``, ``B0``, ``B1`` or a
        temporary name.
    pre : tuple of (target, expression)
        Assignments done once per run before the coordinates (targets ``S0``, ``S1`` or a
        temporary read later as ``{p:name}``).
    point : str
        The gradient point's coordinate (default ``{T}``: the gradient at :math:`\\theta`).
    q_offset : int
        Index in the constants ``op`` where the per-coordinate constants ``{Q}`` start.
    """

    coord: tuple[tuple[str, str], ...]
    pre: tuple[tuple[str, str], ...] = ()
    point: str = "{T}"
    q_offset: int = 0

    def key(self) -> str:
        """A digest of the rule (names compiled code)."""
        txt = json.dumps([self.coord, self.pre, self.point, self.q_offset])
        return hashlib.sha1(txt.encode()).hexdigest()[:12]


class Optimizer(ABC):
    r"""An optimiser as a map on its state (see the module docstring).

    Subclasses set :attr:`name`, :attr:`n_buffers`, :attr:`n_scalars` and implement
    :meth:`rule`, :meth:`constants`, :meth:`state_jacobian` and :meth:`threshold`.
    """

    #: the registry name (``dynsys-gd ... --optimizer NAME``)
    name: ClassVar[str] = ""
    #: buffers of size P in the state after theta
    n_buffers: ClassVar[int] = 0
    #: scalars at the end of the state
    n_scalars: ClassVar[int] = 0
    #: False when the map depends on the step count (Adam with bias correction)
    autonomous: ClassVar[bool] = True

    # -- the state ------------------------------------------------------------------------------
    def state_size(self, P: int) -> int:
        """Length of the state for P parameters."""
        return P * (1 + self.n_buffers) + self.n_scalars

    def tested_rows(self, P: int) -> int:
        r"""How many leading state rows the engine's outcome tests watch.  Momentum buffers are
        differences of consecutive iterates (up to rounding), so :math:`\theta` alone decides
        convergence and periods; optimisers whose buffers have their own dynamics watch the
        whole state."""
        return P

    def init_state(self, theta0: Array) -> Array:
        """The state at step 0 for each row of ``theta0`` (buffers at their initial values)."""
        th = np.asarray(theta0, dtype=np.float64)
        P = th.shape[-1]
        out = np.zeros((*th.shape[:-1], self.state_size(P)))
        out[..., :P] = th
        out[..., P * (1 + self.n_buffers) :] = self.initial_scalars()
        return out

    def initial_scalars(self) -> Array:
        """Initial values of the scalar state."""
        return np.zeros(self.n_scalars)

    def fixed_state(self, theta: Array) -> Array:
        """The fixed point of the map whose parameters are the critical point ``theta``."""
        th = np.asarray(theta, dtype=np.float64)
        P = th.shape[-1]
        return np.concatenate([th, np.zeros((*th.shape[:-1], self.state_size(P) - P))], axis=-1)

    # -- the update -----------------------------------------------------------------------------
    @abstractmethod
    def rule(self) -> UpdateRule:
        """The update in the template language."""

    def constants(self, P: int) -> Array:
        """The float64 constants ``op`` the rule reads (one array; per-coordinate ones last)."""
        return np.zeros(1)

    def bind(self, P: int, layer_sizes: tuple[int, ...] | None = None) -> Optimizer:
        """This optimiser for a model of P parameters (layers of the given sizes): checks the
        sizes of per-coordinate settings and expands per-layer ones.  Most return ``self``."""
        return self

    def step(self, grad: Any, state: Array, lr: Any) -> Array:
        r"""One step of the map on a batch of states ``(n, S)`` (numpy; bit-identical to the
        compiled kernels).  ``grad`` maps ``(n, P)`` to ``(n, P)``."""
        from ._render import numpy_step

        st = np.asarray(state, dtype=np.float64)
        single = st.ndim == 1
        cols = np.ascontiguousarray(np.atleast_2d(st).T)
        P = self._params_of(cols.shape[0])
        lrs = np.broadcast_to(np.asarray(lr, dtype=np.float64), (cols.shape[1],))
        out = numpy_step(self, P)(lambda y: np.asarray(grad(y.T)).T, cols, lrs)
        return out.T[0] if single else out.T

    def _params_of(self, S: int) -> int:
        P, rem = divmod(S - self.n_scalars, 1 + self.n_buffers)
        if rem or P < 1:
            raise InvalidParameterError(
                f"state must have P * {1 + self.n_buffers} + {self.n_scalars} entries for "
                f"{type(self).__name__}; got {S}"
            )
        return P

    # -- linearisation --------------------------------------------------------------------------
    def gradient_point(self, state: Array) -> Array:
        """Where the gradient is taken (the look-ahead point of Nesterov; else theta)."""
        st = np.asarray(state, dtype=np.float64)
        return st[..., : self._params_of(st.shape[-1])]

    @abstractmethod
    def state_jacobian(self, hessian: Array, state: Array, lr: float, grad: Array) -> Array:
        r"""Jacobian of the map at ``state`` (shape ``(..., S, S)``), given the Hessian and the
        gradient of L at :meth:`gradient_point`.  Raises when the map is not differentiable
        there."""

    @abstractmethod
    def threshold(self) -> float | None:
        r"""The linear-stability bound on :math:`a = \eta\mu` at a minimum, where :math:`\mu`
        runs over the eigenvalues of the curvature matrix :math:`QH` (:meth:`curvature_scale`):
        every eigendirection is stable iff :math:`a <` threshold (None when there is none)."""

    def curvature_scale(self, P: int) -> Array | None:
        r"""The diagonal :math:`Q` of the curvature matrix :math:`QH` whose top eigenvalue the
        threshold bounds (None: :math:`Q = I`)."""
        return None

    def require_autonomous(self, what: str) -> None:
        """Refuse a non-autonomous map in an analysis that needs an autonomous one."""
        if not self.autonomous:
            raise InvalidParameterError(
                f"optimizer must define an autonomous map for {what}; got {self!r}, whose update "
                f"depends on the step count (use its autonomous variant, e.g. "
                f"bias_correction=False or a frozen preconditioner)"
            )

    # -- identity -------------------------------------------------------------------------------
    @abstractmethod
    def settings(self) -> dict[str, Any]:
        """JSON-safe settings (the optimiser is equal to another with the same settings)."""

    def fingerprint(self) -> str:
        """Content-based identifier (keys stored results)."""
        txt = json.dumps({"name": self.name, **self.settings()}, sort_keys=True)
        return f"{self.name}:{hashlib.sha1(txt.encode()).hexdigest()[:16]}"

    @property
    def is_gd(self) -> bool:
        """True for plain gradient descent."""
        return self.name == "gd"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Optimizer) and other.fingerprint() == self.fingerprint()

    def __hash__(self) -> int:
        return hash(self.fingerprint())

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={_short(v)}" for k, v in self.settings().items())
        return f"{type(self).__name__}({items})"

    def to_dict(self) -> dict[str, Any]:
        """Name and settings (JSON-safe)."""
        return {"name": self.name, **self.settings()}


def _short(v: Any) -> str:
    if isinstance(v, list) and len(v) > 4:
        return f"[{v[0]!r}, ..., {v[-1]!r}] ({len(v)} values)"
    return repr(v)
