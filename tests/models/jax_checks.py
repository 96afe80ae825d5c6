"""dg.JaxModel: autodiff derivatives against the sympy loss, content fingerprints, the analyses
and a store.

Run by ``tests/models/test_jax_model.py`` in a separate pytest process (this file's name keeps it
out of the main collection): once JAX is imported, a later ``os.fork()`` in the same process (the
process pools of other tests) may deadlock, as JAX warns.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

pytest.importorskip("jax")

import dynsys_gd as dg
from dynsys_gd.errors import InvalidParameterError


def _product(t):  # type: ignore[no-untyped-def]
    return 0.5 * (t[0] * t[1] - 1.0) ** 2


def _reference() -> dg.LossModel:
    x, y = sp.symbols("x y")
    return dg.LossModel(sp.Rational(1, 2) * (x * y - 1) ** 2, (x, y))


def test_derivatives_match_the_sympy_loss() -> None:
    jm, ref = dg.JaxModel(_product, 2), _reference()
    rng = np.random.default_rng(0)
    th = rng.uniform(-2, 2, (500, 2))
    v = rng.normal(size=(500, 2))
    np.testing.assert_allclose(jm.loss(th), ref.loss(th), rtol=0, atol=1e-14)
    np.testing.assert_allclose(jm.gradient(th), ref.gradient(th), rtol=0, atol=1e-14)
    np.testing.assert_allclose(jm.hvp(th, v), ref.hvp(th, v), rtol=0, atol=1e-13)
    np.testing.assert_allclose(jm.hessian(th), ref.hessian(th), rtol=0, atol=1e-14)
    assert jm.gradient(th).dtype == np.float64 and jm.gradient([2.0, 1.0]).shape == (2,)
    assert isinstance(jm, dg.Model)


def test_same_counts_as_the_sympy_loss(tmp_path: Path) -> None:
    jm, ref = dg.JaxModel(_product, 2), _reference()
    a = dg.estimate_convergent_fraction(ref, 0.9, n_samples=400, seed=3)
    b = dg.estimate_convergent_fraction(jm, 0.9, n_samples=400, seed=3)
    assert a.counts == b.counts
    store = tmp_path / "s.sqlite"
    s1 = dg.lr_sweep(jm, [0.9, 1.2], n_samples=100, seed=1, store=store)
    s2 = dg.lr_sweep(dg.JaxModel(_product, 2), [0.9, 1.2], n_samples=100, seed=1, store=store)
    np.testing.assert_array_equal(s1.fraction, s2.fraction)
    assert s1.fraction[1] == 0.0  # above eta* = 2 / 2 = 1 no minimum is stable
    spec = dg.fixed_point_spectrum(jm, [1.0, 1.0], 0.9)
    assert spec.sharpness == pytest.approx(2.0, abs=1e-12)


def test_fingerprint_follows_the_content() -> None:

    def shifted(c: float):  # type: ignore[no-untyped-def]
        return lambda t: 0.5 * (t[0] * t[1] - c) ** 2

    fp = dg.JaxModel(_product, 2).fingerprint()
    assert fp == dg.JaxModel(_product, 2).fingerprint()
    assert dg.JaxModel(shifted(1.0), 2).fingerprint() == dg.JaxModel(shifted(1.0), 2).fingerprint()
    assert dg.JaxModel(shifted(1.0), 2).fingerprint() != dg.JaxModel(shifted(2.0), 2).fingerprint()
    assert fp != dg.JaxModel(lambda t: 0.5 * (t[0] * t[1] - 2.0) ** 2, 2).fingerprint()
    assert pickle.loads(pickle.dumps(dg.JaxModel(_product, 2))).fingerprint() == fp


def test_bad_input() -> None:
    with pytest.raises(InvalidParameterError, match="n_params"):
        dg.JaxModel(_product, 0)
    with pytest.raises(InvalidParameterError, match="scalar"):
        dg.JaxModel(lambda t: t * 2.0, 2)
    with pytest.raises(InvalidParameterError, match="Python function"):
        dg.JaxModel(np.sum, 2)
    with pytest.raises(InvalidParameterError, match="theta must have shape"):
        dg.JaxModel(_product, 2).gradient([1.0, 2.0, 3.0])
