"""Interpreting evaluated values: as numbers, as factors, as values to compare."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bayesml.design.encodings import EncodingStore
from bayesml.design.validate import describe_rows
from bayesml.design.values import (
    ColumnValue,
    ConstantValue,
    FactorValue,
    NumericValue,
    Value,
    is_numeric_column,
    sorted_levels,
)
from bayesml.errors import DataError

__all__ = [
    "EvalContext",
    "as_factor",
    "as_numeric",
    "check_seen_levels",
    "comparable",
    "describe_kind",
    "raw_values",
]


@dataclass(frozen=True, eq=False)
class EvalContext:
    """What an evaluation runs against: the rows, the learned encodings and the formula text."""

    data: pd.DataFrame
    store: EncodingStore
    formula: str | None = None

    @property
    def n(self) -> int:
        """Number of rows."""
        return len(self.data)

    @property
    def index(self) -> pd.Index:
        """Row labels, for messages."""
        return self.data.index


def describe_kind(value: Value) -> str:
    """A few words on what ``value`` holds, for messages."""
    match value:
        case ColumnValue(name=name, series=series):
            examples = ", ".join(repr(v) for v in pd.unique(series.dropna())[:3].tolist())
            return f"column {name!r} holds {series.dtype} values such as {examples}"
        case FactorValue():
            return "it is categorical"
        case ConstantValue(value=constant):
            return f"it is the constant {constant!r}"
    return "it is not a number"


def as_numeric(value: Value, context: EvalContext, *, what: str) -> np.ndarray:
    """``value`` as a float vector, or :class:`DataError` saying that ``what`` needs numbers."""
    match value:
        case NumericValue(values=values):
            return values
        case ColumnValue(series=series) if is_numeric_column(series):
            return series.to_numpy(dtype=float)
        case ConstantValue(value=constant) if not isinstance(constant, str):
            return np.full(context.n, float(constant))
    raise DataError(f"{what} needs numbers, but {describe_kind(value)}")


def raw_values(value: Value) -> np.ndarray | pd.Series:
    """The values as stored (text stays text); booleans from comparisons come back as bool."""
    match value:
        case ColumnValue(series=series):
            return series
        case NumericValue(values=values, boolean=True):
            return values.astype(bool)
        case NumericValue(values=values):
            return values
        case FactorValue(raw=raw):
            return raw
    raise TypeError(f"no row values in {value!r}")


def comparable(value: Value) -> Any:
    """A numpy array (or scalar for a constant) that ``==``, ``<``, ... can compare elementwise."""
    if isinstance(value, ConstantValue):
        return value.value
    values = raw_values(value)
    return values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values


def as_factor(
    value: Value,
    context: EvalContext,
    *,
    key: str,
    explicit_reference: Any = None,
) -> FactorValue:
    """``value`` as a factor; its level set is learned under ``key`` when fitting.

    A factor keeps its own level order; a pandas categorical its categories; anything else is
    sorted (numbers numerically, text alphabetically).
    """
    if isinstance(value, ConstantValue):
        raise DataError(f"{key}: cannot make a factor of the constant {value.value!r}")
    if isinstance(value, FactorValue) and explicit_reference is None:
        return value
    raw = raw_values(value)
    column = value.name if isinstance(value, ColumnValue) else None

    def levels() -> tuple[Any, ...]:
        if isinstance(value, FactorValue):
            present = set(np.unique(value.codes[value.codes >= 0]).tolist())
            return tuple(level for i, level in enumerate(value.encoding.levels) if i in present)
        return sorted_levels(raw)

    encoding = context.store.factor_encoding(
        key, levels, explicit=explicit_reference, column=column
    )
    raw_array = raw.to_numpy(dtype=object) if isinstance(raw, pd.Series) else np.asarray(raw)
    return FactorValue(encoding.codes(raw_array), encoding, raw_array)


def check_seen_levels(value: FactorValue, context: EvalContext, *, what: str) -> None:
    """Raise :class:`DataError` if new data hold levels of ``what`` not seen in fitting."""
    unseen = value.unseen()
    if not unseen.any():
        return
    new_levels = sorted_levels(pd.Series(value.raw[unseen]))
    raise DataError(
        f"{what} has levels not seen when fitting: {', '.join(map(repr, new_levels))} at "
        f"{describe_rows(context.index, unseen)}; levels seen: "
        f"{', '.join(map(repr, value.encoding.labels))}"
    )
