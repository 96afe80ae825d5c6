"""Basins and trainability maps on a Dask cluster are bit-identical to the serial run."""

from __future__ import annotations

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.runtime.executors import make_executor

pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def dask_executor():
    with make_executor(scheduler="local", workers=2, processes=False) as ex:
        yield ex


def test_basins_on_dask_are_bit_identical(dask_executor):
    xy = dg.LinearNetwork.scalar(depth=2, target=1.0)
    g = np.linspace(-2, 2, 40)
    ref = dg.basins_of_attraction(xy, (g, g), lr=1.01, steps=200)
    on_dask = dg.basins_of_attraction(
        xy, (g, g), lr=1.01, steps=200, chunk=123, executor=dask_executor
    )
    assert np.array_equal(ref.labels, on_dask.labels)
    assert np.array_equal(ref.period, on_dask.period)
    assert np.array_equal(ref.steps, on_dask.steps)
    assert (ref.labels == -1).any() and (ref.labels != -1).any()  # a boundary to compare


def test_trainability_map_on_dask_is_bit_identical(dask_executor):
    model, th0 = dg.sohl_dickstein_mlp("tanh", width=3, n_in=1, seed=2)
    lrs = np.logspace(-1, 1.5, 12)
    ref = dg.trainability_map(model, lrs, lrs, theta0=th0, steps=100)
    on_dask = dg.trainability_map(
        model, lrs, lrs, theta0=th0, steps=100, chunk=17, executor=dask_executor
    )
    assert np.array_equal(ref.diverged, on_dask.diverged)
    assert np.array_equal(ref.score, on_dask.score)  # bit-identical floats, inf included
    assert ref.diverged.any() and not ref.diverged.all()
