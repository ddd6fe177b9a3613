"""The exact gradient of the Laplace deviance in (θ, β) for one grouping factor.

With one grouping factor (k terms, per-level factor T), the Laplace deviance at the modes û(θ, β)

    D = Ψ(û) + Σₗ log det Hₗ,   Ψ(u) = −2 Σᵢ ℓᵢ(ηᵢ) + ‖u‖²,   Hₗ = Tᵀ Aₗ T + I,

with Aₗ = Σ_{i in l} wᵢ zᵢ zᵢᵀ (w the curvature −∂²ℓ/∂η²), is differentiated by the envelope
theorem (∂Ψ/∂u = 0 at û) and the implicit derivative of û: with dᵢ = ∂ℓᵢ/∂η, w′ᵢ = dwᵢ/dη, the
"leverages" hᵢ = z̃ᵢᵀ Hₗ⁻¹ z̃ᵢ (z̃ᵢ = Tᵀzᵢ), cᵢ = w′ᵢ hᵢ and rₗ = Hₗ⁻¹ Tᵀ Σ_{i in l} cᵢ zᵢ:

    ∂D/∂β = Xᵀ(−2d + c − w ⊙ s),   sᵢ = z̃ᵢᵀ r_{l(i)},

and for the entry (row a, column b) of T, with bₗ = Σ dᵢ zᵢ and Cₗ = Σ cᵢ zᵢ,

    ∂D/∂θ = Σₗ [ (Cₗ[a] − 2 bₗ[a]) ûₗ[b] + 2 (Hₗ⁻¹ Tᵀ Aₗ)[b, a] + rₗ[b] bₗ[a] − rₗᵀ Tᵀ Aₗ[:, a] ûₗ[b] ].

It holds when the curvature in H is the Hessian of Ψ (the observed curvature, or the expected one
of a canonical link). w′ = −∂³ℓ/∂η³ comes from the family (:meth:`Family.eta_third_derivative`). Each level costs k × k
algebra, so a gradient costs about one Newton step of the modes instead of 2·dim deviances.
A smooth's block (T = θ I, one θ for its entries on the diagonal) sums the entries' derivatives
(the chain rule: ∂T/∂θ = I).
"""

from __future__ import annotations

import numpy as np

from bayesml.backends.laplace.modes import Modes
from bayesml.backends.laplace.problem import MLProblem

__all__ = ["has_exact_gradient", "laplace_gradient"]


def has_exact_gradient(problem: MLProblem) -> bool:
    """One grouping factor, one linear predictor per row, and a curvature that is the Hessian
    of the penalised deviance."""
    family = problem.family
    observed = family.laplace_curvature == "observed" or family.is_canonical
    return len(problem.random.columns) == 1 and problem.scalar_rows and observed


def laplace_gradient(
    problem: MLProblem, modes: Modes, theta: np.ndarray, values: dict
) -> tuple[np.ndarray, np.ndarray]:
    """(∂D/∂θ, ∂D/∂β) at the modes of (θ, β) (see the module text)."""
    columns = problem.random.columns[0]
    block = problem.random.covariance.blocks[0]
    factor = block.factor(theta)
    index, z = columns.group_index, columns.term_matrix
    levels = columns.n_levels
    eta = modes.eta
    gradient, curvature = problem.derivatives(eta, values)
    slope = problem.curvature_slope(eta, values)
    inverse_factor = modes.solved.elimination.factor_inverse  # F⁻¹ with H = F Fᵀ
    h_inverse = np.matmul(inverse_factor.transpose(0, 2, 1), inverse_factor)  # (L, k, k)
    z_scaled = z @ factor  # rows z̃ᵢᵀ = zᵢᵀ T
    leverage = np.einsum("ia,iab,ib->i", z_scaled, h_inverse[index], z_scaled)
    c = slope * leverage
    b_sum = _level_sums(index, z, gradient, levels)  # bₗ
    c_sum = _level_sums(index, z, c, levels)  # Cₗ
    r = np.einsum("lab,lb->la", h_inverse, c_sum @ factor)  # Hₗ⁻¹ Tᵀ Cₗ
    s = np.einsum("ia,ia->i", z_scaled, r[index])
    grad_beta = problem.fixed.T @ (-2.0 * gradient + c - curvature * s)
    products = columns.level_products(curvature)  # Aₗ
    u = modes.u[0]
    h_t_a = np.matmul(h_inverse, np.matmul(factor.T, products))  # Hₗ⁻¹ Tᵀ Aₗ
    t_a = np.matmul(factor.T, products)  # Tᵀ Aₗ, column a is Tᵀ Aₗ[:, a]
    rows, cols = block.positions
    grad_entries = np.empty(rows.size)  # by entry of T; a shared block's θ is their sum
    for m, (a, bcol) in enumerate(zip(rows, cols, strict=True)):
        value = (c_sum[:, a] - 2.0 * b_sum[:, a]) * u[:, bcol]
        value += 2.0 * h_t_a[:, bcol, a] + r[:, bcol] * b_sum[:, a]
        value -= np.einsum("lk,lk->l", r, t_a[:, :, a]) * u[:, bcol]
        grad_entries[m] = float(np.sum(value))
    grad_theta = np.bincount(block.entry_theta, weights=grad_entries, minlength=block.n_theta)
    return grad_theta, grad_beta


def _level_sums(index: np.ndarray, z: np.ndarray, values: np.ndarray, levels: int) -> np.ndarray:
    """Σ_{i in l} valuesᵢ zᵢ for every level, (L, k)."""
    return np.column_stack(
        [np.bincount(index, weights=values * z[:, t], minlength=levels) for t in range(z.shape[1])]
    )
