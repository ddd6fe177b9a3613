"""WeaklyInformativeScaling (Gelman et al. 2008) and rescale_prior."""

import numpy as np
import pytest

from bayesml.priors import Prior, WeaklyInformativeScaling, rescale_prior


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
