"""Pointwise log-likelihood of each family in numpy/scipy, on the same parameterisation as the
PyMC likelihoods (so ``loo`` sees the same numbers whichever backend produced the draws), and the
``log_likelihood`` group every sampling backend adds to its result (:func:`log_likelihood_dataset`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

from bayesml.results.draws import fitted_eta_draws

if TYPE_CHECKING:
    import xarray as xr

    from bayesml.design import ModelDesign
    from bayesml.families import Family

__all__ = ["LOG_LIKELIHOODS", "OBS_DIM", "log_likelihood_dataset", "pointwise_log_likelihood"]

#: the dimension of the observations in ``log_likelihood`` and ``observed_data``
OBS_DIM = "obs"

LogLik = Callable[..., np.ndarray]
_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)


def _gaussian(y, mu, aux, trials, weights):
    sigma = aux["sigma"]
    if weights is not None:
        sigma = sigma / np.sqrt(weights)
    # the closed form: scipy.stats.norm.logpdf gives the same numbers about 15 times more slowly
    standardised = (y - mu) / sigma
    return -0.5 * standardised * standardised - np.log(sigma) - _HALF_LOG_2PI


def _student_t(y, mu, aux, trials, weights):
    sigma = aux["sigma"]
    if weights is not None:
        sigma = sigma / np.sqrt(weights)
    return stats.t.logpdf(y, df=aux["nu"], loc=mu, scale=sigma)


def _bernoulli(y, mu, aux, trials, weights):
    return stats.bernoulli.logpmf(y, np.clip(mu, 0.0, 1.0))


def _binomial(y, mu, aux, trials, weights):
    return stats.binom.logpmf(y, trials, np.clip(mu, 0.0, 1.0))


def _poisson(y, mu, aux, trials, weights):
    return stats.poisson.logpmf(y, mu)


def _negative_binomial(y, mu, aux, trials, weights):
    alpha = aux["alpha"]
    return stats.nbinom.logpmf(y, alpha, alpha / (alpha + mu))


def _gamma(y, mu, aux, trials, weights):
    alpha = aux["alpha"]
    return stats.gamma.logpdf(y, a=alpha, scale=mu / alpha)


def _beta(y, mu, aux, trials, weights):
    kappa = aux["kappa"]
    return stats.beta.logpdf(y, mu * kappa, (1.0 - mu) * kappa)


#: family name -> pointwise log-likelihood function(y, mu, aux, trials, weights)
LOG_LIKELIHOODS: dict[str, LogLik] = {
    "gaussian": _gaussian,
    "student_t": _student_t,
    "bernoulli": _bernoulli,
    "binomial": _binomial,
    "poisson": _poisson,
    "negative_binomial": _negative_binomial,
    "gamma": _gamma,
    "beta": _beta,
}


def pointwise_log_likelihood(
    family_name: str,
    y: np.ndarray,
    mu: np.ndarray,
    aux: Mapping[str, np.ndarray] | None = None,
    *,
    trials: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Log-likelihood of each observation given its mean.

    Parameters
    ----------
    family_name
        A key of :data:`LOG_LIKELIHOODS`.
    y
        Observed response, shape ``(n,)``.
    mu
        Mean of each observation, broadcastable against ``y`` (e.g. ``(chain, draw, n)``).
    aux
        Family parameters (``sigma``, ``nu``, ``alpha``, ``kappa``), each broadcastable against
        ``mu`` (e.g. shape ``(chain, draw, 1)``).
    trials, weights
        Binomial trials and prior weights, shape ``(n,)``.
    """
    return LOG_LIKELIHOODS[family_name](y, mu, dict(aux or {}), trials, weights)


def log_likelihood_dataset(
    posterior: xr.Dataset, design: ModelDesign, family: Family, name: str | None = None
) -> xr.Dataset:
    """The ``log_likelihood`` group: the pointwise log-likelihood of every observation and draw.

    Parameters
    ----------
    posterior
        Draws with the shared posterior names (``beta``, ``u_<group>`` and the family's
        auxiliary parameters), dims ``(chain, draw, ...)``.
    design, family
        The model's design and family.
    name
        Name of the variable (default: the design's ``observed_name``).

    Returns
    -------
    xarray.Dataset
        One variable, dims ``(chain, draw, obs)``.
    """
    import xarray as xr

    mu = family.link.inverse(fitted_eta_draws(posterior, design))
    aux = {param.name: posterior[param.name].values[..., None] for param in family.aux_params}
    response = design.response
    values = pointwise_log_likelihood(
        family.name, response.y, mu, aux, trials=response.trials, weights=response.weights
    )
    data = xr.DataArray(
        values,
        dims=("chain", "draw", OBS_DIM),
        coords={
            "chain": posterior.coords["chain"].values,
            "draw": posterior.coords["draw"].values,
            OBS_DIM: np.arange(design.n_obs),
        },
    )
    return xr.Dataset({design.observed_name if name is None else name: data})
