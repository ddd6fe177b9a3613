"""Random-effect blocks: one per grouping factor of the formula.

Levels of a grouping factor ``a:b`` are the combinations present in the data, labelled
``"a_level:b_level"`` and ordered with ``a`` varying slowest (lme4's ``a:b`` interaction with
unused combinations dropped). ``Z`` has one column per (level, term) pair, level-major:
column ``level * k + term``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bayesml.design.convert import EvalContext, as_factor
from bayesml.design.expressions import evaluate
from bayesml.design.terms import TermEncoder, new_data_context
from bayesml.design.values import FactorValue, level_label
from bayesml.errors import DataError
from bayesml.families import DEFAULT_RANDOM_FAMILY, RandomFamily, get_random_family
from bayesml.formula import Name, RandomTerm

__all__ = ["GroupingFactor", "RandomBlock", "build_random_block"]

GAUSSIAN_EFFECTS = get_random_family(DEFAULT_RANDOM_FAMILY)


@dataclass(frozen=True, eq=False)
class GroupingFactor:
    """The fitted levels of a grouping factor (one column or an interaction ``a:b``)."""

    name: str
    parts: tuple[str, ...]
    combinations: tuple[tuple[int, ...], ...]
    levels: tuple[str, ...]
    context: EvalContext = field(repr=False)

    @classmethod
    def fit(cls, parts: tuple[str, ...], context: EvalContext) -> tuple[GroupingFactor, np.ndarray]:
        """Learn the levels present in the fitting rows; return the factor and each row's level."""
        name = ":".join(parts)
        factors = _part_factors(parts, context)
        combinations, index = _unique_combinations(factors)
        levels = tuple(
            ":".join(
                factor.encoding.labels[code] for factor, code in zip(factors, row, strict=True)
            )
            for row in combinations
        )
        if len(levels) < 2:
            raise DataError(
                f"grouping factor {name!r} has a single level ({levels[0]!r}) in the data; a random "
                "effect needs at least two groups: drop the random term or check the data"
            )
        grouping = cls(name, parts, tuple(map(tuple, combinations.tolist())), levels, context)
        return grouping, index.reshape(-1).astype(np.int64)

    def encode(self, context: EvalContext) -> tuple[np.ndarray, tuple[str, ...]]:
        """Each row's level position (-1 for a level not seen in fitting) and the unseen rows' labels."""
        factors = _part_factors(self.parts, context)
        position = {combination: i for i, combination in enumerate(self.combinations)}
        rows = zip(*(factor.codes.tolist() for factor in factors), strict=True)
        index = np.array([position.get(row, -1) for row in rows], dtype=np.int64)
        unseen = np.flatnonzero(index < 0)
        labels = tuple(":".join(level_label(factor.raw[i]) for factor in factors) for i in unseen)
        return index, labels


def _unique_combinations(factors: list[FactorValue]) -> tuple[np.ndarray, np.ndarray]:
    """The combinations of the factors' codes present (rows sorted as ``np.unique(axis=0)``
    sorts them) and each row's position among them, through one integer key per row (mixed
    radix): a 1-D ``np.unique``, several times faster than the row-wise one on 10⁶ rows."""
    sizes = [max(len(factor.encoding.labels), 1) for factor in factors]
    key = np.zeros(len(factors[0].codes), dtype=np.int64)
    for factor, size in zip(factors, sizes, strict=True):
        key = key * size + np.asarray(factor.codes, dtype=np.int64)
    keys, index = np.unique(key, return_inverse=True)
    columns = []
    for size in reversed(sizes):
        keys, code = np.divmod(keys, size)
        columns.append(code)
    return np.column_stack(columns[::-1]), index


def _part_factors(parts: tuple[str, ...], context: EvalContext) -> list[FactorValue]:
    return [as_factor(evaluate(Name(part), context), context, key=part) for part in parts]


@dataclass(frozen=True, eq=False)
class RandomBlock:
    """The random effects of one grouping factor.

    Attributes
    ----------
    name
        The grouping factor: ``"county"``, ``"a:b"``.
    term_labels
        Labels of the columns of :attr:`term_matrix`, e.g. ``("Intercept", "floor")``.
    correlated
        Whether the terms' effects are correlated (a covariance matrix rather than SDs only):
        false for ``||`` and for a single column; a single categorical term with several
        columns, ``(0 + a | g)``, is correlated as in lme4.
    levels
        Level labels in order (``"a_level:b_level"`` for ``a:b``).
    group_index
        Each row's position in :attr:`levels`.
    term_matrix
        ``n × k`` values of the block's terms (a column of ones for the intercept).
    Z
        ``n × (levels · k)`` sparse CSR matrix, level-major: column ``level * k + term``.
    random_family
        The distribution of the effects (:class:`~bayesml.families.RandomFamily`): gaussian, or
        as Lee and Nelder's HGLMs gamma, beta or inverse-gamma effects u with mean ψ and variance
        λ, entering η as v = v(u); a block with another family than gaussian has one term.
    shared_sd
        Whether every term shares one SD (the penalised coefficients of a smooth,
        :mod:`bayesml.design.smooths`: one level, ``r`` terms, ``b ~ N(0, sd² I)``); then
        ``correlated`` is false and the SD is one parameter, ``sd_<name>``.
    """

    name: str
    term_labels: tuple[str, ...]
    correlated: bool
    levels: tuple[str, ...]
    group_index: np.ndarray
    term_matrix: np.ndarray
    Z: sp.csr_matrix = field(repr=False)
    encoder: TermEncoder = field(repr=False)
    grouping: GroupingFactor = field(repr=False)
    random_family: RandomFamily = field(default=GAUSSIAN_EFFECTS)
    shared_sd: bool = False

    @property
    def n_levels(self) -> int:
        """Number of levels of the grouping factor."""
        return len(self.levels)

    @property
    def n_terms(self) -> int:
        """Number of columns of :attr:`term_matrix`."""
        return len(self.term_labels)

    def transform(self, new_data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
        """Encode new rows as in fitting.

        Returns
        -------
        (term_matrix, group_index, unseen)
            The term values of the new rows; each row's level position, -1 for a level not seen
            in fitting; and the level label of each such row, in row order (``"a_level:b_level"``
            for ``a:b``).
        """
        term_matrix = self.encoder.encode(new_data)
        context = new_data_context(new_data, self.grouping.parts, self.grouping.context)
        group_index, unseen = self.grouping.encode(context)
        return term_matrix, group_index, unseen


def level_major_z(term_matrix: np.ndarray, group_index: np.ndarray, n_levels: int) -> sp.csr_matrix:
    """The sparse ``Z`` with ``Z[i, group_index[i] * k + j] = term_matrix[i, j]``."""
    n_rows, k = term_matrix.shape
    rows = np.repeat(np.arange(n_rows), k)
    columns = (group_index[:, None] * k + np.arange(k)[None, :]).reshape(-1)
    z = sp.csr_matrix(
        (term_matrix.reshape(-1), (rows, columns)), shape=(n_rows, n_levels * k), dtype=float
    )
    z.eliminate_zeros()
    return z


def build_random_block(term: RandomTerm, context: EvalContext) -> RandomBlock:
    """Evaluate one random term: its grouping levels, term matrix and ``Z``."""
    intercept = any(t.is_intercept for t in term.terms)
    factors = [t.factors for t in term.terms if not t.is_intercept]
    encoder, term_matrix = TermEncoder.fit(factors, intercept=intercept, context=context)
    grouping, group_index = GroupingFactor.fit(term.group, context)
    labels = encoder.column_names
    z = level_major_z(term_matrix, group_index, len(grouping.levels))
    return RandomBlock(
        name=term.name,
        term_labels=labels,
        correlated=len(labels) > 1 and (term.correlated or len(term.terms) == 1),
        levels=grouping.levels,
        group_index=group_index,
        term_matrix=term_matrix,
        Z=z,
        encoder=encoder,
        grouping=grouping,
    )
