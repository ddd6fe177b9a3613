"""``bayesml.hglm``, R's ``hglm`` front door to the h-likelihood backend.

It reads an lme4-style formula and a data frame (R's ``hglm2(meanmodel=)``), or R ``hglm``'s
``fixed=`` and ``random=`` formulas — random slopes ``(1 + x | g)`` become independent blocks,
each with its own λ, fitted as ``(1 + x || g)`` with a warning — or, like R's
``hglm(y=, X=, Z=, X.disp=)``, the matrices themselves, and hands the design to
:mod:`bayesml.backends.hlik`. It keeps hglm's defaults (an estimated dispersion, also for
binomial and Poisson responses), where ``Model.fit(method="hlik")`` fits the model's own
likelihood (``dispersion="auto"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bayesml.backends.hlik import HlikResult, RandomFamilySpec, fit_hlik, fit_matrices
from bayesml.backends.hlik.options import DispersionOption, estimation_argument
from bayesml.backends.registry import check_supports, get_backend
from bayesml.data_source import resolve_data
from bayesml.design import ModelDesign, build_design, one_sided_design
from bayesml.errors import ArgumentError, ArgumentTypeError, DataError, FormulaError, SpecError
from bayesml.families import DEFAULT_FAMILY, DEFAULT_RANDOM_FAMILY, Family, get_family
from bayesml.formula import ParsedFormula, parse_formula

__all__ = ["hglm"]


def hglm(
    formula: str | None = None,
    data: pd.DataFrame | str | Path | None = None,
    *,
    fixed: str | None = None,
    random: str | None = None,
    y: Any = None,
    X: Any = None,
    Z: Any = None,
    X_disp: Any = None,
    z_blocks: Sequence[int] | None = None,
    family: str = DEFAULT_FAMILY,
    link: str | None = None,
    random_family: RandomFamilySpec = DEFAULT_RANDOM_FAMILY,
    dispersion: DispersionOption = "estimate",
    dispersion_formula: str | None = None,
    estimation: str | None = None,
    tol: float | None = None,
    max_iter: int = 50,
    weights: Any = None,
    offset: Any = None,
    covariance: Mapping[str, Any] | None = None,
    car: Mapping[str, Any] | None = None,
    method: str | None = None,
    convergence: str = "hglm",
) -> HlikResult:
    """Fit a hierarchical GLM by h-likelihood, as R's ``hglm`` does, with hglm's defaults.

    Give the model in one of three forms:

    * an lme4-style ``formula`` with ``data`` — ``"y ~ week + (1 | ID)"``, as R's
      ``hglm2(meanmodel = y ~ week + (1 | ID))``; crossed and nested factors;
    * R ``hglm``'s two formulas, ``fixed="y ~ week"`` and ``random="~ 1 | ID"`` (several random
      terms as ``"~ (1 | a) + (1 | b)"``), with ``data``;
    * the matrices ``y``, ``X``, ``Z`` (and ``X_disp``), like R's ``hglm(y=, X=, Z=, X.disp=)``.

    A random slope ``(1 + x | g)`` is fitted as independent blocks, each with its own λ —
    lme4's ``(1 + x || g)`` — with a :class:`~bayesml.errors.ModelChangeWarning`; the summary
    shows the model fitted.

    **Defaults.** As R's ``hglm``, φ is estimated for every family (``dispersion="estimate"``):
    a binomial or Poisson fit is then a quasi-likelihood fit whose SEs are √φ times those of
    the model's likelihood, and hlik, pvh, pbvh and cAIC are not defined.
    ``Model.fit(method="hlik")`` defaults to ``dispersion="auto"`` instead: φ = 1 for families
    without a dispersion parameter (bernoulli, binomial, poisson), as glmer and the Bayesian
    backends fit them. Give ``dispersion=1`` (R's ``fix.disp = 1``) for the same fit here.

    Parameters
    ----------
    formula, data
        The model and its data (a DataFrame, a bundled data set's name or a CSV path).
    fixed, random
        R ``hglm``'s formula form, instead of ``formula``: the fixed part, two-sided
        (``"y ~ week"``), and the random part, one-sided (``"~ 1 | ID"``; ``"~ (1 | a) + (1 | b)"``
        for several terms); they make the formula ``"y ~ week + (1 | ID)"``.
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
        ``"estimate"`` (default, R's ``fix.disp = NULL``): φ estimated, also for
        binomial/Poisson; a positive number: φ fixed at it (R's ``fix.disp``; ``1`` for the
        binomial/Poisson likelihood); ``"auto"``: ``Model.fit``'s default, 1 for a family without
        a dispersion parameter, estimated otherwise. ``None`` is the deprecated spelling of
        ``"estimate"``.
    dispersion_formula
        One-sided formula for log φ, e.g. ``"~ x2 + x3"`` (R's ``disp``; formula forms;
        ``X_disp`` in the matrix form).
    estimation
        ``"EQL"`` (default) or ``"EQL1"`` (the HL(1,1) correction) — R's ``method``, named as in
        ``Model.fit``; where EQL1 cannot change the fit the result's ``notes`` say why.
    tol, max_iter
        R's ``conv`` and ``maxit``; ``tol=None`` (default) is hglm's ``conv = 1e-6`` (1e-8 with
        ``convergence="fixed_point"``).
    convergence
        ``"hglm"`` (default): R hglm's stopping rule, Σ Δη² / Σ η² < ``tol``, and its iterates
        — hglm's printed output, iterate by iterate, which can stop well before the
        dispersions settle (lme4's Pastes at ``tol=1e-6``: a batch SD of 1.449, against 1.287 at
        the fixed point). ``"fixed_point"``: iterate to the fixed point (every φ and λ changing
        by less than ``tol`` relative, SQUAREM-accelerated), ``Model.fit(method="hlik")``'s
        default; for a Gaussian model this is lmer's REML fit.
    weights
        Prior weights: a column name (formula form) or an array (matrix form; for a binomial
        they are the trials of proportion responses).
    offset
        An array (or, in the formula form, a column name) added to the linear predictor, as
        well as any ``offset()`` in the formula.
    covariance, car
        Known covariance matrices, or CAR neighbour matrices, by grouping factor (formula form);
        see :meth:`bayesml.Model.fit` for the order of their rows.
    method
        The former name of ``estimation`` (deprecated: a ``FutureWarning``; ``method`` names
        the backend in ``Model.fit``).

    Returns
    -------
    HlikResult

    Raises
    ------
    ArgumentError
        For ``formula`` together with ``fixed``/``random``, one of ``fixed``/``random`` without
        the other, or both ``estimation`` and ``method``.

    Warns
    -----
    ModelChangeWarning
        For a correlated random term ``(1 + x | g)``, fitted as ``(1 + x || g)``.

    Examples
    --------
    >>> fit = hglm("y ~ week + (1 | ID)", "bacteria", family="binomial")
    >>> round(float(fit.fixef.loc["week", "estimate"]), 3)
    -0.135
    >>> same = hglm(fixed="y ~ week", random="~ 1 | ID", data="bacteria", family="binomial")
    >>> round(float(same.fixef.loc["week", "estimate"]), 3)
    -0.135
    """
    estimation = estimation_argument(estimation, method, caller="hglm")
    response_family = get_family(family, link)
    check_supports(get_backend("hlik", "fitting"), response_family)
    if fixed is not None or random is not None:
        formula = _formula_of_parts(formula, fixed, random)
        given = "fixed= and random="
    else:
        given = "formula"
    if formula is not None:
        _refuse_matrices(given, y=y, X=X, Z=Z, X_disp=X_disp, z_blocks=z_blocks)
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
            estimation=estimation,
            tol=tol,
            max_iter=max_iter,
            covariance=covariance,
            car=car,
            offset=design.offset,
            convergence=convergence,
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
        estimation=estimation,
        tol=tol,
        max_iter=max_iter,
        weights=weights,
        offset=offset,
        convergence=convergence,
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


def _refuse_matrices(formula: str, **given: Any) -> None:
    named = [name for name, value in given.items() if value is not None]
    if named:
        raise SpecError(
            f"give either a formula or the matrices, not both; got {formula} and {named}"
        )


def _formula_of_parts(formula: str | None, fixed: str | None, random: str | None) -> str:
    """The formula of R ``hglm``'s ``fixed=`` and ``random=``: ``"y ~ week"`` and ``"~ 1 | ID"``
    make ``"y ~ week + (1 | ID)"``.

    Raises
    ------
    ArgumentError
        With ``formula`` too, without one of the two, a ``fixed`` with random terms or a
        ``random`` that is not a one-sided formula of random terms.
    ArgumentTypeError
        For a ``fixed`` or ``random`` that is not a string.
    """
    if formula is not None:
        named = [name for name, value in (("fixed", fixed), ("random", random)) if value]
        raise ArgumentError(
            "give the model either as formula= (lme4 style, as R's hglm2) or as fixed= and "
            f"random= (as R's hglm), not both; got formula={formula!r} and "
            + " and ".join(f"{name}=" for name in named)
        )
    for name, value, example in (("fixed", fixed, "y ~ week"), ("random", random, "~ 1 | ID")):
        if value is None:
            other = "random" if name == "fixed" else "fixed"
            raise ArgumentError(
                f"{other}= needs {name}= (R hglm's form: fixed='y ~ week', random='~ 1 | ID'); "
                f"got {other}= without {name}="
            )
        if not isinstance(value, str):
            raise ArgumentTypeError(
                f"{name} must be a formula string such as {example!r}; got "
                f"{type(value).__name__}"
            )
    return _combined_formula(str(fixed), str(random))


def _combined_formula(fixed: str, random: str) -> str:
    fixed_part = parse_formula(fixed)
    if fixed_part.random_terms:
        raise ArgumentError(
            "fixed= is the fixed part of the model; give the random terms in random=; got "
            f"fixed={fixed!r} with {', '.join(map(str, fixed_part.random_terms))}"
        )
    text = random.strip()
    if not text.startswith("~") or "|" not in text:
        raise ArgumentError(
            "random must be a one-sided formula of random terms such as '~ 1 | ID' or "
            f"'~ (1 | a) + (1 | b)'; got random={random!r}"
        )
    terms = text[1:].strip()
    combined = f"{fixed} + {terms if terms.startswith('(') else f'({terms})'}"
    try:
        parsed = parse_formula(combined)
    except FormulaError as error:
        raise ArgumentError(
            f"random={random!r} is not a one-sided formula of random terms such as '~ 1 | ID' "
            f"or '~ (1 | a) + (1 | b)': {error.reason}"
        ) from error
    if not _adds_random_terms_only(fixed_part, parsed):
        raise ArgumentError(
            "random= holds the random terms only (such as '~ 1 | ID'); give fixed terms in "
            f"fixed=; got random={random!r}"
        )
    return combined


def _adds_random_terms_only(fixed: ParsedFormula, combined: ParsedFormula) -> bool:
    return (
        combined.terms == fixed.terms
        and combined.intercept == fixed.intercept
        and combined.offsets == fixed.offsets
        and len(combined.random_terms) > 0
    )
