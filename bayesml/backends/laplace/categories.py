"""The maximum-likelihood problem of a categorical or multinomial model: K − 1 linear predictors
per row.

Row i has the vector η_i = offset_i + (I ⊗ x_iᵀ) β + (I ⊗ z_iᵀ) b_{g(i)} of the K − 1 non-reference
categories, each category c with its own coefficients β_c and effects b_c (brms'
``categorical()``). The problem is written in the *long* layout: every row becomes K − 1 rows
(i, c), with X ⊗ I and Z ⊗ I as designs, so that β and each level's effects are ordered term by
term with the category inner (the posterior's ``beta`` dims ``(coef, category)`` and ``u_<group>``
dims ``(term, category)``, flattened), and θ holds one lme4 factor per category
(:class:`~bayesml.backends.laplace.covariance.BlockCovariance` with ``categories``).

The penalised system needs scalar row weights, and a row's curvature in η_i is a
(K − 1) × (K − 1) matrix W_i = N_i (diag p_i − p_i p_iᵀ). :meth:`CategoryProblem.linearised`
writes it as W_i = V_i Λ_i V_iᵀ (``numpy.linalg.eigh``) and rotates each row's block of long rows
by V_iᵀ: the pseudo-rows (i, j) have the design rows v_ijᵀ A_i, the scalar weights λ_ij and the
gradient values v_ijᵀ g_i, so that AᵀWA and Aᵀg are exactly those of the vector model, and the
penalised IRLS, the block elimination and the Laplace deviance apply unchanged (the rotated system
is rebuilt at every Newton step: V_i moves with p_i).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from bayesml.backends.laplace.covariance import BlockCovariance, CovarianceParameters
from bayesml.backends.laplace.parameters import FamilyParameters
from bayesml.backends.laplace.problem import MLProblem
from bayesml.backends.laplace.system import MixedSystem, RandomDesign
from bayesml.backends.seam import ModelInputs
from bayesml.linalg import GroupedColumns

__all__ = ["CategoryProblem"]


@dataclass(frozen=True, eq=False)
class CategoryProblem(MLProblem):
    """A categorical or multinomial model's arrays in the long layout (see the module text).

    Attributes
    ----------
    categories
        The labels of the K − 1 non-reference categories.

    ``fixed``, ``offset`` and ``random`` are the long ones (n·(K − 1) rows); ``y``, ``trials`` and
    ``weights`` are the model's (one per row of data).
    """

    categories: tuple[str, ...] = ()

    @classmethod
    def of(cls, model: ModelInputs) -> CategoryProblem:
        """The long problem of a categorical or multinomial model."""
        design, family = model.design, model.family
        categories = tuple(family.dimension_labels(design.response.levels or ())["predictor"])
        c = len(categories)
        identity = np.eye(c)
        columns = tuple(
            GroupedColumns(
                np.repeat(np.asarray(block.group_index), c),
                np.kron(np.asarray(block.term_matrix, dtype=float), identity),
                block.n_levels,
            )
            for block in design.random
        )
        covariance = CovarianceParameters(
            tuple(
                BlockCovariance(
                    block.name,
                    block.term_labels,
                    block.correlated,
                    categories,
                    shared=block.shared_sd,
                )
                for block in design.random
            )
        )
        fixed_names = tuple(
            f"{column}, {category}"
            for column in design.fixed.column_names
            for category in categories
        )
        return cls(
            y=np.asarray(design.response.y, dtype=float),
            trials=design.response.trials,
            weights=design.response.weights,
            offset=np.repeat(np.asarray(design.offset, dtype=float), c),
            fixed=np.kron(np.asarray(design.fixed.matrix, dtype=float), identity),
            fixed_names=fixed_names,
            random=RandomDesign(columns, covariance),
            block_levels=tuple(block.levels for block in design.random),
            family=family,
            parameters=FamilyParameters.of(family),
            categories=categories,
        )

    @property
    def n_obs(self) -> int:
        """Number of rows of data (not of long rows)."""
        return int(self.y.shape[0])

    @property
    def predictors_per_row(self) -> int:
        """K − 1."""
        return len(self.categories)

    @cached_property
    def prior_weights(self) -> np.ndarray:
        """The prior weights, ones without (one per row of data)."""
        return np.ones(self.n_obs) if self.weights is None else self.weights

    @property
    def scalar_rows(self) -> bool:
        """No: each row's curvature is a (K − 1) × (K − 1) matrix."""
        return False

    def row_levels(self, columns: GroupedColumns) -> np.ndarray:
        """The level of each row of data (every K − 1-th long row's)."""
        return columns.group_index[:: self.predictors_per_row]

    def row_predictors(self, eta: np.ndarray) -> np.ndarray:
        """The long η as (rows, K − 1)."""
        return np.asarray(eta).reshape(self.n_obs, self.predictors_per_row)

    def log_likelihood(self, eta: np.ndarray, values: dict) -> np.ndarray:
        """Each row of data's log-likelihood at the long η, times its prior weight."""
        rows = self.family.log_likelihood_eta(self.y, self.row_predictors(eta), values)
        return rows if self.weights is None else rows * self.weights

    def derivatives(self, eta: np.ndarray, values: dict) -> tuple[np.ndarray, np.ndarray]:
        """Each row's gradient (n, K − 1) and curvature (n, K − 1, K − 1) in its predictors."""
        gradient, curvature = self.family.category_derivatives(self.y, self.row_predictors(eta))
        if self.weights is not None:
            gradient = gradient * self.weights[:, None]
            curvature = curvature * self.weights[:, None, None]
        return gradient, curvature

    def linearised(
        self, system: MixedSystem, eta: np.ndarray, values: dict
    ) -> tuple[MixedSystem, np.ndarray, np.ndarray]:
        """The system of the pseudo-rows at η (see the module text), their gradient values and
        scalar weights."""
        gradient, curvature = self.derivatives(eta, values)
        weights, vectors = np.linalg.eigh(curvature)  # W_i = V_i Λ_i V_iᵀ
        weights = np.clip(weights, 0.0, None)  # rounding below 0 (W_i is semi-definite)
        pseudo_gradient = np.einsum("icj,ic->ij", vectors, gradient).reshape(-1)
        columns = tuple(
            GroupedColumns(
                block.group_index, self._rotated(vectors, block.term_matrix), block.n_levels
            )
            for block in self.random.columns
        )
        fixed = None if system.fixed is None else self._rotated(vectors, system.fixed)
        rotated = MixedSystem(RandomDesign(columns, self.random.covariance), fixed)
        return rotated, pseudo_gradient, weights.reshape(-1)

    def _rotated(self, vectors: np.ndarray, matrix: np.ndarray) -> np.ndarray:
        """Each row's block of long rows A_i rotated to V_iᵀ A_i."""
        n, c = self.n_obs, self.predictors_per_row
        blocks = np.asarray(matrix).reshape(n, c, -1)
        return np.einsum("icj,icm->ijm", vectors, blocks).reshape(n * c, -1)

    def start_beta(self) -> np.ndarray:
        """β with each category's intercept at the log odds of its share against the
        reference's (the other coefficients 0), when X has an intercept column of ones."""
        beta = np.zeros(self.n_fixed)
        c = self.predictors_per_row
        base = self.fixed[::c, ::c]  # X
        ones = np.flatnonzero(np.all(base == 1.0, axis=0))
        if ones.size:
            counts = self.family.category_counts(self.y, c + 1).sum(axis=0) + 0.5
            logits = np.log(counts[1:] / counts[0]) - float(np.mean(self.offset))
            beta[ones[0] * c : (ones[0] + 1) * c] = logits
        return beta

    def start_parameters(self) -> np.ndarray:
        """No family parameters."""
        return self.parameters.free({})
