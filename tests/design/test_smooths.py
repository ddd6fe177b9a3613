"""Smooth terms in the design: mixed-model columns, by= variables, new data and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayesml.design.design import build_design
from bayesml.design.smooth_bases import smooth_basis
from bayesml.errors import DataError, SmoothExtrapolationWarning
from bayesml.families import get_family
from bayesml.formula import parse_formula

GAUSSIAN = get_family("gaussian")


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(20261207)
    n = 120
    x = rng.uniform(0, 10, n)
    return pd.DataFrame(
        {
            "y": np.sin(x) + rng.normal(0, 0.3, n),
            "x": x,
            "w": rng.uniform(0.5, 2.0, n),
            "f": rng.choice(["a", "b", "c"], n),
            "g": rng.choice([f"g{i}" for i in range(8)], n),
            "hour": rng.uniform(1, 23, n),
            "few": rng.choice([1.0, 2.0, 3.0, 4.0, 5.0], n),
        }
    )


def _design(formula: str, data: pd.DataFrame):
    return build_design(parse_formula(formula), data, family=GAUSSIAN)


def test_a_smooth_is_fixed_null_space_plus_one_block_with_one_sd(frame) -> None:
    design = _design('y ~ s(x, bs="cr", k=8) + (1 | g)', frame)
    assert design.fixed.column_names == ("Intercept", "s(x)_fixed1")
    block = design.random[-1]
    assert (block.name, block.levels, block.n_terms, block.shared_sd) == (
        "s(x)",
        ("s(x)",),
        6,
        True,
    )
    assert not block.correlated and np.all(block.group_index == 0)
    # the columns span the constrained basis: fixed + random = mgcv's basis up to a rotation
    basis = smooth_basis("cr").fit(frame["x"].to_numpy(), k=8)
    both = np.hstack([design.fixed.matrix[:, 1:], block.term_matrix])
    rotation, *_ = np.linalg.lstsq(basis.X, both, rcond=None)
    np.testing.assert_allclose(basis.X @ rotation, both, atol=1e-10)
    assert np.linalg.matrix_rank(rotation) == 7


def test_factor_by_gives_one_centred_smooth_per_level(frame) -> None:
    design = _design('y ~ f + s(x, bs="cr", k=6, by=f)', frame)
    names = [block.name for block in design.random]
    assert names == ["s(x):fa", "s(x):fb", "s(x):fc"]
    assert design.fixed.column_names[-3:] == ("s(x):fa_fixed1", "s(x):fb_fixed1", "s(x):fc_fixed1")
    for level, block in zip("abc", design.random, strict=True):
        other = (frame["f"] != level).to_numpy()
        assert np.all(block.term_matrix[other] == 0.0)
        np.testing.assert_allclose(block.term_matrix[~other].sum(axis=0), 0.0, atol=1e-9)


def test_numeric_by_is_a_varying_coefficient_without_the_constraint(frame) -> None:
    design = _design('y ~ s(x, bs="cr", k=6, by=w)', frame)
    # the unconstrained null space (constant and linear, times w) is fixed
    assert design.fixed.column_names == ("Intercept", "s(x):w_fixed1", "s(x):w_fixed2")
    basis = smooth_basis("cr").fit(frame["x"].to_numpy(), k=6)
    target = basis.X_unconstrained * frame["w"].to_numpy()[:, None]
    both = np.hstack([design.fixed.matrix[:, 1:], design.random[0].term_matrix])
    rotation, *_ = np.linalg.lstsq(target, both, rcond=None)
    np.testing.assert_allclose(target @ rotation, both, atol=1e-10)


def test_re_smooth_is_a_random_intercept(frame) -> None:
    smooth = _design('y ~ x + s(g, bs="re")', frame)
    bar = _design("y ~ x + (1 | g)", frame)
    assert smooth.random[0].name == bar.random[0].name == "g"
    np.testing.assert_array_equal(smooth.random[0].Z.toarray(), bar.random[0].Z.toarray())
    assert not smooth.random[0].shared_sd


def test_new_data_use_the_fitted_basis_and_warn_outside_the_range(frame) -> None:
    design = _design('y ~ s(x, bs="cr", k=8)', frame)
    inside = frame.iloc[:5]
    rows = design.transform(inside)
    np.testing.assert_allclose(rows.fixed, design.fixed.matrix[:5])
    np.testing.assert_allclose(rows.random[0][0], design.random[0].term_matrix[:5])
    beyond = pd.DataFrame({"x": [12.0, 14.0, 16.0]})
    with pytest.warns(
        SmoothExtrapolationWarning, match=r"s\(x\): 3 new value\(s\) of x lie outside"
    ):
        rows = design.transform(beyond)
    # a cubic regression spline continues linearly beyond its end knots, as mgcv's PredictMat
    columns = np.hstack([rows.fixed[:, 1:], rows.random[0][0]])
    np.testing.assert_allclose(columns[2] - columns[1], columns[1] - columns[0], atol=1e-10)


def test_cyclic_smooth_takes_the_cycle_ends(frame) -> None:
    design = _design('y ~ s(hour, bs="cc", k=6, knots=c(0, 24))', frame)
    rows = design.transform(pd.DataFrame({"hour": [0.0, 24.0]}))
    np.testing.assert_allclose(rows.random[0][0][0], rows.random[0][0][1], atol=1e-12)
    with pytest.raises(DataError, match=r"must contain the data: the cycle runs over \[2, 20\]"):
        _design('y ~ s(hour, bs="cc", k=6, knots=c(2, 20))', frame)


def test_k_above_the_unique_values_is_refused(frame) -> None:
    with pytest.raises(DataError, match=r"k = 8 but few has only 5 unique value\(s\).*k <= 5"):
        _design('y ~ s(few, bs="cr", k=8)', frame)


def test_a_categorical_covariate_is_refused(frame) -> None:
    with pytest.raises(DataError, match=r"covariate f is categorical.*s\(<numeric>, by=f\)"):
        _design("y ~ s(f)", frame)


def test_new_level_of_a_factor_by_is_refused(frame) -> None:
    design = _design('y ~ s(x, bs="cr", k=6, by=f)', frame)
    with pytest.raises(DataError, match=r"by=f has levels not seen when fitting: 'd'"):
        design.transform(pd.DataFrame({"x": [1.0], "f": ["d"]}))


def test_describe_lists_each_smooth(frame) -> None:
    import bayesml

    model = bayesml.Model('y ~ s(x, bs="cr", k=8) + t2(w, hour) + (1 | g)', data=frame)
    text = model.describe()
    assert (
        "Smooth s(x): bs=cr, k=8; 1 fixed column(s), 6 penalised coefficient(s) with SD sd_s(x)"
        in text
    )
    assert "Smooth t2(w,hour): bs=cr, k=5 x 5; 3 fixed column(s)" in text
    assert "Group s(x)" not in text and "sd_s(x)" in text
