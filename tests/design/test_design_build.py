"""build_design end to end: bundled data, bad input, missing values and new-data encoding."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayesml.datasets import load
from bayesml.design import DesignRows, ModelDesign, build_design
from bayesml.errors import DataError
from bayesml.families import get_family
from bayesml.formula import parse_formula


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "y": [1.0, 2.0, 1.5, 3.0, 2.5, 0.5],
            "x": [0.1, 0.5, 0.9, 1.3, 1.7, 2.1],
            "t": [1.0, 2.0, 4.0, 1.0, 2.0, 4.0],
            "a": ["p", "q", "r", "p", "q", "r"],
            "g": ["u", "u", "v", "v", "w", "w"],
        },
        index=list("ABCDEF"),
    )


def test_seeds_matches_hglm_coefficient_order(build):
    seeds = load("seeds")
    design = build('r/n ~ extract * I(seed == "O73") + (1 | plate)', seeds, family="binomial", weights="n")
    assert design.fixed.column_names == (
        "Intercept",
        "extract[Cucumber]",
        'I(seed == "O73")',
        'extract[Cucumber]:I(seed == "O73")',
    )
    cucumber = (seeds["extract"] == "Cucumber").to_numpy(dtype=float)
    o73 = (seeds["seed"] == "O73").to_numpy(dtype=float)
    np.testing.assert_array_equal(design.fixed.matrix, np.column_stack([np.ones(21), cucumber, o73, cucumber * o73]))
    assert design.random[0].levels == tuple(str(i) for i in range(1, 22))


def test_pump_offset_and_factor(build):
    pump = load("pump")
    design = build("S ~ factor(Gr) + (1 | System) + offset(log(t))", pump, family="poisson")
    assert design.fixed.column_names == ("Intercept", "factor(Gr)[1]")
    np.testing.assert_allclose(design.offset, np.log(pump["t"]))
    np.testing.assert_array_equal(design.fixed.matrix[:, 1], pump["Gr"])


def test_design_fields(build, frame):
    design = build("y ~ x + (1 | g)", frame)
    assert isinstance(design, ModelDesign)
    assert design.n_obs == 6
    assert list(design.row_labels) == list("ABCDEF")
    assert design.dropped_rows == 0
    np.testing.assert_array_equal(design.offset, np.zeros(6))
    assert design.fixed.matrix.dtype == np.float64
    assert design.response.y.dtype == np.float64


def test_log_covariate_label(build, frame):
    design = build("y ~ log(t)", frame)
    assert design.fixed.column_names == ("Intercept", "log(t)")
    np.testing.assert_allclose(design.fixed.matrix[:, 1], np.log(frame["t"]))


# -- bad input -------------------------------------------------------------------------------
def test_missing_columns_are_listed_with_suggestions(build, frame):
    with pytest.raises(DataError, match=r"data has no columns 'xx', 'gg' \(for 'xx' did you mean 'x'\?; for 'gg' did you mean 'g'\?\); available columns: 'y', 'x'"):
        build("y ~ xx + (1 | gg)", frame)


def test_missing_values_are_refused_by_default(build, frame):
    frame.loc[["B", "E"], "x"] = np.nan
    frame.loc["F", "a"] = None
    with pytest.raises(DataError, match=r"column 'x' \(2 missing, at rows 'B', 'E'\); column 'a' \(1 missing, at row 'F'\)\. .*missing='drop'"):
        build("y ~ x + a", frame)


def test_missing_values_in_unused_columns_are_ignored(build, frame):
    frame.loc["B", "t"] = np.nan
    assert build("y ~ x", frame).n_obs == 6


def test_drop_missing_warns_and_records(build, frame):
    frame.loc[["B", "E"], "x"] = np.nan
    with pytest.warns(UserWarning, match=r"dropped 2 of 6 rows with missing values \(missing='drop'\); missing values per column: 'x' \(2\)"):
        design = build("y ~ x + (1 | g)", frame, missing="drop")
    assert design.dropped_rows == 2
    assert list(design.row_labels) == ["A", "C", "D", "F"]
    np.testing.assert_array_equal(design.response.y, [1.0, 1.5, 3.0, 0.5])
    np.testing.assert_array_equal(design.fixed.matrix[:, 1], [0.1, 0.9, 1.3, 2.1])


def test_drop_everything_is_an_error(build, frame):
    frame["x"] = np.nan
    with pytest.raises(DataError, match=r"data after dropping the rows with missing values has no rows"), pytest.warns(UserWarning):
        build("y ~ x", frame, missing="drop")


def test_bad_missing_policy(build, frame):
    with pytest.raises(DataError, match=r"missing must be one of \['raise', 'drop'\]; got missing='omit'"):
        build("y ~ x", frame, missing="omit")


def test_empty_data(build, frame):
    with pytest.raises(DataError, match=r"data has no rows"):
        build("y ~ x", frame.iloc[:0])


def test_data_must_be_a_frame():
    with pytest.raises(DataError, match=r"data must be a pandas DataFrame; got dict"):
        build_design(parse_formula("y ~ x"), {"y": [1.0]}, family=get_family("gaussian"))


def test_non_numeric_column_where_a_number_is_needed(build, frame):
    with pytest.raises(DataError, match=r"log\(a\) needs numbers, but column 'a' holds str values such as 'p', 'q', 'r'"):
        build("y ~ log(a)", frame)


def test_log_of_non_positive_values(build, frame):
    frame.loc["C", "t"] = 0.0
    with pytest.raises(DataError, match=r"log\(t\) needs positive values; got 0 at row 'C'"):
        build("y ~ log(t)", frame)


def test_rank_deficient_design_names_the_collinear_columns(build, frame):
    frame["x2"] = 2 * frame["x"] - frame["t"]
    with pytest.raises(DataError, match=r"fixed-effects design matrix is rank-deficient \(4 columns, rank 3\): column 'x2' = 2 \* 'x' - 1 \* 't'"):
        build("y ~ x + t + x2", frame)


def test_constant_column_is_collinear_with_the_intercept(build, frame):
    frame["k"] = 3.0
    with pytest.raises(DataError, match=r"column 'k' = 3 \* 'Intercept'"):
        build("y ~ x + k", frame)


def test_unknown_reference_level_key(build, frame):
    with pytest.raises(DataError, match=r"reference_levels names 'b', which is not a categorical variable of the model; categorical variables: a"):
        build("y ~ a", frame, reference_levels={"b": "p"})


def test_reference_level_not_in_data(build, frame):
    with pytest.raises(DataError, match=r"reference_levels\['a'\]: 'z' is not a level of a; levels: 'p', 'q', 'r'"):
        build("y ~ a", frame, reference_levels={"a": "z"})


def test_reference_level_by_column_name_reaches_factor(build):
    design = build("S ~ factor(Gr) + (1 | System)", load("pump"), family="poisson", reference_levels={"Gr": 1})
    assert design.fixed.column_names == ("Intercept", "factor(Gr)[0]")


def test_reference_levels_must_be_a_mapping(build, frame):
    with pytest.raises(DataError, match=r"reference_levels must be a mapping from column to level"):
        build("y ~ a", frame, reference_levels=["a", "q"])


# -- new data --------------------------------------------------------------------------------
def test_new_data_with_a_subset_of_levels(build, frame):
    design = build("y ~ x + a", frame)
    new = pd.DataFrame({"x": [1.0, 2.0], "a": ["r", "r"]})
    np.testing.assert_array_equal(design.fixed.transform(new), [[1, 1, 0, 1], [1, 2, 0, 1]])


def test_new_data_with_an_unseen_fixed_level(build, frame):
    design = build("y ~ x + a", frame)
    new = pd.DataFrame({"x": [1.0, 2.0], "a": ["p", "s"]}, index=[7, 8])
    with pytest.raises(DataError, match=r"new data: categorical term a has levels not seen when fitting: 's' at row 8; levels seen: 'p', 'q', 'r'"):
        design.fixed.transform(new)


def test_new_data_scale_reuses_training_mean_and_sd(build, frame):
    design = build("y ~ scale(x)", frame)
    x = frame["x"]
    new = pd.DataFrame({"x": [x.mean(), x.mean() - 2 * x.std()]})
    np.testing.assert_allclose(design.fixed.transform(new)[:, 1], [0.0, -2.0])


def test_new_data_reference_level_is_kept(build, frame):
    design = build("y ~ a", frame, reference_levels={"a": "q"})
    new = pd.DataFrame({"a": ["q", "p", "r"]})
    np.testing.assert_array_equal(design.fixed.transform(new), [[1, 0, 0], [1, 1, 0], [1, 0, 1]])


def test_new_data_missing_values_are_refused(build, frame):
    design = build("y ~ x", frame)
    with pytest.raises(DataError, match=r"new data has missing values \(NaN/None\) in columns the model uses: column 'x' \(1 missing, at row 1\)"):
        design.fixed.transform(pd.DataFrame({"x": [1.0, np.nan]}))


def test_model_design_transform_for_prediction(build):
    cbpp = load("cbpp")
    design = build("cbind(incidence, size - incidence) ~ period + (1 | herd)", cbpp, family="binomial")
    new = pd.DataFrame({"period": ["2", "4"], "herd": ["3", "99"], "incidence": [1, 0], "size": [5, 6]})
    rows = design.transform(new)
    assert isinstance(rows, DesignRows)
    np.testing.assert_array_equal(rows.fixed, [[1, 1, 0, 0], [1, 0, 0, 1]])
    ((term_matrix, group_index, unseen),) = rows.random
    np.testing.assert_array_equal(group_index, [2, -1])
    assert unseen == ("99",)
    np.testing.assert_array_equal(rows.trials, [5, 6])
    np.testing.assert_array_equal(rows.offset, [0.0, 0.0])


def test_transform_without_response_columns_has_no_trials(build):
    cbpp = load("cbpp")
    design = build("cbind(incidence, size - incidence) ~ period + (1 | herd)", cbpp, family="binomial")
    rows = design.transform(pd.DataFrame({"period": ["1"], "herd": ["1"]}))
    assert rows.trials is None


def test_transform_offsets(build):
    pump = load("pump")
    design = build("S ~ factor(Gr) + (1 | System) + offset(log(t))", pump, family="poisson")
    rows = design.transform(pd.DataFrame({"Gr": [0, 1], "System": [1, 11], "t": [10.0, 100.0]}))
    np.testing.assert_allclose(rows.offset, np.log([10.0, 100.0]))
    assert rows.trials is None
    with pytest.raises(DataError, match=r"new data has no column 't'"):
        design.transform(pd.DataFrame({"Gr": [0], "System": [1]}))
