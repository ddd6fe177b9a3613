"""What the Gibbs sampler samples: a :class:`GibbsProblem` built from a design, priors and a family.

:func:`build_problem` checks that every part of the model has a Gibbs update and refuses the rest
with an error that names what is unsupported and suggests ``method="nuts"``:

* likelihoods (:data:`LIKELIHOODS`): Gaussian with the identity link; Bernoulli and binomial with
  the probit link (Albert–Chib latent variables) or the logit link (Pólya-Gamma latent variables);
  the cumulative (ordinal) family with the probit link (Albert–Chib latent variables between the
  thresholds, the thresholds by Cowles' Metropolis–Hastings step);
* threshold priors of an ordinal model (:data:`CUTPOINT_PRIORS`): normal, Student-t and Cauchy on
  each threshold (their log density enters the Metropolis–Hastings ratio);
* coefficient priors (:data:`COEFFICIENT_PRIORS`): flat, normal, and Student-t and Cauchy as
  scale mixtures of normals; ``weakly_informative`` is Cauchy(0, 2.5) on the scaled inputs, so the
  sampler works with the coefficients of the scaled inputs and reports β on the original scale;
* SD and residual-SD priors (:data:`SD_UPDATES`): inverse-gamma and scaled-inv-χ² on σ²
  (conjugate draws); half-normal, half-Cauchy, half-t, exponential, uniform and gamma on σ (slice
  steps on log σ);
* covariance priors (:data:`COV_UPDATES`): inverse-Wishart (conjugate draw) and LKJ with SD
  priors (Metropolis–Hastings);
* a smooth's penalised block (``shared_sd``: one level, ``r`` terms, ``b ~ N(0, sd² I)``): one SD
  under any of the SD priors above, updated from the sum of squares of all ``r`` coefficients.

The problem holds plain arrays and :class:`~bayesml.priors.Prior` objects only, so that it can be
sent to the worker processes that run the chains.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from bayesml.backends.gibbs.linear_algebra import Regression
from bayesml.backends.seam import unsupported_family_message
from bayesml.errors import FamilyError, PriorError
from bayesml.linalg.grouped import GroupedColumns
from bayesml.priors import Prior, WeaklyInformativeScaling, sampled_fixed_effects
from bayesml.results.dims import parameter_dims

if TYPE_CHECKING:
    from bayesml.design import ModelDesign
    from bayesml.families import Family
    from bayesml.priors import ResolvedPriors

__all__ = [
    "AUTO_LIKELIHOODS",
    "COEFFICIENT_PRIORS",
    "COV_UPDATES",
    "CUTPOINT_PRIORS",
    "LIKELIHOODS",
    "ORDINAL_PROBIT",
    "SD_UPDATES",
    "CoefficientPriors",
    "CutpointSpec",
    "GibbsProblem",
    "GroupSpec",
    "build_problem",
]

INTERCEPT_LABEL = "Intercept"
_NUTS_HINT = 'use method="nuts" for this model'
_NUTS_INSTEAD = "Model.sample(method='nuts')"
DESCRIPTION = "blocked Gibbs sampler"

LINEAR = "linear"
"""The likelihood of a Gaussian linear mixed model: no augmentation, a residual SD."""

ORDINAL_PROBIT = "ordinal_probit"
"""The likelihood of a cumulative probit model: one latent normal per row between two thresholds."""

#: (family, link) -> the likelihood the sampler works with: "linear", "probit", "logit" or
#: "ordinal_probit"
LIKELIHOODS: MappingProxyType[tuple[str, str], str] = MappingProxyType(
    {
        ("gaussian", "identity"): LINEAR,
        ("bernoulli", "probit"): "probit",
        ("binomial", "probit"): "probit",
        ("bernoulli", "logit"): "logit",
        ("binomial", "logit"): "logit",
        ("cumulative", "probit"): ORDINAL_PROBIT,
    }
)

#: likelihoods with one latent normal per trial (Albert–Chib), which the probit scale move rescales
LATENT_NORMAL_LIKELIHOODS = frozenset({"probit", ORDINAL_PROBIT})

#: likelihoods on which ``method="auto"`` takes the Gibbs sampler. The augmented ones (probit,
#: logit, ordinal probit) have exact updates too, but their latent variables slow the mixing:
#: on bacteria, Gibbs's ESS per second on a repeat fit is a fraction of NUTS's (bench/README.md,
#: ``bench/auto.py``), and on separated data it does not mix (R-hat 1.2 where NUTS is exact)
AUTO_LIKELIHOODS = frozenset({LINEAR})

#: coefficient prior -> (mean, scale, degrees of freedom) of its normal scale mixture
COEFFICIENT_PRIORS: MappingProxyType[str, Callable[[Prior], tuple[float, float, float]]] = (
    MappingProxyType(
        {
            "flat": lambda p: (0.0, np.inf, np.inf),
            "normal": lambda p: (p["mu"], p["sigma"], np.inf),
            "student_t": lambda p: (p["mu"], p["sigma"], p["nu"]),
            "cauchy": lambda p: (p["mu"], p["sigma"], 1.0),
        }
    )
)

#: threshold prior (on each threshold of an ordinal model) -> (mean, scale, degrees of freedom)
CUTPOINT_PRIORS: MappingProxyType[str, Callable[[Prior], tuple[float, float, float]]] = (
    MappingProxyType({name: COEFFICIENT_PRIORS[name] for name in ("normal", "student_t", "cauchy")})
)

#: SD prior -> how its full conditional is drawn: "conjugate" (a prior on σ²) or "slice" (on log σ)
SD_UPDATES: MappingProxyType[str, str] = MappingProxyType(
    {
        "inverse_gamma": "conjugate",
        "scaled_inv_chi2": "conjugate",
        "half_normal": "slice",
        "half_cauchy": "slice",
        "half_t": "slice",
        "exponential": "slice",
        "uniform": "slice",
        "gamma": "slice",
    }
)

#: covariance prior -> its update: a conjugate draw or Metropolis–Hastings
COV_UPDATES: MappingProxyType[str, str] = MappingProxyType(
    {"inverse_wishart": "conjugate", "lkj": "metropolis"}
)


def inverse_gamma_parameters(prior: Prior) -> tuple[float, float]:
    """(α, β) of the inverse-gamma prior on σ² behind a conjugate SD prior."""
    if prior.dist == "scaled_inv_chi2":
        return prior["nu"] / 2.0, prior["nu"] * prior["s"] ** 2 / 2.0
    return float(prior["alpha"]), float(prior["beta"])


@dataclass(frozen=True, eq=False)
class CoefficientPriors:
    """The coefficients' priors on the sampled scale as normal scale mixtures.

    b_j ~ N(mean_j, scale_j² / λ_j) with λ_j ~ Gamma(df_j/2, df_j/2): λ_j = 1 for a normal prior
    (df = ∞), a Student-t for finite df (Cauchy: df = 1); a flat prior has scale = ∞.
    """

    priors: tuple[Prior, ...]
    mean: np.ndarray
    scale: np.ndarray
    df: np.ndarray

    @property
    def base_precision(self) -> np.ndarray:
        """1/scale² (0 for flat priors)."""
        return 1.0 / self.scale**2

    @property
    def mixed(self) -> np.ndarray:
        """Positions of the coefficients with Student-t or Cauchy priors."""
        return np.flatnonzero(np.isfinite(self.df))


@dataclass(frozen=True, eq=False)
class CutpointSpec:
    """The thresholds θ₁ < … < θ_m of an ordinal model (m = K − 1) and their prior.

    Attributes
    ----------
    name
        The family parameter's name (``cutpoints``).
    prior
        The prior of each threshold (the vector is increasing: its density is the product of the
        entries' densities on the increasing vectors, up to the constant m!).
    mean, scale, df
        The prior as a location-scale Student-t (df = ∞ for a normal prior, 1 for Cauchy).
    dim, labels
        The dimension ``<response>__threshold`` and R's labels ``1|2``, ``2|3``, ….
    """

    name: str
    prior: Prior
    mean: float
    scale: float
    df: float
    dim: str
    labels: tuple[str, ...]

    @property
    def size(self) -> int:
        """Number of thresholds m = K − 1."""
        return len(self.labels)

    def log_density(self, values: np.ndarray) -> float:
        """Σ_k log p(θ_k) up to a constant (a normal or Student-t kernel)."""
        # scalar arithmetic: a few thresholds, evaluated many times per sweep by slice steps
        mean, scale, df = self.mean, self.scale, self.df
        squares = [((value - mean) / scale) ** 2 for value in np.asarray(values).tolist()]
        if math.isinf(df):
            return -0.5 * math.fsum(squares)
        return -0.5 * (df + 1.0) * math.fsum(math.log1p(square / df) for square in squares)


@dataclass(frozen=True, eq=False)
class GroupSpec:
    """One grouping factor: its labels and priors.

    Attributes
    ----------
    name, term_labels, levels
        As in the design's random block.
    correlated
        Whether its effects have a full covariance matrix.
    cov_prior
        ``lkj`` or ``inverse_wishart`` for a correlated group, else ``None``.
    sd_priors
        Prior of each term's SD (``None`` under an inverse-Wishart prior); for a ``shared_sd``
        group one prior, that of its one SD.
    shared_sd
        Whether every term shares one SD (a smooth's penalised block: one level, ``r`` terms,
        ``b ~ N(0, sd² I)``; :mod:`bayesml.design.smooths`): the sweep keeps Σ = sd²·I, updates
        sd from all ``r`` coefficients and reports ``sd_<name>`` as a scalar.
    """

    name: str
    term_labels: tuple[str, ...]
    levels: tuple[str, ...]
    correlated: bool
    cov_prior: Prior | None
    sd_priors: tuple[Prior, ...] | None
    shared_sd: bool = False

    @property
    def k(self) -> int:
        """Number of terms."""
        return len(self.term_labels)

    @property
    def n_sds(self) -> int:
        """Number of SD parameters: 1 for a ``shared_sd`` group, else one per term."""
        return 1 if self.shared_sd else self.k


@dataclass(frozen=True, eq=False)
class GibbsProblem:
    """Everything a chain needs, as arrays and priors.

    Attributes
    ----------
    likelihood
        ``"linear"`` (a Gaussian response), ``"probit"``, ``"logit"`` or ``"ordinal_probit"``.
    regression
        T = [X, Z_1, …] with X the fixed-effects matrix of the sampled coefficients (the scaled
        inputs under the weakly informative prior).
    y, trials, weights, offset
        Response (the category numbers 1, …, K of an ordinal model), binomial trials (ones for
        Bernoulli and ordinal rows: one latent normal each; ``None`` for Gaussian), Gaussian
        prior weights (``None`` without) and offset.
    coefficients
        Priors of the sampled coefficients.
    groups
        One :class:`GroupSpec` per grouping factor, in the order of ``regression.parts``.
    sigma_prior
        Prior of the residual SD (Gaussian only).
    scaling
        The input scaling of the weakly informative prior, or ``None``.
    coef_names
        Labels of the coefficients.
    cutpoints
        The thresholds of an ordinal model, else ``None``.
    """

    likelihood: str
    regression: Regression
    y: np.ndarray
    trials: np.ndarray | None
    weights: np.ndarray | None
    offset: np.ndarray
    coefficients: CoefficientPriors
    groups: tuple[GroupSpec, ...]
    sigma_prior: Prior | None
    scaling: WeaklyInformativeScaling | None
    coef_names: tuple[str, ...]
    cutpoints: CutpointSpec | None = None

    @property
    def has_residual_sd(self) -> bool:
        """Whether the model has a residual SD σ (a Gaussian response)."""
        return self.likelihood == LINEAR

    @property
    def n_obs(self) -> int:
        """Number of rows."""
        return int(self.y.shape[0])

    def coefficients_on_original_scale(self, sampled: np.ndarray) -> np.ndarray:
        """β from the sampled coefficients b (last axis), undoing the weakly informative scaling."""
        if self.scaling is None:
            return sampled
        labels = list(self.coef_names)
        rest = [labels.index(label) for label in self.scaling.column_names]
        intercept = (
            sampled[..., labels.index(INTERCEPT_LABEL)] if self.scaling.has_intercept else None
        )
        beta_rest, beta_intercept = self.scaling.to_original(sampled[..., rest], intercept)
        out = np.array(sampled, dtype=float, copy=True)
        out[..., rest] = beta_rest
        if beta_intercept is not None:
            out[..., labels.index(INTERCEPT_LABEL)] = beta_intercept
        return out


def _unsupported_prior(parameter: str, prior: Prior, supported: Mapping[str, object]) -> PriorError:
    return PriorError(
        f"the Gibbs sampler has no update for the prior {prior} of {parameter}; it supports "
        f"{', '.join(supported)} there. Change the prior or {_NUTS_HINT}"
    )


def supported_families() -> dict[str, tuple[str, ...]]:
    """Family name -> the links with a Gibbs scheme (from :data:`LIKELIHOODS`)."""
    table: dict[str, tuple[str, ...]] = {}
    for family, link in LIKELIHOODS:
        table[family] = (*table.get(family, ()), link)
    return table


def _likelihood(family: Family, design: ModelDesign) -> str:
    key = (family.name, family.link.name)
    if key not in LIKELIHOODS:
        raise FamilyError(
            unsupported_family_message(
                "gibbs", DESCRIPTION, supported_families(), family, [_NUTS_INSTEAD]
            )
        )
    likelihood = LIKELIHOODS[key]
    if likelihood != LINEAR and design.response.weights is not None:
        raise FamilyError(
            f"the Gibbs sampler takes prior weights for the gaussian family only; the "
            f"{family.name} model has weights: {_NUTS_HINT}"
        )
    if likelihood == "logit":
        from bayesml.backends.gibbs.polya_gamma import require_polyagamma

        require_polyagamma()
    return likelihood


def _sampled_fixed(design: ModelDesign, priors: ResolvedPriors) -> tuple[np.ndarray, list[Prior]]:
    """X of the sampled coefficients and their priors (scaled inputs under weakly_informative)."""
    return sampled_fixed_effects(
        design.fixed.matrix,
        design.fixed.column_names,
        intercept_prior=priors.intercept,
        fixed_priors=priors.fixed,
        scaling=priors.weakly_informative,
    )


def _coefficient_priors(labels: list[str], priors: list[Prior]) -> CoefficientPriors:
    rows = []
    for label, prior in zip(labels, priors, strict=True):
        form = COEFFICIENT_PRIORS.get(prior.dist)
        if form is None:
            raise _unsupported_prior(f"beta[{label}]", prior, COEFFICIENT_PRIORS)
        rows.append(form(prior))
    values = np.array(rows, dtype=float).reshape(len(labels), 3)
    return CoefficientPriors(tuple(priors), values[:, 0], values[:, 1], values[:, 2])


def _cutpoint_spec(design: ModelDesign, priors: ResolvedPriors, family: Family) -> CutpointSpec:
    """The thresholds of an ordinal model: their prior (checked) and their dimension."""
    ((name, (dim, labels)),) = parameter_dims(design, family).items()
    prior = priors.aux[name]
    form = CUTPOINT_PRIORS.get(prior.dist)
    if form is None:
        raise _unsupported_prior(name, prior, CUTPOINT_PRIORS)
    mean, scale, df = form(prior)
    return CutpointSpec(name, prior, float(mean), float(scale), float(df), dim, tuple(labels))


def _check_sd_prior(parameter: str, prior: Prior) -> Prior:
    if prior.dist not in SD_UPDATES:
        raise _unsupported_prior(parameter, prior, SD_UPDATES)
    return prior


def _group_spec(block, priors: ResolvedPriors) -> GroupSpec:
    cov_prior = priors.cov.get(block.name) if block.correlated else None
    correlated = block.correlated and cov_prior is not None
    if correlated and cov_prior.dist not in COV_UPDATES:
        raise _unsupported_prior(f"cov_{block.name}", cov_prior, COV_UPDATES)
    shared_sd = bool(getattr(block, "shared_sd", False))
    sd_priors = None
    if shared_sd:
        # every term label maps to the same Prior (priors/_resolve.py): the block's one SD
        prior = priors.sd[block.name][block.term_labels[0]]
        sd_priors = (_check_sd_prior(f"sd_{block.name}", prior),)
    elif not (correlated and cov_prior.dist == "inverse_wishart"):
        group_priors = priors.sd[block.name]
        sd_priors = tuple(
            _check_sd_prior(f"sd_{block.name}[{label}]", group_priors[label])
            for label in block.term_labels
        )
    return GroupSpec(
        name=block.name,
        term_labels=tuple(block.term_labels),
        levels=tuple(block.levels),
        correlated=correlated,
        cov_prior=cov_prior if correlated else None,
        sd_priors=sd_priors,
        shared_sd=shared_sd,
    )


def build_problem(design: ModelDesign, priors: ResolvedPriors, family: Family) -> GibbsProblem:
    """Check that the model has Gibbs updates for every part and collect its arrays.

    Raises
    ------
    FamilyError
        For a family/link without a Gibbs scheme (listing those with one), or prior weights on a
        non-Gaussian family.
    PriorError
        For a prior without a Gibbs update (coefficients, SDs, covariances, thresholds), naming
        the parameter and the supported priors.
    MissingDependencyError
        For a logit model when the ``polyagamma`` package is not installed.
    """
    likelihood = _likelihood(family, design)
    labels = list(design.fixed.column_names)
    matrix, sampled_priors = _sampled_fixed(design, priors)
    coefficients = _coefficient_priors(labels, sampled_priors)
    groups = tuple(_group_spec(block, priors) for block in design.random)
    parts = [
        GroupedColumns(block.group_index, np.asarray(block.term_matrix, float), block.n_levels)
        for block in design.random
    ]
    sigma_prior = None
    if likelihood == LINEAR:
        sigma_prior = _check_sd_prior("sigma", priors.aux["sigma"])
    cutpoints = _cutpoint_spec(design, priors, family) if likelihood == ORDINAL_PROBIT else None
    response = design.response
    trials = None
    if likelihood != LINEAR:
        trials = (
            np.ones(design.n_obs)
            if response.trials is None
            else np.asarray(response.trials, dtype=float)
        )
    return GibbsProblem(
        likelihood=likelihood,
        regression=Regression(matrix, parts),
        y=np.asarray(response.y, dtype=float),
        trials=trials,
        weights=None if response.weights is None else np.asarray(response.weights, dtype=float),
        offset=np.asarray(design.offset, dtype=float),
        coefficients=coefficients,
        groups=groups,
        sigma_prior=sigma_prior,
        scaling=priors.weakly_informative,
        coef_names=tuple(labels),
        cutpoints=cutpoints,
    )
