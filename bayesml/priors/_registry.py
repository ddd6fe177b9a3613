"""The registry of prior distributions: parameter names, defaults, constraints and roles.

The parameter names are part of the spec format (users write them in YAML), so they never change.
Each distribution lists the *roles* it may fill:

========== ============================================================
role       parameter
========== ============================================================
sd         a random-effect standard deviation (``sd_<group>``)
sigma      the residual standard deviation (gaussian, student_t, lognormal)
<param>    every other parameter of a family (:mod:`bayesml.families`): ``nu`` (Student-t
           degrees of freedom), ``alpha`` (negative-binomial or gamma shape), ``kappa`` (beta
           precision); the positive ones take the same priors as an SD; the thresholds
           ``cutpoints`` of the ordinal families take a normal, Student-t or Cauchy prior on each; the probabilities
           ``zi`` (zero-inflation) and ``hu`` (hurdle) take a ``beta`` prior
cov        the covariance matrix of a correlated random-effect term
fixed      a fixed-effect coefficient other than the intercept
intercept  the intercept
========== ============================================================
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from types import MappingProxyType

from bayesml.families import FAMILIES
from bayesml.priors._constraints import (
    POSITIVE,
    POSITIVE_OR_SPD_MATRIX,
    REAL,
    ZERO,
    Constraint,
)

__all__ = [
    "AUX_ROLES",
    "DISTRIBUTIONS",
    "DIST_ALIASES",
    "IMPROPER_LOG_FLAT",
    "POSITIVE_ROLES",
    "VECTOR_NOTES",
    "VECTOR_ROLES",
    "UNIT_INTERVAL_ROLES",
    "ROLES",
    "ROLE_DESCRIPTIONS",
    "DistSpec",
    "ParamSpec",
    "canonical_name",
    "dists_for_role",
    "suggest",
]

SD_ROLES = ("sd", "sigma")


def _family_parameters() -> dict[str, object]:
    """Every parameter of a registered family beyond sigma, by name (first family's wins)."""
    found: dict[str, object] = {}
    for family in FAMILIES.values():
        for param in family.parameters:
            if param.name not in SD_ROLES:
                found.setdefault(param.name, param)
    return found


_PARAMETERS = _family_parameters()
AUX_ROLES = tuple(_PARAMETERS)
POSITIVE_ROLES = SD_ROLES + tuple(
    name for name, param in _PARAMETERS.items() if param.constraint == "positive"
)
#: the probabilities of the zero-inflated and hurdle families (``zi``, ``hu``)
UNIT_INTERVAL_ROLES = tuple(
    name for name, param in _PARAMETERS.items() if param.constraint == "unit_interval"
)
COEFFICIENT_ROLES = ("fixed", "intercept")
#: the vector parameters (the thresholds ``cutpoints`` of the ordinal families): each entry takes
#: a coefficient's location-scale prior (normal, student_t, cauchy)
VECTOR_ROLES = tuple(name for name, param in _PARAMETERS.items() if param.shape)
#: how ``describe()`` says that a vector's prior applies to each entry: " on each threshold"
VECTOR_NOTES = {name: f" on each {_PARAMETERS[name].shape[-1]}" for name in VECTOR_ROLES}
ROLES = SD_ROLES + AUX_ROLES + ("cov",) + COEFFICIENT_ROLES

_DESCRIPTIONS = {
    "nu": "the Student-t degrees of freedom nu",
    "alpha": "the shape alpha",
    "kappa": "the beta precision kappa",
    "cutpoints": "the thresholds (cutpoints) of an ordinal model",
    "zi": "the zero-inflation probability zi",
    "hu": "the hurdle probability hu",
}
ROLE_DESCRIPTIONS: dict[str, str] = {
    "sd": "a random-effect SD",
    "sigma": "the residual SD sigma",
    **{name: _DESCRIPTIONS.get(name, f"the family parameter {name}") for name in AUX_ROLES},
    "cov": "a random-effect covariance matrix",
    "fixed": "a fixed-effect coefficient",
    "intercept": "the intercept",
}

#: names of a flat prior on log σ; refused, see :func:`bayesml.priors.parse_prior`
IMPROPER_LOG_FLAT = ("log_uniform", "jeffreys", "flat_log")


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a distribution.

    Attributes
    ----------
    name
        Key in the spec (``sigma``).
    constraint
        Accepted values.
    symbol
        Symbol in :meth:`Prior.describe` (``σ``).
    default
        Value used when the parameter is not given; ``None`` means the parameter is required.
    """

    name: str
    constraint: Constraint
    symbol: str
    default: int | float | None = None

    @property
    def required(self) -> bool:
        """Whether the parameter must be given."""
        return self.default is None


@dataclass(frozen=True)
class DistSpec:
    """A distribution that a prior may name.

    Attributes
    ----------
    name
        Canonical name (``half_t``).
    params
        Its parameters, in the order they are printed.
    roles
        The roles it may fill (see the module docstring).
    title
        Name in human descriptions (``half-Student-t``).
    symbol
        Default symbol of the variable in descriptions (``σ``, ``β``, ``Σ``).
    squared
        True when the prior is on the square of the variable (σ² for an SD).
    location_scale
        Names of the location and scale parameters of a location-scale family, else ``None``.
    note
        Text appended to descriptions (``(shape α, rate β)``).
    """

    name: str
    params: tuple[ParamSpec, ...]
    roles: tuple[str, ...]
    title: str
    symbol: str
    squared: bool = False
    location_scale: tuple[str, str] | None = None
    note: str = ""

    @property
    def param_names(self) -> tuple[str, ...]:
        """Names of the parameters, in order."""
        return tuple(param.name for param in self.params)


def _p(name: str, constraint: Constraint, symbol: str, default: int | float | None = None):
    return ParamSpec(name, constraint, symbol, default)


def _on_variance(name: str, params: tuple[ParamSpec, ...], title: str, note: str) -> DistSpec:
    """A prior of an SD given on its square σ² (its density is turned into one of σ)."""
    return DistSpec(name, params, SD_ROLES, title, "σ", squared=True, note=note)


_SIGMA = _p("sigma", POSITIVE, "σ")
_MU = _p("mu", REAL, "μ", 0)
_NU = _p("nu", POSITIVE, "ν")
_ALPHA = _p("alpha", POSITIVE, "α")
_BETA = _p("beta", POSITIVE, "β")

_TABLE = (
    DistSpec("half_normal", (_SIGMA,), POSITIVE_ROLES, "half-normal", "σ"),
    DistSpec("half_cauchy", (_SIGMA,), POSITIVE_ROLES, "half-Cauchy", "σ"),
    DistSpec("half_t", (_NU, _SIGMA), POSITIVE_ROLES, "half-Student-t", "σ"),
    DistSpec("exponential", (_p("rate", POSITIVE, "rate"),), POSITIVE_ROLES, "exponential", "σ"),
    DistSpec(
        "uniform",
        (_p("lower", ZERO, "lower", 0), _p("upper", POSITIVE, "upper")),
        POSITIVE_ROLES,
        "uniform",
        "σ",
    ),
    DistSpec("gamma", (_ALPHA, _BETA), POSITIVE_ROLES, "gamma", "θ", note=" (shape α, rate β)"),
    _on_variance("scaled_inv_chi2", (_NU, _p("s", POSITIVE, "s")), "scaled-inv-χ²", " (scale s²)"),
    _on_variance("inverse_gamma", (_ALPHA, _BETA), "inverse-gamma", " (shape α, scale β)"),
    DistSpec(
        "beta",
        (_ALPHA, _BETA),
        UNIT_INTERVAL_ROLES,
        "beta",
        "p",
        note=" (mean α/(α + β))",
    ),
    DistSpec("lkj", (_p("eta", POSITIVE, "η", 1),), ("cov",), "LKJ", "R"),
    DistSpec(
        "inverse_wishart",
        (_NU, _p("scale", POSITIVE_OR_SPD_MATRIX, "S")),
        ("cov",),
        "inverse-Wishart",
        "Σ",
    ),
    DistSpec(
        "flat", (), COEFFICIENT_ROLES, "flat", "β", note=" (improper, uniform on the real line)"
    ),
    DistSpec(
        "normal",
        (_MU, _SIGMA),
        COEFFICIENT_ROLES + VECTOR_ROLES,
        "normal",
        "β",
        location_scale=("mu", "sigma"),
    ),
    DistSpec(
        "student_t",
        (_NU, _MU, _SIGMA),
        COEFFICIENT_ROLES + VECTOR_ROLES,
        "Student-t",
        "β",
        location_scale=("mu", "sigma"),
    ),
    DistSpec(
        "cauchy",
        (_MU, _SIGMA),
        COEFFICIENT_ROLES + VECTOR_ROLES,
        "Cauchy",
        "β",
        location_scale=("mu", "sigma"),
    ),
    DistSpec(
        "weakly_informative",
        (),
        ("fixed",),
        "weakly informative",
        "β",
        note=(
            ": Cauchy(0, 2.5) on inputs scaled to mean 0 and sd 0.5 (binary inputs only centred),"
            " Cauchy(0, 10) on the intercept (Gelman et al. 2008)"
        ),
    ),
)

DISTRIBUTIONS: MappingProxyType[str, DistSpec] = MappingProxyType({d.name: d for d in _TABLE})
"""The prior distributions by canonical name."""

DIST_ALIASES: MappingProxyType[str, str] = MappingProxyType({"half_student_t": "half_t"})
"""Other accepted names of distributions."""


def _squashed(name: str) -> str:
    return name.replace("_", "")


#: every name and alias written without underscores -> the canonical names it could mean
_SQUASHED: dict[str, set[str]] = {}
for _spelling, _canonical in [*((n, n) for n in DISTRIBUTIONS), *DIST_ALIASES.items()]:
    _SQUASHED.setdefault(_squashed(_spelling), set()).add(_canonical)


def canonical_name(name: str) -> str:
    """The registry name of ``name``, read as the family names are: case ignored, ``-`` and
    spaces read as ``_`` (``"Half-Normal"``, ``"half normal"``, ``"HALF_NORMAL"``), aliases
    resolved, and PyMC's CamelCase accepted where it names one distribution (``"HalfNormal"``,
    ``"StudentT"``, ``"InverseGamma"``). An unknown name comes back normalised (lower case,
    underscores), for the error message's suggestion."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    key = DIST_ALIASES.get(key, key)
    if key in DISTRIBUTIONS:
        return key
    meant = _SQUASHED.get(_squashed(key), set())
    return next(iter(meant)) if len(meant) == 1 else key


def dists_for_role(role: str) -> tuple[str, ...]:
    """Canonical names of the distributions that may fill ``role``, sorted."""
    return tuple(sorted(name for name, spec in DISTRIBUTIONS.items() if role in spec.roles))


def suggest(name: str, candidates: tuple[str, ...] | list[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
