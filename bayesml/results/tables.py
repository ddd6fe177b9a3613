"""The conventions of bayesml's tables of estimates, written once.

* **Parameter order** — every backend's posterior, :func:`bayesml.summary`, the sensitivity tables
  and :func:`bayesml.compare` list the parameters as ``beta``, ``sd_<group>``, ``corr_<group>``,
  the family parameters in the family's order (``sigma``, ``nu``, ``alpha``, ``kappa``), then the
  random effects ``u_<group>``; anything else follows in its own order (:func:`order_names`,
  :func:`order_parameters`).
* **Intervals** — the argument is ``ci_prob`` (ArviZ 1.x's name), by default 0.94: a 94 % highest
  density interval of posterior draws, a 94 % Wald interval of an h-likelihood fit. (ArviZ's own
  default, ``rcParams["stats.ci_prob"]``, is 0.89 with an equal-tailed interval.) The bounds are
  the columns ``ci_lower`` and ``ci_upper``; what they are is said once, in
  ``table.attrs["ci"]`` (``"94% HDI"``) and under the printed table, and ``table.attrs["ci_prob"]``
  holds the probability.
* **Display** — an :class:`EstimateTable` prints and renders in Jupyter rounded (four significant
  digits; ESS as whole numbers; R-hat with three decimals) while its values keep full precision.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from bayesml.errors import ArgumentError

if TYPE_CHECKING:
    import xarray as xr

    from bayesml.families import Family

__all__ = [
    "CI_COLUMNS",
    "DEFAULT_CI_PROB",
    "EstimateTable",
    "check_ci_prob",
    "ci_label",
    "family_parameter_order",
    "order_names",
    "order_parameters",
]

DEFAULT_CI_PROB = 0.94
"""The default probability of every interval bayesml reports (ArviZ's default is 0.89)."""

CI_COLUMNS = ("ci_lower", "ci_upper")
"""The names of an interval's bounds in every table."""

#: interval kind -> how a table names it
CI_KINDS = {"hdi": "HDI", "wald": "Wald"}


# -- parameter order ------------------------------------------------------------------------------
def family_parameter_order(family: Family | None = None) -> tuple[str, ...]:
    """The family parameters in order: ``family``'s own, or those of every registered family in
    registry order (``sigma``, ``nu``, ``alpha``, ``kappa``)."""
    if family is not None:
        return tuple(parameter.name for parameter in family.parameters)
    from bayesml.families import FAMILIES

    names: dict[str, None] = {}
    for registered in FAMILIES.values():
        names.update(dict.fromkeys(parameter.name for parameter in registered.parameters))
    return tuple(names)


def _rank(name: str, family_parameters: tuple[str, ...]) -> tuple[int, int]:
    if name == "beta":
        return (0, 0)
    if name.startswith("beta_"):  # the coefficients of a family parameter's formula
        return (0, 1)
    if name.startswith("sd_"):
        return (1, 0)
    if name.startswith("corr_"):
        return (2, 0)
    if name in family_parameters:
        return (3, family_parameters.index(name))
    if name.startswith("u_"):
        return (4, 0)
    return (5, 0)


def order_names(names: Iterable[str], family: Family | None = None) -> list[str]:
    """``names`` in the shared parameter order (see the module text); groups keep their order.

    Examples
    --------
    >>> order_names(["sigma", "u_g", "beta", "corr_g", "sd_g", "sd_h"])
    ['beta', 'sd_g', 'sd_h', 'corr_g', 'sigma', 'u_g']
    """
    family_parameters = family_parameter_order(family)
    return sorted(names, key=lambda name: _rank(str(name), family_parameters))


def order_parameters(dataset: xr.Dataset, family: Family | None = None) -> xr.Dataset:
    """``dataset`` (a posterior or prior group) with its variables in the shared order."""
    return dataset[order_names([str(name) for name in dataset.data_vars], family)]


# -- intervals ------------------------------------------------------------------------------------
def check_ci_prob(value: Any, name: str = "ci_prob") -> float:
    """``value`` as a float if it is a probability strictly between 0 and 1; else ArgumentError."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ArgumentError(
            f"{name} must be a number between 0 and 1 (exclusive), e.g. 0.94; got {value!r}"
        )
    return float(value)


def ci_label(ci_prob: float, kind: str) -> str:
    """``"94% HDI"``, ``"50% Wald"``: how a table names an interval."""
    return f"{100 * ci_prob:g}% {CI_KINDS.get(kind, kind)}"


# -- display --------------------------------------------------------------------------------------
def _statistic(column: Any) -> str:
    """The statistic a column holds: the last level of a (fit, statistic) column."""
    return str(column[-1] if isinstance(column, tuple) else column)


def _shown(value: float, statistic: str, digits: int) -> str:
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if statistic.startswith("ess"):
        return f"{value:.0f}"
    if statistic == "r_hat":
        return f"{value:.3f}"
    if value != 0 and abs(value) >= 10**digits:
        return f"{value:.0f}"
    return f"{value:.{digits}g}"


class EstimateTable(pd.DataFrame):
    """A table of estimates: a pandas DataFrame that displays rounded and keeps every digit.

    ``print(table)``, the REPL and Jupyter show the numbers rounded — :attr:`display_digits`
    significant digits (four by default), effective sample sizes as whole numbers, R-hat with
    three decimals — and, under the table, which interval ``ci_lower``/``ci_upper`` hold
    (``attrs["ci"]``, e.g. ``"94% HDI"``). The values themselves are never rounded:
    ``table.loc["sigma", "mean"]``, ``table.to_numpy()``, ``table.to_csv()`` and
    ``table.to_string()`` give them in full; :meth:`formatted` gives the strings shown.
    Selections (``table.loc[...]``, ``table[["mean", "sd"]]``) stay EstimateTables; a plain
    DataFrame is ``pd.DataFrame(table)``.
    """

    _metadata = ["display_digits"]
    display_digits: int = 4

    @property
    def _constructor(self):
        return EstimateTable

    def formatted(self) -> pd.DataFrame:
        """The table as shown: a DataFrame of strings, numbers rounded (see the class text)."""
        shown = pd.DataFrame(self).astype(object)
        digits = int(self.display_digits)
        for position, column in enumerate(self.columns):
            values = self.iloc[:, position]
            if values.dtype.kind != "f":
                continue
            statistic = _statistic(column)
            shown.isetitem(position, [_shown(float(v), statistic, digits) for v in values])
        return shown

    def _caption(self) -> str:
        ci = self.attrs.get("ci")
        if not ci or not any(_statistic(column) in CI_COLUMNS for column in self.columns):
            return ""
        return f"ci_lower, ci_upper: {ci}"

    def __repr__(self) -> str:
        # every column (as ArviZ prints a summary); long tables cut as pandas cuts them
        max_rows = pd.get_option("display.max_rows")
        text = self.formatted().to_string(
            max_rows=max_rows,
            min_rows=pd.get_option("display.min_rows"),
            show_dimensions=bool(max_rows) and len(self) > max_rows,
        )
        caption = self._caption()
        return f"{text}\n{caption}" if caption else text

    def _repr_html_(self) -> str | None:  # type: ignore[override]
        html = pd.DataFrame._repr_html_(self.formatted())
        caption = self._caption()
        if html is None or not caption:
            return html
        import html as html_lib

        return f"{html}<p>{html_lib.escape(caption)}</p>"
