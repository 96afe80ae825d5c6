#!/usr/bin/env python
"""C5 critical step size: S_min = N |y|^(2-2/N) by AM-GM / Lagrange (sympy),
whitened closed form certified by ball arithmetic, eta* = 2/S_min.

Usage: ``python proofs/c5_critical_lr.py [--quick] [--json]``; exit status 1 only when a
check failed (not certified checks say why and do not fail).
The checks live in :mod:`dynsys_gd.claims` (also run by ``dynsys-gd prove``).
"""

import sys

from dynsys_gd.claims import proof_main

if __name__ == "__main__":
    sys.exit(proof_main("C5"))
