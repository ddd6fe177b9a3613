"""bayesml.plots: each plot draws the expected panels, passes ArviZ options through and fails
clearly without the group or dependency it needs."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
pytest.importorskip("arviz_plots")

import matplotlib.pyplot as plt  # noqa: E402

import bayesml  # noqa: E402
from bayesml import plots  # noqa: E402
from bayesml.errors import MissingDependencyError, SamplingWarning  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def simulate(seed: int = 4, groups: int = 6, per_group: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), per_group)
    x = rng.normal(size=g.size)
    u = rng.normal(0.0, [0.8, 0.3], size=(groups, 2))
    y = 1.0 + 0.5 * x + u[g, 0] + u[g, 1] * x + rng.normal(0.0, 0.5, g.size)
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{i}" for i in g]})


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return simulate()


@pytest.fixture(scope="module")
def result(data):
    """A short Gibbs run with both predictive groups (Gibbs: no NUTS compilation)."""
    model = bayesml.Model("y ~ x + (1 + x | g)", data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        return model.sample(
            "gibbs",
            draws=50,
            tune=50,
            chains=2,
            random_seed=2,
            log_prior=False,
            posterior_predictive=True,
            prior_predictive=True,
            sampler_kwargs={"cores": 1},
        )


@pytest.fixture(scope="module")
def hlik_fit(data):
    return bayesml.hglm("y ~ x + (1 + x | g)", data)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def panels(pc) -> dict[str, int]:
    """Number of panels of each variable of a PlotCollection."""
    return {name: int(v.size) for name, v in pc.viz["plot"].to_dataset().data_vars.items()}


# -- posterior plots ------------------------------------------------------------------------------
def test_key_parameters_by_default(result):
    assert plots.posterior.__module__ == "bayesml.plots.posterior"
    pc = plots.posterior(result)
    # beta (2), sd_g (2), corr_g once (the pair above the diagonal), sigma: no u_g
    assert panels(pc) == {"beta": 2, "sd_g": 2, "corr_g": 1, "sigma": 1}


def test_trace_has_a_density_and_a_trace_column_per_variable(result):
    pc = plots.trace(result)
    assert panels(pc) == {"beta": 2, "sd_g": 2, "corr_g": 2, "sigma": 2}
    assert len(plots.figure_of(pc).axes) == 8


def test_rank_panels(result):
    assert panels(plots.rank(result)) == {"beta": 2, "sd_g": 2, "corr_g": 1, "sigma": 1}


def test_forest_draws_every_key_element(result):
    pc = plots.forest(result, combined=True)  # an ArviZ option passed through
    labels = [t.get_text() for ax in plots.figure_of(pc).axes for t in ax.texts]
    assert {"beta", "sd_g", "corr_g", "sigma"} <= set(labels)
    assert "u_g" not in labels


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


def test_posterior_predictive_check(result):
    pc = plots.ppc(result, num_samples=10)
    assert panels(pc) == {"y": 1}
    lines = plots.figure_of(pc).axes[0].lines
    assert len(lines) == 10 + 1  # the replicated data sets and the observed data


def test_prior_predictive_check(result):
    pc = plots.prior_predictive_check(result, num_samples=5)
    assert panels(pc) == {"y": 1}
    assert len(plots.figure_of(pc).axes[0].lines) == 5  # ArviZ leaves the data out by default
    pc = plots.prior_predictive_check(result, num_samples=5, visuals={"observed_dist": {}})
    assert len(plots.figure_of(pc).axes[0].lines) == 5 + 1


def test_prior_group_can_be_plotted(result):
    pc = plots.posterior(result, group="prior", var_names=["sigma"])
    assert panels(pc) == {"sigma": 1}


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


def test_hlik_fit_to_a_posterior_plot(hlik_fit):
    with pytest.raises(
        TypeError, match=r"needs a result of Model.sample .*plots.hlik_diagnostics\(fit\)"
    ):
        plots.trace(hlik_fit)


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
    fit = bayesml.hglm("y ~ x + (1 | g)", data, dispersion_formula="~ x")
    figure = plots.hlik_diagnostics(fit)
    assert [ax.get_title() for ax in figure.axes] == [
        "Mean model",
        "Mean model residuals",
        "Random effects g",
        "Dispersion model",
    ]


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
    with pytest.raises(ValueError, match=r"needs the columns .*; missing \['lower', 'upper'\]"):
        plots.plot_estimates(
            pd.DataFrame(
                {"parameter": ["a"], "kind": ["fixed"], "result": ["r"], "estimate": [1.0]}
            )
        )
