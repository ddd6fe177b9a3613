"""Compare fits of one model by different backends: NUTS, Gibbs, h-likelihood and maximum
likelihood, side by side.

>>> comparison = bayesml.compare(nuts_result, gibbs_result, hlik_fit)   # doctest: +SKIP
>>> comparison.table.loc["sd_g[Intercept]"]                            # doctest: +SKIP
>>> comparison.plot()                                                   # doctest: +SKIP

Each kind of result has an adapter (:data:`ADAPTERS`) that names it, reads its family and turns
it into :class:`~bayesml.workflows.compare_estimates.Estimate` rows under the shared posterior
names; the h-likelihood adapter maps λ and φ to the SDs they imply (see
:mod:`bayesml.workflows.compare_hlik`).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bayesml.errors import ArgumentError, ArgumentTypeError, warn
from bayesml.results.tables import DEFAULT_CI_PROB, EstimateTable, check_ci_prob
from bayesml.workflows.compare_estimates import Estimate
from bayesml.workflows.compare_table import FitEstimates, interval_note, tidy_table, wide_table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["ADAPTERS", "Comparison", "ResultAdapter", "compare"]


@dataclass(frozen=True)
class ResultAdapter:
    """How :func:`compare` reads one kind of result.

    Attributes
    ----------
    accepts
        Whether an object is this kind of result.
    method
        The backend's name (the default column name).
    family
        (family, link) of the fitted model, or None when the result does not record it.
    estimates
        ``estimates(result, ci_prob=, include_random_effects=)`` -> list of estimates.
    notes
        What the table cannot show of the result (one sentence each).
    interval
        ``"hdi"`` or ``"wald"``.
    """

    accepts: Callable[[Any], bool]
    method: Callable[[Any], str]
    family: Callable[[Any], tuple[str, str] | None]
    estimates: Callable[..., list[Estimate]]
    notes: Callable[[Any], list[str]]
    interval: str


def _is_posterior(result: Any) -> bool:
    import xarray as xr

    return isinstance(result, xr.DataTree)


def _is_hlik(result: Any) -> bool:
    from bayesml.backends.hlik import HlikResult

    return isinstance(result, HlikResult)


def _is_ml(result: Any) -> bool:
    from bayesml.backends.laplace.result import MLResult

    return isinstance(result, MLResult)


def _posterior_adapter() -> ResultAdapter:
    from bayesml.workflows import compare_posterior as posterior

    return ResultAdapter(
        accepts=_is_posterior,
        method=posterior.posterior_method,
        family=posterior.posterior_family,
        estimates=posterior.posterior_estimates,
        notes=lambda result: [],
        interval="hdi",
    )


def _hlik_adapter() -> ResultAdapter:
    from bayesml.workflows import compare_hlik as hlik

    return ResultAdapter(
        accepts=_is_hlik,
        method=lambda fit: "hlik",
        family=hlik.hlik_family,
        estimates=hlik.hlik_estimates,
        notes=hlik.hlik_notes,
        interval="wald",
    )


def _ml_adapter() -> ResultAdapter:
    from bayesml.workflows import compare_ml as ml

    return ResultAdapter(
        accepts=_is_ml,
        method=ml.ml_method,
        family=ml.ml_family,
        estimates=ml.ml_estimates,
        notes=ml.ml_notes,
        interval="wald",
    )


#: result kind -> factory of its adapter (built on use, so importing this module stays light)
ADAPTERS: dict[str, Callable[[], ResultAdapter]] = {
    "posterior": _posterior_adapter,
    "hlik": _hlik_adapter,
    "ml": _ml_adapter,
}

_MAPPING_NOTE = (
    "h-likelihood fits: sd = sqrt(lambda), sigma = sqrt(phi) (gaussian), alpha = 1/phi (gamma); "
    "their SEs by the delta method from the SE of log lambda / log phi, their intervals the Wald "
    "intervals of log lambda / log phi, transformed. Wald intervals use the normal quantile."
)


class Comparison:
    """Estimates of one model by several fits, parameter by parameter.

    Parameters are listed in the shared order: fixed effects, SDs, correlations, family
    parameters (sigma, nu, alpha, kappa), random effects.

    Attributes
    ----------
    table
        Wide table: one row per parameter (index ``parameter``), for each fit a block of columns
        ``(name, mean)``, ``(name, sd)``, ``(name, ci_lower)``, ``(name, ci_upper)`` (Bayesian
        fits: the HDI) or ``(name, estimate)``, ``(name, se)``, ``(name, ci_lower)``,
        ``(name, ci_upper)`` (h-likelihood and maximum-likelihood fits: the Wald interval), and
        ``note`` (``comparison.table["note"]``): how a value was mapped (``"hlik: sd = sqrt(lambda)"``)
        or that a fit lacks it. ``table.attrs["ci"]`` says which interval each fit has
        (``"94% HDI (nuts); 94% Wald (hlik)"``).
    tidy
        The same numbers as one row per fit and parameter: ``parameter``, ``kind`` (fixed, sd,
        corr, family, random), ``result``, ``method``, ``estimate``, ``error`` (sd or SE),
        ``ci_lower``, ``ci_upper``, ``interval`` (``"94% HDI"``, ``"94% Wald"``), ``note``.
    names, methods
        The fits' names and their backends.
    ci_prob
        Probability of the intervals.
    notes
        What the table does not show, and how h-likelihood values were mapped.

    Both tables are :class:`~bayesml.results.tables.EstimateTable` objects: they print rounded,
    their values are exact.
    """

    def __init__(
        self, fits: Sequence[FitEstimates], *, ci_prob: float, notes: Sequence[str] = ()
    ) -> None:
        self._fits = tuple(fits)
        self.ci_prob = ci_prob
        self.names = tuple(fit.name for fit in self._fits)
        self.methods = {fit.name: fit.method for fit in self._fits}
        self.notes = tuple(notes)
        self.table: EstimateTable = wide_table(self._fits, ci_prob)
        self.tidy: EstimateTable = tidy_table(self._fits, ci_prob)

    @property
    def hdi_prob(self) -> float:
        """The former name of :attr:`ci_prob` (deprecated)."""
        warn("Comparison.hdi_prob is deprecated: the attribute is now ci_prob", FutureWarning)
        return self.ci_prob

    def plot(
        self,
        *,
        kinds: Sequence[str] | None = None,
        figsize: tuple[float, float] | None = None,
    ) -> Figure:
        """Draw the estimates side by side: a forest plot with a panel per kind of parameter.

        Each parameter is a row; each fit a marker (its mean or estimate) with its interval.

        Parameters
        ----------
        kinds
            Panels to draw, from ``"fixed"``, ``"sd"``, ``"corr"``, ``"family"``, ``"random"``;
            default every kind in the table.
        figsize
            Figure size in inches; by default it grows with the number of rows.

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        MissingDependencyError
            If matplotlib is not installed (``pip install "bayesml[plot]"``).
        """
        from bayesml.plots.estimates import plot_estimates

        return plot_estimates(
            self.tidy,
            kinds=kinds,
            figsize=figsize,
            title=f"Estimates with {100 * self.ci_prob:g}% intervals",
        )

    def _header(self) -> str:
        shown = ", ".join(f"{name} ({method})" for name, method in self.methods.items())
        return f"Comparison of {shown}; intervals: {interval_note(self._fits, self.ci_prob)}"

    def __repr__(self) -> str:
        text = f"{self._header()}\n{self.table.formatted().to_string()}"
        return text + "".join(f"\nNote: {note}" for note in self.notes)

    def _repr_html_(self) -> str:
        notes = "".join(f"<p>Note: {html.escape(note)}</p>" for note in self.notes)
        table = self.table.formatted().to_html(na_rep="")
        return f"<p>{html.escape(self._header())}</p>{table}{notes}"


def compare(
    *results: Any,
    names: Sequence[str] | None = None,
    ci_prob: float = DEFAULT_CI_PROB,
    include_random_effects: bool = False,
    **deprecated: Any,
) -> Comparison:
    """Compare fits of the same model, parameter by parameter.

    Bayesian results (``Model.sample`` with NUTS or Gibbs) give the posterior mean, sd and HDI;
    h-likelihood fits (``Model.fit(method="hlik")``, :func:`bayesml.hglm`) the point estimate,
    standard error and Wald interval. Rows carry the shared posterior names; the h-likelihood
    λ and φ are mapped to what they imply: ``sd_<group>[term]`` = √λ for Gaussian random
    effects, ``sigma`` = √φ for a Gaussian response, ``alpha`` = 1/φ for a gamma response, with
    delta-method SEs and the Wald intervals of log λ, log φ transformed. A binomial/Poisson fit's
    estimated φ (quasi-likelihood) has no Bayesian counterpart and is left out with a note.
    A parameter a fit does not estimate (the correlations of an h-likelihood fit, which treats
    the terms of ``(1 + x | g)`` as independent blocks) is NaN in that fit's columns.
    Maximum-likelihood fits (``Model.fit(method="laplace")`` or ``"agq"``) give the fixed effects
    with their SEs and Wald intervals, ``sd_<group>[term]`` and ``corr_<group>[t1, t2]`` from
    their ``varcorr``, ``sigma`` and the other family parameters — those without SEs (as lme4's
    summary; NaN, with a note) — and, on request, the conditional modes of the random effects
    with their conditional SDs.

    Parameters
    ----------
    *results
        Two or more (or one) results: ``xarray.DataTree`` posteriors, ``HlikResult`` fits and
        ``MLResult`` fits.
    names
        Column names, one per result; default the backends' names (``"nuts"``, ``"gibbs"``,
        ``"hlik"``, ``"laplace"``, ``"agq"``), numbered when repeated (``"nuts"``, ``"nuts_2"``).
    ci_prob
        Probability of the HDIs and of the Wald intervals: 0.94 by default (ArviZ's own default
        is 0.89). The former name ``hdi_prob=`` still works, with a ``FutureWarning``.
    include_random_effects
        Also compare the random effects ``u_<group>[level, term]``.

    Returns
    -------
    Comparison
        With ``.table`` (wide), ``.tidy`` (long), ``.notes`` and ``.plot()``.

    Raises
    ------
    ArgumentTypeError
        If a result is not a posterior, an h-likelihood fit or a maximum-likelihood fit.
    ArgumentError
        If no result is given, ``names`` or ``ci_prob`` is invalid, a posterior result has no
        ``posterior`` group, or the results are fits of different models (other families,
        fixed-effect coefficients or random-effect terms).

    Examples
    --------
    >>> model = bayesml.Model("y ~ x + (1 + x | g)", data)                 # doctest: +SKIP
    >>> bayesml.compare(model.sample(), model.fit(method="hlik")).table    # doctest: +SKIP
    """
    ci_prob = _former_hdi_prob(ci_prob, deprecated)
    if not results:
        raise ArgumentError("compare needs at least one result; got none")
    ci_prob = check_ci_prob(ci_prob)
    adapters = [_adapter_for(result, position) for position, result in enumerate(results, 1)]
    labels = _names(names, [a.method(r) for a, r in zip(adapters, results, strict=True)])
    fits, notes = [], []
    for adapter, result, name in zip(adapters, results, labels, strict=True):
        estimates = adapter.estimates(
            result, ci_prob=ci_prob, include_random_effects=include_random_effects
        )
        fits.append(FitEstimates(name, adapter.method(result), adapter.interval, tuple(estimates)))
        notes += [f"{name}: {note}" for note in adapter.notes(result)]
    _check_same_model(fits, [a.family(r) for a, r in zip(adapters, results, strict=True)])
    if any(fit.method == "hlik" for fit in fits):
        notes.append(_MAPPING_NOTE)
    return Comparison(fits, ci_prob=ci_prob, notes=notes)


# -- checks -------------------------------------------------------------------------------------
def _former_hdi_prob(ci_prob: Any, deprecated: dict[str, Any]) -> Any:
    """``ci_prob``, or the value of the former keyword ``hdi_prob=`` (with a FutureWarning)."""
    unknown = [name for name in deprecated if name != "hdi_prob"]
    if unknown:
        raise ArgumentTypeError(f"compare() got an unexpected keyword argument {unknown[0]!r}")
    if "hdi_prob" not in deprecated:
        return ci_prob
    if ci_prob != DEFAULT_CI_PROB:
        raise ArgumentError(
            f"give the interval probability once, as ci_prob; got ci_prob={ci_prob!r} and "
            f"hdi_prob={deprecated['hdi_prob']!r}"
        )
    warn(
        "compare(hdi_prob=...) is deprecated: the argument is now ci_prob (ArviZ 1.x's name), "
        "for the HDIs and the Wald intervals alike",
        FutureWarning,
    )
    return deprecated["hdi_prob"]


def _adapter_for(result: Any, position: int) -> ResultAdapter:
    for factory in ADAPTERS.values():
        adapter = factory()
        if adapter.accepts(result):
            if adapter.interval == "hdi" and "posterior" not in result.children:
                groups = sorted(result.children)
                raise ArgumentError(
                    f"result {position} has no posterior group (groups: {groups}); compare "
                    "takes the results of Model.sample, not prior draws"
                )
            return adapter
    raise ArgumentTypeError(
        f"result {position} must be a posterior (xarray.DataTree from Model.sample), an "
        "h-likelihood fit (HlikResult from Model.fit) or a maximum-likelihood fit (MLResult "
        f"from Model.fit(method='laplace' or 'agq')); got {type(result).__name__}"
    )


def _names(names: Sequence[str] | None, methods: list[str]) -> list[str]:
    if names is None:
        counts: dict[str, int] = {}
        out = []
        for method in methods:
            counts[method] = counts.get(method, 0) + 1
            out.append(method if counts[method] == 1 else f"{method}_{counts[method]}")
        return out
    if isinstance(names, str) or len(names) != len(methods):
        raise ArgumentError(
            f"names must be a sequence of {len(methods)} names, one per result; got {names!r}"
        )
    if not all(isinstance(name, str) and name for name in names):
        raise ArgumentError(f"names must be non-empty strings; got {list(names)!r}")
    if len(set(names)) != len(names) or "note" in names:
        raise ArgumentError(f"names must be distinct and not 'note'; got {list(names)!r}")
    return list(names)


def _signature(fit: FitEstimates, kind: str) -> frozenset[str]:
    return frozenset(e.parameter for e in fit.estimates if e.kind == kind)


#: what the refusal of fits of different models adds
_OTHER_MODELS = (
    "compare puts fits of one model side by side; to compare models by LOO, use "
    "arviz_stats.compare({'name': result, ...})"
)


def _check_same_model(
    fits: Sequence[FitEstimates], families: Sequence[tuple[str, str] | None]
) -> None:
    """Refuse fits of different models: other family, coefficients or random-effect terms."""
    known = [(fit.name, family) for fit, family in zip(fits, families, strict=True) if family]
    if len({family for _, family in known}) > 1:
        shown = ", ".join(f"{name}: {family}({link})" for name, (family, link) in known)
        raise ArgumentError(
            f"the results are fits of different models: their families differ ({shown}); "
            f"{_OTHER_MODELS}"
        )
    first = fits[0]
    for kind, what in (("fixed", "fixed-effect coefficients"), ("sd", "random-effect SDs")):
        reference = _signature(first, kind)
        for fit in fits[1:]:
            other = _signature(fit, kind)
            if other != reference:
                raise ArgumentError(
                    f"the results are fits of different models: their {what} differ; "
                    f"only in {first.name}: {sorted(reference - other)}, "
                    f"only in {fit.name}: {sorted(other - reference)}; {_OTHER_MODELS}"
                )
