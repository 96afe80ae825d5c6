"""Example budgets of property tests that follow the hypothesis profile.

A test that needs fewer examples than the profile's default in CI (each example is slow) writes
``@settings(max_examples=examples(6))``: 6 under ``ci`` (25 examples by default), and the same
share of any other profile, so ``HYPOTHESIS_PROFILE=thorough`` (1,000) draws 240.  A literal
``max_examples=N`` pin would ignore the profile.
"""

from __future__ import annotations

from hypothesis import settings

#: ``max_examples`` of the ``ci`` profile (tests/conftest.py).
CI_EXAMPLES = 25


def examples(ci: int) -> int:
    """``ci`` examples under the ci profile, scaled by the loaded profile's ``max_examples``."""
    return max(1, round(ci * settings.default.max_examples / CI_EXAMPLES))
