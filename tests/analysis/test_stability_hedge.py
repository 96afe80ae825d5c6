"""The stability report's verdict and prediction use prove's three-valued wording, and the
limits of converged runs are counted by kind."""

import numpy as np
import pytest
import sympy as sp

from dynsys_gd import critical_lr, stability_analysis
from dynsys_gd.models import LinearNetwork, LossModel


def _deep_general() -> LinearNetwork:
    W = np.array([[1.5, 0.3], [-0.2, 0.7]])
    return LinearNetwork.from_covariances(
        (2, 2, 2, 2), Sxx=np.array([[2.0, 0.5], [0.5, 1.0]]), Syx=W
    )


def test_numerical_smin_is_hedged_in_text_and_json(monkeypatch):
    from dynsys_gd.numeric.landscape import sharpness

    monkeypatch.setattr(sharpness, "DEEP_CERTIFY_MAX_OUTER", 0)  # no deep certificate
    net = _deep_general()
    r = stability_analysis(net, 1.05 * critical_lr(net), n_samples=0)
    assert r.certainty is not None and r.certainty.kind == "numerical"
    assert "[not certified: numerical S_min, not certified" in r.summary()
    assert r.prediction.startswith("not certified (numerical S_min, not certified): C6")
    d = r.to_dict()
    assert d["smin_certified"] is False and d["verdict_status"] == "not certified"


def test_certified_and_closed_form_smin_are_not_hedged():
    r = stability_analysis(3, 0.3, target=2.0, n_samples=0)  # AM-GM closed form, above eta*
    assert r.certainty.kind == "closed form" and r.certainty.status == "passed"
    assert "not certified" not in r.prediction
    net = LinearNetwork.from_covariances(
        (2, 2, 2), Sxx=np.array([[2.0, 0.5], [0.5, 1.0]]), Syx=np.array([[1.5, 0.3], [-0.2, 0.7]])
    )
    r2 = stability_analysis(net, 1.05 * critical_lr(net), n_samples=0)  # depth-2 SDP
    assert r2.certainty.kind == "certified" and r2.certainty.status == "passed"
    assert r2.to_dict()["smin_bounds"][0] > 2 / r2.lr
    r3 = stability_analysis(_deep_general(), 1.05 * 0.470278, n_samples=0)  # depth 3
    assert r3.certainty.kind == "certified" and r3.certainty.status == "passed"
    lo, hi = r3.to_dict()["smin_bounds"]
    assert lo > 2 / r3.lr and (hi - lo) / hi < 1e-9


@pytest.mark.slow  # about 20 s: the critical-point search, 100 runs and their replay
def test_line_of_local_minima_named_against_the_null_set_prediction():
    a, b = sp.symbols("a b")
    m = LossModel((a**2 * b - 1) ** 2 / 2, (a, b))
    r = stability_analysis(m, 1.1 * critical_lr(m), n_samples=100, seed=0)
    lab = r.limit_labels
    assert lab is not None and len(lab.kinds) == r.convergence.counts["converged"] > 0
    assert lab.counts["global_minimum"] == 0 and lab.counts["local_minimum"] == len(lab.kinds)
    (line,) = lab.sets
    assert line.loss == 0.5 and line.dimension == 1 and line.listed is False
    assert line.point[0] == 0.0 or abs(line.point[0]) < 1e-6
    assert line.point[1] < 0
    text = r.summary()
    assert "contradiction" in text and "{a = 0, b in [" in text
    assert "that the critical-point search missed" in r.contradiction
    assert r.to_dict()["limit_labels"]["counts"]["local_minimum"] == len(lab.kinds)
    # the estimate's own counts, against the lowest minimum the search found, agree
    c = r.convergence
    assert (c.n_limit_global, c.n_limit_local, c.n_limit_saddle) == (0, len(lab.kinds), 0)
