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
from bayesml.backends.pymc.sampling import quiet_pymc
from bayesml.results.draws import fitted_eta_draws
from bayesml.results.loglik import pointwise_log_likelihood

if TYPE_CHECKING:
    from bayesml.design import ModelDesign
    from bayesml.families import Family

__all__ = ["drop_hidden", "finish_result", "log_likelihood_dataset"]


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


def log_prior_dataset(posterior: xr.Dataset, model: pm.Model) -> xr.Dataset:
    """Elementwise log prior density of every free variable at every draw.

    (PyMC's ``compute_log_prior`` fails when a free variable's untransformed value has another name
    than the variable, as PyMC 6's ``LKJCorr`` does, so bayesml evaluates the densities itself.)
    """
    from pymc.model.transform.conditioning import remove_value_transforms

    plain = remove_value_transforms(model)
    variables = list(plain.free_RVs)
    function = plain.compile_fn(
        inputs=[plain.rvs_to_values[rv] for rv in variables],
        outs=plain.logp(vars=variables, sum=False),
        on_unused_input="ignore",
        point_fn=False,
    )
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    inputs = [
        posterior[rv.name].values.astype(plain.rvs_to_values[rv].type.dtype) for rv in variables
    ]
    outputs: list[list[np.ndarray]] = [[] for _ in variables]
    for chain in range(chains):
        for draw in range(draws):
            values = function(*(array[chain, draw] for array in inputs))
            for store, value in zip(outputs, values, strict=True):
                store.append(np.asarray(value))
    data = {}
    for rv, store in zip(variables, outputs, strict=True):
        stacked = np.stack(store).reshape(chains, draws, *store[0].shape)
        dims = list(model.named_vars_to_dims.get(rv.name, ()))
        if len(dims) != stacked.ndim - 2:
            dims = [f"{rv.name}_dim_{i}" for i in range(stacked.ndim - 2)]
        data[rv.name] = xr.DataArray(
            stacked,
            dims=("chain", "draw", *dims),
            coords={"chain": posterior.coords["chain"].values, "draw": posterior.coords["draw"].values},
        )
    return xr.Dataset(data)


def drop_hidden(dataset: xr.Dataset) -> xr.Dataset:
    """The dataset without internal variables (names starting with ``_``) and their dimensions."""
    dataset = dataset.drop_vars([name for name in dataset.data_vars if name.startswith("_")])
    used = {dim for variable in dataset.data_vars.values() for dim in variable.dims}
    orphans = [name for name, coord in dataset.coords.items() if not set(coord.dims) <= used]
    return dataset.drop_vars(orphans)


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
        with quiet_pymc():
            tree["log_prior"] = log_prior_dataset(posterior, model)
    if "observed_data" not in tree.children or info.response_name not in tree["observed_data"]:
        observed = xr.Dataset(
            {info.response_name: xr.DataArray(design.response.y, dims=(OBS_DIM,), coords={OBS_DIM: np.arange(design.n_obs)})}
        )
        tree["observed_data"] = observed
    if any(name.startswith("_") for name in posterior.variables):
        tree["posterior"] = drop_hidden(posterior)
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

