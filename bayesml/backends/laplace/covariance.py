"""The covariance parameters of the random effects as lme4 writes them: relative Cholesky factors θ.

Each random block with k terms has effects b_l = T u_l per level, u_l ~ N(0, I), so that
Cov(b_l) = σ² T Tᵀ with T lower triangular (correlated terms) or diagonal (``||`` terms, a single
term); σ is the residual SD of a Gaussian response and 1 otherwise. θ holds the non-zero entries of
every block's T, column by column of the lower triangle (lme4's order: ``getME(fit, "theta")``);
the diagonal entries are bounded below by 0, the others free. A Gaussian random effect at θ = 0
is a singular fit: the effect's SD is 0.

A block of a categorical model (one linear predictor per non-reference category) has k terms per
category, k·(K − 1) in all, ordered term by term with the category inner (the posterior's
``u_<group>`` dims ``(term, category)`` flattened): T is block diagonal over the categories, one
lower-triangular (or diagonal) k × k factor per category, so that the effects of different
categories are independent and those of one category correlated (brms' ``categorical()`` without
``|ID|``).

A smooth's penalised block (``shared_sd``: one level, r coefficients iid N(0, sd²), mgcv's
``smooth2random``) has ONE θ, T = θ I_r, as gamm4 fits each smooth's ``Xr`` as one lme4 random
effect with one variance (one θ per category in a categorical model). Its θ = 0 is a
legitimate estimate (the smooth reduced to its penalty's null space, a linear fit), not a
singular fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["BlockCovariance", "CovarianceParameters"]


@dataclass(frozen=True)
class BlockCovariance:
    """θ of one random block: k terms, correlated or not.

    Attributes
    ----------
    name
        The grouping factor (the design block's name).
    term_labels
        The block's terms (``("Intercept", "Days")``).
    correlated
        Whether T is lower triangular (else diagonal).
    categories
        The non-reference categories of a categorical model (each term has one effect per
        category); empty for one linear predictor.
    shared
        Whether the terms share one SD (a smooth's penalised coefficients): T = θ I, one θ (per
        category); ``correlated`` is then false.
    """

    name: str
    term_labels: tuple[str, ...]
    correlated: bool
    categories: tuple[str, ...] = ()
    shared: bool = False

    #: the term label of a smooth's one SD in :meth:`CovarianceParameters.varcorr`
    SMOOTH_TERM = "(smooth)"

    @property
    def n_categories(self) -> int:
        """The number of linear predictors (1 without categories)."""
        return max(1, len(self.categories))

    @property
    def size(self) -> int:
        """The number of effects per level: k terms (times the categories)."""
        return len(self.term_labels) * self.n_categories

    @property
    def sd_labels(self) -> tuple[str, ...]:
        """A label per SD of the block: :attr:`labels`, or ``"(smooth)"`` (``"(smooth), move"``
        per category) for a shared block."""
        if not self.shared:
            return self.labels
        if not self.categories:
            return (self.SMOOTH_TERM,)
        return tuple(f"{self.SMOOTH_TERM}, {c}" for c in self.categories)

    @property
    def labels(self) -> tuple[str, ...]:
        """A label per effect: the term (``"Intercept"``), or the term and category
        (``"Intercept, move"``, term by term with the category inner)."""
        if not self.categories:
            return tuple(self.term_labels)
        return tuple(f"{term}, {c}" for term in self.term_labels for c in self.categories)

    def same_category(self, a: int, b: int) -> bool:
        """Whether effects ``a`` and ``b`` belong to one category (always, without categories)."""
        return a % self.n_categories == b % self.n_categories

    @property
    def positions(self) -> tuple[np.ndarray, np.ndarray]:
        """(rows, columns) of T's free entries, column by column of the lower triangle (within
        a category for a categorical model)."""
        k = self.size
        if not self.correlated:
            return np.arange(k), np.arange(k)
        columns, rows = np.triu_indices(k)  # (column, row ≥ column), column-major order
        keep = rows % self.n_categories == columns % self.n_categories
        return rows[keep], columns[keep]

    @property
    def entry_theta(self) -> np.ndarray:
        """The θ entry of each of :attr:`positions` (its own, or for a shared block the one θ
        of its category)."""
        size = len(self.positions[0])
        if self.shared:
            return np.arange(size) % self.n_categories
        return np.arange(size)

    @property
    def n_theta(self) -> int:
        """Number of θ entries of the block."""
        return self.n_categories if self.shared else len(self.positions[0])

    @property
    def lower_bounds(self) -> np.ndarray:
        """0 for a diagonal entry, −∞ for the others."""
        if self.shared:
            return np.zeros(self.n_theta)
        rows, columns = self.positions
        return np.where(rows == columns, 0.0, -np.inf)

    @property
    def start(self) -> np.ndarray:
        """lme4's starting θ: T = I."""
        if self.shared:
            return np.ones(self.n_theta)
        rows, columns = self.positions
        return (rows == columns).astype(float)

    def factor(self, theta: np.ndarray) -> np.ndarray:
        """T (k × k) from the block's θ."""
        k = self.size
        factor = np.zeros((k, k))
        factor[self.positions] = np.asarray(theta, dtype=float)[self.entry_theta]
        return factor


@dataclass(frozen=True)
class CovarianceParameters:
    """θ of every random block, concatenated in the design's block order."""

    blocks: tuple[BlockCovariance, ...]

    @property
    def size(self) -> int:
        """Length of θ."""
        return sum(block.n_theta for block in self.blocks)

    @property
    def lower_bounds(self) -> np.ndarray:
        """Lower bounds of θ (0 on the diagonals of T)."""
        return np.concatenate([block.lower_bounds for block in self.blocks])

    @property
    def start(self) -> np.ndarray:
        """θ at T = I for every block."""
        return np.concatenate([block.start for block in self.blocks])

    @property
    def diagonal(self) -> np.ndarray:
        """Whether each entry of θ is on a diagonal of its T."""
        return np.isfinite(self.lower_bounds)

    def factors(self, theta: np.ndarray) -> list[np.ndarray]:
        """T of every block."""
        factors, start = [], 0
        for block in self.blocks:
            factors.append(block.factor(theta[start : start + block.n_theta]))
            start += block.n_theta
        return factors

    def covariances(self, theta: np.ndarray, sigma: float = 1.0) -> list[np.ndarray]:
        """Cov(b_l) = σ² T Tᵀ of every block."""
        return [sigma**2 * factor @ factor.T for factor in self.factors(theta)]

    def varcorr(self, theta: np.ndarray, sigma: float | None) -> pd.DataFrame:
        """The SDs and correlations of the random effects (and σ of a Gaussian response).

        Columns ``group``, ``term``, ``sd``, ``corr``: an SD row has the term's label and ``corr``
        NaN (a smooth's one SD: the term ``"(smooth)"``); a correlation row ``"term1:term2"``
        (lme4's order) and ``sd`` NaN; a Gaussian
        response adds the row ``("Residual", "", σ, NaN)``. A categorical model's terms are
        ``"term, category"`` (the posterior's ``sd_<group>[term, category]``), correlations
        within a category only.
        """
        rows = []
        scale = 1.0 if sigma is None else sigma
        for block, covariance in zip(self.blocks, self.covariances(theta, scale), strict=True):
            sds = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
            if block.shared:  # one SD per category: the first term's
                rows += [
                    (block.name, term, sd, np.nan)
                    for term, sd in zip(block.sd_labels, sds[: block.n_theta], strict=True)
                ]
                continue
            rows += [
                (block.name, term, sd, np.nan) for term, sd in zip(block.labels, sds, strict=False)
            ]
            if block.correlated:
                for a in range(block.size):
                    for b in range(a + 1, block.size):
                        if not block.same_category(a, b):
                            continue
                        denominator = sds[a] * sds[b]
                        corr = covariance[a, b] / denominator if denominator > 0 else np.nan
                        pair = f"{block.labels[a]}:{block.labels[b]}"
                        rows.append((block.name, pair, np.nan, corr))
        if sigma is not None:
            rows.append(("Residual", "", sigma, np.nan))
        return pd.DataFrame(rows, columns=["group", "term", "sd", "corr"])
