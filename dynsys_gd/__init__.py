"""dynsys_gd: gradient descent as a discrete dynamical system.

Symbolic and numeric checks of the theory of large learning rates (Crăciun & Ghoshdastidar,
arXiv:2402.13108): the claims C1–C9 the toolkit verifies are described in the documentation
(``docs/``).

The public names are listed, grouped by task, in ``dynsys_gd/__init__.pyi``, which type checkers
read.  They are loaded lazily (scientific-python SPEC 1, ``lazy_loader``), so ``import dynsys_gd``
stays fast and each layer loads only when it is used.
"""

from __future__ import annotations

import lazy_loader as _lazy

__version__ = "0.1.0"

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
__all__ = sorted({*__all__, "__version__"})
