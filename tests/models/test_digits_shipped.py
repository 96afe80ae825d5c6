"""The digits shipped with the package are scikit-learn's ``load_digits``, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from dynsys_gd.models.datasets import digits_arrays, digits_dataset


def _sklearn_digits_dataset(n_samples: int, n_features: int, targets: str, seed: int) -> tuple:
    """The former scikit-learn path of digits_dataset, written out independently."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    idx = np.sort(rng.choice(len(digits.target), size=n_samples, replace=False))
    raw = np.asarray(digits.data[idx], dtype=np.float64)
    raw = raw - raw.mean(axis=0)
    _, _, Vt = np.linalg.svd(raw, full_matrices=False)
    X = raw @ Vt[:n_features].T
    X = X / np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
    labels = np.asarray(digits.target[idx])
    if targets == "label":
        y = labels.astype(np.float64)
        Y = ((y - y.mean()) / y.std())[:, None]
    else:
        Y = np.eye(10)[labels]
        Y = Y - Y.mean(axis=0)
    return idx, X, Y


def test_shipped_arrays_equal_scikit_learn() -> None:
    datasets = pytest.importorskip("sklearn.datasets")
    images, labels = digits_arrays()
    ref = datasets.load_digits()
    assert images.shape == (1797, 64) and labels.shape == (1797,)
    assert np.array_equal(images.astype(np.float64), ref.data)
    assert np.array_equal(labels.astype(np.int64), ref.target)


@pytest.mark.parametrize(
    ("n_samples", "n_features", "targets", "seed"),
    [(64, 8, "label", 0), (200, 5, "onehot", 3), (1797, 64, "label", 7)],
)
def test_digits_dataset_same_subsample_as_scikit_learn_path(
    n_samples: int, n_features: int, targets: str, seed: int
) -> None:
    pytest.importorskip("sklearn.datasets")
    _, X, Y = _sklearn_digits_dataset(n_samples, n_features, targets, seed)
    ds = digits_dataset(n_samples, n_features, targets=targets, seed=seed)
    assert np.array_equal(ds.X, X)
    assert np.array_equal(ds.Y, Y)


def test_digits_without_scikit_learn(monkeypatch: pytest.MonkeyPatch) -> None:
    """No extra is needed: with scikit-learn unimportable the digits still load."""
    import sys

    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    ds = digits_dataset(32, 4, seed=1)
    assert ds.X.shape == (32, 4) and ds.Y.shape == (32, 1)
    assert np.allclose(ds.X.mean(axis=0), 0.0, atol=1e-12)
    assert np.allclose(ds.X.std(axis=0), 1.0)
