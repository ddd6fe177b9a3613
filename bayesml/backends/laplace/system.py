"""The penalised system of a mixed model at given θ and row weights, block-eliminated.

For the columns A = [ZΛ, X] (or [ZΛ] alone when β is held fixed) and row weights W:

    C = AᵀWA + diag(I_u, 0_β),

eliminated level by level on the grouping factor with the most columns
(:class:`~bayesml.linalg.elimination.BlockElimination`); the rest holds the other factors' columns
and then X. The unscaled cross products are formed once per weight vector and scaled by θ
(:mod:`bayesml.linalg.relative`), so that a Gaussian model forms them once per fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from bayesml.backends.laplace.covariance import CovarianceParameters
from bayesml.linalg import (
    BlockElimination,
    CrossProducts,
    Elimination,
    GroupedColumns,
    cross_products,
)
from bayesml.linalg.elimination import DENSE_CROSS_LIMIT, dense_cross_products
from bayesml.linalg.relative import rest_scaling, scale_cross_products

__all__ = ["MixedSystem", "RandomDesign", "Solved"]

#: C_dr stays dense up to this many entries (8 MB): small crossed models skip sparse overhead
DENSE_ENTRIES = 1_000_000


@dataclass(frozen=True, eq=False)
class RandomDesign:
    """The random blocks (unscaled columns, design order) and their covariance parameters."""

    columns: tuple[GroupedColumns, ...]
    covariance: CovarianceParameters

    @cached_property
    def eliminated(self) -> int:
        """The block eliminated level by level: the one with the most columns."""
        return int(np.argmax([columns.n_columns for columns in self.columns]))

    @cached_property
    def others(self) -> tuple[int, ...]:
        """The other blocks, in design order."""
        return tuple(j for j in range(len(self.columns)) if j != self.eliminated)

    def effects(self, u: list[np.ndarray], factors: list[np.ndarray]) -> list[np.ndarray]:
        """b = T u per block, each (levels, k)."""
        return [block @ factor.T for block, factor in zip(u, factors, strict=True)]

    def random_part(self, u: list[np.ndarray], factors: list[np.ndarray]) -> np.ndarray:
        """Z Λ u for every row."""
        parts = [c.times(b) for c, b in zip(self.columns, self.effects(u, factors), strict=True)]
        return np.sum(parts, axis=0)

    def zeros(self) -> list[np.ndarray]:
        """u = 0 for every block."""
        return [np.zeros((c.n_levels, c.n_terms)) for c in self.columns]


@dataclass(eq=False)
class Solved:
    """An eliminated system: the elimination and how its parts map to u and β."""

    elimination: Elimination
    n_other_random: int
    design: RandomDesign

    def solve(self, rhs_u: list[np.ndarray], rhs_beta: np.ndarray | None):
        """(u blocks, β) = C⁻¹ (rhs_u, rhs_beta) (β ``None`` when the system has no X)."""
        d, r = self.elimination.solve(*self._split(rhs_u, rhs_beta))
        return self._join(d, r)

    def logdet_random(self) -> float:
        """log det of the random effects' block, ΛᵀZᵀWZΛ + I (β eliminated last)."""
        factor = self.elimination.schur_factor
        upper = np.diag(factor)[: self.n_other_random]
        return self.elimination.logdet_levels() + 2.0 * float(np.sum(np.log(upper)))

    def logdet_fixed(self) -> float:
        """log det of the Schur complement of β (lme4's log |R_X|²)."""
        factor = self.elimination.schur_factor
        return 2.0 * float(np.sum(np.log(np.diag(factor)[self.n_other_random :])))

    def fixed_inverse(self) -> np.ndarray:
        """(C⁻¹)_ββ."""
        k = self.n_other_random
        return self.elimination.schur_inverse[k:, k:]

    def _split(self, rhs_u, rhs_beta):
        design = self.design
        rest = [rhs_u[j].reshape(-1) for j in design.others]
        if rhs_beta is not None:
            rest.append(rhs_beta)
        return rhs_u[design.eliminated].reshape(-1), np.concatenate(rest) if rest else np.zeros(0)

    def _join(self, d, r):
        design = self.design
        blocks: list[np.ndarray | None] = [None] * len(design.columns)
        blocks[design.eliminated] = d.reshape(design.columns[design.eliminated].n_levels, -1)
        start = 0
        for j in design.others:
            size = design.columns[j].n_columns
            blocks[j] = r[start : start + size].reshape(design.columns[j].n_levels, -1)
            start += size
        beta = r[start:] if start < r.size else None
        return blocks, beta


class MixedSystem:
    """Builds and eliminates C for given weights and θ.

    Parameters
    ----------
    design
        The random blocks.
    fixed
        X (n × p), or ``None`` for the system in u alone (β held fixed).
    """

    def __init__(self, design: RandomDesign, fixed: np.ndarray | None) -> None:
        self.design = design
        self.fixed = fixed
        self.n_other_random = sum(design.columns[j].n_columns for j in design.others)
        n = design.columns[0].group_index.size
        # the rest is dense when it is X, or X and one-level blocks (smooths' penalised
        # columns), of few columns: bincounts beat sparse products' overhead there
        others = [design.columns[j] for j in design.others]
        width = sum(c.n_columns for c in others) + (0 if fixed is None else fixed.shape[1])
        dense = all(c.n_levels == 1 for c in others) and width <= DENSE_CROSS_LIMIT
        self.dense_rest = (
            np.hstack([c.term_matrix for c in others] + ([] if fixed is None else [fixed]))
            if dense and (others or fixed is not None)
            else (np.zeros((n, 0)) if dense else None)
        )

    @cached_property
    def rest(self) -> sp.csr_matrix:
        """The rest's columns as one sparse matrix (the other factors' Z, then X), for the
        sparse cross products; not built when the rest is X alone."""
        others = [self.design.columns[j].matrix for j in self.design.others]
        if self.fixed is not None:
            others.append(sp.csr_matrix(self.fixed))
        return sp.csr_matrix(sp.hstack(others))

    @property
    def eliminated_columns(self) -> GroupedColumns:
        """The eliminated factor's unscaled columns."""
        return self.design.columns[self.design.eliminated]

    def products(self, weights: np.ndarray) -> CrossProducts:
        """The unscaled cross products [Z_d, R]ᵀ W [Z_d, R] (level by level when R is X alone)."""
        if self.dense_rest is not None:
            return dense_cross_products(self.eliminated_columns, self.dense_rest, weights)
        return cross_products(
            self.eliminated_columns, self.rest, weights, dense_entries=DENSE_ENTRIES
        )

    def transpose_times(self, values: np.ndarray) -> tuple[list[np.ndarray], np.ndarray | None]:
        """Zᵀ v per block (unscaled, (levels, k)) and Xᵀ v (``None`` without X)."""
        blocks = [
            c.transpose_times(values).reshape(c.n_levels, c.n_terms) for c in self.design.columns
        ]
        beta = None if self.fixed is None else self.fixed.T @ values
        return blocks, beta

    def eliminate(self, cross: CrossProducts, factors: list[np.ndarray]) -> Solved:
        """C at θ (through its factors T), eliminated."""
        design = self.design
        scaling = self._scaling(factors)
        scaled = scale_cross_products(cross, factors[design.eliminated], scaling)
        k = self.eliminated_columns.n_terms
        m_u = self.n_other_random
        m = scaled.n_rest
        diagonal = np.arange(m_u) * (m + 1)
        elimination = BlockElimination(scaled).eliminate(
            level_precision=np.eye(k), rest_precision=[(diagonal, np.ones(m_u))]
        )
        return Solved(elimination, m_u, design)

    def scale_gradient(
        self, blocks: list[np.ndarray], factors: list[np.ndarray]
    ) -> list[np.ndarray]:
        """Λᵀ(Zᵀv): each block's Tᵀ applied level by level."""
        return [block @ factor for block, factor in zip(blocks, factors, strict=True)]

    def _scaling(self, factors: list[np.ndarray]) -> np.ndarray | sp.csr_matrix:
        design = self.design
        n_fixed = 0 if self.fixed is None else self.fixed.shape[1]
        return rest_scaling(
            [factors[j] for j in design.others],
            [design.columns[j].n_levels for j in design.others],
            n_fixed,
        )
