"""Claim C3: spectrum on m.

On M, H = J^T (I x Sxx) J: DG has eigenvalue 1 with multiplicity dim M (tangent) and 1 - eta
lambda_i on the normal directions.
"""

from __future__ import annotations

import numpy as np

from ..models import LinearNetwork
from ..numeric.landscape.enclosures import certified_spectrum, exact_hessian
from ._common import _ball_interval_text, _scalar_symbols, _whitened
from .certificates import (
    manifold_certificate,
)
from .report import (
    BALL,
    EXACT_SYMBOLIC,
    ClaimResult,
    ClaimStatement,
    _Collector,
)

SPEC = ClaimStatement(
    "C3",
    "Spectrum on M",
    "on M, H = J^T (I x Sxx) J: DG has eigenvalue 1 with multiplicity dim M (tangent) and 1 - "
    "eta lambda_i on the normal directions",
)


def check_c3(*, quick: bool = False) -> ClaimResult:
    r"""C3: on M, :math:`H = J^\top(\Sigma\otimes I)J`; DG has eigenvalue 1 with multiplicity
    dim M and :math:`1-\eta\lambda_i` on the normal directions."""
    import sympy as sp

    col = _Collector()
    for N in (2, 3, 4) if quick else (2, 3, 4, 5):

        def body(N: int = N) -> tuple[bool, str]:
            w, _y, L, on_M = _scalar_symbols(N)
            H = sp.hessian(L, w).subs(on_M)
            g = sp.Matrix([sp.Mul(*[w[j] for j in range(N) if j != i]) for i in range(N)])
            g = g.subs(on_M)
            diff = (H - g * g.T).applyfunc(sp.simplify)
            zero = diff == sp.zeros(N, N)
            Hg = (H * g - (g.T * g)[0] * g).applyfunc(sp.simplify)
            ok = zero and Hg == sp.zeros(N, 1)
            return ok, (
                f"H|_M - g g^T == 0 and H g = |g|^2 g identically (g_i = prod_(j!=i) "
                f"w_j): rank 1, eigenvalue |g|^2 = sum y^2/w_i^2 on the normal, 0 with "
                f"multiplicity {N - 1} = dim M on the tangent"
            )

        col.run(f"scalar N = {N}: H on M = g g^T (rank one)", EXACT_SYMBOLIC, body)

    for name, net in [
        ("whitened (2, 2, 2)", _whitened(2)),
        (
            "non-whitened (3, 4, 3)",
            LinearNetwork.from_covariances(
                (3, 4, 3), Sxx=np.diag([1.0, 2.0, 3.0]), Syx=np.ones((3, 3)) + np.eye(3)
            ),
        ),
    ]:

        def mat(net: LinearNetwork = net) -> tuple[bool, str]:
            c = manifold_certificate(net)
            H = exact_hessian(net, list(c.point))
            enc = certified_spectrum(H)
            zero = [cl for cl in enc.clusters if cl.lo <= 0 <= cl.hi]
            others = [cl for cl in enc.clusters if not (cl.lo <= 0 <= cl.hi)]
            ok = (
                c.nullity_H == c.dim_M
                and len(zero) == 1
                and zero[0].count == c.dim_M
                and all(cl.lo > 0 for cl in others)
            )
            normal = ", ".join(_ball_interval_text(cl.lo, cl.hi) for cl in others[:4])
            return ok, (
                f"exact nullity of H = {c.nullity_H} = dim M = {c.dim_M} (DG eigenvalue"
                f" 1 with that multiplicity); certified: {zero[0].count if zero else 0}"
                f" eigenvalues in the cluster at 0, normal eigenvalues > 0 in {normal}"
            )

        col.run(
            f"{name}: eigenvalue 1 of DG has multiplicity dim M; normal part enclosed", BALL, mat
        )
    return col.result(SPEC)
