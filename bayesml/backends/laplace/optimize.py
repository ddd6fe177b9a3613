"""The optimiser every maximum-likelihood stage uses: bounded L-BFGS-B (scipy) on a deviance.

Gradients are exact where the deviance gives them (the Laplace deviance of one grouping factor,
:mod:`~bayesml.backends.laplace.gradient`), else central finite differences of the deviance (whose
conditional modes are solved far below rounding of the objective, so that the differences are
not noise). A stage that ends without
scipy's convergence is reported (the result's ``converged`` and a warning naming the stage).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

__all__ = ["Optimum", "minimize_deviance"]


@dataclass(frozen=True)
class Optimum:
    """Where a stage ended.

    Attributes
    ----------
    x, deviance
        The minimiser and the deviance there.
    evaluations
        Number of deviance evaluations (finite differences included).
    converged
        Whether scipy reported convergence.
    message
        scipy's message.
    """

    x: np.ndarray
    deviance: float
    evaluations: int
    converged: bool
    message: str


def minimize_deviance(
    deviance: Callable[[np.ndarray], float],
    start: np.ndarray,
    lower: np.ndarray,
    *,
    tol: float,
    max_evaluations: int,
    value_and_gradient: Callable[[np.ndarray], tuple[float, np.ndarray]] | None = None,
    differences: str = "3-point",
) -> Optimum:
    """Minimise ``deviance`` from ``start`` with lower bounds ``lower`` (−∞ for none), with
    the exact gradient when ``value_and_gradient`` is given, else finite ``differences``
    (scipy's ``"3-point"``, central, or ``"2-point"``)."""
    if start.size == 0:
        return Optimum(start, float(deviance(start)), 1, True, "nothing to optimise")
    bounds = [(None if not np.isfinite(low) else float(low), None) for low in lower]
    counted = _Counted(deviance if value_and_gradient is None else value_and_gradient)
    result = minimize(
        counted,
        np.maximum(start, lower),
        method="L-BFGS-B",
        jac=differences if value_and_gradient is None else True,
        bounds=bounds,
        options={"ftol": tol, "gtol": 1e-7, "maxfun": max_evaluations, "maxls": 40},
    )
    message = str(result.message)
    converged = bool(result.success) or ("ABNORMAL" in message.upper() and _flat(result, lower))
    return Optimum(np.asarray(result.x), float(result.fun), counted.calls, converged, message)


def _flat(result, lower: np.ndarray) -> bool:
    """A line search that failed at a point where the projected gradient is small: the
    finite-difference gradient's noise, not a failure to converge."""
    if result.jac is None:
        return False
    gradient = np.asarray(result.jac, dtype=float).copy()
    gradient[(result.x <= lower) & (gradient > 0)] = 0.0
    return float(np.max(np.abs(gradient), initial=0.0)) < 1e-3


class _Counted:
    def __init__(self, function: Callable) -> None:
        self.function = function
        self.calls = 0

    def __call__(self, x: np.ndarray):
        self.calls += 1
        return self.function(np.asarray(x, dtype=float))
