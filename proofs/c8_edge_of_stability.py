#!/usr/bin/env python
"""C8 edge of stability: converged runs end with lambda_max(H) <= 2/eta;
period-2 orbits above eta* (Monte Carlo).

Usage: ``python proofs/c8_edge_of_stability.py [--quick] [--json]``; exit status 1 only when a
check failed (not certified checks say why and do not fail).
The checks live in :mod:`dynsys_gd.claims` (also run by ``dynsys-gd prove``).
"""

import sys

from dynsys_gd.claims import proof_main

if __name__ == "__main__":
    sys.exit(proof_main("C8"))
