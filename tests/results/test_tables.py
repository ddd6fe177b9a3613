"""The table conventions: one parameter order, ci_prob / ci_lower / ci_upper, rounded display."""

from __future__ import annotations

import re

import arviz_stats
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from arviz_base import from_dict

from bayesml.errors import ArgumentError
from bayesml.families import get_family
from bayesml.results import summary
from bayesml.results.tables import (
    EstimateTable,
    check_ci_prob,
    ci_label,
    family_parameter_order,
    order_names,
    order_parameters,
)


def _tree(seed: int = 7) -> xr.DataTree:
    """A posterior whose variables come in NUTS's raw order (sigma first, u before corr)."""
    rng = np.random.default_rng(seed)
    corr = np.broadcast_to(np.eye(2), (2, 200, 2, 2)).copy()
    corr[..., 0, 1] = corr[..., 1, 0] = rng.uniform(-0.5, 0.5, size=(2, 200))
    return from_dict(
        {
            "posterior": {
                "sigma": rng.gamma(30.0, 0.01, size=(2, 200)),
                "u_g": rng.normal(size=(2, 200, 3, 2)),
                "corr_g": corr,
                "beta": rng.normal([250.0, 10.0], [7.0, 1.5], size=(2, 200, 2)),
                "sd_g": rng.gamma(3.0, size=(2, 200, 2)),
            }
        },
        dims={
            "beta": ["coef"],
            "sd_g": ["g__term"],
            "corr_g": ["g__term", "g__term_bis"],
            "u_g": ["g__level", "g__term"],
        },
        coords={
            "coef": ["Intercept", "Days"],
            "g__term": ["Intercept", "Days"],
            "g__term_bis": ["Intercept", "Days"],
            "g__level": ["a", "b", "c"],
        },
    )


# -- order -----------------------------------------------------------------------------------------
def test_family_parameters_in_the_registrys_order_and_each_familys_own():
    order = family_parameter_order()
    assert order[:4] == ("sigma", "nu", "alpha", "kappa")
    assert order.index("zi") < order.index("hu") and len(set(order)) == len(order)
    assert family_parameter_order(get_family("hurdle_lognormal")) == ("sigma", "hu")
    assert family_parameter_order(get_family("student_t")) == ("sigma", "nu")
    assert family_parameter_order(get_family("poisson")) == ()


def test_one_order_for_every_name():
    names = ["u_h", "kappa", "sigma", "other", "u_g", "nu", "corr_g", "sd_h", "beta", "sd_g"]
    assert order_names(names) == [
        "beta", "sd_h", "sd_g", "corr_g", "sigma", "nu", "kappa", "u_h", "u_g", "other",
    ]  # fmt: skip


def test_a_posterior_dataset_is_reordered_without_changing_its_values():
    posterior = _tree()["posterior"].to_dataset()
    ordered = order_parameters(posterior)
    assert list(ordered.data_vars) == ["beta", "sd_g", "corr_g", "sigma", "u_g"]
    xr.testing.assert_identical(ordered[list(posterior.data_vars)], posterior)


# -- intervals ------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [0, 1, -0.5, 1.5, "0.9", True, None])
def test_a_probability_outside_zero_and_one_is_refused(bad):
    with pytest.raises(
        ArgumentError, match=r"^ci_prob must be a number between 0 and 1 \(exclusive\), e\.g\. 0\.94"
    ):
        check_ci_prob(bad)


def test_interval_labels():
    assert ci_label(0.94, "hdi") == "94% HDI"
    assert ci_label(0.5, "wald") == "50% Wald"
    assert ci_label(0.895, "hdi") == "89.5% HDI"


def test_summary_columns_order_and_attrs():
    table = summary(_tree())
    assert isinstance(table, EstimateTable)
    assert list(table.columns) == [
        "mean", "sd", "ci_lower", "ci_upper", "ess_bulk", "ess_tail", "r_hat", "mcse_mean", "mcse_sd",
    ]  # fmt: skip
    assert list(table.index) == [
        "beta[Intercept]", "beta[Days]", "sd_g[Intercept]", "sd_g[Days]", "corr_g[Intercept, Days]",
        "sigma",
    ]  # fmt: skip
    assert table.attrs == {"ci": "94% HDI", "ci_prob": 0.94}
    with_u = summary(_tree(), include_random_effects=True)
    assert list(with_u.index[-6:]) == [f"u_g[{lvl}, {term}]" for lvl in "abc" for term in ("Intercept", "Days")]


def test_a_given_var_names_order_is_kept():
    assert list(summary(_tree(), var_names=["sigma", "beta"]).index) == [
        "sigma", "beta[Intercept]", "beta[Days]",
    ]  # fmt: skip


@pytest.mark.parametrize("ci_prob", [0.94, 0.5])
def test_summary_interval_is_the_hdi_in_full_precision(ci_prob):
    tree = _tree()
    table = summary(tree, ci_prob=ci_prob)
    hdi = arviz_stats.hdi(tree["posterior"]["sigma"], prob=ci_prob).values
    assert table.loc["sigma", "ci_lower"] == hdi[0] and table.loc["sigma", "ci_upper"] == hdi[1]
    assert table.attrs["ci"] == f"{100 * ci_prob:g}% HDI"


def test_summary_refuses_a_bad_probability():
    with pytest.raises(ArgumentError, match=r"^ci_prob must be a number between 0 and 1"):
        summary(_tree(), ci_prob=94)


# -- display --------------------------------------------------------------------------------------
def test_the_summary_prints_rounded_and_keeps_every_digit():
    table = summary(_tree())
    text = repr(table)
    mean = table.loc["beta[Intercept]", "mean"]
    assert f"{mean:.4g}" in text and str(float(mean)) not in text
    assert table.loc["beta[Intercept]", "mean"] == float(_tree()["posterior"]["beta"].sel(coef="Intercept").mean())
    ess = table.loc["sigma", "ess_bulk"]
    assert re.search(rf"\b{ess:.0f}\b", text)
    assert f"{table.loc['sigma', 'r_hat']:.3f}" in text
    assert text.endswith("\nci_lower, ci_upper: 94% HDI")
    assert str(table) == text
    assert "..." not in text  # every column shown, as ArviZ prints a summary
    assert table.to_string() != text  # pandas' own text (and to_csv every digit)
    assert str(float(mean)) in table.to_csv()


def test_the_html_display_is_rounded_and_states_the_interval():
    table = summary(_tree())
    html = table._repr_html_()
    mean = table.loc["sigma", "mean"]
    assert f"<td>{mean:.4g}</td>" in html and str(float(mean)) not in html
    assert html.endswith("<p>ci_lower, ci_upper: 94% HDI</p>")


def test_selections_keep_the_display_and_the_interval_statement():
    table = summary(_tree())
    part = table.loc[["sigma"], ["mean", "ci_lower", "ci_upper"]]
    assert isinstance(part, EstimateTable) and part.attrs["ci"] == "94% HDI"
    assert repr(part).endswith("ci_lower, ci_upper: 94% HDI")
    assert "ci_lower" not in repr(table[["mean", "sd"]])  # no bounds, no statement
    joined = pd.concat({"a": table[["mean", "ci_lower"]], "b": table[["mean", "ci_lower"]]})
    assert isinstance(joined, EstimateTable) and joined.attrs["ci"] == "94% HDI"
    assert isinstance(table["mean"], pd.Series)


def test_formatting_rules():
    table = EstimateTable(
        {
            "estimate": [123456.7, 0.000123456, np.nan, np.inf, -2.0],
            "ess_bulk": [1234.6, 10.2, np.nan, 3.0, 4.0],
            "r_hat": [1.00412, 1.0, np.nan, 1.5, 1.0],
            "label": ["a", "b", "c", "d", "e"],
        }
    )
    shown = table.formatted()
    assert list(shown["estimate"]) == ["123457", "0.0001235", "NaN", "inf", "-2"]
    assert list(shown["ess_bulk"]) == ["1235", "10", "NaN", "3", "4"]
    assert list(shown["r_hat"]) == ["1.004", "1.000", "NaN", "1.500", "1.000"]
    assert list(shown["label"]) == list("abcde")
    table.display_digits = 6
    assert table.formatted().loc[1, "estimate"] == "0.000123456"
    assert table.loc[0, "estimate"] == 123456.7
