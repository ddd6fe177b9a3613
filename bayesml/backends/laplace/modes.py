"""Conditional modes of the spherical random effects u (and of β when it is not held fixed).

At given θ and family parameters, the mode maximises the penalised log-likelihood

    Q(u, β) = Σᵢ ℓᵢ(ηᵢ) − ½ ‖u‖²,   η = offset + Xβ + ZΛu,

by Newton steps (penalised IRLS, lme4's PIRLS) with step halving: the curvature is the family's
(:meth:`MLProblem.derivatives`), so for glmer's families each step is a Fisher-scoring (IRLS)
step as in glmer. It stops when the Newton decrement gᵀC⁻¹g falls below ``tol``. The system
C = AᵀWA + diag(I, 0) at the mode is kept: its log-determinant is the Laplace approximation's.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from bayesml.backends.laplace.problem import MLProblem
from bayesml.backends.laplace.system import MixedSystem, Solved
from bayesml.errors import ConvergenceWarning

__all__ = ["Modes", "conditional_modes"]

#: the decrement below which the modes count as found, and the most Newton steps: the modes are
#: solved far below what the penalised objective needs, because the log-determinant (and so the
#: deviance and its finite-difference derivatives) moves linearly with their error
MODE_TOL = 1e-11
MODE_MAX_ITER = 100
_FLOOR = 1e-22  # a decrement this small ends the steps at once; between it and MODE_TOL the
# steps go on while each decrement is below a quarter of the one before (rounding ends that)
_MAX_HALVINGS = 30


@dataclass(eq=False)
class Modes:
    """The conditional modes and the system at them.

    Attributes
    ----------
    u
        Spherical effects per block, (levels, k) each.
    beta
        β (the fitted one when the system includes X, else the one held fixed).
    eta
        The linear predictor of every row.
    log_likelihood
        Σ ℓᵢ(η̂ᵢ).
    solved
        The eliminated C at the modes.
    converged, iterations
        Whether the decrement fell below the tolerance, and how many Newton steps were taken.
    """

    u: list[np.ndarray]
    beta: np.ndarray
    eta: np.ndarray
    log_likelihood: float
    solved: Solved
    converged: bool
    iterations: int

    @property
    def penalty(self) -> float:
        """‖u‖²."""
        return float(sum(np.sum(block**2) for block in self.u))


def conditional_modes(
    problem: MLProblem,
    system: MixedSystem,
    factors: list[np.ndarray],
    beta: np.ndarray,
    values: dict,
    u_start: list[np.ndarray] | None = None,
    *,
    tol: float = MODE_TOL,
    max_iter: int = MODE_MAX_ITER,
) -> Modes:
    """The modes of u (and β when ``system`` includes X), started from ``u_start`` and ``beta``.

    Raises a :class:`~bayesml.errors.ConvergenceWarning` when ``max_iter`` steps do not reach
    the tolerance.
    """
    design = problem.random
    free_beta = system.fixed is not None
    u = [block.copy() for block in (u_start or design.zeros())]
    beta = np.array(beta, dtype=float, copy=True)
    eta = _eta(problem, factors, u, beta)
    objective = _objective(problem, eta, values, u)
    previous = np.inf
    for iteration in range(1, max_iter + 1):
        gradient, curvature = problem.derivatives(eta, values)
        solved = system.eliminate(system.products(curvature), factors)
        grad_u, grad_beta = system.transpose_times(gradient)
        grad_u = [
            g - block for g, block in zip(system.scale_gradient(grad_u, factors), u, strict=False)
        ]
        step_u, step_beta = solved.solve(grad_u, grad_beta if free_beta else None)
        decrement = sum(float(np.sum(g * s)) for g, s in zip(grad_u, step_u, strict=False))
        if free_beta:
            decrement += float(grad_beta @ step_beta)
        if decrement < _FLOOR or (decrement < tol and decrement > 0.25 * previous):
            return Modes(
                u,
                beta,
                eta,
                float(np.sum(problem.log_likelihood(eta, values))),
                solved,
                True,
                iteration,
            )
        previous = decrement
        u, beta, eta, objective = _halving_step(
            problem, factors, values, (u, beta, objective), (step_u, step_beta)
        )
    warnings.warn(
        f"the conditional modes of the random effects did not converge in {max_iter} Newton "
        f"steps (last decrement {decrement:.3g}, tolerance {tol:g})",
        ConvergenceWarning,
        stacklevel=3,
    )
    return Modes(
        u, beta, eta, float(np.sum(problem.log_likelihood(eta, values))), solved, False, max_iter
    )


def _eta(problem: MLProblem, factors, u, beta) -> np.ndarray:
    return problem.offset + problem.fixed @ beta + problem.random.random_part(u, factors)


def _objective(problem: MLProblem, eta, values, u) -> float:
    penalty = sum(float(np.sum(block**2)) for block in u)
    value = float(np.sum(problem.log_likelihood(eta, values))) - 0.5 * penalty
    return value if np.isfinite(value) else -np.inf


def _halving_step(problem, factors, values, current, step):
    """The Newton step, halved until Q does not decrease (beyond rounding)."""
    u, beta, objective = current
    step_u, step_beta = step
    scale = 1.0
    for _ in range(_MAX_HALVINGS):
        new_u = [block + scale * s for block, s in zip(u, step_u, strict=False)]
        new_beta = beta if step_beta is None else beta + scale * step_beta
        eta = _eta(problem, factors, new_u, new_beta)
        new_objective = _objective(problem, eta, values, new_u)
        if new_objective >= objective - 1e-10 * (1.0 + abs(objective)):
            return new_u, new_beta, eta, new_objective
        scale /= 2.0
    return u, beta, _eta(problem, factors, u, beta), objective
