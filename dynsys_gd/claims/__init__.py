"""Checks of the claims C1–C10, one module per claim, each owning its statement and checks.

:func:`run_claims` runs them (also ``dynsys-gd prove`` and the scripts in ``proofs/``).
"""

from .c1_nonsingularity import check_c1
from .c2_manifold import check_c2
from .c3_spectrum_on_manifold import check_c3
from .c4_properness import check_c4
from .c5_critical_lr import check_c5
from .c6_main_theorem import check_c6
from .c7_sharp_transition import check_c7
from .c8_edge_of_stability import check_c8
from .c9_general_losses import check_c9
from .c10_nonsingular_mlp import check_c10
from .registry import CLAIMS, ClaimSpec, proof_main, run_claim, run_claims
from .report import METHODS, Check, ClaimResult, ClaimsReport, ClaimStatement, Status

__all__ = [
    "CLAIMS",
    "METHODS",
    "Check",
    "ClaimResult",
    "ClaimSpec",
    "ClaimStatement",
    "ClaimsReport",
    "Status",
    "check_c1",
    "check_c2",
    "check_c3",
    "check_c4",
    "check_c5",
    "check_c6",
    "check_c7",
    "check_c8",
    "check_c9",
    "check_c10",
    "proof_main",
    "run_claim",
    "run_claims",
]
