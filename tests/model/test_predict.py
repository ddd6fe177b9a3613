"""``Model.predict``: fitted rows, new rows of seen levels, unseen levels drawn from the population,
categorical predictors in new data, kinds and argument errors.

References are computed by hand from the data columns and the posterior draws of β and u
(tests/model/_hier.py), never from bayesml's design matrices.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayesml.errors import DataError

from ._hier import eta_by_hand, fixed_part_by_hand

CHAINS, DRAWS = 2, 200


@pytest.fixture(scope="module")
def posterior(hier_fit):
    return hier_fit["posterior"].to_dataset()


def test_fitted_rows_linear_predictor_matches_beta_and_u(
    hier_model, hier_fit, hier_data, posterior
):
    eta = hier_model.predict(hier_fit, kind="linear")
    assert eta.dims == ("chain", "draw", "obs")
    assert eta.shape == (CHAINS, DRAWS, len(hier_data))
    np.testing.assert_allclose(
        eta.values, eta_by_hand(posterior, hier_data), rtol=1e-12, atol=1e-12
    )


def test_mean_of_the_identity_link_is_the_linear_predictor(hier_model, hier_fit):
    np.testing.assert_array_equal(
        hier_model.predict(hier_fit, kind="mean").values,
        hier_model.predict(hier_fit, kind="linear").values,
    )


def test_new_rows_of_seen_levels_reproduce_the_fitted_rows(hier_model, hier_fit, hier_data):
    rows = [5, 0, 17, 5]
    new = hier_data.iloc[rows].drop(columns="y").reset_index(drop=True)
    fitted = hier_model.predict(hier_fit, kind="linear").values
    predicted = hier_model.predict(hier_fit, new, kind="linear").values
    assert predicted.shape == (CHAINS, DRAWS, len(rows))
    np.testing.assert_allclose(predicted, fitted[:, :, rows], rtol=1e-12, atol=1e-12)


def test_categorical_predictor_with_a_subset_of_levels_encodes_as_in_fitting(
    hier_model, hier_fit, hier_data, posterior
):
    # only level "c" of f (and the reference "a"): the f[b] column must be all zeros, f[c] ones
    new = pd.DataFrame({"x": [0.3, -1.2], "f": ["c", "c"], "g": ["g2", "g4"], "h": ["h1", "h1"]})
    predicted = hier_model.predict(hier_fit, new, kind="linear").values
    np.testing.assert_allclose(predicted, eta_by_hand(posterior, new), rtol=1e-12, atol=1e-12)
    only_reference = new.assign(f="a")
    np.testing.assert_allclose(
        hier_model.predict(hier_fit, only_reference, kind="linear").values,
        eta_by_hand(posterior, only_reference),
        rtol=1e-12,
        atol=1e-12,
    )


def test_unseen_level_of_a_fixed_factor_is_refused(hier_model, hier_fit):
    new = pd.DataFrame({"x": [0.0], "f": ["z"], "g": ["g1"], "h": ["h1"]})
    with pytest.raises(DataError, match=r"'z'"):
        hier_model.predict(hier_fit, new)


# -- unseen grouping levels -------------------------------------------------------------------


@pytest.fixture(scope="module")
def unseen(hier_model, hier_fit):
    """Rows of two unseen levels of g (x = 0 and x = 1 for "new1", x = 0 for "new2")."""
    new = pd.DataFrame(
        {"x": [0.0, 1.0, 0.0], "f": ["a", "a", "a"], "g": ["new1", "new1", "new2"], "h": ["h0"] * 3}
    )
    eta = hier_model.predict(hier_fit, new, kind="linear", random_seed=4).values
    return new, eta


def _known_part(posterior, new):
    """Fixed part plus the (seen) h effect of the new rows."""
    h0 = posterior["u_h"].sel(h__level="h0", h__term="Intercept").values[..., None]
    return fixed_part_by_hand(posterior, new) + h0


def test_unseen_level_effects_are_centred_on_the_fixed_part(unseen, posterior):
    new, eta = unseen
    effects = (eta - _known_part(posterior, new)).reshape(-1, len(new))
    sd_intercept = posterior["sd_g"].sel(g__term="Intercept").values.ravel()
    # one independent population draw per posterior draw: mean 0, variance E[sd²]
    limit = 4 * np.sqrt(np.mean(sd_intercept**2) / effects.shape[0])
    assert abs(effects[:, 0].mean()) < limit
    assert abs(effects[:, 2].mean()) < limit


def test_unseen_level_effects_spread_as_the_group_sd(unseen, posterior):
    new, eta = unseen
    effects = (eta - _known_part(posterior, new)).reshape(-1, len(new))
    sd = posterior["sd_g"].values.reshape(-1, 2)
    rho = posterior["corr_g"].values[..., 0, 1].ravel()
    expected_intercept = np.sqrt(np.mean(sd[:, 0] ** 2))
    # x = 1: u₀ + u₁ has variance sd₀² + sd₁² + 2ρ sd₀ sd₁ (the correlated draw)
    expected_at_x1 = np.sqrt(np.mean(sd[:, 0] ** 2 + sd[:, 1] ** 2 + 2 * rho * sd[:, 0] * sd[:, 1]))
    assert effects[:, 0].std() == pytest.approx(expected_intercept, rel=0.15)
    assert effects[:, 2].std() == pytest.approx(expected_intercept, rel=0.15)
    assert effects[:, 1].std() == pytest.approx(expected_at_x1, rel=0.15)


def test_rows_of_one_unseen_level_share_its_effect_and_levels_are_independent(unseen, posterior):
    new, eta = unseen
    effects = (eta - _known_part(posterior, new)).reshape(-1, len(new))
    slope_part = effects[:, 1] - effects[:, 0]  # same level "new1": the intercepts cancel
    sd = posterior["sd_g"].values.reshape(-1, 2)
    assert slope_part.std() == pytest.approx(np.sqrt(np.mean(sd[:, 1] ** 2)), rel=0.15)
    correlation = np.corrcoef(effects[:, 0], effects[:, 2])[0, 1]
    assert abs(correlation) < 4 / np.sqrt(effects.shape[0])


def test_unseen_level_draws_are_seeded(hier_model, hier_fit, unseen):
    new, eta = unseen
    again = hier_model.predict(hier_fit, new, kind="linear", random_seed=4).values
    other = hier_model.predict(hier_fit, new, kind="linear", random_seed=5).values
    np.testing.assert_array_equal(eta, again)
    assert not np.array_equal(eta, other)


# -- kinds ------------------------------------------------------------------------------------


def test_response_draws_have_the_right_shape_and_spread(hier_model, hier_fit, hier_data, posterior):
    new = hier_data.iloc[:10].drop(columns="y")
    draws = hier_model.predict(hier_fit, new, kind="response", random_seed=1)
    assert draws.dims == ("chain", "draw", "obs")
    assert draws.shape == (CHAINS, DRAWS, 10)
    z = (draws.values - eta_by_hand(posterior, new)) / posterior["sigma"].values[..., None]
    assert abs(z.mean()) < 4 / np.sqrt(z.size)
    assert z.std() == pytest.approx(1.0, rel=0.05)
    fitted = hier_model.predict(hier_fit, kind="response", random_seed=1)
    assert fitted.shape == (CHAINS, DRAWS, len(hier_data))


def test_unknown_kind_is_refused(hier_model, hier_fit):
    with pytest.raises(
        ValueError, match=r"kind must be one of \['linear', 'mean', 'response'\]; got kind='median'"
    ):
        hier_model.predict(hier_fit, kind="median")


def test_new_data_must_be_a_data_frame(hier_model, hier_fit, hier_data):
    with pytest.raises(TypeError, match=r"new_data must be a pandas DataFrame; got dict"):
        hier_model.predict(hier_fit, hier_data.to_dict())
