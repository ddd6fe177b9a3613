"""The fixed-effects design matrix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from bayesml.design.convert import EvalContext
from bayesml.design.terms import TermEncoder
from bayesml.design.validate import check_full_rank
from bayesml.formula import ParsedFormula, RightHandSide

if TYPE_CHECKING:
    from bayesml.design.smooths import FittedSmooth

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
    smooths
        The smooth terms whose fixed (null-space) columns come last (``s(x)_fixed1``, ...).
    """

    matrix: np.ndarray
    column_names: tuple[str, ...]
    has_intercept: bool
    encoder: TermEncoder = field(repr=False)
    absorbed_intercept: bool = False
    smooths: tuple[FittedSmooth, ...] = field(default=(), repr=False)

    def transform(self, new_data: pd.DataFrame) -> np.ndarray:
        """X for ``new_data``, encoded as in fitting (same levels, reference, means and SDs).

        Raises
        ------
        DataError
            If a column is missing or has missing values, or a categorical term has a level
            not seen when fitting.
        """
        matrix = self.encoder.encode(new_data)
        matrix = matrix[:, 1:] if self.absorbed_intercept else matrix
        if not self.smooths:
            return matrix
        return np.hstack([matrix, *(smooth.transform(new_data)[0] for smooth in self.smooths)])


def build_fixed(
    parsed: ParsedFormula | RightHandSide,
    context: EvalContext,
    *,
    absorb_intercept: bool = False,
    smooths: tuple[FittedSmooth, ...] = (),
    smooth_columns: tuple[np.ndarray, tuple[str, ...]] | None = None,
) -> FixedDesign:
    """Evaluate the fixed terms of ``parsed`` (a formula or a one-sided formula) and check that X
    has full column rank.

    ``smooths`` and their fixed columns and labels (``smooth_columns``, from
    :func:`~bayesml.design.smooths.build_smooths`) are appended after the terms' columns.

    With ``absorb_intercept`` (a family whose thresholds take the intercept's place) the terms
    are coded as with an intercept, whether or not the formula has one, and the intercept's
    column is left out: ``y ~ temp`` and ``y ~ 0 + temp`` both give ``temp[warm]``.
    """
    terms = [term.factors for term in parsed.terms]
    intercept = parsed.intercept or absorb_intercept
    encoder, matrix = TermEncoder.fit(terms, intercept=intercept, context=context)
    names = encoder.column_names
    if smooth_columns is not None and smooth_columns[1]:
        matrix = np.hstack([matrix, smooth_columns[0]])
        names = names + smooth_columns[1]
    check_full_rank(matrix, names, what="the fixed-effects design matrix")
    if absorb_intercept:
        return FixedDesign(matrix[:, 1:], names[1:], False, encoder, True, smooths)
    return FixedDesign(matrix, names, parsed.intercept, encoder, False, smooths)
