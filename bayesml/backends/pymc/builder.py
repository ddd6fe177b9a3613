"""Build a PyMC model from a design, resolved priors and a family.

The builder never parses a formula: it receives the matrices of :mod:`bayesml.design`, the priors of
:mod:`bayesml.priors` and the family of :mod:`bayesml.families`, and writes the graph:

    η = X β + offset + Σ_groups Σ_terms  term_matrix[:, k] · u_group[level(i), k]

with non-centred random effects ``u = z Lᵀ`` (correlated terms, ``Σ = L Lᵀ``) or ``u = z · sd``
(uncorrelated terms), ``z ~ N(0, 1)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayesml.backends.pymc import likelihoods
from bayesml.backends.pymc import priors as prior_builders
from bayesml.errors import FamilyError

if TYPE_CHECKING:
    from bayesml.design import ModelDesign, RandomBlock
    from bayesml.families import Family
    from bayesml.priors import ResolvedPriors

__all__ = ["BuildInfo", "build_pymc_model", "group_dims", "OBS_DIM", "COEF_DIM"]

OBS_DIM = "obs"
COEF_DIM = "coef"
ProbitForm = Literal["marginal", "latent"]


@dataclass(frozen=True)
class BuildInfo:
    """What the sampling and results layers need to know about a built model.

    Attributes
    ----------
    response_name
        Name of the observed variable (the response column's name).
    latent_probit
        True when the probit likelihood is in the Albert–Chib latent form; then the model has no
        observed variable and the log-likelihood is computed from η by the results layer.
    bernoulli_rows
        For the latent form, the row of the design behind each Bernoulli row (binomial rows are
        expanded to one Bernoulli row per trial).
    bernoulli_y
        The 0/1 outcome of each Bernoulli row of the latent form.
    """

    response_name: str
    latent_probit: bool = False
    bernoulli_rows: np.ndarray | None = field(default=None, repr=False)
    bernoulli_y: np.ndarray | None = field(default=None, repr=False)
    compiled: dict = field(default_factory=dict, repr=False, compare=False)
    """Samplers' compiled models, kept so that repeated fits of one model compile once."""


def group_dims(name: str) -> tuple[str, str, str]:
    """Dimension names of a grouping factor: levels, terms and the second term axis of ``corr``."""
    return f"{name}__level", f"{name}__term", f"{name}__term_bis"


def model_coords(design: ModelDesign) -> dict[str, list]:
    """Coordinates of every dimension the model uses, named from the data."""
    coords: dict[str, list] = {
        OBS_DIM: list(range(design.n_obs)),
        COEF_DIM: list(design.fixed.column_names),
    }
    for block in design.random:
        level_dim, term_dim, term_bis_dim = group_dims(block.name)
        coords[level_dim] = list(block.levels)
        coords[term_dim] = list(block.term_labels)
        coords[term_bis_dim] = list(block.term_labels)
    return coords


def build_pymc_model(
    design: ModelDesign,
    priors: ResolvedPriors,
    family: Family,
    *,
    probit_form: ProbitForm = "marginal",
) -> tuple[pm.Model, BuildInfo]:
    """Write the PyMC graph of a hierarchical GLM.

    Parameters
    ----------
    design
        Validated design matrices (:func:`bayesml.design.build_design`).
    priors
        The priors in force for every parameter (:func:`bayesml.priors.resolve_priors`).
    family
        Response family with its link.
    probit_form
        ``"marginal"`` (P(y = 1) = Φ(η)) or ``"latent"`` (Albert–Chib: z ~ N(η, 1), y = 1[z > 0]);
        the latent form needs a bernoulli or binomial family with the probit link.

    Returns
    -------
    model, info
        The ``pm.Model`` and a :class:`BuildInfo` for the sampling and results layers.
    """
    if probit_form not in ("marginal", "latent"):
        raise ValueError(f"probit_form must be 'marginal' or 'latent'; got {probit_form!r}")
    latent = probit_form == "latent"
    if latent and not (family.name in ("bernoulli", "binomial") and family.link.name == "probit"):
        raise FamilyError(
            "the latent (Albert–Chib) form needs a bernoulli or binomial family with the probit link; "
            f"got family={family.name!r}, link={family.link.name!r}"
        )
    response_name = design.observed_name
    with pm.Model(coords=model_coords(design)) as model:
        eta = linear_predictor(design, priors)
        aux = {
            name: prior_builders.positive_variable(name, priors.aux[name])
            for name in (param.name for param in family.aux_params)
        }
        if latent:
            info = _add_latent_probit(design, eta, response_name)
        else:
            likelihoods.add_likelihood(
                family,
                name=response_name,
                eta=eta,
                observed=design.response.y,
                aux=aux,
                trials=design.response.trials,
                weights=design.response.weights,
                dims=OBS_DIM,
            )
            info = BuildInfo(response_name=response_name)
    return model, info


def linear_predictor(design: ModelDesign, priors: ResolvedPriors) -> pt.TensorVariable:
    """η = Xβ + offset + random effects, adding β and the random effects to the model in context."""
    beta = prior_builders.fixed_effects(
        design.fixed.column_names,
        intercept_prior=priors.intercept,
        fixed_priors=priors.fixed,
        scaling=priors.weakly_informative,
        dims=COEF_DIM,
    )
    # Σ_j X_ij β_j elementwise: numba compiles the gradient of a matrix product far more slowly
    matrix = np.asarray(design.fixed.matrix, dtype="float64")
    eta = (
        pt.sum(pt.as_tensor_variable(matrix) * beta[None, :], axis=1)
        if matrix.shape[1]
        else pt.zeros(design.n_obs)
    )
    if np.any(design.offset != 0):
        eta = eta + pt.as_tensor_variable(design.offset)
    for block in design.random:
        eta = eta + _random_contribution(block, priors)
    return eta


def _random_contribution(block: RandomBlock, priors: ResolvedPriors) -> pt.TensorVariable:
    """Add ``u_<group>`` (non-centred) to the model; return its contribution to η.

    The graph avoids matrix products and two-dimensional gathers: numba compiles their
    gradients several times more slowly than the elementwise form used here (one column of
    effects per term, ``u_k = Σ_j L_kj z_j``, gathered by level).
    """
    level_dim, term_dim, _ = group_dims(block.name)
    z = pm.Normal(f"_z_{block.name}", 0.0, 1.0, dims=(level_dim, term_dim))
    cov_prior = priors.cov.get(block.name)
    # an inverse-Wishart Σ implies the SDs, which then have no prior of their own
    group_sd_priors = priors.sd.get(block.name)
    sd_priors = (
        None
        if group_sd_priors is None
        else [group_sd_priors[label] for label in block.term_labels]
    )
    n_terms = len(block.term_labels)
    if block.correlated and cov_prior is not None:
        factor = prior_builders.covariance_factor(
            block.name, block.term_labels, cov_prior=cov_prior, sd_priors=sd_priors
        )
        columns = [
            sum(factor[k, j] * z[:, j] for j in range(n_terms)) for k in range(n_terms)
        ]
    else:
        sd = prior_builders.sd_vector(f"sd_{block.name}", sd_priors, dims=term_dim)
        columns = [sd[k] * z[:, k] for k in range(n_terms)]
    pm.Deterministic(f"u_{block.name}", pt.stack(columns, axis=1), dims=(level_dim, term_dim))
    group_index = pt.as_tensor_variable(block.group_index.astype("int64"))
    term_matrix = np.asarray(block.term_matrix, dtype="float64")
    contribution = 0.0
    for k, column in enumerate(columns):
        rows = column[group_index]
        if np.all(term_matrix[:, k] == 1.0):
            contribution = contribution + rows
        else:
            contribution = contribution + pt.as_tensor_variable(term_matrix[:, k]) * rows
    return contribution


def _add_latent_probit(design: ModelDesign, eta, response_name: str) -> BuildInfo:
    """Albert–Chib form: one latent normal per Bernoulli row, constrained by the outcome's sign."""
    y = np.asarray(design.response.y)
    trials = design.response.trials
    if trials is None:
        rows, y01 = np.arange(len(y)), y.astype("int64")
    else:
        rows, y01 = likelihoods.expand_binomial_rows(y, trials)
    likelihoods.add_latent_probit(name="_latent", eta=eta[rows], y=y01, dims=None)
    return BuildInfo(
        response_name=response_name, latent_probit=True, bernoulli_rows=rows, bernoulli_y=y01
    )

