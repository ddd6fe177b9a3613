"""A bambi user's first hour: a hierarchical logistic regression (bacteria) from formula to
summary, plots, predictions for new children and at the population level, LOO, and a saved fit
that leads back to its model."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import bayesml
from bayesml import plots


@pytest.fixture(scope="module")
def fitted():
    model = bayesml.Model("y ~ week + trt + (1 | ID)", "bacteria", family="bernoulli")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bayesml.SamplingWarning)
        result = model.sample(
            draws=300, tune=300, chains=2, random_seed=11, posterior_predictive=True
        )
    return model, result


def test_summary_in_the_shared_order_with_the_interval_named(fitted):
    _, result = fitted
    table = bayesml.summary(result)
    assert list(table.index[:4]) == ["beta[Intercept]", "beta[week]", "beta[trt[drug]]", "beta[trt[drug+]]"]
    assert {"ci_lower", "ci_upper"} <= set(table.columns)
    assert table.attrs["ci"] == "94% HDI"
    # the weekly decline of the chance of infection (hglm/glmer: about -0.14 per week)
    assert -0.3 < table.loc["beta[week]", "mean"] < -0.05


def test_plots_for_a_binary_response(fitted, tmp_path):
    import matplotlib.pyplot as plt

    _, result = fitted
    assert plots.response_kind(result) == "binary"
    for name, drawn in (
        ("ppc", plots.ppc(result)),
        ("forest", plots.forest(result)),
        ("calibration_by_week", plots.calibration(result, groups="week")),
    ):
        figure = plots.figure_of(drawn)
        figure.savefig(tmp_path / f"{name}.png")
        labels = [text.get_text() for ax in figure.axes for text in ax.get_yticklabels()]
        assert not any("__" in label for label in labels), name
    plt.close("all")


def test_predictions_for_new_children_and_the_population(fitted):
    model, result = fitted
    new = pd.DataFrame({"week": [0, 2, 6], "trt": ["placebo", "drug", "drug+"], "ID": ["new1"] * 3})
    for_new_child = model.predict(result, new, kind="mean", random_seed=1)
    population = model.predict(result, new.drop(columns="ID"), kind="mean", include_random_effects=False)
    assert for_new_child.shape == population.shape == (2, 300, 3)
    assert np.all((population.values > 0) & (population.values < 1))
    # a new child's effect is drawn from the population: wider spread than the population mean
    assert float(for_new_child.std()) > float(population.std())
    draws = model.predict(result, new, kind="response", random_seed=2)
    assert set(np.unique(draws.values)) <= {0.0, 1.0}


def test_loo(fitted):
    import arviz_stats

    _, result = fitted
    loo = arviz_stats.loo(result)
    assert np.isfinite(loo.elpd) and loo.elpd < 0
    assert loo.n_data_points == 220


def test_save_reload_and_back_to_the_model(fitted, tmp_path):
    model, result = fitted
    path = tmp_path / "bacteria.nc"
    bayesml.save_result(result, path)
    reloaded = bayesml.load_result(path)
    again = bayesml.Model.from_result(reloaded)     # a bundled data set: found by name
    assert again.spec == model.spec
    np.testing.assert_allclose(
        again.predict(reloaded, kind="mean").values, model.predict(result, kind="mean").values
    )
