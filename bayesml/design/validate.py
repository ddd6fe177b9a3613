"""Checks shared by every part of the design: columns present, no missing values, full rank."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from bayesml.errors import DataError, warn

__all__ = [
    "MISSING_POLICIES",
    "check_finite",
    "check_full_rank",
    "check_not_empty",
    "describe_rows",
    "check_missing_policy",
    "handle_missing",
    "refuse_missing",
    "require_columns",
]

MISSING_POLICIES = ("raise", "drop")
_ROWS_SHOWN = 5
_RANK_TOLERANCE = 1e-7


def describe_rows(index: pd.Index, mask: np.ndarray, limit: int = _ROWS_SHOWN) -> str:
    """``"rows 3, 7, 12 and 4 more"``: the labels of the rows where ``mask`` is true."""
    labels = [repr(label) if isinstance(label, str) else str(label) for label in index[mask]]
    if not labels:
        return "no rows"
    head = ", ".join(labels[:limit])
    more = f" and {len(labels) - limit} more" if len(labels) > limit else ""
    noun = "row" if len(labels) == 1 else "rows"
    return f"{noun} {head}{more}"


def check_not_empty(data: pd.DataFrame, *, what: str = "data") -> None:
    """Raise :class:`DataError` if ``data`` has no rows."""
    if len(data) == 0:
        raise DataError(f"{what} has no rows; at least one observation is needed")


def require_columns(data: pd.DataFrame, columns: Iterable[str], *, what: str = "data") -> None:
    """Raise :class:`DataError` naming every missing (or repeated) column, suggesting close names."""
    available = [str(column) for column in data.columns]
    wanted = list(dict.fromkeys(columns))
    repeated = [column for column in wanted if int((data.columns == column).sum()) > 1]
    if repeated:
        raise DataError(
            f"{what} has more than one column named {', '.join(map(repr, repeated))}; "
            "column names must be unique"
        )
    missing = [column for column in wanted if column not in data.columns]
    if not missing:
        return
    hints = []
    for column in missing:
        close = difflib.get_close_matches(column, available, n=3)
        if close:
            hints.append(f"for {column!r} did you mean {' or '.join(map(repr, close))}?")
    shown = ", ".join(map(repr, available[:20])) + (", ..." if len(available) > 20 else "")
    noun = "column" if len(missing) == 1 else "columns"
    message = f"{what} has no {noun} {', '.join(map(repr, missing))}"
    if hints:
        message += " (" + "; ".join(hints) + ")"
    raise DataError(f"{message}; available columns: {shown}")


def _missing_masks(data: pd.DataFrame, columns: Sequence[str]) -> dict[str, np.ndarray]:
    masks = {column: data[column].isna().to_numpy() for column in dict.fromkeys(columns)}
    return {column: mask for column, mask in masks.items() if mask.any()}


def _missing_details(data: pd.DataFrame, masks: dict[str, np.ndarray]) -> str:
    return "; ".join(
        f"column {column!r} ({int(mask.sum())} missing, at {describe_rows(data.index, mask)})"
        for column, mask in masks.items()
    )


def refuse_missing(data: pd.DataFrame, columns: Sequence[str], *, what: str = "data") -> None:
    """Raise :class:`DataError` naming each column of ``columns`` with NaN/None and its rows."""
    masks = _missing_masks(data, columns)
    if masks:
        raise DataError(
            f"{what} has missing values (NaN/None) in columns the model uses: "
            f"{_missing_details(data, masks)}"
        )


def handle_missing(
    data: pd.DataFrame, columns: Sequence[str], missing: str
) -> tuple[pd.DataFrame, int]:
    """Refuse or drop rows with NaN/None in ``columns``.

    Parameters
    ----------
    data
        The frame (it must hold every name in ``columns``).
    columns
        The columns the model uses.
    missing
        ``"raise"``: a :class:`DataError` naming each column with missing values and the first
        rows; ``"drop"``: drop those rows with a ``UserWarning`` saying how many and why.

    Returns
    -------
    (frame, dropped)
        The rows kept and how many were dropped.
    """
    check_missing_policy(missing)
    masks = _missing_masks(data, columns)
    if not masks:
        return data, 0
    if missing == "raise":
        raise DataError(
            f"missing values (NaN/None) in columns the model uses: {_missing_details(data, masks)}. "
            "Fill or remove them, or pass missing='drop' to drop those rows"
        )
    drop = np.logical_or.reduce(list(masks.values()))
    counts = ", ".join(f"{column!r} ({int(mask.sum())})" for column, mask in masks.items())
    warn(
        f"dropped {int(drop.sum())} of {len(data)} rows with missing values (missing='drop'); "
        f"missing values per column: {counts}",
        UserWarning,
    )
    kept = data.loc[~drop]
    check_not_empty(kept, what="data after dropping the rows with missing values")
    return kept, int(drop.sum())


def check_missing_policy(missing: object) -> None:
    """Raise :class:`DataError` unless ``missing`` is ``"raise"`` or ``"drop"``."""
    if not isinstance(missing, str) or missing not in MISSING_POLICIES:
        raise DataError(f"missing must be one of {list(MISSING_POLICIES)}; got missing={missing!r}")


def check_finite(values: np.ndarray, index: pd.Index, *, what: str) -> None:
    """Raise :class:`DataError` if ``values`` has infinite or NaN entries, naming the rows."""
    bad = ~np.isfinite(values)
    if bad.ndim > 1:
        bad = bad.any(axis=1)
    if bad.any():
        raise DataError(
            f"{what} has non-finite values (inf or NaN) at {describe_rows(index, bad)}; "
            "check for division by zero or overflow"
        )


def check_full_rank(matrix: np.ndarray, column_names: Sequence[str], *, what: str) -> None:
    """Raise :class:`DataError` if the columns of ``matrix`` are linearly dependent.

    Each column that is (numerically) a linear combination of the columns before it is named,
    with that combination, e.g. ``'c' = 1 * 'a' + 1 * 'b'``.
    """
    n_rows, n_cols = matrix.shape
    if n_cols == 0:
        return
    norms = np.linalg.norm(matrix, axis=0)
    scaled = matrix / np.where(norms > 0, norms, 1.0)
    if n_rows >= n_cols and np.all(norms > 0):
        diagonal = np.abs(np.diag(np.linalg.qr(scaled, mode="r")))
        if diagonal.min() > _RANK_TOLERANCE:
            return
    dependent = _dependent_columns(scaled, norms)
    rank = n_cols - len(dependent)
    problems = [_describe_dependency(matrix, column_names, j, kept) for j, kept in dependent]
    raise DataError(
        f"{what} is rank-deficient ({n_cols} columns, rank {rank}"
        + (f", only {n_rows} rows" if n_rows < n_cols else "")
        + "): "
        + "; ".join(problems)
        + ". Remove one of the collinear terms or check the data"
    )


def _dependent_columns(scaled: np.ndarray, norms: np.ndarray) -> list[tuple[int, list[int]]]:
    """Columns in the span of the columns kept before them (Gram-Schmidt, twice for stability)."""
    basis = np.zeros((scaled.shape[0], 0))
    kept: list[int] = []
    dependent = []
    for j in range(scaled.shape[1]):
        residual = scaled[:, j].copy()
        for _ in range(2):
            residual -= basis @ (basis.T @ residual)
        size = np.linalg.norm(residual)
        if norms[j] == 0 or size < _RANK_TOLERANCE:
            dependent.append((j, list(kept)))
        else:
            basis = np.column_stack([basis, residual / size])
            kept.append(j)
    return dependent


def _describe_dependency(
    matrix: np.ndarray, column_names: Sequence[str], column: int, kept: list[int]
) -> str:
    name = column_names[column]
    if not np.any(matrix[:, column]):
        return f"column {name!r} is all zeros"
    coefficients = np.linalg.lstsq(matrix[:, kept], matrix[:, column], rcond=None)[0]
    scale = np.abs(coefficients).max() if coefficients.size else 0.0
    terms = [
        f"{value:.4g} * {column_names[k]!r}"
        for k, value in zip(kept, coefficients, strict=True)
        if abs(value) > 1e-8 * max(scale, 1.0)
    ]
    combination = " + ".join(terms).replace("+ -", "- ")
    return f"column {name!r} = {combination}"
