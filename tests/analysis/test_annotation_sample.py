"""The annotated sample of a Monte-Carlo job: its size per model, and the same result for every
chunking when a work unit straddles its end."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import dynsys_gd as dg
from dynsys_gd.analysis.annotation_sample import (
    ANNOTATED_SAMPLES,
    MIN_ANNOTATED_SAMPLES,
    annotated_rows,
    annotated_samples,
    annotation_size,
)
from dynsys_gd.numeric.engine import EngineConfig
from dynsys_gd.numeric.engine.run import run_outcomes


def _square(width: int) -> dg.LinearNetwork:
    target = np.eye(width) + 0.1 * np.ones((width, width))
    return dg.LinearNetwork.from_covariances((width,) * 3, Sxx=np.eye(width), Syx=target)


@pytest.mark.parametrize(
    ("width", "size", "m"),
    [(2, 4, ANNOTATED_SAMPLES), (4, 16, ANNOTATED_SAMPLES), (8, 64, 128), (16, 256, 64)],
)
def test_sample_shrinks_with_the_annotation_size(width: int, size: int, m: int) -> None:
    # s = d_N d_0 for a linear network with a manifold; m = 1024 (16 / s)^(3/2), at least 64
    net = _square(width)
    assert annotation_size(net) == size
    assert annotated_samples(net) == m
    assert MIN_ANNOTATED_SAMPLES <= m <= ANNOTATED_SAMPLES


def test_scalar_networks_and_losses_annotate_the_full_sample() -> None:
    assert annotated_samples(dg.LinearNetwork.scalar(depth=3, target=2.0)) == ANNOTATED_SAMPLES
    x, y = sp.symbols("x y")
    loss = dg.LossModel(sp.Rational(1, 2) * (x * y - 1) ** 2, (x, y), name="xy")
    assert annotation_size(loss) == 2
    assert annotated_samples(loss) == ANNOTATED_SAMPLES


def test_a_unit_straddling_the_end_of_the_sample_annotates_its_first_rows() -> None:
    cfg = EngineConfig()
    assert annotated_rows(cfg, 100, 0, 64, 192) == (36, cfg)  # rows 64..99 of 64..191
    assert annotated_rows(cfg, 100, 0, 0, 64) == (64, cfg)  # wholly inside the sample
    k, plain = annotated_rows(cfg, 100, 4096, 0, 64)  # a later block: none annotated
    assert k == 0 and not plain.limits and not plain.certificate
    assert plain.check_every == cfg.check_every  # only the annotations are switched off


def test_annotating_some_rows_gives_their_columns_of_a_fully_annotated_call() -> None:
    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    th = np.random.default_rng(1).uniform(-1.5, 1.5, (300, 3))
    full = run_outcomes(net, th, 0.1)
    mask = np.arange(300) < 120
    some = run_outcomes(net, th, 0.1, annotate=mask)
    plain = run_outcomes(net, th, 0.1, config=EngineConfig(limits=False, certificate=False))
    for f in ("sharpness", "lam_min", "at_minimum", "certified"):
        a, b, c = (np.asarray(getattr(r, f)) for r in (full, some, plain))
        assert np.array_equal(b[mask], a[mask]) and np.array_equal(b[~mask], c[~mask]), f
    assert np.any(np.asarray(full.sharpness)[mask] > 0)  # the annotated rows carry values
    for f in ("outcome", "steps", "theta"):
        assert np.array_equal(np.asarray(getattr(some, f)), np.asarray(getattr(full, f)))


def test_estimate_is_the_same_for_units_straddling_the_sample_end() -> None:
    net = dg.LinearNetwork.scalar(depth=2, target=1.0)
    n = ANNOTATED_SAMPLES + 300
    kw = {"n_samples": n, "seed": 3, "init_scale": 1.5}
    whole = dg.estimate_convergent_fraction(net, 0.9, **kw)
    cut = dg.estimate_convergent_fraction(net, 0.9, chunk_size=300, **kw)  # 900..1200 straddles
    assert whole.to_dict() == cut.to_dict()
    assert whole.annotated_samples == ANNOTATED_SAMPLES
    assert 0 < whole.n_annotated < whole.n_converged  # a sample, not every converged run
    assert whole.n_to_minima + whole.n_to_saddles == whole.n_annotated
    kinds = whole.n_limit_global + whole.n_limit_local + whole.n_limit_saddle
    assert kinds == whole.n_annotated  # the limit kinds count the same runs
    assert f"among the first {ANNOTATED_SAMPLES} initialisations" in whole.summary()


def test_sweep_is_the_same_for_units_straddling_the_sample_end() -> None:
    net = dg.LinearNetwork.scalar(depth=2, target=1.0)
    kw = {"n_samples": ANNOTATED_SAMPLES + 100, "seed": 5, "init_scale": 1.5}
    whole = dg.lr_sweep(net, [0.8, 0.95], **kw)
    cut = dg.lr_sweep(net, [0.8, 0.95], chunk_size=250, **kw)
    for e1, e2 in zip(whole.estimates, cut.estimates, strict=True):
        assert e1.to_dict() == e2.to_dict()
        assert e1.n_annotated < e1.n_converged
    assert f"first {ANNOTATED_SAMPLES} of" in whole.summary()
