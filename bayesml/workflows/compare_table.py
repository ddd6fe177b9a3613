"""The tables of a comparison: a tidy one (one row per fit and parameter) and a wide one
(one row per parameter, a block of columns per fit)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayesml.workflows.compare_estimates import KIND_ORDER, Estimate

__all__ = ["FitEstimates", "parameter_order", "tidy_table", "wide_table"]

TIDY_COLUMNS = (
    "parameter",
    "kind",
    "result",
    "method",
    "estimate",
    "error",
    "lower",
    "upper",
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

    def columns(self, hdi_prob: float) -> tuple[str, str, str, str]:
        """Names of its four statistics: ``mean, sd, hdi94_lb, hdi94_ub`` or
        ``estimate, se, wald94_lb, wald94_ub``."""
        percent = f"{100 * hdi_prob:g}"
        centre, spread = ("mean", "sd") if self.interval == "hdi" else ("estimate", "se")
        return centre, spread, f"{self.interval}{percent}_lb", f"{self.interval}{percent}_ub"


def parameter_order(fits: Sequence[FitEstimates]) -> list[str]:
    """Every parameter once, by kind (:data:`KIND_ORDER`), then in order of first appearance."""
    seen: dict[str, str] = {}
    for fit in fits:
        for estimate in fit.estimates:
            seen.setdefault(estimate.parameter, estimate.kind)
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    return sorted(seen, key=lambda name: rank[seen[name]])  # sorted() is stable


def _kinds(fits: Sequence[FitEstimates]) -> dict[str, str]:
    return {e.parameter: e.kind for fit in fits for e in fit.estimates}


def tidy_table(fits: Sequence[FitEstimates], hdi_prob: float) -> pd.DataFrame:
    """One row per fit and parameter; a parameter a fit lacks is a row of NaN (note "not estimated")."""
    order, kinds = parameter_order(fits), _kinds(fits)
    percent = f"{100 * hdi_prob:g}%"
    rows = []
    for fit in fits:
        by_name = {e.parameter: e for e in fit.estimates}
        interval = f"{percent} {'HDI' if fit.interval == 'hdi' else 'Wald'}"
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
    return pd.DataFrame(rows, columns=list(TIDY_COLUMNS))


def wide_table(fits: Sequence[FitEstimates], hdi_prob: float) -> pd.DataFrame:
    """One row per parameter (index ``parameter``); columns (fit name, statistic) and ``note``.

    The note joins the fits' notes as ``"<name>: <note>"``.
    """
    order = parameter_order(fits)
    columns: dict[tuple[str, str], list[float]] = {}
    notes: dict[str, list[str]] = {parameter: [] for parameter in order}
    for fit in fits:
        by_name = {e.parameter: e for e in fit.estimates}
        stats = fit.columns(hdi_prob)
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
    return table


def _value(estimate: Estimate | None, position: int) -> float:
    if estimate is None:
        return np.nan
    return (estimate.estimate, estimate.error, estimate.lower, estimate.upper)[position]
