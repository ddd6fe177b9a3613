"""A fixed-effects matrix from a one-sided formula (``"~ x2 + x3"``), e.g. for a dispersion model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from bayesml.design.convert import EvalContext
from bayesml.design.encodings import EncodingStore
from bayesml.design.expressions import expression_columns
from bayesml.design.fixed import FixedDesign, build_fixed
from bayesml.design.validate import check_not_empty, refuse_missing, require_columns
from bayesml.errors import DataError
from bayesml.formula import RightHandSide, parse_rhs

__all__ = ["build_fixed_design", "one_sided_design"]


def build_fixed_design(
    rhs: RightHandSide,
    data: pd.DataFrame,
    *,
    reference_levels: Mapping[str, Any] | None = None,
) -> FixedDesign:
    """Evaluate the fixed terms of a one-sided formula on a data frame.

    Parameters
    ----------
    rhs
        From :func:`bayesml.formula.parse_rhs`.
    data
        One row per observation; every row is used (missing values are refused, so the rows
        stay aligned with a model fitted on the same frame).
    reference_levels
        Reference level per categorical variable (default the first level in order).

    Returns
    -------
    FixedDesign
        The matrix, its column labels and its encoding (``transform(new_data)``).

    Raises
    ------
    DataError
        For a missing column, missing values in a used column, values the terms cannot take,
        or a rank-deficient matrix.

    Examples
    --------
    >>> import pandas as pd
    >>> from bayesml.formula import parse_rhs
    >>> frame = pd.DataFrame({"x2": [-1, 1, -1, 1], "x3": ["a", "a", "b", "b"]})
    >>> build_fixed_design(parse_rhs("~ x2 + x3"), frame).column_names
    ('Intercept', 'x2', 'x3[b]')
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    check_not_empty(data)
    columns = tuple(
        dict.fromkeys(
            c for term in rhs.terms for factor in term.factors for c in expression_columns(factor)
        )
    )
    require_columns(data, columns)
    refuse_missing(data, columns)
    context = EvalContext(data, EncodingStore(reference_levels), rhs.text)
    fixed = build_fixed(rhs, context)
    context.store.check_reference_levels_used()
    context.store.freeze()
    return fixed


def one_sided_design(
    formula: str, data: pd.DataFrame, *, row_labels: pd.Index | None = None
) -> FixedDesign:
    """The design of a one-sided formula ``"~ x2 + x3"`` on the rows a model used.

    Parameters
    ----------
    formula
        One-sided formula (fixed terms only), e.g. a dispersion model.
    data
        The data frame of the model.
    row_labels
        The rows the model kept (``ModelDesign.row_labels``); default all rows.
    """
    rows = data if row_labels is None else data.loc[row_labels]
    return build_fixed_design(parse_rhs(formula), rows)
