"""Categorical coding: treatment contrasts and R's full-rank rule, checked against model.matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayesml.design.coding import Coding, plan_coding
from bayesml.errors import DataError

C, F, N = Coding.CONTRASTS, Coding.FULL, Coding.NUMERIC


@pytest.mark.parametrize(
    ("terms", "intercept", "expected"),
    [
        # ~ a*b: every margin is in the model
        ([("a",), ("b",), ("a", "b")], True, [(C,), (C,), (C, C)]),
        # ~ 0 + a + b: the first factor takes the intercept's place, the second gets contrasts
        ([("a",), ("b",)], False, [(F,), (C,)]),
        # ~ a + a:b (b nested in a): a's margin b is absent, so a is coded fully inside a:b
        ([("a",), ("a", "b")], True, [(C,), (F, C)]),
        # ~ a:b: neither margin is in the model (R's rank-deficient model.matrix(~a:b))
        ([("a", "b")], True, [(F, F)]),
        # ~ x + x:a: the margin x of a is in the model
        ([("x",), ("x", "a")], True, [(N,), (N, C)]),
        # ~ x:a alone: full indicator coding
        ([("x", "a")], True, [(N, F)]),
        # ~ 0 + x + a: the first *categorical* factor takes the intercept's place
        ([("x",), ("a",)], False, [(N,), (F,)]),
        # ~ a:b + a:c: {a} is contained in the earlier term a:b, so c gets contrasts (R's TermCode)
        ([("a", "b"), ("a", "c")], True, [(F, F), (F, C)]),
    ],
)
def test_plan_coding_follows_r_rule(terms, intercept, expected):
    categorical = {"a", "b", "c"}
    plan = plan_coding(terms, intercept=intercept, categorical=categorical)
    assert [term.codings for term in plan] == expected
    assert [term.factors for term in plan] == terms


def test_a_times_b_matches_model_matrix(build, factors_frame):
    design = build("y ~ a*b", factors_frame)
    assert design.fixed.column_names == (
        "Intercept", "a[a2]", "a[a3]", "b[b2]", "a[a2]:b[b2]", "a[a3]:b[b2]",
    )
    # model.matrix(~ a*b) for the cells (a1,b1) (a2,b1) (a3,b1) (a1,b2) (a2,b2) (a3,b2)
    expected = np.array(
        [
            [1, 0, 0, 0, 0, 0],
            [1, 1, 0, 0, 0, 0],
            [1, 0, 1, 0, 0, 0],
            [1, 0, 0, 1, 0, 0],
            [1, 1, 0, 1, 1, 0],
            [1, 0, 1, 1, 0, 1],
        ],
        dtype=float,
    )
    np.testing.assert_array_equal(design.fixed.matrix, expected)
    assert design.fixed.has_intercept


def test_no_intercept_gives_one_column_per_level(build, factors_frame):
    design = build("y ~ 0 + a", factors_frame)
    assert design.fixed.column_names == ("a[a1]", "a[a2]", "a[a3]")
    np.testing.assert_array_equal(design.fixed.matrix, np.tile(np.eye(3), (2, 1)))
    assert not design.fixed.has_intercept


def test_no_intercept_second_factor_gets_contrasts(build, factors_frame):
    design = build("y ~ 0 + a + b", factors_frame)
    assert design.fixed.column_names == ("a[a1]", "a[a2]", "a[a3]", "b[b2]")


def test_slope_by_factor_with_main_effect(build, factors_frame):
    design = build("y ~ x + a:x", factors_frame)
    assert design.fixed.column_names == ("Intercept", "x", "x:a[a2]", "x:a[a3]")
    x = factors_frame["x"].to_numpy()
    a = factors_frame["a"].to_numpy()
    np.testing.assert_array_equal(design.fixed.matrix[:, 2], x * (a == "a2"))
    np.testing.assert_array_equal(design.fixed.matrix[:, 3], x * (a == "a3"))


def test_slope_by_factor_without_main_effect_is_full(build, factors_frame):
    design = build("y ~ a:x", factors_frame)
    assert design.fixed.column_names == ("Intercept", "a[a1]:x", "a[a2]:x", "a[a3]:x")


def test_nested_factor_coding(build, factors_frame):
    design = build("y ~ a + a:b", factors_frame)
    assert design.fixed.column_names == (
        "Intercept", "a[a2]", "a[a3]", "a[a1]:b[b2]", "a[a2]:b[b2]", "a[a3]:b[b2]",
    )


def test_interaction_columns_vary_first_factor_fastest(build, factors_frame):
    design = build("y ~ 0 + a:b", factors_frame)
    assert design.fixed.column_names == (
        "a[a1]:b[b1]", "a[a2]:b[b1]", "a[a3]:b[b1]", "a[a1]:b[b2]", "a[a2]:b[b2]", "a[a3]:b[b2]",
    )
    np.testing.assert_array_equal(design.fixed.matrix, np.eye(6))


def test_reference_level_from_argument(build, factors_frame):
    design = build("y ~ a", factors_frame, reference_levels={"a": "a3"})
    assert design.fixed.column_names == ("Intercept", "a[a1]", "a[a2]")


def test_reference_level_from_c(build, factors_frame):
    design = build('y ~ C(a, ref="a2")', factors_frame)
    assert design.fixed.column_names == ("Intercept", 'C(a, ref="a2")[a1]', 'C(a, ref="a2")[a3]')


def test_categorical_dtype_keeps_its_level_order(build, factors_frame):
    frame = factors_frame.assign(a=pd.Categorical(factors_frame["a"], categories=["a3", "a1", "a2"]))
    design = build("y ~ a", frame)
    assert design.fixed.column_names == ("Intercept", "a[a1]", "a[a2]")


def test_unused_categories_are_dropped(build, factors_frame):
    frame = factors_frame.assign(a=pd.Categorical(factors_frame["a"], categories=["a0", "a1", "a2", "a3"]))
    design = build("y ~ a", frame)
    assert design.fixed.column_names == ("Intercept", "a[a2]", "a[a3]")


def test_numeric_zero_one_and_bool_stay_numeric(build, factors_frame):
    frame = factors_frame.assign(d=[0, 1, 0, 1, 1, 0], flag=[True, True, False, False, True, False])
    design = build("y ~ d + flag", frame)
    assert design.fixed.column_names == ("Intercept", "d", "flag")
    np.testing.assert_array_equal(design.fixed.matrix[:, 2], [1, 1, 0, 0, 1, 0])


def test_factor_of_numbers_labels_levels_as_integers(build, factors_frame):
    frame = factors_frame.assign(Gr=[0.0, 1.0, 2.0, 0.0, 1.0, 2.0])
    design = build("y ~ factor(Gr)", frame)
    assert design.fixed.column_names == ("Intercept", "factor(Gr)[1]", "factor(Gr)[2]")


def test_factor_of_comparison_has_false_true_levels(build, factors_frame):
    design = build("y ~ factor(I(x > 3))", factors_frame)
    assert design.fixed.column_names == ("Intercept", "factor(I(x > 3))[True]")
    np.testing.assert_array_equal(design.fixed.matrix[:, 1], [0, 0, 0, 1, 1, 1])


def test_single_level_factor_with_contrasts_is_refused(build, factors_frame):
    frame = factors_frame.assign(c="only")
    with pytest.raises(DataError, match=r"categorical term c has a single level \('only'\)"):
        build("y ~ x + c", frame)
