"""The analysis of one simulated data set by a point estimator (``hlik``, ``laplace``, ``agq``).

Registered in :data:`bayesml.workflows.sbc_run.ANALYSES` under the backend kind ``"fitting"``: the
same engine as simulation-based calibration (picklable tasks, seeds per simulation, saving and
resuming) with a point fit in place of a posterior. Per entry it records the estimate under the
shared posterior names, its standard error where the backend gives one (fixed effects: the
diagonal of ``vcov``; an h-likelihood SD or σ/α: the delta method from the SE of log λ or log φ)
and whether its Wald interval is formed on the log scale; per simulation, whether the fit
converged and whether it is singular.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from bayesml.model import Model
    from bayesml.workflows.compare_estimates import Estimate
    from bayesml.workflows.sbc_ranks import Entry


class PointTask(Protocol):
    """What the analysis reads of a :class:`~bayesml.workflows.sbc_run.SimulationTask` (which
    imports this module: a protocol keeps the import one way)."""

    method: str
    fit_kwargs: Mapping[str, Any]
    entries: tuple[Entry, ...]


__all__ = [
    "LOG_SCALE_KINDS",
    "PointTask",
    "SINGULAR_TOLERANCE",
    "estimates_by_entry",
    "is_singular",
    "point_statistics",
]

#: kinds of parameters whose Wald interval is formed on the log scale (positive parameters
#: whose SE comes from that of log λ or log φ) and transformed back
LOG_SCALE_KINDS = ("sd", "family")

#: vector family parameters a maximum-likelihood fit numbers by position (``cutpoints[1]``)
FAMILY_PARAMETER_VECTORS = ("cutpoints",)

#: an h-likelihood fit is singular when an SD relative to the residual SD (lme4's θ) is below
#: this — lme4's ``isSingular(tol = 1e-4)``
SINGULAR_TOLERANCE = 1e-4


def point_statistics(
    model: Model, task: PointTask
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Fit ``model`` (holding the simulated response) with the task's point method.

    Returns
    -------
    statistics
        ``estimate``, ``se`` (NaN where the backend gives none) and ``log_scale`` (1 where the
        Wald interval is exp(log estimate ± z·SE/estimate), 0 for estimate ± z·SE), one value
        per entry (NaN for an entry the fit does not estimate).
    diagnostics
        ``converged`` and ``singular`` (1 or 0).
    """
    result = model.fit(task.method, **dict(task.fit_kwargs))
    rows = estimates_by_entry(result, task.entries)
    estimate, se, log_scale = [], [], []
    for entry in task.entries:
        row = rows.get(entry.label)
        estimate.append(np.nan if row is None else float(row.estimate))
        se.append(np.nan if row is None else float(row.error))
        log_scale.append(float(row is not None and row.kind in LOG_SCALE_KINDS))
    diagnostics = {
        "converged": float(bool(result.converged)),
        "singular": float(is_singular(result)),
    }
    return {"estimate": estimate, "se": se, "log_scale": log_scale}, diagnostics


def fit_estimates(result: Any) -> list:
    """A point fit's :class:`~bayesml.workflows.compare_estimates.Estimate` rows (random effects
    left out)."""
    from bayesml.backends.hlik import HlikResult
    from bayesml.workflows.compare_hlik import hlik_estimates
    from bayesml.workflows.compare_ml import ml_estimates

    if isinstance(result, HlikResult):
        return hlik_estimates(result, ci_prob=0.95, include_random_effects=False)
    return ml_estimates(result, ci_prob=0.95, include_random_effects=False)


def estimates_by_entry(result: Any, entries: Sequence[Entry]) -> dict[str, Estimate]:
    """A point fit's estimates keyed by the entries' labels.

    A label the fit shares with the posterior is matched as is; a vector family parameter the
    fit numbers by position (an ordinal fit's ``cutpoints[1]``, ``cutpoints[2]``, where the
    posterior has ``cutpoints[1|2]``, ``cutpoints[2|3]``) is matched by position within its
    variable.
    """
    rows = {row.parameter: row for row in fit_estimates(result)}
    out: dict[str, Estimate] = {}
    position: dict[str, int] = {}
    for entry in entries:
        position[entry.variable] = position.get(entry.variable, 0) + 1
        row = rows.get(entry.label)
        if row is None and entry.variable in FAMILY_PARAMETER_VECTORS:
            row = rows.get(f"{entry.variable}[{position[entry.variable]}]")
        if row is not None:
            out[entry.label] = row
    return out


def is_singular(result: Any) -> bool:
    """lme4's ``isSingular`` for a maximum-likelihood fit; for an h-likelihood fit, an SD √λ
    below :data:`SINGULAR_TOLERANCE` × √φ for a Gaussian response (θ = SD/σ, as lme4's relative
    factor), or × 1 for a family without a residual SD (binomial, Poisson: φ fixed at 1)."""
    if hasattr(result, "is_singular"):
        return bool(result.is_singular)
    phi = np.asarray(result.phi.values, dtype=float)
    scale = float(np.sqrt(np.mean(phi))) if np.all(phi > 0) else 1.0
    for estimate in result.lambda_.values():
        if np.any(np.sqrt(np.asarray(estimate.values, dtype=float)) < SINGULAR_TOLERANCE * scale):
            return True
    return False
