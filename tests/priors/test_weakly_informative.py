"""WeaklyInformativeScaling (Gelman et al. 2008), rescale_prior and the sampled scale of the
coefficients (sampled_coefficient_priors, sampled_fixed_effects)."""

import numpy as np
import pytest

from bayesml.priors import (
    Prior,
    WeaklyInformativeScaling,
    rescale_prior,
    sampled_coefficient_priors,
    sampled_fixed_effects,
)
from bayesml.priors._scaling import WI_COEFFICIENT


@pytest.fixture
def columns():
    rng = np.random.default_rng(20080101)
    n = 50
    return {
        "x": rng.normal(3.0, 2.0, n),
        "dummy": (rng.random(n) < 0.3).astype(float),
        "pm": np.where(rng.random(n) < 0.5, -1.0, 1.0),
        "const": np.full(n, 4.0),
    }


def build(columns, *, intercept=True):
    names = (["Intercept"] if intercept else []) + list(columns)
    parts = ([np.ones(len(columns["x"]))] if intercept else []) + list(columns.values())
    matrix = np.column_stack(parts)
    return matrix, WeaklyInformativeScaling.from_matrix(matrix, names, has_intercept=intercept)


def test_scaling_of_each_kind_of_column(columns):
    _, scaling = build(columns)
    assert scaling.column_names == ("x", "dummy", "pm", "const")
    assert scaling.binary == (False, True, True, False)
    x, dummy, pm = columns["x"], columns["dummy"], columns["pm"]
    assert scaling.centre == pytest.approx((x.mean(), dummy.mean(), pm.mean(), 0.0))
    assert scaling.scale == pytest.approx((2 * x.std(ddof=1), 1.0, 2.0, 1.0))
    assert scaling.scale_of("pm") == 2.0


def test_scaled_inputs_have_sd_half_or_differ_by_one(columns):
    matrix, scaling = build(columns)
    scaled = scaling.to_scaled(matrix[:, 1:])
    assert scaled.mean(axis=0)[:3] == pytest.approx(0.0, abs=1e-12)
    assert scaled[:, 0].std(ddof=1) == pytest.approx(0.5)
    assert sorted(set(np.round(np.diff(np.unique(scaled[:, 1])), 12))) == [1.0]
    assert sorted(set(np.round(np.diff(np.unique(scaled[:, 2])), 12))) == [1.0]
    assert np.array_equal(scaled[:, 3], columns["const"])


def test_without_an_intercept_nothing_is_centred(columns):
    _, scaling = build(columns, intercept=False)
    assert scaling.centre == (0.0, 0.0, 0.0, 0.0)
    assert not scaling.has_intercept


def test_to_original_gives_the_same_linear_predictor(columns):
    matrix, scaling = build(columns)
    rng = np.random.default_rng(7)
    b = rng.normal(size=(6, 4))  # 6 draws of the scaled coefficients
    a = rng.normal(size=6)
    beta, intercept = scaling.to_original(b, a)
    eta_scaled = scaling.to_scaled(matrix[:, 1:]) @ b.T + a
    eta_original = matrix[:, 1:] @ beta.T + intercept
    np.testing.assert_allclose(eta_original, eta_scaled, rtol=1e-12, atol=1e-12)
    assert beta.shape == (6, 4) and intercept.shape == (6,)


def test_to_original_without_intercept(columns):
    matrix, scaling = build(columns, intercept=False)
    b = [0.5, -1.0, 2.0, 0.3]
    beta, intercept = scaling.to_original(b)
    assert intercept is None
    np.testing.assert_allclose(matrix @ beta, scaling.to_scaled(matrix) @ np.array(b))


@pytest.mark.parametrize(
    ("prior", "expected"),
    [
        (Prior("normal", mu=1, sigma=2), Prior("normal", mu=3, sigma=6)),
        (Prior("student_t", nu=3, mu=-1, sigma=0.5), Prior("student_t", nu=3, mu=-3, sigma=1.5)),
        (Prior("cauchy", sigma=2.5), Prior("cauchy", mu=0, sigma=7.5)),
        (Prior("flat"), Prior("flat")),
    ],
)
def test_rescale_prior(prior, expected):
    assert rescale_prior(prior, 3.0) == expected


def test_rescale_prior_refuses_other_priors():
    with pytest.raises(ValueError, match=r"^half_normal\(sigma=1\) is not a location-scale prior"):
        rescale_prior(Prior("half_normal", sigma=1), 2.0)


# -- the sampled scale of the coefficients -----------------------------------------------


def test_sampled_coefficient_priors_without_scaling_are_the_own_priors():
    intercept, x = Prior("student_t", nu=3, mu=1, sigma=2), Prior("normal", sigma=3)
    priors = sampled_coefficient_priors(
        ["x", "Intercept"], intercept_prior=intercept, fixed_priors={"x": x}
    )
    assert priors == [x, intercept]


def test_sampled_coefficient_priors_under_weakly_informative(columns):
    _, scaling = build(columns)
    intercept = Prior("cauchy", mu=0, sigma=10)
    own = Prior("normal", mu=1, sigma=0.5)
    fixed = {
        "x": own,
        "dummy": Prior("weakly_informative"),
        "pm": Prior("flat"),
        "const": Prior("weakly_informative"),
    }
    priors = sampled_coefficient_priors(
        ["Intercept", "x", "dummy", "pm", "const"],
        intercept_prior=intercept,
        fixed_priors=fixed,
        scaling=scaling,
    )
    assert priors == [
        intercept,  # on the intercept of the scaled model, as given
        rescale_prior(own, scaling.scale_of("x")),  # b = s β
        WI_COEFFICIENT,
        Prior("flat"),
        WI_COEFFICIENT,
    ]
    assert WI_COEFFICIENT == Prior("cauchy", mu=0, sigma=2.5)
    assert priors[1]["sigma"] == pytest.approx(0.5 * scaling.scale_of("x"))


def test_sampled_coefficient_priors_name_a_missing_prior():
    with pytest.raises(ValueError, match=r"^no prior for the coefficient 'z'$"):
        sampled_coefficient_priors(["z"], intercept_prior=None, fixed_priors={})


def test_sampled_fixed_effects_scale_the_columns_and_keep_eta(columns):
    matrix, scaling = build(columns)
    labels = ["Intercept", *columns]
    fixed = dict.fromkeys(columns, Prior("weakly_informative"))
    intercept = Prior("cauchy", mu=0, sigma=10)
    sampled, priors = sampled_fixed_effects(
        matrix, labels, intercept_prior=intercept, fixed_priors=fixed, scaling=scaling
    )
    assert sampled.dtype == np.float64 and sampled is not matrix
    np.testing.assert_array_equal(sampled[:, 0], 1.0)
    np.testing.assert_array_equal(sampled[:, 1:], scaling.to_scaled(matrix[:, 1:]))
    assert priors == sampled_coefficient_priors(
        labels, intercept_prior=intercept, fixed_priors=fixed, scaling=scaling
    )
    b = np.array([0.3, -1.2, 0.8, 2.0, 0.1])
    beta, beta0 = scaling.to_original(b[1:], b[0])
    np.testing.assert_allclose(sampled @ b, matrix @ np.r_[beta0, beta], rtol=1e-12)


def test_sampled_fixed_effects_with_columns_in_any_order(columns):
    """The intercept need not come first: columns are found by label."""
    matrix, scaling = build(columns)
    labels = ["Intercept", *columns]
    order = [2, 0, 4, 1, 3]
    fixed = dict.fromkeys(columns, Prior("normal", sigma=1))
    sampled, _ = sampled_fixed_effects(
        matrix[:, order],
        [labels[j] for j in order],
        intercept_prior=Prior("flat"),
        fixed_priors=fixed,
        scaling=scaling,
    )
    expected, _ = sampled_fixed_effects(
        matrix, labels, intercept_prior=Prior("flat"), fixed_priors=fixed, scaling=scaling
    )
    np.testing.assert_array_equal(sampled, expected[:, order])


def test_sampled_fixed_effects_without_scaling_is_a_copy():
    matrix = np.array([[1, 2], [1, 5]])
    sampled, priors = sampled_fixed_effects(
        matrix,
        ["Intercept", "x"],
        intercept_prior=Prior("flat"),
        fixed_priors={"x": Prior("normal", sigma=1)},
    )
    assert sampled.dtype == np.float64
    np.testing.assert_array_equal(sampled, matrix)
    sampled[0, 0] = 7.0
    assert matrix[0, 0] == 1
    assert priors == [Prior("flat"), Prior("normal", sigma=1)]
