"""Claim C2: manifold of minima.

M = {W(theta) = W*} is a smooth manifold of dimension P - d_N d_0.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..models import LinearNetwork
from ._common import _whitened
from .certificates import (
    manifold_certificate,
)
from .report import (
    EXACT_RATIONAL,
    ClaimResult,
    ClaimStatement,
    _Collector,
)

SPEC = ClaimStatement(
    "C2", "Manifold of minima", "M = {W(theta) = W*} is a smooth manifold of dimension P - d_N d_0"
)


def check_c2(*, quick: bool = False) -> ClaimResult:
    r"""C2: M is a manifold of dimension :math:`P - d_N d_0` (exact rank of J on M)."""
    col = _Collector()
    cases: list[tuple[str, LinearNetwork, Any]] = [
        ("scalar N = 3, y = 8 at w = (2, 2, 2)", LinearNetwork.scalar(3, 8), [2, 2, 2]),
        ("scalar N = 4, y = -3", LinearNetwork.scalar(4, -3), None),
        ("whitened (2, 2, 2), docs/math/reference-values.md W*", _whitened(2), None),
        (
            "non-whitened (3, 4, 3)",
            LinearNetwork.from_covariances(
                (3, 4, 3), Sxx=np.diag([1.0, 2.0, 3.0]), Syx=np.ones((3, 3)) + np.eye(3)
            ),
            None,
        ),
    ]
    if not quick:
        cases.append(
            (
                "bottleneck-free (2, 3, 3, 2)",
                LinearNetwork.from_covariances(
                    (2, 3, 3, 2),
                    Sxx=np.array([[2.0, 1.0], [1.0, 2.0]]),
                    Syx=np.array([[1.0, 0.0], [1.0, 3.0]]),
                ),
                None,
            )
        )
    for name, net, pt in cases:

        def body(net: LinearNetwork = net, pt: Any = pt) -> tuple[bool, str]:
            c = manifold_certificate(net, pt)
            expected = net.n_params - net.widths[0] * net.widths[-1]
            ok = c.on_manifold and c.full_rank and c.dim_M == expected
            return ok, (
                f"{c.summary()}; expected dim M = P - d_N d_0 = {expected}; "
                f"theta = ({', '.join(str(x) for x in c.point[:6])}"
                f"{', ...' if len(c.point) > 6 else ''})"
            )

        col.run(f"{name}: rank J = d_N d_0 at an exact point of M", EXACT_RATIONAL, body)
    return col.result(SPEC)
