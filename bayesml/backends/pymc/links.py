"""Inverse links μ = g⁻¹(η) as PyTensor expressions, keyed by link name.

The forms are chosen for stable values and gradients on the whole real line:

* probit: Φ(η) = ½ erfc(−η/√2), which keeps its precision in the lower tail;
* cloglog: 1 − exp(−exp(η)) = −expm1(−exp(η)), exact for small exp(η).

For the links of a probability, :func:`log_odds` gives log(μ/(1 − μ)) directly from η, so that
Bernoulli and binomial likelihoods can be written with ``logit_p`` and stay finite where μ rounds
to 0 or 1.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytensor.tensor as pt
from pytensor.tensor.variable import TensorVariable

from bayesml.families._names import resolve_name

__all__ = [
    "INVERSE_LINKS",
    "LOG_ODDS",
    "inverse_link",
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
