"""The h-likelihood backend's error for a fit that breaks down numerically.

(Candidate for :mod:`bayesml.errors`; it lives here until the hierarchy there gains a fitting error.)
"""

from __future__ import annotations

from bayesml.errors import BayesmlError

__all__ = ["DivergenceError"]


class DivergenceError(BayesmlError, FloatingPointError):
    """An iterative fit produced NaN or infinite values; the message names the stage and iteration."""
