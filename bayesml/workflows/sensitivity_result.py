"""The result of a prior-sensitivity run: the fits, their failures, tables and a forest plot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from bayesml.errors import ArgumentError
from bayesml.priors import validate_prior_mapping
from bayesml.results.tables import DEFAULT_CI_PROB, EstimateTable, check_ci_prob, ci_label
from bayesml.workflows.sensitivity_checks import DEFAULT_QUANTILES, prior_predictive_summary
from bayesml.workflows.sensitivity_grid import PriorConfiguration, describe_prior
from bayesml.workflows.sensitivity_io import SensitivityWriter, read_saved_run
from bayesml.workflows.sensitivity_run import PRIOR_PREDICTIVE_ERROR_ATTR, FitFailure

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.figure import Figure

    from bayesml.spec import ModelSpec

__all__ = ["SensitivityResult", "load_sensitivity"]

#: posterior variables drawn by default in the forest plot (and their prefixes)
PLOT_PREFIXES = ("beta", "sd_", "corr_", "sigma", "nu", "alpha", "kappa")

TABLE_COLUMNS = (
    "configuration",
    "parameter",
    "mean",
    "sd",
    "ci_lower",
    "ci_upper",
    "ess_bulk",
    "ess_tail",
    "r_hat",
)


class SensitivityResult:
    """Fits of one model under several prior configurations.

    Made by :func:`bayesml.sensitivity` or :func:`bayesml.load_sensitivity`.

    Attributes
    ----------
    spec
        The base model's spec (the priors each configuration changes are in
        :attr:`configurations`).
    method
        ``"nuts"`` or ``"gibbs"``.
    results
        Label -> ``xarray.DataTree`` of each configuration that was fitted.
    errors
        Label -> ``"ErrorType: message"`` of each configuration that failed.
    tracebacks
        Label -> the formatted traceback of each failure.
    fit_kwargs
        The arguments passed to :meth:`bayesml.Model.sample`.
    """

    def __init__(
        self,
        *,
        spec: ModelSpec,
        method: str,
        configurations: Sequence[PriorConfiguration],
        results: Mapping[str, xr.DataTree],
        failures: Mapping[str, FitFailure],
        fit_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        self.spec = spec
        self.method = method
        self._configurations = tuple(configurations)
        order = [configuration.label for configuration in self._configurations]
        self.results: dict[str, xr.DataTree] = {k: results[k] for k in order if k in results}
        self.failures: dict[str, FitFailure] = {k: failures[k] for k in order if k in failures}
        self.fit_kwargs = dict(fit_kwargs or {})

    # -- what was run ---------------------------------------------------------------------------
    @property
    def labels(self) -> list[str]:
        """The configuration labels, in the order they were given."""
        return [configuration.label for configuration in self._configurations]

    @property
    def prior_configurations(self) -> tuple[PriorConfiguration, ...]:
        """The configurations as objects (label, priors set, grid choices)."""
        return self._configurations

    @property
    def errors(self) -> dict[str, str]:
        """Label -> ``"ErrorType: message"`` for each configuration whose fit failed."""
        return {label: str(failure) for label, failure in self.failures.items()}

    @property
    def tracebacks(self) -> dict[str, str]:
        """Label -> traceback text for each configuration whose fit failed."""
        return {label: failure.traceback for label, failure in self.failures.items()}

    @cached_property
    def configurations(self) -> pd.DataFrame:
        """One row per configuration: its label, the prior in force for each varied key, status.

        A key a configuration does not set keeps the base model's prior (``"default"`` when the
        base model has none for that key, or when the configuration sets it to ``None``);
        ``"implied by inverse_wishart"`` marks an SD prior that the configuration's
        inverse-Wishart covariance prior replaces.
        """
        keys = list(dict.fromkeys(k for c in self._configurations for k in (*c.priors, *c.implied)))
        base = validate_prior_mapping(self.spec.priors)
        rows = []
        for configuration in self._configurations:
            row: dict[str, Any] = {"label": configuration.label}
            for key in keys:
                if key in configuration.implied:
                    row[key] = "implied by inverse_wishart"
                    continue
                prior = configuration.priors[key] if key in configuration.priors else base.get(key)
                row[key] = describe_prior(prior)
            row["status"] = "failed" if configuration.label in self.failures else "ok"
            rows.append(row)
        return pd.DataFrame(rows, columns=["label", *keys, "status"])

    # -- tables ---------------------------------------------------------------------------------
    def summary(
        self, *, var_names: list[str] | None = None, ci_prob: float = DEFAULT_CI_PROB
    ) -> EstimateTable:
        """Tidy posterior summary: one row per configuration and parameter.

        Parameters
        ----------
        var_names
            Posterior variables to summarise; by default those of :func:`bayesml.summary`
            (fixed effects, SDs, correlations, family parameters, in that order).
        ci_prob
            Probability of the highest-density interval (``ci_lower``, ``ci_upper``): 0.94 by
            default, a 94 % HDI.

        Returns
        -------
        EstimateTable
            A pandas DataFrame with the columns ``configuration``, ``parameter``, ``mean``,
            ``sd``, ``ci_lower``, ``ci_upper``, ``ess_bulk``, ``ess_tail``, ``r_hat``;
            ``attrs["ci"]`` is ``"94% HDI"`` and ``attrs["ci_prob"]`` 0.94. It prints rounded;
            its values are exact.
        """
        from bayesml.results import summary

        ci_prob = check_ci_prob(ci_prob)
        frames = []
        for label, tree in self.results.items():
            table = summary(tree, var_names=var_names, ci_prob=ci_prob)
            frames.append(_tidy(table, label))
        if frames:
            table = EstimateTable(pd.concat(frames, ignore_index=True))
        else:
            table = EstimateTable(columns=list(TABLE_COLUMNS))
        table.attrs["ci"] = ci_label(ci_prob, "hdi")
        table.attrs["ci_prob"] = ci_prob
        return table

    @cached_property
    def table(self) -> EstimateTable:
        """:meth:`summary` with its defaults (94 % HDI)."""
        return self.summary()

    @cached_property
    def prior_predictive(self) -> pd.DataFrame:
        """Prior predictive checks, one block of rows per configuration.

        Statistics (mean, SD, min, max) of data replicated from the prior beside the observed
        values; see :func:`~bayesml.workflows.sensitivity_checks.prior_predictive_summary`.
        Configurations without prior predictive draws (see :attr:`prior_predictive_errors`)
        have no rows.
        """
        frames = [
            prior_predictive_summary(tree, quantiles=DEFAULT_QUANTILES).assign(configuration=label)
            for label, tree in self.results.items()
        ]
        frames = [frame for frame in frames if not frame.empty]
        if not frames:
            import xarray as xr

            columns = prior_predictive_summary(xr.DataTree()).columns
            return pd.DataFrame(columns=["configuration", *columns])
        table = pd.concat(frames, ignore_index=True)
        return table[["configuration", *[c for c in table.columns if c != "configuration"]]]

    @property
    def prior_predictive_errors(self) -> dict[str, str]:
        """Label -> why prior predictive draws could not be made (e.g. a flat prior)."""
        return {
            label: str(tree.attrs[PRIOR_PREDICTIVE_ERROR_ATTR])
            for label, tree in self.results.items()
            if PRIOR_PREDICTIVE_ERROR_ATTR in tree.attrs
        }

    # -- plot and save --------------------------------------------------------------------------
    def plot(
        self,
        var_names: list[str] | None = None,
        *,
        ci_prob: float | None = None,
        point_estimate: str = "mean",
        kinds: Sequence[str] | None = None,
        figsize: tuple[float, float] | None = None,
    ) -> Figure:
        """Forest plot of the key parameters: a row per parameter, one interval per configuration.

        Drawn as ``bayesml.compare(...).plot()`` (:func:`bayesml.plots.plot_estimates`): a panel
        per kind of parameter, split where the scales differ, rows labelled ``sd_rat[day]``, each
        correlation once (``corr_rat[Intercept, day]``), and a legend of the configurations
        beside the panels.

        Parameters
        ----------
        var_names
            Posterior variables to draw; by default ``beta``, the SDs, the correlations and the
            family parameters present in every fit.
        ci_prob
            Probability of the highest-density intervals (default 0.94).
        point_estimate
            ``"mean"`` or ``"median"``.
        kinds
            Panels to draw, from ``"fixed"``, ``"sd"``, ``"corr"``, ``"family"``, ``"random"``.
        figsize
            Figure size in inches; by default it grows with the number of rows.

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ArgumentError
            When no configuration was fitted, or a variable is not in every fit.
        MissingDependencyError
            Without matplotlib (``pip install 'bayesml[plot]'``).
        """
        if not self.results:
            raise ArgumentError(
                "no configuration was fitted, so there is nothing to plot; see .errors"
            )
        from bayesml.plots._common import resolve_ci_prob
        from bayesml.plots.estimates import plot_estimates
        from bayesml.plots.intervals import posterior_intervals

        prob = resolve_ci_prob(ci_prob, where="SensitivityResult.plot")
        names = self._plot_var_names() if var_names is None else list(var_names)
        for label, tree in self.results.items():
            missing = [name for name in names if name not in tree["posterior"].data_vars]
            if missing:
                raise ArgumentError(
                    f"var_names {missing} are not in the posterior of configuration {label!r}; "
                    f"it holds {sorted(map(str, tree['posterior'].data_vars))}"
                )
        tidy = pd.concat(
            [
                posterior_intervals(
                    tree, names, ci_prob=prob, point_estimate=point_estimate, source=label
                )
                for label, tree in self.results.items()
            ],
            ignore_index=True,
        )
        return plot_estimates(
            tidy,
            kinds=kinds,
            figsize=figsize,
            title=f"Posterior {point_estimate}s with {100 * prob:g}% HDIs by prior configuration",
            legend_title="configuration",
        )

    def _plot_var_names(self) -> list[str]:
        sets = [set(tree["posterior"].data_vars) for tree in self.results.values()]
        common = set.intersection(*sets)
        first = list(next(iter(self.results.values()))["posterior"].data_vars)
        return [name for name in first if name in common and name.startswith(PLOT_PREFIXES)]

    def save(self, directory: str | Path) -> Path:
        """Write every fit (one netCDF each), the tables (CSV) and a JSON index with the errors.

        :func:`bayesml.load_sensitivity` reads the directory back.

        Parameters
        ----------
        directory
            Created if needed; files of an earlier save there are replaced.

        Returns
        -------
        pathlib.Path
            The directory.
        """
        writer = SensitivityWriter(
            directory,
            spec=self.spec,
            method=self.method,
            configurations=self._configurations,
            fit_kwargs=self.fit_kwargs,
        )
        for label, tree in self.results.items():
            writer.add_fit(label, tree)
        for label, failure in self.failures.items():
            writer.add_failure(label, failure)
        return writer.finish(self)

    def __repr__(self) -> str:
        lines = [
            f"<bayesml.SensitivityResult> {len(self.results)} of {len(self._configurations)} "
            f"configurations fitted ({self.method})",
            f"Formula: {self.spec.formula}",
        ]
        lines += [f"  {label}" for label in self.results]
        lines += [f"  {label}: FAILED ({text})" for label, text in self.errors.items()]
        return "\n".join(lines)


def load_sensitivity(directory: str | Path) -> SensitivityResult:
    """Read a sensitivity run saved by :meth:`SensitivityResult.save` or ``save_dir=``.

    Parameters
    ----------
    directory
        The directory holding ``index.json``.

    Returns
    -------
    SensitivityResult
        With the same fits, errors and tables as the run that was saved. Configurations still
        running when a ``save_dir`` run stopped are neither in ``results`` nor in ``errors``.

    Raises
    ------
    DataError
        When the directory has no index, or the index is not one of a sensitivity run.
    """
    return SensitivityResult(**read_saved_run(directory))


def _tidy(table: pd.DataFrame, label: str) -> pd.DataFrame:
    """A :func:`bayesml.summary` table -> the tidy columns of :data:`TABLE_COLUMNS`."""
    tidy = pd.DataFrame(
        {
            "configuration": label,
            "parameter": [str(name) for name in table.index],
            "mean": table["mean"].to_numpy(dtype=float),
            "sd": table["sd"].to_numpy(dtype=float),
            "ci_lower": table["ci_lower"].to_numpy(dtype=float),
            "ci_upper": table["ci_upper"].to_numpy(dtype=float),
            "ess_bulk": table["ess_bulk"].to_numpy(dtype=float),
            "ess_tail": table["ess_tail"].to_numpy(dtype=float),
            "r_hat": table["r_hat"].to_numpy(dtype=float),
        }
    )
    return tidy
