"""NUTS backend: build a PyMC graph from a design and sample it with nutpie, PyMC or numpyro.

Importing :mod:`bayesml.backends.pymc.builder`, ``sampling`` and the rest imports PyMC; this package
and :mod:`~bayesml.backends.pymc.backend` (the backend object the registry loads) and
:mod:`~bayesml.backends.pymc.effects` do not, so a model can be described without PyMC.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bayesml._lazy import lazy_exports

if TYPE_CHECKING:
    from bayesml.backends.pymc.builder import BuildInfo, build_pymc_model
    from bayesml.backends.pymc.sampling import sample_nuts, sample_prior_predictive

__all__ = ["BuildInfo", "build_pymc_model", "sample_nuts", "sample_prior_predictive"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "BuildInfo": "bayesml.backends.pymc.builder",
        "build_pymc_model": "bayesml.backends.pymc.builder",
        "sample_nuts": "bayesml.backends.pymc.sampling",
        "sample_prior_predictive": "bayesml.backends.pymc.sampling",
    },
)
