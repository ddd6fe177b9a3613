"""Predictive checks of an ordinal response: bars per category (ppc picks them) and the prior
predictive check by category, labelled with the response's levels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

pytest.importorskip("matplotlib")
pytest.importorskip("arviz_plots")

import bayesml  # noqa: E402
from bayesml import plots  # noqa: E402
from bayesml.errors import ArgumentError  # noqa: E402

LEVELS = ["poor", "fair", "good", "great"]


@pytest.fixture(scope="module")
def ordinal_model() -> bayesml.Model:
    rng = np.random.default_rng(21)
    x = rng.normal(size=60)
    latent = 0.9 * x + rng.logistic(size=60)
    codes = np.searchsorted([-1.0, 0.2, 1.5], latent)
    frame = pd.DataFrame({"y": np.asarray(LEVELS)[codes], "x": x})
    return bayesml.Model("y ~ x", frame, family="cumulative", levels=LEVELS)


@pytest.fixture(scope="module")
def ordinal_result(ordinal_model) -> xr.DataTree:
    """A cumulative-logit result assembled from draws (no sampling): the posterior around the
    simulating values, replicated data drawn from it and from a vague prior, and the spec."""
    rng = np.random.default_rng(22)
    family = ordinal_model.family
    x = ordinal_model.data["x"].to_numpy()
    beta = 0.9 + rng.normal(0, 0.1, size=(2, 50, 1))
    theta = np.array([-1.0, 0.2, 1.5]) + rng.normal(0, 0.1, size=(2, 50, 1, 1))
    prior_theta = np.sort(rng.normal(0, 3, size=(1, 100, 1, 3)), axis=-1)
    coords = {"chain": [0, 1], "draw": np.arange(50), "obs": np.arange(x.size)}
    thresholds = {"y__threshold": ["poor|fair", "fair|good", "good|great"]}
    tree = xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset(
                {
                    "beta": (("chain", "draw"), beta[..., 0]),
                    "cutpoints": (("chain", "draw", "y__threshold"), theta[:, :, 0]),
                },
                coords={**coords, **thresholds},
            ),
            "posterior_predictive": xr.Dataset(
                {"y": (("chain", "draw", "obs"), family.draw(rng, beta * x, {"cutpoints": theta}))},
                coords=coords,
            ),
            "prior_predictive": xr.Dataset(
                {
                    "y": (
                        ("chain", "draw", "obs"),
                        family.draw(
                            rng,
                            rng.normal(0, 2, size=(1, 100, 1)) * x,
                            {"cutpoints": prior_theta},
                        ),
                    )
                },
                coords={**coords, "chain": [0], "draw": np.arange(100)},
            ),
            "observed_data": xr.Dataset(
                {"y": ("obs", ordinal_model.design.response.y)}, coords={"obs": coords["obs"]}
            ),
        }
    )
    tree.attrs["bayesml_spec"] = ordinal_model.spec.to_yaml()
    return tree


def test_ppc_of_an_ordinal_response_draws_bars_per_category(ordinal_result):
    assert plots.response_kind(ordinal_result) == "ordinal"
    figure = plots.figure_of(plots.ppc(ordinal_result))
    (ax,) = figure.axes
    assert ax.get_title() == "Rows per category of y"
    assert [label.get_text() for label in ax.get_xticklabels()] == LEVELS
    observed = ordinal_result["observed_data"]["y"].values
    heights = [patch.get_height() for patch in ax.patches]
    assert heights == [np.sum(observed == k) for k in range(1, 5)]
    # the points are the medians of the replicated numbers of rows per category
    replicated = ordinal_result["posterior_predictive"]["y"].values.reshape(100, -1)
    medians = np.median([[np.sum(draw == k) for k in range(1, 5)] for draw in replicated], axis=0)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), medians)
    legend = [t.get_text() for t in figure.legends[0].get_texts()]
    assert legend == ["observed", "posterior predictive: median, 94% interval"]


def test_bars_label_the_categories_without_a_model_or_spec(ordinal_result):
    bare = ordinal_result.copy()
    bare.attrs = {}  # no spec: the levels come from the thresholds' labels
    ax = plots.figure_of(plots.bars(bare, ci_prob=0.5)).axes[0]
    assert [label.get_text() for label in ax.get_xticklabels()] == LEVELS
    del bare["posterior"]  # nothing names the levels: category numbers
    bare["posterior"] = xr.DataTree(ordinal_result["posterior"].to_dataset()[["beta"]])
    ax = plots.figure_of(plots.bars(bare)).axes[0]
    assert [label.get_text() for label in ax.get_xticklabels()] == ["1", "2", "3", "4"]


def test_bars_refuse_a_response_that_is_not_category_numbers(result):
    with pytest.raises(
        ArgumentError, match=r"bars draws a response coded by category number 1, 2, \.\.\., K"
    ):
        plots.bars(result)


def test_prior_predictive_check_of_an_ordinal_response_is_by_category(ordinal_result):
    pc = plots.prior_predictive_check(ordinal_result)
    figure = plots.figure_of(pc)
    left, right = figure.axes
    assert left.get_title() == "y" and right.get_title() == "mean(y)"
    assert [label.get_text() for label in left.get_xticklabels()] == LEVELS
    assert left.get_ylabel() == "share of rows"
    assert right.get_xlim() == (1.0, 4.0)
    assert "mean category number (1-4)" in right.get_xlabel()
