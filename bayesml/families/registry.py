"""The registry of response families: name → :class:`~bayesml.families.base.Family`.

Examples
--------
>>> family = get_family("poisson")
>>> family.link.name, family.has_dispersion
('log', False)
>>> get_family("bernoulli", link="probit")
Family('bernoulli', link='probit')
"""

from __future__ import annotations

from collections.abc import Callable

from bayesml.families._names import resolve_name
from bayesml.families.base import Family
from bayesml.families.binary import Bernoulli, Binomial
from bayesml.families.categorical import Categorical, Multinomial
from bayesml.families.counts import NegativeBinomial, Poisson
from bayesml.families.hurdle import (
    HurdleGamma,
    HurdleLogNormal,
    HurdleNegativeBinomial,
    HurdlePoisson,
)
from bayesml.families.links import Link
from bayesml.families.normal import Gaussian, LogNormal, StudentT
from bayesml.families.ordinal import Acat, Cumulative, Sratio
from bayesml.families.positive import Gamma
from bayesml.families.unit_interval import Beta
from bayesml.families.zero_inflated import (
    ZeroInflatedBinomial,
    ZeroInflatedNegativeBinomial,
    ZeroInflatedPoisson,
)

__all__ = ["DEFAULT_FAMILY", "FAMILIES", "FAMILY_ALIASES", "family_names", "get_family"]

# fmt: off
FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        Gaussian(), StudentT(), LogNormal(),  # normal.py
        Bernoulli(), Binomial(),  # binary.py
        Poisson(), NegativeBinomial(),  # counts.py
        Gamma(),  # positive.py
        Beta(),  # unit_interval.py
        Cumulative(), Sratio(), Acat(),  # ordinal.py
        Categorical(), Multinomial(),  # categorical.py
        ZeroInflatedPoisson(), ZeroInflatedNegativeBinomial(), ZeroInflatedBinomial(),  # zero_inflated.py
        HurdlePoisson(), HurdleNegativeBinomial(), HurdleGamma(), HurdleLogNormal(),  # hurdle.py
    )
}
# fmt: on
"""The registered families, by name, each with its default link."""

FAMILY_ALIASES: dict[str, str] = {
    "normal": "gaussian",
    "negbin": "negative_binomial",
    "negativebinomial": "negative_binomial",
    "student": "student_t",
    "studentt": "student_t",
    "log_normal": "lognormal",
    "zip": "zero_inflated_poisson",
    "zero_inflated_negbinomial": "zero_inflated_negative_binomial",
    "zinb": "zero_inflated_negative_binomial",
    "hurdle_negbinomial": "hurdle_negative_binomial",
}
"""Other accepted spellings of family names."""

DEFAULT_FAMILY = Gaussian.name
"""The family of a model that names none (as in lme4, brms and bambi)."""


def get_family(name: str, link: str | Link | None = None) -> Family:
    """Return the family called ``name`` with ``link`` (its default link when ``None``).

    Parameters
    ----------
    name
        A key of :data:`FAMILIES` or :data:`FAMILY_ALIASES`, case-insensitive
        (``"Gaussian"``, ``"negative-binomial"`` work).
    link
        Name of a link the family supports.

    Raises
    ------
    FamilyError
        If the family is unknown (the message lists the valid names and suggests a close one) or
        does not support ``link`` (the message lists the links it supports).

    Examples
    --------
    >>> get_family("normal")
    Family('gaussian', link='identity')
    """
    key = resolve_name(name, what="family", choices=FAMILIES, aliases=FAMILY_ALIASES)
    family = FAMILIES[key]
    return family if link is None else family.with_link(link)


def family_parameters() -> dict[str, tuple[str, ...]]:
    """Every parameter name of the registered families -> the families that have it."""
    owners: dict[str, list[str]] = {}
    for family in FAMILIES.values():
        for param in family.parameters:
            owners.setdefault(param.name, []).append(family.name)
    return {name: tuple(families) for name, families in owners.items()}


def family_names(where: Callable[[Family], bool]) -> list[str]:
    """Names of the registered families for which ``where(family)`` holds, in registry order
    (e.g. those whose rows carry trials, for messages that name them)."""
    return [name for name, family in FAMILIES.items() if where(family)]
