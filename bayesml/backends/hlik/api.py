"""Entry points: :func:`fit_hlik` (for ``Model.fit(method="hlik")``) and :func:`hglm` (R users).

Both turn their input into an :class:`~bayesml.backends.hlik.problem.HlikProblem` of validated
arrays and call :func:`~bayesml.backends.hlik.fit.fit_problem`. ``hglm`` takes an lme4-style
formula and a data frame (random slopes ``(1 + x | g)`` become independent blocks, each with its
own λ) or, like R's ``hglm(y=, X=, Z=, X.disp=)``, the matrices themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bayesml.backends.hlik.correlated import car_term, covariance_term
from bayesml.backends.hlik.fit import fit_problem
from bayesml.backends.hlik.problem import (
    DispersionModel,
    GroupedColumns,
    HlikProblem,
    MatrixColumns,
    RandomTerm,
)
from bayesml.backends.hlik.random_families import RandomFamily, get_random_family
from bayesml.backends.hlik.result import HlikResult
from bayesml.backends.hlik.rows import check_mean_family
from bayesml.design import FixedDesign, ModelDesign, build_design, build_fixed_design
from bayesml.errors import DataError, FamilyError, SpecError
from bayesml.families import Family, get_family
from bayesml.formula import parse_formula, parse_rhs

__all__ = ["dispersion_design", "fit_hlik", "hglm"]

RandomFamilySpec = str | RandomFamily | Sequence[str | RandomFamily] | Mapping[str, str | RandomFamily]


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
        Known covariance matrix per grouping factor (pedigree, kinship), over its levels (an
        array in level order or a DataFrame labelled by level); the term must be ``(1 | g)``.
    car
        Neighbour matrix per grouping factor for a CAR spatial effect; the term must be
        ``(1 | g)``.

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
    families = _random_families(random_family, [block.name for block in design.random])
    terms = [
        RandomTerm(
            name=block.name,
            columns=GroupedColumns(block.group_index, np.asarray(block.term_matrix, dtype=float), block.n_levels),
            family=fam,
            term_labels=tuple(block.term_labels),
            levels=tuple(str(level) for level in block.levels),
        )
        for block, fam in zip(design.random, families, strict=True)
    ]
    terms = _correlated(terms, covariance or {}, car or {})
    response = design.response
    y, prior_weights, trials = _response_arrays(family, response.y, response.trials, response.weights)
    problem = HlikProblem(
        y=y,
        prior_weights=prior_weights,
        trials=trials,
        X=np.asarray(design.fixed.matrix, dtype=float),
        x_names=tuple(design.fixed.column_names),
        offset=np.asarray(design.offset, dtype=float),
        family=family,
        random=tuple(terms),
        dispersion=_dispersion(dispersion, dispersion_design, y.size, what="dispersion_design"),
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
        Known covariance matrices, or CAR neighbour matrices, by grouping factor (formula form).

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
            formula, data, family=family, link=link, random_family=random_family,
            dispersion=dispersion, dispersion_formula=dispersion_formula, method=method, tol=tol,
            max_iter=max_iter, weights=weights, offset=offset, covariance=covariance, car=car,
        )
    if data is not None or dispersion_formula is not None or covariance or car:
        raise SpecError(
            "data=, dispersion_formula=, covariance= and car= go with a formula; in the matrix "
            "form give y=, X=, Z= and X_disp="
        )
    return _hglm_matrices(
        y, X, Z, X_disp, z_blocks, family=family, link=link, random_family=random_family,
        dispersion=dispersion, method=method, tol=tol, max_iter=max_iter, weights=weights,
        offset=offset,
    )


def _hglm_formula(formula: str, data: Any, *, family: str, link: str | None, random_family: RandomFamilySpec,
                  dispersion: float | None, dispersion_formula: str | None, method: str, tol: float,
                  max_iter: int, weights: Any, offset: Any, covariance: Any, car: Any) -> HlikResult:
    from bayesml.data_source import resolve_data

    frame = data if isinstance(data, pd.DataFrame) else resolve_data(data)
    if weights is not None and not isinstance(weights, str):
        raise SpecError(f"with a formula, weights must be the name of a data column; got {type(weights).__name__}")
    response_family = get_family(family, link)
    design = build_design(parse_formula(formula), frame, family=response_family, weights=weights)
    if offset is not None:
        design = _add_offset(design, frame, offset)
    disp_design = None
    if dispersion_formula is not None:
        disp_design = dispersion_design(dispersion_formula, frame, row_labels=design.row_labels)
    return fit_hlik(
        design, response_family, random_family=random_family, dispersion=dispersion,
        dispersion_design=disp_design, method=method, tol=tol, max_iter=max_iter,
        covariance=covariance, car=car,
    )


def _add_offset(design: ModelDesign, frame: pd.DataFrame, offset: Any) -> ModelDesign:
    import dataclasses

    if isinstance(offset, str):
        if offset not in frame.columns:
            raise DataError(f"offset={offset!r} is not a column of the data")
        values = frame.loc[design.row_labels, offset].to_numpy(dtype=float)
    else:
        values = _vector(offset, "offset", design.n_obs)
    _require_finite(values, "offset")
    return dataclasses.replace(design, offset=design.offset + values)


def _hglm_matrices(y: Any, X: Any, Z: Any, X_disp: Any, z_blocks: Sequence[int] | None, *, family: str,
                   link: str | None, random_family: RandomFamilySpec, dispersion: float | None, method: str,
                   tol: float, max_iter: int, weights: Any, offset: Any) -> HlikResult:
    if y is None or Z is None:
        raise SpecError("give a formula, or the matrices y= and Z= (and X=; default an intercept)")
    response = _vector(y, "y", None)
    n = response.size
    _require_finite(response, "y")
    x, x_names = _fixed_matrix(X, n)
    z_terms = _z_terms(Z, z_blocks, n)
    families = _random_families(random_family, [name for name, _, _ in z_terms])
    terms = [
        RandomTerm(name=name, columns=MatrixColumns(matrix), family=fam, term_labels=("Intercept",), levels=levels)
        for (name, matrix, levels), fam in zip(z_terms, families, strict=True)
    ]
    response_family = get_family(family, link)
    check_mean_family(response_family)
    user_weights = None if weights is None else _vector(weights, "weights", n)
    if user_weights is not None and not np.all((user_weights > 0) & np.isfinite(user_weights)):
        raise DataError("weights must be finite and positive")
    trials = None
    if response_family.uses_trials:
        trials = user_weights if user_weights is not None else np.ones(n)
        counts = response * trials
        response_family.validate_response(np.round(counts, 8), trials=trials, name="y * weights")
        y_arr, prior, trials_arr = _response_arrays(response_family, counts, trials, None)
    else:
        response_family.validate_response(response, name="y")
        y_arr, prior, trials_arr = _response_arrays(response_family, response, None, user_weights)
    off = np.zeros(n) if offset is None else _vector(offset, "offset", n)
    _require_finite(off, "offset")
    problem = HlikProblem(
        y=y_arr, prior_weights=prior, trials=trials_arr, X=x, x_names=x_names, offset=off,
        family=response_family, random=tuple(terms),
        dispersion=_dispersion(dispersion, X_disp, n, what="X_disp"),
        user_weights=None if response_family.uses_trials else user_weights,
        description=f"hglm(y, X[{n}×{x.shape[1]}], Z[{n}×{sum(m.shape[1] for _, m, _ in z_terms)}])",
    )
    return fit_problem(problem, method=method, tol=tol, max_iter=max_iter)


# -- argument handling --------------------------------------------------------------------------
def _refuse_matrices(**given: Any) -> None:
    named = [name for name, value in given.items() if value is not None]
    if named:
        raise SpecError(f"give either a formula or the matrices, not both; got formula and {named}")


def _random_families(spec: RandomFamilySpec, names: list[str]) -> list[RandomFamily]:
    if isinstance(spec, str | RandomFamily):
        return [_one_random_family(spec)] * len(names)
    if isinstance(spec, Mapping):
        unknown = sorted(set(spec) - set(names))
        if unknown:
            raise SpecError(f"random_family names unknown random term(s) {unknown}; the terms are {names}")
        return [_one_random_family(spec.get(name, "gaussian")) for name in names]
    specs = list(spec)
    if len(specs) != len(names):
        raise SpecError(
            f"random_family gives {len(specs)} families for {len(names)} random terms {names}; give "
            "one family, one per term, or a mapping from term name to family"
        )
    return [_one_random_family(item) for item in specs]


def _one_random_family(spec: str | RandomFamily) -> RandomFamily:
    if isinstance(spec, RandomFamily):
        return spec
    if not isinstance(spec, str):
        raise FamilyError(f"a random family must be a name such as 'gamma' or 'inverse_gamma(log)'; got {spec!r}")
    text = spec.strip()
    if text.endswith(")") and "(" in text:
        name, link = text[:-1].split("(", 1)
        return get_random_family(name.strip(), link.strip() or None)
    return get_random_family(text)


def _correlated(terms: list[RandomTerm], covariance: Mapping[str, Any], car: Mapping[str, Any]) -> list[RandomTerm]:
    names = [term.name for term in terms]
    for option, mapping in (("covariance", covariance), ("car", car)):
        unknown = sorted(set(mapping) - set(names))
        if unknown:
            raise SpecError(f"{option} names unknown random term(s) {unknown}; the terms are {names}")
    both = sorted(set(covariance) & set(car))
    if both:
        raise SpecError(f"a random term takes covariance= or car=, not both; got both for {both}")
    out = []
    for term in terms:
        if term.name in covariance or term.name in car:
            if term.family.name != "gaussian":
                raise FamilyError(
                    f"correlated random effects (covariance=, car=) need the gaussian random family; "
                    f"term {term.name!r} has {term.family.label}"
                )
            term = covariance_term(term, covariance[term.name]) if term.name in covariance else car_term(term, car[term.name])
        out.append(term)
    return out


def _response_arrays(
    family: Family, y: np.ndarray, trials: np.ndarray | None, weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(response on the mean scale, prior weights, trials)."""
    y = np.asarray(y, dtype=float)
    base = np.ones(y.size) if weights is None else np.asarray(weights, dtype=float)
    if family.uses_trials:
        assert trials is not None
        trials = np.asarray(trials, dtype=float)
        if np.any(trials <= 0):
            raise DataError("binomial trials must be positive for the h-likelihood backend")
        return y / trials, base * trials, trials
    if np.any(base <= 0):
        raise DataError("prior weights must be positive for the h-likelihood backend")
    return y, base, None


def _dispersion(value: float | None, design: Any, n: int, *, what: str) -> float | DispersionModel:
    if value is not None:
        if design is not None:
            raise SpecError("a fixed dispersion (dispersion=<number>) takes no dispersion model")
        if isinstance(value, bool) or not isinstance(value, int | float) or not (np.isfinite(value) and value > 0):
            raise SpecError(f"dispersion must be None (estimated) or a positive number; got dispersion={value!r}")
        return float(value)
    if design is None:
        return DispersionModel.intercept(n)
    if isinstance(design, FixedDesign):
        matrix, names = np.asarray(design.matrix, dtype=float), tuple(design.column_names)
    else:
        matrix, names = _matrix_frame(design, n, what, prefix="X_disp.")
    if matrix.shape[0] != n:
        raise DataError(f"{what} has {matrix.shape[0]} rows; the data have {n}")
    _require_finite(matrix, what)
    return DispersionModel(matrix, names)


def _matrix_frame(value: Any, n: int, what: str, *, prefix: str) -> tuple[np.ndarray, tuple[str, ...]]:
    if isinstance(value, pd.DataFrame):
        matrix, names = value.to_numpy(dtype=float), tuple(str(c) for c in value.columns)
    else:
        matrix = np.asarray(value.toarray() if sp.issparse(value) else value, dtype=float)
        if matrix.ndim == 1:
            matrix = matrix[:, None]
        names = tuple(f"{prefix}{j + 1}" for j in range(matrix.shape[1]))
    if matrix.ndim != 2 or matrix.shape[0] != n:
        raise DataError(f"{what} must have {n} rows (one per observation); got shape {matrix.shape}")
    _require_finite(matrix, what)
    return matrix, names


def _fixed_matrix(X: Any, n: int) -> tuple[np.ndarray, tuple[str, ...]]:
    if X is None:
        return np.ones((n, 1)), ("Intercept",)
    matrix, names = _matrix_frame(X, n, "X", prefix="X.")
    if np.linalg.matrix_rank(matrix) < matrix.shape[1]:
        raise DataError(f"X is rank deficient (rank {np.linalg.matrix_rank(matrix)} < {matrix.shape[1]} columns)")
    return matrix, names


def _z_terms(Z: Any, z_blocks: Sequence[int] | None, n: int) -> list[tuple[str, Any, tuple[str, ...]]]:
    pieces = list(Z) if isinstance(Z, list | tuple) else [Z]
    if z_blocks is not None:
        if len(pieces) != 1:
            raise SpecError("z_blocks splits one Z matrix; with a list of matrices leave it out")
        pieces = _split_columns(pieces[0], z_blocks)
    out = []
    for i, piece in enumerate(pieces):
        name = f"Random{i + 1}"
        if isinstance(piece, pd.DataFrame):
            levels = tuple(str(c) for c in piece.columns)
            matrix: Any = piece.to_numpy(dtype=float)
        else:
            matrix = sp.csr_matrix(piece, dtype=float) if sp.issparse(piece) else np.asarray(piece, dtype=float)
            if matrix.ndim == 1:
                matrix = matrix[:, None]
            levels = tuple(f"Z.{j + 1}" for j in range(matrix.shape[1]))
        if matrix.ndim != 2 or matrix.shape[0] != n:
            raise DataError(f"Z must have {n} rows (one per observation); got shape {matrix.shape} for term {i + 1}")
        values = matrix.data if sp.issparse(matrix) else matrix
        _require_finite(values, "Z")
        if not sp.issparse(matrix) and np.mean(matrix != 0) < 0.1:
            matrix = sp.csr_matrix(matrix)
        out.append((name, matrix, levels))
    return out


def _split_columns(matrix: Any, sizes: Sequence[int]) -> list[Any]:
    width = matrix.shape[1]
    if any(not isinstance(s, int | np.integer) or s < 1 for s in sizes) or sum(sizes) != width:
        raise SpecError(f"z_blocks must be positive whole numbers adding up to the {width} columns of Z; got {list(sizes)}")
    edges = np.cumsum([0, *sizes])
    if isinstance(matrix, pd.DataFrame):
        return [matrix.iloc[:, a:b] for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return [matrix[:, a:b] for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _vector(value: Any, what: str, n: int | None) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=float).reshape(-1) if not isinstance(value, pd.Series) else value.to_numpy(dtype=float)
    except (TypeError, ValueError) as error:
        raise DataError(f"{what} must be numeric; got {type(value).__name__}") from error
    if n is not None and array.size != n:
        raise DataError(f"{what} must have {n} values (one per observation); got {array.size}")
    return array


def _require_finite(values: np.ndarray, what: str) -> None:
    bad = ~np.isfinite(np.asarray(values, dtype=float))
    if bad.any():
        where = np.argwhere(bad)[:5].tolist()
        raise DataError(f"{what} holds NaN or infinite values (at {where})")
