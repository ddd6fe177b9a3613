"""Priors: explicit, printable, configurable (numpy only, no PyMC).

A :class:`Prior` is a frozen, validated distribution with its parameters. A spec's ``priors``
mapping sets them by key, from the most general to the most specific:

* global keys: ``intercept``, ``fixed``, ``sd``, ``cov``, ``sigma``, ``nu``, ``alpha``, ``kappa``;
* a posterior name: ``sd_county``, ``cov_county``;
* a name and a label: ``sd_county[floor]``, ``beta[week]``, ``beta[extract[Cucumber]]``.

:func:`resolve_priors` applies the most specific key to every parameter of a design, falling back
on the family's defaults, and records where each prior came from.

Distributions (parameter names as in the spec):

* SDs and other positive parameters: ``half_normal(sigma)``, ``half_cauchy(sigma)``,
  ``half_t(nu, sigma)`` (alias ``half_student_t``), ``exponential(rate)``, ``uniform(upper)``
  (flat on σ in (0, upper); ``lower`` may only be 0), ``gamma(alpha, beta)`` (shape, rate);
  on σ² (SDs and sigma only): ``scaled_inv_chi2(nu, s)``, σ² ~ scaled-inv-χ²(ν, s²) =
  InvGamma(ν/2, ν s²/2), and ``inverse_gamma(alpha, beta)``. A flat prior on log σ
  (``log_uniform``, ``jeffreys``, ``flat_log``, or ``flat`` for an SD) is refused: for a
  hierarchical SD it makes the posterior improper (Gelman 2006).
* Covariance of a correlated term: ``lkj(eta)`` (the SDs take their sd priors) or
  ``inverse_wishart(nu, scale)``, scale a number s (s·I) or a p × p SPD matrix, ν > p − 1.
* Coefficients: ``flat``, ``normal(mu, sigma)``, ``student_t(nu, mu, sigma)``,
  ``cauchy(mu, sigma)`` (mu defaults to 0), and on ``fixed`` only ``weakly_informative``
  (Gelman et al. 2008; see :class:`WeaklyInformativeScaling`).

Coefficient priors are on the scale the coefficients are reported on, except under
``weakly_informative``, where the intercept's prior is on the intercept of the scaled model (the
linear predictor at the inputs' means).

Defaults (after brms and bambi; mad is R's scaled MAD):

* gaussian and student_t with the identity link: intercept student_t(3, median(y), 2.5·mad(y)),
  fixed normal(0, 2.5·sd(y)/sd(x_j)), sd half_t(3, 2.5·mad(y));
* bernoulli and binomial: fixed weakly_informative (intercept Cauchy(0, 10) on the scaled model),
  sd half_t(3, 2.5);
* other families and links: intercept student_t(3, 0, 2.5), fixed normal(0, 2.5/sd(x_j)),
  sd half_t(3, 2.5);
* sigma half_t(3, 2.5·mad(y)); nu gamma(2, 0.1); alpha and kappa gamma(0.01, 0.01);
  cov lkj(1).

Examples
--------
>>> prior = parse_prior({"dist": "half_normal", "sigma": 1}, role="sd", key_path="priors.sd")
>>> str(prior), prior.describe()
('half_normal(sigma=1)', 'σ ~ half-normal(σ=1)')
"""

from bayesml.priors._defaults import DefaultPriors, default_priors
from bayesml.priors._keys import GLOBAL_KEYS, PriorKey, parse_prior_key, validate_prior_mapping
from bayesml.priors._logpdf import prior_logpdf, sqrt_inverse_gamma_logpdf
from bayesml.priors._prior import Prior, parse_prior
from bayesml.priors._registry import (
    DIST_ALIASES,
    DISTRIBUTIONS,
    ROLES,
    DistSpec,
    ParamSpec,
    dists_for_role,
)
from bayesml.priors._resolve import ResolvedPriors, resolve_priors
from bayesml.priors._scaling import (
    WeaklyInformativeScaling,
    rescale_prior,
    sampled_coefficient_priors,
    sampled_fixed_effects,
)

__all__ = [
    "DISTRIBUTIONS",
    "DIST_ALIASES",
    "GLOBAL_KEYS",
    "ROLES",
    "DefaultPriors",
    "DistSpec",
    "ParamSpec",
    "Prior",
    "PriorKey",
    "ResolvedPriors",
    "WeaklyInformativeScaling",
    "default_priors",
    "dists_for_role",
    "parse_prior",
    "parse_prior_key",
    "prior_logpdf",
    "rescale_prior",
    "resolve_priors",
    "sampled_coefficient_priors",
    "sampled_fixed_effects",
    "sqrt_inverse_gamma_logpdf",
    "validate_prior_mapping",
]
