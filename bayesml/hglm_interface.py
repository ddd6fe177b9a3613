"""``bayesml.hglm``, R's ``hglm`` front door to the h-likelihood backend.

It reads an lme4-style formula and a data frame — random slopes ``(1 + x | g)`` become
independent blocks, each with its own λ — or, like R's ``hglm(y=, X=, Z=, X.disp=)``, the matrices
themselves, and hands the design to :mod:`bayesml.backends.hlik`. It keeps hglm's defaults (an
estimated dispersion, also for binomial and Poisson responses).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bayesml.backends.hlik import HlikResult, RandomFamilySpec, fit_hlik, fit_matrices
from bayesml.backends.registry import check_supports, get_backend
from bayesml.data_source import resolve_data
from bayesml.design import ModelDesign, build_design, one_sided_design
from bayesml.errors import DataError, SpecError
from bayesml.families import DEFAULT_FAMILY, DEFAULT_RANDOM_FAMILY, Family, get_family
from bayesml.formula import parse_formula

__all__ = ["hglm"]


def hglm(
    formula: str | None = None,
    data: pd.DataFrame | str | Path | None = None,
    *,
    y: Any = None,
    X: Any = None,
    Z: Any = None,
    X_disp: Any = None,
    z_blocks: Sequence[int] | None = None,
    family: str = DEFAULT_FAMILY,
    link: str | None = None,
    random_family: RandomFamilySpec = DEFAULT_RANDOM_FAMILY,
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
        see :meth:`bayesml.Model.fit` for the order of their rows.

    Returns
    -------
    HlikResult

    Examples
    --------
    >>> fit = hglm("y ~ week + (1 | ID)", "bacteria", family="binomial")
    >>> round(float(fit.fixef.loc["week", "estimate"]), 3)
    -0.135
    """
    response_family = get_family(family, link)
    check_supports(get_backend("hlik", "fitting"), response_family)
    if formula is not None:
        _refuse_matrices(y=y, X=X, Z=Z, X_disp=X_disp, z_blocks=z_blocks)
        design = _formula_design(formula, data, response_family, weights=weights, offset=offset)
        disp_design = None
        if dispersion_formula is not None:
            disp_design = one_sided_design(
                dispersion_formula, design.data, row_labels=design.model.row_labels
            )
        return fit_hlik(
            design.model,
            response_family,
            random_family=random_family,
            dispersion=dispersion,
            dispersion_design=disp_design,
            method=method,
            tol=tol,
            max_iter=max_iter,
            covariance=covariance,
            car=car,
            offset=design.offset,
        )
    if data is not None or dispersion_formula is not None or covariance or car:
        raise SpecError(
            "data=, dispersion_formula=, covariance= and car= go with a formula; in the matrix "
            "form give y=, X=, Z= and X_disp="
        )
    return fit_matrices(
        y,
        X,
        Z,
        X_disp,
        z_blocks,
        family=response_family,
        random_family=random_family,
        dispersion=dispersion,
        method=method,
        tol=tol,
        max_iter=max_iter,
        weights=weights,
        offset=offset,
    )


@dataclass(frozen=True)
class _FormulaDesign:
    model: ModelDesign
    data: pd.DataFrame
    offset: Any


def _formula_design(
    formula: str, data: Any, family: Family, *, weights: Any, offset: Any
) -> _FormulaDesign:
    frame = data if isinstance(data, pd.DataFrame) else resolve_data(data)
    if weights is not None and not isinstance(weights, str):
        raise SpecError(
            f"with a formula, weights must be the name of a data column; got {type(weights).__name__}"
        )
    design = build_design(parse_formula(formula), frame, family=family, weights=weights)
    extra_offset = None if offset is None else _offset_values(design, frame, offset)
    return _FormulaDesign(design, frame, extra_offset)


def _offset_values(design: ModelDesign, frame: pd.DataFrame, offset: Any) -> Any:
    """The offset of the design's rows: a column's values, or ``offset`` itself."""
    if not isinstance(offset, str):
        return offset
    if offset not in frame.columns:
        raise DataError(f"offset={offset!r} is not a column of the data")
    return frame.loc[design.row_labels, offset].to_numpy(dtype=float)


def _refuse_matrices(**given: Any) -> None:
    named = [name for name, value in given.items() if value is not None]
    if named:
        raise SpecError(f"give either a formula or the matrices, not both; got formula and {named}")
