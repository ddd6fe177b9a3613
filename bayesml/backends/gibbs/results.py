"""The chains' draws as a bayesml result: the same ``xarray.DataTree`` as the NUTS backend.

Groups:

* ``posterior``, in the shared order: ``beta`` (coef; original scale), ``sd_<group>``
  (``<group>__term``; a scalar per draw for a smooth's penalised block, whose terms share one
  SD), ``corr_<group>`` (correlated groups), for a Gaussian response ``sigma``, for an ordinal
  model ``cutpoints`` (``<response>__threshold``, labelled ``1|2``, ``2|3``, …), and
  ``u_<group>`` (``<group>__level``, ``<group>__term``); the latent variables are not kept;
* ``sample_stats``: the statistics of the Metropolis and slice steps
  (``accept_corr_<group>``, ``accept_cutpoints``, ``slice_evals_sigma``, ``slice_evals_sd_<group>``,
  ``expansion_evals_<group>``) and ``expansion_<group>`` (bool, per chain and draw: whether the
  kept draws make the group's expansion moves), with the attribute ``expansion_gain_<group>``
  (per chain: the estimated ratio of the group's smallest ESS per draw with and without the
  moves that ``expansion="auto"`` compared; NaN where nothing was compared);
* ``observed_data``: the response, dim ``obs``;
* ``log_likelihood`` (unless ``log_likelihood`` is off): the pointwise log-likelihood of every row
  (the marginal likelihood of a probit row, not that of its latent variables), the same numbers as
  the NUTS backend, float32, computed in chunks of draws;
* ``log_prior`` (on request): the log prior density of ``beta`` (per coefficient, of the sampled
  coefficient: the scaled input's under ``weakly_informative``), of ``sd_<group>`` (per term, when
  the SDs have their own priors), ``corr_<group>`` (LKJ), ``cov_<group>`` (inverse-Wishart),
  ``sigma`` and ``cutpoints`` (per threshold); the random effects' density given their SDs is part of the model, not of the prior.

What the chains keep per draw does not grow with the rows: θ = (β, u) (coefficients and levels ×
terms), each group's covariance and the step statistics; the latent variables (probit z, logit ω)
and η live in each chain's state only, one value per row, overwritten every sweep.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from bayesml.backends.gibbs.problem import GibbsProblem
from bayesml.backends.gibbs.sampler import ChainTrace
from bayesml.priors import prior_logpdf
from bayesml.results.log_prior import GroupPriors
from bayesml.results.log_prior import log_prior_dataset as shared_log_prior_dataset
from bayesml.results.loglik import OBS_DIM, log_likelihood_dataset
from bayesml.results.tables import order_parameters

if TYPE_CHECKING:
    from bayesml.design import ModelDesign
    from bayesml.families import Family

__all__ = ["OBS_DIM", "build_result", "group_dims"]

COEF_DIM = "coef"


def group_dims(name: str) -> tuple[str, str, str]:
    """Dimension names of a grouping factor (as the NUTS backend names them)."""
    return f"{name}__level", f"{name}__term", f"{name}__term_bis"


def _stack(traces: list[ChainTrace], pick) -> np.ndarray:
    return np.stack([pick(trace) for trace in traces])


def _coords(chains: int, draws: int) -> dict[str, np.ndarray]:
    return {"chain": np.arange(chains), "draw": np.arange(draws)}


def posterior_dataset(problem: GibbsProblem, traces: list[ChainTrace]) -> xr.Dataset:
    """``beta``, ``sd_*``, ``corr_*``, ``sigma``, ``cutpoints`` and ``u_*`` with the shared names
    and dims, in the shared order."""
    chains, draws = len(traces), traces[0].theta.shape[0]
    coords: dict[str, object] = _coords(chains, draws)
    data: dict[str, xr.DataArray] = {}
    regression = problem.regression
    theta = _stack(traces, lambda trace: trace.theta)
    if regression.p:
        beta = problem.coefficients_on_original_scale(theta[..., : regression.p])
        data["beta"] = xr.DataArray(beta, dims=("chain", "draw", COEF_DIM))
        coords[COEF_DIM] = list(problem.coef_names)
    for index, group in enumerate(problem.groups):
        level_dim, term_dim, term_bis_dim = group_dims(group.name)
        part = regression.parts[index]
        effects = theta[..., regression.part_slice(index)].reshape(
            chains, draws, part.n_levels, part.n_terms
        )
        cov = _stack(traces, lambda trace, index=index: trace.cov[index])
        sd = np.sqrt(np.einsum("cdkk->cdk", cov))
        if group.shared_sd:  # one SD for the block (Σ = sd²·I): a scalar per draw
            data[f"sd_{group.name}"] = xr.DataArray(sd[..., 0], dims=("chain", "draw"))
        else:
            data[f"sd_{group.name}"] = xr.DataArray(sd, dims=("chain", "draw", term_dim))
        if group.correlated:
            corr = cov / (sd[..., :, None] * sd[..., None, :])
            corr[..., np.arange(group.k), np.arange(group.k)] = 1.0
            data[f"corr_{group.name}"] = xr.DataArray(
                corr, dims=("chain", "draw", term_dim, term_bis_dim)
            )
            coords[term_bis_dim] = list(group.term_labels)
        data[f"u_{group.name}"] = xr.DataArray(effects, dims=("chain", "draw", level_dim, term_dim))
        coords[level_dim] = list(group.levels)
        coords[term_dim] = list(group.term_labels)
    if problem.has_residual_sd:
        data["sigma"] = xr.DataArray(
            _stack(traces, lambda trace: trace.sigma), dims=("chain", "draw")
        )
    spec = problem.cutpoints
    if spec is not None:
        data[spec.name] = xr.DataArray(
            _stack(traces, lambda trace: trace.cutpoints), dims=("chain", "draw", spec.dim)
        )
        coords[spec.dim] = list(spec.labels)
    return order_parameters(xr.Dataset(data, coords=coords))


def sample_stats_dataset(problem: GibbsProblem, traces: list[ChainTrace]) -> xr.Dataset:
    """The Metropolis and slice statistics of every draw and the choice of expansion moves."""
    chains, draws = len(traces), traces[0].theta.shape[0]
    coords: dict[str, object] = _coords(chains, draws)
    labels = {f"{group.name}__term": list(group.term_labels) for group in problem.groups}
    data = {}
    for name, extra_dims in traces[0].stat_dims.items():
        dims = ("chain", "draw", *extra_dims)
        data[name] = xr.DataArray(
            _stack(traces, lambda trace, name=name: trace.stats[name]), dims=dims
        )
        coords.update({dim: labels[dim] for dim in extra_dims})
    attrs: dict[str, list[float]] = {}
    if traces[0].expansion:
        for index, group in enumerate(problem.groups):
            choices = [trace.expansion[index] for trace in traces]
            keep = np.array([choice.keep for choice in choices])
            data[f"expansion_{group.name}"] = xr.DataArray(
                np.repeat(keep[:, None], draws, axis=1), dims=("chain", "draw")
            )
            attrs[f"expansion_gain_{group.name}"] = [float(choice.gain) for choice in choices]
    return xr.Dataset(data, coords=coords, attrs=attrs)


def observed_dataset(design: ModelDesign) -> xr.Dataset:
    """The response, named as the NUTS backend names it."""
    values = xr.DataArray(
        design.response.y, dims=(OBS_DIM,), coords={OBS_DIM: np.arange(design.n_obs)}
    )
    return xr.Dataset({design.observed_name: values})


def log_prior_dataset(
    problem: GibbsProblem, traces: list[ChainTrace], posterior: xr.Dataset
) -> xr.Dataset:
    """Log prior densities of the parameters with priors (see the module text)."""
    regression = problem.regression
    aux_priors = {} if problem.sigma_prior is None else {"sigma": problem.sigma_prior}
    if problem.cutpoints is not None:
        aux_priors[problem.cutpoints.name] = problem.cutpoints.prior
    # a shared_sd group's one SD is a scalar per draw: its density is added here, the shared
    # function seeing the group without SD priors (and without a covariance prior: none)
    groups = [
        GroupPriors(group.name, group.term_labels, None, None) if group.shared_sd else group
        for group in problem.groups
    ]
    dataset = shared_log_prior_dataset(
        posterior,
        coefficients=_stack(traces, lambda trace: trace.theta[:, : regression.p])
        if regression.p
        else None,
        coefficient_priors=problem.coefficients.priors,
        groups=groups,
        aux_priors=aux_priors,
        covariances={
            group.name: _stack(traces, lambda trace, index=index: trace.cov[index])
            for index, group in enumerate(problem.groups)
            if group.cov_prior is not None and group.cov_prior.dist == "inverse_wishart"
        },
    )
    for group in problem.groups:
        if group.shared_sd:
            name = f"sd_{group.name}"
            sd = posterior[name].transpose("chain", "draw").values
            dataset[name] = xr.DataArray(
                prior_logpdf(group.sd_priors[0], sd), dims=("chain", "draw")
            )
    return order_parameters(dataset)


def build_result(
    problem: GibbsProblem,
    traces: list[ChainTrace],
    design: ModelDesign,
    family: Family,
    *,
    log_prior: bool = True,
    log_likelihood: bool = True,
) -> xr.DataTree:
    """Assemble the DataTree of a Gibbs run (see the module text); the ``log_likelihood`` group
    (computed in chunks of draws) unless ``log_likelihood`` is False."""
    posterior = posterior_dataset(problem, traces)
    groups = {
        "posterior": posterior,
        "sample_stats": sample_stats_dataset(problem, traces),
        "observed_data": observed_dataset(design),
    }
    if log_likelihood:
        groups["log_likelihood"] = log_likelihood_dataset(posterior, design, family)
    if log_prior:
        groups["log_prior"] = log_prior_dataset(problem, traces, posterior)
    return xr.DataTree.from_dict(groups)
