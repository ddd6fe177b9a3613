"""The result of a coverage run: a point estimator's estimates over simulations from fixed truth.

:meth:`CoverageResult.summary` is the table of a simulation study (Morris, White & Crowther 2019,
"Using simulation studies to evaluate statistical methods"; R's ``rsimsum``): per parameter the
true value, mean estimate, bias with its Monte Carlo SE, relative bias, empirical SD of the
estimates, mean model SE, RMSE and the coverage of the Wald interval with its Monte Carlo SE.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from bayesml.errors import ArgumentError
from bayesml.workflows.sbc_run import SimulationOutcome

__all__ = ["EXCLUDABLE", "CoverageResult"]

#: simulations that ``summary(exclude=...)`` can leave out (failed fits are always left out:
#: they have no estimates)
EXCLUDABLE = ("nonconverged", "singular")


class CoverageResult:
    """Estimates of a point estimator over data simulated from fixed true values.

    Attributes
    ----------
    estimates
        One row per simulation (index ``simulation``): one column per parameter entry
        (``beta[x]``, ``sd_g[Intercept]``, ``sigma``, ...) with its estimate (missing for a failed
        fit, or an entry the method does not estimate), then ``converged``, ``singular``,
        ``n_warnings``, ``failure`` (the error, else missing) and ``seconds``.
    standard_errors
        The estimates' standard errors, shaped as the parameter columns of ``estimates``
        (missing where the backend gives none: the SDs, correlations and family parameters of a
        ``laplace``/``agq`` fit, as in lme4).
    truths
        The true value of each parameter entry (a Series).
    warnings
        ``{simulation: [message, ...]}`` for the fits that warned.
    settings
        The run's settings (method, fit options, true values and their source, seed, ...).
    random_seed
        The run's seed.
    """

    def __init__(
        self,
        outcomes: Sequence[SimulationOutcome],
        *,
        parameters: Sequence[str],
        truths: Sequence[float],
        settings: Mapping[str, Any],
    ) -> None:
        self.outcomes = list(outcomes)
        self.parameters = list(parameters)
        self.settings = dict(settings)
        self.random_seed = int(settings["random_seed"])
        self.truths = pd.Series(
            np.asarray(truths, dtype=float), index=pd.Index(self.parameters, name="parameter")
        )
        index = pd.RangeIndex(len(self.outcomes), name="simulation")
        meta = pd.DataFrame(
            {
                "converged": pd.array(
                    [_flag(o.diagnostics.get("converged")) for o in self.outcomes], dtype="boolean"
                ),
                "singular": pd.array(
                    [_flag(o.diagnostics.get("singular")) for o in self.outcomes], dtype="boolean"
                ),
                "n_warnings": [len(o.warnings) for o in self.outcomes],
                "failure": [None if o.failure is None else str(o.failure) for o in self.outcomes],
                "seconds": [o.seconds for o in self.outcomes],
            },
            index=index,
        )
        self.estimates = pd.concat([self.statistic("estimate"), meta], axis=1)
        self.standard_errors = self.statistic("se")
        self.warnings = {o.index: list(o.warnings) for o in self.outcomes if o.warnings}

    def statistic(self, name: str) -> pd.DataFrame:
        """One per-entry statistic of every simulation (``"estimate"``, ``"se"``,
        ``"log_scale"``), one column per parameter entry; missing for failed fits.

        Raises
        ------
        ArgumentError
            For a statistic no simulation has.
        """
        known = {key for o in self.outcomes for key in o.statistics}
        if name not in known and known:
            raise ArgumentError(f"statistic must be one of {sorted(known)}; got statistic={name!r}")
        width = len(self.parameters)
        rows = [
            o.statistics.get(name, [np.nan] * width) if o.failure is None else [np.nan] * width
            for o in self.outcomes
        ]
        return pd.DataFrame(
            np.asarray(rows, dtype=float).reshape(len(rows), width),
            index=pd.RangeIndex(len(rows), name="simulation"),
            columns=self.parameters,
        )

    # -- counts -------------------------------------------------------------------------------
    @property
    def n_simulations(self) -> int:
        """Simulations in the run."""
        return len(self.outcomes)

    @property
    def n_failed(self) -> int:
        """Simulations whose fit failed (no estimates)."""
        return sum(o.failure is not None for o in self.outcomes)

    @property
    def n_nonconverged(self) -> int:
        """Fits that ended without converging."""
        return int(self.estimates["converged"].eq(False).sum())

    @property
    def n_singular(self) -> int:
        """Singular fits (an SD estimated at or near 0)."""
        return int(self.estimates["singular"].eq(True).sum())

    @property
    def failures(self) -> pd.DataFrame:
        """The failed simulations: error type, message and traceback."""
        rows = [
            {
                "simulation": o.index,
                "type": o.failure.type,
                "message": o.failure.message,
                "traceback": o.failure.traceback,
            }
            for o in self.outcomes
            if o.failure is not None
        ]
        return pd.DataFrame(rows, columns=["simulation", "type", "message", "traceback"]).set_index(
            "simulation"
        )

    # -- intervals and the table --------------------------------------------------------------
    def intervals(self, level: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The Wald intervals at ``level`` of every simulation: ``(lower, upper)``, shaped as
        :attr:`standard_errors` (missing without an SE).

        A fixed effect's is estimate ± z·SE; an SD's or a family parameter's, where the backend
        gives an SE (``hlik``: from that of log λ or log φ), the Wald interval of its log,
        transformed back: estimate·exp(±z·SE/estimate), which stays positive.
        """
        level = _check_level(level)
        z = float(stats.norm.ppf(0.5 + level / 2))
        estimate, se = self.statistic("estimate"), self.standard_errors
        log_scale = self.statistic("log_scale").fillna(0).astype(bool)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            lower = (estimate - z * se).where(~log_scale, estimate * np.exp(-z * se / estimate))
            upper = (estimate + z * se).where(~log_scale, estimate * np.exp(z * se / estimate))
        return lower, upper

    def covered(self, level: float = 0.95) -> pd.DataFrame:
        """Whether each simulation's Wald interval at ``level`` holds the true value (missing
        without an interval)."""
        lower, upper = self.intervals(level)
        inside = (lower.le(self.truths, axis=1)) & (upper.ge(self.truths, axis=1))
        frame = inside.astype("boolean")
        return frame.mask(lower.isna() | upper.isna())

    def summary(
        self, level: float | None = None, *, exclude: Sequence[str] = ("nonconverged",)
    ) -> pd.DataFrame:
        """The simulation study's table: one row per parameter entry.

        Parameters
        ----------
        level
            Level of the Wald intervals; default the run's ``level`` (0.95).
        exclude
            Simulations left out besides the failed fits (which have no estimates):
            ``"nonconverged"`` (default: an optimiser that stopped early did not give the
            estimator's value) and/or ``"singular"`` (kept by default: a boundary fit is a
            legitimate ML estimate, and leaving it out biases the SDs upwards). ``()`` keeps
            every fit that gave estimates.

        Returns
        -------
        pandas.DataFrame
            Index ``parameter``; columns ``true``, ``mean_estimate``, ``bias`` (mean estimate −
            true), ``bias_mcse`` (its Monte Carlo SE, empirical SD / √n), ``rel_bias`` (bias /
            true; missing for a true value 0), ``emp_sd`` (the SD of the estimates over the
            simulations), ``mean_se`` (the mean model SE: near ``emp_sd`` when the SEs are
            right), ``rmse``, ``coverage`` (the share of the Wald intervals at ``level`` that
            hold the true value; missing without SEs), ``coverage_mcse`` (√(p(1 − p)/n)),
            ``n_used`` (simulations in the row), ``n_failed``, ``n_nonconverged``,
            ``n_singular`` (counted over the whole run) and ``excluded`` (what was left out,
            with counts). ``attrs`` hold ``level``, ``method`` and ``exclude``.

        Raises
        ------
        ArgumentError
            For a level outside (0, 1) or an unknown ``exclude`` entry.
        """
        level = float(self.settings.get("level", 0.95)) if level is None else _check_level(level)
        exclude = _check_exclude(exclude)
        keep = pd.Series(True, index=self.estimates.index)
        if "nonconverged" in exclude:
            keep &= ~self.estimates["converged"].eq(False)
        if "singular" in exclude:
            keep &= ~self.estimates["singular"].eq(True)
        estimate = self.statistic("estimate")[keep]
        covered = self.covered(level)[keep]
        truth = self.truths
        n_used = estimate.notna().sum(axis=0).astype(int)
        mean = estimate.mean(axis=0)
        emp_sd = estimate.std(axis=0, ddof=1)
        bias = mean - truth
        n_cover = covered.notna().sum(axis=0)
        coverage = covered.astype(float).mean(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            rel_bias = bias / truth.where(truth != 0)
            table = pd.DataFrame(
                {
                    "true": truth,
                    "mean_estimate": mean,
                    "bias": bias,
                    "bias_mcse": emp_sd / np.sqrt(n_used.where(n_used > 0)),
                    "rel_bias": rel_bias,
                    "emp_sd": emp_sd,
                    "mean_se": self.standard_errors[keep].mean(axis=0),
                    "rmse": np.sqrt(((estimate - truth) ** 2).mean(axis=0)),
                    "coverage": coverage.where(n_cover > 0),
                    "coverage_mcse": np.sqrt(
                        coverage * (1 - coverage) / n_cover.where(n_cover > 0)
                    ),
                    "n_used": n_used,
                    "n_failed": self.n_failed,
                    "n_nonconverged": self.n_nonconverged,
                    "n_singular": self.n_singular,
                    "excluded": self._excluded_text(exclude),
                },
                index=pd.Index(self.parameters, name="parameter"),
            )
        table.attrs.update(level=level, method=self.settings.get("method"), exclude=tuple(exclude))
        return table

    def _excluded_text(self, exclude: Sequence[str]) -> str:
        parts = [f"failed ({self.n_failed})"] if self.n_failed else []
        if "nonconverged" in exclude and self.n_nonconverged:
            parts.append(f"non-converged ({self.n_nonconverged})")
        if "singular" in exclude and self.n_singular:
            parts.append(f"singular ({self.n_singular})")
        return ", ".join(parts) if parts else "none"

    def __repr__(self) -> str:
        method = self.settings.get("method")
        lines = [
            f"CoverageResult: {self.n_simulations} simulations of {len(self.parameters)} "
            f"parameter entries by {method!r} at fixed true values (seed {self.random_seed})",
            f"  failed fits: {self.n_failed}; non-converged: {self.n_nonconverged}; singular: "
            f"{self.n_singular}; fits that warned: {len(self.warnings)}",
        ]
        if self.n_simulations - self.n_failed >= 2:
            table = self.summary()
            shown = table[["true", "mean_estimate", "bias", "coverage"]].round(4)
            lines.append(
                f"  Wald coverage at {table.attrs['level']:g} and bias (summary() has the rest):"
            )
            lines += ["  " + line for line in shown.to_string().splitlines()]
        return "\n".join(lines)


def _flag(value: object) -> bool | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return bool(value)


def _check_level(level: object) -> float:
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise ArgumentError(f"level must be a number between 0 and 1; got level={level!r}")
    return float(level)


def _check_exclude(exclude: object) -> tuple[str, ...]:
    if isinstance(exclude, str):
        exclude = (exclude,)
    if not isinstance(exclude, Sequence) or any(e not in EXCLUDABLE for e in exclude):
        raise ArgumentError(
            f"exclude must be a list of {list(EXCLUDABLE)} (failed fits are always left out); "
            f"got exclude={exclude!r}"
        )
    return tuple(exclude)
