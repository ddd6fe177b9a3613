"""The response by family: two-level mapping, cbind, ratios, weights and the family's checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayesml.datasets import load
from bayesml.errors import DataError, FormulaError


@pytest.fixture
def binary_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "y": ["n", "y", "y", "n", "y"],
            "x": [0.0, 1.0, 2.0, 3.0, 4.0],
            "w": [1.0, 2.0, 1.0, 3.0, 1.0],
        }
    )


def test_bacteria_success_is_y(build):
    bacteria = load("bacteria")
    design = build("y ~ week + (1 | ID)", bacteria, family="bernoulli")
    response = design.response
    assert response.success_level == "y"
    assert design.n_obs == 220
    np.testing.assert_array_equal(response.y, (bacteria["y"] == "y").to_numpy(dtype=float))
    assert response.trials is None and response.weights is None
    assert response.name == "y"


def test_binomial_family_with_two_level_response_has_one_trial_per_row(build):
    design = build("y ~ week + (1 | ID)", load("bacteria"), family="binomial")
    assert design.response.success_level == "y"
    np.testing.assert_array_equal(design.response.trials, np.ones(220))


def test_text_response_success_is_second_sorted_level(build, binary_frame):
    design = build("y ~ x", binary_frame, family="bernoulli")
    assert design.response.success_level == "y"
    np.testing.assert_array_equal(design.response.y, [0, 1, 1, 0, 1])


def test_success_argument_chooses_the_level(build, binary_frame):
    design = build("y ~ x", binary_frame, family="bernoulli", success="n")
    assert design.response.success_level == "n"
    np.testing.assert_array_equal(design.response.y, [1, 0, 0, 1, 0])


def test_success_maps_a_numeric_two_level_response(build, binary_frame):
    frame = binary_frame.assign(y=[1, 2, 2, 1, 2])
    design = build("y ~ x", frame, family="bernoulli", success=2)
    assert design.response.success_level == 2
    np.testing.assert_array_equal(design.response.y, [0, 1, 1, 0, 1])


def test_numeric_zero_one_response_passes_through(build, binary_frame):
    frame = binary_frame.assign(y=[0, 1, 1, 0, 1])
    design = build("y ~ x", frame, family="bernoulli")
    assert design.response.success_level is None
    np.testing.assert_array_equal(design.response.y, [0, 1, 1, 0, 1])


def test_boolean_response_is_zero_one(build, binary_frame):
    frame = binary_frame.assign(y=[False, True, True, False, True])
    design = build("y ~ x", frame, family="bernoulli")
    np.testing.assert_array_equal(design.response.y, [0, 1, 1, 0, 1])


@pytest.mark.parametrize(
    ("values", "kwargs", "message"),
    [
        (["a", "b", "c", "a", "b"], {}, r"response 'y' must have two values .*; got 3 values: 'a', 'b', 'c'"),
        (["y"] * 5, {}, r"response 'y' has the single value 'y'; pass success="),
        (["n", "y", "y", "n", "y"], {"success": "yes"}, r"success='yes' is not a value of response 'y'; its values: 'n', 'y'"),
        ([0, 1, 2, 0, 1], {}, r"response 'y' must be 0 or 1 for family 'bernoulli'; got 2"),
    ],
)
def test_bad_binary_responses(build, binary_frame, values, kwargs, message):
    with pytest.raises(DataError, match=message):
        build("y ~ x", binary_frame.assign(y=values), family="bernoulli", **kwargs)


def test_success_for_a_family_without_successes_is_refused(build, binary_frame):
    frame = binary_frame.assign(y=[1.0, 2.0, 3.0, 4.0, 5.0])
    with pytest.raises(DataError, match=r"success='y' applies only to bernoulli, binomial and zero_inflated_binomial responses; got family 'gaussian'"):
        build("y ~ x", frame, success="y")


def test_cbind_gives_successes_and_trials(build):
    cbpp = load("cbpp")
    design = build("cbind(incidence, size - incidence) ~ period + (1 | herd)", cbpp, family="binomial")
    np.testing.assert_array_equal(design.response.y, cbpp["incidence"])
    np.testing.assert_array_equal(design.response.trials, cbpp["size"])
    assert design.response.name == "cbind(incidence, size - incidence)"
    assert design.fixed.column_names == ("Intercept", "period[2]", "period[3]", "period[4]")


def test_cbind_needs_the_binomial(build):
    with pytest.raises(FormulaError, match=r"cbind\(incidence, size - incidence\) is a binomial response .* got family 'poisson'"):
        build("cbind(incidence, size - incidence) ~ period", load("cbpp"), family="poisson")


def test_cbind_with_negative_failures(build):
    frame = pd.DataFrame({"s": [1, 5, 2], "n": [3, 4, 2], "x": [0.0, 1.0, 2.0]})
    with pytest.raises(DataError, match=r"failures 'n - s' of cbind\(s, n - s\) must be non-negative; got -1 at row 1"):
        build("cbind(s, n - s) ~ x", frame, family="binomial")


def test_ratio_response_for_binomial(build):
    seeds = load("seeds")
    design = build('r/n ~ extract * I(seed == "O73") + (1 | plate)', seeds, family="binomial", weights="n")
    np.testing.assert_array_equal(design.response.y, seeds["r"])
    np.testing.assert_array_equal(design.response.trials, seeds["n"])
    assert design.response.weights is None
    assert design.response.name == "r/n"


def test_ratio_weights_must_equal_trials(build):
    seeds = load("seeds").assign(m=lambda frame: frame["n"] + 1)
    with pytest.raises(DataError, match=r"weights='m' must equal the trials 'n' of the binomial response r/n .* they differ at rows 0, 1, 2, 3, 4 and 16 more"):
        build("r/n ~ extract", seeds, family="binomial", weights="m")


def test_ratio_for_other_families_is_the_number(build):
    seeds = load("seeds")
    design = build("r/n ~ extract", seeds, family="gaussian")
    np.testing.assert_allclose(design.response.y, seeds["r"] / seeds["n"])
    assert design.response.trials is None


def test_ratio_with_bernoulli_is_refused(build):
    with pytest.raises(FormulaError, match=r"r/n is successes out of trials; it needs family 'binomial' or 'zero_inflated_binomial', not 'bernoulli'"):
        build("r/n ~ extract", load("seeds"), family="bernoulli")


def test_binomial_proportion_with_weights(build):
    frame = pd.DataFrame({"p": [0.5, 0.25, 1.0], "w": [2.0, 4.0, 3.0], "x": [0.0, 1.0, 2.0]})
    design = build("p ~ x", frame, family="binomial", weights="w")
    np.testing.assert_array_equal(design.response.y, [1, 1, 3])
    np.testing.assert_array_equal(design.response.trials, [2, 4, 3])
    assert design.response.weights is None


def test_binomial_proportion_must_give_whole_successes(build):
    frame = pd.DataFrame({"p": [0.5, 0.3, 1.0], "w": [2.0, 4.0, 3.0], "x": [0.0, 1.0, 2.0]})
    with pytest.raises(DataError, match=r"proportion \* weights is not a whole number at row 1"):
        build("p ~ x", frame, family="binomial", weights="w")


def test_gaussian_weights(build, binary_frame):
    frame = binary_frame.assign(y=[1.0, 2.0, 0.5, 3.0, 2.5])
    design = build("y ~ x", frame, weights="w")
    np.testing.assert_array_equal(design.response.weights, frame["w"])


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([1.0, -2.0, 1.0, 1.0, 1.0], r"weights='w' must be finite and non-negative; got -2 at row 1"),
        (["a", "b", "a", "b", "a"], r"weights='w' must be a numeric column; got str values such as 'a', 'b'"),
    ],
)
def test_bad_weights(build, binary_frame, weights, message):
    frame = binary_frame.assign(y=[1.0, 2.0, 0.5, 3.0, 2.5], w=weights)
    with pytest.raises(DataError, match=message):
        build("y ~ x", frame, weights="w")


def test_weights_must_name_a_column(build, binary_frame):
    with pytest.raises(DataError, match=r"weights must be the name of a data column; got \[1, 2\]"):
        build("x ~ 1", binary_frame, weights=[1, 2])


@pytest.mark.parametrize(
    ("family", "values", "message"),
    [
        ("poisson", [1, -1, 2, 0, 3], r"response 'y' must be non-negative integer counts for family 'poisson'; got -1"),
        ("poisson", [1, 1.5, 2, 0, 3], r"response 'y' must be non-negative integer counts for family 'poisson'; got 1.5"),
        ("gamma", [1.0, 0.0, 2.0, 3.0, 1.0], r"response 'y' must be positive \(y > 0\) for family 'gamma'; got 0"),
        ("beta", [0.5, 0.2, 1.0, 0.3, 0.4], r"response 'y' must lie strictly between 0 and 1 for family 'beta'; got 1"),
        ("gaussian", ["a", "b", "a", "b", "a"], r"response 'y' needs numbers, but column 'y' holds str values"),
    ],
)
def test_family_checks_the_response(build, binary_frame, family, values, message):
    with pytest.raises(DataError, match=message):
        build("y ~ x", binary_frame.assign(y=values), family=family)


def test_successes_above_trials(build):
    frame = pd.DataFrame({"r": [1, 5, 2], "n": [3, 4, 2], "x": [0.0, 1.0, 2.0]})
    with pytest.raises(DataError, match=r"must not exceed the trials; got 5 of 4 in 1 row \(row 1\)"):
        build("r/n ~ x", frame, family="binomial")


def test_transformed_response(build, binary_frame):
    frame = binary_frame.assign(y=[1.0, 2.0, 4.0, 8.0, 16.0])
    design = build("log(y) ~ x", frame)
    np.testing.assert_allclose(design.response.y, np.log(frame["y"]))
    assert design.response.name == "log(y)"
