"""The engine's optimiser state (numeric/engine/run.py, record.py): the initial state built slice
by slice equals the whole-batch ``init_state``, and recorded runs of an optimiser replay the
unrecorded run bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import dynsys_gd as dg
from dynsys_gd.numeric.engine.outcomes import Outcome

SCALAR3 = dg.LinearNetwork.scalar(depth=3, target=2.0)
OPTIMIZERS = {
    "heavy-ball": dg.HeavyBall(0.5),
    "adam": dg.Adam(),  # a scalar state entry that starts at 1, not 0
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_recorded_optimizer_runs_replay_the_run(name: str) -> None:
    """A recorded run starts at its theta0 and ends at the run's final parameters and step."""
    opt = OPTIMIZERS[name]
    th = np.random.default_rng(3).uniform(-1.5, 1.5, (30, 3))
    cfg = dg.EngineConfig(max_steps=1024, max_extension=4.0)
    runs = (0, 7, 29)
    rb = dg.run_gd(SCALAR3, th, 0.05, config=cfg, optimizer=opt, record={"runs": runs})
    plain = dg.run_gd(SCALAR3, th, 0.05, config=cfg, optimizer=opt)
    assert np.array_equal(rb.state, plain.state) and np.array_equal(rb.steps, plain.steps)
    assert rb.trajectories is not None and len(rb.trajectories) == len(runs)
    for tr in rb.trajectories:
        assert np.array_equal(tr.theta[0], th[tr.run])
        assert int(tr.steps[-1]) == int(rb.steps[tr.run])
        if rb.outcome[tr.run] != Outcome.DIVERGED.code:
            assert np.array_equal(tr.theta[-1], rb.theta[tr.run])


def test_state_built_per_slice_equals_the_whole_batch_state() -> None:
    """The compiled path builds each slice's initial state from its own rows (two threads,
    several slices); the numpy reference starts from ``init_state`` of the whole batch: the
    final states agree bit for bit (Adam: a scalar entry that starts at 1)."""
    opt = dg.Adam()
    th = np.random.default_rng(4).uniform(-1.5, 1.5, (700, 3))
    cfg = dg.EngineConfig(max_steps=128, max_extension=1.0)
    a = dg.run_gd(SCALAR3, th, 0.05, config=cfg, optimizer=opt, workers=2)
    b = dg.run_gd(SCALAR3, th, 0.05, config=cfg, optimizer=opt, backend="numpy")
    assert a.state is not None and a.state.shape == (700, opt.state_size(3))
    assert np.array_equal(a.state, b.state) and np.array_equal(a.steps, b.steps)
    assert np.array_equal(a.theta, a.state[:, :3]) and a.theta.flags.c_contiguous
