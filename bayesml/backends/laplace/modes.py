"""Conditional modes of the spherical random effects u (and of β when it is not held fixed).

At given θ and family parameters, the mode maximises the penalised log-likelihood

    Q(u, β) = Σᵢ ℓᵢ(ηᵢ) − ½ ‖u‖²,   η = offset + Xβ + ZΛu,

by Newton steps (penalised IRLS, lme4's PIRLS) with step halving: the curvature is the family's
(:meth:`MLProblem.linearised`), so for glmer's families each step is a Fisher-scoring (IRLS)
step as in glmer. It stops when the Newton decrement gᵀC⁻¹g falls below ``tol``. The system
C = AᵀWA + diag(I, 0) at the mode is kept: its log-determinant is the Laplace approximation's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayesml.backends.laplace.problem import MLProblem
from bayesml.backends.laplace.system import MixedSystem, Solved
from bayesml.errors import ConvergenceWarning, warn

__all__ = ["Modes", "conditional_modes"]

#: the decrement below which the modes count as found, and the most Newton steps: the modes are
#: solved far below what the penalised objective needs, because the log-determinant (and so the
#: deviance and its finite-difference derivatives) moves linearly with their error
MODE_TOL = 1e-11
MODE_MAX_ITER = 100
_FLOOR = 1e-22  # a decrement this small ends the steps at once; between it and MODE_TOL the
# steps go on while each decrement is below a quarter of the one before (rounding ends that)
_MAX_HALVINGS = 30
#: a Newton step with a smaller decrement (in log-likelihood units) is taken without checking Q
TRUSTED_DECREMENT = 1e-4


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
    warn_unconverged: bool = True,
) -> Modes:
    """The modes of u (and β when ``system`` includes X), started from ``u_start`` and ``beta``.

    A step whose decrement is below :data:`TRUSTED_DECREMENT` (where the quadratic model of Q is
    exact to third order) is taken without evaluating Q; larger ones are halved until Q does not
    decrease. Raises a :class:`~bayesml.errors.ConvergenceWarning` when ``max_iter`` steps do not
    reach the tolerance (with ``warn_unconverged``; the optimiser's evaluations pass False and
    treat such a point as infinitely bad).
    """
    design = problem.random
    free_beta = system.fixed is not None
    point = _Point(
        problem,
        factors,
        values,
        [block.copy() for block in (u_start or design.zeros())],
        np.array(beta, dtype=float, copy=True),
    )
    previous = np.inf
    for iteration in range(1, max_iter + 1):
        local, gradient, curvature = problem.linearised(system, point.eta, values)
        solved = local.eliminate(local.products(curvature), factors)
        grad_u, grad_beta = local.transpose_times(gradient)
        grad_u = [
            g - block
            for g, block in zip(local.scale_gradient(grad_u, factors), point.u, strict=True)
        ]
        step_u, step_beta = solved.solve(grad_u, grad_beta if free_beta else None)
        decrement = sum(float(np.sum(g * s)) for g, s in zip(grad_u, step_u, strict=True))
        if free_beta:
            decrement += float(grad_beta @ step_beta)
        if decrement < _FLOOR or (decrement < tol and decrement > 0.25 * previous):
            return Modes(
                point.u, point.beta, point.eta, point.log_likelihood(), solved, True, iteration
            )
        previous = decrement
        if decrement < TRUSTED_DECREMENT:
            point = point.moved(step_u, step_beta, 1.0)
        else:
            point = _halving_step(point, step_u, step_beta)
    if not warn_unconverged:
        return Modes(
            point.u, point.beta, point.eta, point.log_likelihood(), solved, False, max_iter
        )
    warn(
        f"the conditional modes of the random effects did not converge in {max_iter} Newton "
        f"steps (last decrement {decrement:.3g}, tolerance {tol:g})",
        ConvergenceWarning,
    )
    return Modes(point.u, point.beta, point.eta, point.log_likelihood(), solved, False, max_iter)


class _Point:
    """(u, β), its η and, once asked for, Σℓ and Q = Σℓ − ½‖u‖²."""

    def __init__(self, problem, factors, values, u, beta) -> None:
        self.problem, self.factors, self.values = problem, factors, values
        self.u, self.beta = u, beta
        self.eta = problem.offset + problem.fixed @ beta + problem.random.random_part(u, factors)
        self._log_likelihood: float | None = None

    def log_likelihood(self) -> float:
        """Σᵢ ℓᵢ(ηᵢ) (computed once)."""
        if self._log_likelihood is None:
            rows = self.problem.log_likelihood(self.eta, self.values)
            self._log_likelihood = float(np.sum(rows))
        return self._log_likelihood

    def objective(self) -> float:
        """Q = Σℓ − ½‖u‖² (−∞ where not finite)."""
        value = self.log_likelihood() - 0.5 * sum(float(np.sum(b**2)) for b in self.u)
        return value if np.isfinite(value) else -np.inf

    def moved(self, step_u, step_beta, scale: float) -> _Point:
        """The point ``scale`` times the step away."""
        u = [block + scale * s for block, s in zip(self.u, step_u, strict=True)]
        beta = self.beta if step_beta is None else self.beta + scale * step_beta
        return _Point(self.problem, self.factors, self.values, u, beta)


def _halving_step(point: _Point, step_u, step_beta) -> _Point:
    """The Newton step, halved until Q does not decrease (beyond rounding)."""
    objective = point.objective()
    scale = 1.0
    for _ in range(_MAX_HALVINGS):
        candidate = point.moved(step_u, step_beta, scale)
        if candidate.objective() >= objective - 1e-10 * (1.0 + abs(objective)):
            return candidate
        scale /= 2.0
    return point
