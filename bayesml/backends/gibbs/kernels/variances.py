"""Scale parameters given the coefficients: the residual SD and the SDs of uncorrelated terms.

Both see the same kind of full conditional. With J normal values of variance σ² and sum of squares
S (J rows and the weighted residual sum of squares for σ; the J levels and Σ u_j² for a term's SD),

* a prior σ² ~ InvGamma(α, β) (``inverse_gamma``; ``scaled_inv_chi2(ν, s)`` is InvGamma(ν/2, νs²/2))
  is conjugate: σ² | · ~ InvGamma(α + J/2, β + S/2), drawn exactly;
* any other prior p(σ) (half-normal, half-Cauchy, half-t, exponential, uniform, gamma) is
  updated by a slice step (:func:`~bayesml.backends.gibbs.slice_sampling.slice_step`) on x = log σ,
  whose log density is log p(eˣ) + x − J x − S e^{−2x}/2.

A smooth's penalised block (``shared_sd``) has one SD for its ``r`` coefficients: J = r and S
their sum of squares, the same update.
"""

from __future__ import annotations

import math

import numpy as np

from bayesml.backends.gibbs.densities import sd_log_density
from bayesml.backends.gibbs.kernels.base import GibbsState, StatValue
from bayesml.backends.gibbs.problem import (
    SD_UPDATES,
    GibbsProblem,
    GroupSpec,
    inverse_gamma_parameters,
)
from bayesml.backends.gibbs.slice_sampling import SliceWidth, slice_step
from bayesml.priors import Prior

__all__ = ["GroupVarianceKernel", "ResidualVarianceKernel", "ScaleUpdate"]

#: slice steps on log σ stay within ±LOG_SD_BOUND (where exp would overflow)
LOG_SD_BOUND = 300.0


class ScaleUpdate:
    """The update of one SD σ from (J, S) under its prior (conjugate or slice; see the module)."""

    def __init__(self, prior: Prior) -> None:
        self.prior = prior
        self.conjugate = SD_UPDATES[prior.dist] == "conjugate"
        self.alpha, self.beta = inverse_gamma_parameters(prior) if self.conjugate else (0.0, 0.0)
        self.prior_density = sd_log_density(prior)
        self.width = SliceWidth()

    def draw(
        self, sigma: float, count: float, sum_squares: float, rng: np.random.Generator, tuning: bool
    ) -> tuple[float, int]:
        """A new σ and the number of density evaluations (0 for a conjugate draw)."""
        if self.conjugate:
            variance = (self.beta + 0.5 * sum_squares) / rng.gamma(self.alpha + 0.5 * count)
            return math.sqrt(variance), 0
        prior_density = self.prior_density

        def log_density(x: float) -> float:
            if not -LOG_SD_BOUND < x < LOG_SD_BOUND:
                return -math.inf
            return (
                prior_density(math.exp(x))
                + (1.0 - count) * x
                - 0.5 * sum_squares * math.exp(-2.0 * x)
            )

        x0 = math.log(sigma)
        x1, evaluations = slice_step(log_density, x0, self.width.width, rng)
        self.width.update(x0, x1, tuning)
        return math.exp(x1), evaluations

    def start(self, guess: float) -> float:
        """A starting value inside the prior's support (below a uniform prior's upper bound)."""
        if self.prior.dist == "uniform":
            return min(guess, 0.5 * float(self.prior["upper"]))
        return guess


class ResidualVarianceKernel:
    """σ | θ of a Gaussian response: n rows, S = Σ w_i (y_i − offset_i − η_i)²."""

    def __init__(self, problem: GibbsProblem) -> None:
        assert problem.sigma_prior is not None
        self.update = ScaleUpdate(problem.sigma_prior)
        self.response = problem.y - problem.offset
        self.weights = problem.weights  # None: unit weights
        self.count = float(problem.n_obs)
        self.stats = {} if self.update.conjugate else {"slice_evals_sigma": ()}

    def init(self, state: GibbsState, rng: np.random.Generator) -> None:
        state.sigma2 = self.update.start(float(np.sqrt(state.sigma2))) ** 2
        state.data_precision = 1.0 / state.sigma2

    def step(
        self, state: GibbsState, rng: np.random.Generator, tuning: bool
    ) -> dict[str, StatValue]:
        residual = self.response - state.eta
        weighted = residual if self.weights is None else self.weights * residual
        sum_squares = float(weighted @ residual)
        sigma, evaluations = self.update.draw(
            math.sqrt(state.sigma2), self.count, sum_squares, rng, tuning
        )
        state.sigma2 = sigma**2
        state.data_precision = 1.0 / state.sigma2
        return {} if self.update.conjugate else {"slice_evals_sigma": float(evaluations)}


class GroupVarianceKernel:
    """The SDs of an uncorrelated group's terms | its effects, one term at a time.

    A ``shared_sd`` group (a smooth's penalised block) has one SD for all its terms: it is drawn
    from J = levels · k values (the ``r`` coefficients of its one level) and their sum of squares,
    and Σ = sd²·I; its ``slice_evals_sd_<group>`` statistic is then a scalar.
    """

    def __init__(self, problem: GibbsProblem, index: int) -> None:
        group: GroupSpec = problem.groups[index]
        assert group.sd_priors is not None and not group.correlated
        assert len(group.sd_priors) == group.n_sds
        self.index = index
        self.regression = problem.regression
        self.shared = group.shared_sd
        self.k = group.k
        self.updates = [ScaleUpdate(prior) for prior in group.sd_priors]
        self.count = float(len(group.levels) * (group.k if self.shared else 1))
        self.stat_name = f"slice_evals_sd_{group.name}"
        uses_slice = any(not update.conjugate for update in self.updates)
        dims = () if self.shared else (f"{group.name}__term",)
        self.stats = {self.stat_name: dims} if uses_slice else {}

    def init(self, state: GibbsState, rng: np.random.Generator) -> None:
        sd = np.sqrt(np.diag(state.cov[self.index]))
        if self.shared:  # one SD: the geometric mean of the terms' starting values
            start = self.updates[0].start(float(np.exp(np.mean(np.log(sd)))))
            state.cov[self.index] = np.eye(self.k) * start**2
            return
        starts = [
            update.start(float(value)) for update, value in zip(self.updates, sd, strict=True)
        ]
        state.cov[self.index] = np.diag(np.square(starts))

    def step(
        self, state: GibbsState, rng: np.random.Generator, tuning: bool
    ) -> dict[str, StatValue]:
        effects = self.regression.effects(state.theta, self.index)
        if self.shared:
            sum_squares = float(np.einsum("lk,lk->", effects, effects))
            sd, evaluations = self.updates[0].draw(
                math.sqrt(float(state.cov[self.index][0, 0])), self.count, sum_squares, rng, tuning
            )
            state.cov[self.index] = np.eye(self.k) * sd**2
            return {self.stat_name: float(evaluations)} if self.stats else {}
        sum_squares = np.einsum("lk,lk->k", effects, effects)
        sd = np.sqrt(np.diag(state.cov[self.index]))
        evaluations = np.zeros(len(self.updates))
        for term, update in enumerate(self.updates):
            sd[term], evaluations[term] = update.draw(
                float(sd[term]), self.count, float(sum_squares[term]), rng, tuning
            )
        state.cov[self.index] = np.diag(sd**2)
        return {self.stat_name: evaluations} if self.stats else {}
