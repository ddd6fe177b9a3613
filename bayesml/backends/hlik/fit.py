"""The outer loop of the h-likelihood fit, as a fixed sequence of steps.

setup (starting GLM, φ₀, λ₀, v = v(ψ)) → repeat: solve the mean model (IWLS on the augmented
GLM) → deviances and leverages → update φ and λ (gamma GLMs) → check convergence → for EQL1,
the HL(1,1) correction → finalize (standard errors, likelihoods, the result object).

Two stopping rules (``convergence``). ``"hglm"``: R ``hglm``'s, ``Σ (η_old − η)² < tol · Σ η²``
from the second iteration on, with hglm's iteration as it is — its printed output iterate by
iterate; it stops EQL long before the dispersions settle where the iteration is slow.
``"fixed_point"`` (the default): the relative change of every φ and λ below ``tol`` as well, the
mean model solved as precisely as the outer iteration needs (η to 1 % of the last outer change,
to ``tol²`` in hglm's measure near the end), and the iteration accelerated by
SQUAREM cycles on the dispersion coefficients (:mod:`.squarem`) — the fixed point of EQL (for
Gaussian models lmer's REML fit) in few iterations.

Non-convergence is a :class:`~bayesml.errors.ConvergenceWarning` naming the iteration count and
the last relative change; NaN anywhere is a :class:`DivergenceError` naming the stage.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from bayesml.backends.hlik.dispersion import GammaFit
from bayesml.backends.hlik.errors import DivergenceError
from bayesml.backends.hlik.likelihood import compute_likelihoods, likelihood_problem
from bayesml.backends.hlik.linear_algebra import AugmentedSystem
from bayesml.backends.hlik.problem import DispersionModel, HlikProblem
from bayesml.backends.hlik.result import HlikResult
from bayesml.backends.hlik.rows import DataRows, RandomRows, check_mean_family
from bayesml.backends.hlik.squarem import StepLength, extrapolate
from bayesml.backends.hlik.start import fit_starting_glm, starting_dispersions
from bayesml.backends.hlik.steps import (
    INNER_TOL,
    MeanFit,
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

__all__ = [
    "CONVERGENCE",
    "DEFAULT_TOL",
    "METHODS",
    "FitTrace",
    "check_options",
    "dispersion_change",
    "fit_problem",
]

METHODS = ("EQL", "EQL1")
#: the stopping rules: at the fixed point (accelerated), or R hglm's (the change of η alone)
CONVERGENCE = ("fixed_point", "hglm")
#: the tolerance of each stopping rule when ``tol=None``: at the fixed point, tight enough that
#: the dispersions are within about 1e-6 relative of it where the iteration is slow (lme4's
#: Pastes); R hglm's ``conv = 1e-6`` with its rule
DEFAULT_TOL = {"fixed_point": 1e-8, "hglm": 1e-6}
#: inner IWLS steps allowed per outer iteration (EQL1: once its correction is in force)
_MAX_INNER = 50
_MAX_INNER_EQL1 = 3
#: the tightest stopping rule of the mean model (Σ Δη² / Σ η², near the rounding of doubles)
_INNER_TOL_FLOOR = 1e-26
#: at the fixed point, the mean model's η is solved to this fraction of the last outer change
_INNER_FRACTION = 1e-2


def fit_problem(
    problem: HlikProblem,
    *,
    estimation: str = "EQL",
    tol: float | None = None,
    max_iter: int = 50,
    convergence: str = "fixed_point",
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
        Convergence tolerance: on the relative change of every φ and λ and on
        ``Σ Δη² / Σ η²`` (``convergence="fixed_point"``), or on ``Σ Δη² / Σ η²`` alone (hglm's).
        ``None``: :data:`DEFAULT_TOL` of the rule (1e-8 at the fixed point, hglm's 1e-6).
    max_iter
        Most outer iterations (mean-model solves with their dispersion updates).
    convergence
        ``"fixed_point"``: iterate to the fixed point, accelerated by SQUAREM
        (:mod:`.squarem`); ``"hglm"``: R hglm's iteration and stopping rule, iterate by iterate.

    Returns
    -------
    HlikResult

    Raises
    ------
    SpecError
        For a bad ``estimation``, ``tol``, ``max_iter`` or ``convergence``.
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
    check_options(estimation, tol, max_iter, convergence)
    tol = DEFAULT_TOL[convergence] if tol is None else float(tol)
    check_mean_family(problem.family)
    data, random = DataRows.of(problem), RandomRows.of(problem)
    if estimation == "EQL1":
        _check_eql1(random)
    system = AugmentedSystem(
        problem.X,
        list(zip(problem.term_starts(), [t.columns for t in problem.random], strict=True)),
        problem.n_random,
    )
    from threadpoolctl import threadpool_limits

    # small dense blocks and Schur complements: one BLAS thread (oversubscribed OpenBLAS threads
    # on a busy machine made crossed fits several times slower)
    with threadpool_limits(limits=1, user_api="blas"):
        trace = _iterate(
            problem, system, data, random, estimation=estimation, tol=tol, max_iter=max_iter,
            convergence=convergence,
        )  # fmt: skip
    return build_result(trace)


def check_options(
    estimation: object, tol: object, max_iter: object, convergence: object = "fixed_point"
) -> None:
    """Check the estimation method, tolerance, iteration limit and stopping rule.

    Raises
    ------
    SpecError
        Naming the argument, what was expected and what was got.
    """
    if estimation not in METHODS:
        raise SpecError(
            f"estimation must be one of {list(METHODS)}; got estimation={estimation!r}"
        )
    if tol is not None and (
        isinstance(tol, bool) or not isinstance(tol, int | float) or not (0 < tol < 1)
    ):
        raise SpecError(f"tol must be a number in (0, 1) or None; got tol={tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise SpecError(f"max_iter must be a whole number >= 1; got max_iter={max_iter!r}")
    if convergence not in CONVERGENCE:
        raise SpecError(
            f"convergence must be one of {list(CONVERGENCE)} (iterate to the fixed point, or "
            f"stop where R's hglm stops); got convergence={convergence!r}"
        )


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
    mean: MeanFit | None = None
    deviances: np.ndarray | None = None
    leverages: np.ndarray | None = None


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
    convergence: str,
) -> FitTrace:
    outer = _Outer(
        problem, system, data, random, estimation=estimation, tol=tol, max_iter=max_iter,
        convergence=convergence,
        system_h=_without_fixed_effects(problem) if estimation == "EQL1" else None,
    )  # fmt: skip
    state = _start(problem, data, random)
    if convergence == "hglm":
        state, converged = _plain_iteration(outer, state)
    else:
        state, converged = _accelerated_iteration(outer, state)
    if not converged:
        _warn_not_converged(estimation, convergence, max_iter, outer.changes[-1], tol)
    return _trace(outer, state, converged)


def _trace(outer: _Outer, state: _State, converged: bool) -> FitTrace:
    """The trace of the finished loop: the last mean-model solve, the dispersions it gave, the
    likelihoods there and the notes."""
    problem, mean = outer.problem, state.mean
    assert mean is not None and state.leverages is not None and state.deviances is not None
    notes = problem.notes
    if outer.system_h is not None:
        applied = bool(np.ndim(state.correction))
        notes += _eql1_is_eql(
            problem, outer.data, mean.eta, outer.iterations, applied=applied, converged=converged
        )
    reason = _likelihood_problem(problem)
    likelihoods = None
    if reason is None:
        likelihoods = compute_likelihoods(
            outer.system, outer.data, outer.random, state.v, mean.eta, state.phi, state.lam,
            state.leverages[: problem.n_obs],
        )  # fmt: skip
    return FitTrace(
        problem=problem, system=outer.system, data=outer.data, random=outer.random, mean=mean,
        phi=state.phi, lam=state.lam, phi_fit=state.phi_fit, lambda_fits=state.lambda_fits,
        deviances=state.deviances, leverages=state.leverages, iterations=outer.iterations,
        converged=converged, changes=outer.changes, estimation=outer.estimation, tol=outer.tol,
        convergence=outer.convergence, extrapolations=outer.extrapolations,
        likelihoods=likelihoods, likelihood_error=reason, notes=notes,
    )  # fmt: skip


@dataclass(eq=False)
class _Outer:
    """The outer loop: what stays fixed, the counts, and one iteration of it (:meth:`step`)."""

    problem: HlikProblem
    system: AugmentedSystem
    data: DataRows
    random: RandomRows
    estimation: str
    tol: float
    max_iter: int
    convergence: str
    system_h: AugmentedSystem | None
    changes: list[float] = field(default_factory=list)
    iterations: int = 0
    extrapolations: int = 0

    def left(self) -> int:
        """Outer iterations left before ``max_iter``."""
        return self.max_iter - self.iterations

    def inner_tol(self) -> float:
        """The mean model's stopping rule (on Σ Δη² / Σ η² of its last step): hglm's; or, at the
        fixed point, as tight as the outer iteration needs — η to 1 % of the last outer change,
        and to ``tol`` near the end (IWLS converges quadratically, so the error left is of the
        order of the square of the last step's change)."""
        if self.convergence == "hglm":
            return INNER_TOL
        last = self.changes[-1] if self.changes else 1.0
        needed = min(INNER_TOL, (_INNER_FRACTION * last) ** 2)
        return max(needed, self.tol**2, _INNER_TOL_FLOOR)

    def step(self, state: _State) -> bool:
        """One outer iteration on ``state`` (the fixed-point map): the mean model at the current
        dispersions, the gamma GLMs, the convergence check and, for EQL1, the HL(1,1) correction
        for the next iteration. Returns whether the fit has converged."""
        self.iterations += 1
        iteration, problem, random = self.iterations, self.problem, self.random
        phi_before, lam_before = state.phi, state.lam
        mean = solve_mean_model(
            self.system, self.data, random, state.beta, state.v, state.phi, state.lam,
            correction=state.correction,
            max_steps=_MAX_INNER_EQL1 if np.ndim(state.correction) else _MAX_INNER,
            outer_iteration=iteration, tol=self.inner_tol(),
        )  # fmt: skip
        state.beta, state.v, state.mean = mean.beta, mean.v, mean
        state.deviances, state.leverages = deviances_and_leverages(mean, self.data, random)
        _update_dispersions(state, problem, state.deviances, state.leverages, random)
        change = relative_change(state.eta_previous, mean.eta)
        if self.convergence == "fixed_point":
            change = max(
                change,
                dispersion_change(phi_before, state.phi, fixed=problem.dispersion_fixed),
                dispersion_change(lam_before, state.lam),
            )
        self.changes.append(change)
        if change < self.tol and iteration > 1:
            return True
        correction_start = _CORRECTION_START[problem.dispersion_fixed]
        if self.system_h is not None and iteration >= correction_start:
            w2 = random.weights(state.v, state.lam)
            state.correction = hl11_correction(
                self.system_h, self.data, mean.eta, state.phi, w2
            )
        state.eta_previous = mean.eta
        return False


def dispersion_change(before: np.ndarray, after: np.ndarray, *, fixed: bool = False) -> float:
    """The largest relative change ``|after/before − 1|`` of a dispersion (0 when it is fixed)."""
    if fixed:
        return 0.0
    return float(np.max(np.abs(after / before - 1.0)))


def _plain_iteration(outer: _Outer, state: _State) -> tuple[_State, bool]:
    """The outer iteration as R's hglm runs it, until it converges or ``max_iter`` runs out."""
    while outer.left():
        if outer.step(state):
            return state, True
    return state, False


def _accelerated_iteration(outer: _Outer, state: _State) -> tuple[_State, bool]:
    """The outer iteration accelerated by SQUAREM cycles on the dispersion coefficients."""
    if outer.step(state):
        return state, True
    length = StepLength()
    while outer.left():
        state, converged = _squarem_cycle(outer, state, length)
        if converged:
            return state, True
    return state, False


def _squarem_cycle(outer: _Outer, state: _State, length: StepLength) -> tuple[_State, bool]:
    """Two plain iterations θ₁ = F(θ₀), θ₂ = F(θ₁), then the extrapolated point stabilised by
    one more, kept if it is feasible and its residual ‖F(θ) − θ‖ is no larger than ‖θ₁ − θ₀‖;
    otherwise the fit goes on from θ₂ (see :mod:`.squarem`)."""
    thetas = [_coefficients(state)]
    for _ in range(2):
        if outer.step(state):
            return state, True
        thetas.append(_coefficients(state))
        if not outer.left():
            return state, False
    theta0, theta1, theta2 = thetas
    r, s = theta1 - theta0, theta2 - 2.0 * theta1 + theta0
    alpha = length.choose(r, s)
    if alpha == 1.0:  # the extrapolation is θ₂ itself (the bound grows if it was 1)
        length.accepted(alpha)
        return state, False
    plain = copy.copy(state)
    theta = extrapolate(theta0, r, s, alpha)
    try:
        feasible = _set_dispersions(state, theta, outer.problem, outer.random)
        converged = feasible and outer.step(state)
    except DivergenceError:  # NaN at the extrapolated point: its iteration has no change
        feasible = converged = False
        outer.changes += [float("nan")] * (outer.iterations - len(outer.changes))
    if converged or feasible and np.linalg.norm(_coefficients(state) - theta) <= np.linalg.norm(r):
        length.accepted(alpha)
        outer.extrapolations += 1
        return state, converged
    length.rejected()
    return plain, False


def _coefficients(state: _State) -> np.ndarray:
    """θ: the coefficients of the φ model (when φ is estimated) and of each λ model."""
    fits = ([state.phi_fit] if state.phi_fit is not None else []) + state.lambda_fits
    return np.concatenate([fit.coef for fit in fits])


def _set_dispersions(
    state: _State, theta: np.ndarray, problem: HlikProblem, random: RandomRows
) -> bool:
    """Put the φ and λ of the coefficients ``theta`` into ``state``; ``False`` (and ``state``
    unchanged) where they are not all finite and positive."""
    models = [] if state.phi_fit is None else [problem.dispersion]
    models += [block.model for block in random.blocks]
    values, start = [], 0
    for model in models:
        assert isinstance(model, DispersionModel)
        width = model.design.shape[1]
        with np.errstate(all="ignore"):
            fitted = model.link.inverse(model.design @ theta[start : start + width])
        if not np.all(np.isfinite(fitted) & (fitted > 0)):
            return False
        values.append(fitted)
        start += width
    if state.phi_fit is not None:
        state.phi = values.pop(0)
    lam = np.empty(random.size)
    for block, fitted in zip(random.blocks, values, strict=True):
        lam[block.columns] = fitted
    state.lam = lam
    return True


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


def _warn_not_converged(
    method: str, convergence: str, max_iter: int, change: float, tol: float
) -> None:
    what = "linear predictor" if convergence == "hglm" else "dispersions and linear predictor"
    warn(
        f"the h-likelihood fit ({method}) did not converge in {max_iter} "
        f"iteration{'' if max_iter == 1 else 's'}: the last "
        f"relative change of the {what} was {change:.3g} (tol={tol:g}); "
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
