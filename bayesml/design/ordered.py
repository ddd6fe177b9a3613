"""An ordered response: its levels, lowest first, and each row's category number 1, …, K.

Where the order comes from (the first that applies):

1. ``levels=`` given with the model (R's ``factor(y, levels = ...)``): every value must be one
   of them, matched as stored or by its text (``"2"`` matches the level ``2``); levels without
   rows are kept (their thresholds are then informed by the prior alone);
2. an ordered pandas ``Categorical``: its categories in order, those without rows dropped (as R's
   model frames, and ``ordinal::clm``, drop unused levels);
3. numbers (integers, an unordered categorical of numbers, booleans): the distinct values, sorted
   (R's ``factor(y)``); a number that is not an integer is refused;
4. anything else (text, an unordered categorical of text) is refused with a message that says how
   to give the order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from bayesml.design.convert import EvalContext, raw_values
from bayesml.design.validate import describe_rows
from bayesml.design.values import (
    ConstantValue,
    FactorEncoding,
    Value,
    is_numeric_column,
    level_label,
    sorted_levels,
)
from bayesml.errors import ArgumentError, DataError

__all__ = [
    "check_levels",
    "codes_from_levels",
    "ordered_response",
    "response_series",
    "shown_values",
]

_SHOWN = 5


def shown_values(values: Sequence[Any]) -> str:
    """``'a', 'b', 3``: the first few values as Python writes them."""
    items = [repr(v.item() if isinstance(v, np.generic) else v) for v in values[:_SHOWN]]
    return ", ".join(items) + (", ..." if len(values) > _SHOWN else "")


def check_levels(levels: Any) -> tuple[Any, ...]:
    """``levels`` as a tuple after checking it is a sequence of at least two distinct scalars.

    Raises
    ------
    ArgumentError
        For a string, a non-sequence, fewer than two levels, a level that is not a number or a
        string, or a level given twice.
    """
    if isinstance(levels, np.ndarray):
        levels = levels.tolist()
    if isinstance(levels, pd.Index | pd.Series):
        levels = levels.tolist()
    if isinstance(levels, str | bytes) or not isinstance(levels, Sequence):
        raise ArgumentError(
            "levels must be a list of the response's levels, lowest first (e.g. "
            f"levels=['low', 'mid', 'high']); got levels={levels!r}"
        )
    values = tuple(level.item() if isinstance(level, np.generic) else level for level in levels)
    bad = [level for level in values if not isinstance(level, str | int | float | bool)]
    if bad:
        raise ArgumentError(
            f"levels must be numbers or strings; got {bad[0]!r} ({type(bad[0]).__name__}) in "
            f"levels={list(values)!r}"
        )
    if len(values) < 2:
        raise ArgumentError(
            f"levels must name at least two levels, lowest first; got levels={list(values)!r}"
        )
    labels = [level_label(level) for level in values]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise ArgumentError(
            f"levels must be distinct; {', '.join(map(repr, repeated))} "
            f"{'is' if len(repeated) == 1 else 'are'} given twice in levels={list(values)!r}"
        )
    return values


def ordered_response(
    value: Value, text: str, levels: Sequence[Any] | None, context: EvalContext, family: str
) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Category numbers 1, …, K of each row and the K levels, lowest first (see the module text).

    Parameters
    ----------
    value
        The evaluated response expression.
    text
        The response as written, for messages.
    levels
        The levels from ``levels=``, or ``None``.
    context
        The fitting rows.
    family
        Name of the family, for messages.

    Raises
    ------
    DataError
        For a value not among ``levels``, text (or an unordered categorical of text) without
        ``levels``, numbers that are not integers, or a response with fewer than two distinct
        values.
    """
    subject = f"response {text!r}"
    series = response_series(value, subject, context, "ordered outcomes")
    if levels is not None:
        codes, found = codes_from_levels(series, check_levels(levels), subject)
    else:
        codes, found = _codes_from_data(series, subject, family)
    present = np.unique(codes)
    if present.size < 2:
        only = level_label(found[int(present[0])]) if present.size else None
        raise DataError(
            f"{subject} has a single level ({only!r}) in the {context.n} rows used; an ordinal "
            f"model needs at least two"
        )
    return codes.astype(float) + 1.0, found


def response_series(value: Value, subject: str, context: EvalContext, what: str) -> pd.Series:
    """The response's values as a Series on the fitting rows (a constant is refused: ``what``
    says what column is needed)."""
    if isinstance(value, ConstantValue):
        raise DataError(f"{subject} is a constant; a column of {what} is needed")
    raw = raw_values(value)
    return raw if isinstance(raw, pd.Series) else pd.Series(np.asarray(raw), index=context.index)


def codes_from_levels(
    series: pd.Series, levels: tuple[Any, ...], subject: str
) -> tuple[np.ndarray, tuple[Any, ...]]:
    values = series.to_numpy(dtype=object)
    codes = FactorEncoding(levels).codes(values)
    unknown = codes < 0
    if unknown.any():
        distinct = list(dict.fromkeys(values[unknown].tolist()))
        raise DataError(
            f"{subject} has values not among levels={list(levels)!r}: {shown_values(distinct)} in "
            f"{describe_rows(series.index, unknown)}; add them to levels (lowest first)"
        )
    return codes, levels


def _codes_from_data(
    series: pd.Series, subject: str, family: str
) -> tuple[np.ndarray, tuple[Any, ...]]:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = dtype.categories
        if dtype.ordered or pd.api.types.is_numeric_dtype(categories.dtype):
            levels = sorted_levels(series)
            if not dtype.ordered:  # numbers: their numeric order
                levels = tuple(sorted(levels))
            return FactorEncoding(levels).codes(series.to_numpy(dtype=object)), levels
        _refuse_unordered(series, subject, family, "an unordered categorical")
    if not is_numeric_column(series):
        _refuse_unordered(series, subject, family, "text")
    numbers = series.to_numpy(dtype=float)
    fractional = numbers != np.floor(numbers)
    if fractional.any():
        raise DataError(
            f"{subject} must hold integers or ordered levels for family {family!r}; got "
            f"{shown_values(list(dict.fromkeys(numbers[fractional].tolist())))} in "
            f"{describe_rows(series.index, fractional)} "
            "(give the levels in order with levels=[...] if these numbers are labels)"
        )
    levels = tuple(sorted(pd.unique(series).tolist()))
    return FactorEncoding(levels).codes(series.to_numpy(dtype=object)), levels


def _refuse_unordered(series: pd.Series, subject: str, family: str, kind: str) -> None:
    distinct = sorted_levels(series)
    raise DataError(
        f"{subject} holds {kind} ({shown_values(list(distinct))}) whose order family {family!r} cannot "
        f"know; give its {len(distinct)} levels lowest first with levels=[...] (R's factor(y, "
        "levels = ...)), or make the column an ordered pandas Categorical: "
        "pd.Categorical(values, categories=[...], ordered=True)"
    )
