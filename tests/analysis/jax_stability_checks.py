"""dg.JaxModel through stability_analysis, estimate_convergent_fraction and lr_sweep with a
store (run by ``test_stability_protocol.py`` in a separate pytest process: this file's name
keeps it out of the main collection)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jax")

import dynsys_gd as dg


def _product(t):  # type: ignore[no-untyped-def]
    return 0.5 * (t[0] * t[1] - 1.0) ** 2


def test_jax_model_through_the_report(tmp_path: Path) -> None:
    jm = dg.JaxModel(_product, 2)
    rep = dg.stability_analysis(jm, 0.5, n_samples=200, seed=1)
    assert rep.critical_lr == pytest.approx(1.0, abs=1e-9)  # S_min = 2 at |x| = |y| = 1
    np.testing.assert_allclose(np.abs(rep.flattest.point), [1.0, 1.0], atol=1e-5)
    assert rep.to_dict()["smin_certified"] is False
    assert rep.prediction.startswith("not certified (numerical S_min, not certified)")
    est = dg.estimate_convergent_fraction(jm, 0.5, n_samples=200, seed=1)
    assert rep.convergence.counts == est.counts and est.fraction > 0.5
    above = dg.stability_analysis(jm, 1.2, n_samples=200, seed=1)
    assert above.verdict is dg.LRVerdict.ABOVE and above.convergence.fraction == 0.0
    store = tmp_path / "s.sqlite"
    s1 = dg.lr_sweep(jm, [0.5, 1.2], n_samples=100, seed=1, store=store)
    s2 = dg.lr_sweep(dg.JaxModel(_product, 2), [0.5, 1.2], n_samples=100, seed=1, store=store)
    np.testing.assert_array_equal(s1.fraction, s2.fraction)
    assert s1.fraction[1] == 0.0
