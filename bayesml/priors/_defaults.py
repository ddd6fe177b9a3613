"""Default priors: weakly informative on any scale, after brms and bambi.

Each family names its rule (:attr:`bayesml.families.Family.default_prior_rule`) and the default
prior of each of its parameters (:class:`bayesml.families.DefaultPrior`); this module turns them
into :class:`Prior` objects for one design. y below is the response on the scale of the linear
predictor (:meth:`~bayesml.families.Family.prior_response`: log y for the lognormal family).

mad(y) below is the scaled median absolute deviation (R's ``mad``: 1.4826 · median|y − median(y)|),
replaced by sd(y) when it is 0 (and by 1 when that is 0 too); sd is the sample standard deviation
(n − 1) and sd(x_j) = 1 for a constant column.

==================================  =======================================================
rule (families)                     defaults
==================================  =======================================================
data_scaled (gaussian, student_t,   intercept student_t(nu=3, mu=median(y), sigma=2.5·mad(y));
lognormal; identity link)           fixed normal(mu=0, sigma=2.5·sd(y)/sd(x_j));
                                    sd half_t(nu=3, sigma=2.5·mad(y))
weakly_informative (bernoulli,      fixed weakly_informative (Gelman et al. 2008: Cauchy(0, 2.5)
binomial; any link)                 on inputs scaled to sd 0.5, binary inputs centred, and
                                    Cauchy(0, 10) on the intercept of the scaled model);
                                    intercept student_t(nu=3, mu=0, sigma=2.5) when fixed is
                                    set to something else; sd half_t(nu=3, sigma=2.5)
unit_scale (every other family      intercept student_t(nu=3, mu=0, sigma=2.5);
or link: poisson, gamma, ...)       fixed normal(mu=0, sigma=2.5/sd(x_j));
                                    sd half_t(nu=3, sigma=2.5)
==================================  =======================================================

Family parameters (their ``default_prior``): sigma half_t(nu=3, sigma=2.5·mad(y)); nu
(student_t) gamma(alpha=2, beta=0.1); alpha (negative_binomial, gamma) gamma(alpha=0.01,
beta=0.01); kappa (beta) gamma(alpha=0.01, beta=0.01). Correlated terms: cov lkj(eta=1), with the SDs taking the sd prior.
Non-gaussian random effects (gamma, beta, inverse-gamma; ``sd`` = √λ, λ the dispersion of a
dimensionless u): sd half_t(nu=3, sigma=2.5) under every rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from bayesml.priors._prior import Prior
from bayesml.priors._scaling import INTERCEPT_LABEL

__all__ = ["DefaultPriors", "default_priors", "DEFAULT_COV"]

MAD_CONSTANT = 1.4826
WEAKLY_INFORMATIVE = Prior("weakly_informative")
DEFAULT_COV = Prior("lkj", eta=1)
UNIT_INTERCEPT = Prior("student_t", nu=3, mu=0, sigma=2.5)
UNIT_SD = Prior("half_t", nu=3, sigma=2.5)

@dataclass(frozen=True)
class DefaultPriors:
    """The family's default priors for one design.

    Attributes
    ----------
    intercept
        Intercept prior when the weakly informative prior is not in force.
    fixed
        Prior of each non-intercept coefficient, by label (``weakly_informative`` for
        bernoulli and binomial).
    sd, cov
        Random-effect SD prior and covariance prior of correlated terms.
    aux
        Prior of each auxiliary parameter that has a default, by name.
    weakly_informative
        Whether ``fixed`` defaults to ``weakly_informative`` (then the intercept takes
        Cauchy(0, 10) on the scaled inputs unless it has its own prior).
    """

    intercept: Prior
    fixed: Mapping[str, Prior]
    sd: Prior
    cov: Prior
    aux: Mapping[str, Prior]
    weakly_informative: bool


def default_priors(design: Any, family: Any) -> DefaultPriors:
    """The default priors of ``family`` for ``design`` (see the module docstring).

    Parameters
    ----------
    design
        A ``ModelDesign`` (``response.y``, ``fixed.matrix``, ``fixed.column_names``,
        ``fixed.has_intercept``).
    family
        A :class:`~bayesml.families.Family`: its ``default_prior_rule``, ``prior_response`` and
        ``parameters`` (each with its ``default_prior``).
    """
    y = family.prior_response(np.asarray(design.response.y, dtype=float))
    rule_name = family.default_prior_rule
    intercept, fixed, sd = _RULES[rule_name](y, _column_sds(design))
    aux = {
        param.name: _parameter_prior(param.default_prior, y)
        for param in family.parameters
        if param.default_prior is not None
    }
    return DefaultPriors(
        intercept=intercept,
        fixed=fixed,
        sd=sd,
        cov=DEFAULT_COV,
        aux=aux,
        weakly_informative=rule_name == "weakly_informative",
    )


def _parameter_prior(default: Any, y: np.ndarray) -> Prior:
    """A family parameter's :class:`~bayesml.families.DefaultPrior` as a Prior for response y."""
    params = dict(default.params)
    if default.response_scaled:
        scale = robust_scale(y)
        params.update({name: params[name] * scale for name in default.response_scaled})
    return Prior(default.dist, **params)


def robust_scale(y: np.ndarray) -> float:
    """mad(y) (scaled as in R), else sd(y), else 1: a positive scale for the response."""
    if y.size == 0:
        return 1.0
    mad = MAD_CONSTANT * float(np.median(np.abs(y - np.median(y))))
    if mad > 0:
        return mad
    return _positive_sd(y)


def _positive_sd(values: np.ndarray) -> float:
    """Sample sd (n − 1), or 1 when it is 0 or undefined."""
    if values.size < 2:
        return 1.0
    sd = float(np.std(values, ddof=1))
    return sd if sd > 0 else 1.0


def _column_sds(design: Any) -> dict[str, float]:
    """sd(x_j) of each non-intercept column (1 for a constant one)."""
    matrix = np.asarray(design.fixed.matrix, dtype=float)
    has_intercept = design.fixed.has_intercept
    return {
        label: _positive_sd(matrix[:, index])
        for index, label in enumerate(design.fixed.column_names)
        if not (has_intercept and label == INTERCEPT_LABEL)
    }


Rule = Callable[[np.ndarray, dict[str, float]], tuple[Prior, dict[str, Prior], Prior]]


def _data_scaled(y: np.ndarray, column_sds: dict[str, float]):
    scale = 2.5 * robust_scale(y)
    intercept = Prior("student_t", nu=3, mu=float(np.median(y)) if y.size else 0.0, sigma=scale)
    sd_y = _positive_sd(y)
    fixed = {
        label: Prior("normal", mu=0, sigma=2.5 * sd_y / sd) for label, sd in column_sds.items()
    }
    return intercept, fixed, Prior("half_t", nu=3, sigma=scale)


def _weakly_informative(y: np.ndarray, column_sds: dict[str, float]):
    return UNIT_INTERCEPT, dict.fromkeys(column_sds, WEAKLY_INFORMATIVE), UNIT_SD


def _unit_scale(y: np.ndarray, column_sds: dict[str, float]):
    fixed = {label: Prior("normal", mu=0, sigma=2.5 / sd) for label, sd in column_sds.items()}
    return UNIT_INTERCEPT, fixed, UNIT_SD


_RULES: dict[str, Rule] = {
    "data_scaled": _data_scaled,
    "weakly_informative": _weakly_informative,
    "unit_scale": _unit_scale,
}
