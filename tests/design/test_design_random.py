"""Random-effect blocks: levels, term matrices, level-major Z and encoding of new rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from bayesml.datasets import load
from bayesml.errors import DataError


@pytest.fixture
def grouped() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "y": [1.0, 2.0, 1.5, 3.0, 2.5, 0.5, 1.0, 2.0],
            "x": [0.1, 0.5, 0.9, 1.3, 1.7, 2.1, 2.5, 2.9],
            "g": ["k", "m", "k", "l", "m", "l", "k", "m"],
            "a": ["p", "p", "q", "q", "p", "q", "p", "q"],
            "b": [2, 1, 2, 1, 2, 1, 2, 2],
        }
    )


def test_radon_random_slopes(build):
    radon = load("radon")
    design = build("log_radon ~ floor + (1 + floor | county)", radon)
    (block,) = design.random
    assert block.name == "county"
    assert block.term_labels == ("Intercept", "floor")
    assert block.correlated
    assert len(block.levels) == 85
    assert block.levels[:2] == ("AITKIN", "ANOKA")
    assert isinstance(block.Z, sp.csr_matrix)
    assert block.Z.shape == (919, 85 * 2)
    np.testing.assert_array_equal(block.term_matrix[:, 0], 1.0)
    np.testing.assert_array_equal(block.term_matrix[:, 1], radon["floor"])
    county = radon["county"].astype(str).to_numpy()
    assert all(block.levels[i] == c for i, c in zip(block.group_index, county, strict=True))


def test_z_is_level_major(build, grouped):
    design = build("y ~ x + (1 + x | g)", grouped)
    block = design.random[0]
    assert block.levels == ("k", "l", "m")
    np.testing.assert_array_equal(block.group_index, [0, 2, 0, 1, 2, 1, 0, 2])
    dense = block.Z.toarray()
    for row, level in enumerate(block.group_index):
        expected = np.zeros(6)
        expected[2 * level : 2 * level + 2] = block.term_matrix[row]
        np.testing.assert_array_equal(dense[row], expected)
    # Z u equals the row-wise sum of term values times the row's level effects
    rng = np.random.default_rng(1)
    u = rng.normal(size=(3, 2))
    np.testing.assert_allclose(
        block.Z @ u.reshape(-1), np.sum(block.term_matrix * u[block.group_index], axis=1)
    )


def test_intercept_only_block_is_uncorrelated(build, grouped):
    block = build("y ~ x + (1 | g)", grouped).random[0]
    assert block.term_labels == ("Intercept",)
    assert not block.correlated
    np.testing.assert_array_equal(block.Z.toarray(), np.eye(3)[block.group_index])


def test_double_bar_is_uncorrelated(build, grouped):
    block = build("y ~ x + (1 + x || g)", grouped).random[0]
    assert block.term_labels == ("Intercept", "x")
    assert not block.correlated


def test_factor_term_without_intercept_is_coded_fully(build, grouped):
    block = build("y ~ x + (0 + a | g)", grouped).random[0]
    assert block.term_labels == ("a[p]", "a[q]")
    assert block.correlated
    np.testing.assert_array_equal(block.term_matrix[:, 0], (grouped["a"] == "p").to_numpy(dtype=float))


def test_factor_term_with_intercept_gets_contrasts(build, grouped):
    block = build("y ~ x + (1 + a | g)", grouped).random[0]
    assert block.term_labels == ("Intercept", "a[q]")


def test_numeric_grouping_labels(build, grouped):
    block = build("y ~ x + (1 | b)", grouped).random[0]
    assert block.levels == ("1", "2")


def test_interaction_grouping_factor(build, grouped):
    block = build("y ~ x + (1 | g:a)", grouped).random[0]
    assert block.name == "g:a"
    # only the combinations present, g varying slowest
    assert block.levels == ("k:p", "k:q", "l:q", "m:p", "m:q")
    labels = [f"{g}:{a}" for g, a in zip(grouped["g"], grouped["a"], strict=True)]
    assert [block.levels[i] for i in block.group_index] == labels
    assert block.Z.shape == (8, 5)


def test_crossed_random_effects(build):
    design = build("Mate ~ TypeF * TypeM + (1 | Female) + (1 | Male)", load("salamander_mating"), family="binomial")
    assert [block.name for block in design.random] == ["Female", "Male"]
    assert design.fixed.column_names == ("Intercept", "TypeF[W]", "TypeM[W]", "TypeF[W]:TypeM[W]")


def test_single_level_grouping_factor_is_refused(build, grouped):
    with pytest.raises(DataError, match=r"grouping factor 'h' has a single level \('only'\) in the data"):
        build("y ~ x + (1 | h)", grouped.assign(h="only"))


def test_transform_marks_unseen_levels(build, grouped):
    block = build("y ~ x + (1 + x | g)", grouped).random[0]
    new = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "g": ["m", "new", "k", "other"]})
    term_matrix, group_index, unseen = block.transform(new)
    np.testing.assert_array_equal(term_matrix, [[1, 1], [1, 2], [1, 3], [1, 4]])
    np.testing.assert_array_equal(group_index, [2, -1, 0, -1])
    assert unseen == ("new", "other")


def test_transform_of_interaction_groups(build, grouped):
    block = build("y ~ x + (1 | g:a)", grouped).random[0]
    new = pd.DataFrame({"x": [1.0, 2.0, 3.0], "g": ["l", "l", "z"], "a": ["q", "p", "p"]})
    _, group_index, unseen = block.transform(new)
    np.testing.assert_array_equal(group_index, [2, -1, -1])
    assert unseen == ("l:p", "z:p")


def test_transform_with_numeric_groups(build, grouped):
    block = build("y ~ x + (1 | b)", grouped).random[0]
    _, group_index, unseen = block.transform(pd.DataFrame({"x": [0.0, 0.0], "b": [2, 7]}))
    np.testing.assert_array_equal(group_index, [1, -1])
    assert unseen == ("7",)


def test_transform_needs_the_grouping_column(build, grouped):
    block = build("y ~ x + (1 | g)", grouped).random[0]
    with pytest.raises(DataError, match=r"new data has no column 'g'"):
        block.transform(pd.DataFrame({"x": [1.0]}))
