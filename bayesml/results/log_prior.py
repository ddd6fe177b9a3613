"""The ``log_prior`` group of a result, in numpy: the same numbers for every backend.

:func:`log_prior_dataset` evaluates the log density of each parameter's prior at each posterior
draw with :func:`bayesml.priors.prior_logpdf`:

* ``beta`` (dim ``coef``): the density of each sampled coefficient (under ``weakly_informative``,
  the coefficient of the scaled input, whose prior is Cauchy(0, 2.5) or the coefficient's own prior
  rescaled to that input);
* ``sd_<group>`` (dim ``<group>__term``): the density of each SD, when the SDs have priors of their
  own (not under an inverse-Wishart prior, which implies them); a scalar ``sd_<group>`` (one SD
  shared by the terms of a smooth) has one density, its prior ``sd_priors[0]``;
* ``corr_<group>`` (LKJ; the density of the correlation matrix) or ``cov_<group>``
  (inverse-Wishart; the density of the covariance matrix), one value per draw;
* ``sigma``, ``nu``, ``alpha``, ``kappa``: the family parameters' priors; ``cutpoints`` (dim
  ``<response>__threshold``): the density of each threshold under its prior (for the cumulative
  family, whose thresholds are increasing, the density of the vector adds the constant
  log (K − 1)!, which no sensitivity measure sees).

The random effects' density given their SDs is part of the model, not of the prior, and is left
out (as brms leaves it out of ``lprior``). Densities are on the scale of the reported parameter
(σ, not log σ; no Jacobian), with ``-inf`` outside the support.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import xarray as xr

from bayesml.priors import prior_logpdf

if TYPE_CHECKING:
    from bayesml.priors import Prior

__all__ = ["GroupPriors", "covariance_draws", "log_prior_dataset"]

SAMPLE_DIMS = ("chain", "draw")
COEF_DIM = "coef"


class GroupPriorsLike(Protocol):
    """What :func:`log_prior_dataset` reads from a group (the Gibbs backend's ``GroupSpec`` too)."""

    name: str
    term_labels: tuple[str, ...]
    sd_priors: tuple[Prior, ...] | None
    cov_prior: Prior | None


@dataclass(frozen=True)
class GroupPriors:
    """The covariance priors of one grouping factor.

    Attributes
    ----------
    name
        Grouping factor name (``county``).
    term_labels
        Labels of its terms.
    sd_priors
        Prior of each term's SD; ``None`` under an inverse-Wishart prior.
    cov_prior
        ``lkj`` or ``inverse_wishart`` for correlated terms; ``None`` for uncorrelated ones.
    """

    name: str
    term_labels: tuple[str, ...]
    sd_priors: tuple[Prior, ...] | None
    cov_prior: Prior | None


def covariance_draws(posterior: xr.Dataset, group: str) -> np.ndarray:
    """Σ = diag(sd) R diag(sd) at every draw, shape ``(chain, draw, K, K)``.

    Uses ``sd_<group>`` and ``corr_<group>`` (the identity when there is no ``corr_<group>``).
    """
    sd = posterior[f"sd_{group}"].transpose(*SAMPLE_DIMS, ...).values
    corr_name = f"corr_{group}"
    if corr_name in posterior:
        corr = posterior[corr_name].transpose(*SAMPLE_DIMS, ...).values
    else:
        corr = np.eye(sd.shape[-1])
    return sd[..., :, None] * corr * sd[..., None, :]


def _per_entry(priors: Sequence[Prior], values: np.ndarray) -> np.ndarray:
    """The log density of ``priors[j]`` at ``values[..., j]``, stacked on the last axis."""
    return np.stack(
        [prior_logpdf(prior, values[..., j]) for j, prior in enumerate(priors)], axis=-1
    )


def _group_entries(
    posterior: xr.Dataset, group: GroupPriorsLike, covariances: Mapping[str, np.ndarray]
) -> dict[str, xr.DataArray]:
    term_dim = f"{group.name}__term"
    entries: dict[str, xr.DataArray] = {}
    if group.sd_priors is not None:
        sd = posterior[f"sd_{group.name}"].transpose(*SAMPLE_DIMS, ...).values
        if sd.ndim == len(SAMPLE_DIMS):  # one SD shared by every term (a smooth): a scalar
            entries[f"sd_{group.name}"] = xr.DataArray(
                prior_logpdf(group.sd_priors[0], sd), dims=SAMPLE_DIMS
            )
        else:
            entries[f"sd_{group.name}"] = xr.DataArray(
                _per_entry(group.sd_priors, sd), dims=(*SAMPLE_DIMS, term_dim)
            )
    prior = group.cov_prior
    if prior is None:
        return entries
    if prior.dist == "lkj":
        corr = posterior[f"corr_{group.name}"].transpose(*SAMPLE_DIMS, ...).values
        entries[f"corr_{group.name}"] = xr.DataArray(prior_logpdf(prior, corr), dims=SAMPLE_DIMS)
    else:
        cov = covariances.get(group.name)
        if cov is None:
            cov = covariance_draws(posterior, group.name)
        entries[f"cov_{group.name}"] = xr.DataArray(prior_logpdf(prior, cov), dims=SAMPLE_DIMS)
    return entries


def log_prior_dataset(
    posterior: xr.Dataset,
    *,
    coefficients: np.ndarray | None,
    coefficient_priors: Sequence[Prior],
    groups: Sequence[GroupPriorsLike],
    aux_priors: Mapping[str, Prior],
    covariances: Mapping[str, np.ndarray] | None = None,
    coefficient_name: str = "beta",
    coef_dim: str = COEF_DIM,
) -> xr.Dataset:
    """The log prior density of every parameter with a prior, at every draw.

    Parameters
    ----------
    posterior
        Posterior draws with the shared names (``sd_<group>``, ``corr_<group>``, ``sigma``, ...)
        and dims ``chain``, ``draw`` first.
    coefficients
        The sampled fixed-effect coefficients, shape ``(chain, draw, p)``, in the order of the
        ``coef`` coordinate (under ``weakly_informative``, those of the scaled inputs); ``None``
        without fixed effects.
    coefficient_priors
        The prior of each sampled coefficient, on the scale it was sampled on.
    groups
        The priors of each grouping factor (:class:`GroupPriors`).
    aux_priors
        Family parameter name (``sigma``, ``nu``, ``alpha``, ``kappa``) -> its prior.
    covariances
        Group name -> covariance draws ``(chain, draw, K, K)`` for inverse-Wishart groups, when the
        backend has them; otherwise they are rebuilt from ``sd_<group>`` and ``corr_<group>``.
    coefficient_name, coef_dim
        Name and dimension of the coefficients (``beta_zi``, ``coef_zi`` for the formula of a
        family parameter).

    Returns
    -------
    xarray.Dataset
        ``beta``, ``sd_<group>``, ``corr_<group>`` or ``cov_<group>``, and the family parameters
        (see the module text).

    Raises
    ------
    ValueError
        If ``coefficients`` and ``coefficient_priors`` disagree in length.
    """
    data: dict[str, xr.DataArray] = {}
    if coefficients is not None and len(coefficient_priors):
        if coefficients.shape[-1] != len(coefficient_priors):
            raise ValueError(
                f"coefficients has {coefficients.shape[-1]} columns but coefficient_priors has "
                f"{len(coefficient_priors)} priors; expected one prior per coefficient"
            )
        data[coefficient_name] = xr.DataArray(
            _per_entry(coefficient_priors, np.asarray(coefficients, dtype=float)),
            dims=(*SAMPLE_DIMS, coef_dim),
        )
    for group in groups:
        data |= _group_entries(posterior, group, covariances or {})
    for name, prior in aux_priors.items():
        draws = posterior[name].transpose(*SAMPLE_DIMS, ...)
        # a vector (the cutpoints) gets the density of each entry on its own dimension
        data[name] = xr.DataArray(prior_logpdf(prior, draws.values), dims=draws.dims)
    vector_dims = {dim for name in aux_priors for dim in posterior[name].dims} - set(SAMPLE_DIMS)
    coords = {
        name: values
        for name, values in posterior.coords.items()
        if name in (*SAMPLE_DIMS, coef_dim, *vector_dims)
        and (name != coef_dim or coefficient_name in data)
    }
    used = {dim for array in data.values() for dim in array.dims}
    coords |= {
        f"{group.name}__term": list(group.term_labels)
        for group in groups
        if group.sd_priors and f"{group.name}__term" in used
    }
    return xr.Dataset(data, coords=coords)
