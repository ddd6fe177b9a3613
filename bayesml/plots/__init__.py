"""Plots of bayesml results (the ``plot`` extra: ``pip install "bayesml[plot]"``).

Posteriors (wrappers over ArviZ's ``arviz_plots``; each takes the result of ``Model.sample``
first, defaults ``var_names`` to the key parameters, gives each element a panel labelled
``beta[Days]``, passes other keywords to ArviZ and returns its ``PlotCollection``;
:func:`figure_of` gives the matplotlib figure): :func:`trace`, :func:`rank`, :func:`posterior`,
:func:`pair`. :func:`forest` (a matplotlib figure): intervals by chain, a panel per scale.

Predictive checks suited to the response (``PlotCollection``): :func:`ppc` picks
:func:`calibration` for binary and binomial data, :func:`rootogram` for counts, :func:`bars` for
ordered categories and densities for continuous data; :func:`prior_predictive_check` draws the
prior's data sets on the observed data's scale. :func:`response_kind` says which kind a result's
response is.

h-likelihood fits (matplotlib; returns the figure): :func:`hlik_diagnostics`.

Covariate effects of any fit (matplotlib; returns the figure; pass ``model=``): :func:`smooths`
(each smooth term with its band, rug and EDF, mgcv's ``plot.gam``) and
:func:`conditional_effects` (the predicted response against each covariate, brms' habit).

A calibration run (:func:`bayesml.sbc`): :func:`sbc` (rank ECDF differences with simultaneous
bands, or rank histograms), :func:`sbc_tree` (its PIT values as ArviZ's ``prior_sbc`` group).

Several fits side by side: :func:`plot_estimates` (what ``bayesml.compare(...).plot()`` and
``SensitivityResult.plot()`` draw).

Importing this module imports neither matplotlib nor ArviZ; they are imported when a plot is drawn
and a missing one raises :class:`~bayesml.errors.MissingDependencyError` with the install hint.

>>> import bayesml
>>> result = model.sample(posterior_predictive=True)        # doctest: +SKIP
>>> pc = bayesml.plots.trace(result)                          # doctest: +SKIP
>>> bayesml.plots.figure_of(pc).savefig("trace.png")          # doctest: +SKIP
"""

from bayesml.plots.estimates import plot_estimates
from bayesml.plots.hlik import hlik_diagnostics
from bayesml.plots.posterior import figure_of, forest, pair, posterior, rank, trace
from bayesml.plots.predictive import (
    bars,
    calibration,
    ppc,
    prior_predictive_check,
    response_kind,
    rootogram,
)
from bayesml.plots.sbc import sbc, sbc_tree
from bayesml.plots.smooths import conditional_effects, smooths

__all__ = [
    "bars",
    "calibration",
    "conditional_effects",
    "figure_of",
    "forest",
    "hlik_diagnostics",
    "pair",
    "plot_estimates",
    "posterior",
    "ppc",
    "prior_predictive_check",
    "rank",
    "response_kind",
    "rootogram",
    "sbc",
    "sbc_tree",
    "smooths",
    "trace",
]
