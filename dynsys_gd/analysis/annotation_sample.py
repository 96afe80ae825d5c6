r"""Which runs of a Monte-Carlo job have their limits annotated (docs/math/convergent-set.md).

The limit annotations (Hessian spectrum at the limit, minimum or saddle, the convergence
certificate) cost dense linear algebra per converged run: the eigenvalues of a
:math:`s \times s` matrix, with :math:`s` the codimension :math:`d_N d_0` of the minima manifold
for a linear network (its closed-form spectrum on M) and the number of parameters otherwise.
That is :math:`O(s^3)` per limit, while a run of a square network of width :math:`w` costs
:math:`O(w^3)` per step: for wide models the annotations would dwarf the runs.  So only the
converged runs among the first :math:`m` initialisations of a job are annotated, with

.. math::
    m = \max\Bigl(m_{\min},\ \bigl\lfloor m_{\max} (16 / s)^{3/2} \bigr\rfloor\Bigr)
    \quad (s > 16), \qquad m = m_{\max} \quad (s \le 16),

:math:`m_{\max}` = :data:`ANNOTATED_SAMPLES`, :math:`m_{\min}` = :data:`MIN_ANNOTATED_SAMPLES`
(the exponent :math:`3/2` keeps the annotations' share of the job about constant as
:math:`s = w^2` grows).  The initialisations are i.i.d., so these runs are a uniform random
sample of the converged runs; :math:`m` depends on the model only, so the sample is the same for
every chunking, executor and thread count.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

__all__ = [
    "ANNOTATED_SAMPLES",
    "MIN_ANNOTATED_SAMPLES",
    "SMALL_ANNOTATION",
    "annotated_rows",
    "annotated_samples",
    "annotation_size",
]

#: at most this many initialisations of a job (per step size) have their limits annotated
ANNOTATED_SAMPLES = 1024

#: and at least this many (for the widest models)
MIN_ANNOTATED_SAMPLES = 64

#: models whose annotation matrices are at most this size annotate :data:`ANNOTATED_SAMPLES`
#: (each annotation then costs tens of microseconds)
SMALL_ANNOTATION = 16


def annotation_size(model: Any) -> int:
    """The size :math:`s` of the dense eigenvalue problem of one limit's annotation: the
    codimension :math:`d_N d_0` of M for a linear network with a minima manifold, the number of
    parameters otherwise."""
    from ..errors import InvalidParameterError
    from ..models import LinearNetwork
    from ..numeric.kernels import numeric_model

    if isinstance(model, LinearNetwork):
        try:
            model.require_manifold()
        except InvalidParameterError:
            return int(model.n_params)
        return int(model.widths[-1] * model.widths[0])
    return int(numeric_model(model).n_params)


def annotated_samples(model: Any) -> int:
    """:math:`m`: the limits of the converged runs among the first ``m`` initialisations of a
    job are annotated (module docstring)."""
    s = annotation_size(model)
    if s <= SMALL_ANNOTATION:
        return ANNOTATED_SAMPLES
    m = math.floor(ANNOTATED_SAMPLES * (SMALL_ANNOTATION / s) ** 1.5)
    return max(MIN_ANNOTATED_SAMPLES, min(ANNOTATED_SAMPLES, m))


def annotated_rows(
    config: Any, annotated: int, offset: int, start: int, stop: int
) -> tuple[int, Any]:
    """For the rows ``start:stop`` of a work unit whose row 0 is initialisation ``offset`` of
    its job: ``(k, config)``, the first ``k`` rows being among the first ``annotated``
    initialisations (annotate only those: :func:`~dynsys_gd.numeric.engine.run.run_outcomes`
    with ``annotate``), and the unit's engine settings (``config`` itself when ``k > 0``, else
    with the limit annotations and the certificate off; outcomes never depend on them)."""
    from ..numeric.engine.run import EngineConfig

    k = min(stop, max(start, annotated - offset)) - start
    if k > 0:
        return k, config
    return 0, dataclasses.replace(config or EngineConfig(), limits=False, certificate=False)
