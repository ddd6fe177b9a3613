"""The matrix form of a fit, as R's ``hglm(y=, X=, Z=, X.disp=)``: validated arrays → problem."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bayesml.backends.hlik.options import (
    DispersionOption,
    RandomFamilySpec,
    dispersion_spec,
    matrix_columns,
    matrix_frame,
    random_families_for,
    require_finite,
    resolve_dispersion,
    response_arrays,
)
from bayesml.backends.hlik.problem import HlikProblem, MatrixColumns, RandomTerm
from bayesml.backends.hlik.rows import check_mean_family
from bayesml.errors import DataError, SpecError
from bayesml.families import Family

__all__ = ["as_vector", "problem_from_matrices"]


def problem_from_matrices(
    y: Any,
    X: Any,
    Z: Any,
    X_disp: Any,
    z_blocks: Sequence[int] | None,
    *,
    family: Family,
    random_family: RandomFamilySpec,
    dispersion: DispersionOption,
    weights: Any,
    offset: Any,
) -> HlikProblem:
    """Validate the matrices of the matrix form and build the problem.

    Raises
    ------
    SpecError, DataError, FamilyError
        For missing or inconsistent arguments, bad values, unsupported families.
    """
    if y is None or Z is None:
        raise SpecError("give a formula, or the matrices y= and Z= (and X=; default an intercept)")
    response = as_vector(y, "y", None)
    n = response.size
    require_finite(response, "y")
    x, x_names = _fixed_matrix(X, n)
    z_terms = _z_terms(Z, z_blocks, n)
    families = random_families_for(random_family, [name for name, _, _ in z_terms])
    terms = [
        RandomTerm(
            name=name,
            columns=MatrixColumns(matrix),
            family=fam,
            term_labels=("Intercept",),
            levels=levels,
        )
        for (name, matrix, levels), fam in zip(z_terms, families, strict=True)
    ]
    response_family = family
    check_mean_family(response_family)
    y_arr, prior, trials_arr, user_weights = _response(response, response_family, weights)
    off = np.zeros(n) if offset is None else as_vector(offset, "offset", n)
    require_finite(off, "offset")
    problem = HlikProblem(
        y=y_arr,
        prior_weights=prior,
        trials=trials_arr,
        X=x,
        x_names=x_names,
        offset=off,
        family=response_family,
        random=tuple(terms),
        dispersion=dispersion_spec(
            resolve_dispersion(dispersion, response_family, modelled=X_disp is not None),
            X_disp,
            n,
            what="X_disp",
        ),
        user_weights=user_weights,
        description=f"hglm(y, X[{n}×{x.shape[1]}], Z[{n}×{sum(m.shape[1] for _, m, _ in z_terms)}])",
    )
    return problem


def _response(
    response: np.ndarray, family: Family, weights: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(y on the mean scale, prior weights, trials, the user's weights) of the matrix form.

    For the binomial, ``y`` is a proportion of ``weights`` trials (R's convention; 0/1 without
    weights); for the other families ``weights`` are prior weights.
    """
    n = response.size
    user_weights = None if weights is None else as_vector(weights, "weights", n)
    if user_weights is not None and not np.all((user_weights > 0) & np.isfinite(user_weights)):
        raise DataError("weights must be finite and positive")
    if family.uses_trials:
        trials = user_weights if user_weights is not None else np.ones(n)
        counts = response * trials
        family.validate_response(np.round(counts, 8), trials=trials, name="y * weights")
        return (*response_arrays(family, counts, trials, None), None)
    family.validate_response(response, name="y")
    return (*response_arrays(family, response, None, user_weights), user_weights)


def _fixed_matrix(X: Any, n: int) -> tuple[np.ndarray, tuple[str, ...]]:
    if X is None:
        return np.ones((n, 1)), ("Intercept",)
    matrix, names = matrix_frame(X, n, "X", prefix="X.")
    if np.linalg.matrix_rank(matrix) < matrix.shape[1]:
        raise DataError(
            f"X is rank deficient (rank {np.linalg.matrix_rank(matrix)} < {matrix.shape[1]} columns)"
        )
    return matrix, names


def _z_terms(
    Z: Any, z_blocks: Sequence[int] | None, n: int
) -> list[tuple[str, Any, tuple[str, ...]]]:
    pieces = list(Z) if isinstance(Z, list | tuple) else [Z]
    if z_blocks is not None:
        if len(pieces) != 1:
            raise SpecError("z_blocks splits one Z matrix; with a list of matrices leave it out")
        pieces = _split_columns(pieces[0], z_blocks)
    out = []
    for i, piece in enumerate(pieces):
        name = f"Random{i + 1}"
        matrix, levels = matrix_columns(piece, "Z.", keep_sparse=True)
        if matrix.ndim != 2 or matrix.shape[0] != n:
            raise DataError(
                f"Z must have {n} rows (one per observation); got shape {matrix.shape} for term {i + 1}"
            )
        values = matrix.data if sp.issparse(matrix) else matrix
        require_finite(values, "Z")
        if not sp.issparse(matrix) and np.mean(matrix != 0) < 0.1:
            matrix = sp.csr_matrix(matrix)
        out.append((name, matrix, levels))
    return out


def _split_columns(matrix: Any, sizes: Sequence[int]) -> list[Any]:
    width = matrix.shape[1]
    if any(not isinstance(s, int | np.integer) or s < 1 for s in sizes) or sum(sizes) != width:
        raise SpecError(
            f"z_blocks must be positive whole numbers adding up to the {width} columns of Z; got {list(sizes)}"
        )
    edges = np.cumsum([0, *sizes])
    if isinstance(matrix, pd.DataFrame):
        return [matrix.iloc[:, a:b] for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return [matrix[:, a:b] for a, b in zip(edges[:-1], edges[1:], strict=True)]


def as_vector(value: Any, what: str, n: int | None) -> np.ndarray:
    """A float vector (of ``n`` values when given); :class:`DataError` naming ``what`` otherwise."""
    try:
        array = (
            np.asarray(value, dtype=float).reshape(-1)
            if not isinstance(value, pd.Series)
            else value.to_numpy(dtype=float)
        )
    except (TypeError, ValueError) as error:
        raise DataError(f"{what} must be numeric; got {type(value).__name__}") from error
    if n is not None and array.size != n:
        raise DataError(f"{what} must have {n} values (one per observation); got {array.size}")
    return array
