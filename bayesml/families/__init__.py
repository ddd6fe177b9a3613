"""Response families and link functions, with their numpy maths (no PyMC).

Everything a family knows lives here: each family is one object (one module per family or small
group: :mod:`~bayesml.families.normal`, :mod:`~bayesml.families.binary`,
:mod:`~bayesml.families.counts`, :mod:`~bayesml.families.positive`,
:mod:`~bayesml.families.unit_interval`, :mod:`~bayesml.families.zero_inflated`,
:mod:`~bayesml.families.hurdle`, :mod:`~bayesml.families.ordinal`,
:mod:`~bayesml.families.categorical`) with its parameters, log-likelihood, random draws,
variance and deviance, default-prior rule and response checks; :mod:`~bayesml.families.links`
holds the links and :mod:`~bayesml.families.random_effects` the distributions of random effects
of Lee and Nelder's HGLMs.

>>> from bayesml.families import get_family
>>> get_family("binomial", link="probit").link.name
'probit'
"""

from bayesml.families.base import CONSTRAINTS, AuxParam, DefaultPrior, Family, Parameter
from bayesml.families.binary import Bernoulli, Binomial
from bayesml.families.categorical import Categorical, Multinomial
from bayesml.families.counts import NegativeBinomial, Poisson
from bayesml.families.hurdle import (
    HurdleGamma,
    HurdleLogNormal,
    HurdleNegativeBinomial,
    HurdlePoisson,
)
from bayesml.families.links import LINKS, Link, get_link
from bayesml.families.normal import Gaussian, LogNormal, StudentT
from bayesml.families.ordinal import Acat, Cumulative, Sratio
from bayesml.families.positive import Gamma
from bayesml.families.random_effects import (
    DEFAULT_RANDOM_FAMILY,
    RANDOM_FAMILIES,
    RandomFamily,
    get_random_family,
    random_families_for,
    random_family_from_label,
    supported_random_families,
)
from bayesml.families.registry import (
    DEFAULT_FAMILY,
    FAMILIES,
    FAMILY_ALIASES,
    family_names,
    family_parameters,
    get_family,
)
from bayesml.families.responses import RESPONSE_KINDS, ResponseKind
from bayesml.families.unit_interval import Beta
from bayesml.families.zero_inflated import (
    ZeroInflatedBinomial,
    ZeroInflatedNegativeBinomial,
    ZeroInflatedPoisson,
)

__all__ = [
    "Acat",
    "AuxParam",
    "Bernoulli",
    "Beta",
    "Binomial",
    "Categorical",
    "Cumulative",
    "Gamma",
    "Gaussian",
    "HurdleGamma",
    "HurdleLogNormal",
    "HurdleNegativeBinomial",
    "HurdlePoisson",
    "LogNormal",
    "Multinomial",
    "NegativeBinomial",
    "Poisson",
    "Sratio",
    "StudentT",
    "ZeroInflatedBinomial",
    "ZeroInflatedNegativeBinomial",
    "ZeroInflatedPoisson",
    "CONSTRAINTS",
    "DEFAULT_FAMILY",
    "DEFAULT_RANDOM_FAMILY",
    "DefaultPrior",
    "FAMILIES",
    "FAMILY_ALIASES",
    "Family",
    "LINKS",
    "Link",
    "Parameter",
    "RANDOM_FAMILIES",
    "RESPONSE_KINDS",
    "RandomFamily",
    "ResponseKind",
    "family_names",
    "family_parameters",
    "get_family",
    "get_link",
    "get_random_family",
    "random_families_for",
    "random_family_from_label",
    "supported_random_families",
]
