"""The safe expression interpreter: arithmetic, comparisons, transforms and their errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayesml.design.convert import EvalContext
from bayesml.design.encodings import EncodingStore
from bayesml.design.expressions import evaluate, evaluate_design_value
from bayesml.design.transforms import TRANSFORMS
from bayesml.design.values import ColumnValue, FactorEncoding, FactorValue, NumericValue
from bayesml.errors import DataError, FormulaError
from bayesml.formula import ALLOWED_FUNCTIONS, Call, Name, parse_expression


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": [1.0, 2.0, 4.0, 8.0],
            "z": [0.0, -1.0, 2.0, 3.0],
            "t": [0.5, 1.0, 2.0, 4.0],
            "g": ["b", "a", "b", "c"],
            "seed": ["O73", "O75", "O73", "O75"],
        },
        index=["r1", "r2", "r3", "r4"],
    )


def context_of(frame: pd.DataFrame, store: EncodingStore | None = None) -> EvalContext:
    return EvalContext(frame, store or EncodingStore(), "y ~ ...")


def values_of(text: str, frame: pd.DataFrame, store: EncodingStore | None = None) -> np.ndarray:
    value = evaluate_design_value(text, context_of(frame, store))
    assert isinstance(value, NumericValue)
    return value.values


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I(x^2)", [1.0, 4.0, 16.0, 64.0]),
        ("I(x/2 + 1)", [1.5, 2.0, 3.0, 5.0]),
        ("I(x - z * 2)", [1.0, 4.0, 0.0, 2.0]),
        ("I(-x)", [-1.0, -2.0, -4.0, -8.0]),
        ("I(2^x)", [2.0, 4.0, 16.0, 256.0]),
        ("log(x)", np.log([1.0, 2.0, 4.0, 8.0])),
        ("log(x + 1)", np.log([2.0, 3.0, 5.0, 9.0])),
        ("log1p(z + 0.5)", np.log1p([0.5, -0.5, 2.5, 3.5])),
        ("exp(z)", np.exp([0.0, -1.0, 2.0, 3.0])),
        ("sqrt(x)", np.sqrt([1.0, 2.0, 4.0, 8.0])),
        ("abs(z)", [0.0, 1.0, 2.0, 3.0]),
        ("I(x > 2)", [0.0, 0.0, 1.0, 1.0]),
        ("I(x <= 2)", [1.0, 1.0, 0.0, 0.0]),
        ('I(seed == "O73")', [1.0, 0.0, 1.0, 0.0]),
        ('I(seed != "O73")', [0.0, 1.0, 0.0, 1.0]),
        ("I(x == t + 0.5)", [1.0, 0.0, 0.0, 0.0]),
    ],
)
def test_numeric_expressions(frame, text, expected):
    np.testing.assert_allclose(values_of(text, frame), expected)


def test_comparison_is_marked_boolean(frame):
    value = evaluate_design_value('I(seed == "O73")', context_of(frame))
    assert isinstance(value, NumericValue) and value.boolean


def test_scale_uses_mean_and_sample_sd(frame):
    x = frame["x"].to_numpy()
    np.testing.assert_allclose(values_of("scale(x)", frame), (x - x.mean()) / x.std(ddof=1))
    np.testing.assert_allclose(values_of("center(x)", frame), x - x.mean())


def test_scale_reuses_training_mean_and_sd_on_new_data(frame):
    store = EncodingStore()
    values_of("scale(x)", frame, store)
    values_of("center(x)", frame, store)
    store.freeze()
    x = frame["x"].to_numpy()
    new = pd.DataFrame({"x": [x.mean(), x.mean() + x.std(ddof=1)]})
    np.testing.assert_allclose(values_of("scale(x)", new, store), [0.0, 1.0])
    np.testing.assert_allclose(values_of("center(x)", new, store), [0.0, x.std(ddof=1)])


def test_text_column_is_a_factor_with_sorted_levels(frame):
    value = evaluate_design_value("g", context_of(frame))
    assert isinstance(value, FactorValue)
    assert value.encoding.labels == ("a", "b", "c")
    np.testing.assert_array_equal(value.codes, [1, 0, 1, 2])


def test_factor_levels_are_kept_for_new_data(frame):
    store = EncodingStore()
    evaluate_design_value("g", context_of(frame, store))
    store.freeze()
    new = pd.DataFrame({"g": ["c", "d", "a"]})
    value = evaluate_design_value("g", context_of(new, store))
    np.testing.assert_array_equal(value.codes, [2, -1, 0])


def test_kind_is_fixed_when_fitting(frame):
    """A column fitted as categorical stays categorical even if new data hold numbers."""
    store = EncodingStore()
    evaluate_design_value("g", context_of(frame, store))
    store.freeze()
    value = evaluate_design_value("g", context_of(pd.DataFrame({"g": [1, 2]}), store))
    assert isinstance(value, FactorValue)
    np.testing.assert_array_equal(value.codes, [-1, -1])


def test_name_evaluates_to_the_column(frame):
    value = evaluate(parse_expression("g"), context_of(frame))
    assert isinstance(value, ColumnValue) and value.name == "g"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("log(z)", r"log\(z\) needs positive values; got 0, -1 at rows 'r1', 'r2'"),
        ("sqrt(z)", r"sqrt\(z\) needs non-negative values; got -1 at row 'r2'"),
        ("log1p(z - 1)", r"log1p\(z - 1\) needs values above -1; got -1, -2 at rows 'r1', 'r2'"),
        ("log(g)", r"log\(g\) needs numbers, but column 'g' holds str values such as 'b', 'a', 'c'"),
        ("I(g * 2)", r"g \* 2 needs numbers, but column 'g' holds str values"),
        ('I(x == "a")', r'x == "a" compares text with a number; it is the constant \'a\''),
        ('I(g > "a")', r"g > \"a\" needs numbers, but column 'g'"),
        ("I(x/z)", r"I\(x/z\) has non-finite values \(inf or NaN\) at row 'r1'"),
        ("scale(I(x * 0))", r"scale\(I\(x \* 0\)\): the values are constant \(standard deviation 0\)"),
    ],
)
def test_bad_values_are_reported_with_expression_and_rows(frame, text, message):
    with pytest.raises(DataError, match=message):
        evaluate_design_value(text, context_of(frame))


def test_domain_errors_also_apply_to_new_data(frame):
    store = EncodingStore()
    evaluate_design_value("log(t)", context_of(frame, store))
    store.freeze()
    with pytest.raises(DataError, match=r"log\(t\) needs positive values; got -3 at row 0"):
        evaluate_design_value("log(t)", context_of(pd.DataFrame({"t": [-3.0, 1.0]}), store))


def test_unknown_function_is_a_formula_error(frame):
    node = Call("eval", (Name("x"),))
    with pytest.raises(FormulaError, match=r"function 'eval' cannot be evaluated in a design; allowed functions: .*log"):
        evaluate(node, context_of(frame))


def test_unknown_function_is_refused_by_the_parser():
    with pytest.raises(FormulaError, match=r"unknown function 'system'"):
        parse_expression("system(x)")


def test_wrong_number_of_arguments(frame):
    node = Call("log", (Name("x"), Name("t")))
    with pytest.raises(FormulaError, match=r"log\(x, t\): log\(\) takes 1 argument\(s\); got 2 argument\(s\)"):
        evaluate(node, context_of(frame))


def test_missing_column_inside_expression(frame):
    with pytest.raises(DataError, match=r"data has no column 'w'"):
        evaluate_design_value("log(w)", context_of(frame))


def test_every_formula_function_that_computes_has_a_transform():
    computing = {name for name, spec in ALLOWED_FUNCTIONS.items() if spec.role in {"transform", "categorical", "basis"}}
    assert computing == set(TRANSFORMS)
    for name in computing:
        assert set(ALLOWED_FUNCTIONS[name].keywords.values()) == set(TRANSFORMS[name].keywords)


def test_factor_encoding_matches_new_values_by_label():
    encoding = FactorEncoding((1, 2, 3))
    np.testing.assert_array_equal(encoding.codes(np.array(["2", 3, 4.0, "x"], dtype=object)), [1, 2, -1, -1])


def test_factor_encoding_with_clashing_labels_matches_values_only():
    encoding = FactorEncoding((1, "1"))
    np.testing.assert_array_equal(encoding.codes(np.array(["1", 1, "2"], dtype=object)), [1, 0, -1])
