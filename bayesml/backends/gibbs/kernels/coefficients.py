"""The coefficients (β, all u) in one block, and the scale-mixture variables of t/Cauchy priors.

:class:`CoefficientKernel` draws θ jointly from N(A⁻¹c, A⁻¹) (the mixed-model equations; see
:mod:`~bayesml.backends.gibbs.linear_algebra`), never one coordinate at a time.
:class:`CoefficientMixingKernel` draws the λ_j of coefficients with Student-t or Cauchy priors,
b_j | λ_j ~ N(μ_j, σ_j²/λ_j), from λ_j | b_j ~ Gamma((ν_j + 1)/2, rate (ν_j + ((b_j − μ_j)/σ_j)²)/2).
"""

from __future__ import annotations

import numpy as np

from bayesml.backends.gibbs.kernels.base import GibbsState, StatValue
from bayesml.backends.gibbs.linear_algebra import PriorPrecision, make_solver
from bayesml.backends.gibbs.problem import GibbsProblem
from bayesml.linalg.batched import small_inverse

__all__ = ["CoefficientKernel", "CoefficientMixingKernel"]


class CoefficientKernel:
    """θ = (b, u_1, …, u_B) | everything else, in one Gaussian block."""

    stats: dict[str, tuple[str, ...]] = {}

    def __init__(self, problem: GibbsProblem, *, dense_limit: int | None = None) -> None:
        self.regression = problem.regression
        self.priors = problem.coefficients
        kwargs = {} if dense_limit is None else {"dense_limit": dense_limit}
        self.solver = make_solver(self.regression, **kwargs)
        self._data_rhs = np.zeros(self.regression.dim)
        self._base_precision = np.ascontiguousarray(self.priors.base_precision)
        # the prior means of the coefficients with a proper prior (flat ones have precision 0)
        self._prior_mean = np.where(np.isfinite(self.priors.scale), self.priors.mean, 0.0)

    def init(self, state: GibbsState, rng: np.random.Generator) -> None:
        state.weights_changed = state.response_changed = True

    def prior_precision(self, state: GibbsState) -> PriorPrecision:
        """P from the coefficient priors (with their λ) and the current covariance matrices."""
        blocks = tuple(small_inverse(cov) for cov in state.cov)
        return PriorPrecision(self._base_precision * state.coef_mixing, blocks)

    def rhs(self, state: GibbsState, coef_precision: np.ndarray) -> np.ndarray:
        """c = s·Tᵀr + P m."""
        if state.response_changed:
            self._data_rhs = self.regression.transpose_times(state.response_sums)
            state.response_changed = False
        rhs = state.data_precision * self._data_rhs
        rhs[: self.regression.p] += coef_precision * self._prior_mean
        return rhs

    def step(
        self, state: GibbsState, rng: np.random.Generator, tuning: bool
    ) -> dict[str, StatValue]:
        if state.weights_changed:
            self.solver.set_weights(state.weights)
            state.weights_changed = False
        prior = self.prior_precision(state)
        rhs = self.rhs(state, prior.coefficients)
        normals = rng.standard_normal(self.regression.dim)
        state.theta[:] = self.solver.draw(state.data_precision, prior, rhs, normals)
        state.eta = self.regression.times(state.theta)
        return {}


class CoefficientMixingKernel:
    """λ_j | b_j for the coefficients with Student-t and Cauchy priors."""

    stats: dict[str, tuple[str, ...]] = {}

    def __init__(self, problem: GibbsProblem) -> None:
        priors = problem.coefficients
        self.index = priors.mixed
        self.mean = priors.mean[self.index]
        self.scale = priors.scale[self.index]
        self.df = priors.df[self.index]

    def init(self, state: GibbsState, rng: np.random.Generator) -> None:
        state.coef_mixing[self.index] = 1.0

    def step(
        self, state: GibbsState, rng: np.random.Generator, tuning: bool
    ) -> dict[str, StatValue]:
        standardised = (state.theta[self.index] - self.mean) / self.scale
        rate = 0.5 * (self.df + standardised**2)
        state.coef_mixing[self.index] = rng.gamma(0.5 * (self.df + 1.0)) / rate
        return {}
