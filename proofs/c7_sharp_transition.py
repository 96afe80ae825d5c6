#!/usr/bin/env python
"""C7 sharp transition: the asymptotic gradient norm is 0 below eta* and
positive above (Monte Carlo).

Usage: ``python proofs/c7_sharp_transition.py [--quick] [--json]``; exit status 1 only when a
check failed (not certified checks say why and do not fail).
The checks live in :mod:`dynsys_gd.claims` (also run by ``dynsys-gd prove``).
"""

import sys

from dynsys_gd.claims import proof_main

if __name__ == "__main__":
    sys.exit(proof_main("C7"))
