"""Random draws of new observations given their mean, per family (posterior/prior predictive)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

__all__ = ["RESPONSE_DRAWS", "draw_response"]


def _gaussian(rng, mu, aux, trials, weights):
    sigma = aux["sigma"] if weights is None else aux["sigma"] / np.sqrt(weights)
    return rng.normal(mu, sigma)


def _student_t(rng, mu, aux, trials, weights):
    sigma = aux["sigma"] if weights is None else aux["sigma"] / np.sqrt(weights)
    return mu + sigma * rng.standard_t(np.broadcast_to(aux["nu"], np.shape(mu)))


def _bernoulli(rng, mu, aux, trials, weights):
    return rng.binomial(1, np.clip(mu, 0.0, 1.0))


def _binomial(rng, mu, aux, trials, weights):
    return rng.binomial(np.broadcast_to(trials, np.shape(mu)).astype("int64"), np.clip(mu, 0.0, 1.0))


def _poisson(rng, mu, aux, trials, weights):
    return rng.poisson(mu)


def _negative_binomial(rng, mu, aux, trials, weights):
    alpha = np.broadcast_to(aux["alpha"], np.shape(mu))
    return rng.negative_binomial(alpha, alpha / (alpha + mu))


def _gamma(rng, mu, aux, trials, weights):
    alpha = np.broadcast_to(aux["alpha"], np.shape(mu))
    return rng.gamma(alpha, mu / alpha)


def _beta(rng, mu, aux, trials, weights):
    kappa = aux["kappa"]
    return rng.beta(mu * kappa, (1.0 - mu) * kappa)


#: family name -> function(rng, mu, aux, trials, weights) drawing one observation per mean
RESPONSE_DRAWS: dict[str, Callable[..., np.ndarray]] = {
    "gaussian": _gaussian,
    "student_t": _student_t,
    "bernoulli": _bernoulli,
    "binomial": _binomial,
    "poisson": _poisson,
    "negative_binomial": _negative_binomial,
    "gamma": _gamma,
    "beta": _beta,
}


def draw_response(
    family_name: str,
    mu: np.ndarray,
    aux: Mapping[str, np.ndarray] | None,
    rng: np.random.Generator,
    *,
    trials: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """One new observation per entry of ``mu`` (same shape), from the family's distribution."""
    return RESPONSE_DRAWS[family_name](rng, mu, dict(aux or {}), trials, weights)
