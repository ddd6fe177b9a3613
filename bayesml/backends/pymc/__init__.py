"""PyMC backend: build a PyMC graph from a design and sample it with NUTS.

Importing this package imports PyMC; the rest of bayesml imports it lazily.
"""

from bayesml.backends.pymc.builder import BuildInfo, build_pymc_model
from bayesml.backends.pymc.sampling import sample_nuts, sample_prior_predictive

__all__ = ["BuildInfo", "build_pymc_model", "sample_nuts", "sample_prior_predictive"]
