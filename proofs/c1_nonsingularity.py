#!/usr/bin/env python
"""C1 non-singularity: det DG_eta is not identically zero (exact rational /
modular certificates; the depth-1 exception eta = 1/lambda_i(Sxx) is reported).

Usage: ``python proofs/c1_nonsingularity.py [--quick] [--json]``; exit status 1 only when a
check failed (not certified checks say why and do not fail).
The checks live in :mod:`dynsys_gd.claims` (also run by ``dynsys-gd prove``).
"""

import sys

from dynsys_gd.claims import proof_main

if __name__ == "__main__":
    sys.exit(proof_main("C1"))
