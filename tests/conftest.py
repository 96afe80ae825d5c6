"""Test configuration: hypothesis profiles and a non-interactive matplotlib backend.

``HYPOTHESIS_PROFILE=ci`` (the default) keeps the suite fast on 2 cores; ``thorough`` draws many
more examples for long runs.
"""

from __future__ import annotations

import os

import matplotlib
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=60, deadline=None)  # tests/_budget.py scales pins
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
