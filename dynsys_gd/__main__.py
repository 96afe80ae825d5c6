"""``python -m dynsys_gd`` runs the ``dynsys-gd`` command."""

import sys

from .cli import main

sys.exit(main())
