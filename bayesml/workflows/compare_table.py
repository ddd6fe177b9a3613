"""The tables of a comparison: a tidy one (one row per fit and parameter) and a wide one
(one row per parameter, a block of columns per fit).

Both are :class:`~bayesml.results.tables.EstimateTable` objects (printed rounded, values
exact) with the interval bounds in ``ci_lower``, ``ci_upper``. A comparison mixes kinds of
interval (the HDIs of posteriors, the Wald intervals of h-likelihood fits), so the tidy table
says which per row (column ``interval``: ``"94% HDI"``, ``"94% Wald"``) and both tables per fit
in ``attrs["ci"]`` (``"94% HDI (nuts, gibbs); 94% Wald (hlik)"``), with ``attrs["ci_prob"]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayesml.results.tables import CI_COLUMNS, EstimateTable, ci_label
from bayesml.workflows.compare_estimates import FAMILY_PARAMETERS, KIND_ORDER, Estimate

__all__ = ["FitEstimates", "interval_note", "parameter_order", "tidy_table", "wide_table"]

TIDY_COLUMNS = (
    "parameter",
    "kind",
    "result",
    "method",
    "estimate",
    "error",
    *CI_COLUMNS,
    "interval",
    "note",
)


@dataclass(frozen=True)
class FitEstimates:
    """The estimates of one fit, with how to label its columns.

    Attributes
    ----------
    name, method
        The fit's name in the table and the backend (``"nuts"``, ``"gibbs"``, ``"hlik"``).
    interval
        ``"hdi"`` or ``"wald"``.
    estimates
        Its :class:`Estimate` rows.
    """

    name: str
    method: str
    interval: str
    estimates: tuple[Estimate, ...]

    def columns(self) -> tuple[str, str, str, str]:
        """Names of its four statistics: ``mean, sd, ci_lower, ci_upper`` (posteriors) or
        ``estimate, se, ci_lower, ci_upper`` (h-likelihood fits)."""
        centre, spread = ("mean", "sd") if self.interval == "hdi" else ("estimate", "se")
        return centre, spread, *CI_COLUMNS


def parameter_order(fits: Sequence[FitEstimates]) -> list[str]:
    """Every parameter once, by kind (:data:`KIND_ORDER`: fixed, sd, corr, family, random), the
    family parameters in the shared order (sigma, nu, alpha, kappa), otherwise in order of first
    appearance."""
    seen: dict[str, str] = {}
    for fit in fits:
        for estimate in fit.estimates:
            seen.setdefault(estimate.parameter, estimate.kind)
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}

    def key(name: str) -> tuple[int, int]:
        within = FAMILY_PARAMETERS.index(name) if name in FAMILY_PARAMETERS else 0
        return rank[seen[name]], within

    return sorted(seen, key=key)  # sorted() is stable


def interval_note(fits: Sequence[FitEstimates], ci_prob: float) -> str:
    """``"94% HDI"`` when every fit has the same kind of interval, else which fits have which:
    ``"94% HDI (nuts, gibbs); 94% Wald (hlik)"``."""
    by_kind: dict[str, list[str]] = {}
    for fit in fits:
        by_kind.setdefault(fit.interval, []).append(fit.name)
    if len(by_kind) == 1:
        return ci_label(ci_prob, next(iter(by_kind)))
    return "; ".join(
        f"{ci_label(ci_prob, kind)} ({', '.join(names)})" for kind, names in by_kind.items()
    )


def _with_ci(table: pd.DataFrame, fits: Sequence[FitEstimates], ci_prob: float) -> EstimateTable:
    out = EstimateTable(table)
    out.attrs["ci"] = interval_note(fits, ci_prob)
    out.attrs["ci_prob"] = ci_prob
    return out


def _kinds(fits: Sequence[FitEstimates]) -> dict[str, str]:
    return {e.parameter: e.kind for fit in fits for e in fit.estimates}


def tidy_table(fits: Sequence[FitEstimates], ci_prob: float) -> EstimateTable:
    """One row per fit and parameter; a parameter a fit lacks is a row of NaN (note "not estimated")."""
    order, kinds = parameter_order(fits), _kinds(fits)
    rows = []
    for fit in fits:
        by_name = {e.parameter: e for e in fit.estimates}
        interval = ci_label(ci_prob, fit.interval)
        for parameter in order:
            e = by_name.get(parameter)
            if e is None:
                values = (np.nan, np.nan, np.nan, np.nan, "not estimated")
            else:
                values = (e.estimate, e.error, e.lower, e.upper, e.note)
            rows.append(
                (
                    parameter,
                    kinds[parameter],
                    fit.name,
                    fit.method,
                    *values[:4],
                    interval,
                    values[4],
                )
            )
    return _with_ci(pd.DataFrame(rows, columns=list(TIDY_COLUMNS)), fits, ci_prob)


def wide_table(fits: Sequence[FitEstimates], ci_prob: float) -> EstimateTable:
    """One row per parameter (index ``parameter``); columns (fit name, statistic) and ``note``.

    The note joins the fits' notes as ``"<name>: <note>"``.
    """
    order = parameter_order(fits)
    columns: dict[tuple[str, str], list[float]] = {}
    notes: dict[str, list[str]] = {parameter: [] for parameter in order}
    for fit in fits:
        by_name = {e.parameter: e for e in fit.estimates}
        stats = fit.columns()
        for position, statistic in enumerate(stats):
            columns[(fit.name, statistic)] = [
                _value(by_name.get(parameter), position) for parameter in order
            ]
        for parameter in order:
            e = by_name.get(parameter)
            note = "not estimated" if e is None else e.note
            if note:
                notes[parameter].append(f"{fit.name}: {note}")
    table = pd.DataFrame(columns, index=pd.Index(order, name="parameter"))
    table.columns = pd.MultiIndex.from_tuples(list(columns), names=["result", "statistic"])
    table[("note", "")] = ["; ".join(notes[parameter]) for parameter in order]
    return _with_ci(table, fits, ci_prob)


def _value(estimate: Estimate | None, position: int) -> float:
    if estimate is None:
        return np.nan
    return (estimate.estimate, estimate.error, estimate.lower, estimate.upper)[position]
