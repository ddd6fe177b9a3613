"""Entry points: :func:`fit_hlik` (a model design) and :func:`fit_matrices` (R's matrix form).

Both turn their input into an :class:`~bayesml.backends.hlik.problem.HlikProblem` of validated
arrays and call :func:`~bayesml.backends.hlik.fit.fit_problem`. The front doors are
``Model.fit(method="hlik")`` and :func:`bayesml.hglm`, which parse formulas; this package never
does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from bayesml.backends.hlik.fit import fit_problem
from bayesml.backends.hlik.matrix_form import as_vector, problem_from_matrices
from bayesml.backends.hlik.options import (
    DispersionOption,
    RandomFamilySpec,
    correlated_terms,
    dispersion_spec,
    estimation_argument,
    random_families_for,
    require_finite,
    resolve_dispersion,
    response_arrays,
)
from bayesml.backends.hlik.problem import GroupedColumns, HlikProblem, RandomTerm
from bayesml.backends.hlik.result import HlikResult
from bayesml.backends.hlik.rows import check_mean_family
from bayesml.design import FixedDesign, ModelDesign
from bayesml.errors import FamilyError, ModelChangeWarning, SpecError, warn
from bayesml.families import DEFAULT_RANDOM_FAMILY, Family
from bayesml.formula import ParsedFormula
from bayesml.formula import RandomTerm as FormulaTerm

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["fit_hlik", "fit_matrices"]


# -- Model.fit(method="hlik") -------------------------------------------------------------------
def fit_hlik(
    design: ModelDesign,
    family: Family,
    *,
    random_family: RandomFamilySpec = DEFAULT_RANDOM_FAMILY,
    dispersion: DispersionOption = "auto",
    dispersion_design: FixedDesign | np.ndarray | pd.DataFrame | None = None,
    estimation: str | None = None,
    tol: float | None = None,
    max_iter: int = 50,
    covariance: Mapping[str, Any] | None = None,
    car: Mapping[str, Any] | None = None,
    offset: Any = None,
    method: str | None = None,
    convergence: str = "fixed_point",
) -> HlikResult:
    """Fit a model design by h-likelihood (Lee & Nelder's HGLM, R ``hglm``'s algorithm).

    Parameters
    ----------
    design
        From :func:`bayesml.design.build_design`; needs at least one random term. Each term
        ``(1 + x | g)`` gives independent blocks (intercepts, slopes), each with its own λ: it is
        fitted as ``(1 + x || g)``, with a :class:`~bayesml.errors.ModelChangeWarning`, and the
        result's description is the formula fitted.
    family
        The response family and link: gaussian(identity), bernoulli/binomial(logit, probit,
        cloglog), poisson(log), gamma(log, inverse).
    random_family
        Distribution of the random effects: one for all terms (``"gaussian"``, ``"gamma"``,
        ``"beta"``, ``"inverse_gamma"``, optionally with a link, ``"inverse_gamma(log)"``), a
        sequence with one per random term, or a mapping from term name (``"ID"``) to family.
    dispersion
        ``"auto"`` (default, ``Model.fit``'s): the family's own — φ fixed at 1 for a family
        without a dispersion parameter (bernoulli, binomial, poisson: their likelihood, as glmer
        fits it) unless ``dispersion_design`` is given, estimated otherwise; ``"estimate"``: φ
        estimated for every family (R ``hglm``'s default, which makes binomial and Poisson fits
        quasi-likelihood ones); a positive number fixes φ (R's ``fix.disp``). ``None`` is the
        deprecated spelling of ``"estimate"``.
    dispersion_design
        Design of the model for log φ (rows as the data rows): a
        :class:`~bayesml.design.FixedDesign` (see :func:`dispersion_design`), an array or a
        DataFrame. Default: intercept only.
    estimation
        ``"EQL"`` (default) or ``"EQL1"`` (HL(1,1) correction; Gaussian random effects).
    tol, max_iter
        Convergence tolerance and the most outer iterations: with ``convergence="fixed_point"``
        the fit stops when every φ and λ changes by less than ``tol`` relative (and
        Σ Δη² / Σ η² < ``tol``); with ``"hglm"`` on Σ Δη² / Σ η² < ``tol`` alone. ``None``
        (default): 1e-8 at the fixed point, hglm's 1e-6 with ``convergence="hglm"``.
    covariance
        Known covariance matrix per grouping factor (pedigree, kinship) up to the factor λ, as a
        DataFrame labelled by level (safest) or an array in the order of the factor's levels
        (``design.random[i].levels``: a categorical's categories, else the sorted values — so
        ``"10"`` comes before ``"2"`` for strings); the term must be ``(1 | g)``. The effects
        are fitted as Z·L (L the Cholesky factor) and reported on the original scale.
    car
        Neighbour (0/1 adjacency) matrix per grouping factor for a CAR spatial effect, given as
        ``covariance``; the term must be ``(1 | g)``. The result's ``car`` holds τ and ρ.
    offset
        Values added to the design's offset (one per row), or ``None``.
    method
        The former name of ``estimation`` (deprecated: a ``FutureWarning``).
    convergence
        ``"fixed_point"`` (default): iterate to the fixed point of EQL (SQUAREM-accelerated;
        for Gaussian models lmer's REML fit); ``"hglm"``: R hglm's iteration and stopping rule,
        which reproduces hglm's printed output iterate by iterate but stops before the
        dispersions settle where the iteration is slow.

    Returns
    -------
    HlikResult

    Raises
    ------
    SpecError, FamilyError, DataError
        For bad arguments, unsupported family combinations, or data the model cannot take.

    Warns
    -----
    ModelChangeWarning
        For a correlated term ``(1 + x | g)``, fitted as the independent ``(1 + x || g)``.
    """
    estimation = estimation_argument(estimation, method, caller="fit_hlik")
    check_mean_family(family)
    if not design.random:
        raise SpecError("the h-likelihood backend needs at least one random term, e.g. (1 | group)")
    fixed_phi = resolve_dispersion(dispersion, family, modelled=dispersion_design is not None)
    families = random_families_for(random_family, [block.name for block in design.random])
    terms = [
        RandomTerm(
            name=block.name,
            columns=GroupedColumns(
                block.group_index, np.asarray(block.term_matrix, dtype=float), block.n_levels
            ),
            family=fam,
            term_labels=tuple(block.term_labels),
            levels=tuple(str(level) for level in block.levels),
            shared=block.shared_sd,
        )
        for block, fam in zip(design.random, families, strict=True)
    ]
    _check_smooth_families(terms)
    terms = correlated_terms(terms, covariance or {}, car or {})
    if offset is not None:
        values = as_vector(offset, "offset", design.n_obs)
        require_finite(values, "offset")
        design = dataclasses.replace(design, offset=design.offset + values)
    response = design.response
    y, prior_weights, trials = response_arrays(
        family, response.y, response.trials, response.weights
    )
    fitted_formula = _fitted_without_correlations(design.formula)
    problem = HlikProblem(
        y=y,
        prior_weights=prior_weights,
        trials=trials,
        X=np.asarray(design.fixed.matrix, dtype=float),
        x_names=tuple(design.fixed.column_names),
        offset=np.asarray(design.offset, dtype=float),
        family=family,
        random=tuple(terms),
        dispersion=dispersion_spec(fixed_phi, dispersion_design, y.size, what="dispersion_design"),
        user_weights=response.weights,
        description=str(fitted_formula),
        notes=tuple(_independence_note(term) for term in _correlated(design.formula)),
    )
    return fit_problem(
        problem, estimation=estimation, tol=tol, max_iter=max_iter, convergence=convergence
    )


def _check_smooth_families(terms: list[RandomTerm]) -> None:
    """Refuse a smooth (a ``shared_sd`` block) given other than gaussian effects.

    Raises
    ------
    FamilyError
        Naming the smooth and the family it was given.
    """
    for term in terms:
        if term.shared and not term.family.is_gaussian:
            raise FamilyError(
                f"random_family: the penalised coefficients of the smooth {term.name!r} are "
                f"gaussian (one lambda = sd^2 for the smooth); got {term.family.label!r} for it. "
                "Give the other families by grouping factor, e.g. random_family={'g': 'gamma'}"
            )


def _correlated(formula: ParsedFormula) -> list[FormulaTerm]:
    return [term for term in formula.random_terms if term.correlated]


def _fitted_without_correlations(formula: ParsedFormula) -> ParsedFormula:
    """``formula`` as the h-likelihood backend fits it: every correlated random term ``(1 + x | g)``
    made independent, ``(1 + x || g)``; a :class:`~bayesml.errors.ModelChangeWarning` for each."""
    correlated = _correlated(formula)
    if not correlated:
        return formula
    for term in correlated:
        independent = dataclasses.replace(term, correlated=False)
        warn(
            f"the h-likelihood backend fits no correlated random effects: {term} was fitted as "
            f"{_expanded(term)}, independent effects each with its own lambda (lme4's "
            f"{independent}); the summary shows the model fitted. Write {independent} to fit it "
            "without this warning, or sample the correlated model with Model.sample()",
            ModelChangeWarning,
        )
    terms = tuple(dataclasses.replace(term, correlated=False) for term in formula.random_terms)
    return dataclasses.replace(formula, random_terms=terms)


def _expanded(term: FormulaTerm) -> str:
    """``(1 | g) + (0 + x | g)``: one bar per effect, as lme4 expands ``(1 + x || g)``."""
    return " + ".join(str(FormulaTerm((part,), term.group, False)) for part in term.terms)


def _independence_note(term: FormulaTerm) -> str:
    independent = dataclasses.replace(term, correlated=False)
    return (
        f"{term} was fitted as {independent} = {_expanded(term)}: independent effects, each "
        "with its own lambda (the h-likelihood backend fits no correlations)"
    )


# -- the matrix form ----------------------------------------------------------------------------
def fit_matrices(
    y: Any,
    X: Any = None,
    Z: Any = None,
    X_disp: Any = None,
    z_blocks: Sequence[int] | None = None,
    *,
    family: Family,
    random_family: RandomFamilySpec = DEFAULT_RANDOM_FAMILY,
    dispersion: DispersionOption = "estimate",
    estimation: str | None = None,
    tol: float | None = None,
    max_iter: int = 50,
    weights: Any = None,
    offset: Any = None,
    method: str | None = None,
    convergence: str = "hglm",
) -> HlikResult:
    """Fit an HGLM given as matrices, like R's ``hglm(y=, X=, Z=, X.disp=)``, with its defaults
    (φ estimated, hglm's stopping rule).

    See :func:`bayesml.hglm` for the arguments; ``method`` is the former name of ``estimation``
    (deprecated).
    """
    estimation = estimation_argument(estimation, method, caller="fit_matrices")
    problem = problem_from_matrices(
        y,
        X,
        Z,
        X_disp,
        z_blocks,
        family=family,
        random_family=random_family,
        dispersion=dispersion,
        weights=weights,
        offset=offset,
    )
    return fit_problem(
        problem, estimation=estimation, tol=tol, max_iter=max_iter, convergence=convergence
    )
