#!/usr/bin/env python
"""C4 properness: the sharpness grows without bound along M (sympy limits,
certified enclosures along a curve of M).

Usage: ``python proofs/c4_properness.py [--quick] [--json]``; exit status 1 only when a
check failed (not certified checks say why and do not fail).
The checks live in :mod:`dynsys_gd.claims` (also run by ``dynsys-gd prove``).
"""

import sys

from dynsys_gd.claims import proof_main

if __name__ == "__main__":
    sys.exit(proof_main("C4"))
