"""The maximum-likelihood backends ``method="laplace"`` and ``method="agq"``, registered in
:mod:`bayesml.backends.registry`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from bayesml.backends.laplace.categories import CategoryProblem
from bayesml.backends.laplace.fit import Fitted, fit_ml
from bayesml.backends.laplace.problem import MLProblem
from bayesml.backends.laplace.result import MLResult, wald_table
from bayesml.backends.seam import BackendBase, BackendOptions, ModelInputs, check_count
from bayesml.errors import ArgumentError, FamilyError, warn
from bayesml.families import FAMILIES, Family, get_family

__all__ = [
    "AGQ",
    "LAPLACE",
    "AgqBackend",
    "AgqOptions",
    "LaplaceOptions",
    "MLBackend",
    "SingularFitWarning",
]

#: the most quadrature nodes per dimension, and the most terms of the one grouping factor
MAX_NODES = 50
MAX_AGQ_TERMS = 3


class SingularFitWarning(UserWarning):
    """An SD of the random effects is estimated at 0 (lme4's ``boundary (singular) fit``)."""


@dataclass(frozen=True, kw_only=True)
class LaplaceOptions(BackendOptions):
    """Options of ``Model.fit(method="laplace")``.

    Attributes
    ----------
    reml
        REML instead of maximum likelihood, for a Gaussian response with the identity link
        (lmer's default is ``REML = TRUE``; bayesml's, as glmer and glmmTMB, is ML: say
        ``reml=True`` for lmer's estimates).
    tol
        Relative tolerance of the optimiser on the deviance.
    max_evaluations
        The most deviance evaluations per optimisation stage.
    """

    method: ClassVar[str] = "laplace"
    given_as: ClassVar[str] = "the keyword arguments of Model.fit"
    habits: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            "REML": "reml=True for lme4's REML = TRUE",
            "nAGQ": "Model.fit(method='agq', n_nodes=...) for lme4's nAGQ",
            "n_nodes": "Model.fit(method='agq', n_nodes=...) (the Laplace fit is one node)",
            "control": "tol= and max_evaluations= (the optimiser is scipy's L-BFGS-B)",
        }
    )

    reml: bool = False
    tol: float = 1e-10
    max_evaluations: int = 10_000

    def __post_init__(self) -> None:
        if not isinstance(self.reml, bool | np.bool_):
            raise ArgumentError(f"reml must be True or False; got reml={self.reml!r}")
        if not isinstance(self.tol, int | float) or not 0 < self.tol < 1:
            raise ArgumentError(f"tol must be a number between 0 and 1; got tol={self.tol!r}")
        check_count("max_evaluations", self.max_evaluations, 10)

    @property
    def nodes(self) -> int:
        """Quadrature nodes per dimension (1: the Laplace approximation)."""
        return 1


@dataclass(frozen=True, kw_only=True)
class AgqOptions(LaplaceOptions):
    """Options of ``Model.fit(method="agq")``: those of ``"laplace"`` and ``n_nodes``, the
    Gauss–Hermite nodes per dimension (lme4's ``nAGQ``; default 9, at most 50; 1 is the
    Laplace approximation)."""

    method: ClassVar[str] = "agq"

    n_nodes: int = 9

    def __post_init__(self) -> None:
        super().__post_init__()
        if (
            not isinstance(self.n_nodes, int | np.integer)
            or isinstance(self.n_nodes, bool)
            or not 1 <= self.n_nodes <= MAX_NODES
        ):
            raise ArgumentError(
                f"n_nodes must be an integer from 1 to {MAX_NODES} (lme4's nAGQ; 1 is the "
                f"Laplace approximation); got n_nodes={self.n_nodes!r}"
            )

    @property
    def nodes(self) -> int:
        """Quadrature nodes per dimension."""
        return int(self.n_nodes)


def _ml_families() -> dict[str, tuple[str, ...]]:
    """Every family whose derivatives in η the family object gives (one linear predictor), and
    the families with one linear predictor per category (their vector derivatives)."""
    supported = {}
    for name in FAMILIES:
        family = get_family(name)
        if family.has_eta_derivatives or family.category_predictors:
            supported[name] = tuple(family.links)
    return supported


@dataclass(frozen=True)
class MLBackend(BackendBase):
    """Maximum likelihood with the random effects integrated out (Laplace or adaptive
    Gauss–Hermite quadrature), as lme4's ``glmer``/``lmer`` and glmmTMB."""

    options_type: ClassVar[type[LaplaceOptions]] = LaplaceOptions
    name: str = "laplace"
    kind: Literal["fitting"] = "fitting"
    description: str = "maximum likelihood, Laplace approximation (lme4's glmer, glmmTMB)"

    def supported_families(self) -> dict[str, tuple[str, ...]]:
        """The families with one linear predictor and derivatives in it, and the categorical
        ones (one linear predictor per non-reference category)."""
        return _ml_families()

    def parameter_formulas(self, family: Family) -> frozenset[str]:
        """Every family parameter that can have a formula (fixed terms; glmmTMB's
        ``ziformula``/``dispformula``)."""
        return frozenset(p.name for p in family.aux_params if p.link is not None)

    def run(self, model: ModelInputs, options: LaplaceOptions) -> MLResult:
        """Fit ``model`` by maximum likelihood; the priors play no part."""
        from threadpoolctl import threadpool_limits

        problem_type = CategoryProblem if model.family.category_predictors else MLProblem
        problem = problem_type.of(model)
        _check_model(model, problem, options, self.name)
        with threadpool_limits(limits=1, user_api="blas"):  # small dense blocks: one thread
            fitted = fit_ml(
                problem,
                reml=options.reml,
                n_nodes=options.nodes,
                tol=options.tol,
                max_evaluations=options.max_evaluations,
            )
        result = build_result(model, problem, fitted, self.name, options)
        _warn_singular(result)
        return result


def _check_model(
    model: ModelInputs, problem: MLProblem, options: LaplaceOptions, method: str
) -> None:
    """Refuse what maximum likelihood here does not fit, saying why and what to use."""
    design = model.design
    if not design.random:
        raise ArgumentError(
            f"Model.fit(method={method!r}) integrates random effects out, and this model has no "
            "random terms: add one, e.g. (1 | group), or fit a GLM elsewhere (statsmodels) or "
            "by Model.sample(method='nuts')"
        )
    for name, predictor in design.predictors.items():
        if predictor.random:
            raise FamilyError(
                f"maximum likelihood fits formulas of family parameters with fixed terms only; "
                f"the formula of {name!r} ({predictor.formula}) has random terms: use "
                "Model.sample(method='nuts')"
            )
    if options.reml and not problem.is_exact_gaussian:
        raise ArgumentError(
            f"reml=True is for a gaussian response with the identity link (lmer's REML); family "
            f"{model.family.name!r} with the {model.family.link.name} link is fitted by maximum "
            "likelihood (glmer has no REML): leave reml=False"
        )
    if method == "agq":
        _check_agq(design, problem)


def _check_agq(design, problem: MLProblem) -> None:
    blocks = design.random
    smooths = [block for block in blocks if block.shared_sd]
    if smooths:
        block = smooths[0]
        raise ArgumentError(
            "adaptive Gauss–Hermite quadrature cannot fit smooth terms: the penalised part of "
            f"{block.name} is one random effect of {block.n_terms} dimensions (a single level, "
            f"{block.n_terms} coefficients sharing one SD), whose integral would need "
            f"n_nodes ** {block.n_terms} nodes; glmer's nAGQ > 1 likewise takes a single scalar "
            "random effect per group, and gamm4 fits smooths by the Laplace approximation: use "
            "Model.fit(method='laplace')"
        )
    if len(blocks) > 1:
        names = ", ".join(block.name for block in blocks)
        raise ArgumentError(
            "adaptive Gauss–Hermite quadrature integrates one grouping factor (its levels' "
            f"integrals are independent); this model has {len(blocks)} ({names}): use "
            "Model.fit(method='laplace')"
        )
    effects = problem.random.covariance.blocks[0]
    if effects.size > MAX_AGQ_TERMS:
        per_category = (
            f" (one per term and non-reference category: {len(effects.term_labels)} × "
            f"{effects.n_categories})"
            if effects.categories
            else ""
        )
        raise ArgumentError(
            f"adaptive Gauss–Hermite quadrature takes at most {MAX_AGQ_TERMS} random terms per "
            f"level (n_nodes ** terms nodes each); ({' + '.join(blocks[0].term_labels)} | "
            f"{blocks[0].name}) has {effects.size}{per_category}: use "
            "Model.fit(method='laplace')"
        )


def build_result(
    model: ModelInputs, problem: MLProblem, fitted: Fitted, method: str, options: LaplaceOptions
) -> MLResult:
    """The :class:`MLResult` of a fit."""
    design = model.design
    covariance = problem.random.covariance
    labels = problem.fixed_names
    n_parameters = (
        covariance.size
        + problem.n_fixed
        + (1 if problem.is_exact_gaussian else problem.parameters.size)
    )
    family = model.family
    smooth_blocks = [
        (block, levels)
        for block, levels in zip(covariance.blocks, problem.block_levels, strict=True)
        if block.shared
    ]
    smooth_labels = list(labels) + [
        f"{block.name}[{term}]" for block, _ in smooth_blocks for term in block.labels
    ]
    return MLResult(
        method=method,
        n_nodes=options.nodes,
        reml=options.reml,
        fixef=wald_table(fitted.beta, fitted.beta_cov, labels),
        family_coef=_family_coef(problem, fitted),
        vcov=pd.DataFrame(fitted.beta_cov, index=list(labels), columns=list(labels)),
        varcorr=covariance.varcorr(fitted.theta, fitted.sigma),
        family_parameters=dict(fitted.parameters),
        theta=np.asarray(fitted.theta),
        ranef=_ranef_table(problem, fitted),
        loglik=-0.5 * fitted.deviance,
        n_parameters=int(n_parameters),
        nobs=problem.n_obs,
        converged=fitted.converged,
        n_evaluations=fitted.evaluations,
        description=str(design.formula.text) if hasattr(design.formula, "text") else "",
        family=family.name,
        link=family.link.name,
        response=design.observed_name,
        random_effects={
            block.name: effects
            for block, effects in zip(design.random, fitted.effects, strict=False)
        },
        fitted=family.mu_from_eta(problem.row_predictors(fitted.eta)),
        linear_predictor=problem.row_predictors(fitted.eta),
        messages=fitted.messages,
        groups={block.name: block.n_levels for block in design.random if not block.shared_sd},
        linear=problem.is_exact_gaussian,
        singular=singular_terms(problem, fitted.theta),
        smooths={block.name: block.size for block, _ in smooth_blocks},
        linear_smooths=smooths_at_zero(problem, fitted.theta),
        smooth_cov=pd.DataFrame(fitted.smooth_cov, index=smooth_labels, columns=smooth_labels)
        if smooth_blocks
        else pd.DataFrame(),
    )


def _family_coef(problem: MLProblem, fitted: Fitted) -> pd.DataFrame:
    """The coefficients of the family parameters' formulas (glmmTMB's zero-inflation and
    dispersion models), on their links' scales, with Wald tests; empty without a formula."""
    estimates, labels, positions, start = [], [], [], 0
    for slot in problem.parameters.slots:
        if slot.design is not None:
            estimates += list(fitted.free_parameters[start : start + slot.size])
            labels += [f"{slot.name}: {column}" for column in slot.column_names]
            positions += list(range(start, start + slot.size))
        start += slot.size
    covariance = fitted.free_cov[np.ix_(positions, positions)] if positions else np.zeros((0, 0))
    return wald_table(np.asarray(estimates, dtype=float), covariance, labels)


def _ranef_table(problem: MLProblem, fitted: Fitted) -> pd.DataFrame:
    frames = []
    blocks = problem.random.covariance.blocks
    for block, levels, effects, covariances in zip(
        blocks, problem.block_levels, fitted.effects, fitted.effect_covariances, strict=True
    ):
        sds = np.sqrt(np.clip(np.einsum("lkk->lk", covariances), 0.0, None))
        index = pd.MultiIndex.from_product(
            [[block.name], list(levels), list(block.labels)], names=["group", "level", "term"]
        )
        frames.append(
            pd.DataFrame({"mode": effects.reshape(-1), "sd": sds.reshape(-1)}, index=index)
        )
    return pd.concat(frames)


#: a diagonal entry of θ at most this is at its bound (lme4's isSingular tolerance)
SINGULAR_TOL = 1e-4


def singular_terms(problem: MLProblem, theta: np.ndarray) -> tuple[str, ...]:
    """What makes a fit singular, per random block: SDs at 0, or correlated terms whose
    covariance matrix is singular (a diagonal entry of T at 0 with the term's SD above 0).

    A smooth's SD at 0 is not among them (:func:`smooths_at_zero`): it is a legitimate estimate,
    the smooth reduced to its penalty's null space (mgcv and gamm4 do not warn)."""
    phrases = []
    for block, factor in zip(
        problem.random.covariance.blocks, problem.random.covariance.factors(theta), strict=True
    ):
        if block.shared:
            continue
        at_bound = np.diag(factor) <= SINGULAR_TOL
        if not np.any(at_bound):
            continue
        sds = np.sqrt(np.sum(factor**2, axis=1))
        zero = [term for term, sd in zip(block.labels, sds, strict=True) if sd <= SINGULAR_TOL]
        if zero:
            phrases.append(f"the SD of ({' + '.join(zero)} | {block.name}) is estimated at 0")
        if block.correlated and len(zero) < int(np.sum(at_bound)):
            phrases.append(
                f"the covariance matrix of ({' + '.join(block.term_labels)} | {block.name}) is "
                "singular (a correlation at ±1)"
            )
    return tuple(phrases)


def smooths_at_zero(problem: MLProblem, theta: np.ndarray) -> tuple[str, ...]:
    """The smooth blocks whose SD is estimated at 0 (θ at most :data:`SINGULAR_TOL`; any
    category's, for a categorical model): each smooth reduced to its null space."""
    names = []
    for block, factor in zip(
        problem.random.covariance.blocks, problem.random.covariance.factors(theta), strict=True
    ):
        if block.shared and np.any(np.diag(factor) <= SINGULAR_TOL):
            names.append(block.name)
    return tuple(names)


def _warn_singular(result: MLResult) -> None:
    if not result.singular:
        return
    warn(
        f"boundary (singular) fit: {'; '.join(result.singular)} (lme4's isSingular); the "
        "random-effects structure may be too complex for the data: consider dropping the "
        "term, or a prior on the SD (Model.sample)",
        SingularFitWarning,
    )


@dataclass(frozen=True)
class AgqBackend(MLBackend):
    """Maximum likelihood by adaptive Gauss–Hermite quadrature (one grouping factor)."""

    options_type: ClassVar[type[LaplaceOptions]] = AgqOptions
    name: str = "agq"
    description: str = "maximum likelihood, adaptive Gauss–Hermite quadrature (lme4's nAGQ)"


LAPLACE = MLBackend()
"""The registered Laplace backend."""

AGQ = AgqBackend()
"""The registered adaptive Gauss–Hermite quadrature backend."""
