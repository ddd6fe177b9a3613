"""Inverse links μ = g⁻¹(η) as PyTensor expressions, keyed by link name.

The forms are chosen for stable values and gradients on the whole real line:

* probit: Φ(η) = ½ erfc(−η/√2), which keeps its precision in the lower tail;
* cloglog: 1 − exp(−exp(η)) = −expm1(−exp(η)), exact for small exp(η).

For the links of a probability, :func:`log_odds` gives log(μ/(1 − μ)) directly from η, so that
Bernoulli and binomial likelihoods can be written with ``logit_p`` and stay finite where μ rounds
to 0 or 1; :data:`LOG_CDFS` gives log F and log(1 − F) of their inverse link F (a CDF), which the
ordinal likelihoods are written with, and :func:`log_interval_probability` log(F(b) − F(a)).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytensor.tensor as pt
from pytensor.tensor.variable import TensorVariable

from bayesml.families._names import resolve_name

__all__ = [
    "INVERSE_LINKS",
    "LOG_CDFS",
    "LOG_ODDS",
    "inverse_link",
    "log_interval_probability",
    "log_normal_cdf",
    "log_odds",
]

_Fn = Callable[[TensorVariable], TensorVariable]
_SQRT2 = float(np.sqrt(2.0))
_CLOGLOG_SMALL = -30.0  # below this, log(1 - exp(-exp(eta))) = eta to double precision


def log_normal_cdf(x: TensorVariable) -> TensorVariable:
    """log Φ(x), stable in both tails (erfcx below −1, log1p above)."""
    x = pt.as_tensor_variable(x)
    # Each branch gets an input clipped to its own side, so that the branch not taken stays
    # finite and its gradient (multiplied by zero) cannot turn into nan.
    lower, upper = pt.minimum(x, -1.0), pt.maximum(x, -1.0)
    return pt.switch(
        pt.lt(x, -1.0),
        pt.log(pt.erfcx(-lower / _SQRT2) / 2.0) - pt.sqr(lower) / 2.0,
        pt.log1p(-pt.erfc(upper / _SQRT2) / 2.0),
    )


def _probit_inverse(eta: TensorVariable) -> TensorVariable:
    return 0.5 * pt.erfc(-eta / _SQRT2)


def _cloglog_inverse(eta: TensorVariable) -> TensorVariable:
    return -pt.expm1(-pt.exp(eta))


def _cloglog_log_mu(eta: TensorVariable) -> TensorVariable:
    # log(1 - exp(-exp(eta))): exp(eta) underflows far below zero, where the value is eta itself.
    safe_eta = pt.maximum(eta, _CLOGLOG_SMALL)
    return pt.switch(pt.lt(eta, _CLOGLOG_SMALL), eta, pt.log(-pt.expm1(-pt.exp(safe_eta))))


INVERSE_LINKS: dict[str, _Fn] = {
    "identity": lambda eta: eta,
    "log": pt.exp,
    "logit": pt.sigmoid,
    "probit": _probit_inverse,
    "cloglog": _cloglog_inverse,
    "inverse": pt.reciprocal,
}
"""μ = g⁻¹(η) by link name (the names of :data:`bayesml.families.LINKS`)."""

LOG_ODDS: dict[str, _Fn] = {
    "logit": lambda eta: eta,
    "probit": lambda eta: log_normal_cdf(eta) - log_normal_cdf(-eta),
    "cloglog": lambda eta: _cloglog_log_mu(eta) + pt.exp(eta),
}
"""log(μ/(1 − μ)) as a function of η, for the links of a probability."""


def inverse_link(name: str, eta: TensorVariable) -> TensorVariable:
    """Return μ = g⁻¹(η) for the link called ``name``.

    Raises
    ------
    FamilyError
        If no link has that name; the message lists the valid names.

    Examples
    --------
    >>> float(inverse_link("probit", pt.as_tensor(0.0)).eval())
    0.5
    """
    key = resolve_name(name, what="link", choices=INVERSE_LINKS)
    return INVERSE_LINKS[key](pt.as_tensor_variable(eta))


def log_odds(name: str, eta: TensorVariable) -> TensorVariable:
    """Return log(μ/(1 − μ)) with μ = g⁻¹(η), for ``name`` in logit, probit, cloglog.

    Raises
    ------
    FamilyError
        If ``name`` is not the link of a probability.
    """
    key = resolve_name(name, what="link of a probability", choices=LOG_ODDS)
    return LOG_ODDS[key](pt.as_tensor_variable(eta))


def _cloglog_log_sf(x: TensorVariable) -> TensorVariable:
    return -pt.exp(x)


LOG_CDFS: dict[str, tuple[_Fn, _Fn]] = {
    "logit": (lambda x: -pt.softplus(-x), lambda x: -pt.softplus(x)),
    "probit": (log_normal_cdf, lambda x: log_normal_cdf(-x)),
    "cloglog": (_cloglog_log_mu, _cloglog_log_sf),
}
"""(log F(x), log(1 − F(x))) of the inverse link F of each link of a probability, stable in
both tails (the same formulas as :func:`bayesml.families.ordinal.log_cdf` and ``log_sf``)."""


def log_cdfs(name: str) -> tuple[_Fn, _Fn]:
    """(log F, log(1 − F)) of the link called ``name`` (logit, probit or cloglog)."""
    return LOG_CDFS[resolve_name(name, what="link of a probability", choices=LOG_CDFS)]


def log_interval_probability(
    name: str, lower: TensorVariable, upper: TensorVariable
) -> TensorVariable:
    """log(F(upper) − F(lower)) for finite lower < upper, F the inverse link of ``name``.

    From the CDF where lower ≤ 0, from 1 − F above it (as
    :func:`bayesml.families.ordinal.log_interval_probability`). The branch not taken is fed
    harmless values, so that neither its value nor its gradient (multiplied by zero) can be nan.
    """
    log_cdf, log_sf = log_cdfs(name)
    by_survival = pt.gt(lower, 0.0)
    lower_c = pt.switch(by_survival, -2.0, lower)
    upper_c = pt.switch(by_survival, -1.0, upper)
    log_cdf_upper = log_cdf(upper_c)
    by_cdf = log_cdf_upper + pt.log1mexp(log_cdf(lower_c) - log_cdf_upper)
    lower_s = pt.switch(by_survival, lower, 1.0)
    upper_s = pt.switch(by_survival, upper, 2.0)
    log_sf_lower = log_sf(lower_s)
    by_sf = log_sf_lower + pt.log1mexp(log_sf(upper_s) - log_sf_lower)
    return pt.switch(by_survival, by_sf, by_cdf)
