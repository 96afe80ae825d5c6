r"""Trainability maps: which per-layer step sizes train a network (docs/math/basins.md).

Following Sohl-Dickstein (2024), each pixel of a 2-D grid of hyperparameters runs GD with one
step size per layer group (layer 1 at :math:`\eta_1`, the other layers at :math:`\eta_2`; the
``LayerwiseGD`` update :math:`\theta_k \leftarrow \theta_k - \eta_k \nabla_{\theta_k} L`), or
with one step size :math:`\eta` from the initialisation :math:`\theta_0 + o\,\mathbf 1/\sqrt P`
(an (offset, :math:`\eta`) grid).  Each pixel records the outcome (diverged or not, by the
recurrence tests of :mod:`~dynsys_gd.analysis.pixel_steps`) and the convergence score, the mean
loss over the run (:math:`+\infty` for diverged runs): the trainability boundary is where the
score jumps to infinity.

:meth:`TrainabilityMap.zoom` recomputes the map on a window ``factor`` times smaller around a
centre; :attr:`TrainabilityMap.ulps_per_pixel` says how many float64 numbers separate two
neighbouring pixels' coordinates, and below about ten the map no longer resolves the grid
(pixels repeat, and the boundary dimension measured there is an artefact).

Mean-field parametrisation, :math:`f(x) = \tfrac1h W_2\sigma(W_1x)` with :math:`W_2` of unit
scale, is the standard network with :math:`W_2' = W_2/h` and step size :math:`\eta_2/h^2` on the
second layer: the maps differ by a shift of the :math:`\log\eta_2` axis.  :func:`sohl_dickstein_mlp`
builds the standard form with :math:`W_2'` initialised at scale :math:`1/h`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._results import ResultMixin, jsonable
from .._validation import check_choice, check_int, describe
from ..errors import InvalidParameterError
from .basins_grid import DIVERGED_LABEL, BasinGrid
from .fractal import ScalingFit, boundary_dimension
from .pixel_steps import DIVERGED, iterate_pixels

__all__ = ["TrainabilityMap", "sohl_dickstein_mlp", "trainability_map"]

Array = NDArray[Any]


def sohl_dickstein_mlp(
    activation: str = "tanh", *, width: int = 16, n_in: int = 2, seed: int = 0
) -> tuple[Any, Array]:
    r"""A depth-2 network of ``width`` hidden units and as many data points as parameters, with
    data and initialisation from a fixed seed (standard Gaussian inputs and targets;
    :math:`W_1 \sim N(0, 1/n_{in})`, :math:`W_2 \sim N(0, 1/h^2)`, the mean-field scale).

    Returns
    -------
    (MLP, theta0)
    """
    from ..models import MLP

    h = check_int("width", width, minimum=1)
    d = check_int("n_in", n_in, minimum=1)
    P = h * d + h
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    X = rng.standard_normal((P, d))
    Y = rng.standard_normal((P, 1))
    model = MLP((d, h, 1), activation, X=X, Y=Y)
    theta0 = np.concatenate([rng.standard_normal(h * d) / np.sqrt(d), rng.standard_normal(h) / h])
    return model, theta0


@dataclass(frozen=True, eq=False)
class TrainabilityMap(ResultMixin):
    r"""Outcome and convergence score of GD over a grid of hyperparameters.

    Attributes
    ----------
    kind : str
        ``"lr-lr"`` (axes :math:`\eta_1`, :math:`\eta_2`) or ``"offset-lr"`` (axes offset,
        :math:`\eta`).
    axes : (ndarray, ndarray)
        Pixel coordinates; ``score[i, j]`` belongs to ``(axes[0][j], axes[1][i])``.
    diverged : ndarray of bool
    score : ndarray
        Mean loss over the run (inf for diverged runs).
    steps : int
        Budget per pixel.
    ulps_per_pixel : float
        Smallest number of float64 values between neighbouring pixel coordinates (over both
        axes); the grid is resolved when it is at least 10.
    """

    kind: str
    axes: tuple[Array, Array]
    diverged: Array
    score: Array
    steps: int
    ulps_per_pixel: float
    _model: Any = field(default=None, repr=False)
    _theta0: Any = field(default=None, repr=False)
    _opts: Any = field(default=None, repr=False)

    @property
    def resolved(self) -> bool:
        """float64 still separates neighbouring pixels (at least 10 ulps apart)."""
        return bool(self.ulps_per_pixel >= 10)

    def basins(self) -> BasinGrid:
        """The map as a two-label :class:`BasinGrid` (0 trained or bounded, -1 diverged)."""
        lab = np.where(self.diverged, DIVERGED_LABEL, 0).astype(np.int64)
        zeros = np.zeros(lab.shape, dtype=np.int64)
        return BasinGrid(
            self.axes, lab, zeros, zeros, (), f"trainability ({self.kind})", self.steps
        )

    def dimension(self, **kwargs: Any) -> ScalingFit:
        """Box-counting dimension of the trainability boundary on this map."""
        return boundary_dimension(self.diverged.astype(np.int64), **kwargs)

    def zoom(self, center: tuple[float, float], factor: float) -> TrainabilityMap:
        """The map recomputed on a window ``factor`` times smaller around ``center`` (same
        number of pixels; logarithmic axes stay logarithmic)."""
        if not factor > 1:
            raise InvalidParameterError(f"factor must be > 1; got {describe(factor)}")
        new = []
        for c, ax, lg in zip(center, self.axes, self._opts["log"], strict=True):
            if lg:
                half = np.log10(ax[-1] / ax[0]) / 2 / factor
                new.append(10 ** np.linspace(np.log10(c) - half, np.log10(c) + half, ax.size))
            else:
                half = (ax[-1] - ax[0]) / 2 / factor
                new.append(np.linspace(c - half, c + half, ax.size))
        opts = dict(self._opts)
        opts.pop("log")
        return trainability_map(
            self._model, new[0], new[1], theta0=self._theta0, kind=self.kind, **opts
        )

    def __repr__(self) -> str:
        return (
            f"TrainabilityMap({self.kind}, {self.score.shape[0]}x{self.score.shape[1]}, "
            f"diverged={self.diverged.mean():.3f})"
        )

    def summary(self) -> str:
        a, b = self.axes
        return (
            f"Trainability map ({self.kind}): {a.size} x {b.size} pixels, axis 1 in "
            f"[{a[0]:.6g}, {a[-1]:.6g}], axis 2 in [{b[0]:.6g}, {b[-1]:.6g}], {self.steps} steps; "
            f"diverged {self.diverged.mean():.4f}; {self.ulps_per_pixel:.3g} float64 ulps per "
            f"pixel ({'resolved' if self.resolved else 'NOT resolved by float64'})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            f.name: jsonable(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if not f.name.startswith("_")
        }

    def plot(self, ax: Any = None) -> Any:
        """Sohl-Dickstein's picture: the score of trained runs in blue shades, diverged red."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 4.5))
        a, b = self.axes
        with np.errstate(all="ignore"):
            s = np.log10(np.where(self.diverged, np.nan, self.score))
        ax.imshow(
            np.where(self.diverged, 1.0, np.nan),
            origin="lower",
            cmap="Reds",
            vmin=0,
            vmax=1.5,
            extent=(0, 1, 0, 1),
            aspect="auto",
            interpolation="nearest",
        )
        ax.imshow(
            s,
            origin="lower",
            cmap="Blues_r",
            extent=(0, 1, 0, 1),
            aspect="auto",
            interpolation="nearest",
        )
        ax.set_xticks([0, 1], [f"{a[0]:.6g}", f"{a[-1]:.6g}"])
        ax.set_yticks([0, 1], [f"{b[0]:.6g}", f"{b[-1]:.6g}"])
        names = ("eta_1", "eta_2") if self.kind == "lr-lr" else ("offset", "eta")
        ax.set_xlabel(names[0])
        ax.set_ylabel(names[1])
        ax.set_title("trainability (red: diverged; blue: log mean loss)", fontsize=9)
        return ax.figure


def _ulps(ax: Array) -> float:
    gap = np.abs(np.diff(ax))
    ulp = np.spacing(np.maximum(np.abs(ax[:-1]), np.abs(ax[1:])))
    return float(np.min(gap / ulp))


def _run_points(
    model: Any,
    th0: Array,
    kind: str,
    A: Array,
    B: Array,
    *,
    steps: int,
    bound: float,
    chunk: int,
    workers: int,
    executor: Any = None,
) -> Any:
    """GD from every point ``(A[i], B[i])`` of a trainability map (the pixels, or the points
    of a bisection)."""
    from ..numeric.engine.lanes import lane_model
    from ..numeric.kernels import numeric_model
    from ..numeric.orbits.optimizer_map import layer_sizes

    sizes = layer_sizes(model)
    lm = lane_model(model)
    if sizes is None or lm is None:
        raise InvalidParameterError(f"model must be a network with a kernel; got {describe(model)}")
    P = int(sum(sizes))
    n = A.size
    first = np.zeros(P, dtype=bool)
    first[: sizes[0]] = True
    if kind == "lr-lr":
        x0 = np.repeat(th0[:, None], n, axis=1)
        aux = np.where(first[:, None], A[None, :], B[None, :])
    else:
        x0 = th0[:, None] + A[None, :] / np.sqrt(P)
        aux = np.repeat(B[None, :], P, axis=0)
    m = numeric_model(model)

    def step(x: Any, s: Any) -> Any:
        return x - s * lm.gradient_cols(x)

    def value(x: Any, s: Any) -> Any:
        return np.asarray(m.loss(np.ascontiguousarray(x.T)), dtype=np.float64)

    return iterate_pixels(
        step,
        x0,
        aux=aux,
        steps=steps,
        check_every=10,
        max_period=8,
        tol=1e-10,
        bound=bound,
        value=value,
        chunk=chunk,
        workers=workers,
        executor=executor,
    )


def trainability_map(
    model: Any,
    lr1: Any,
    lr2: Any,
    *,
    theta0: Any = None,
    kind: str = "lr-lr",
    steps: int = 500,
    bound: float = 1e6,
    chunk: int = 4096,
    workers: int = 1,
    executor: Any = None,
) -> TrainabilityMap:
    r"""GD over a grid of per-layer step sizes (or of initialisation offset and step size).

    Parameters
    ----------
    model : MLP or LinearNetwork
        A network with at least two layers.
    lr1, lr2 : array_like
        Grid coordinates: :math:`\eta_1` (layer 1) and :math:`\eta_2` (the other layers) for
        ``kind="lr-lr"``; offsets :math:`o` and step sizes :math:`\eta` for ``"offset-lr"``.
    theta0 : array_like (P,)
        Initialisation (required).
    steps : int
        Budget (500-1000 in Sohl-Dickstein's maps).
    bound : float
        A run has diverged once a parameter exceeds ``bound`` in magnitude (or is not finite).
    chunk, workers : int
        Pixels per chunk and worker threads; results are bit-identical for every choice.
    executor : concurrent.futures.Executor, optional
        Run the chunks there instead (e.g. ``make_executor(scheduler="local")`` for Dask);
        bit-identical to the serial result.
    """
    from ..numeric.engine.lanes import lane_model
    from ..numeric.orbits.optimizer_map import layer_sizes

    k = check_choice("kind", kind, ("lr-lr", "offset-lr"))
    a = np.asarray(lr1, dtype=np.float64).ravel()
    b = np.asarray(lr2, dtype=np.float64).ravel()
    if a.size < 2 or b.size < 2 or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise InvalidParameterError(
            "lr1 and lr2 must be finite 1-D arrays of >= 2 values; got "
            f"{describe(lr1)}, {describe(lr2)}"
        )
    sizes = layer_sizes(model)
    lm = lane_model(model)
    if sizes is None or len(sizes) < 2 or lm is None:
        raise InvalidParameterError(
            "model must be a network with at least two layers (MLP or LinearNetwork); got "
            f"{describe(model)}"
        )
    if theta0 is None:
        raise InvalidParameterError("theta0 must be given (the initialisation); got None")
    th0 = np.asarray(theta0, dtype=np.float64).ravel()
    P = int(sum(sizes))
    if th0.size != P:
        raise InvalidParameterError(f"theta0 must have length {P}; got length {th0.size}")
    nsteps = check_int("steps", steps, minimum=1)
    if k == "lr-lr" and (np.any(a <= 0) or np.any(b <= 0)):
        raise InvalidParameterError("lr1 and lr2 must be > 0 for an lr-lr map; got a value <= 0")
    if k == "offset-lr" and np.any(b <= 0):
        raise InvalidParameterError("lr2 must be > 0 (the step sizes); got a value <= 0")
    Ag, Bg = np.meshgrid(a, b)
    A, B = Ag.ravel(), Bg.ravel()
    n = A.size
    run = _run_points(
        model,
        th0,
        k,
        A,
        B,
        steps=nsteps,
        bound=float(bound),
        chunk=chunk,
        workers=workers,
        executor=executor,
    )
    shape = (b.size, a.size)
    score = run.score if run.score is not None else np.zeros(n)
    logs = (k == "lr-lr", k == "lr-lr")
    return TrainabilityMap(
        k,
        (a, b),
        (run.outcome == DIVERGED).reshape(shape),
        score.reshape(shape),
        nsteps,
        min(_ulps(a), _ulps(b)),
        model,
        th0,
        {
            "steps": nsteps,
            "bound": bound,
            "chunk": chunk,
            "workers": workers,
            "executor": executor,
            "log": logs,
        },
    )
