"""The fixed-effects design matrix."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bayesml.design.convert import EvalContext
from bayesml.design.terms import TermEncoder
from bayesml.design.validate import check_full_rank
from bayesml.formula import ParsedFormula, RightHandSide

__all__ = ["FixedDesign", "build_fixed"]


@dataclass(frozen=True, eq=False)
class FixedDesign:
    """The fixed-effects matrix X with its column labels and encoding.

    Attributes
    ----------
    matrix
        ``n × p`` float matrix.
    column_names
        Coefficient labels: ``Intercept``, ``week``, ``extract[Cucumber]``, ``log(t)``, ...
    has_intercept
        Whether the first column is the intercept.
    absorbed_intercept
        Whether the terms were coded as with an intercept whose column is left out (the family's
        thresholds take its place: ordinal families).
    """

    matrix: np.ndarray
    column_names: tuple[str, ...]
    has_intercept: bool
    encoder: TermEncoder = field(repr=False)
    absorbed_intercept: bool = False

    def transform(self, new_data: pd.DataFrame) -> np.ndarray:
        """X for ``new_data``, encoded as in fitting (same levels, reference, means and SDs).

        Raises
        ------
        DataError
            If a column is missing or has missing values, or a categorical term has a level
            not seen when fitting.
        """
        matrix = self.encoder.encode(new_data)
        return matrix[:, 1:] if self.absorbed_intercept else matrix


def build_fixed(
    parsed: ParsedFormula | RightHandSide, context: EvalContext, *, absorb_intercept: bool = False
) -> FixedDesign:
    """Evaluate the fixed terms of ``parsed`` (a formula or a one-sided formula) and check that X
    has full column rank.

    With ``absorb_intercept`` (a family whose thresholds take the intercept's place) the terms
    are coded as with an intercept, whether or not the formula has one, and the intercept's
    column is left out: ``y ~ temp`` and ``y ~ 0 + temp`` both give ``temp[warm]``.
    """
    terms = [term.factors for term in parsed.terms]
    intercept = parsed.intercept or absorb_intercept
    encoder, matrix = TermEncoder.fit(terms, intercept=intercept, context=context)
    check_full_rank(matrix, encoder.column_names, what="the fixed-effects design matrix")
    if absorb_intercept:
        return FixedDesign(matrix[:, 1:], encoder.column_names[1:], False, encoder, True)
    return FixedDesign(matrix, encoder.column_names, parsed.intercept, encoder)
