"""Terms → model-matrix columns, fitted once and reusable on new data.

A :class:`TermEncoder` evaluates the factors of a list of terms, decides their coding (numbers,
treatment contrasts or full indicators, by R's rule in :mod:`bayesml.design.coding`) and keeps
that plan, with the shared :class:`~bayesml.design.encodings.EncodingStore`, so that
:meth:`TermEncoder.encode` turns new rows into the same columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayesml.design.coding import TermCoding, design_columns, plan_coding
from bayesml.design.convert import EvalContext, check_seen_levels
from bayesml.design.expressions import evaluate_design_value, expression_columns
from bayesml.design.validate import check_not_empty, refuse_missing, require_columns
from bayesml.design.values import FactorValue, NumericValue
from bayesml.errors import ArgumentTypeError

__all__ = ["TermEncoder", "new_data_context"]


def _evaluate_factors(
    terms: Sequence[tuple[str, ...]], context: EvalContext
) -> dict[str, NumericValue | FactorValue]:
    texts = dict.fromkeys(factor for term in terms for factor in term)
    return {text: evaluate_design_value(text, context) for text in texts}


def new_data_context(
    data: pd.DataFrame, columns: Sequence[str], template: EvalContext
) -> EvalContext:
    """A context for encoding new rows, after checking they hold ``columns`` without NaN."""
    if not isinstance(data, pd.DataFrame):
        raise ArgumentTypeError(f"new data must be a pandas DataFrame; got {type(data).__name__}")
    check_not_empty(data, what="new data")
    require_columns(data, columns, what="new data")
    refuse_missing(data, columns, what="new data")
    return EvalContext(data, template.store, template.formula)


@dataclass(frozen=True, eq=False)
class TermEncoder:
    """The fitted encoding of a list of terms (an intercept column first when it is in).

    Attributes
    ----------
    plan
        Each term's factors and their coding.
    intercept
        Whether an ``Intercept`` column comes first.
    column_names
        Labels of the columns, e.g. ``("Intercept", "extract[Cucumber]")``.
    columns
        The data columns the terms read.
    context
        The fitting context; its encodings are reused for new data.
    """

    plan: tuple[TermCoding, ...]
    intercept: bool
    column_names: tuple[str, ...]
    columns: tuple[str, ...]
    context: EvalContext

    @classmethod
    def fit(
        cls, terms: Sequence[tuple[str, ...]], *, intercept: bool, context: EvalContext
    ) -> tuple[TermEncoder, np.ndarray]:
        """Evaluate and code ``terms`` on the fitting rows; return the encoder and the matrix."""
        values = _evaluate_factors(terms, context)
        categorical = {text for text, value in values.items() if isinstance(value, FactorValue)}
        plan = plan_coding(terms, intercept=intercept, categorical=categorical)
        matrix, names = design_columns(plan, values, context.n, intercept=intercept)
        columns = tuple(
            dict.fromkeys(name for text in values for name in expression_columns(text))
        )
        return cls(plan, intercept, names, columns, context), matrix

    def encode(self, new_data: pd.DataFrame) -> np.ndarray:
        """The columns of :attr:`column_names` for ``new_data``, with the fitted encodings.

        Raises
        ------
        DataError
            If ``new_data`` lacks a column, has missing values in one, or holds a level of a
            categorical term that was not seen when fitting.
        """
        context = new_data_context(new_data, self.columns, self.context)
        terms = [term.factors for term in self.plan]
        values = _evaluate_factors(terms, context)
        for text, value in values.items():
            if isinstance(value, FactorValue):
                check_seen_levels(value, context, what=f"new data: categorical term {text}")
        matrix, _ = design_columns(self.plan, values, context.n, intercept=self.intercept)
        return matrix
