"""bayesml.plots: each posterior plot draws the expected panels with readable labels, passes ArviZ
options through and fails clearly without the group or dependency it needs; the forest plots
split panels by scale; the h-likelihood diagnostics."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("arviz_plots")

import bayesml  # noqa: E402
from bayesml import plots  # noqa: E402
from bayesml.errors import MissingDependencyError  # noqa: E402
from bayesml.plots.estimates import scale_groups  # noqa: E402
from tests.plots._helpers import panels, texts  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
KEY_LABELS = ["beta[Intercept]", "beta[x]", "sd_g[Intercept]", "sd_g[x]", "corr_g[Intercept, x]"]


def _no_dimension_names(figure) -> None:
    shown = texts(figure)
    assert not [text for text in shown if "__" in text], shown


# -- posterior plots ------------------------------------------------------------------------------
def test_key_parameters_by_default(result):
    assert plots.posterior.__module__ == "bayesml.plots.posterior"
    pc = plots.posterior(result)
    # beta (2), sd_g (2), corr_g once (the pair above the diagonal), sigma: no u_g
    assert panels(pc) == {"beta": 2, "sd_g": 2, "corr_g": 1, "sigma": 1}
    titles = [ax.get_title() for ax in plots.figure_of(pc).axes if ax.get_title()]
    assert titles == [*KEY_LABELS, "sigma"]  # one line each: no "beta\nIntercept"
    _no_dimension_names(plots.figure_of(pc))


def test_trace_gives_each_element_a_row_and_names_the_chains(result):
    pc = plots.trace(result)
    # a row (density, trace) per element: beta 2, sd 2, corr 1, sigma 1
    assert panels(pc) == {"beta": 4, "sd_g": 4, "corr_g": 2, "sigma": 2}
    figure = plots.figure_of(pc)
    assert len(figure.axes) == 12
    assert [ax.get_xlabel() for ax in figure.axes[::2]] == [*KEY_LABELS, "sigma"]
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["0", "1"]
    _no_dimension_names(figure)
    compact = plots.trace(result, compact=True)  # ArviZ's overlay, on request
    assert panels(compact) == {"beta": 2, "sd_g": 2, "corr_g": 2, "sigma": 2}


def test_rank_panels(result):
    pc = plots.rank(result)
    assert panels(pc) == {"beta": 2, "sd_g": 2, "corr_g": 1, "sigma": 1}
    _no_dimension_names(plots.figure_of(pc))


def test_figure_is_sized_to_its_grid(result):
    figure = plots.figure_of(plots.posterior(result))  # 6 panels: 2 rows of 4
    width, height = figure.get_size_inches()
    assert width >= 4 * 3 and height >= 2 * 2.4
    assert figure.get_layout_engine() is not None


def test_pair_has_a_cell_per_pair_of_elements(result):
    pc = plots.pair(result, var_names=["beta", "sigma"])
    assert pc.viz["plot"].to_dataset()["plot"].size == 3 * 3


def test_var_names_and_kwargs_pass_through(result):
    pc = plots.posterior(result, var_names="sigma", point_estimate="median")
    assert panels(pc) == {"sigma": 1}
    assert pc.viz["point_estimate_text"]["sigma"].item().get_text().endswith("median")


def test_random_effects_on_request(result):
    pc = plots.posterior(result, var_names=["u_g"], coords={"g__level": ["g0", "g1"]})
    assert panels(pc) == {"u_g": 4}
    titles = [ax.get_title() for ax in plots.figure_of(pc).axes]
    assert "u_g[g0, Intercept]" in titles


def test_prior_group_can_be_plotted(result):
    pc = plots.posterior(result, group="prior", var_names=["sigma"])
    assert panels(pc) == {"sigma": 1}


def test_figure_of_takes_a_figure(result):
    figure = plots.forest(result)
    assert plots.figure_of(figure) is figure
    with pytest.raises(TypeError, match="figure_of needs an ArviZ PlotCollection.* got int"):
        plots.figure_of(3)


@pytest.mark.parametrize("fixture", ["result", "binary_result", "binomial_result", "count_result"])
@pytest.mark.parametrize("plot", ["trace", "rank", "posterior", "forest"])
def test_posterior_plots_for_every_kind_of_response(request, fixture, plot):
    tree = request.getfixturevalue(fixture)
    figure = plots.figure_of(getattr(plots, plot)(tree))
    names = [str(name) for name in tree["posterior"].data_vars if not str(name).startswith("u_")]
    shown = texts(figure)
    assert all(any(text.startswith(name) for text in shown) for name in names), (names, shown)
    _no_dimension_names(figure)


# -- forest ---------------------------------------------------------------------------------------
def _rows(figure) -> list[list[str]]:
    return [[t.get_text() for t in ax.get_yticklabels()] for ax in figure.axes]


def test_forest_has_a_row_per_element_and_an_interval_per_chain(result):
    figure = plots.forest(result)
    assert [label for rows in _rows(figure) for label in rows] == [*KEY_LABELS, "sigma"]
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["chain 0", "chain 1"]
    assert figure.legends[0].get_title().get_text() == "chain"
    for ax in figure.axes:  # per chain: one marker line and one interval collection
        assert len(ax.lines) == 2 and len(ax.collections) == 2
    _no_dimension_names(figure)


def test_forest_numbers_are_the_posterior_mean_and_hdi(result):
    import arviz_stats

    figure = plots.forest(result, var_names=["sigma"], combined=True, ci_prob=0.8)
    ax = figure.axes[0]
    draws = result["posterior"]["sigma"]
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [float(draws.mean())])
    (segment,) = ax.collections[0].get_segments()
    np.testing.assert_allclose(
        segment[:, 0], arviz_stats.hdi(draws, prob=0.8).values.ravel(), rtol=1e-12
    )
    assert not figure.legends  # one source: no legend
    assert figure._suptitle.get_text() == "Posterior means with 80% HDIs"


def test_forest_splits_coefficients_of_different_scales():
    """sleepstudy's beta[Intercept] ≈ 250 and beta[Days] ≈ 10 get axes of their own."""
    rng = np.random.default_rng(0)
    tree = _fake_posterior(
        {"beta": (("chain", "draw", "coef"), rng.normal([250.0, 10.0], [7.0, 1.5], (2, 100, 2)))},
        coef=["Intercept", "Days"],
    )
    figure = plots.forest(tree)
    assert _rows(figure) == [["beta[Intercept]"], ["beta[Days]"]]
    assert [ax.get_title(loc="left") for ax in figure.axes] == ["Fixed effects", ""]
    lower, upper = figure.axes[1].get_xlim()
    assert upper - lower < 20  # beta[Days]'s own scale, not 0 to 260


def test_forest_keeps_similar_scales_together():
    rng = np.random.default_rng(1)
    tree = _fake_posterior(
        {"beta": (("chain", "draw", "coef"), rng.normal([1.0, -0.5, 0.3], 0.3, (2, 100, 3)))},
        coef=["Intercept", "a", "b"],
    )
    assert _rows(plots.forest(tree)) == [["beta[Intercept]", "beta[a]", "beta[b]"]]


def _fake_posterior(variables, **coords):
    import xarray as xr

    return xr.DataTree.from_dict({"posterior": xr.Dataset(variables, coords=coords)})


@pytest.mark.parametrize(
    ("lower", "upper", "expected"),
    [
        ([240, 7], [265, 13], [[0], [1]]),  # sleepstudy's fixed effects
        ([15, 4], [42, 10], [[0, 1]]),  # its SDs: 38 wide, narrowest 6
        ([0.5, 0.4, 100, 101], [1.5, 1.2, 110, 112], [[0, 1], [2, 3]]),
        ([np.nan, 1.0, 2.0], [np.nan, 2.0, 3.0], [[0, 1, 2]]),  # no interval: joins
    ],
)
def test_scale_groups(lower, upper, expected):
    assert scale_groups(lower, upper) == expected


def test_forest_ci_prob_and_the_former_hdi_prob(result):
    with pytest.warns(FutureWarning, match=r"forest\(hdi_prob=...\) is deprecated.*write ci_prob"):
        old = plots.forest(result, var_names="sigma", combined=True, hdi_prob=0.5)
    new = plots.forest(result, var_names="sigma", combined=True, ci_prob=0.5)
    np.testing.assert_allclose(
        old.axes[0].collections[0].get_segments()[0], new.axes[0].collections[0].get_segments()[0]
    )
    with pytest.raises(ValueError, match=r"ci_prob must be a number between 0 and 1.*got 1.5"):
        plots.forest(result, ci_prob=1.5)
    with pytest.raises(ValueError, match="give the interval probability once, as ci_prob"):
        plots.forest(result, ci_prob=0.5, hdi_prob=0.5)


def test_forest_of_random_effects_with_coords(result):
    figure = plots.forest(
        result, var_names=["u_g"], coords={"g__level": ["g0", "g1"]}, combined=True
    )
    labels = [label for rows in _rows(figure) for label in rows]
    assert labels == [
        "u_g[g0, Intercept]",
        "u_g[g0, x]",
        "u_g[g1, Intercept]",
        "u_g[g1, x]",
    ]
    assert figure.axes[0].get_title(loc="left") == "Random effects"


def test_forest_point_estimate_is_checked(result):
    with pytest.raises(ValueError, match=r"point_estimate must be one of \['mean', 'median'\]"):
        plots.forest(result, point_estimate="mode")


# -- errors -------------------------------------------------------------------------------------
def _without(result, group):
    copy = result.copy()
    del copy[group]
    return copy


def test_ppc_without_posterior_predictive(result):
    with pytest.raises(
        ValueError,
        match=r"plots.ppc needs the 'posterior_predictive' group.*"
        r"model.sample\(\.\.\., posterior_predictive=True\)",
    ):
        plots.ppc(_without(result, "posterior_predictive"))


def test_prior_predictive_check_without_prior_predictive(result):
    with pytest.raises(
        ValueError,
        match=r"needs the 'prior_predictive' group.*prior_predictive=True.*sample_prior\(\)",
    ):
        plots.prior_predictive_check(_without(result, "prior_predictive"))


def test_ppc_without_observed_data(result):
    with pytest.raises(ValueError, match="plots.ppc needs the 'observed_data' group"):
        plots.ppc(_without(result, "observed_data"))


def test_unknown_var_names(result):
    with pytest.raises(
        ValueError, match=r"var_names \['tau'\] are not in the 'posterior' group; it holds"
    ):
        plots.trace(result, var_names=["tau"])
    with pytest.raises(ValueError, match=r"var_names \['tau'\] are not in the 'posterior'"):
        plots.forest(result, var_names=["tau"])


def test_hlik_fit_to_a_posterior_plot(hlik_fit):
    with pytest.raises(
        TypeError, match=r"needs a result of Model.sample .*plots.hlik_diagnostics\(fit\)"
    ):
        plots.trace(hlik_fit)
    with pytest.raises(TypeError, match=r"plots.forest needs a result of Model.sample"):
        plots.forest(hlik_fit)


@pytest.mark.parametrize("module", ["arviz_plots", "matplotlib.pyplot"])
def test_missing_dependency_names_the_extra(result, monkeypatch, module):
    monkeypatch.setitem(sys.modules, module, None)  # import raises ImportError
    with pytest.raises(MissingDependencyError, match=r'pip install "bayesml\[plot\]"'):
        plots.posterior(result)


def test_import_does_not_load_plotting_libraries():
    code = (
        "import sys, bayesml.plots; "
        "print(sorted(m for m in ('matplotlib', 'arviz_plots', 'pymc') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "[]"


# -- h-likelihood diagnostics ----------------------------------------------------------------------
def test_hlik_diagnostics_panels(hlik_fit):
    figure = plots.hlik_diagnostics(hlik_fit)
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == [
        "Mean model",
        "Mean model residuals",
        "Random effects g|Intercept",
        "Random effects g|x",
    ]


def test_hlik_diagnostics_with_a_dispersion_model(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # the dispersion= default is changing
        fit = bayesml.hglm("y ~ x + (1 | g)", data, dispersion_formula="~ x")
    figure = plots.hlik_diagnostics(fit)
    assert [ax.get_title() for ax in figure.axes] == [
        "Mean model",
        "Mean model residuals",
        "Random effects g",
        "Dispersion model",
    ]


def test_dispersion_panel_ticks_are_plain_and_apart():
    """Fitted φ within one decade: labels 0.03, 0.05, 0.1, 0.2 and no minor labels (matplotlib
    writes every minor tick as 3×10⁻², 4×10⁻², ... and they overlap)."""
    import matplotlib.pyplot as plt

    from bayesml.plots.hlik import _log_ticks

    figure, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0.025, 0.22], [0, 1], "o")
    ax.set_xscale("log")
    _log_ticks(ax)
    figure.canvas.draw()
    low, high = ax.get_xlim()
    shown = [
        (tick.get_loc(), tick.label1.get_text())
        for tick in ax.xaxis.get_major_ticks()
        if low <= tick.get_loc() <= high
    ]
    assert [text for _, text in shown] == ["0.03", "0.05", "0.1", "0.2"]
    assert not [t for t in ax.xaxis.get_minorticklabels() if t.get_text()]
    boxes = [
        tick.label1.get_window_extent()
        for tick in ax.xaxis.get_major_ticks()
        if low <= tick.get_loc() <= high
    ]
    assert all(a.x1 < b.x0 for a, b in zip(boxes, boxes[1:], strict=False))


def test_standardised_residuals_of_a_gaussian_fit(hlik_fit, data):
    from bayesml.plots.hlik import standardized_random_effects, standardized_residuals

    n = hlik_fit.n_obs
    expected = (data["y"].to_numpy() - hlik_fit.fitted) / np.sqrt(
        float(hlik_fit.phi) * (1 - hlik_fit.leverage[:n])
    )
    np.testing.assert_allclose(standardized_residuals(hlik_fit), expected)
    slopes = hlik_fit.ranef.loc["g|x", "estimate"].to_numpy()
    np.testing.assert_allclose(
        standardized_random_effects(hlik_fit)["g|x"],
        slopes / np.sqrt(hlik_fit.lambda_values["g|x"]),
    )


def test_hlik_diagnostics_without_matplotlib_names_the_extra(hlik_fit, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # import raises ImportError
    with pytest.raises(MissingDependencyError, match=r'pip install "bayesml\[plot\]"'):
        plots.hlik_diagnostics(hlik_fit)


def test_hlik_diagnostics_refuses_a_posterior(result):
    with pytest.raises(
        TypeError, match="hlik_diagnostics needs an h-likelihood fit .* got DataTree"
    ):
        plots.hlik_diagnostics(result)


# -- estimates forest ----------------------------------------------------------------------------
def test_plot_estimates_needs_the_columns():
    with pytest.raises(
        ValueError, match=r"needs the columns .*; missing \['ci_lower', 'ci_upper'\]"
    ):
        plots.plot_estimates(
            pd.DataFrame(
                {"parameter": ["a"], "kind": ["fixed"], "result": ["r"], "estimate": [1.0]}
            )
        )


def test_plot_estimates_reads_the_former_interval_columns():
    table = pd.DataFrame(
        {
            "parameter": ["beta[x]", "beta[x]"],
            "kind": ["fixed", "fixed"],
            "result": ["a", "b"],
            "estimate": [1.0, 1.2],
            "lower": [0.5, 0.8],
            "upper": [1.5, 1.6],
        }
    )
    figure = plots.plot_estimates(table, title="t", legend_title="fit")
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["a", "b"]
    assert figure.legends[0].get_title().get_text() == "fit"
    # the legend sits beside the panels, not over them or the title
    figure.canvas.draw()
    legend = figure.legends[0].get_window_extent()
    assert all(legend.x0 >= ax.get_window_extent().x1 for ax in figure.axes)
