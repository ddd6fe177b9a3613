"""The thresholds and latent normals of a cumulative probit (ordinal) model.

With P(y ≤ k) = Φ(θ_k − η), row i is the latent variable z_i = η_i + offset_i + ε_i, ε_i ~ N(0, 1),
seen through the thresholds: y_i = k exactly when θ_{k−1} < z_i ≤ θ_k (θ₀ = −∞, θ_K = +∞), since
P(z_i ≤ θ_k) = Φ(θ_k − η_i − offset_i). Given the z the coefficients see a Gaussian response
with unit variance, as in Albert and Chib's (1993) probit sampler (r_i = z_i − offset_i, w_i = 1).

Drawing the thresholds from their full conditional given z (uniforms between the largest z below
and the smallest z above) mixes very slowly: with many rows that interval is tiny. Cowles (1996)
instead moves θ and z together, by Metropolis–Hastings on θ with z integrated out followed by an
exact draw of z given θ:

1. propose θ*_k ~ N(θ_k, s_k²) truncated to (θ*_{k−1}, θ_{k+1}) for k = 1, …, m (m = K − 1), which
   keeps θ* increasing;
2. accept with probability min(1, R),

       log R = Σ_i [log(Φ(θ*_{y_i} − μ_i) − Φ(θ*_{y_i−1} − μ_i)) − (same at θ)]
             + Σ_k [log p(θ*_k) − log p(θ_k)]
             + Σ_k log [Φ((θ_{k+1} − θ_k)/s_k) − Φ((θ*_{k−1} − θ_k)/s_k)]
             − Σ_k log [Φ((θ*_{k+1} − θ*_k)/s_k) − Φ((θ_{k−1} − θ*_k)/s_k)],

   μ_i = η_i + offset_i: the collapsed (z-free) likelihood, the thresholds' prior (the model's
   ``cutpoints`` prior on each entry) and the ratio of the truncated proposals' normalising
   constants (the normal densities cancel). The reverse proposal draws θ_k on
   (θ_{k−1}, θ*_{k+1}), so a proposal with θ*_{k+1} ≤ θ_k for some k cannot be reversed and is
   rejected (R = 0: the support condition the usual statement of the ratio leaves implicit);
3. draw z_i ~ N(μ_i, 1) truncated to (θ_{y_i−1}, θ_{y_i}) at the new θ.

Steps 1–2 are made :data:`METROPOLIS_STEPS` times per sweep (Cowles makes one; given η each extra
step costs one pass over the rows, and three give about twice the thresholds' ESS per second).
The proposal SDs s_k = s·c_k have a common factor s adapted in warm-up towards an acceptance
rate of 0.3 and relative sizes c_k that start at 1/√(0.4·(n_k + n_{k+1}) + 1/σ²) from the rows
next to threshold k (n_k rows in category k; σ the prior scale), about the conditional SD of θ_k,
and follow the thresholds' spread in warm-up from its 50th sweep on (so that the threshold of a
level without rows, which the prior alone bounds above, takes steps as wide as its spread); both
are frozen after warm-up.
The share of accepted proposals of each sweep is recorded as ``accept_cutpoints`` in
``sample_stats``.

The thresholds take the place of the intercept, so with a random intercept per level of a
grouping factor their common location and the mean of that factor's intercepts are told apart
only by the intercepts' prior: the Gibbs sweep, which moves one given the other, crawls along
the direction that shifts both. :class:`ThresholdShiftKernel` moves along it (a generalised
Gibbs move on the additive group, Liu and Sabatti 2000): θ_k → θ_k + c, every level's intercept
u_j → u_j + c and z → z + c, which keeps z − η, hence the data and the latent normals' density.
With Jacobian 1, c's conditional is

    log p(c) = Σ_k log p(θ_k + c) − ½ Σ_j (u_j + c·e)ᵀ Σ⁻¹ (u_j + c·e),

e the intercept's position among the factor's terms; one slice step from c = 0 (its evaluations
recorded as ``shift_evals_<group>``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from bayesml.backends.gibbs.kernels.base import GibbsState, StatValue
from bayesml.backends.gibbs.problem import INTERCEPT_LABEL, GibbsProblem
from bayesml.backends.gibbs.slice_sampling import SliceWidth, slice_step
from bayesml.backends.gibbs.truncated_normal import log_normal_mass, truncated_normal_between
from bayesml.linalg.batched import small_inverse

__all__ = [
    "OrdinalProbitKernel",
    "ThresholdShiftKernel",
    "initial_cutpoints",
    "latent_bounds",
    "propose_cutpoints",
    "shift_groups",
]

TARGET_ACCEPTANCE = 0.3
#: Metropolis–Hastings steps per sweep: given η each costs one pass over the rows; three steps
#: about doubled the thresholds' ESS per CPU second of one (the wine data; 50 and 2000 simulated
#: rows without random effects)
METROPOLIS_STEPS = 3
#: the relative proposal sizes follow the thresholds' spread from this warm-up sweep on ...
SPREAD_START = 50
#: ... updated every so many sweeps
SPREAD_EVERY = 50
#: roughly the Fisher information about a threshold per neighbouring probit row
_INFORMATION_PER_ROW = 0.4
_LOG2 = math.log(2.0)
#: starting thresholds: the empirical cumulative proportions kept this far from 0 and 1 ...
_PROPORTION_FLOOR = 0.5
#: ... and at least this far apart (for levels without rows)
_MIN_GAP = 0.1
#: starting thresholds are shifted by N(0, JITTER²), a different start per chain
JITTER = 0.2


def latent_bounds(codes: np.ndarray, cutpoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's interval (θ_{y−1}, θ_y) for category numbers ``codes`` (1, …, K).

    Examples
    --------
    >>> lower, upper = latent_bounds(np.array([1, 2, 3]), np.array([-0.5, 0.7]))
    >>> lower.tolist(), upper.tolist()
    ([-inf, -0.5, 0.7], [-0.5, 0.7, inf])
    """
    padded = np.concatenate([[-np.inf], cutpoints, [np.inf]])
    return padded[codes - 1], padded[codes]


def _log_normal_mass(low: float, high: float) -> float:
    """log(Φ(high) − Φ(low)) for low < high, from the tail that keeps its digits."""
    if low > 0.0:  # both in the upper tail: 1 − Φ(x) = Φ(−x)
        low, high = -high, -low
    log_high = float(special.log_ndtr(high))
    difference = float(special.log_ndtr(low)) - log_high  # ≤ 0
    if difference > -_LOG2:
        return log_high + math.log(-math.expm1(difference))
    return log_high + math.log1p(-math.exp(difference))


def _standard_normal_between(low: float, high: float, uniform: float) -> float:
    """One N(0, 1) draw on (low, high) by inversion (scalar :func:`standard_normal_between`)."""
    flip = low + high > 0.0
    if flip:
        low, high = -high, -low
    log_high = float(special.log_ndtr(high))
    ratio = math.exp(float(special.log_ndtr(low)) - log_high)
    draw = float(special.ndtri_exp(log_high + math.log(uniform + (1.0 - uniform) * ratio)))
    draw = min(max(draw, low), high)
    return -draw if flip else draw


def propose_cutpoints(
    current: np.ndarray, steps: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, float]:
    """Cowles' joint proposal and the log ratio of its normalising constants, log q(θ|θ*)/q(θ*|θ).

    θ*_k ~ N(θ_k, s_k²) truncated to (θ*_{k−1}, θ_{k+1}), k = 1, …, m, in order (see the module
    text); the normal densities of the forward and the reverse proposals cancel, leaving

        Σ_k log[Φ((θ_{k+1} − θ_k)/s_k) − Φ((θ*_{k−1} − θ_k)/s_k)]
          − log[Φ((θ*_{k+1} − θ*_k)/s_k) − Φ((θ_{k−1} − θ*_k)/s_k)],

    or −∞ when the reverse proposal cannot return to θ: it draws θ_k on (θ_{k−1}, θ*_{k+1}), so
    θ*_{k+1} ≤ θ_k (possible when θ*_k moved far up) makes its density zero.

    Scalar arithmetic: m is small and each entry depends on the one before it.
    """
    theta = [-math.inf, *current.tolist(), math.inf]
    new = list(theta)
    step_list = steps.tolist()
    uniforms = (1.0 - rng.uniform(size=current.size)).tolist()  # in (0, 1]
    log_ratio = 0.0
    for k in range(1, len(theta) - 1):
        step = step_list[k - 1]
        low = (new[k - 1] - theta[k]) / step
        high = (theta[k + 1] - theta[k]) / step
        new[k] = theta[k] + step * _standard_normal_between(low, high, uniforms[k - 1])
        log_ratio += _log_normal_mass(low, high)
    for k in range(1, len(theta) - 1):
        if theta[k] >= new[k + 1]:
            # the reverse proposal of θ_k is truncated to (θ_{k−1}, θ*_{k+1}): it cannot return
            return np.array(new[1:-1]), -math.inf
        step = step_list[k - 1]
        log_ratio -= _log_normal_mass((theta[k - 1] - new[k]) / step, (new[k + 1] - new[k]) / step)
    return np.array(new[1:-1]), log_ratio


def initial_cutpoints(codes: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Increasing starting thresholds: Φ⁻¹ of the cumulative proportions, jittered per chain.

    Levels without rows get thresholds at least ``_MIN_GAP`` apart, so that every interval is
    open.
    """
    counts = np.bincount(codes, minlength=size + 2)[1 : size + 1].astype(float)
    n = float(codes.size)
    cumulative = (np.cumsum(counts) + _PROPORTION_FLOOR) / (n + 2.0 * _PROPORTION_FLOOR)
    start = special.ndtri(cumulative)
    for k in range(1, size):
        start[k] = max(start[k], start[k - 1] + _MIN_GAP)
    return start + JITTER * rng.standard_normal()


class _RunningSpread:
    """Welford's running mean and variance of the thresholds over warm-up sweeps."""

    def __init__(self, size: int) -> None:
        self.sweeps = 0
        self.count = 0
        self.mean = np.zeros(size)
        self.squares = np.zeros(size)

    def add(self, values: np.ndarray) -> None:
        self.count += 1
        delta = values - self.mean
        self.mean += delta / self.count
        self.squares += delta * (values - self.mean)

    def variance(self) -> np.ndarray:
        return self.squares / max(self.count - 1, 1)


class OrdinalProbitKernel:
    """θ by Cowles' Metropolis–Hastings step, then z | θ, η (see the module text)."""

    stat_name = "accept_cutpoints"

    def __init__(self, problem: GibbsProblem) -> None:
        spec = problem.cutpoints
        assert spec is not None
        self.spec = spec
        self.codes = problem.y.astype(np.int64)
        self.offset = problem.offset
        self.n_obs = problem.n_obs
        size = spec.size
        counts = np.bincount(self.codes, minlength=size + 2)[1 : size + 2].astype(float)
        neighbours = counts[:-1] + counts[1:]
        self.relative_steps = 1.0 / np.sqrt(_INFORMATION_PER_ROW * neighbours + 1.0 / spec.scale**2)
        # for m independent directions the best random-walk scale is about 2.4/√m
        self.log_scale = math.log(2.4 / math.sqrt(size))
        self._tuning_steps = 0
        self._spread = _RunningSpread(size)
        self.stats = {self.stat_name: ()}

    @property
    def steps(self) -> np.ndarray:
        """The proposal SDs s_k."""
        return math.exp(self.log_scale) * self.relative_steps

    def init(self, state: GibbsState, rng: np.random.Generator) -> None:
        state.cutpoints = initial_cutpoints(self.codes, self.spec.size, rng)
        state.weights = np.ones(self.n_obs)
        state.weights_changed = True

    def collapsed_log_likelihood(self, cutpoints: np.ndarray, mean: np.ndarray) -> float:
        """Σ_i log(Φ(θ_{y_i} − μ_i) − Φ(θ_{y_i−1} − μ_i)), z integrated out."""
        lower, upper = latent_bounds(self.codes, cutpoints)
        return float(np.sum(log_normal_mass(lower - mean, upper - mean)))

    def move_cutpoints(
        self, cutpoints: np.ndarray, mean: np.ndarray, rng: np.random.Generator, tuning: bool
    ) -> tuple[np.ndarray, float]:
        """:data:`METROPOLIS_STEPS` Metropolis–Hastings steps of θ given μ; the new θ and the
        share of the proposals accepted."""
        current = self.collapsed_log_likelihood(cutpoints, mean) + self.spec.log_density(cutpoints)
        accepted = 0
        for _ in range(METROPOLIS_STEPS):
            proposal, log_proposal_ratio = propose_cutpoints(cutpoints, self.steps, rng)
            value = self.collapsed_log_likelihood(proposal, mean) + self.spec.log_density(proposal)
            accept = bool(math.log(rng.uniform()) < value - current + log_proposal_ratio)
            if accept:
                cutpoints, current = proposal, value
                accepted += 1
            if tuning:
                self._tuning_steps += 1
                rate = 1.0 if accept else 0.0
                self.log_scale += (rate - TARGET_ACCEPTANCE) / math.sqrt(self._tuning_steps)
        if tuning:
            self._adapt_relative_steps(cutpoints)
        return cutpoints, accepted / METROPOLIS_STEPS

    def _adapt_relative_steps(self, cutpoints: np.ndarray) -> None:
        """Relative proposal sizes from the spread of each threshold in warm-up.

        From warm-up sweep ``SPREAD_START`` on the thresholds' running SDs are kept, and every
        ``SPREAD_EVERY`` sweeps the relative sizes c_k are set to them (their geometric mean kept,
        so the common factor s carries on): a threshold the data barely inform (a level without
        rows) gets steps as wide as its spread, not the data-based guess of the start.
        """
        spread = self._spread
        spread.sweeps += 1
        if spread.sweeps < SPREAD_START:
            return
        spread.add(cutpoints)
        if spread.count < SPREAD_EVERY or spread.count % SPREAD_EVERY:
            return
        sd = np.sqrt(spread.variance())
        if not np.all(sd > 0.0):
            return
        log_sd = np.log(sd)
        log_steps = np.log(self.relative_steps)
        self.relative_steps = np.exp(log_sd - log_sd.mean() + log_steps.mean())

    def draw_latent(
        self, cutpoints: np.ndarray, mean: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """z_i ~ N(μ_i, 1) truncated to (θ_{y_i−1}, θ_{y_i})."""
        lower, upper = latent_bounds(self.codes, cutpoints)
        return truncated_normal_between(mean, lower, upper, rng)

    def step(
        self, state: GibbsState, rng: np.random.Generator, tuning: bool
    ) -> dict[str, StatValue]:
        mean = state.eta + self.offset
        state.cutpoints, accepted = self.move_cutpoints(state.cutpoints, mean, rng, tuning)
        latent = self.draw_latent(state.cutpoints, mean, rng)
        state.response_sums = latent - self.offset
        state.latent_sum_squares = float(latent @ latent)
        state.response_changed = True
        return {self.stat_name: float(accepted)}


def shift_groups(problem: GibbsProblem) -> list[int]:
    """The grouping factors of an ordinal model with an intercept on every row (their
    intercepts and the thresholds can shift together)."""
    if problem.cutpoints is None:
        return []
    found = []
    for index, group in enumerate(problem.groups):
        if INTERCEPT_LABEL not in group.term_labels:
            continue
        column = problem.regression.parts[index].term_matrix[
            :, group.term_labels.index(INTERCEPT_LABEL)
        ]
        if np.all(column == 1.0):
            found.append(index)
    return found


class ThresholdShiftKernel:
    """Shift the thresholds, one factor's intercepts and z together (see the module text)."""

    _BOUND = 1e6  # |c| beyond this has no mass worth finding

    def __init__(self, problem: GibbsProblem, index: int) -> None:
        spec = problem.cutpoints
        assert spec is not None
        group = problem.groups[index]
        self.spec = spec
        self.index = index
        self.regression = problem.regression
        self.term = group.term_labels.index(INTERCEPT_LABEL)
        self.levels = float(len(group.levels))
        self.offset_sum = float(problem.offset.sum())
        self.n_obs = float(problem.n_obs)
        self.width = SliceWidth()
        self.stat_name = f"shift_evals_{group.name}"
        self.stats = {self.stat_name: ()}

    def init(self, state: GibbsState, rng: np.random.Generator) -> None:
        pass

    def step(
        self, state: GibbsState, rng: np.random.Generator, tuning: bool
    ) -> dict[str, StatValue]:
        effects = self.regression.effects(state.theta, self.index)
        precision_row = small_inverse(state.cov[self.index])[self.term]
        linear = float(precision_row @ effects.sum(axis=0))  # eᵀ Σ⁻¹ Σ_j u_j
        quadratic = self.levels * float(precision_row[self.term])  # L (Σ⁻¹)_ee
        thresholds, spec = state.cutpoints, self.spec
        bound = self._BOUND

        def log_density(c: float) -> float:
            if not -bound < c < bound:
                return -math.inf
            return spec.log_density(thresholds + c) - c * (linear + 0.5 * quadratic * c)

        shift, evaluations = slice_step(log_density, 0.0, self.width.width, rng)
        self.width.update(0.0, shift, tuning)
        latent_sum = float(state.response_sums.sum()) + self.offset_sum  # Σ z
        effects[:, self.term] += shift
        state.eta = state.eta + shift
        state.cutpoints = thresholds + shift
        state.response_sums = state.response_sums + shift
        state.latent_sum_squares += shift * (2.0 * latent_sum + self.n_obs * shift)
        state.response_changed = True
        return {self.stat_name: float(evaluations)}
