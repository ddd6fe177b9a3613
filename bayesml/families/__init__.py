"""Response families and link functions, with their numpy maths (no PyMC).

>>> from bayesml.families import get_family
>>> get_family("binomial", link="probit").link.name
'probit'
"""

from bayesml.families.families import FAMILIES, FAMILY_ALIASES, AuxParam, Family, get_family
from bayesml.families.links import LINKS, Link, get_link

__all__ = [
    "AuxParam",
    "FAMILIES",
    "FAMILY_ALIASES",
    "Family",
    "LINKS",
    "Link",
    "get_family",
    "get_link",
]
