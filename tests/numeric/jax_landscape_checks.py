"""dg.JaxModel through critical_lr (every optimiser with a threshold), min_sharpness,
flattest_minimum and critical_points (run by ``test_protocol_landscape.py`` in a separate pytest
process: this file's name keeps it out of the main collection)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jax")

import dynsys_gd as dg


def _product(t):  # type: ignore[no-untyped-def]
    return 0.5 * (t[0] * t[1] - 1.0) ** 2


def test_jax_model_landscape() -> None:
    jm = dg.JaxModel(_product, 2)
    flat = dg.flattest_minimum(jm)
    assert flat.sharpness == pytest.approx(2.0, rel=1e-9) and flat.certified is False
    assert flat.to_dict()["certainty"] == "numerical, not certified"
    np.testing.assert_allclose(np.abs(flat.point), [1.0, 1.0], atol=1e-5)
    assert dg.min_sharpness(jm) == flat.sharpness
    assert dg.critical_lr(jm) == pytest.approx(1.0, rel=1e-9)
    assert dg.critical_lr(jm, optimizer=dg.HeavyBall(0.5)) == pytest.approx(1.5, rel=1e-9)
    assert dg.critical_lr(jm, optimizer=dg.Nesterov(0.5)) == pytest.approx(0.75, rel=1e-9)
    adam = dg.Adam(beta1=0.9, frozen=[1.0, 1.0])  # (2 + 2 beta1)/(1 - beta1) / S_min
    assert dg.critical_lr(jm, optimizer=adam) == pytest.approx(19.0, rel=1e-9)
    res = dg.critical_points(jm, 3.0, lr=0.5, n_starts=16)
    assert not res.complete and all("numerical, not certified" in p.certificate for p in res)
    assert all(abs(p.point[0] * p.point[1] - 1.0) < 1e-9 for p in res.minima)
