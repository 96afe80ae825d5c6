"""Recording trajectories in :func:`~dynsys_gd.numeric.engine.run_gd`: the ``record``
argument checked against its memory bound, and the recorded runs replayed on the bit-identical
reference path (:mod:`~dynsys_gd.numeric.engine.reference`) with their loss, gradient norm and
sharpness along the way."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._validation import check_int, describe
from ...errors import InvalidParameterError
from ..kernels import NumericModel
from .config import EngineConfig, RecordSpec
from .reference import _run_reference
from .results import RunBatch, Trajectory

__all__: list[str] = []

Array = NDArray[Any]


def _validate_record(
    record: Any, n: int, P: int, cfg: EngineConfig, long_budget: bool
) -> RecordSpec | None:
    if record is None:
        return None
    if isinstance(record, dict):
        try:
            record = RecordSpec(**record)
        except TypeError as exc:
            raise InvalidParameterError(
                f"record must be a RecordSpec or a dict of its fields (runs, every, loss, "
                f"grad_norm, sharpness, max_bytes); got {record!r}"
            ) from exc
    if not isinstance(record, RecordSpec):
        raise InvalidParameterError(
            f"record must be a RecordSpec, a dict or None; got {describe(record)}"
        )
    runs = np.asarray(list(record.runs), dtype=object)
    if runs.size == 0 or not all(
        isinstance(r, int | np.integer) and not isinstance(r, bool) and 0 <= int(r) < n
        for r in runs
    ):
        raise InvalidParameterError(
            f"record.runs must be a non-empty sequence of row indices in [0, {n}); got "
            f"{list(record.runs)!r}"
        )
    check_int("record.every", record.every, minimum=1)
    check_int("record.max_bytes", record.max_bytes, minimum=1)
    _ms, hard = cfg.budgets(long_budget)
    points = hard // record.every + 2
    per_point = 8 * (P + 3) + 8
    need = len(set(int(r) for r in runs)) * points * per_point
    if need > record.max_bytes:
        raise InvalidParameterError(
            f"record would need up to {need / 2**20:.1f} MiB ({len(runs)} runs x {points} kept "
            f"iterates x {P} parameters at the hard cap of {hard} steps), above record.max_bytes "
            f"= {record.max_bytes / 2**20:.1f} MiB; record fewer runs, raise record.every or "
            f"max_bytes"
        )
    return record


def _record(
    model: Any,
    m: NumericModel,
    spec: RecordSpec,
    th0: Array,
    lrs: Array,
    ci: Array,
    cf: Array,
    rb: RunBatch,
    opt: Any = None,
) -> tuple[Trajectory, ...]:
    from .lanes import lane_model

    runs = sorted(set(int(r) for r in spec.runs))
    every = int(spec.every)
    P = int(m.n_params)  # th0: the initial parameters; the optimiser's state starts from them
    kept: dict[int, list[tuple[int, Array]]] = {r: [(0, th0[r, :P].copy())] for r in runs}
    final_steps = {r: int(rb.steps[r]) for r in runs}
    runs_arr = np.asarray(runs)
    from ...optimizers import GD

    rule = opt if opt is not None else GD()
    start = th0[runs_arr] if rule.is_gd else np.ascontiguousarray(rule.init_state(th0[runs_arr]))

    def hook(idx: Array, th_cols: Array, t: int) -> None:
        for j, local in enumerate(idx):
            r = int(runs_arr[local])
            if t <= final_steps[r] and (t % every == 0 or t == final_steps[r]):
                kept[r].append((t, th_cols[:P, j].copy()))

    ref_lm = lane_model(model)
    _run_reference(
        model,
        ref_lm,
        rule,
        start,
        lrs[runs_arr],
        ci,
        cf,
        exact=ref_lm is not None,
        hook=hook,
    )
    out = []
    for r in runs:
        steps = np.array([t for t, _ in kept[r]], dtype=np.int64)
        theta = np.array([x for _, x in kept[r]], dtype=np.float64).reshape(len(steps), -1)
        loss = gn = sh = None
        with np.errstate(all="ignore"):
            if spec.loss:
                loss = np.asarray(m.loss(theta), dtype=np.float64)
            if spec.grad_norm:
                gn = np.linalg.norm(np.asarray(m.gradient(theta), dtype=np.float64), axis=1)
        if spec.sharpness:
            from ..landscape.lanczos import lanczos_sharpness

            sh = np.array(
                [
                    float(np.max(lanczos_sharpness(m, x))) if np.all(np.isfinite(x)) else np.inf
                    for x in theta
                ]
            )
        out.append(
            Trajectory(run=r, steps=steps, theta=theta, loss=loss, grad_norm=gn, sharpness=sh)
        )
    return tuple(out)
