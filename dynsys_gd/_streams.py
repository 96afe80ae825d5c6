r"""Seeded random streams: one independent stream per (seed, purpose, index).

Every random draw in dynsys_gd comes from :func:`stream` (or :func:`generator`), so two purposes
never share a stream by accident (before, the Monte-Carlo block 0 and the random minima of the
same seed were the same draws).  The stream of ``(seed, purpose, index)`` is the
:class:`numpy.random.SeedSequence` with entropy ``seed`` and spawn key
``(p_0, p_1, index...)``, where ``p_0, p_1`` are two 32-bit words of the BLAKE2b digest of the
purpose name.  SeedSequence mixes the spawn key into its whole state, so streams with different
purposes or indices are statistically independent, and a stream depends only on its own
``(seed, purpose, index)``: not on chunking, executors, the order of calls or the Python process.
Plain ``SeedSequence(seed).spawn(k)`` children have spawn keys of length one, so they never
coincide with these streams either.

Purposes used in the package (names are free-form; keep one per kind of draw):

=====================  ==========================================================  =========
purpose                draws                                                        index
=====================  ==========================================================  =========
``"monte_carlo"``      initialisations of Monte-Carlo sampling block ``b``          ``b``
``"lr_grid"``          per-step-size master seed of a learning-rate sweep           lr bits
``"minima"``           random points of the manifold of minima                      0
``"nonlinear_init"``   initialisations of the non-linear sweep                      0
``"bifurcation_init"`` initialisations of a bifurcation diagram                     0
``"minima_around_flattest"`` minima sampled around the flattest one (stability report)  0
``"sharpness_starts"``  restarts of the numerical minimisation of the sharpness on M   0
``"critical_point_starts"`` Newton starts of the critical-point search                 0
``"certificate_points"`` random rational points tried by the C1 certificate            0
``"manifold_points"``   random rational points of M (C2, C3 certificates)               0
``"claim_runs"``        initialisations of the Monte-Carlo claim checks                 0
``"digits_subsample"``  the images drawn from scikit-learn's digits                     0
=====================  ==========================================================  =========

Examples
--------
>>> import numpy as np
>>> from dynsys_gd._streams import generator
>>> a = generator(0, "monte_carlo", 0).uniform(size=3)
>>> b = generator(0, "minima").uniform(size=3)
>>> bool(np.all(a != b))
True
>>> bool(np.array_equal(a, generator(0, "monte_carlo", 0).uniform(size=3)))
True
"""

from __future__ import annotations

import hashlib
import numbers
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from ._validation import check_int, check_seed, describe
from .errors import InvalidParameterError

__all__ = ["float_key", "generator", "stream"]

_PURPOSE_RE = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")


@lru_cache(maxsize=256)
def _purpose_words(purpose: str) -> tuple[int, int]:
    d = hashlib.blake2b(purpose.encode("ascii"), digest_size=8, person=b"dynsys_gd").digest()
    return int.from_bytes(d[:4], "little"), int.from_bytes(d[4:], "little")


def _check_purpose(purpose: object) -> str:
    if not isinstance(purpose, str) or not _PURPOSE_RE.match(purpose):
        raise InvalidParameterError(
            "purpose must be a lower-case name of letters, digits, '_', '.' or '-' (at most 64 "
            f"characters, starting with a letter); got {describe(purpose)}"
        )
    return purpose


def _check_index(index: object) -> tuple[int, ...]:
    if isinstance(index, numbers.Integral) and not isinstance(index, bool):
        return (check_int("index", index, minimum=0),)
    if isinstance(index, Sequence) and not isinstance(index, str | bytes) and len(index) > 0:
        return tuple(check_int(f"index[{i}]", v, minimum=0) for i, v in enumerate(index))
    raise InvalidParameterError(
        f"index must be an int >= 0 or a non-empty sequence of them; got {describe(index)}"
    )


def stream(
    seed: int | None, purpose: str, index: int | Sequence[int] = 0
) -> np.random.SeedSequence:
    r"""The independent :class:`~numpy.random.SeedSequence` of ``(seed, purpose, index)``.

    Parameters
    ----------
    seed : int >= 0 or None
        Master seed (None: fresh OS entropy, not reproducible).
    purpose : str
        What the draws are for (see the module table), e.g. ``"monte_carlo"``.
    index : int >= 0 or sequence of them
        Which stream of that purpose (e.g. the sampling block); a sequence gives nested
        indices such as ``(block, chunk)``.

    Returns
    -------
    numpy.random.SeedSequence

    Raises
    ------
    InvalidParameterError
        If ``seed`` is not None or an int >= 0, ``purpose`` is not a valid name, or ``index``
        is not an int >= 0 (or a non-empty sequence of them).

    Examples
    --------
    >>> from dynsys_gd._streams import stream
    >>> stream(7, "monte_carlo", 3).spawn_key[-1]
    3
    """
    s = check_seed("seed", seed)
    p = _check_purpose(purpose)
    idx = _check_index(index)
    return np.random.SeedSequence(s, spawn_key=(*_purpose_words(p), *idx))


def generator(
    seed: int | None, purpose: str, index: int | Sequence[int] = 0
) -> np.random.Generator:
    """``numpy.random.default_rng(stream(seed, purpose, index))`` (see :func:`stream`)."""
    return np.random.default_rng(stream(seed, purpose, index))


def float_key(x: float) -> int:
    """The IEEE-754 bits of ``float(x)`` as an int >= 0 (an index naming a float exactly, e.g.
    a step size of a sweep: adding a grid point leaves the others' streams unchanged)."""
    return int(np.array(float(x), dtype=np.float64).view(np.uint64))
