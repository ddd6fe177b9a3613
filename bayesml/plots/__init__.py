"""Plots of bayesml results (the ``plot`` extra: ``pip install "bayesml[plot]"``).

Posteriors (thin wrappers over ArviZ's ``arviz_plots``; each takes the result of
``Model.sample`` first, defaults ``var_names`` to the key parameters, passes other keywords to
ArviZ and returns its ``PlotCollection``; :func:`figure_of` gives the matplotlib figure):

* :func:`trace`, :func:`rank`, :func:`forest`, :func:`posterior`, :func:`pair`;
* :func:`ppc` (posterior predictive check) and :func:`prior_predictive_check`.

h-likelihood fits (matplotlib; returns the figure): :func:`hlik_diagnostics`.

Several fits side by side: :func:`plot_estimates` (what ``bayesml.compare(...).plot()`` draws).

Importing this module imports neither matplotlib nor ArviZ; they are imported when a plot is drawn
and a missing one raises :class:`~bayesml.errors.MissingDependencyError` with the install hint.

>>> import bayesml
>>> result = model.sample(posterior_predictive=True)        # doctest: +SKIP
>>> pc = bayesml.plots.trace(result)                          # doctest: +SKIP
>>> bayesml.plots.figure_of(pc).savefig("trace.png")          # doctest: +SKIP
"""

from bayesml.plots.estimates import plot_estimates
from bayesml.plots.hlik import hlik_diagnostics
from bayesml.plots.posterior import (
    figure_of,
    forest,
    pair,
    posterior,
    ppc,
    prior_predictive_check,
    rank,
    trace,
)

__all__ = [
    "figure_of",
    "forest",
    "hlik_diagnostics",
    "pair",
    "plot_estimates",
    "posterior",
    "ppc",
    "prior_predictive_check",
    "rank",
    "trace",
]
