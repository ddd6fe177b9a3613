"""Correlated random effects, turned into independent ones by a change of basis of Z.

* Known covariance A of a grouping factor's effects (a pedigree or kinship matrix):
  u = L u* with L the Cholesky factor of A and u* i.i.d., so the term is fitted with Z·L.
* CAR (conditional autoregressive) spatial effect with neighbour matrix D: with
  D = Γ diag(δ) Γ', the rotated effects u* = Γ'u are independent with
  1/λ_j = (1 − ρ δ_j)/τ, a gamma GLM with inverse link on [1, δ_j]; the term is fitted with Z·Γ.

Either way the term becomes a :class:`MatrixColumns` term with a back-transform (L or Γ) that
reports the effects on the original scale.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.linalg as la

from bayesml.backends.hlik.problem import DispersionModel, GroupedColumns, MatrixColumns, RandomTerm
from bayesml.errors import DataError
from bayesml.families import get_link

__all__ = ["car_term", "covariance_term", "level_matrix"]

_SYMMETRY_TOL = 1e-8


def level_matrix(matrix: object, levels: Sequence[str], *, what: str) -> np.ndarray:
    """A square matrix over ``levels``: a DataFrame is reordered by its labels, an array is taken
    in the order of the levels.

    Raises
    ------
    DataError
        If it is not square, not of the size of ``levels``, misses a level, holds NaN or is not
        symmetric.
    """
    if isinstance(matrix, pd.DataFrame):
        index = [str(label) for label in matrix.index]
        columns = [str(label) for label in matrix.columns]
        missing = [level for level in levels if level not in index or level not in columns]
        if missing:
            raise DataError(
                f"{what} has no row/column for level(s) {missing[:5]} of the grouping factor; its "
                f"labels must be the levels ({len(levels)} of them)"
            )
        frame = matrix.copy()
        frame.index, frame.columns = index, columns
        values = frame.loc[list(levels), list(levels)].to_numpy(dtype=float)
    else:
        values = np.asarray(matrix, dtype=float)
    if values.shape != (len(levels), len(levels)):
        raise DataError(
            f"{what} must be a {len(levels)} × {len(levels)} matrix (one row and column per level "
            f"of the grouping factor); got shape {values.shape}"
        )
    if not np.all(np.isfinite(values)):
        raise DataError(f"{what} holds NaN or infinite values")
    if not np.allclose(values, values.T, atol=_SYMMETRY_TOL * max(1.0, np.abs(values).max())):
        raise DataError(f"{what} must be symmetric")
    return values


def _as_dense_z(columns: GroupedColumns, term: str) -> np.ndarray:
    if columns.n_terms != 1:
        raise DataError(
            f"a correlated random term must be an intercept per level, (1 | {term}); "
            f"got {columns.n_terms} terms"
        )
    return columns.matrix


def covariance_term(term: RandomTerm, covariance: object) -> RandomTerm:
    """``term`` with a known covariance of its effects (up to the factor λ): fitted as Z·L.

    Raises
    ------
    DataError
        If the covariance is not a symmetric positive definite matrix over the term's levels.
    """
    assert isinstance(term.columns, GroupedColumns)
    z = _as_dense_z(term.columns, term.name)
    values = level_matrix(covariance, term.levels, what=f"covariance of {term.name!r}")
    try:
        chol = la.cholesky(values, lower=True)
    except la.LinAlgError as error:
        raise DataError(f"covariance of {term.name!r} must be positive definite") from error
    return _in_basis(term, z, chol, kind="covariance")


def car_term(term: RandomTerm, neighbours: object) -> RandomTerm:
    """``term`` as a CAR spatial effect with neighbour matrix ``neighbours``: fitted as Z·Γ.

    Raises
    ------
    DataError
        If the neighbour matrix is not a symmetric matrix over the term's levels.
    """
    assert isinstance(term.columns, GroupedColumns)
    z = _as_dense_z(term.columns, term.name)
    values = level_matrix(neighbours, term.levels, what=f"neighbour matrix of {term.name!r}")
    eigenvalues, eigenvectors = la.eigh(values)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, eigenvectors = eigenvalues[order], eigenvectors[:, order]
    design = np.column_stack([np.ones(eigenvalues.size), eigenvalues])
    model = DispersionModel(design, ("1/tau", "-rho/tau"), get_link("inverse"))
    return _in_basis(term, z, eigenvectors, kind="car", lambda_models=(model,))


def _in_basis(
    term: RandomTerm,
    z: np.ndarray,
    basis: np.ndarray,
    *,
    kind: str,
    lambda_models: tuple[DispersionModel, ...] | None = None,
) -> RandomTerm:
    """``term`` fitted with Z·M, u = M u* reported through the back-transform M = ``basis``."""
    return RandomTerm(
        name=term.name,
        columns=MatrixColumns(np.asarray(z @ basis)),
        family=term.family,
        term_labels=term.term_labels,
        levels=term.levels,
        lambda_models=lambda_models,
        back_transform=basis,
        kind=kind,
    )
