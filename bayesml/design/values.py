"""The values a formula expression evaluates to, and the level sets of categorical variables.

An expression over a data frame evaluates to one of four kinds of value:

- :class:`ColumnValue`: a data column as stored, not yet interpreted (``x`` alone);
- :class:`NumericValue`: a float vector (arithmetic, ``log(x)``, comparisons as 0/1);
- :class:`FactorValue`: integer codes into a :class:`FactorEncoding` (``factor(x)``, text columns);
- :class:`ConstantValue`: a number or string written in the formula (``2``, ``"O73"``), or the
  numbers of ``c(0.3, 0.6)`` as a tuple;
- :class:`BasisValue`: the columns of a spline basis (``bs(x, df=5)``, ``ns(x, df=4)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "BasisValue",
    "ColumnValue",
    "ConstantValue",
    "FactorEncoding",
    "FactorValue",
    "NumericValue",
    "Value",
    "is_numeric_column",
    "is_text_like",
    "level_label",
    "sorted_levels",
]


@dataclass(frozen=True, eq=False)
class ColumnValue:
    """A data column exactly as stored in the frame."""

    name: str
    series: pd.Series


@dataclass(frozen=True, eq=False)
class NumericValue:
    """A float vector; ``boolean`` marks the 0/1 result of a comparison."""

    values: np.ndarray
    boolean: bool = False


@dataclass(frozen=True)
class FactorEncoding:
    """The level set of a categorical variable, learned once from the fitting data.

    Parameters
    ----------
    levels
        The distinct values, in level order (as stored in the data: str, int, bool, ...).
    reference
        Position in ``levels`` of the reference level (the one without a contrast column).
    """

    levels: tuple[Any, ...]
    reference: int = 0
    labels: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(level_label(level) for level in self.levels))

    def codes(self, values: Sequence[Any] | np.ndarray) -> np.ndarray:
        """Positions of ``values`` in :attr:`levels`, with -1 for values not among them.

        Values are matched as stored; a value that matches no level is then matched by its
        label, so new data may give ``"2"`` for a level stored as the number ``2`` (as R, whose
        factor levels are text).
        """
        codes = pd.Index(self.levels).get_indexer(pd.Index(values)).astype(np.int64)
        unmatched = np.flatnonzero(codes < 0)
        if unmatched.size and len(set(self.labels)) == len(self.labels):
            labels = pd.Index([level_label(v) for v in np.asarray(values, dtype=object)[unmatched]])
            codes[unmatched] = pd.Index(self.labels).get_indexer(labels)
        return codes

    @property
    def reference_label(self) -> str:
        """The label of the reference level."""
        return self.labels[self.reference]


@dataclass(frozen=True, eq=False)
class FactorValue:
    """A categorical vector: ``codes`` index ``encoding.levels``; -1 marks a level not seen in fitting."""

    codes: np.ndarray
    encoding: FactorEncoding
    raw: np.ndarray

    def unseen(self) -> np.ndarray:
        """Boolean mask of the rows whose value was not a level in fitting."""
        return self.codes < 0


@dataclass(frozen=True)
class ConstantValue:
    """A literal written in the formula (a tuple for ``c(...)``)."""

    value: float | str | tuple[float, ...]


@dataclass(frozen=True, eq=False)
class BasisValue:
    """Several numeric columns from one term factor: a spline basis, ``n × df``; its columns are
    labelled ``bs(x, df=5)[1]``, ..., ``bs(x, df=5)[5]``."""

    columns: np.ndarray


Value = ColumnValue | NumericValue | FactorValue | ConstantValue | BasisValue


def level_label(level: Any) -> str:
    """How a level appears in coefficient and group labels: ``1`` not ``1.0``, ``True``, ``"Bean"``."""
    if isinstance(level, np.generic):
        level = level.item()
    if isinstance(level, float) and level.is_integer():
        return str(int(level))
    return str(level)


def sorted_levels(values: pd.Series | np.ndarray) -> tuple[Any, ...]:
    """The distinct values in level order.

    A pandas categorical keeps its category order (unused categories dropped, as R's model
    frames do); anything else is sorted: numbers numerically, text alphabetically, ``False``
    before ``True``. Values of mixed types are sorted by their text.
    """
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna().unique().tolist())
        return tuple(level for level in values.cat.categories.tolist() if level in present)
    distinct = pd.unique(pd.Series(values).dropna()).tolist()
    try:
        return tuple(sorted(distinct))
    except TypeError:
        return tuple(sorted(distinct, key=str))


def is_numeric_column(series: pd.Series) -> bool:
    """True for numeric and boolean columns (they enter a model as numbers)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return False
    if pd.api.types.is_numeric_dtype(series.dtype):
        return True
    if pd.api.types.is_object_dtype(series.dtype):
        kind = pd.api.types.infer_dtype(series, skipna=True)
        return kind in {"boolean", "integer", "floating", "mixed-integer-float", "decimal"}
    return False


def is_text_like(series: pd.Series) -> bool:
    """True for columns that are categorical by nature: text, pandas categoricals, mixed objects."""
    return not is_numeric_column(series)
