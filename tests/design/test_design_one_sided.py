"""A fixed-effects matrix from a one-sided formula (build_fixed_design)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayesml.design import FixedDesign, build_fixed_design
from bayesml.errors import DataError
from bayesml.formula import parse_rhs

FRAME = pd.DataFrame({"x2": [-1.0, 1.0, -1.0, 1.0, 1.0], "x3": ["a", "a", "b", "b", "c"]})


def test_numeric_and_categorical_columns():
    design = build_fixed_design(parse_rhs("~ x2 + x3"), FRAME)
    assert isinstance(design, FixedDesign)
    assert design.column_names == ("Intercept", "x2", "x3[b]", "x3[c]")
    np.testing.assert_array_equal(design.matrix[:, 1], FRAME["x2"])
    np.testing.assert_array_equal(design.matrix[:, 2], [0, 0, 1, 1, 0])
    assert design.has_intercept


def test_without_intercept_and_reference_levels():
    design = build_fixed_design(parse_rhs("~ 0 + x3"), FRAME)
    assert design.column_names == ("x3[a]", "x3[b]", "x3[c]")
    design = build_fixed_design(parse_rhs("~ x3"), FRAME, reference_levels={"x3": "c"})
    assert design.column_names == ("Intercept", "x3[a]", "x3[b]")


def test_transform_encodes_new_rows_the_same_way():
    design = build_fixed_design(parse_rhs("~ x2 + x3"), FRAME)
    new = pd.DataFrame({"x2": [2.0], "x3": ["b"]})
    np.testing.assert_array_equal(design.transform(new), [[1.0, 2.0, 1.0, 0.0]])


def test_intercept_only():
    design = build_fixed_design(parse_rhs("~ 1"), FRAME)
    np.testing.assert_array_equal(design.matrix, np.ones((5, 1)))


@pytest.mark.parametrize(
    ("frame", "text", "message"),
    [
        (FRAME, "~ x4", r"data has no column 'x4'"),
        (
            FRAME.assign(x2=[1.0, np.nan, 0.0, 1.0, 1.0]),
            "~ x2",
            r"missing values .* column 'x2' \(1 missing, at row 1\)",
        ),
        (FRAME.assign(x5=FRAME["x2"] * 2), "~ x2 + x5", r"rank"),
        (FRAME.iloc[:0], "~ x2", r"data has no rows"),
    ],
)
def test_errors(frame, text, message):
    with pytest.raises(DataError, match=message):
        build_fixed_design(parse_rhs(text), frame)


def test_data_must_be_a_frame():
    with pytest.raises(DataError, match="data must be a pandas DataFrame; got dict"):
        build_fixed_design(parse_rhs("~ x2"), {"x2": [1, 2]})
