"""The h-likelihood backend: hierarchical GLMs fitted as R's ``hglm`` fits them (EQL, EQL1).

A fast, non-Bayesian fit of the same models as the Bayesian backends: Lee & Nelder's HGLMs with
gaussian, binomial, Poisson or gamma responses, gaussian, gamma, beta or inverse-gamma random
effects, crossed and nested grouping factors, a model for the dispersion, and correlated random
effects (known covariance, CAR). The augmented system is solved on its sparse structure, so fits
scale to millions of rows. This package does not import PyMC and parses no formula: its front
doors are ``Model.fit(method="hlik")`` and :func:`bayesml.hglm`.

>>> from bayesml import hglm
>>> fit = hglm("S ~ factor(Gr) + (1 | System) + offset(log(t))", "pump", family="poisson",
...            random_family="gamma", dispersion=1)
>>> round(fit.lambda_values["System"], 3)
1.047
"""

from bayesml.backends.hlik.api import fit_hlik, fit_matrices
from bayesml.backends.hlik.errors import DivergenceError
from bayesml.backends.hlik.options import RandomFamilySpec
from bayesml.backends.hlik.result import DispersionEstimate, HlikResult, HlikSummary
from bayesml.backends.hlik.rows import MEAN_FAMILIES
from bayesml.families.random_effects import (
    RANDOM_FAMILIES,
    RandomFamily,
    get_random_family,
    supported_random_families,
)

__all__ = [
    "DispersionEstimate",
    "DivergenceError",
    "HlikResult",
    "HlikSummary",
    "MEAN_FAMILIES",
    "RANDOM_FAMILIES",
    "RandomFamily",
    "RandomFamilySpec",
    "fit_hlik",
    "fit_matrices",
    "get_random_family",
    "supported_random_families",
]
