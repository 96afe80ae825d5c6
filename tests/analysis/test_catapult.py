"""Catapult outcomes and the phase diagram of the uv model against lr * lambda0."""

from __future__ import annotations

import json

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.analysis.catapult import catapult_outcome, catapult_phase_diagram
from dynsys_gd.errors import InvalidParameterError


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((1.0, 1e-9, 0.5, 1.0), "lazy"),
        ((5.0, 1e-9, 0.5, 1.0), "catapult"),
        ((5.0, 1e-9, 1.5, 1.0), "spiked"),
        ((5.0, 1e-3, 0.5, 1.0), "undecided"),
        ((np.inf, np.nan, np.nan, 1.0), "divergent"),
        ((1.9, 1e-9, 0.5, 1.0), "lazy"),  # below the stated spike factor 2
    ],
)
def test_catapult_outcome_rules(args: tuple, expected: str) -> None:
    assert catapult_outcome(*args, spike_factor=2.0, grad_tol=1e-6) == expected


def _uv(width: int = 64) -> dg.MLP:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4, 1))
    return dg.MLP((1, width, 1), "identity", X=X, Y=0.5 * X)


def test_uv_model_is_lazy_below_two_catapults_between_and_diverges_above_four() -> None:
    r = catapult_phase_diagram(_uv(), [1.5, 1.9, 3.0, 4.5], n_init=4, steps=600)
    assert r.phase == ("lazy", "lazy", "catapult", "divergent")
    assert r.lower_edge == (1.9, 3.0) and r.upper_edge == (3.0, 4.5)
    # lazy runs stay near initialisation; catapults end flatter than they started
    cat = r.outcomes == "catapult"
    assert np.all(r.final_sharpness[cat] < np.broadcast_to(r.lam0, cat.shape)[cat])
    assert np.all(r.spike[cat] >= 2.0) and np.all(np.isinf(r.spike[r.outcomes == "divergent"]))
    # the sharpness at initialisation is the top eigenvalue of the dense Hessian
    m = _uv()
    th0 = m.init(0, 4)
    dense = np.linalg.eigvalsh(m.hessian(th0))[:, -1]
    np.testing.assert_allclose(r.lam0, dense, rtol=1e-9)
    df = r.to_pandas()
    assert list(df["phase"]) == list(r.phase) and df["fraction.lazy"].iloc[0] == 1.0
    json.dumps(r.to_dict())
    assert "upper edge" in r.summary() and "CatapultPhaseDiagram(" in repr(r)
    assert len(r.plot().axes) == 1


@pytest.mark.parametrize(
    ("kwargs", "regex"),
    [
        ({"c_values": [2.0, 1.0]}, "c_values must be increasing"),
        ({"c_values": [0.0, 1.0]}, "c_values must be increasing"),
        ({"spike_factor": 1.0}, "spike_factor must be > 1"),
        ({"n_init": 0}, "n_init must be"),
        ({"grad_tol": -1.0}, "grad_tol must be"),
    ],
)
def test_bad_input(kwargs: dict, regex: str) -> None:
    args = {"c_values": [1.0, 2.0], **kwargs}
    with pytest.raises(InvalidParameterError, match=regex):
        catapult_phase_diagram(_uv(), **args)
