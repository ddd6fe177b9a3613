"""The ``log_likelihood`` group every sampling backend adds to its result
(:func:`log_likelihood_dataset`), from the family's numpy log-likelihood, on the same
parameterisation as the PyMC likelihoods (so ``loo`` sees the same numbers whichever backend
produced the draws).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from bayesml.families import Family, get_family
from bayesml.results.draws import fitted_eta_draws

if TYPE_CHECKING:
    import xarray as xr

    from bayesml.design import ModelDesign

__all__ = ["OBS_DIM", "log_likelihood_dataset", "parameter_draws", "pointwise_log_likelihood"]

#: the dimension of the observations in ``log_likelihood`` and ``observed_data``
OBS_DIM = "obs"


def pointwise_log_likelihood(
    family: Family | str,
    y: np.ndarray,
    mu: np.ndarray,
    params: Mapping[str, np.ndarray] | None = None,
    *,
    trials: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Log-likelihood of each observation given its mean (:meth:`Family.log_likelihood`).

    Parameters
    ----------
    family
        A :class:`~bayesml.families.Family` or the name of one.
    y
        Observed response, shape ``(n,)``.
    mu
        Mean of each observation, broadcastable against ``y`` (e.g. ``(chain, draw, n)``).
    params
        Family parameters (``sigma``, ``nu``, ``alpha``, ``kappa``), each broadcastable against
        ``mu`` (e.g. shape ``(chain, draw, 1)``).
    trials, weights
        Binomial trials and prior weights, shape ``(n,)``.
    """
    if isinstance(family, str):
        family = get_family(family)
    return family.log_likelihood(y, mu, params, trials=trials, weights=weights)


def parameter_draws(posterior: xr.Dataset, family: Family) -> dict[str, np.ndarray]:
    """The family's parameters as arrays broadcastable against ``(chain, draw, obs)``."""
    return {param.name: posterior[param.name].values[..., None] for param in family.parameters}


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
    response = design.response
    values = family.log_likelihood(
        response.y,
        mu,
        parameter_draws(posterior, family),
        trials=response.trials,
        weights=response.weights,
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
