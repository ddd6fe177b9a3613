"""The result of a simulation-based calibration run: ranks, uniformity tests, summary, plots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from bayesml.errors import ArgumentError
from bayesml.workflows.sbc_ranks import randomized_pit
from bayesml.workflows.sbc_run import SimulationOutcome

__all__ = ["DIAGNOSTIC_COLUMNS", "SBCResult"]

#: the columns of ``SBCResult.ranks`` after the parameters, per simulation
DIAGNOSTIC_COLUMNS = (
    "max_rank",
    "thin",
    "divergences",
    "rhat_max",
    "ess_bulk_min",
    "n_warnings",
    "failure",
    "seconds",
)


class SBCResult:
    """Ranks of the true parameters among the posterior draws of every simulation.

    Attributes
    ----------
    ranks
        One row per simulation (index ``simulation``), one column per checked parameter entry
        (``beta[x]``, ``sd_g[Intercept]``, ``sigma``, ``u_g[a, Intercept]``, ...) holding the
        rank of its true value among the L kept draws (0, …, L; missing for a failed fit), then
        the columns ``max_rank`` (L), ``thin``, ``divergences``, ``rhat_max``,
        ``ess_bulk_min``, ``n_warnings``, ``failure`` (the error, else missing) and ``seconds``.
    truths
        The true values, shaped as the parameter columns of ``ranks``.
    warnings
        ``{simulation: [message, ...]}`` for the fits that warned.
    settings
        The run's settings (method, draws, thin, seed, ...), as saved in a ``save_dir``.
    random_seed
        The run's seed (drawn and recorded when none was given).
    """

    def __init__(
        self,
        outcomes: Sequence[SimulationOutcome],
        *,
        parameters: Sequence[str],
        truths: np.ndarray,
        settings: Mapping[str, Any],
    ) -> None:
        self.outcomes = list(outcomes)
        self.parameters = list(parameters)
        self.settings = dict(settings)
        self.random_seed = int(settings["random_seed"])
        index = pd.RangeIndex(len(self.outcomes), name="simulation")
        self.truths = pd.DataFrame(truths, index=index, columns=self.parameters)
        ranks = self.statistic("rank").astype("Int64")
        meta = pd.DataFrame(
            {
                "max_rank": [o.diagnostics.get("max_rank", np.nan) for o in self.outcomes],
                "thin": [o.diagnostics.get("thin", np.nan) for o in self.outcomes],
                "divergences": [o.diagnostics.get("divergences", np.nan) for o in self.outcomes],
                "rhat_max": [o.diagnostics.get("rhat_max", np.nan) for o in self.outcomes],
                "ess_bulk_min": [o.diagnostics.get("ess_bulk_min", np.nan) for o in self.outcomes],
                "n_warnings": [len(o.warnings) for o in self.outcomes],
                "failure": [None if o.failure is None else str(o.failure) for o in self.outcomes],
                "seconds": [o.seconds for o in self.outcomes],
            },
            index=index,
        )
        for column in ("max_rank", "thin", "divergences"):
            meta[column] = meta[column].astype("Int64")
        self.ranks = pd.concat([ranks, meta], axis=1)
        self.warnings = {o.index: list(o.warnings) for o in self.outcomes if o.warnings}

    def statistic(self, name: str) -> pd.DataFrame:
        """One per-entry statistic of every simulation, shaped as ``truths`` (missing for failed
        fits): ``"rank"``, ``"mean"`` and ``"sd"`` (the posterior's) for a sampling method, or
        what another kind of fit's analysis returns (:data:`bayesml.workflows.sbc_run.ANALYSES`).

        Raises
        ------
        ArgumentError
            For a statistic no simulation has.
        """
        known = {key for o in self.outcomes for key in o.statistics}
        if name not in known and known:
            raise ArgumentError(f"statistic must be one of {sorted(known)}; got statistic={name!r}")
        rows = [
            o.statistics.get(name, [np.nan] * len(self.parameters))
            if o.failure is None
            else [np.nan] * len(self.parameters)
            for o in self.outcomes
        ]
        return pd.DataFrame(
            np.asarray(rows, dtype=float).reshape(len(rows), len(self.parameters)),
            index=self.truths.index,
            columns=self.parameters,
        )

    # -- counts ---------------------------------------------------------------------------------
    @property
    def n_simulations(self) -> int:
        """Simulations in the run."""
        return len(self.outcomes)

    @property
    def n_failed(self) -> int:
        """Simulations whose fit failed (no ranks)."""
        return sum(o.failure is not None for o in self.outcomes)

    @property
    def n_warned(self) -> int:
        """Simulations whose fit warned (divergences, R-hat, ESS, ...); their ranks are kept."""
        return len(self.warnings)

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

    # -- statistics -----------------------------------------------------------------------------
    def pit(self) -> pd.DataFrame:
        """Randomised PIT values (rank + V) / (L + 1), V uniform on (0, 1) from the run's seed.

        Uniform on (0, 1) under a correct sampler, whatever the number L of kept draws of each
        simulation (which ``thin="auto"`` chooses per fit); missing for failed fits.
        """
        ranks = self.statistic("rank").to_numpy()
        max_rank = self.ranks["max_rank"].to_numpy(dtype=float, na_value=np.nan)[:, None]
        rng = np.random.default_rng(np.random.SeedSequence([self.random_seed, 2]))
        values = randomized_pit(ranks, max_rank, rng)
        return pd.DataFrame(values, index=self.truths.index, columns=self.parameters)

    def summary(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per parameter entry: the uniformity test of its ranks and its calibration.

        The test is ArviZ's ``pot_c`` (``arviz_stats`` ``uniformity_test``: pointwise beta
        tests of the sorted PIT values combined by the Cauchy combination test, Tesso et al.
        2026), the test ``bayesml.plots.sbc(kind="ecdf_diff")`` shows; the p-values are
        adjusted across the parameters by Holm's step-down method (family-wise error ``alpha``).

        Parameters
        ----------
        alpha
            Family-wise significance level of ``passed``.

        Returns
        -------
        pandas.DataFrame
            Index ``parameter``; columns ``n`` (simulations with ranks), ``p_value``,
            ``p_adjusted`` (Holm), ``passed`` (``p_adjusted >= alpha``; missing without a
            p-value, e.g. fewer than 2 successful fits), ``mean_z`` (the mean
            over simulations of (posterior mean − true value) / posterior SD: near 0 without
            bias) and ``contraction`` (1 − mean posterior variance / prior variance: 0 when
            the data teach nothing, 1 when they pin the parameter down).
        """
        if not (isinstance(alpha, float | int) and 0 < alpha < 1):
            raise ArgumentError(f"alpha must be a number between 0 and 1; got alpha={alpha!r}")
        from arviz_stats.base import array_stats

        pit = self.pit()
        p_values = []
        for column in self.parameters:
            values = pit[column].dropna().to_numpy()
            if values.size < 2:
                p_values.append(np.nan)
                continue
            p_values.append(float(array_stats.uniformity_test(values, axis=-1)[0]))
        p_values = np.asarray(p_values, dtype=float)
        adjusted = holm(p_values)
        mean, sd = self.statistic("mean"), self.statistic("sd")
        with np.errstate(invalid="ignore", divide="ignore"):
            z = (mean - self.truths) / sd
            prior_variance = self.truths.var(axis=0, ddof=1)
            contraction = 1 - (sd**2).mean(axis=0) / prior_variance
        table = pd.DataFrame(
            {
                "n": pit.notna().sum(axis=0).astype(int),
                "p_value": p_values,
                "p_adjusted": adjusted,
                "passed": pd.array(
                    [None if np.isnan(p) else bool(p >= alpha) for p in adjusted], dtype="boolean"
                ),
                "mean_z": z.mean(axis=0),
                "contraction": contraction,
            },
            index=pd.Index(self.parameters, name="parameter"),
        )
        table.attrs["alpha"] = alpha
        table.attrs["correction"] = "holm"
        return table

    def plot(
        self,
        kind: str = "ecdf_diff",
        *,
        parameters: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Draw the ranks: ``"ecdf_diff"`` (ArviZ's rank ECDF differences with simultaneous
        bands, a ``PlotCollection``) or ``"hist"`` (rank histograms with a 99 % band per bin,
        a matplotlib figure). See :func:`bayesml.plots.sbc`."""
        from bayesml.plots.sbc import sbc as plot_sbc

        return plot_sbc(self, kind=kind, parameters=parameters, **kwargs)

    def __repr__(self) -> str:
        method = self.settings.get("method")
        lines = [
            f"SBCResult: {self.n_simulations} simulations of {len(self.parameters)} parameter "
            f"entries by {method!r} (seed {self.random_seed})",
            f"  failed fits: {self.n_failed}; fits that warned: {self.n_warned}",
        ]
        if self.n_simulations - self.n_failed >= 2:
            table = self.summary()
            failed = table.index[table["passed"].eq(False).fillna(False)].tolist()
            lines.append(
                f"  uniformity (pot_c, Holm, alpha {table.attrs['alpha']}): "
                + ("all pass" if not failed else f"{len(failed)} fail: {', '.join(failed[:5])}")
            )
        return "\n".join(lines)


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN entries left out and kept NaN)."""
    p_values = np.asarray(p_values, dtype=float)
    adjusted = np.full(p_values.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p_values))
    if finite.size == 0:
        return adjusted
    order = finite[np.argsort(p_values[finite], kind="stable")]
    m = order.size
    scaled = np.minimum(1.0, (m - np.arange(m)) * p_values[order])
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted
