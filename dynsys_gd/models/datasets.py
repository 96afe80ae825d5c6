"""Small real and synthetic data sets for the non-linear experiments (the 8×8 digits shipped with
the package, teacher–student).

The digits are the 1797 test images of the UCI "Optical Recognition of Handwritten Digits" data
set (E. Alpaydin and C. Kaynak, 1998; licence CC BY 4.0), stored as ``data/digits.npz`` (pixel
counts 0…16 as ``uint8``, labels 0…9) in the same order as scikit-learn's
``sklearn.datasets.load_digits``; see docs/getting-started.md, "Data".  No extra package and no
download are needed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._validation import (
    check_choice,
    check_int,
    check_positive_float,
    check_seed,
    describe,
)
from ..errors import InvalidParameterError
from .mlp import ACTIVATIONS, MLP

__all__ = [
    "Dataset",
    "digits_dataset",
    "teacher_student_dataset",
]

Array = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Dataset:
    """A small regression problem: inputs ``X`` (n, d_in), targets ``Y`` (n, d_out)."""

    X: Array
    Y: Array
    name: str
    info: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Dataset({self.name!r}, X={self.X.shape}, Y={self.Y.shape})"

    @property
    def n_features(self) -> int:
        """Input dimension d_0."""
        return int(self.X.shape[1])

    @property
    def n_outputs(self) -> int:
        """Output dimension d_L."""
        return int(self.Y.shape[1])


def digits_arrays() -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    r"""The shipped 8×8 digits: ``images`` (1797, 64) pixel counts 0…16 and ``labels`` (1797,).

    Read with numpy from ``dynsys_gd/models/data/digits.npz``; the rows are in the order of
    scikit-learn's ``load_digits()`` (``images == load_digits().data``,
    ``labels == load_digits().target``).
    """
    ref = resources.files("dynsys_gd.models").joinpath("data", "digits.npz")
    with ref.open("rb") as fh, np.load(fh) as npz:
        return np.asarray(npz["images"]), np.asarray(npz["labels"])


def digits_dataset(
    n_samples: int = 64, n_features: int = 8, *, targets: str = "label", seed: int | None = 0
) -> Dataset:
    r"""A small regression problem from the 8×8 digits shipped with the package (no download).

    ``n_samples`` images are drawn without replacement (``SeedSequence(seed)``), projected on
    their first ``n_features`` principal components and standardised (each feature mean 0,
    variance 1).  Targets: ``"label"`` — the digit 0…9 standardised, one output; ``"onehot"`` —
    centred one-hot vectors, ten outputs.  The images are those of scikit-learn's
    ``load_digits`` (UCI optical digits, CC BY 4.0), bundled so scikit-learn is not needed.

    Raises
    ------
    InvalidParameterError
        For bad arguments.
    """
    n_samples = check_int("n_samples", n_samples, minimum=2, maximum=1797)
    n_features = check_int("n_features", n_features, minimum=1, maximum=64)
    targets = check_choice("targets", targets, ("label", "onehot"))
    seed = check_seed("seed", seed)
    images, all_labels = digits_arrays()
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])  # the shipped subsample
    idx = np.sort(rng.choice(len(all_labels), size=n_samples, replace=False))
    raw = np.asarray(images[idx], dtype=np.float64)
    raw = raw - raw.mean(axis=0)
    _, svals, Vt = np.linalg.svd(raw, full_matrices=False)
    k = min(n_features, Vt.shape[0])
    X = raw @ Vt[:k].T
    X = X / np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
    labels = np.asarray(all_labels[idx], dtype=np.int64)
    if targets == "label":
        y = labels.astype(np.float64)
        Y = ((y - y.mean()) / y.std())[:, None]
    else:
        Y = np.eye(10)[labels]
        Y = Y - Y.mean(axis=0)
    explained = float(np.sum(svals[:k] ** 2) / np.sum(svals**2))
    return Dataset(
        X=X,
        Y=Y,
        name="digits",
        info={
            "n_samples": n_samples,
            "n_features": k,
            "targets": targets,
            "seed": seed,
            "explained_variance": explained,
            "source": "UCI optical digits, 8x8 (as sklearn load_digits), shipped with dynsys_gd",
        },
    )


def teacher_student_dataset(
    widths: Sequence[int],
    n_samples: int = 200,
    activation: str = "tanh",
    seed: int | None = 0,
    *,
    noise: float = 0.0,
    teacher_scale: float = 1.5,
) -> Dataset:
    r"""Inputs :math:`x \sim \mathcal N(0, I)`, targets from a random teacher MLP.

    The teacher has ``widths`` and ``activation`` and Glorot weights scaled by
    ``teacher_scale``; targets are :math:`y = f_{\mathrm{teacher}}(x) + \text{noise}\cdot\xi`,
    :math:`\xi \sim \mathcal N(0, I)`.
    """
    if isinstance(widths, str | bytes) or not isinstance(widths, Sequence | np.ndarray):
        raise InvalidParameterError(
            f"widths must be a sequence of at least 2 ints >= 1; got {describe(widths)}"
        )
    n_samples = check_int("n_samples", n_samples, minimum=1)
    activation = check_choice("activation", activation, ACTIVATIONS)
    seed = check_seed("seed", seed)
    teacher_scale = check_positive_float("teacher_scale", teacher_scale)
    if (
        isinstance(noise, bool)
        or not isinstance(noise, int | float)
        or not (math.isfinite(noise) and noise >= 0)
    ):
        raise InvalidParameterError(f"noise must be a finite float >= 0; got {describe(noise)}")
    ws = tuple(check_int("widths entry", w, minimum=1) for w in widths)
    if len(ws) < 2:
        raise InvalidParameterError(
            f"widths must be a sequence of at least 2 ints >= 1; got {describe(widths)}"
        )
    from .._limits import check_memory

    check_memory(
        "n_samples", n_samples, 8.0 * n_samples * (ws[0] + 2 * ws[-1]), "for the inputs and targets"
    )
    s_x, s_t, s_n = np.random.SeedSequence(seed).spawn(3)
    X = np.random.default_rng(s_x).standard_normal((n_samples, int(ws[0])))
    teacher = MLP(ws, activation, X=X, Y=np.zeros((n_samples, int(ws[-1]))))
    theta_t = teacher.init(np.random.default_rng(s_t), 1, "glorot", teacher_scale)
    Y = np.asarray(teacher.output(theta_t[0]))
    if noise > 0:
        Y = Y + noise * np.random.default_rng(s_n).standard_normal(Y.shape)
    return Dataset(
        X=X,
        Y=Y,
        name="teacher",
        info={
            "widths": list(ws),
            "activation": activation,
            "n_samples": n_samples,
            "seed": seed,
            "noise": float(noise),
            "teacher_scale": teacher_scale,
        },
    )
