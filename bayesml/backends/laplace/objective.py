"""The deviances (−2 log-likelihood) a maximum-likelihood fit minimises.

* :class:`GaussianDeviance` — a Gaussian response with the identity link: the exact profiled
  deviance of lmer as a function of θ alone (β and σ profiled out; ML or REML), from cross
  products formed once.
* :class:`LaplaceDeviance` — −2 times the Laplace approximation of the marginal log-likelihood,

      Σᵢ ℓᵢ(η̂) − ½‖û‖² − ½ log det(ΛᵀZᵀWZΛ + I),

  at the conditional modes (:func:`~bayesml.backends.laplace.modes.conditional_modes`); either over
  (θ, family parameters) with β found with u (glmer's first stage, ``nAGQ = 0``) or over
  (θ, β, family parameters) with u alone at its mode (``nAGQ = 1``).
* :class:`QuadratureDeviance` — one grouping factor: each level's integral by adaptive
  Gauss–Hermite quadrature, the product rule in k ≤ 3 dimensions, centred at the level's mode and
  scaled by the Cholesky factor of its curvature. One node is the Laplace approximation.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from scipy.special import logsumexp

from bayesml.backends.laplace.gradient import has_exact_gradient, laplace_gradient
from bayesml.backends.laplace.modes import Modes, conditional_modes
from bayesml.backends.laplace.problem import MLProblem
from bayesml.backends.laplace.system import MixedSystem, Solved

__all__ = ["GaussianDeviance", "LaplaceDeviance", "QuadratureDeviance", "hermite_grid"]

_LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass(eq=False)
class GaussianSolution:
    """The profiled Gaussian fit at one θ: u, β, σ and the system."""

    u: list[np.ndarray]
    beta: np.ndarray
    sigma: float
    deviance: float
    solved: Solved


class GaussianDeviance:
    """lmer's profiled deviance (or REML criterion) of a Gaussian identity-link model.

    For weights w (prior weights), c = Aᵀ W (y − offset) and the penalised residual sum of squares
    r²(θ) = (y−o)ᵀW(y−o) − cᵀx at x = C⁻¹c:

        ML:   log det H_u + n (1 + log(2π r²/n)) − Σ log wᵢ
        REML: log det H_u + log det R_X² + (n − p)(1 + log(2π r²/(n − p))) − Σ log wᵢ
    """

    def __init__(self, problem: MLProblem, *, reml: bool) -> None:
        self.problem = problem
        self.reml = reml
        self.system = MixedSystem(problem.random, problem.fixed)
        weights = problem.prior_weights
        response = problem.y - problem.offset
        self.cross = self.system.products(weights)
        self.rhs_u, self.rhs_beta = self.system.transpose_times(weights * response)
        self.total = float(np.sum(weights * response**2))
        self.log_weights = float(np.sum(np.log(weights)))

    @property
    def degrees(self) -> int:
        """n (ML) or n − p (REML)."""
        return self.problem.n_obs - (self.problem.n_fixed if self.reml else 0)

    def solution(self, theta: np.ndarray) -> GaussianSolution:
        """u, β, σ and the deviance at θ."""
        factors = self.problem.random.covariance.factors(theta)
        solved = self.system.eliminate(self.cross, factors)
        rhs_u = self.system.scale_gradient(self.rhs_u, factors)
        u, beta = solved.solve(rhs_u, self.rhs_beta)
        fitted = sum(float(np.sum(r * x)) for r, x in zip(rhs_u, u, strict=False)) + float(
            self.rhs_beta @ beta
        )
        residual = max(self.total - fitted, 1e-300)
        degrees = self.degrees
        deviance = solved.logdet_random() + degrees * (1.0 + np.log(2 * np.pi * residual / degrees))
        if self.reml:
            deviance += solved.logdet_fixed()
        sigma = float(np.sqrt(residual / degrees))
        return GaussianSolution(u, beta, sigma, float(deviance - self.log_weights), solved)

    def __call__(self, theta: np.ndarray) -> float:
        return self.solution(theta).deviance


@dataclass(eq=False)
class _WarmStart:
    """The last modes, where the next evaluation starts its Newton steps."""

    u: list[np.ndarray] | None = None
    beta: np.ndarray | None = None


@dataclass(eq=False)
class LaplaceDeviance:
    """−2 × the Laplace approximation; ``joint`` decides what the vector holds.

    ``joint=False``: x = (θ, free family parameters), β at its mode with u (glmer's nAGQ = 0).
    ``joint=True``: x = (θ, β, free family parameters), u alone at its mode (nAGQ = 1).
    """

    problem: MLProblem
    joint: bool
    beta_start: np.ndarray
    warm: _WarmStart = field(default_factory=_WarmStart)
    evaluations: int = 0

    def __post_init__(self) -> None:
        self.system = MixedSystem(self.problem.random, None if self.joint else self.problem.fixed)

    def split(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """(θ, β or None, free family parameters) from the vector."""
        n_theta = self.problem.random.covariance.size
        if not self.joint:
            return x[:n_theta], None, x[n_theta:]
        p = self.problem.n_fixed
        return x[:n_theta], x[n_theta : n_theta + p], x[n_theta + p :]

    def modes(self, x: np.ndarray) -> Modes:
        """The conditional modes at x (warm-started from the previous evaluation's)."""
        theta, beta, free = self.split(x)
        values = self.problem.parameters.values(free)
        factors = self.problem.random.covariance.factors(theta)
        start_beta = (
            beta
            if beta is not None
            else (self.warm.beta if self.warm.beta is not None else self.beta_start)
        )
        modes = conditional_modes(
            self.problem, self.system, factors, start_beta, values, self.warm.u,
            warn_unconverged=False,
        )  # fmt: skip
        if modes.converged and np.all(np.isfinite(modes.eta)):
            self.warm = _WarmStart([block.copy() for block in modes.u], modes.beta.copy())
        return modes

    def __call__(self, x: np.ndarray) -> float:
        modes = self.evaluated_modes(x)
        return np.inf if modes is None else self.value(modes, x)

    def evaluated_modes(self, x: np.ndarray) -> Modes | None:
        """The modes at x for one deviance evaluation (counted); None where they were not found
        (a singular system, or Newton steps that did not converge): no value to trust there."""
        self.evaluations += 1
        try:
            modes = self.modes(x)
        except np.linalg.LinAlgError:
            return None
        return modes if modes.converged else None

    def value(self, modes: Modes, x: np.ndarray) -> float:
        """The deviance at the modes of x: −2 Σℓ + ‖û‖² + log det H (+∞ if not finite)."""
        value = -2.0 * modes.log_likelihood + modes.penalty + modes.solved.logdet_random()
        return float(value) if np.isfinite(value) else np.inf

    @property
    def has_gradient(self) -> bool:
        """Whether :meth:`value_and_gradient` is exact in (θ, β) (one grouping factor, joint)."""
        return self.joint and has_exact_gradient(self.problem)

    def value_and_gradient(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """The deviance and its gradient: exact in (θ, β)
        (:func:`~bayesml.backends.laplace.gradient.laplace_gradient`), central differences in
        the family parameters."""
        modes = self.evaluated_modes(x)
        value = np.inf if modes is None else self.value(modes, x)
        if not np.isfinite(value):
            return np.inf, np.zeros_like(x)
        theta, _, free = self.split(x)
        values = self.problem.parameters.values(free)
        grad_theta, grad_beta = laplace_gradient(self.problem, modes, theta, values)
        gradient = np.concatenate([grad_theta, grad_beta, np.zeros(free.size)])
        start = x.size - free.size
        for position in range(start, x.size):
            step = 1e-5 * max(1.0, abs(x[position]))
            up, down = x.copy(), x.copy()
            up[position] += step
            down[position] -= step
            gradient[position] = (self(up) - self(down)) / (2.0 * step)
        self.modes(x)  # the warm start back at x
        return value, gradient


def hermite_grid(n_nodes: int, dimension: int) -> tuple[np.ndarray, np.ndarray]:
    """The product Gauss–Hermite rule for weight exp(−‖x‖²): nodes (n^d, d), log weights."""
    nodes, weights = np.polynomial.hermite.hermgauss(n_nodes)
    grid = np.array(list(itertools.product(nodes, repeat=dimension)))
    log_weights = np.array(
        [np.sum(np.log(w)) for w in itertools.product(weights, repeat=dimension)]
    )
    return grid, log_weights


@dataclass(eq=False)
class QuadratureDeviance(LaplaceDeviance):
    """−2 × the adaptive Gauss–Hermite approximation (one grouping factor, k ≤ 3 terms).

    Level l's integral ∫ exp(hₗ(u)) (2π)^(−k/2) du, hₗ(u) = Σ_{i in l} ℓᵢ − ½‖u‖², is, with the
    curvature Hₗ = Fₗ Fₗᵀ at the mode ûₗ and the rule (xⱼ, wⱼ) for exp(−‖x‖²),

        2^(k/2) det(Fₗ)⁻¹ (2π)^(−k/2) Σⱼ wⱼ exp(‖xⱼ‖² + hₗ(ûₗ + √2 Fₗ⁻ᵀ xⱼ)).
    """

    n_nodes: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        k = self.problem.random.columns[0].n_terms
        self.grid, self.log_weights = hermite_grid(self.n_nodes, k)

    @property
    def has_gradient(self) -> bool:
        """No exact gradient: the quadrature's deviance is differenced."""
        return False

    def value(self, modes: Modes, x: np.ndarray) -> float:
        """−2 Σ over levels of the log of each level's quadrature (+∞ if not finite)."""
        theta, _, free = self.split(x)
        values = self.problem.parameters.values(free)
        value = -2.0 * float(np.sum(self.level_log_integrals(modes, theta, values)))
        return value if np.isfinite(value) else np.inf

    def level_log_integrals(self, modes: Modes, theta: np.ndarray, values: dict) -> np.ndarray:
        """log of each level's integral."""
        problem = self.problem
        columns = problem.random.columns[0]
        factor = problem.random.covariance.factors(theta)[0]
        factor_inverse = modes.solved.elimination.factor_inverse  # F⁻¹, (L, k, k)
        k = columns.n_terms
        mode = modes.u[0]
        random_part = columns.times(mode @ factor.T)
        fixed_part = modes.eta - random_part
        terms = np.empty((columns.n_levels, len(self.log_weights)))
        for j, node in enumerate(self.grid):
            shift = np.sqrt(2.0) * np.einsum("lba,b->la", factor_inverse, node)  # F⁻ᵀ x
            u = mode + shift
            eta = fixed_part + columns.times(u @ factor.T)
            rows = problem.log_likelihood(eta, values)
            levels = np.bincount(
                problem.row_levels(columns), weights=rows, minlength=columns.n_levels
            )
            terms[:, j] = levels - 0.5 * np.sum(u**2, axis=1) + float(node @ node)
        log_det_inverse = np.sum(np.log(np.einsum("laa->la", factor_inverse)), axis=1)
        constant = 0.5 * k * np.log(2.0) - 0.5 * k * _LOG_2PI
        return constant + log_det_inverse + logsumexp(terms + self.log_weights, axis=1)
