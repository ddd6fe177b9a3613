"""The maximum-likelihood fit: stages of optimisation, then the quantities at the optimum.

* A Gaussian identity-link model: lmer's profiled deviance (ML or REML) over θ alone.
* Any other family: glmer's two stages — first θ and the family parameters with β found with u
  (nAGQ = 0), then (θ, β, family parameters) together on the Laplace or adaptive Gauss–Hermite
  deviance, started where the first stage ended. A family without parameters of its own whose
  second stage has the exact gradient (one grouping factor) starts it from lme4's θ with β at
  the modes there: the first stage would cost more evaluations than it saves.

At the optimum: the fixed effects' covariance (the Hessian-based one of lme4's ``vcov``; σ²
(C⁻¹)_ββ of the penalised system, lme4's R_X one, for a Gaussian model and as the fallback),
the conditional modes b = Λu with their conditional covariances
Λ (ΛᵀZᵀWZΛ + I)⁻¹ Λᵀ (times σ² for a Gaussian response; lme4's ``condVar``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg

from bayesml.backends.laplace.gradient import has_exact_gradient
from bayesml.backends.laplace.modes import Modes
from bayesml.backends.laplace.objective import (
    GaussianDeviance,
    LaplaceDeviance,
    QuadratureDeviance,
)
from bayesml.backends.laplace.optimize import Optimum, minimize_deviance
from bayesml.backends.laplace.problem import MLProblem
from bayesml.backends.laplace.system import MixedSystem, Solved
from bayesml.errors import ConvergenceWarning, warn

__all__ = ["Fitted", "fit_ml"]


@dataclass(frozen=True, eq=False)
class Fitted:
    """The optimum and what is computed there (the raw material of :class:`MLResult`).

    Attributes
    ----------
    theta, beta, parameters
        θ, β and the family parameters by name (σ of a Gaussian response among them).
    free_parameters, free_cov
        The family parameters' free vector (empty for an exact Gaussian fit) and its covariance.
    beta_cov
        Covariance of β.
    effects, effect_covariances
        Conditional modes b per block (levels, k) and their conditional covariances (levels, k, k).
    deviance
        −2 log-likelihood (ML), or the REML criterion.
    eta
        The linear predictor at the optimum.
    evaluations, converged, messages
        Deviance evaluations, whether every stage converged, and the optimiser's messages.
    smooth_cov
        The covariance of (β, the smooth blocks' coefficients b) given θ (:func:`smooth_covariance`;
        0 × 0 without smooth terms).
    """

    theta: np.ndarray
    beta: np.ndarray
    parameters: dict
    free_parameters: np.ndarray
    beta_cov: np.ndarray
    free_cov: np.ndarray
    effects: list[np.ndarray]
    effect_covariances: list[np.ndarray]
    deviance: float
    eta: np.ndarray
    evaluations: int
    converged: bool
    messages: tuple[str, ...]
    sigma: float | None
    smooth_cov: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))


def fit_ml(
    problem: MLProblem,
    *,
    reml: bool = False,
    n_nodes: int = 1,
    tol: float = 1e-10,
    max_evaluations: int = 10_000,
) -> Fitted:
    """Fit ``problem`` by maximum likelihood (REML for a Gaussian model with ``reml``)."""
    if problem.is_exact_gaussian:
        return _fit_gaussian(problem, reml, tol, max_evaluations)
    return _fit_generalized(problem, n_nodes, tol, max_evaluations)


def _fit_gaussian(problem: MLProblem, reml: bool, tol: float, max_evaluations: int) -> Fitted:
    deviance = GaussianDeviance(problem, reml=reml)
    covariance = problem.random.covariance
    settings = {"tol": tol, "max_evaluations": max_evaluations}
    optimum = minimize_deviance(deviance, covariance.start, covariance.lower_bounds, **settings)
    optimum = leave_boundary(problem, deviance, optimum, covariance.lower_bounds, settings)
    solution = deviance.solution(optimum.x)
    factors = covariance.factors(optimum.x)
    sigma = solution.sigma
    beta_cov = sigma**2 * solution.solved.fixed_inverse()
    u_system = MixedSystem(problem.random, None)
    u_solved = u_system.eliminate(u_system.products(problem.prior_weights), factors)
    effects = problem.random.effects(solution.u, factors)
    eta = (
        problem.offset
        + problem.fixed @ solution.beta
        + problem.random.random_part(solution.u, factors)
    )
    _warn_stages([("the profiled deviance", optimum)])
    return Fitted(
        theta=optimum.x,
        beta=solution.beta,
        parameters={"sigma": sigma},
        free_parameters=np.zeros(0),
        beta_cov=beta_cov,
        free_cov=np.zeros((0, 0)),
        effects=effects,
        effect_covariances=_conditional_covariances(u_solved, factors, sigma),
        deviance=solution.deviance,
        eta=eta,
        evaluations=optimum.evaluations,
        converged=optimum.converged,
        messages=(optimum.message,),
        sigma=sigma,
        smooth_cov=smooth_covariance(problem, solution.solved, factors, sigma),
    )


def _fit_generalized(problem: MLProblem, n_nodes: int, tol: float, max_evaluations: int) -> Fitted:
    covariance = problem.random.covariance
    beta_start = problem.start_beta()
    free_start = problem.start_parameters()
    first = LaplaceDeviance(problem, joint=False, beta_start=beta_start)
    start_first = np.concatenate([covariance.start, free_start])
    if n_nodes == 1 and has_exact_gradient(problem) and problem.parameters.size == 0:
        # an exact-gradient stage over (θ, β) alone needs no more than β at the modes of lme4's
        # start θ (with family parameters, the first stage keeps θ from a boundary start)
        stage1 = Optimum(start_first, first(start_first), 1, True, "start of the second stage")
    else:
        lower_first = np.concatenate([covariance.lower_bounds, np.full(free_start.size, -np.inf)])
        stage1 = minimize_deviance(
            first, start_first, lower_first, tol=tol, max_evaluations=max_evaluations
        )
    theta1, _, free1 = first.split(stage1.x)
    beta1 = first.modes(stage1.x).beta
    if n_nodes == 1:
        second = LaplaceDeviance(problem, joint=True, beta_start=beta1, warm=first.warm)
    else:
        second = QuadratureDeviance(
            problem, joint=True, beta_start=beta1, warm=first.warm, n_nodes=n_nodes
        )
    start = np.concatenate([theta1, beta1, free1])
    lower = np.concatenate(
        [covariance.lower_bounds, np.full(problem.n_fixed + free1.size, -np.inf)]
    )
    exact = second.value_and_gradient if second.has_gradient else None
    settings = {"tol": tol, "max_evaluations": max_evaluations, "value_and_gradient": exact}
    stage2 = minimize_deviance(second, start, lower, **settings)
    stage2 = leave_boundary(problem, second, stage2, lower, settings)
    _warn_stages([("the first stage (nAGQ = 0)", stage1), ("the second stage", stage2)])
    theta, beta, free = second.split(stage2.x)
    beta_cov, free_cov = _covariances(problem, second, stage2.x, covariance.diagonal)
    modes = second.modes(stage2.x)
    if not modes.converged:
        warn(
            "maximum likelihood: the conditional modes of the random effects at the optimum did "
            "not converge; the estimates cannot be trusted (check the model and the data)",
            ConvergenceWarning,
        )
    values = problem.parameters.values(free)
    fitted = _generalized_fitted(
        problem, theta, beta, values, free, modes, stage1, stage2, (beta_cov, free_cov)
    )
    if not any(block.shared for block in covariance.blocks):
        return fitted
    joint, _, curvature = problem.linearised(
        MixedSystem(problem.random, problem.fixed), modes.eta, values
    )
    factors = covariance.factors(theta)
    joint_solved = joint.eliminate(joint.products(curvature), factors)
    return dataclasses.replace(
        fitted, smooth_cov=smooth_covariance(problem, joint_solved, factors, 1.0)
    )


def smooth_covariance(
    problem: MLProblem, solved: Solved, factors: list[np.ndarray], scale: float
) -> np.ndarray:
    """The covariance of (β, every smooth block's coefficients b) given θ: that block of
    scale² · diag(I, Λ) C⁻¹ diag(I, Λ)ᵀ, C the joint penalised system in (u, β) at the modes
    (curvature weights; the prior weights for a Gaussian model, scale = σ).

    This is mgcv's Bayesian covariance ``Vp`` of a GAMM's smooth coefficients as gamm4 computes
    it, conditional on the smoothing parameters: the other random effects (``(1 | g)``) are
    integrated out by the elimination (the Schur complement of their block). Rows and columns:
    β in X's order, then each smooth block's coefficients in design order (``b1``, …, ``br``;
    per category, term by term with the category inner, for a categorical model). 0 × 0 without
    smooth blocks.
    """
    blocks = problem.random.covariance.blocks
    columns = problem.random.columns
    shared = [j for j, block in enumerate(blocks) if block.shared]
    if not shared:
        return np.zeros((0, 0))
    p = problem.n_fixed
    sizes = [columns[j].n_columns for j in shared]
    size = p + sum(sizes)
    inverse = np.empty((size, size))
    targets = [(None, i) for i in range(p)] + [
        (j, i) for j, m in zip(shared, sizes, strict=True) for i in range(m)
    ]
    for position, (block, entry) in enumerate(targets):
        rhs_u = [np.zeros((c.n_levels, c.n_terms)) for c in columns]
        rhs_beta = np.zeros(p)
        if block is None:
            rhs_beta[entry] = 1.0
        else:
            rhs_u[block].reshape(-1)[entry] = 1.0
        u, beta = solved.solve(rhs_u, rhs_beta)
        parts = [np.zeros(0) if beta is None else beta] + [u[j].reshape(-1) for j in shared]
        inverse[:, position] = np.concatenate(parts)
    scaling = scipy.linalg.block_diag(
        np.eye(p), *[np.kron(np.eye(columns[j].n_levels), factors[j]) for j in shared]
    )
    covariance = scale**2 * scaling @ inverse @ scaling.T
    return 0.5 * (covariance + covariance.T)


#: the values a diagonal θ entry at its bound is tried at (lme4's θ: an SD relative to σ)
BOUNDARY_TRIALS = (0.01, 0.03, 0.1, 0.3, 1.0)


def leave_boundary(
    problem: MLProblem, deviance, optimum: Optimum, lower: np.ndarray, settings: dict
) -> Optimum:
    """Leave the diagonal θ entries at their bound 0 where the deviance is lower inside, and
    keep the better optimum.

    With lme4's relative Cholesky factors, a diagonal entry at 0 is a constrained stationary
    point: the deviance depends on it through its square (an SD enters as its variance), and on
    the entries below it only at second order there, so its gradient is 0 and a quasi-Newton
    run that reaches the bound stays, possibly at a worse point than the interior optimum.
    L-BFGS-B's first step has length 1 and is projected onto the bounds, so from θ = 1 it lands
    on 0 whenever the deviance there is below the start's (a balanced one-way model with a
    clear group effect was fitted with SD 0). The entries at 0 are tried together at
    :data:`BOUNDARY_TRIALS`; where one is below the optimum's deviance the stage is rerun from
    the best (the deviance at 0 is then above the start's, so the first step does not go back
    there), else the fit is genuinely singular and kept as it is.
    """
    at_bound, start = np.zeros(optimum.x.size, dtype=bool), 0
    for block in problem.random.covariance.blocks:
        rows, columns = block.positions
        entries = optimum.x[start : start + block.n_theta]
        # a smooth's shared block: one θ per category, each an SD
        diagonal = np.ones(block.n_theta, dtype=bool) if block.shared else rows == columns
        at_bound[start : start + block.n_theta] = diagonal & (entries <= 1e-8)
        start += block.n_theta
    if not at_bound.any():
        return optimum
    best, best_deviance, evaluations = None, optimum.deviance, 0
    for value in BOUNDARY_TRIALS:
        trial = optimum.x.copy()
        trial[at_bound] = value
        evaluations += 1
        trial_deviance = float(deviance(trial))
        if np.isfinite(trial_deviance) and trial_deviance < best_deviance:
            best, best_deviance = trial, trial_deviance
    tolerance = 1e-9 * (1.0 + abs(optimum.deviance))
    if best is None or best_deviance >= optimum.deviance - tolerance:
        return Optimum(
            optimum.x,
            optimum.deviance,
            optimum.evaluations + evaluations,
            optimum.converged,
            optimum.message,
        )
    retry = minimize_deviance(deviance, best, lower, **settings)
    better = retry.deviance < optimum.deviance - tolerance
    chosen = retry if better else optimum
    return Optimum(
        chosen.x,
        chosen.deviance,
        optimum.evaluations + evaluations + retry.evaluations,
        chosen.converged,
        chosen.message,
    )


def _covariances(problem, deviance, x, diagonal) -> tuple[np.ndarray, np.ndarray]:
    """Cov(β) as lme4's ``vcov`` (``use.hessian = TRUE``): the β block of 2 H⁻¹, H the
    finite-difference Hessian of the deviance in (θ, β, family parameters), so that it allows
    for the estimated θ; θ entries at their bound 0 (a singular fit) held fixed. And the
    covariance of the family parameters' free vector, its block of 2 H⁻¹ (NaN without H).
    Falls back, with a warning, to (C⁻¹)_ββ of the penalised system (lme4's R_X) when H is not
    positive definite."""
    n_theta, p = problem.random.covariance.size, problem.n_fixed
    free = np.ones(x.size, dtype=bool)
    free[:n_theta] = ~(diagonal & (x[:n_theta] <= 1e-8))
    if deviance.has_gradient:
        hessian = gradient_difference_hessian(deviance.value_and_gradient, x, free)
    else:
        hessian = finite_difference_hessian(deviance, x, free)
    beta_positions = np.arange(n_theta, n_theta + p) - int(np.sum(~free[:n_theta]))
    family_positions = np.arange(int(np.sum(free[:n_theta])) + p, int(np.sum(free)))
    try:
        inverse = np.linalg.inv(hessian)
        covariance = inverse + inverse.T
        beta_cov = covariance[np.ix_(beta_positions, beta_positions)]
        np.linalg.cholesky(beta_cov)
        return beta_cov, covariance[np.ix_(family_positions, family_positions)]
    except np.linalg.LinAlgError:
        warn(
            "the finite-difference Hessian of the deviance is not positive definite: the fixed "
            "effects' standard errors come from the penalised system at the modes (lme4's "
            "R_X), which treats θ as known",
            ConvergenceWarning,
        )
    theta, beta, free_values = deviance.split(x)
    values = problem.parameters.values(free_values)
    modes = deviance.modes(x)
    factors = problem.random.covariance.factors(theta)
    joint, _, curvature = problem.linearised(
        MixedSystem(problem.random, problem.fixed), modes.eta, values
    )
    beta_cov = joint.eliminate(joint.products(curvature), factors).fixed_inverse()
    return beta_cov, np.full((free_values.size, free_values.size), np.nan)


def gradient_difference_hessian(value_and_gradient, x: np.ndarray, free: np.ndarray) -> np.ndarray:
    """Hessian from central differences of the exact gradient in the ``free`` coordinates
    (symmetrised), steps 1e-4 · max(1, |xᵢ|)."""
    index = np.flatnonzero(free)
    rows = []
    for position in index:
        step = 1e-4 * max(1.0, abs(x[position]))
        up, down = x.copy(), x.copy()
        up[position] += step
        down[position] -= step
        rows.append((value_and_gradient(up)[1] - value_and_gradient(down)[1])[index] / (2 * step))
    hessian = np.array(rows)
    return 0.5 * (hessian + hessian.T)


def finite_difference_hessian(function, x: np.ndarray, free: np.ndarray) -> np.ndarray:
    """Central-difference Hessian of ``function`` at ``x`` in the ``free`` coordinates
    (steps 1e-4 · max(1, |xᵢ|), lme4's ``deriv12`` step)."""
    index = np.flatnonzero(free)
    steps = 1e-4 * np.maximum(1.0, np.abs(x[index]))
    centre = function(x)
    size = index.size
    hessian = np.empty((size, size))

    def at(offsets: dict[int, float]) -> float:
        point = x.copy()
        for position, offset in offsets.items():
            point[index[position]] += offset
        return function(point)

    for a in range(size):
        h = steps[a]
        hessian[a, a] = (at({a: h}) - 2.0 * centre + at({a: -h})) / h**2
        for b in range(a):
            g = steps[b]
            value = (
                at({a: h, b: g}) - at({a: h, b: -g}) - at({a: -h, b: g}) + at({a: -h, b: -g})
            ) / (4.0 * h * g)
            hessian[a, b] = hessian[b, a] = value
    return hessian


def _generalized_fitted(problem, theta, beta, values, free, modes: Modes, stage1, stage2, covs):
    beta_cov, free_cov = covs
    factors = problem.random.covariance.factors(theta)
    return Fitted(
        theta=theta,
        beta=beta,
        parameters=values,
        free_parameters=free,
        beta_cov=beta_cov,
        free_cov=free_cov,
        effects=problem.random.effects(modes.u, factors),
        effect_covariances=_conditional_covariances(modes.solved, factors, 1.0),
        deviance=stage2.deviance,
        eta=modes.eta,
        evaluations=stage1.evaluations + stage2.evaluations,
        converged=stage1.converged and stage2.converged and modes.converged,
        messages=(stage1.message, stage2.message),
        sigma=None,
    )


def _conditional_covariances(solved, factors, sigma: float) -> list[np.ndarray]:
    """σ² T (H⁻¹)_l Tᵀ of every level of every block, H = ΛᵀZᵀWZΛ + I (u-only system)."""
    design = solved.design
    elimination = solved.elimination
    inverse_blocks: list[np.ndarray | None] = [None] * len(design.columns)
    inverse_blocks[design.eliminated] = elimination.level_inverse_blocks
    rest_inverse = elimination.schur_inverse
    start = 0
    for j in design.others:
        columns = design.columns[j]
        k, levels = columns.n_terms, columns.n_levels
        size = columns.n_columns
        block = rest_inverse[start : start + size, start : start + size]
        inverse_blocks[j] = np.stack(
            [block[i * k : (i + 1) * k, i * k : (i + 1) * k] for i in range(levels)]
        )
        start += size
    return [
        sigma**2 * np.matmul(np.matmul(factor, inverse), factor.T)
        for factor, inverse in zip(factors, inverse_blocks, strict=True)
    ]


def _warn_stages(stages: list[tuple[str, Optimum]]) -> None:
    for name, optimum in stages:
        if not optimum.converged:
            warn(
                f"maximum likelihood: {name} did not converge ({optimum.message}; "
                f"{optimum.evaluations} deviance evaluations); the estimates may not be the "
                "maximum: check them, or raise max_evaluations",
                ConvergenceWarning,
            )
