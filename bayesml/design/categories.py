"""An unordered response with K levels (the categorical family): its levels, the reference first,
and each row's category number 1, …, K.

The order of the levels (the first that applies), as R's ``factor`` and brms:

1. ``levels=`` given with the model: every value must be one of them, matched as stored or by
   its text;
2. a pandas ``Categorical``: its categories in order;
3. anything else: the distinct values, sorted (numbers numerically, text alphabetically).

The reference category is the first level, or ``reference=`` (brms' ``refcat``), which is then
moved to the front; the others keep their order. Every level must have rows: a category that
never occurs has no information in the data about its linear predictor (its coefficients would
be their priors), so it is refused with the levels that have none — this includes a level left
without rows by ``missing="drop"`` (drop it from ``levels=`` or from the categorical's
categories).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from bayesml.design.convert import EvalContext
from bayesml.design.ordered import (
    check_levels,
    codes_from_levels,
    response_series,
    shown_values,
)
from bayesml.design.values import Value, level_label
from bayesml.errors import ArgumentError, DataError

__all__ = ["categorical_response"]


def categorical_response(
    value: Value,
    text: str,
    levels: Sequence[Any] | None,
    reference: Any,
    context: EvalContext,
) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Category numbers 1, …, K of each row (1 = the reference) and the K levels, reference
    first (see the module text).

    Raises
    ------
    DataError
        For a value not among ``levels``, a response with fewer than two levels, or a level
        without rows.
    ArgumentError
        For a ``reference`` that is not one of the levels.
    """
    subject = f"response {text!r}"
    series = response_series(value, subject, context, "categories")
    if levels is not None:
        found = check_levels(levels)
    else:
        found = _levels_from_data(series)
    if len(found) < 2:
        only = level_label(found[0]) if found else None
        raise DataError(
            f"{subject} has a single level ({only!r}) in the {context.n} rows used; a "
            "categorical model needs at least two"
        )
    found = _reference_first(found, reference, subject)
    codes, found = codes_from_levels(series, found, subject)
    _check_every_level_has_rows(codes, found, subject, context.n)
    return codes.astype(float) + 1.0, found


def _levels_from_data(series: pd.Series) -> tuple[Any, ...]:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return tuple(dtype.categories.tolist())
    distinct = pd.unique(series.dropna()).tolist()
    try:
        return tuple(sorted(distinct))
    except TypeError:  # mixed types: by their text
        return tuple(sorted(distinct, key=level_label))


def _reference_first(levels: tuple[Any, ...], reference: Any, subject: str) -> tuple[Any, ...]:
    if reference is None:
        return levels
    labels = [level_label(level) for level in levels]
    matches = [i for i, level in enumerate(levels) if level == reference]
    if not matches and str(reference) in labels:
        matches = [labels.index(str(reference))]
    if not matches:
        raise ArgumentError(
            f"reference={reference!r} is not a level of {subject}; its levels are "
            f"{shown_values(list(levels))}"
        )
    first = matches[0]
    return (levels[first], *levels[:first], *levels[first + 1 :])


def _check_every_level_has_rows(
    codes: np.ndarray, levels: tuple[Any, ...], subject: str, n_rows: int
) -> None:
    counts = np.bincount(codes, minlength=len(levels))
    empty = [levels[k] for k in np.flatnonzero(counts == 0)]
    if not empty:
        return
    plural = "s" if len(empty) > 1 else ""
    raise DataError(
        f"{subject} has no rows for level{plural} {shown_values(empty)} in the {n_rows} rows "
        "used (after missing values are dropped); a categorical model cannot estimate a "
        f"category it never sees. Leave {'them' if plural else 'it'} out of levels= (or remove "
        "unused categories: series.cat.remove_unused_categories())"
    )

