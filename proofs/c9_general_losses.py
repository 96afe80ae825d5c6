#!/usr/bin/env python
"""C9 general analytic losses: ball-arithmetic det DG and instability of
every critical point of 1/2(xy-1)^2, log cosh(xy-1), 1/4(x^2+y^2-1)^2 above eta* = 1.

Usage: ``python proofs/c9_general_losses.py [--quick] [--json]``; exit status 1 only when a
check failed (not certified checks say why and do not fail).
The checks live in :mod:`dynsys_gd.claims` (also run by ``dynsys-gd prove``).
"""

import sys

from dynsys_gd.claims import proof_main

if __name__ == "__main__":
    sys.exit(proof_main("C9"))
