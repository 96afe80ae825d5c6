"""The pilot of the long-job warning times the job's own first runs: for the built-in samplers
it draws only those rows, which are the first rows of the job's first sampling block."""

from __future__ import annotations

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.analysis.convergence_tasks import PILOT_RUNS, pilot_runs, sample_block
from dynsys_gd.numeric.engine.run import EngineConfig


@pytest.mark.parametrize("init", ["uniform", "gaussian"])
@pytest.mark.parametrize("P", [1, 3, 8])
def test_the_first_rows_of_a_block_are_a_shorter_block(init: str, P: int) -> None:
    full = sample_block(init, 1.3, 5, 0, 4096, P)
    assert np.array_equal(full[:PILOT_RUNS], sample_block(init, 1.3, 5, 0, PILOT_RUNS, P))
    assert np.array_equal(full[:7], sample_block(init, 1.3, 5, 0, 7, P))


def test_the_pilot_times_its_runs_and_extrapolates_to_the_job() -> None:
    net = dg.LinearNetwork.scalar(depth=3, target=2.0)
    runs, total, annotations = pilot_runs(
        net, [0.2, 0.25], "uniform", 2.0, [0, 1], 10**6, EngineConfig()
    )
    assert runs == PILOT_RUNS  # 32 per step size
    assert total > 0.0 and annotations >= 0.0
    runs, _, annotations = pilot_runs(
        net, [0.2], "gaussian", 1.0, [0], 10, EngineConfig(limits=False)
    )
    assert runs == 10 and annotations >= 0.0  # at most 10 runs: no more to time


def test_the_pilot_loads_the_kernels_untimed_only_when_they_are_not_loaded(monkeypatch) -> None:
    import dynsys_gd.analysis.convergence_tasks as ct

    calls: list[int] = []
    real = ct.run_outcomes

    def counted(model, theta0, lr, **kw):  # type: ignore[no-untyped-def]
        calls.append(len(theta0))
        return real(model, theta0, lr, **kw)

    monkeypatch.setattr(ct, "run_outcomes", counted)
    net = dg.LinearNetwork.scalar(depth=4, target=1.5)  # a fresh network: nothing described yet
    pilot_runs(net, [0.1], "uniform", 1.0, [0], 10**6, EngineConfig())
    assert calls == [1, PILOT_RUNS]  # the first run loads the kernels, untimed
    calls.clear()
    pilot_runs(net, [0.1], "uniform", 1.0, [0], 10**6, EngineConfig())
    assert calls == [PILOT_RUNS]  # loaded: only the timed runs
    calls.clear()
    momentum = EngineConfig(optimizer=dg.HeavyBall(0.5))  # its block may not be loaded
    pilot_runs(net, [0.1], "uniform", 1.0, [0], 10**6, momentum)
    assert calls == [1, PILOT_RUNS]
