"""Shared checks and small helpers: rank, rows in messages, columns, levels and labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayesml.design.validate import check_full_rank, describe_rows, require_columns
from bayesml.design.values import level_label, sorted_levels
from bayesml.errors import DataError


def test_full_rank_passes():
    rng = np.random.default_rng(3)
    check_full_rank(rng.normal(size=(20, 5)), list("abcde"), what="X")


def test_duplicate_column():
    x = np.arange(5.0)
    matrix = np.column_stack([np.ones(5), x, x])
    with pytest.raises(DataError, match=r"X is rank-deficient \(3 columns, rank 2\): column 'c' = 1 \* 'b'\. Remove one"):
        check_full_rank(matrix, ["a", "b", "c"], what="X")


def test_several_dependencies_are_all_named():
    x = np.array([1.0, 2.0, 4.0, 3.0, 7.0])
    matrix = np.column_stack([np.ones(5), x, 2 * x, np.zeros(5)])
    with pytest.raises(DataError, match=r"\(4 columns, rank 2\): column 'c' = 2 \* 'b'; column 'd' is all zeros"):
        check_full_rank(matrix, ["a", "b", "c", "d"], what="X")


def test_more_columns_than_rows():
    rng = np.random.default_rng(4)
    with pytest.raises(DataError, match=r"\(4 columns, rank 3, only 3 rows\): column 'd' = "):
        check_full_rank(rng.normal(size=(3, 4)), list("abcd"), what="X")


def test_badly_scaled_columns_are_not_flagged():
    x = np.linspace(0.0, 1.0, 10)
    check_full_rank(np.column_stack([np.ones(10), 1e6 * x, 1e-6 * x**2]), list("abc"), what="X")


def test_describe_rows_truncates():
    index = pd.Index(list("abcdefgh"))
    mask = np.array([True] * 7 + [False])
    assert describe_rows(index, mask) == "rows 'a', 'b', 'c', 'd', 'e' and 2 more"
    assert describe_rows(pd.RangeIndex(3), np.array([False, True, False])) == "row 1"


def test_require_columns_without_close_match():
    frame = pd.DataFrame({"alpha": [1], "beta": [2]})
    with pytest.raises(DataError, match=r"^data has no column 'zzz'; available columns: 'alpha', 'beta'$"):
        require_columns(frame, ["alpha", "zzz"])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (pd.Series(["b", "a", "c", "a"]), ("a", "b", "c")),
        (pd.Series([3, 1, 2, 10]), (1, 2, 3, 10)),
        (pd.Series([True, False, True]), (False, True)),
        (pd.Series(pd.Categorical(["x", "y"], categories=["y", "x", "z"])), ("y", "x")),
        (pd.Series([1, "a"], dtype=object), (1, "a")),
    ],
)
def test_sorted_levels(values, expected):
    assert sorted_levels(values) == expected


@pytest.mark.parametrize(
    ("level", "label"),
    [(1.0, "1"), (np.int64(2), "2"), (2.5, "2.5"), (True, "True"), ("Bean", "Bean")],
)
def test_level_label(level, label):
    assert level_label(level) == label


def test_require_columns_refuses_repeated_names():
    frame = pd.DataFrame([[1, 2, 3]], columns=["x", "x", "y"])
    with pytest.raises(DataError, match=r"data has more than one column named 'x'; column names must be unique"):
        require_columns(frame, ["x", "y"])
