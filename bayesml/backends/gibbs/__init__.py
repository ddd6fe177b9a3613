"""Gibbs backend: blocked Gibbs samplers for hierarchical Gaussian, probit, logit and ordinal
probit models.

``sample_gibbs(design, priors, family, ...)`` returns the same result as the NUTS backend (the
shared posterior names). Numpy and scipy only: this package never imports PyMC. The names are
imported on first use, so that the worker processes that run the chains import only the sampler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bayesml._lazy import lazy_exports

if TYPE_CHECKING:
    from bayesml.backends.gibbs.api import sample_gibbs
    from bayesml.backends.gibbs.problem import LIKELIHOODS, build_problem

__all__ = ["LIKELIHOODS", "build_problem", "sample_gibbs"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "sample_gibbs": "bayesml.backends.gibbs.api",
        "LIKELIHOODS": "bayesml.backends.gibbs.problem",
        "build_problem": "bayesml.backends.gibbs.problem",
    },
)
