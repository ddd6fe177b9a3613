"""One chain of the Gibbs sampler: the kernels of a problem composed into a sweep, and the run.

A sweep updates, in order: the latent variables (probit z or logit ω; for an ordinal probit
model the thresholds, by Cowles' Metropolis–Hastings step, and then z), the coefficients (β and all
u in one block), the λ of t/Cauchy coefficient priors, the residual SD, then each group's SDs or
covariance followed by its parameter-expansion moves (a scale move per term, one for all the terms
of a smooth's block, whose terms share one SD; shear moves between correlated terms; made or not as :mod:`.kernels.expansion_choice` decides) and, for a probit or
ordinal probit model, the scale move of the latent variables. Warm-up (``tune``) sweeps adapt the slice widths,
the Metropolis step sizes and the choice of expansion moves, and are discarded; after them every
``thin``-th sweep is kept.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from bayesml.backends.gibbs.kernels import (
    CoefficientKernel,
    CoefficientMixingKernel,
    ExpansionChoice,
    ExpansionSetting,
    GibbsState,
    GroupExpansionKernel,
    GroupVarianceKernel,
    InverseWishartKernel,
    Kernel,
    LatentProbitKernel,
    LatentScaleKernel,
    LKJCovarianceKernel,
    OrdinalProbitKernel,
    PolyaGammaKernel,
    ResidualVarianceKernel,
    ScaleExpansionKernel,
    ShearExpansionKernel,
)
from bayesml.backends.gibbs.kernels.ordinal import ThresholdShiftKernel, shift_groups
from bayesml.backends.gibbs.problem import (
    LATENT_NORMAL_LIKELIHOODS,
    ORDINAL_PROBIT,
    GibbsProblem,
)

__all__ = [
    "COVARIANCE_KERNELS",
    "LATENT_KERNELS",
    "ChainTrace",
    "GibbsSampler",
    "SamplerOptions",
    "run_chain",
]

#: likelihood -> kernel of its latent variables
LATENT_KERNELS: dict[str, Callable[[GibbsProblem], Kernel]] = {
    "probit": LatentProbitKernel,
    "logit": PolyaGammaKernel,
    ORDINAL_PROBIT: OrdinalProbitKernel,
}

#: covariance prior -> kernel of a correlated group's covariance matrix
COVARIANCE_KERNELS: dict[str, Callable[[GibbsProblem, int], Kernel]] = {
    "inverse_wishart": InverseWishartKernel,
    "lkj": LKJCovarianceKernel,
}

#: starting values are multiplied by exp(U(−JITTER, JITTER)), a different start per chain
JITTER = 1.0


@dataclass(frozen=True)
class SamplerOptions:
    """Choices of the sweep that do not change the posterior.

    Attributes
    ----------
    expansion
        The parameter-expansion moves (better mixing of the SDs, correlations and, for probit
        models, of the intercept): ``"auto"`` chooses those of each group in warm-up
        (:mod:`~bayesml.backends.gibbs.kernels.expansion_choice`) and always makes the probit
        move; ``True`` makes them all, ``False`` none.
    dense_limit
        Largest number of coefficients factorised densely (``None``: the solver's default).
    """

    expansion: ExpansionSetting = "auto"
    dense_limit: int | None = None


class GibbsSampler:
    """The kernels of one problem, composed into a sweep.

    ``tune`` (the chain's warm-up sweeps) tells the expansion choices how long they may compare.
    """

    def __init__(
        self, problem: GibbsProblem, options: SamplerOptions = SamplerOptions(), *, tune: int = 0
    ) -> None:
        self.problem = problem
        self.expansion: list[GroupExpansionKernel] = []
        kernels: list[Kernel] = []
        if problem.likelihood in LATENT_KERNELS:
            kernels.append(LATENT_KERNELS[problem.likelihood](problem))
        kernels.append(CoefficientKernel(problem, dense_limit=options.dense_limit))
        if problem.coefficients.mixed.size:
            kernels.append(CoefficientMixingKernel(problem))
        if problem.has_residual_sd:
            kernels.append(ResidualVarianceKernel(problem))
        for index, group in enumerate(problem.groups):
            if group.correlated:
                kernels.append(COVARIANCE_KERNELS[group.cov_prior.dist](problem, index))
            else:
                kernels.append(GroupVarianceKernel(problem, index))
            moves: list[Kernel] = [ScaleExpansionKernel(problem, index)]
            if group.correlated and group.k >= 2:
                moves.append(ShearExpansionKernel(problem, index))
            choice = GroupExpansionKernel(
                moves, index, group.name, group.correlated, setting=options.expansion, tune=tune
            )
            self.expansion.append(choice)
            kernels.append(choice)
        if options.expansion is not False:
            kernels.extend(ThresholdShiftKernel(problem, index) for index in shift_groups(problem))
        if options.expansion is not False and problem.likelihood in LATENT_NORMAL_LIKELIHOODS:
            kernels.append(LatentScaleKernel(problem))
        self.kernels = tuple(kernels)

    @property
    def stats(self) -> dict[str, tuple[str, ...]]:
        """Every statistic the sweep records: name -> extra dims."""
        merged: dict[str, tuple[str, ...]] = {}
        for kernel in self.kernels:
            merged.update(kernel.stats)
        return merged

    def initial_state(self, rng: np.random.Generator) -> GibbsState:
        """Zero coefficients and variances of the data's scale, jittered per chain."""
        problem = self.problem
        regression = problem.regression
        if problem.has_residual_sd:
            response = problem.y - problem.offset
            spread = float(np.var(response)) or 1.0
            weights = np.ones(problem.n_obs) if problem.weights is None else problem.weights.copy()
            response_sums = weights * response
        else:
            spread = 1.0
            weights = problem.trials.copy()
            response_sums = np.zeros(problem.n_obs)
        sigma2 = 0.5 * spread * float(np.exp(rng.uniform(-JITTER, JITTER)))
        cov = []
        for part in regression.parts:
            mean_square = np.maximum(np.mean(part.term_matrix**2, axis=0), 1e-12)
            jitter = np.exp(rng.uniform(-JITTER, JITTER, size=part.n_terms))
            cov.append(np.diag(0.5 * spread / mean_square * jitter))
        return GibbsState(
            theta=np.zeros(regression.dim),
            eta=np.zeros(problem.n_obs),
            sigma2=sigma2 if problem.has_residual_sd else 1.0,
            cov=cov,
            coef_mixing=np.ones(regression.p),
            data_precision=1.0 / sigma2 if problem.has_residual_sd else 1.0,
            response_sums=response_sums,
            weights=weights,
        )

    def init(self, rng: np.random.Generator) -> GibbsState:
        """The starting state, completed by every kernel."""
        state = self.initial_state(rng)
        for kernel in self.kernels:
            kernel.init(state, rng)
        return state

    def sweep(self, state: GibbsState, rng: np.random.Generator, tuning: bool) -> dict:
        """One pass of every kernel; the statistics they report."""
        stats: dict = {}
        for kernel in self.kernels:
            stats.update(kernel.step(state, rng, tuning))
        return stats


@dataclass
class ChainTrace:
    """The kept draws of one chain.

    Attributes
    ----------
    theta
        (draws, dim): sampled coefficients and effects.
    sigma
        (draws,): residual SD (Gaussian), else ``None``.
    cov
        One (draws, k, k) array per group.
    cutpoints
        (draws, m): the thresholds of an ordinal model, else ``None``.
    stats
        Statistic name -> (draws, ...) array (averaged over the sweeps between kept draws).
    stat_dims
        Statistic name -> its dims besides chain and draw.
    expansion
        Each group's choice of expansion moves for the kept draws, in the problem's group order.
    """

    theta: np.ndarray
    sigma: np.ndarray | None
    cov: list[np.ndarray]
    cutpoints: np.ndarray | None = None
    stats: dict[str, np.ndarray] = field(default_factory=dict)
    stat_dims: dict[str, tuple[str, ...]] = field(default_factory=dict)
    expansion: list[ExpansionChoice] = field(default_factory=list)


def _empty_trace(sampler: GibbsSampler, draws: int) -> ChainTrace:
    problem = sampler.problem
    sizes = {f"{group.name}__term": group.k for group in problem.groups}
    shapes = {name: (draws, *(sizes[dim] for dim in dims)) for name, dims in sampler.stats.items()}
    return ChainTrace(
        theta=np.empty((draws, problem.regression.dim)),
        sigma=np.empty(draws) if problem.has_residual_sd else None,
        cov=[np.empty((draws, group.k, group.k)) for group in problem.groups],
        cutpoints=None if problem.cutpoints is None else np.empty((draws, problem.cutpoints.size)),
        stats={name: np.zeros(shape) for name, shape in shapes.items()},
        stat_dims=dict(sampler.stats),
    )


def run_chain(
    problem: GibbsProblem,
    seed: np.random.SeedSequence,
    *,
    draws: int,
    tune: int,
    thin: int = 1,
    options: SamplerOptions = SamplerOptions(),
    progress: Callable[[int], None] | None = None,
    report_every: int = 50,
) -> ChainTrace:
    """Run one chain: ``tune`` warm-up sweeps, then ``draws`` kept sweeps, every ``thin``-th.

    Parameters
    ----------
    problem
        From :func:`~bayesml.backends.gibbs.problem.build_problem`.
    seed
        The chain's seed; the same seed gives the same draws.
    draws, tune, thin
        Kept draws, warm-up sweeps and the thinning interval (``tune + draws·thin`` sweeps).
    options
        Sweep options.
    progress
        Called with the number of sweeps done since its last call.
    report_every
        Sweeps between progress calls.
    """
    with _one_blas_thread(), _no_cyclic_gc():
        return _run(problem, seed, draws, tune, thin, options, progress, report_every)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a chain runs.

    A sweep allocates many small objects and no reference cycles; with a large heap (pandas,
    xarray and scipy loaded) the collector's passes would otherwise take a third of the time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Chains run side by side, one per core: threaded BLAS would only oversubscribe the cores
    (a 172 × 172 Cholesky factorisation takes 0.16 ms on one thread and over 2 ms on two busy
    ones)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - installed with PyMC
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _run(problem, seed, draws, tune, thin, options, progress, report_every) -> ChainTrace:
    rng = np.random.Generator(np.random.PCG64(seed))
    sampler = GibbsSampler(problem, options, tune=tune)
    state = sampler.init(rng)
    trace = _empty_trace(sampler, draws)
    pending = 0

    def advance() -> None:
        nonlocal pending
        pending += 1
        if progress is not None and pending >= report_every:
            progress(pending)
            pending = 0

    for _ in range(tune):
        sampler.sweep(state, rng, tuning=True)
        advance()
    for draw in range(draws):
        for _ in range(thin):
            stats = sampler.sweep(state, rng, tuning=False)
            for name, value in stats.items():
                trace.stats[name][draw] += np.asarray(value) / thin
            advance()
        trace.theta[draw] = state.theta
        if trace.sigma is not None:
            trace.sigma[draw] = np.sqrt(state.sigma2)
        for store, cov in zip(trace.cov, state.cov, strict=True):
            store[draw] = cov
        if trace.cutpoints is not None:
            trace.cutpoints[draw] = state.cutpoints
    if progress is not None and pending:
        progress(pending)
    trace.expansion = [kernel.decide() for kernel in sampler.expansion]
    return trace
