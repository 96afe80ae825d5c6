r"""Loss conventions and conversions of step sizes between them.

Other papers write the loss as :math:`\sum_k \lVert\cdot\rVert^2` (no ½, no 1/n) and similar.
Such a loss is :math:`c \cdot L` for a constant :math:`c`; every Hessian eigenvalue is multiplied
by :math:`c` and every critical step size divided by it.  ``convention=`` on the constructors
makes the choice explicit (the data covariances are scaled, never silently), and
:func:`convention_factor` / :func:`convert_lr` convert numbers between conventions.
"""

from __future__ import annotations

from fractions import Fraction

from .._validation import check_choice, check_int, check_real

#: Loss conventions: name -> (description, factor as a function of the sample count n) such that
#: ``L_convention = factor(n) * L_dynsys_gd`` where ``L_dynsys_gd = 1/(2n) sum ||W x - y||^2``.
CONVENTIONS: dict[str, str] = {
    "mean_half": "1/(2n) sum_k ||W x_k - y_k||^2 (dynsys_gd's convention)",
    "half_sum": "1/2 sum_k ||W x_k - y_k||^2",
    "mean": "1/n sum_k ||W x_k - y_k||^2",
    "sum": "sum_k ||W x_k - y_k||^2",
}


def convention_factor(convention: str, n_samples: int = 1) -> Fraction:
    r"""Factor :math:`c` with :math:`L_{\text{convention}} = c \, L_{\text{mean\_half}}`.

    Parameters
    ----------
    convention : {"mean_half", "half_sum", "mean", "sum"}
        See :data:`CONVENTIONS`.
    n_samples : int
        Number of data points :math:`n`.

    Returns
    -------
    fractions.Fraction
        ``1``, ``n``, ``2`` or ``2n`` respectively.  Sharpness scales by ``c`` and the critical
        step size :math:`\eta^* = 2/S_{\min}` by ``1/c``.
    """
    check_choice("convention", convention, tuple(CONVENTIONS))
    n = check_int("n_samples", n_samples, minimum=1)
    return {
        "mean_half": Fraction(1),
        "half_sum": Fraction(n),
        "mean": Fraction(2),
        "sum": Fraction(2 * n),
    }[convention]


def convert_lr(lr: float, *, from_convention: str, to_convention: str, n_samples: int = 1) -> float:
    r"""Convert a step size between loss conventions.

    GD on :math:`cL` with step :math:`\eta` is GD on :math:`L` with step :math:`c\eta`, so
    :math:`\eta_{\text{to}} = \eta_{\text{from}} \, c_{\text{from}} / c_{\text{to}}`.
    """
    value = check_real("lr", lr)
    c_from = convention_factor(from_convention, n_samples)
    c_to = convention_factor(to_convention, n_samples)
    return float(value * c_from / c_to)
