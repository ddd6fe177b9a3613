"""The arrays a maximum-likelihood fit works on, taken from the model's design.

:class:`MLProblem` holds the response, prior weights, trials, offset, X, the random blocks
(unscaled columns and their θ layout) and the family with its parameters' free-vector layout. It
evaluates each row's log-likelihood and its derivatives in η through the family object.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from bayesml.backends.laplace.covariance import BlockCovariance, CovarianceParameters
from bayesml.backends.laplace.parameters import FamilyParameters
from bayesml.backends.laplace.system import MixedSystem, RandomDesign
from bayesml.backends.seam import ModelInputs
from bayesml.errors import FamilyError
from bayesml.families import DEFAULT_FAMILY, Family
from bayesml.linalg import GroupedColumns

__all__ = ["MLProblem"]

#: starting values of scalar family parameters by constraint (σ of a gaussian: the SD of y)
_START = {"positive": 1.0, "unit_interval": 0.25, "real": 0.0}


@dataclass(frozen=True, eq=False)
class MLProblem:
    """One model's arrays for maximum likelihood.

    Attributes
    ----------
    y, trials, weights, offset
        Response (successes for a binomial), trials (binomial) or ``None``, prior weights or
        ``None``, offset of every row.
    fixed, fixed_names
        X and its column labels (the posterior's ``beta`` labels).
    random
        The random blocks' columns and θ layout.
    block_levels
        The level labels of each block.
    family
        The response family.
    parameters
        The family parameters' free-vector layout.
    """

    y: np.ndarray
    trials: np.ndarray | None
    weights: np.ndarray | None
    offset: np.ndarray
    fixed: np.ndarray
    fixed_names: tuple[str, ...]
    random: RandomDesign
    block_levels: tuple[tuple[str, ...], ...]
    family: Family
    parameters: FamilyParameters

    @classmethod
    def of(cls, model: ModelInputs) -> MLProblem:
        """The problem of a model (its design and family)."""
        design = model.design
        columns = tuple(
            GroupedColumns(block.group_index, block.term_matrix, block.n_levels)
            for block in design.random
        )
        covariance = CovarianceParameters(
            tuple(
                BlockCovariance(
                    block.name, block.term_labels, block.correlated, shared=block.shared_sd
                )
                for block in design.random
            )
        )
        levels = design.response.levels
        sizes = {"cutpoints": len(levels) - 1} if levels is not None else {}
        formulas = {
            name: (predictor.fixed.matrix, predictor.fixed.column_names)
            for name, predictor in design.predictors.items()
        }
        return cls(
            y=np.asarray(design.response.y, dtype=float),
            trials=design.response.trials,
            weights=design.response.weights,
            offset=np.asarray(design.offset, dtype=float),
            fixed=np.asarray(design.fixed.matrix, dtype=float),
            fixed_names=tuple(design.fixed.column_names),
            random=RandomDesign(columns, covariance),
            block_levels=tuple(block.levels for block in design.random),
            family=model.family,
            parameters=FamilyParameters.of(model.family, sizes=sizes, designs=formulas),
        )

    @property
    def n_obs(self) -> int:
        """Number of rows."""
        return int(self.y.size)

    @property
    def predictors_per_row(self) -> int:
        """Linear predictors per row: 1 (K − 1 for a categorical model,
        :class:`~bayesml.backends.laplace.categories.CategoryProblem`)."""
        return 1

    @property
    def scalar_rows(self) -> bool:
        """Whether each row's curvature is a scalar on its own row of the design (what the exact
        gradient of :mod:`~bayesml.backends.laplace.gradient` needs)."""
        return True

    def row_predictors(self, eta: np.ndarray) -> np.ndarray:
        """η of each row as the results give it (one value per row here)."""
        return eta

    def row_levels(self, columns: GroupedColumns) -> np.ndarray:
        """The level of a grouping factor of each row of :meth:`log_likelihood`."""
        return columns.group_index

    @property
    def n_fixed(self) -> int:
        """Number of fixed effects."""
        return int(self.fixed.shape[1])

    @cached_property
    def prior_weights(self) -> np.ndarray:
        """The prior weights, ones without."""
        return np.ones_like(self.y) if self.weights is None else self.weights

    @cached_property
    def is_exact_gaussian(self) -> bool:
        """A Gaussian response with the identity link and no formula for σ: the exact
        (profiled) likelihood of lmer."""
        family = self.family
        return (
            family.name == DEFAULT_FAMILY
            and family.link.name == "identity"
            and self.parameters.slots[0].design is None
        )

    # -- the likelihood of the rows -------------------------------------------------------------
    def log_likelihood(self, eta: np.ndarray, values: dict) -> np.ndarray:
        """Each row's log-likelihood at linear predictor η, times its prior weight (as glmer's
        weights; a family whose likelihood takes the weights itself, the gaussian's precision
        w/σ², gets them there)."""
        family = self.family
        inside = self.weights if family.accepts_weights else None
        rows = family.log_likelihood_eta(self.y, eta, values, trials=self.trials, weights=inside)
        return rows if inside is not None or self.weights is None else rows * self.weights

    def derivatives(self, eta: np.ndarray, values: dict) -> tuple[np.ndarray, np.ndarray]:
        """(∂ℓ/∂η, curvature) of each row: the curvature is the family's choice for the Laplace
        approximation (expected information for glmer's families, observed otherwise; the two
        are one for a canonical link)."""
        family = self.family
        inside = self.weights if family.accepts_weights else None
        gradient, second = family.eta_derivatives(self.y, eta, values, self.trials, inside)
        if family.laplace_curvature == "expected" and not family.is_canonical:
            curvature = family.eta_information(self.y, eta, values, self.trials, inside)
        else:
            curvature = -second
        if inside is None and self.weights is not None:  # a weighted sum of log-likelihoods
            return gradient * self.weights, curvature * self.weights
        return gradient, curvature

    def curvature_slope(self, eta: np.ndarray, values: dict) -> np.ndarray:
        """d(curvature)/dη of each row for the observed curvature −∂²ℓ/∂η² (what the exact
        gradient of the Laplace deviance uses): −∂³ℓ/∂η³ from the family."""
        family = self.family
        inside = self.weights if family.accepts_weights else None
        slope = -family.eta_third_derivative(self.y, eta, values, self.trials, inside)
        return slope * self.weights if inside is None and self.weights is not None else slope

    def linearised(
        self, system: MixedSystem, eta: np.ndarray, values: dict
    ) -> tuple[MixedSystem, np.ndarray, np.ndarray]:
        """The system a Newton step at η solves, with the rows' gradient and curvature
        (:meth:`derivatives`): ``system`` itself for one linear predictor per row (a categorical
        model rotates each row's predictors to scalar pseudo-rows)."""
        return (system, *self.derivatives(eta, values))

    # -- starting values -------------------------------------------------------------------------
    def start_beta(self) -> np.ndarray:
        """β of a least-squares fit of g(initial mean) on X (zeros where the family has none).

        A zero-inflated or hurdle family starts from its component family's initial mean, and a
        mean at or below 0 under a link of a positive mean (the zeros of a hurdle's continuous
        part) from a tenth of the positive means' average: g(0) of the log link is about −236,
        from where the conditional modes diverge."""
        family = self.family
        if self.family.response_kind == "ordinal" or self.n_fixed == 0:
            return np.zeros(self.n_fixed)
        y = self.y / self.trials if self.trials is not None else self.y
        weights = self.prior_weights if self.trials is None else self.trials
        source = getattr(family, "component", None) or family
        try:
            mean = np.asarray(source.initial_mean(y, weights), dtype=float)
            if family.link.mu_domain == "(0, inf)":
                positive = mean[mean > 0]
                floor = 0.1 * float(np.mean(positive)) if positive.size else 1.0
                mean = np.where(mean > 0, mean, floor)
            target = family.link.link(mean) - self.offset
        except (ValueError, FloatingPointError, FamilyError):
            return np.zeros(self.n_fixed)
        if not np.all(np.isfinite(target)):
            return np.zeros(self.n_fixed)
        return np.linalg.lstsq(self.fixed, target, rcond=None)[0]

    def start_parameters(self) -> np.ndarray:
        """Free vector of starting family parameters: σ at the SD of y, cut-points at the link's
        quantiles of the cumulative shares, others at 1 (positive) or 0.25 (probabilities)."""
        values = {}
        for slot in self.parameters.slots:
            constraint = slot.parameter.constraint
            if slot.parameter.shape:
                values[slot.name] = self._start_cutpoints(slot.size)
            elif slot.name == "sigma":
                values[slot.name] = float(np.std(self.y)) or 1.0
            else:
                values[slot.name] = _START[constraint]
        return self.parameters.free(values)

    def _start_cutpoints(self, size: int) -> np.ndarray:
        counts = np.bincount(self.y.astype(int), minlength=size + 2)[1 : size + 2]
        shares = np.cumsum(counts + 0.5)[:-1] / np.sum(counts + 0.5)
        cutpoints = self.family.link.link(shares)
        return np.maximum.accumulate(cutpoints + np.arange(size) * 1e-3)
