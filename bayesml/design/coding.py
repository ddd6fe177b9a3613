"""Columns of a model matrix from terms: treatment contrasts and R's full-rank coding rule.

A categorical factor in a term is coded by treatment contrasts (one indicator per level except
the reference) or by full indicator coding (one per level). R's rule (``model.matrix``, from the
``TermCode`` routine of R's ``model.c``) decides which, so the matrix has full rank whenever the
model is hierarchical:

- a factor F in term T gets contrasts if T without F is empty or is contained in a term that
  comes before T, else full indicator coding;
- without an intercept, the first categorical factor of the first term that has one is coded
  fully (it takes the intercept's place).

So ``~ a*b`` gives ``a[a2]``, ``b[b2]``, ``a[a2]:b[b2]``; ``~ 0 + a`` gives one column per level;
``~ x + a:x`` gives ``a[a2]:x`` (``x`` is in the model) but ``~ a:x`` gives ``a[a1]:x, a[a2]:x``.
Numeric factors are always their own single column; a spline basis (``bs(x, df=3)``) its
``df`` columns ``bs(x, df=3)[1]`` ... ``[3]``. Interaction columns vary the first factor
fastest, as R does; labels join the factor labels with ``:`` (``extract[Cucumber]:x``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from bayesml.design.values import BasisValue, FactorValue, NumericValue
from bayesml.errors import DataError
from bayesml.formula import INTERCEPT_LABEL

__all__ = ["Coding", "TermCoding", "design_columns", "plan_coding", "term_columns"]


class Coding(StrEnum):
    """How one factor of a term becomes columns."""

    NUMERIC = "numeric"
    CONTRASTS = "contrasts"
    FULL = "full"


@dataclass(frozen=True)
class TermCoding:
    """The factors of one term and the coding of each."""

    factors: tuple[str, ...]
    codings: tuple[Coding, ...]


def plan_coding(
    terms: Sequence[tuple[str, ...]], *, intercept: bool, categorical: Collection[str]
) -> tuple[TermCoding, ...]:
    """Decide the coding of every factor of every term by R's rule (see the module docs).

    Parameters
    ----------
    terms
        Each term as its factor texts, intercept excluded, in model order.
    intercept
        Whether the model has an intercept.
    categorical
        The factor texts that are categorical.
    """
    plan = []
    for position, term in enumerate(terms):
        earlier = [set(other) for other in terms[:position]]
        codings = []
        for factor in term:
            if factor not in categorical:
                codings.append(Coding.NUMERIC)
                continue
            margin = set(term) - {factor}
            contrasts = not margin or any(margin <= other for other in earlier)
            codings.append(Coding.CONTRASTS if contrasts else Coding.FULL)
        plan.append(TermCoding(tuple(term), tuple(codings)))
    if not intercept:
        plan = _first_factor_full(plan)
    return tuple(plan)


def _first_factor_full(plan: list[TermCoding]) -> list[TermCoding]:
    """Without an intercept, the first categorical factor takes the intercept's place."""
    for position, term in enumerate(plan):
        for slot, coding in enumerate(term.codings):
            if coding is not Coding.NUMERIC:
                codings = list(term.codings)
                codings[slot] = Coding.FULL
                plan[position] = TermCoding(term.factors, tuple(codings))
                return plan
    return plan


def _factor_columns(
    text: str, value: NumericValue | FactorValue | BasisValue, coding: Coding
) -> tuple[np.ndarray, list[str]]:
    if isinstance(value, BasisValue):
        return value.columns, [f"{text}[{j}]" for j in range(1, value.columns.shape[1] + 1)]
    if coding is Coding.NUMERIC:
        return value.values[:, None], [text]
    encoding = value.encoding
    positions = list(range(len(encoding.levels)))
    if coding is Coding.CONTRASTS:
        if len(positions) < 2:
            raise DataError(
                f"categorical term {text} has a single level ({encoding.labels[0]!r}) in the data; "
                "contrasts need at least two levels: drop the term or check the data"
            )
        positions.remove(encoding.reference)
    columns = (value.codes[:, None] == np.asarray(positions)[None, :]).astype(float)
    return columns, [f"{text}[{encoding.labels[p]}]" for p in positions]


def term_columns(
    term: TermCoding, values: Mapping[str, NumericValue | FactorValue | BasisValue], n_rows: int
) -> tuple[np.ndarray, list[str]]:
    """The columns of one term (first factor varying fastest) and their labels."""
    block = np.ones((n_rows, 1))
    labels = [""]
    for text, coding in zip(term.factors, term.codings, strict=True):
        columns, names = _factor_columns(text, values[text], coding)
        block = (columns[:, :, None] * block[:, None, :]).reshape(n_rows, -1)
        labels = [f"{old}:{new}" if old else new for new in names for old in labels]
    return block, labels


def design_columns(
    plan: Sequence[TermCoding],
    values: Mapping[str, NumericValue | FactorValue | BasisValue],
    n_rows: int,
    *,
    intercept: bool,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """The full matrix of a coding plan: intercept (when in) then each term's columns."""
    blocks = [np.ones((n_rows, 1))] if intercept else []
    labels = [INTERCEPT_LABEL] if intercept else []
    for term in plan:
        columns, names = term_columns(term, values, n_rows)
        blocks.append(columns)
        labels.extend(names)
    matrix = np.hstack(blocks) if blocks else np.zeros((n_rows, 0))
    return matrix, tuple(labels)
