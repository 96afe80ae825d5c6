#!/usr/bin/env python
"""C3 spectrum on M: H = g g^T for scalar networks (sympy); eigenvalue 1 of DG
with multiplicity dim M and certified normal eigenvalues for matrix networks.

Usage: ``python proofs/c3_spectrum_on_manifold.py [--quick] [--json]``; exit status 1 only when a
check failed (not certified checks say why and do not fail).
The checks live in :mod:`dynsys_gd.claims` (also run by ``dynsys-gd prove``).
"""

import sys

from dynsys_gd.claims import proof_main

if __name__ == "__main__":
    sys.exit(proof_main("C3"))
