"""The h-likelihood and its adjusted profiles at the fitted values.

With c = Σ log f(y | v) the conditional log-likelihood (dispersion φ per row),

* ``hlik = c + Σ_j [log f(u_j; λ_j) + log |du/dv|_j]``,
* ``pvh = hlik − ½ log det(H / 2π)``, H = Z'W1Z + W2 (profiled over v),
* ``pbvh = hlik − ½ log det(A / 2π)``, A = T'WT (profiled over β and v),
* ``cAIC = −2c + 2 Σ_{i ≤ n} h_i`` (the data rows' leverages are the effective parameters).

These need a true likelihood: binomial and Poisson models must have the dispersion fixed at 1
(with an estimated φ they are quasi-likelihood models).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayesml.backends.hlik.errors import DivergenceError
from bayesml.backends.hlik.linear_algebra import AugmentedSystem
from bayesml.backends.hlik.rows import DataRows, RandomRows
from bayesml.families import Family

__all__ = ["Likelihoods", "compute_likelihoods", "likelihood_problem"]

_LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass(frozen=True)
class Likelihoods:
    """h-likelihood, adjusted profile likelihoods and conditional AIC (natural-log scale)."""

    conditional: float
    hlik: float
    pvh: float
    pbvh: float
    caic: float


def likelihood_problem(
    family: Family, dispersion_fixed: bool, fixed_value: float | None, weighted: bool
) -> str | None:
    """Why the likelihoods are not defined for this model (``None`` when they are)."""
    if family.has_dispersion:
        return None
    family_name = family.name
    if not dispersion_fixed:
        return (
            f"the likelihoods (hlik, pvh, pbvh, cAIC) of a {family_name} model with an estimated "
            "dispersion are not defined: it is a quasi-likelihood model; fix the dispersion with "
            "dispersion=1 (or dispersion='auto', Model.fit's default) to get them"
        )
    if fixed_value != 1.0:
        return (
            f"the likelihoods of a {family_name} model are defined with the dispersion fixed at "
            f"1; got dispersion={fixed_value:g}"
        )
    if weighted:
        return (
            f"the likelihoods of a {family_name} model with prior weights (besides binomial "
            "trials) are not defined; fit without weights to get them"
        )
    return None


def compute_likelihoods(
    system: AugmentedSystem,
    data: DataRows,
    random: RandomRows,
    v: np.ndarray,
    eta: np.ndarray,
    phi: np.ndarray,
    lam: np.ndarray,
    data_leverages: np.ndarray,
) -> Likelihoods:
    """hlik, pvh, pbvh and cAIC at (β, v) with linear predictor ``eta``.

    Callers check :func:`likelihood_problem` first.

    Raises
    ------
    DivergenceError
        If a likelihood is not finite at the fitted values.
    """
    mu = data.mean(eta)
    conditional = float(np.sum(data.log_likelihood(mu, phi)))
    hlik = conditional + float(np.sum(random.log_density(v, lam)))
    factorization = system.factorize(data.weights(eta, phi), random.weights(v, lam))
    q, p = system.q, system.p
    pvh = hlik - 0.5 * (factorization.logdet_random() - q * _LOG_2PI)
    pbvh = hlik - 0.5 * (factorization.logdet() - (p + q) * _LOG_2PI)
    caic = -2.0 * conditional + 2.0 * float(np.sum(data_leverages))
    if not all(np.isfinite([conditional, hlik, pvh, pbvh, caic])):
        raise DivergenceError(
            "the likelihoods (hlik, pvh, pbvh, cAIC) are not finite at the fitted values"
        )
    return Likelihoods(conditional, hlik, pvh, pbvh, caic)
