"""Build a PyMC model from a design, resolved priors and a family.

The builder never parses a formula: it receives the matrices of :mod:`bayesml.design`, the priors of
:mod:`bayesml.priors` and the family of :mod:`bayesml.families`, and writes the graph:

    η = X β + offset + Σ_groups Σ_terms  term_matrix[:, k] · u_group[level(i), k]

with non-centred random effects ``u = z Lᵀ`` (correlated terms, ``Σ = L Lᵀ``) or ``u = z · sd``
(uncorrelated terms), ``z ~ N(0, 1)``. A block whose terms share one SD (a smooth's penalised
part, ``block.shared_sd``) has the scalar ``sd_<group>`` and ``u_<group> = sd_<group> · z``.

The graph is written for numba, which compiles and runs elementwise one-dimensional code far
faster than matrix products, two-dimensional gathers and vectors indexed entry by entry: every
coefficient and every SD is a scalar variable, every term of a group has its own vector of
standardised effects ``_z_<group>_<k>`` and its own column of effects ``_u_<group>_<k>`` (a
Deterministic), and η is a sum of ``scalar · column`` and ``column[level]`` products. The documented
vectors (``beta``, ``sd_<group>``, ``u_<group>``) are Deterministics stacking them; samplers that
store only what they must (nutpie, see :func:`derived_names`) skip ``u_<group>``, which the results
layer stacks from the columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayesml.backends.pymc import categorical, likelihoods
from bayesml.backends.pymc import priors as prior_builders
from bayesml.backends.pymc.links import inverse_link
from bayesml.backends.pymc.start import (
    centring_block,
    first_rows,
    level_constant_columns,
    nesting_chains,
    parent_levels,
)
from bayesml.errors import ArgumentError, FamilyError
from bayesml.priors import sampled_fixed_effects
from bayesml.results.dims import parameter_dims
from bayesml.results.log_prior import GroupPriors
from bayesml.results.prediction import CATEGORY_DIM

if TYPE_CHECKING:
    from bayesml.design import ModelDesign, RandomBlock
    from bayesml.families import Family
    from bayesml.priors import Prior, ResolvedPriors

__all__ = [
    "BuildInfo",
    "PriorRecord",
    "build_pymc_model",
    "derived_names",
    "group_dims",
    "OBS_DIM",
    "COEF_DIM",
]

OBS_DIM = "obs"
COEF_DIM = "coef"
ProbitForm = Literal["marginal", "latent"]


@dataclass(frozen=True)
class PriorRecord:
    """The priors the builder put on the parameters, for the ``log_prior`` group.

    Attributes
    ----------
    coefficient_names
        The posterior variable holding each sampled coefficient (``_beta_<j>``, or
        ``_beta_scaled_<j>`` under ``weakly_informative``), in the order of the ``coef`` dim.
    coefficient_priors
        The prior of each sampled coefficient, on its sampled scale.
    groups
        The SD and covariance priors of each grouping factor.
    aux_priors
        Family parameter name -> prior.
    coefficient_name, coef_dim
        The name and dimension of the coefficients (``beta``, ``coef``; ``beta_zi``,
        ``coef_zi`` for a family parameter's formula).
    predictors
        The same record for the formula of each family parameter that has one.
    categories
        For a categorical model, the record of each non-reference category's coefficients and
        groups under their hidden names (:mod:`bayesml.backends.pymc.categorical`), whose log
        priors are stacked on ``category_dim``.
    renames
        A category's hidden names (variables and dimensions) -> the documented ones.
    """

    coefficient_names: tuple[str, ...]
    coefficient_priors: tuple[Prior, ...]
    groups: tuple[GroupPriors, ...]
    aux_priors: dict[str, Prior]
    coefficient_name: str = "beta"
    coef_dim: str = "coef"
    predictors: dict[str, PriorRecord] = field(default_factory=dict)
    categories: tuple[PriorRecord, ...] = ()
    category_dim: str | None = None
    renames: dict[str, str] = field(default_factory=dict)


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
    priors
        The priors in force, as :func:`bayesml.results.log_prior.log_prior_dataset` needs them.
    effect_columns
        ``u_<group>`` -> the names of its per-term columns ``_u_<group>_<k>``.
    integrated_group
        The grouping factor whose random effects the graph integrates out
        (:mod:`bayesml.backends.pymc.marginal`); the results layer draws them back.
    row_variables
        Free variables with one value per row (the latent form's magnitudes ``_latent_abs``):
        the samplers do not store their draws, which would take chains × draws × rows values.
    hidden
        Variables left out of results although their names do not start with ``_`` (a
        categorical model's per-category ``sd__c0_<group>``, stacked into ``sd_<group>``).
    """

    response_name: str
    latent_probit: bool = False
    bernoulli_rows: np.ndarray | None = field(default=None, repr=False)
    bernoulli_y: np.ndarray | None = field(default=None, repr=False)
    priors: PriorRecord | None = field(default=None, repr=False)
    effect_columns: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    integrated_group: str | None = None
    row_variables: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
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
    if np.ndim(design.response.y) == 2:  # a multinomial response's columns
        coords[CATEGORY_DIM] = list(map(str, design.response.levels or ()))
    blocks = list(design.random)
    for predictor in design.predictors.values():
        coords[predictor.coef_dim] = list(predictor.fixed.column_names)
        blocks += predictor.random
    for block in blocks:
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
    parameterization: Mapping[str, str] | None = None,
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
    parameterization
        Grouping factor -> ``"centered"`` (``u ~ N(0, sd)``, or ``MvNormal(0, L Lᵀ)`` for a
        correlated term) or ``"noncentered"`` (``u = sd · z``, ``u = z Lᵀ``) for the gaussian
        random terms of the mean's formula (:mod:`bayesml.backends.pymc.parameterization`);
        a factor not in it, and every other block, is non-centred.

    Returns
    -------
    model, info
        The ``pm.Model`` and a :class:`BuildInfo` for the sampling and results layers.
    """
    if probit_form not in ("marginal", "latent"):
        raise ArgumentError(f"probit_form must be 'marginal' or 'latent'; got {probit_form!r}")
    latent = probit_form == "latent"
    if latent and not likelihoods.has_latent_form(family):
        forms = ", ".join(
            f"{name} ({' or '.join(links)} link)"
            for name, links in likelihoods.LATENT_PROBIT_FAMILIES.items()
        )
        raise FamilyError(
            f"the latent (Albert–Chib) form needs one of {forms}; "
            f"got family={family.name!r}, link={family.link.name!r}"
        )
    response_name = design.observed_name
    hidden: tuple[str, ...] = ()
    with pm.Model(coords=model_coords(design)) as model:
        if family.category_predictors:
            eta, hidden = categorical.categorical_linear_predictor(
                design, priors, family, linear_predictor
            )
        else:
            eta = linear_predictor(design, priors, parameterization=parameterization)
        aux = family_parameters(family, priors, design)
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
                dims=OBS_DIM if np.ndim(design.response.y) == 1 else (OBS_DIM, CATEGORY_DIM),
            )
            info = BuildInfo(response_name=response_name)
    info = replace(
        info,
        priors=prior_record(design, priors, family, latent=latent),
        effect_columns={
            f"u_{block.name}": effect_column_names(block.name, len(block.term_labels))
            for block in all_blocks(design)
            if not family.category_predictors and not block.shared_sd
        },
        hidden=hidden,
    )
    return model, info


#: a family parameter's constraint -> the builder of its PyMC variable
PARAMETER_BUILDERS = {
    "positive": prior_builders.positive_variable,
    "unit_interval": prior_builders.unit_interval_variable,
}


#: a vector parameter's constraint -> the builder of its PyMC variable (name, prior, dims=)
VECTOR_PARAMETER_BUILDERS = {
    "ordered": prior_builders.ordered_variable,
    "real": prior_builders.real_vector_variable,
}


def vector_parameter(
    param: Any, prior: Prior, design: ModelDesign, family: Family
) -> pt.TensorVariable:
    """A vector parameter (the ordinal families' ``cutpoints``) on its dimension
    ``<response>__<dim>`` (``rating__threshold``), labelled from the response's levels."""
    builder = VECTOR_PARAMETER_BUILDERS.get(param.constraint)
    dims = parameter_dims(design, family).get(param.name)
    if builder is None or dims is None:
        raise FamilyError(
            f"the NUTS backend has no variable for the {param.constraint} vector parameter "
            f"{param.name!r} of family {family.name!r}"
        )
    dim, labels = dims
    model = pm.modelcontext(None)
    if dim not in model.coords:
        model.add_coord(dim, list(labels))
    return builder(param.name, prior, dims=dim)


def family_parameters(
    family: Family, priors: ResolvedPriors, design: ModelDesign | None = None
) -> dict[str, pt.TensorVariable]:
    """Add the family's parameters beyond the mean (``sigma``, ``nu``, ...) with their priors;
    a parameter with a formula is its inverse link of that formula's linear predictor (one value
    per row), with ``beta_<parameter>`` and its random effects."""
    variables = {}
    predictors = {} if design is None else design.predictors
    for param in family.parameters:
        if param.name in predictors:
            variables[param.name] = predictor_parameter(
                predictors[param.name], priors.predictors[param.name], design.n_obs
            )
            continue
        if param.shape and design is not None:
            variables[param.name] = vector_parameter(param, priors.aux[param.name], design, family)
            continue
        builder = PARAMETER_BUILDERS.get(param.constraint)
        if builder is None or param.shape:
            raise FamilyError(
                f"the NUTS backend has no variable for the {param.constraint} parameter "
                f"{param.name!r} of family {family.name!r} (shape {param.shape or 'scalar'})"
            )
        variables[param.name] = builder(param.name, priors.aux[param.name])
    return variables


@dataclass(frozen=True)
class _PredictorRows:
    """A parameter's formula seen as a design: what :func:`linear_predictor` reads."""

    fixed: Any
    random: tuple
    n_obs: int
    offset: np.ndarray


def predictor_parameter(predictor: Any, priors: ResolvedPriors, n_obs: int) -> pt.TensorVariable:
    """g⁻¹(η_p) of a parameter's formula, adding ``beta_<p>`` (dim ``coef_<p>``) and its effects."""
    rows = _PredictorRows(predictor.fixed, tuple(predictor.random), n_obs, np.zeros(n_obs))
    eta = linear_predictor(
        rows, priors, coefficient_name=priors.coefficient_name, coef_dim=predictor.coef_dim
    )
    return inverse_link(predictor.link, eta)


def prior_record(
    design: ModelDesign, priors: ResolvedPriors, family: Family, *, latent: bool = False
) -> PriorRecord:
    """The priors :func:`build_pymc_model` puts on each parameter (see :class:`PriorRecord`)."""
    aux_names = () if latent else tuple(param.name for param in priors_of(family, design))
    if family.category_predictors:
        return _categorical_prior_record(design, priors, family)
    record = _coefficient_and_group_record(design.fixed, design.random, priors, aux_names)
    return replace(
        record,
        predictors={
            name: replace(
                _coefficient_and_group_record(
                    predictor.fixed, predictor.random, priors.predictors[name], ()
                ),
                coef_dim=predictor.coef_dim,
            )
            for name, predictor in design.predictors.items()
        },
    )


def _categorical_prior_record(
    design: ModelDesign, priors: ResolvedPriors, family: Family
) -> PriorRecord:
    """One record per non-reference category, under the hidden names of its graph."""
    records = []
    for index in range(len(categorical.category_labels(design, family))):
        blocks = [
            replace(block, name=categorical.category_group_name(block.name, index))
            for block in design.random
        ]
        record = _coefficient_and_group_record(
            design.fixed, blocks, categorical.category_priors(priors, design, index), ()
        )
        records.append(replace(record, renames=categorical.category_renames(design, index)))
    return PriorRecord(
        coefficient_names=(),
        coefficient_priors=(),
        groups=(),
        aux_priors={},
        categories=tuple(records),
        category_dim=categorical.category_predictor_dim(design),
    )


def all_blocks(design: ModelDesign) -> list:
    """The random blocks of the mean and of every family parameter's formula."""
    blocks = list(design.random)
    for predictor in design.predictors.values():
        blocks += predictor.random
    return blocks


def priors_of(family: Family, design: ModelDesign) -> list:
    """The family parameters that take a prior of their own (not those with a formula)."""
    return [param for param in family.aux_params if param.name not in design.predictors]


def _coefficient_and_group_record(
    fixed: Any, random: Any, priors: ResolvedPriors, aux_names: tuple[str, ...]
) -> PriorRecord:
    labels = fixed.column_names
    scaling = priors.weakly_informative
    name = priors.coefficient_name
    prefix = f"_{name}_scaled" if scaling is not None else f"_{name}"
    coefficient_priors = prior_builders.sampled_coefficient_priors(
        labels, intercept_prior=priors.intercept, fixed_priors=priors.fixed, scaling=scaling
    )
    groups = []
    for block in random:
        cov_prior = priors.cov.get(block.name) if block.correlated else None
        sd_priors = priors.sd.get(block.name)
        implied_sds = cov_prior is not None and cov_prior.dist == "inverse_wishart"
        # a shared SD (a smooth) is one scalar sd_<group> with the prior of every term
        sd_labels = block.term_labels[:1] if block.shared_sd else block.term_labels
        groups.append(
            GroupPriors(
                name=block.name,
                term_labels=tuple(block.term_labels),
                sd_priors=None
                if implied_sds or sd_priors is None
                else tuple(sd_priors[label] for label in sd_labels),
                cov_prior=cov_prior,
            )
        )
    return PriorRecord(
        coefficient_names=tuple(f"{prefix}_{index}" for index in range(len(labels))),
        coefficient_priors=tuple(coefficient_priors),
        groups=tuple(groups),
        aux_priors={aux: priors.aux[aux] for aux in aux_names},
        coefficient_name=name,
    )


def effect_column_names(group: str, n_terms: int) -> tuple[str, ...]:
    """Names of the per-term columns of ``u_<group>``: ``_u_<group>_0``, ``_u_<group>_1``, ..."""
    return tuple(f"_u_{group}_{k}" for k in range(n_terms))


def derived_names(model: pm.Model, info: BuildInfo) -> list[str]:
    """The Deterministics to compute after sampling: all but the ``u_<group>`` stacks of the
    columns, which the results layer stacks itself (samplers that store only the free variables,
    as bayesml's nutpie path does, see :mod:`bayesml.backends.pymc.deterministics`)."""
    skipped = set(info.effect_columns)
    return [var.name for var in model.deterministics if var.name not in skipped]


def linear_predictor(
    design: ModelDesign, priors: ResolvedPriors, *, coefficient_name: str = "beta",
    coef_dim: str = COEF_DIM, parameterization: Mapping[str, str] | None = None,
) -> pt.TensorVariable:  # fmt: skip
    """η = Xβ + offset + random effects, adding β and the random effects to the model in context.

    ``coefficient_name`` and ``coef_dim`` name the coefficients (``beta_zi``, ``coef_zi`` for the
    formula of a family parameter); ``parameterization`` maps a grouping factor to
    ``"centered"`` or ``"noncentered"`` (default)."""
    chosen = dict(parameterization or {})
    chains = [
        chain
        for chain in nesting_chains(design)
        if any(chosen.get(block.name) == "centered" for block in chain)
    ]
    level_mean = None
    if chains:
        # the first chain's coarsest centred block is centred on the fixed effects constant
        # within its levels too (its free variable's mean): the intercept–effects ridge goes
        sampled, matrix = fixed_coefficients(design, priors, coefficient_name, coef_dim)
        absorbing = centring_block(chains[0], chosen)
        absorbed = level_constant_columns(matrix, absorbing)
        first = first_rows(absorbing)
        eta = sum(
            (_times_column(b, matrix[:, j]) for j, b in enumerate(sampled) if not absorbed[j]),
            start=pt.constant(0.0, dtype="float64"),
        )
        if absorbed.any():
            level_mean = (
                absorbing.name,
                sum(
                    (
                        _times_column(b, matrix[first, j])
                        for j, b in enumerate(sampled)
                        if absorbed[j]
                    ),
                    start=pt.constant(0.0, dtype="float64"),
                ),
            )
    else:
        eta = _fixed_contribution(design, priors, coefficient_name, coef_dim)
    if np.any(design.offset != 0):
        eta = eta + pt.as_tensor_variable(np.asarray(design.offset, dtype="float64"))
    chained = {block.name for chain in chains for block in chain}
    for block in design.random:
        if block.name in chained:
            continue
        centered = chosen.get(block.name) == "centered"
        eta = eta + _random_contribution(block, priors, centered=centered)
    for position, chain in enumerate(chains):
        eta = eta + _chain_contribution(
            chain, priors, chosen, level_mean if position == 0 else None
        )
    if eta.ndim == 0:  # an intercept-only model
        eta = pt.alloc(eta, design.n_obs)
    return eta


def _times_column(value: pt.TensorVariable, column: np.ndarray) -> pt.TensorVariable:
    """``value · column`` elementwise, or ``value`` itself where the column is all ones."""
    if np.all(column == 1.0):
        return value
    return value * pt.as_tensor_variable(np.asarray(column, dtype="float64"))


def fixed_coefficients(
    design: ModelDesign,
    priors: ResolvedPriors,
    coefficient_name: str = "beta",
    coef_dim: str = COEF_DIM,
) -> tuple[list[pt.TensorVariable], np.ndarray]:
    """Add the sampled coefficients and ``beta`` (original scale); return them and their columns.

    Under ``weakly_informative`` the sampled coefficients are those of the scaled inputs, and the
    returned matrix holds the scaled columns they multiply (the same η). Without fixed effects
    both are empty.
    """
    labels = list(design.fixed.column_names)
    if not labels:
        return [], np.zeros((design.n_obs, 0))
    scaling = priors.weakly_informative
    matrix, sampled_priors = _sampled_fixed_effects(design, priors)
    sampled = prior_builders.coefficient_scalars(
        sampled_priors, scaled=scaling is not None, name=coefficient_name
    )
    pm.Deterministic(
        coefficient_name,
        prior_builders.original_scale_coefficients(pt.stack(sampled), labels, scaling),
        dims=coef_dim,
    )
    return sampled, matrix


def coefficient_columns(
    design: ModelDesign, priors: ResolvedPriors
) -> tuple[np.ndarray, tuple[str, ...]]:
    """The columns the mean's sampled coefficients multiply and their variables' names
    (``_beta_<j>``, ``_beta_scaled_<j>``), without building a graph: for initial values."""
    labels = list(design.fixed.column_names)
    if not labels:
        return np.zeros((design.n_obs, 0)), ()
    matrix, _ = _sampled_fixed_effects(design, priors)
    prefix = "_beta_scaled" if priors.weakly_informative is not None else "_beta"
    return np.asarray(matrix, dtype=float), tuple(f"{prefix}_{j}" for j in range(len(labels)))


def _sampled_fixed_effects(design: ModelDesign, priors: ResolvedPriors) -> tuple:
    """The columns the sampled fixed-effect coefficients multiply, and their priors."""
    return sampled_fixed_effects(
        design.fixed.matrix,
        list(design.fixed.column_names),
        intercept_prior=priors.intercept,
        fixed_priors=priors.fixed,
        scaling=priors.weakly_informative,
    )


def _fixed_contribution(
    design: ModelDesign, priors: ResolvedPriors, coefficient_name: str, coef_dim: str
) -> pt.TensorVariable:
    """Σ_j b_j x_j over the columns of the sampled coefficients (see :func:`fixed_coefficients`)."""
    sampled, matrix = fixed_coefficients(design, priors, coefficient_name, coef_dim)
    if not sampled:
        return pt.zeros(design.n_obs, dtype="float64")
    return sum(
        (_times_column(b, matrix[:, j]) for j, b in enumerate(sampled)),
        start=pt.constant(0.0, dtype="float64"),
    )


def group_factor(block: RandomBlock, priors: ResolvedPriors) -> prior_builders.Entries:
    """Add a group's SD (and covariance) parameters; return the entries of L, Σ = L Lᵀ.

    ``L[k][j]`` is ``None`` where it is zero by construction: off the diagonal for uncorrelated
    terms, whose diagonal holds the SDs; above it for an LKJ Cholesky factor.
    """
    _, term_dim, _ = group_dims(block.name)
    if block.shared_sd:
        sd = shared_sd_variable(block, priors)
        n_terms = len(block.term_labels)
        return [[sd if j == k else None for j in range(n_terms)] for k in range(n_terms)]
    cov_prior = priors.cov.get(block.name)
    # an inverse-Wishart Σ implies the SDs, which then have no prior of their own
    group_sd_priors = priors.sd.get(block.name)
    sd_priors = (
        None if group_sd_priors is None else [group_sd_priors[label] for label in block.term_labels]
    )
    if block.correlated and cov_prior is not None:
        return prior_builders.covariance_factor_entries(
            block.name, block.term_labels, cov_prior=cov_prior, sd_priors=sd_priors
        )
    sd = prior_builders.sd_scalars(f"sd_{block.name}", sd_priors, dims=term_dim)
    n_terms = len(sd)
    return [[sd[k] if j == k else None for j in range(n_terms)] for k in range(n_terms)]


def shared_sd_variable(block: RandomBlock, priors: ResolvedPriors) -> pt.TensorVariable:
    """The one SD of a block whose terms share it (a smooth's penalised part,
    ``block.shared_sd``): the scalar free variable ``sd_<group>`` (no term dimension), with the
    prior resolved for the block (every term label maps to the same prior)."""
    prior = priors.sd[block.name][block.term_labels[0]]
    return prior_builders.positive_variable(f"sd_{block.name}", prior)


def sum_of_terms(terms: list) -> pt.TensorVariable | None:
    """``terms[0] + terms[1] + ...`` over the terms that are not None (no leading zero in the
    graph); None when every term is None."""
    terms = [term for term in terms if term is not None]
    if not terms:
        return None
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _random_contribution(
    block: RandomBlock, priors: ResolvedPriors, *, centered: bool = False
) -> pt.TensorVariable:
    """Add ``u_<group>`` to the model; return its contribution to η.

    Non-centred (default): each term k has its own standardised effects ``_z_<group>_<k>`` and
    its column of effects ``_u_<group>_<k> = Σ_j L_kj z_j`` (``sd_k z_k`` for uncorrelated
    terms), gathered by level. Centred (``centered``): the columns are the free variables
    ``_u_<group>_<k> ~ N(0, sd_k)`` (uncorrelated terms), or the columns of
    ``_u_<group> ~ MvNormal(0, chol=L)`` (a correlated term). The same posterior; which one NUTS
    explores better depends on how informative each level's data are
    (:mod:`bayesml.backends.pymc.parameterization`). Smooths' blocks (``shared_sd``) and HGLM
    random families are always in their own (non-centred) form.
    """
    level_dim, term_dim, _ = group_dims(block.name)
    n_terms = len(block.term_labels)
    if not block.random_family.is_gaussian:
        return _hglm_effects_contribution(block, priors)
    if block.shared_sd:
        return _shared_sd_contribution(block, priors)
    names = effect_column_names(block.name, n_terms)
    if centered:
        columns = _centered_columns(block, priors, names)
    else:
        z = [pm.Normal(f"_z_{block.name}_{k}", 0.0, 1.0, dims=level_dim) for k in range(n_terms)]
        factor = group_factor(block, priors)
        columns = [
            sum_of_terms(
                [entry * z_j for entry, z_j in zip(row, z, strict=True) if entry is not None]
            )
            for row in factor
        ]
        columns = [
            pm.Deterministic(name, column, dims=level_dim)
            for name, column in zip(names, columns, strict=True)
        ]
    pm.Deterministic(f"u_{block.name}", pt.stack(columns, axis=1), dims=(level_dim, term_dim))
    group_index = pt.as_tensor_variable(block.group_index.astype("int64"))
    term_matrix = np.asarray(block.term_matrix, dtype="float64")
    contribution = pt.constant(0.0, dtype="float64")
    for k, column in enumerate(columns):
        contribution = contribution + _times_column(column[group_index], term_matrix[:, k])
    return contribution


def _chain_contribution(
    chain: tuple[RandomBlock, ...],
    priors: ResolvedPriors,
    chosen: Mapping[str, str],
    level_mean: tuple[str, pt.TensorVariable] | None = None,
) -> pt.TensorVariable:
    """Add the random intercepts of a chain of nested factors (coarsest first,
    :func:`~bayesml.backends.pymc.start.nesting_chains`) in the hierarchically centred form;
    return their contribution to η.

    Walking from the coarsest factor down, each level's *total* effect (its own and its
    ancestors' at its parent levels) is ``t = t_parent[parent] + u``. A centred block's free
    variable is the total, ``_v_<group>_0 ~ N(t_parent[parent], sd)`` (Gelfand, Sahu & Carlin
    1995; the coarsest block's is its effect ``_u_<group>_0 ~ N(0, sd)``), and its effect
    ``_u_<group>_0 = _v_<group>_0 − t_parent[parent]`` a Deterministic; a non-centred block's
    effect is ``sd · _z_<group>_0``. ``level_mean`` (a block's name and a vector over its
    levels: the fixed effects constant within its levels, left out of η's fixed part) is added
    to that block's mean, and so to the totals from there down. η gets the finest block's total
    at each row — the same sum, and the same posterior (each shift has Jacobian 1).
    """
    total = None
    above = None
    for block in chain:
        level_dim, term_dim, _ = group_dims(block.name)
        (name,) = effect_column_names(block.name, 1)
        sd = group_factor(block, priors)[0][0]
        mean = None
        if above is not None:
            mean = total[pt.as_tensor_variable(parent_levels(block, above))]
        if level_mean is not None and level_mean[0] == block.name:
            mean = level_mean[1] if mean is None else mean + level_mean[1]
        if chosen.get(block.name) == "centered":
            if mean is None:
                effect = total = pm.Normal(name, 0.0, sd, dims=level_dim)
            else:
                total = pm.Normal(f"_v_{block.name}_0", mean, sd, dims=level_dim)
                effect = pm.Deterministic(name, total - mean, dims=level_dim)
        else:
            z = pm.Normal(f"_z_{block.name}_0", 0.0, 1.0, dims=level_dim)
            effect = pm.Deterministic(name, sd * z, dims=level_dim)
            total = effect if mean is None else mean + effect
        pm.Deterministic(f"u_{block.name}", effect[:, None], dims=(level_dim, term_dim))
        above = block
    return total[pt.as_tensor_variable(np.asarray(chain[-1].group_index, dtype="int64"))]


def _centered_columns(
    block: RandomBlock, priors: ResolvedPriors, names: tuple[str, ...]
) -> list[pt.TensorVariable]:
    """The centred effects' columns: free ``_u_<group>_<k> ~ N(0, sd_k)`` where the factor L is
    diagonal, else the Deterministic columns of ``_u_<group> ~ MvNormal(0, chol=L)``."""
    level_dim, term_dim, _ = group_dims(block.name)
    factor = group_factor(block, priors)
    n_terms = len(factor)
    diagonal = all(
        factor[k][j] is None for k in range(n_terms) for j in range(n_terms) if j != k
    )
    if diagonal:
        return [
            pm.Normal(name, 0.0, factor[k][k], dims=level_dim) for k, name in enumerate(names)
        ]
    zero = pt.constant(0.0, dtype="float64")
    chol = pt.stack(
        [pt.stack([zero if entry is None else entry for entry in row]) for row in factor]
    )
    u = pm.MvNormal(
        f"_u_{block.name}", mu=pt.zeros(n_terms), chol=chol, dims=(level_dim, term_dim)
    )
    return [
        pm.Deterministic(name, u[:, k], dims=level_dim) for k, name in enumerate(names)
    ]


def _shared_sd_contribution(block: RandomBlock, priors: ResolvedPriors) -> pt.TensorVariable:
    """Add the effects of a block with one shared SD (a smooth's penalised coefficients
    b ~ N(0, sd² I)); return their contribution to η.

    Non-centred: ``u_<group> = sd_<group> · z``, ``z ~ N(0, 1)`` of shape (levels, terms)
    (``_z_<group>``); η gets ``Σ_level Xr[rows of level] u[level]``, one matrix-vector product
    for a smooth's single level.
    """
    level_dim, term_dim, _ = group_dims(block.name)
    z = pm.Normal(f"_z_{block.name}", 0.0, 1.0, dims=(level_dim, term_dim))
    sd = shared_sd_variable(block, priors)
    u = pm.Deterministic(f"u_{block.name}", sd * z, dims=(level_dim, term_dim))
    term_matrix = pt.as_tensor_variable(np.asarray(block.term_matrix, dtype="float64"))
    if block.n_levels == 1:
        return pt.dot(term_matrix, u[0])
    group_index = pt.as_tensor_variable(block.group_index.astype("int64"))
    return pt.sum(term_matrix * u[group_index], axis=1)


def _hglm_effects_contribution(block: RandomBlock, priors: ResolvedPriors) -> pt.TensorVariable:
    """Add the non-gaussian effects of a one-term block (Lee and Nelder's HGLM random families:
    u with mean ψ and variance λ = ``sd_<group>``², ``u_<group>`` = v(u)); return v's
    contribution to η."""
    level_dim, term_dim, _ = group_dims(block.name)
    family = block.random_family
    builder = likelihoods.RANDOM_EFFECT_DISTRIBUTIONS.get((family.name, family.link))
    if builder is None:
        supported = ", ".join(
            f"{name}({link})" for name, link in likelihoods.RANDOM_EFFECT_DISTRIBUTIONS
        )
        raise FamilyError(
            f"the NUTS backend has no {family.label} random effects; it has gaussian, {supported}"
        )
    (sd,) = prior_builders.sd_scalars(
        f"sd_{block.name}", [priors.sd[block.name][block.term_labels[0]]], dims=term_dim
    )
    v = builder(f"_effects_{block.name}", sd * sd, dims=level_dim)
    (name,) = effect_column_names(block.name, 1)
    column = pm.Deterministic(name, v, dims=level_dim)
    pm.Deterministic(f"u_{block.name}", pt.stack([column], axis=1), dims=(level_dim, term_dim))
    group_index = pt.as_tensor_variable(block.group_index.astype("int64"))
    return _times_column(column[group_index], np.asarray(block.term_matrix[:, 0], dtype="float64"))


_LATENT_NAME = "_latent"


def _add_latent_probit(design: ModelDesign, eta, response_name: str) -> BuildInfo:
    """Albert–Chib form: one latent normal per Bernoulli row, constrained by the outcome's sign."""
    y = np.asarray(design.response.y)
    trials = design.response.trials
    if trials is None:
        rows, y01 = np.arange(len(y)), y.astype("int64")
    else:
        rows, y01 = likelihoods.expand_binomial_rows(y, trials)
    likelihoods.add_latent_probit(name=_LATENT_NAME, eta=eta[rows], y=y01, dims=None)
    return BuildInfo(
        response_name=response_name,
        latent_probit=True,
        bernoulli_rows=rows,
        bernoulli_y=y01,
        row_variables=(f"{_LATENT_NAME}_abs",),
    )
