"""Latent variables that make binary and binomial likelihoods conditionally Gaussian.

* :class:`LatentProbitKernel` (Albert and Chib 1993): one z ~ N(η_i + offset_i, 1) per trial,
  truncated to z > 0 for a success and z < 0 for a failure; a binomial row of n trials is n
  Bernoulli rows. The coefficient update then sees a Gaussian response with unit variance,
  through r_i = Σ_t z_it − n_i·offset_i and w_i = n_i.
* :class:`PolyaGammaKernel` (Polson, Scott and Windle 2013): ω_i ~ PG(n_i, η_i + offset_i); then
  the logit likelihood is Gaussian in η with weights ω and r_i = y_i − n_i/2 − ω_i·offset_i.
"""

from __future__ import annotations

import numpy as np

from bayesml.backends.gibbs.kernels.base import GibbsState, StatValue
from bayesml.backends.gibbs.polya_gamma import polya_gamma
from bayesml.backends.gibbs.problem import GibbsProblem
from bayesml.backends.gibbs.truncated_normal import truncated_normal

__all__ = ["LatentProbitKernel", "PolyaGammaKernel", "bernoulli_rows"]


def bernoulli_rows(y: np.ndarray, trials: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each trial as a Bernoulli row: its binomial row and whether it is a success.

    Row i with y_i successes of n_i trials gives n_i rows, y_i successes first.

    Examples
    --------
    >>> rows, success = bernoulli_rows(np.array([1.0, 0.0]), np.array([2.0, 1.0]))
    >>> rows.tolist(), success.tolist()
    ([0, 0, 1], [True, False, False])
    """
    counts = trials.astype(np.int64)
    rows = np.repeat(np.arange(len(counts)), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    position = np.arange(rows.size) - first
    return rows, position < y.astype(np.int64)[rows]


class _BinomialLatentKernel:
    """The latent variables of a binomial (or bernoulli) model: its trials and offset, no stats."""

    stats: dict[str, tuple[str, ...]] = {}

    def __init__(self, problem: GibbsProblem) -> None:
        assert problem.trials is not None
        self.trials = problem.trials
        self.offset = problem.offset


class LatentProbitKernel(_BinomialLatentKernel):
    """z | η, y for every trial, by truncated-normal draws."""

    def __init__(self, problem: GibbsProblem) -> None:
        super().__init__(problem)
        self.rows, self.success = bernoulli_rows(problem.y, problem.trials)
        self.n_obs = problem.n_obs

    def init(self, state: GibbsState, rng: np.random.Generator) -> None:
        state.weights = self.trials.copy()
        state.weights_changed = True

    def step(
        self, state: GibbsState, rng: np.random.Generator, tuning: bool
    ) -> dict[str, StatValue]:
        mean = (state.eta + self.offset)[self.rows]
        latent = truncated_normal(mean, self.success, rng)
        sums = np.bincount(self.rows, weights=latent, minlength=self.n_obs)
        state.response_sums = sums - self.trials * self.offset
        state.latent_sum_squares = float(latent @ latent)
        state.response_changed = True
        return {}


class PolyaGammaKernel(_BinomialLatentKernel):
    """ω | η for every row, from Pólya-Gamma distributions."""

    def __init__(self, problem: GibbsProblem) -> None:
        super().__init__(problem)
        self.kappa = problem.y - 0.5 * problem.trials

    def init(self, state: GibbsState, rng: np.random.Generator) -> None:
        state.weights = 0.25 * self.trials
        state.response_sums = self.kappa - state.weights * self.offset

    def step(
        self, state: GibbsState, rng: np.random.Generator, tuning: bool
    ) -> dict[str, StatValue]:
        omega = polya_gamma(self.trials, state.eta + self.offset, rng)
        state.weights = omega
        state.response_sums = self.kappa - omega * self.offset
        state.weights_changed = state.response_changed = True
        return {}
