"""The steps of one outer iteration of the h-likelihood fit.

1. :func:`solve_mean_model` — IWLS on the augmented GLM for (β, v) at the current φ and λ, until
   the linear predictor changes by less than ``1e-7`` relative (``Σ Δη² < 1e-7 Σ η²``, hglm's;
   tighter when the fit iterates to its fixed point);
2. :func:`deviances_and_leverages` — the deviance components and leverages of all n + q rows,
   clamped as R's ``hglm`` clamps them (d ≥ 1e-8, h ≤ 1 − 1e-8);
3. :func:`update_phi` and :func:`update_lambda` — the gamma GLMs for the dispersions;
4. :func:`hl11_correction` — for EQL1, the HL(1,1) shift c of the data rows' working response,
   which :func:`solve_mean_model` applies to the β-equation only (hglm 2.2-1's schedule).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayesml.backends.hlik.dispersion import GammaFit, fit_gamma_glm
from bayesml.backends.hlik.errors import DivergenceError
from bayesml.backends.hlik.linear_algebra import AugmentedSystem, Factorization
from bayesml.backends.hlik.problem import DispersionModel
from bayesml.backends.hlik.rows import DataRows, RandomRows

__all__ = [
    "INNER_TOL",
    "MeanFit",
    "deviances_and_leverages",
    "hl11_correction",
    "linear_predictor",
    "relative_change",
    "solve_mean_model",
    "update_lambda",
    "update_phi",
    "weight_slope",
]

INNER_TOL = 1e-7
DEVIANCE_FLOOR = 1e-8
LEVERAGE_CEILING = 1.0 - 1e-8
#: weights and working responses this close (relative) to the last solve's are the same
_SAME_RTOL = 1e-13


@dataclass(frozen=True, eq=False)
class MeanFit:
    """The result of the inner IWLS.

    Attributes
    ----------
    beta, v
        Fixed and random effects (v scale).
    eta
        Linear predictor, offsets included.
    factorization
        The factorised normal matrix of the last solve (at the weights that produced β, v);
        standard errors and leverages come from it.
    steps
        Number of weighted least-squares solves.
    """

    beta: np.ndarray
    v: np.ndarray
    eta: np.ndarray
    factorization: Factorization
    steps: int


def linear_predictor(
    system: AugmentedSystem, beta: np.ndarray, v: np.ndarray, offset: np.ndarray
) -> np.ndarray:
    """η = Xβ + Zv + offset."""
    return system.X @ beta + system.z_times(v) + offset


def relative_change(old: np.ndarray, new: np.ndarray) -> float:
    """Σ (old − new)² / Σ new², R ``hglm``'s convergence measure (∞ when Σ new² = 0)."""
    denominator = float(np.sum(new**2))
    numerator = float(np.sum((old - new) ** 2))
    if denominator == 0.0:
        return 0.0 if numerator == 0.0 else np.inf
    return numerator / denominator


def solve_mean_model(
    system: AugmentedSystem,
    data: DataRows,
    random: RandomRows,
    beta: np.ndarray,
    v: np.ndarray,
    phi: np.ndarray,
    lam: np.ndarray,
    *,
    correction: np.ndarray | float = 0.0,
    max_steps: int,
    outer_iteration: int,
    tol: float = INNER_TOL,
) -> MeanFit:
    """IWLS for (β, v) at fixed dispersions, from the current (β, v).

    With an HL(1,1) ``correction`` (an array), the first step is the uncorrected EQL step and
    each later one subtracts X'W₁c from the β-equation only, as hglm 2.2-1's ``GLM.MME`` does.
    The steps stop once ``Σ Δη² < tol · Σ η²`` (``INNER_TOL``, hglm's, by default) or after
    ``max_steps``.

    Raises
    ------
    DivergenceError
        If the weights, working responses or the new linear predictor are not finite.
    """
    eta = linear_predictor(system, beta, v, data.offset)
    previous = eta
    corrected = np.ndim(correction) > 0
    used: tuple[np.ndarray, ...] = ()
    for step in range(1, max_steps + 1):
        w1 = data.weights(eta, phi)
        w2 = random.weights(v, lam)
        z1 = data.working_response(eta)
        z2 = random.working_response(v)
        _require_finite(
            (w1, w2, z1, z2),
            f"the IWLS weights of the mean model (outer iteration {outer_iteration}, step {step})",
        )
        if not corrected and _unchanged(used, (w1, w2, z1, z2)):
            # the last solve already used these weights and working responses (a linear mixed
            # model: they do not depend on η): another solve would give the same (β, v)
            step -= 1
            break
        used = (w1, w2, z1, z2)
        factorization = system.factorize(w1, w2)
        rhs = system.normal_rhs(w1, z1, w2, z2)
        if corrected and step > 1:
            # HL(1,1) as hglm 2.2-1 (GLM.MME): the first step of each outer iteration is the
            # EQL step; the later ones correct the β-equation only (X'W(z − c)); the
            # v-equation stays h's own, so v is the mode of h and β maximises p_v(h)
            rhs[: system.p] -= system.X.T @ (w1 * correction)
        solution = factorization.solve(rhs)
        beta, v = solution[: system.p], solution[system.p :]
        eta = linear_predictor(system, beta, v, data.offset)
        _require_finite(
            (eta,), f"the mean-model solve (outer iteration {outer_iteration}, step {step})"
        )
        if relative_change(previous, eta) < tol:
            break
        previous = eta
    return MeanFit(beta, v, eta, factorization, step)


def _unchanged(old: tuple[np.ndarray, ...], new: tuple[np.ndarray, ...]) -> bool:
    """Whether the weights and working responses ``new`` equal ``old`` to rounding (each
    vector's change below 1e-13 of its norm)."""
    return bool(old) and all(
        np.linalg.norm(a - b) <= _SAME_RTOL * np.linalg.norm(b)
        for a, b in zip(old, new, strict=True)
    )


def deviances_and_leverages(
    fit: MeanFit, data: DataRows, random: RandomRows
) -> tuple[np.ndarray, np.ndarray]:
    """Deviance components and leverages of the n + q rows, clamped (d ≥ 1e-8, h ≤ 1 − 1e-8)."""
    deviances = np.concatenate([data.deviances(data.mean(fit.eta)), random.deviances(fit.v)])
    leverages = fit.factorization.leverages()
    return np.maximum(deviances, DEVIANCE_FLOOR), np.minimum(leverages, LEVERAGE_CEILING)


def update_phi(deviances: np.ndarray, leverages: np.ndarray, model: DispersionModel) -> GammaFit:
    """The gamma GLM for φ on the data rows' deviances and leverages."""
    return fit_gamma_glm(deviances, leverages, model, what="phi (the dispersion of the mean model)")


def update_lambda(
    deviances: np.ndarray, leverages: np.ndarray, random: RandomRows
) -> tuple[np.ndarray, list[GammaFit]]:
    """The gamma GLM for λ of each λ-block, on the random rows; returns λ per effect and the fits."""
    lam = np.empty(random.size)
    fits = []
    for block in random.blocks:
        c = block.columns
        fit = fit_gamma_glm(
            deviances[c], leverages[c], block.model, what=f"lambda of {block.name!r}"
        )
        lam[c] = fit.fitted
        fits.append(fit)
    return lam, fits


def hl11_correction(
    system_h: AugmentedSystem, data: DataRows, eta: np.ndarray, phi: np.ndarray, w2: np.ndarray
) -> np.ndarray:
    """The HL(1,1) shift c/2 of the data rows' working response (Lee & Lee 2012).

    With W1 the data weights, K = Z (Z'W1Z + W2)⁻¹ Z', dW1 = dW1/dμ and a = dW1 (dμ/dη) / W1:
    ``c_j = K_jj a_j − Σ_i K_ii W1_i a_i K_ij``.

    Parameters
    ----------
    system_h
        The augmented system without fixed effects (its normal matrix is H = Z'W1Z + W2).
    data
        The data rows.
    eta
        Current linear predictor.
    phi
        Current dispersion of each row.
    w2
        Current random-row weights.
    """
    w1 = data.weights(eta, phi)
    a = weight_slope(data, eta)
    factorization = system_h.factorize(w1, w2)
    k_diag = factorization.data_quadratic_forms()
    b = k_diag * w1 * a
    k_b = system_h.z_times(factorization.solve(system_h.z_transpose(b)))
    correction = (k_diag * a - k_b) / 2.0
    _require_finite((correction,), "the HL(1,1) correction")
    return correction


def weight_slope(data: DataRows, eta: np.ndarray) -> np.ndarray:
    """a = d log W1 / dη = (dW1/dμ)(dμ/dη) / W1 of each data row, the factor of the HL(1,1)
    correction (prior weights and φ cancel).

    With g' = dη/dμ = 1/(dμ/dη): ``dW1/dμ · φ/w = −2 g''(μ) / (g'³ V) − V'(μ) / (V² g'²)``. It is 0
    wherever W1 = (dμ/dη)²/V(μ) does not depend on μ — gaussian(identity), gamma(log) — and then
    the correction is 0 and EQL1 is EQL.
    """
    family, link = data.family, data.family.link
    mu = data.mean(eta)
    dmu = link.dmu_deta(eta)
    g1 = 1.0 / dmu
    g2 = link.d2eta_dmu2(mu)
    variance = family.variance(mu)
    dvariance = family.variance_derivative(mu)
    dw1 = -2.0 * g2 / (g1**3 * variance) - dvariance / (variance**2 * g1**2)
    return dw1 * dmu / (dmu**2 / variance)


def _require_finite(arrays: tuple[np.ndarray, ...], stage: str) -> None:
    for array in arrays:
        if not np.all(np.isfinite(array)):
            raise DivergenceError(
                f"the h-likelihood fit diverged: NaN or infinite values in {stage}; try another "
                "random family or link, fix the dispersion, or check the data for separation"
            )
