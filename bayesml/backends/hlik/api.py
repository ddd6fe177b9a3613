"""Entry points: :func:`fit_hlik` (for ``Model.fit(method="hlik")``) and :func:`hglm` (R users).

Both turn their input into an :class:`~bayesml.backends.hlik.problem.HlikProblem` of validated
arrays and call :func:`~bayesml.backends.hlik.fit.fit_problem`. ``hglm`` takes an lme4-style
formula and a data frame (random slopes ``(1 + x | g)`` become independent blocks, each with its
own λ) or, like R's ``hglm(y=, X=, Z=, X.disp=)``, the matrices themselves.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bayesml.backends.hlik.fit import fit_problem
from bayesml.backends.hlik.matrix_form import as_vector, problem_from_matrices
from bayesml.backends.hlik.options import (
    RandomFamilySpec,
    correlated_terms,
    dispersion_spec,
    random_families_for,
    require_finite,
    response_arrays,
)
from bayesml.backends.hlik.problem import GroupedColumns, HlikProblem, RandomTerm
from bayesml.backends.hlik.result import HlikResult
from bayesml.backends.hlik.rows import check_mean_family
from bayesml.design import FixedDesign, ModelDesign, build_design, build_fixed_design
from bayesml.errors import DataError, SpecError
from bayesml.families import Family, get_family
from bayesml.formula import parse_formula, parse_rhs

__all__ = ["dispersion_design", "fit_hlik", "hglm"]


# -- Model.fit(method="hlik") -------------------------------------------------------------------
def fit_hlik(
    design: ModelDesign,
    family: Family,
    *,
    random_family: RandomFamilySpec = "gaussian",
    dispersion: float | None = None,
    dispersion_design: FixedDesign | np.ndarray | pd.DataFrame | None = None,
    method: str = "EQL",
    tol: float = 1e-6,
    max_iter: int = 50,
    covariance: Mapping[str, Any] | None = None,
    car: Mapping[str, Any] | None = None,
) -> HlikResult:
    """Fit a model design by h-likelihood (Lee & Nelder's HGLM, R ``hglm``'s algorithm).

    Parameters
    ----------
    design
        From :func:`bayesml.design.build_design`; needs at least one random term. Each term
        ``(1 + x | g)`` gives independent blocks (intercepts, slopes), each with its own λ.
    family
        The response family and link: gaussian(identity), bernoulli/binomial(logit, probit,
        cloglog), poisson(log), gamma(log, inverse).
    random_family
        Distribution of the random effects: one for all terms (``"gaussian"``, ``"gamma"``,
        ``"beta"``, ``"inverse_gamma"``, optionally with a link, ``"inverse_gamma(log)"``), a
        sequence with one per random term, or a mapping from term name (``"ID"``) to family.
    dispersion
        ``None`` (default): φ is estimated (as R ``hglm`` does, also for binomial and Poisson,
        which makes those quasi-likelihood models); a number fixes φ (``1`` for a true
        binomial/Poisson likelihood).
    dispersion_design
        Design of the model for log φ (rows as the data rows): a
        :class:`~bayesml.design.FixedDesign` (see :func:`dispersion_design`), an array or a
        DataFrame. Default: intercept only.
    method
        ``"EQL"`` (default) or ``"EQL1"`` (HL(1,1) correction; Gaussian random effects).
    tol, max_iter
        Convergence tolerance on Σ Δη² / Σ η² and the most outer iterations.
    covariance
        Known covariance matrix per grouping factor (pedigree, kinship) up to the factor λ, as a
        DataFrame labelled by level (safest) or an array in the order of the factor's levels
        (``design.random[i].levels``: a categorical's categories, else the sorted values — so
        ``"10"`` comes before ``"2"`` for strings); the term must be ``(1 | g)``. The effects
        are fitted as Z·L (L the Cholesky factor) and reported on the original scale.
    car
        Neighbour (0/1 adjacency) matrix per grouping factor for a CAR spatial effect, given as
        ``covariance``; the term must be ``(1 | g)``. The result's ``car`` holds τ and ρ.

    Returns
    -------
    HlikResult

    Raises
    ------
    SpecError, FamilyError, DataError
        For bad arguments, unsupported family combinations, or data the model cannot take.
    """
    check_mean_family(family)
    if not design.random:
        raise SpecError("the h-likelihood backend needs at least one random term, e.g. (1 | group)")
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
        )
        for block, fam in zip(design.random, families, strict=True)
    ]
    terms = correlated_terms(terms, covariance or {}, car or {})
    response = design.response
    y, prior_weights, trials = response_arrays(
        family, response.y, response.trials, response.weights
    )
    problem = HlikProblem(
        y=y,
        prior_weights=prior_weights,
        trials=trials,
        X=np.asarray(design.fixed.matrix, dtype=float),
        x_names=tuple(design.fixed.column_names),
        offset=np.asarray(design.offset, dtype=float),
        family=family,
        random=tuple(terms),
        dispersion=dispersion_spec(dispersion, dispersion_design, y.size, what="dispersion_design"),
        user_weights=response.weights,
        description=str(design.formula),
    )
    return fit_problem(problem, method=method, tol=tol, max_iter=max_iter)


def dispersion_design(
    formula: str, data: pd.DataFrame, *, row_labels: pd.Index | None = None
) -> FixedDesign:
    """The design of a dispersion model ``"~ x2 + x3"`` on the rows a mean model used.

    Parameters
    ----------
    formula
        One-sided formula (fixed terms only).
    data
        The data frame of the mean model.
    row_labels
        The rows the mean model kept (``ModelDesign.row_labels``); default all rows.
    """
    rows = data if row_labels is None else data.loc[row_labels]
    return build_fixed_design(parse_rhs(formula), rows)


# -- hglm() ------------------------------------------------------------------------------------
def hglm(
    formula: str | None = None,
    data: pd.DataFrame | str | Path | None = None,
    *,
    y: Any = None,
    X: Any = None,
    Z: Any = None,
    X_disp: Any = None,
    z_blocks: Sequence[int] | None = None,
    family: str = "gaussian",
    link: str | None = None,
    random_family: RandomFamilySpec = "gaussian",
    dispersion: float | None = None,
    dispersion_formula: str | None = None,
    method: str = "EQL",
    tol: float = 1e-6,
    max_iter: int = 50,
    weights: Any = None,
    offset: Any = None,
    covariance: Mapping[str, Any] | None = None,
    car: Mapping[str, Any] | None = None,
) -> HlikResult:
    """Fit a hierarchical GLM by h-likelihood, as R's ``hglm`` does.

    Give either an lme4-style ``formula`` with ``data`` — ``"y ~ week + (1 | ID)"``; crossed and
    nested factors, random slopes ``(1 + x | g)`` as independent blocks each with its own λ — or
    the matrices ``y``, ``X``, ``Z`` (and ``X_disp``), like R's ``hglm(y=, X=, Z=, X.disp=)``.

    Parameters
    ----------
    formula, data
        The model and its data (a DataFrame, a bundled data set's name or a CSV path).
    y, X, Z, X_disp
        Matrix form: response (proportions for a binomial with ``weights`` trials, or 0/1), fixed
        design (default: an intercept), random design (one matrix, or a list with one matrix per
        random term), dispersion design.
    z_blocks
        Matrix form: the number of columns of ``Z`` in each random term (R's ``RandC``).
    family, link
        Response family and link (gaussian, binomial, bernoulli, poisson, gamma).
    random_family
        Random-effects family: one name for all terms, one per term, or a mapping term → name
        (``"gaussian"``, ``"gamma"``, ``"beta"``, ``"inverse_gamma"``; ``"inverse_gamma(log)"``
        for another link).
    dispersion
        ``None``: estimate φ (R's default, also for binomial/Poisson); a number: fix φ
        (R's ``fix.disp``).
    dispersion_formula
        One-sided formula for log φ, e.g. ``"~ x2 + x3"`` (formula form; ``X_disp`` in the
        matrix form).
    method
        ``"EQL"`` or ``"EQL1"``.
    tol, max_iter
        R's ``conv`` and ``maxit``.
    weights
        Prior weights: a column name (formula form) or an array (matrix form; for a binomial
        they are the trials of proportion responses).
    offset
        An array (or, in the formula form, a column name) added to the linear predictor, as
        well as any ``offset()`` in the formula.
    covariance, car
        Known covariance matrices, or CAR neighbour matrices, by grouping factor (formula form);
        see :func:`fit_hlik` for the order of their rows.

    Returns
    -------
    HlikResult

    Examples
    --------
    >>> fit = hglm("y ~ week + (1 | ID)", "bacteria", family="binomial")
    >>> round(float(fit.fixef.loc["week", "estimate"]), 3)
    -0.135
    """
    if formula is not None:
        _refuse_matrices(y=y, X=X, Z=Z, X_disp=X_disp, z_blocks=z_blocks)
        return _hglm_formula(
            formula,
            data,
            family=family,
            link=link,
            random_family=random_family,
            dispersion=dispersion,
            dispersion_formula=dispersion_formula,
            method=method,
            tol=tol,
            max_iter=max_iter,
            weights=weights,
            offset=offset,
            covariance=covariance,
            car=car,
        )
    if data is not None or dispersion_formula is not None or covariance or car:
        raise SpecError(
            "data=, dispersion_formula=, covariance= and car= go with a formula; in the matrix "
            "form give y=, X=, Z= and X_disp="
        )
    problem = problem_from_matrices(
        y,
        X,
        Z,
        X_disp,
        z_blocks,
        family=family,
        link=link,
        random_family=random_family,
        dispersion=dispersion,
        weights=weights,
        offset=offset,
    )
    return fit_problem(problem, method=method, tol=tol, max_iter=max_iter)


def _hglm_formula(
    formula: str,
    data: Any,
    *,
    family: str,
    link: str | None,
    random_family: RandomFamilySpec,
    dispersion: float | None,
    dispersion_formula: str | None,
    method: str,
    tol: float,
    max_iter: int,
    weights: Any,
    offset: Any,
    covariance: Any,
    car: Any,
) -> HlikResult:
    from bayesml.data_source import resolve_data

    frame = data if isinstance(data, pd.DataFrame) else resolve_data(data)
    if weights is not None and not isinstance(weights, str):
        raise SpecError(
            f"with a formula, weights must be the name of a data column; got {type(weights).__name__}"
        )
    response_family = get_family(family, link)
    design = build_design(parse_formula(formula), frame, family=response_family, weights=weights)
    if offset is not None:
        design = _add_offset(design, frame, offset)
    disp_design = None
    if dispersion_formula is not None:
        disp_design = dispersion_design(dispersion_formula, frame, row_labels=design.row_labels)
    return fit_hlik(
        design,
        response_family,
        random_family=random_family,
        dispersion=dispersion,
        dispersion_design=disp_design,
        method=method,
        tol=tol,
        max_iter=max_iter,
        covariance=covariance,
        car=car,
    )


def _add_offset(design: ModelDesign, frame: pd.DataFrame, offset: Any) -> ModelDesign:
    if isinstance(offset, str):
        if offset not in frame.columns:
            raise DataError(f"offset={offset!r} is not a column of the data")
        values = frame.loc[design.row_labels, offset].to_numpy(dtype=float)
    else:
        values = as_vector(offset, "offset", design.n_obs)
    require_finite(values, "offset")
    return dataclasses.replace(design, offset=design.offset + values)


# -- argument handling -----------------------------------------------------------------------------
def _refuse_matrices(**given: Any) -> None:
    named = [name for name, value in given.items() if value is not None]
    if named:
        raise SpecError(f"give either a formula or the matrices, not both; got formula and {named}")
