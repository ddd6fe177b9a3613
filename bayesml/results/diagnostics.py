"""Convergence checks after sampling: divergences, R-hat and effective sample size.

Problems are reported as :class:`bayesml.errors.SamplingWarning` with counts, never printed.
Thresholds follow Vehtari et al. (2021): rank-normalised R-hat below 1.01 and a bulk and tail ESS of
at least 100 per chain.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import xarray as xr

from bayesml.errors import SamplingWarning, warn
from bayesml.results.convergence import rank_diagnostics

__all__ = ["SamplingDiagnostics", "check_sampling"]

RHAT_THRESHOLD = 1.01
ESS_PER_CHAIN = 100


@dataclass(frozen=True)
class SamplingDiagnostics:
    """Counts behind the sampling warnings."""

    divergences: int
    draws: int
    rhat_max: float
    rhat_bad: tuple[str, ...]
    ess_bulk_min: float
    ess_tail_min: float
    ess_bad: tuple[str, ...]


def _flat_names(values: xr.Dataset, predicate, also: xr.Dataset | None = None) -> list[str]:
    """Names like ``sd_county[floor]`` of the entries where ``predicate(value)`` holds (in
    ``values`` or, when given, in ``also``, shaped alike), in the posterior's order.

    A correlation matrix ``corr_<group>`` is named by its upper triangle only (its diagonal is
    constant, its lower triangle repeats the upper), as in the summary table.
    """
    names = []
    for var, data in values.data_vars.items():
        flags = np.atleast_1d(predicate(np.atleast_1d(data.values)))
        if also is not None:
            flags = flags | np.atleast_1d(predicate(np.atleast_1d(also[var].values)))
        for index in np.argwhere(flags):
            if data.ndim == 0:
                names.append(var)
                continue
            if str(var).startswith("corr_") and data.ndim == 2 and index[0] >= index[1]:
                continue
            labels = [
                str(data.coords[dim].values[i]) if dim in data.coords else str(i)
                for dim, i in zip(data.dims, index, strict=True)
            ]
            names.append(f"{var}[{', '.join(labels)}]")
    return names


def check_sampling(
    tree: xr.DataTree, *, var_names: list[str] | None = None, warn: bool = True
) -> SamplingDiagnostics:
    """Compute divergences, R-hat and ESS of the posterior and warn about problems.

    Parameters
    ----------
    tree
        Result with ``posterior`` (and ``sample_stats`` for divergences).
    var_names
        Variables to check; by default every posterior variable.
    warn
        Issue a :class:`~bayesml.errors.SamplingWarning` per kind of problem.
    """
    posterior = tree["posterior"].to_dataset()
    if var_names is not None:
        posterior = posterior[var_names]
    chains = posterior.sizes["chain"]
    draws = posterior.sizes["draw"]
    divergences = 0
    if "sample_stats" in tree.children and "diverging" in tree["sample_stats"]:
        divergences = int(tree["sample_stats"]["diverging"].values.sum())
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        # constant entries (the unit diagonal of a correlation matrix) have no R-hat or ESS
        warnings.simplefilter("ignore", RuntimeWarning)
        values = posterior_diagnostics(posterior)
        rhat, ess_bulk, ess_tail = values["rhat"], values["ess_bulk"], values["ess_tail"]
        if chains > 1 and draws >= 4:
            rhat_bad = _flat_names(rhat, lambda a: a > RHAT_THRESHOLD)
            rhat_max = float(
                max((np.nanmax(v.values) for v in rhat.data_vars.values()), default=np.nan)
            )
        else:
            rhat_bad, rhat_max = [], float("nan")
        threshold = ESS_PER_CHAIN * chains
        ess_bad = _flat_names(ess_bulk, lambda a: a < threshold, also=ess_tail)
    result = SamplingDiagnostics(
        divergences=divergences,
        draws=chains * draws,
        rhat_max=rhat_max,
        rhat_bad=tuple(rhat_bad),
        ess_bulk_min=float(min(np.nanmin(v.values) for v in ess_bulk.data_vars.values())),
        ess_tail_min=float(min(np.nanmin(v.values) for v in ess_tail.data_vars.values())),
        ess_bad=tuple(ess_bad),
    )
    if warn:
        _warn(result, threshold)
    return result


def posterior_diagnostics(posterior: xr.Dataset) -> dict[str, xr.Dataset]:
    """Rank-normalised R-hat, bulk ESS and tail ESS of every entry of every variable.

    The numbers of ``arviz_stats.rhat`` and ``arviz_stats.ess(method="bulk" | "tail")``, computed
    for all entries at once (:mod:`bayesml.results.convergence`); entries with a non-finite draw
    are left to arviz-stats.

    Returns
    -------
    dict
        ``rhat``, ``ess_bulk``, ``ess_tail``: Datasets shaped like ``posterior`` without
        ``chain`` and ``draw``.
    """
    names = list(posterior.data_vars)
    arrays = [posterior[name].transpose("chain", "draw", ...) for name in names]
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    flat = [np.asarray(a.values, dtype=float).reshape(chains, draws, -1) for a in arrays]
    stacked = np.concatenate(flat, axis=2) if flat else np.zeros((chains, draws, 0))
    values = rank_diagnostics(stacked)
    bounds = np.cumsum([0] + [block.shape[2] for block in flat])
    finite = np.isfinite(stacked).all(axis=(0, 1))
    results: dict[str, xr.Dataset] = {}
    for key in ("rhat", "ess_bulk", "ess_tail"):
        variables = {}
        for index, (name, array) in enumerate(zip(names, arrays, strict=True)):
            part = slice(bounds[index], bounds[index + 1])
            entries = values[key][part]
            if not finite[part].all():  # NaN or infinite draws: arviz-stats's own rules
                entries = _arviz_diagnostic(key, posterior[[name]])[name].values.reshape(-1)
            variables[name] = xr.DataArray(
                entries.reshape(array.shape[2:]),
                dims=array.dims[2:],
                coords={dim: array.coords[dim] for dim in array.dims[2:] if dim in array.coords},
            )
        results[key] = xr.Dataset(variables)
    return results


def _arviz_diagnostic(key: str, dataset: xr.Dataset) -> xr.Dataset:
    import arviz_stats

    if key == "rhat":
        return arviz_stats.rhat(dataset)
    return arviz_stats.ess(dataset, method=key.removeprefix("ess_"))


def _preview(names: tuple[str, ...], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def _count(number: int, noun: str, plural: str | None = None) -> str:
    """``"1 parameter"``, ``"3 parameters"``."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def _above(value: float, threshold: float) -> str:
    """``value`` with the fewest decimals (at least three) that show it above ``threshold``:
    1.0104 against 1.01 reads ``1.0104``, not ``1.010``."""
    for decimals in range(3, 10):
        text = f"{value:.{decimals}f}"
        if float(text) > threshold:
            return text
    return repr(value)


def _warn(diagnostics: SamplingDiagnostics, ess_threshold: int) -> None:
    if diagnostics.divergences:
        warn(
            f"{diagnostics.divergences} of {_count(diagnostics.draws, 'post-warm-up draw')} "
            "diverged; the posterior may be biased. Increase tune or target_accept "
            "(sampler_kwargs), or reparameterise / use more informative priors.",
            SamplingWarning,
        )
    if diagnostics.rhat_bad:
        warn(
            f"R-hat above {RHAT_THRESHOLD} for {_count(len(diagnostics.rhat_bad), 'parameter')} "
            f"(max {_above(diagnostics.rhat_max, RHAT_THRESHOLD)}): "
            f"{_preview(diagnostics.rhat_bad)}. The chains have not mixed; run longer chains.",
            SamplingWarning,
        )
    if diagnostics.ess_bad:
        warn(
            f"effective sample size below {ess_threshold} ({ESS_PER_CHAIN} per chain) for "
            f"{_count(len(diagnostics.ess_bad), 'parameter')} (min bulk ESS "
            f"{diagnostics.ess_bulk_min:.0f}, min tail ESS {diagnostics.ess_tail_min:.0f}): "
            f"{_preview(diagnostics.ess_bad)}.",
            SamplingWarning,
        )
