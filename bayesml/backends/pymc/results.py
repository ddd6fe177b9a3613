"""Turn a raw PyMC sampling result into a bayesml result.

Adds ``log_likelihood`` (numpy, the same numbers for every backend) and ``log_prior`` (PyMC's
elementwise log density of the free variables, which power-scaling sensitivity needs), makes sure
``observed_data`` holds the response, and hides internal variables (names starting with ``_``: the
standardised random effects and the latent variables) from the posterior.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pymc as pm
import xarray as xr

from bayesml.backends.pymc.builder import OBS_DIM, BuildInfo, group_dims
from bayesml.results.draws import fitted_eta_draws
from bayesml.results.loglik import pointwise_log_likelihood

if TYPE_CHECKING:
    from bayesml.design import ModelDesign
    from bayesml.families import Family

__all__ = ["finish_result", "log_likelihood_dataset"]


def log_likelihood_dataset(
    posterior: xr.Dataset, design: ModelDesign, family: Family, name: str
) -> xr.Dataset:
    """The pointwise log-likelihood of every observation and draw."""
    mu = family.link.inverse(fitted_eta_draws(posterior, design))
    aux = {
        param.name: posterior[param.name].values[..., None] for param in family.aux_params
    }
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
    return xr.Dataset({name: data})


def finish_result(
    tree: xr.DataTree,
    model: pm.Model,
    info: BuildInfo,
    design: ModelDesign,
    family: Family,
    *,
    log_prior: bool = True,
) -> xr.DataTree:
    """Add log_likelihood, log_prior and observed_data; hide internal variables."""
    posterior = tree["posterior"].to_dataset()
    tree["log_likelihood"] = log_likelihood_dataset(posterior, design, family, info.response_name)
    if log_prior:
        pm.compute_log_prior(tree, model=model, progressbar=False)
    if "observed_data" not in tree.children or info.response_name not in tree["observed_data"]:
        observed = xr.Dataset(
            {info.response_name: xr.DataArray(design.response.y, dims=(OBS_DIM,), coords={OBS_DIM: np.arange(design.n_obs)})}
        )
        tree["observed_data"] = observed
    hidden = [name for name in posterior.data_vars if name.startswith("_")]
    if hidden:
        tree["posterior"] = posterior.drop_vars(hidden)
    if "constant_data" in tree.children:
        del tree["constant_data"]
    _add_group_coords(tree, design)
    return tree


def _add_group_coords(tree: xr.DataTree, design: ModelDesign) -> None:
    """Make sure level/term coordinates are the data's labels (some samplers drop string coords)."""
    posterior = tree["posterior"].to_dataset()
    updates = {}
    for block in design.random:
        level_dim, term_dim, term_bis_dim = group_dims(block.name)
        for dim, labels in ((level_dim, block.levels), (term_dim, block.term_labels), (term_bis_dim, block.term_labels)):
            if dim in posterior.dims:
                updates[dim] = list(labels)
    if "coef" in posterior.dims:
        updates["coef"] = list(design.fixed.column_names)
    if updates:
        tree["posterior"] = posterior.assign_coords(updates)

