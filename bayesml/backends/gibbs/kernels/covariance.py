"""The covariance matrix Σ of a correlated group's effects, given the effects U (L levels × K terms).

* inverse-Wishart prior IW(ν, Ψ): conjugate, Σ | U ~ IW(ν + L, Ψ + UᵀU), drawn exactly.
* LKJ(η) on the correlation matrix R with a prior p_i on each SD (Σ = diag(sd) R diag(sd)): no
  closed form, so :class:`LKJCovarianceKernel` makes Metropolis–Hastings moves that leave
  p(sd, R | U) invariant:

  1. an independence proposal Σ* ~ IW(L, UᵀU) — the full conditional under the pseudo-prior
     |Σ|^{−(K+1)/2} — accepted with probability min(1, w(Σ*)/w(Σ)), where
     log w(Σ) = (η − 1 + (K+1)/2) log det R + Σ_i [log p_i(sd_i) + log sd_i]; the likelihood cancels,
     so with many levels nearly every proposal is accepted (skipped when L < K + 1, where UᵀU
     may be singular);
  2. random-walk moves on (log sd, atanh of the canonical partial correlations), with the
     Jacobians of both maps, whose step size is adapted during warm-up towards an acceptance
     rate of 0.3. They are made only while the independence proposals are accepted less than
     half of the time in warm-up (or when there are none): otherwise the independence move alone
     already draws nearly independent values. The choice is frozen with the rest of the
     adaptation at the end of warm-up.

  Its acceptance rate per iteration is recorded as ``accept_corr_<group>`` in ``sample_stats``.
"""

from __future__ import annotations

import math

import numpy as np

from bayesml.backends.gibbs.densities import sd_log_density
from bayesml.backends.gibbs.kernels.base import GibbsState, StatValue
from bayesml.backends.gibbs.matrices import (
    correlation_cholesky,
    correlation_unconstrained,
    inverse_wishart_draw,
    lkj_cholesky_log_density,
)
from bayesml.backends.gibbs.problem import GibbsProblem
from bayesml.linalg.lapack import cholesky_lower

__all__ = ["InverseWishartKernel", "LKJCovarianceKernel"]

TARGET_ACCEPTANCE = 0.3
RANDOM_WALK_STEPS = 2
#: the random walk is dropped when the independence move is accepted this often in warm-up ...
INDEPENDENCE_ENOUGH = 0.5
#: ... once it has been tried this many times
MIN_TRIES = 20


def _scale_matrix(scale, size: int) -> np.ndarray:
    return np.array(scale, dtype=float) if isinstance(scale, tuple) else float(scale) * np.eye(size)


class InverseWishartKernel:
    """Σ | U ~ IW(ν + L, Ψ + UᵀU)."""

    stats: dict[str, tuple[str, ...]] = {}

    def __init__(self, problem: GibbsProblem, index: int) -> None:
        group = problem.groups[index]
        prior = group.cov_prior
        assert prior is not None and prior.dist == "inverse_wishart"
        self.index = index
        self.regression = problem.regression
        self.nu = float(prior["nu"])
        self.psi = _scale_matrix(prior["scale"], group.k)

    def init(self, state: GibbsState, rng: np.random.Generator) -> None:
        pass

    def step(
        self, state: GibbsState, rng: np.random.Generator, tuning: bool
    ) -> dict[str, StatValue]:
        effects = self.regression.effects(state.theta, self.index)
        scatter = effects.T @ effects
        state.cov[self.index] = inverse_wishart_draw(
            self.nu + effects.shape[0], self.psi + scatter, rng
        )
        return {}


def _sd_and_cholesky(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    return sd, np.linalg.cholesky(corr)


class LKJCovarianceKernel:
    """(sd, R) | U under LKJ(η) and SD priors, by Metropolis–Hastings (see the module text)."""

    def __init__(self, problem: GibbsProblem, index: int) -> None:
        group = problem.groups[index]
        assert group.cov_prior is not None and group.sd_priors is not None
        self.index = index
        self.regression = problem.regression
        self.k = group.k
        self.levels = len(group.levels)
        self.eta = float(group.cov_prior["eta"])
        self.sd_priors = group.sd_priors
        self.sd_densities = [sd_log_density(prior) for prior in group.sd_priors]
        self.independence = self.levels >= self.k + 1
        # random-walk steps: about the conditional SDs of log sd and of the partial correlations
        n_corr = self.k * (self.k - 1) // 2
        self.step_sizes = np.concatenate(
            [
                np.full(self.k, 1.0 / math.sqrt(2.0 * self.levels)),
                np.full(n_corr, 1.0 / math.sqrt(self.levels)),
            ]
        )
        self.log_scale = 0.0
        self._tuning_steps = 0
        self._independence_tried = self._independence_accepted = 0
        self.walk = True
        self.stat_name = f"accept_corr_{group.name}"
        self.stats = {self.stat_name: ()}

    def init(self, state: GibbsState, rng: np.random.Generator) -> None:
        """Move a starting SD above a uniform prior's upper bound to half the bound."""
        sd, chol = _sd_and_cholesky(state.cov[self.index])
        for term, prior in enumerate(self.sd_priors):
            if prior.dist == "uniform" and sd[term] >= float(prior["upper"]):
                sd[term] = 0.5 * float(prior["upper"])
        factor = sd[:, None] * chol
        state.cov[self.index] = factor @ factor.T

    # -- densities ---------------------------------------------------------------------------
    def _sd_terms(self, sd: np.ndarray) -> float:
        """Σ_i log p_i(sd_i) + log sd_i (the SD priors on the log scale)."""
        return sum(
            density(float(s)) for density, s in zip(self.sd_densities, sd, strict=True)
        ) + float(np.sum(np.log(sd)))

    def _independence_weight(self, cov: np.ndarray) -> float:
        """log w(Σ) = (η − 1 + (K+1)/2) log det R + Σ_i [log p_i(sd_i) + log sd_i]."""
        sd = np.sqrt(np.diag(cov))
        log_sd = np.log(sd)
        log_det_corr = 2.0 * float(np.sum(np.log(np.diag(cholesky_lower(cov))) - log_sd))
        prior = sum(density(float(s)) for density, s in zip(self.sd_densities, sd, strict=True))
        return (self.eta - 1.0 + 0.5 * (self.k + 1)) * log_det_corr + prior + float(np.sum(log_sd))

    def _log_target(self, point: np.ndarray, scatter: np.ndarray) -> float:
        """log p(log sd, y | U) for the random-walk moves."""
        log_sd = point[: self.k]
        if np.any(np.abs(log_sd) > 300.0):
            return -math.inf
        sd = np.exp(log_sd)
        chol, log_jacobian = correlation_cholesky(point[self.k :], self.k)
        diagonal = np.diag(chol)
        if np.any(diagonal <= 0.0):
            return -math.inf
        factor = sd[:, None] * chol
        whitened = np.linalg.solve(factor, np.linalg.solve(factor, scatter).T)
        log_likelihood = -self.levels * (float(np.sum(log_sd)) + float(np.sum(np.log(diagonal))))
        log_likelihood -= 0.5 * float(np.trace(whitened))
        return (
            log_likelihood
            + self._sd_terms(sd)
            + lkj_cholesky_log_density(chol, self.eta)
            + log_jacobian
        )

    # -- moves ---------------------------------------------------------------------------------
    def _independence_move(self, cov, scatter, rng) -> tuple[np.ndarray, bool]:
        try:
            proposal = inverse_wishart_draw(float(self.levels), scatter, rng)
            log_ratio = self._independence_weight(proposal) - self._independence_weight(cov)
        except np.linalg.LinAlgError:
            return cov, False
        if math.log(rng.uniform()) < log_ratio:
            return proposal, True
        return cov, False

    def _random_walk(self, cov, scatter, rng, tuning) -> tuple[np.ndarray, int]:
        sd, chol = _sd_and_cholesky(cov)
        point = np.concatenate([np.log(sd), correlation_unconstrained(chol)])
        current = self._log_target(point, scatter)
        accepted = 0
        for _ in range(RANDOM_WALK_STEPS):
            proposal = point + math.exp(self.log_scale) * self.step_sizes * rng.standard_normal(
                point.size
            )
            value = self._log_target(proposal, scatter)
            accept = math.log(rng.uniform()) < value - current
            if accept:
                point, current = proposal, value
                accepted += 1
            if tuning:
                self._tuning_steps += 1
                rate = 1.0 if accept else 0.0
                self.log_scale += (rate - TARGET_ACCEPTANCE) / math.sqrt(self._tuning_steps)
        sd = np.exp(point[: self.k])
        chol, _ = correlation_cholesky(point[self.k :], self.k)
        factor = sd[:, None] * chol
        return factor @ factor.T, accepted

    def _update_walk(self, moved: bool, tuning: bool) -> None:
        """Keep the random walk unless the independence move is accepted often enough."""
        if not tuning:
            return
        self._independence_tried += 1
        self._independence_accepted += int(moved)
        if self._independence_tried >= MIN_TRIES:
            rate = self._independence_accepted / self._independence_tried
            self.walk = rate < INDEPENDENCE_ENOUGH

    def step(
        self, state: GibbsState, rng: np.random.Generator, tuning: bool
    ) -> dict[str, StatValue]:
        effects = self.regression.effects(state.theta, self.index)
        scatter = effects.T @ effects
        cov = state.cov[self.index]
        proposals = accepted = 0
        if self.independence:
            cov, moved = self._independence_move(cov, scatter, rng)
            proposals, accepted = 1, int(moved)
            self._update_walk(moved, tuning)
        if self.walk:
            cov, walked = self._random_walk(cov, scatter, rng, tuning)
            proposals += RANDOM_WALK_STEPS
            accepted += walked
        state.cov[self.index] = cov
        return {self.stat_name: accepted / proposals}
