"""The outer loop of the h-likelihood fit, as a fixed sequence of steps.

setup (starting GLM, φ₀, λ₀, v = v(ψ)) → repeat: solve the mean model (IWLS on the augmented
GLM) → deviances and leverages → update φ and λ (gamma GLMs) → check convergence
(``Σ (η_old − η)² < tol · Σ η²`` from the second iteration on, R ``hglm``'s criterion) → for EQL1,
the HL(1,1) correction → finalize (standard errors, likelihoods, the result object).

Non-convergence is a :class:`~bayesml.errors.ConvergenceWarning` naming the iteration count and
the last relative change; NaN anywhere is a :class:`DivergenceError` naming the stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bayesml.backends.hlik.dispersion import GammaFit
from bayesml.backends.hlik.likelihood import compute_likelihoods, likelihood_problem
from bayesml.backends.hlik.linear_algebra import AugmentedSystem
from bayesml.backends.hlik.problem import DispersionModel, HlikProblem
from bayesml.backends.hlik.result import HlikResult
from bayesml.backends.hlik.rows import DataRows, RandomRows, check_mean_family
from bayesml.backends.hlik.start import fit_starting_glm, starting_dispersions
from bayesml.backends.hlik.steps import (
    deviances_and_leverages,
    hl11_correction,
    relative_change,
    solve_mean_model,
    update_lambda,
    update_phi,
    weight_slope,
)
from bayesml.backends.hlik.trace import FitTrace, build_result
from bayesml.errors import ConvergenceWarning, FamilyError, ModelChangeWarning, SpecError, warn

__all__ = ["METHODS", "FitTrace", "check_options", "fit_problem"]

METHODS = ("EQL", "EQL1")
#: inner IWLS steps allowed per outer iteration (EQL1: once its correction is in force)
_MAX_INNER = 50
_MAX_INNER_EQL1 = 3


def fit_problem(
    problem: HlikProblem, *, estimation: str = "EQL", tol: float = 1e-6, max_iter: int = 50
) -> HlikResult:
    """Fit an HGLM by h-likelihood (EQL or EQL1) to validated arrays.

    Parameters
    ----------
    problem
        The arrays (see :class:`~bayesml.backends.hlik.problem.HlikProblem`).
    estimation
        ``"EQL"`` (R ``hglm``'s default) or ``"EQL1"`` (with the HL(1,1) correction; Gaussian
        random effects only). Where EQL1 comes out as EQL the result's ``notes`` say why.
    tol
        Convergence tolerance on the relative change of the linear predictor.
    max_iter
        Most outer iterations.

    Returns
    -------
    HlikResult

    Raises
    ------
    SpecError
        For a bad ``estimation``, ``tol`` or ``max_iter``.
    FamilyError
        For a family/link the backend does not fit, or EQL1 with non-Gaussian random effects.
    DivergenceError
        When a stage produces NaN.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` iterations end before the tolerance is met.
    ModelChangeWarning
        When EQL1 converged before its correction started (the fit is EQL's).
    """
    check_options(estimation, tol, max_iter)
    check_mean_family(problem.family)
    data, random = DataRows.of(problem), RandomRows.of(problem)
    if estimation == "EQL1":
        _check_eql1(random)
    system = AugmentedSystem(
        problem.X,
        list(zip(problem.term_starts(), [t.columns for t in problem.random], strict=True)),
        problem.n_random,
    )
    trace = _iterate(
        problem, system, data, random, estimation=estimation, tol=tol, max_iter=max_iter
    )
    return build_result(trace)


def check_options(estimation: object, tol: object, max_iter: object) -> None:
    """Check the estimation method, tolerance and iteration limit.

    Raises
    ------
    SpecError
        Naming the argument, what was expected and what was got.
    """
    if estimation not in METHODS:
        raise SpecError(
            f"estimation must be one of {list(METHODS)}; got estimation={estimation!r}"
        )
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not (0 < tol < 1):
        raise SpecError(f"tol must be a number in (0, 1); got tol={tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise SpecError(f"max_iter must be a whole number >= 1; got max_iter={max_iter!r}")


def _check_eql1(random: RandomRows) -> None:
    others = sorted({b.family.label for b in random.blocks if not b.family.is_gaussian})
    if others:
        raise FamilyError(
            "estimation='EQL1' (the HL(1,1) correction) is implemented for gaussian(identity) "
            f"random effects only; got random families {others}; use estimation='EQL'"
        )


@dataclass
class _State:
    """What changes from one outer iteration to the next."""

    beta: np.ndarray
    v: np.ndarray
    phi: np.ndarray
    lam: np.ndarray
    eta_previous: np.ndarray
    correction: np.ndarray | float = 0.0
    phi_fit: GammaFit | None = None
    lambda_fits: list[GammaFit] = field(default_factory=list)


def _start(problem: HlikProblem, data: DataRows, random: RandomRows) -> _State:
    """Step 1: the starting GLM, φ₀ (or the fixed φ), λ₀ and v = v(ψ)."""
    glm = fit_starting_glm(data, problem.X)
    phi0, lam0 = starting_dispersions(glm, len(random.blocks))
    phi = float(problem.dispersion) if problem.dispersion_fixed else phi0
    return _State(
        beta=glm.coef,
        v=random.start(),
        phi=np.full(problem.n_obs, phi),
        lam=np.full(problem.n_random, lam0),
        eta_previous=problem.X @ glm.coef + problem.offset,
    )


def _update_dispersions(
    state: _State,
    problem: HlikProblem,
    deviances: np.ndarray,
    leverages: np.ndarray,
    random: RandomRows,
) -> None:
    """Steps 4-5: the gamma GLMs for φ (unless fixed) and for each λ-block."""
    n = problem.n_obs
    if isinstance(problem.dispersion, DispersionModel):
        state.phi_fit = update_phi(deviances[:n], leverages[:n], problem.dispersion)
        state.phi = state.phi_fit.fitted
    state.lam, state.lambda_fits = update_lambda(deviances[n:], leverages[n:], random)


def _iterate(
    problem: HlikProblem,
    system: AugmentedSystem,
    data: DataRows,
    random: RandomRows,
    *,
    estimation: str,
    tol: float,
    max_iter: int,
) -> FitTrace:
    state = _start(problem, data, random)
    correction_start = _CORRECTION_START[problem.dispersion_fixed]
    system_h = _without_fixed_effects(problem) if estimation == "EQL1" else None
    changes: list[float] = []
    converged = False
    for iteration in range(1, max_iter + 1):
        mean = solve_mean_model(
            system, data, random, state.beta, state.v, state.phi, state.lam,
            correction=state.correction,
            max_steps=_MAX_INNER_EQL1 if np.ndim(state.correction) else _MAX_INNER,
            outer_iteration=iteration,
        )  # fmt: skip
        state.beta, state.v = mean.beta, mean.v
        deviances, leverages = deviances_and_leverages(mean, data, random)
        _update_dispersions(state, problem, deviances, leverages, random)
        changes.append(relative_change(state.eta_previous, mean.eta))
        if changes[-1] < tol and iteration > 1:
            converged = True
            break
        if system_h is not None and iteration >= correction_start:
            w2 = random.weights(state.v, state.lam)
            state.correction = hl11_correction(system_h, data, mean.eta, state.phi, w2)
        state.eta_previous = mean.eta
    if not converged:
        _warn_not_converged(estimation, max_iter, changes[-1], tol)
    notes = problem.notes
    if system_h is not None:
        applied = bool(np.ndim(state.correction))
        notes += _eql1_is_eql(
            problem, data, mean.eta, iteration, applied=applied, converged=converged
        )
    reason = _likelihood_problem(problem)
    likelihoods = None
    if reason is None:
        likelihoods = compute_likelihoods(
            system,
            data,
            random,
            state.v,
            mean.eta,
            state.phi,
            state.lam,
            leverages[: problem.n_obs],
        )
    return FitTrace(
        problem=problem, system=system, data=data, random=random, mean=mean, phi=state.phi,
        lam=state.lam, phi_fit=state.phi_fit, lambda_fits=state.lambda_fits, deviances=deviances,
        leverages=leverages, iterations=iteration, converged=converged, changes=changes,
        estimation=estimation, tol=tol, likelihoods=likelihoods, likelihood_error=reason,
        notes=notes,
    )  # fmt: skip


#: the outer iteration after which the HL(1,1) correction is first computed (it is applied from
#: the next one on), by whether φ is fixed, as in R hglm
_CORRECTION_START = {True: 1, False: 3}


def _eql1_is_eql(
    problem: HlikProblem, data: DataRows, eta: np.ndarray, iterations: int, *, applied: bool,
    converged: bool,
) -> tuple[str, ...]:
    """Why an EQL1 fit is the EQL fit, as a note (and a warning where the correction was due
    but never applied); nothing when the correction was applied and is not zero."""
    family = f"{problem.family.name}({problem.family.link.name})"
    slope = weight_slope(data, eta)
    if np.all(np.abs(slope) <= 1e-10 * np.maximum(1.0, np.abs(eta))):
        return (
            f"estimation='EQL1' gives the EQL fit here: the HL(1,1) correction is zero for a "
            f"{family} response, whose IWLS weights (dmu/deta)^2/V(mu) do not depend on the "
            "mean",
        )
    if applied:
        return ()
    start = _CORRECTION_START[problem.dispersion_fixed] + 1
    dispersion = "fixed" if problem.dispersion_fixed else "estimated"
    ended, remedy = ("converged", "lower tol") if converged else ("stopped", "raise max_iter")
    note = (
        f"estimation='EQL1' gave the EQL fit: it {ended} after {iterations} iteration"
        f"{'' if iterations == 1 else 's'}, before the HL(1,1) correction was applied (from "
        f"iteration {start} on with the dispersion {dispersion}, as in R's hglm); {remedy} to "
        "apply it"
    )
    warn(note, ModelChangeWarning)
    return (note,)


def _warn_not_converged(method: str, max_iter: int, change: float, tol: float) -> None:
    warn(
        f"the h-likelihood fit ({method}) did not converge in {max_iter} "
        f"iteration{'' if max_iter == 1 else 's'}: the last "
        f"relative change of the linear predictor was {change:.3g} (tol={tol:g}); "
        "raise max_iter, or check the model (a dispersion near 0, separation)",
        ConvergenceWarning,
    )


def _likelihood_problem(problem: HlikProblem) -> str | None:
    fixed = problem.dispersion_fixed
    weights = problem.user_weights
    return likelihood_problem(
        problem.family,
        fixed,
        float(problem.dispersion) if fixed else None,  # type: ignore[arg-type]
        weights is not None and not np.all(weights == 1.0),
    )


def _without_fixed_effects(problem: HlikProblem) -> AugmentedSystem:
    """The augmented system of Z alone: its normal matrix is H = Z'W1Z + W2 (for HL(1,1))."""
    starts = problem.term_starts()
    columns = [term.columns for term in problem.random]
    return AugmentedSystem(
        np.zeros((problem.n_obs, 0)), list(zip(starts, columns, strict=True)), problem.n_random
    )
