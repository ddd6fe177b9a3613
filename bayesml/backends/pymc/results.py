"""Turn a raw PyMC sampling result into a bayesml result.

Adds ``log_likelihood`` (unless asked not to) and ``log_prior`` (both in numpy, the same numbers for
every backend; the log prior is what power-scaling sensitivity needs), makes sure ``observed_data``
holds the response, and hides internal variables (names starting with ``_``: the standardised random
effects and the latent variables) from the posterior.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from bayesml.backends.pymc.builder import OBS_DIM, BuildInfo, group_dims
from bayesml.results.dims import parameter_dims
from bayesml.results.log_prior import log_prior_dataset as shared_log_prior_dataset
from bayesml.results.loglik import log_likelihood_dataset
from bayesml.results.prediction import CATEGORY_DIM
from bayesml.results.tables import order_parameters

if TYPE_CHECKING:
    from bayesml.design import ModelDesign
    from bayesml.families import Family

__all__ = [
    "drop_hidden",
    "finish_result",
    "log_likelihood_dataset",
    "log_prior_dataset",
    "with_effect_stacks",
]


def log_prior_dataset(posterior: xr.Dataset, info: BuildInfo) -> xr.Dataset:
    """The log prior density of every parameter with a prior, at every draw.

    Evaluated in numpy by :func:`bayesml.results.log_prior.log_prior_dataset` (the Gibbs backend's
    numbers) from the priors the builder recorded in ``info``; ``posterior`` is the raw posterior,
    with the sampled coefficients ``_beta_<j>`` (``_beta_scaled_<j>`` under ``weakly_informative``).
    """
    priors = info.priors
    if priors is None:
        raise ValueError("this model was built without its priors recorded; cannot add log_prior")
    if priors.categories:
        return _categories_log_prior(posterior, priors)
    datasets = [_record_log_prior(posterior, priors)]
    datasets += [_record_log_prior(posterior, record) for record in priors.predictors.values()]
    return xr.merge(datasets, compat="override", combine_attrs="override")


def _categories_log_prior(posterior: xr.Dataset, priors: Any) -> xr.Dataset:
    """A categorical model's log prior: each category's under its hidden names, renamed to the
    documented ones and stacked on the category dimension."""
    parts = []
    for record in priors.categories:
        part = _record_log_prior(posterior, record)
        names = {*part.data_vars, *part.dims}
        part = part.rename({old: new for old, new in record.renames.items() if old in names})
        parts.append(part.drop_vars([name for name in part.coords if name not in part.dims]))
    dim = priors.category_dim
    stacked = xr.concat(parts, dim=dim, coords="minimal", compat="override")
    if dim in posterior.coords:
        stacked = stacked.assign_coords({dim: posterior.coords[dim].values})
    return stacked.transpose("chain", "draw", ..., dim)


def _record_log_prior(posterior: xr.Dataset, priors: Any) -> xr.Dataset:
    coefficients = None
    if priors.coefficient_names:
        coefficients = np.stack(
            [
                posterior[name].transpose("chain", "draw").values
                for name in priors.coefficient_names
            ],
            axis=-1,
        )
    return shared_log_prior_dataset(
        posterior,
        coefficients=coefficients,
        coefficient_priors=priors.coefficient_priors,
        groups=priors.groups,
        aux_priors=priors.aux_priors,
        coefficient_name=priors.coefficient_name,
        coef_dim=priors.coef_dim,
    )


def with_effect_stacks(posterior: xr.Dataset, info: BuildInfo) -> xr.Dataset:
    """The posterior with every ``u_<group>`` (level, term), stacked from its columns if missing.

    Samplers that store only what they must (nutpie) leave ``u_<group>`` out and keep its
    per-term columns ``_u_<group>_<k>``, which hold the same numbers.
    """
    stacks = {}
    for name, columns in info.effect_columns.items():
        if name in posterior or not all(column in posterior for column in columns):
            continue
        parts = [posterior[column].transpose("chain", "draw", ...) for column in columns]
        level_dim = parts[0].dims[-1]
        term_dim = f"{name[2:]}__term"
        stacks[name] = xr.DataArray(
            np.stack([part.values for part in parts], axis=-1),
            dims=("chain", "draw", level_dim, term_dim),
            coords={dim: parts[0].coords[dim] for dim in parts[0].dims if dim in parts[0].coords},
        )
    return posterior.assign(stacks) if stacks else posterior


def drop_hidden(dataset: xr.Dataset, hidden: tuple[str, ...] = ()) -> xr.Dataset:
    """The dataset without internal variables (names starting with ``_``, and ``hidden``) and
    their dimensions."""
    dataset = dataset.drop_vars(
        [name for name in dataset.data_vars if name.startswith("_") or name in hidden]
    )
    used = {dim for variable in dataset.data_vars.values() for dim in variable.dims}
    orphans = [name for name, coord in dataset.coords.items() if not set(coord.dims) <= used]
    return dataset.drop_vars(orphans)


def finish_result(
    tree: xr.DataTree,
    info: BuildInfo,
    design: ModelDesign,
    family: Family,
    *,
    log_prior: bool = True,
    log_likelihood: bool = True,
    random_seed: int | None = None,
) -> xr.DataTree:
    """Add log_likelihood (unless ``log_likelihood`` is False), log_prior and observed_data; hide
    internal variables.

    Where the graph integrated the random effects out, ``u_<group>`` is drawn back from its
    conditional posterior (seeded by ``random_seed``). The log-likelihood is computed in chunks of
    draws (:func:`bayesml.results.loglik.log_likelihood_dataset`).
    """
    posterior = with_effect_stacks(tree["posterior"].to_dataset(), info)
    if info.integrated_group is not None:
        from bayesml.backends.pymc.marginal import with_integrated_effects

        posterior = with_integrated_effects(posterior, info, design, random_seed)
    if log_likelihood:
        tree["log_likelihood"] = log_likelihood_dataset(
            posterior, design, family, info.response_name
        )
    elif "log_likelihood" in tree.children:
        del tree["log_likelihood"]
    if log_prior:
        tree["log_prior"] = log_prior_dataset(posterior, info)
    if "observed_data" not in tree.children or info.response_name not in tree["observed_data"]:
        y = design.response.y
        coords: dict[str, Any] = {OBS_DIM: np.arange(design.n_obs)}
        if y.ndim == 2:  # a multinomial response: one column per category
            coords[CATEGORY_DIM] = list(map(str, design.response.levels or ()))
        observed = xr.Dataset(
            {info.response_name: xr.DataArray(y, dims=tuple(coords), coords=coords)}
        )
        tree["observed_data"] = observed
    tree["posterior"] = order_parameters(drop_hidden(posterior, info.hidden), family)
    if "constant_data" in tree.children:
        del tree["constant_data"]
    for group in ("posterior", "log_prior"):
        if group in tree.children:
            tree[group] = _with_design_coords(tree[group].to_dataset(), design, family)
    return tree


def _with_design_coords(
    dataset: xr.Dataset, design: ModelDesign, family: Family | None = None
) -> xr.Dataset:
    """Level/term/coef (and threshold) coordinates set to the data's labels (some samplers drop
    string coords)."""
    updates = {}
    if family is not None:
        for dim, labels in parameter_dims(design, family).values():
            if dim in dataset.dims:
                updates[dim] = list(labels)
    for block in design.random:
        level_dim, term_dim, term_bis_dim = group_dims(block.name)
        for dim, labels in (
            (level_dim, block.levels),
            (term_dim, block.term_labels),
            (term_bis_dim, block.term_labels),
        ):
            if dim in dataset.dims:
                updates[dim] = list(labels)
    if "coef" in dataset.dims:
        updates["coef"] = list(design.fixed.column_names)
    return dataset.assign_coords(updates) if updates else dataset
