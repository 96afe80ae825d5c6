#!/usr/bin/env python
"""C6 main theorem: above eta* every minimum is unstable (certified lower bound of
lambda_max on M above 2/eta) and the converged fraction is 0 (Monte Carlo).

Usage: ``python proofs/c6_main_theorem.py [--quick] [--json]``; exit status 1 on any FAIL.
The checks live in :mod:`dynsys_gd.claims` (also run by ``dynsys-gd prove``).
"""

import sys

from dynsys_gd.claims import proof_main

if __name__ == "__main__":
    sys.exit(proof_main("C6"))
