#!/usr/bin/env python
"""C10 non-singularity of the GD map of tanh / ReLU networks: det DG_eta certified non-zero
by ball arithmetic at random points and step sizes; the depth-1 exception is reported.

Usage: ``python proofs/c10_nonsingular_mlp.py [--quick] [--json]``; exit status 1 only when a
check failed (not certified checks say why and do not fail).
The checks live in :mod:`dynsys_gd.claims` (also run by ``dynsys-gd prove``).
"""

import sys

from dynsys_gd.claims import proof_main

if __name__ == "__main__":
    sys.exit(proof_main("C10"))
