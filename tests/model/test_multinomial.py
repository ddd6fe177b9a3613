"""The multinomial family (issue 12 item 2): a response ``cbind(n1, n2, n3)`` of counts per
category, the first column the reference, one linear predictor per other category (brms'
``multinomial()``).

A row of counts is the same likelihood as that many categorical rows, up to the multinomial
coefficient (no parameters in it): the counts of the bundled ``choices`` data set by ``x2`` and
``site`` give the posterior of the categorical model on the 600 rows themselves.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

import bayesml
from bayesml.datasets import load
from bayesml.errors import DataError, FamilyError, FormulaError, SamplingWarning, SpecError
from bayesml.families import get_family

from ._sampling import mcse

FORMULA = "cbind(stay, move, quit) ~ x2 + (1 | site)"
#: explicit priors: the default scales of the coefficients depend on the columns' SDs, which
#: differ a little between the 60 cells and the 600 rows
PRIORS = {
    "intercept": {"dist": "student_t", "nu": 3, "mu": 0, "sigma": 2.5},
    "fixed": {"dist": "normal", "mu": 0, "sigma": 2.5},
    "sd": {"dist": "half_normal", "sigma": 1},
}


@pytest.fixture(scope="module")
def choices() -> pd.DataFrame:
    return load("choices")


@pytest.fixture(scope="module")
def counts(choices) -> pd.DataFrame:
    """The rows of ``choices`` counted by ``x2`` and ``site``: one row per cell (60), columns
    ``stay``, ``move`` and ``quit``."""
    table = pd.crosstab([choices["x2"], choices["site"]], choices["choice"])
    return table[["stay", "move", "quit"]].reset_index().rename_axis(columns=None)


def _quiet_sample(model, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        return model.sample(**kwargs)


@pytest.fixture(scope="module")
def fits(choices, counts):
    """The multinomial model on the counts and the categorical model on the rows, sampled alike
    (2 chains × 1000 draws each)."""
    options = {"draws": 1000, "tune": 1000, "chains": 2}
    multinomial = bayesml.Model(FORMULA, counts, family="multinomial", priors=PRIORS)
    categorical = bayesml.Model(
        "choice ~ x2 + (1 | site)", choices, family="categorical", reference="stay", priors=PRIORS
    )
    return (
        (
            multinomial,
            _quiet_sample(multinomial, random_seed=5, posterior_predictive=True, **options),
        ),
        (categorical, _quiet_sample(categorical, random_seed=6, **options)),
    )


# -- the family's maths ----------------------------------------------------------------------
ETA = np.array([[0.3, -1.2], [2.0, 0.5], [-0.7, 0.4], [0.0, 0.0], [4.0, -3.0]])
Y = np.array([[3.0, 0.0, 2.0], [1.0, 4.0, 1.0], [0.0, 0.0, 0.0], [0.0, 7.0, 0.0], [10, 2, 5]])


def _probabilities(eta):
    return special.softmax(np.concatenate([np.zeros(eta.shape[:-1] + (1,)), eta], axis=-1), axis=-1)


def test_log_likelihood_is_scipys_multinomial():
    family = get_family("multinomial")
    expected = stats.multinomial.logpmf(Y, Y.sum(axis=1), _probabilities(ETA))
    np.testing.assert_allclose(family.log_likelihood(Y, ETA), expected, rtol=1e-12)
    assert family.log_likelihood(Y, ETA)[2] == 0.0  # a row of no trials adds nothing


def test_log_likelihood_is_the_categorical_one_plus_the_coefficient():
    """n_k rows of category k: the same terms, less log N!/Π n_k!."""
    counts = get_family("multinomial").log_likelihood(Y, ETA)
    categorical = get_family("categorical")
    for row, eta in zip(Y, ETA, strict=True):
        rows = np.repeat([1.0, 2.0, 3.0], row.astype(int))
        total = categorical.log_likelihood(rows, np.tile(eta, (rows.size, 1))).sum()
        coefficient = special.gammaln(row.sum() + 1) - special.gammaln(row + 1).sum()
        np.testing.assert_allclose(
            total + coefficient, counts[list(map(tuple, Y)).index(tuple(row))]
        )


def test_log_likelihood_broadcasts_over_draws_and_stays_finite_in_the_tails():
    family = get_family("multinomial")
    eta = np.stack([ETA, ETA + 1.0, np.full_like(ETA, 800.0)])  # (draw, n, K − 1)
    values = family.log_likelihood(Y, eta)
    assert values.shape == (3, 5)
    np.testing.assert_allclose(values[1], family.log_likelihood(Y, ETA + 1.0))
    assert np.isfinite(values).all()


def test_draws_are_counts_of_the_trials_with_the_category_probabilities():
    family = get_family("multinomial")
    rng = np.random.default_rng(7)
    trials = np.array([5.0, 6.0, 0.0, 7.0, 17.0])
    eta = np.broadcast_to(ETA, (20_000, *ETA.shape))
    draws = family.draw(rng, eta, trials=trials)
    assert draws.shape == (20_000, 5, 3)
    np.testing.assert_array_equal(draws.sum(axis=-1), np.broadcast_to(trials, (20_000, 5)))
    expected = trials[:, None] * _probabilities(ETA)
    sd = np.sqrt(trials[:, None] * _probabilities(ETA) * (1 - _probabilities(ETA)))
    # means within 5 standard errors of N·P (0 for the row of no trials)
    np.testing.assert_array_less(
        np.abs(draws.mean(axis=0) - expected), 5 * sd / np.sqrt(20_000) + 1e-12
    )
    with pytest.raises(
        DataError,
        match=r"family 'multinomial' draws counts out of each row's trials; got trials=None",
    ):
        family.draw(rng, ETA)


def test_expected_response_is_the_category_probabilities():
    mean = get_family("multinomial").expected_response(ETA)
    assert mean.shape == (5, 3)
    np.testing.assert_allclose(mean, _probabilities(ETA), rtol=1e-12)


@pytest.mark.parametrize(
    ("y", "trials", "pattern"),
    [
        (
            np.ones(4),
            None,
            r"must be a matrix of counts with one column per category .* got an array of shape \(4,\)",
        ),
        (np.ones((4, 1)), None, r"rows × K, K >= 2.*got an array of shape \(4, 1\)"),
        (
            np.array([[1.0, 2.0], [1.0, -1.0]]),
            None,
            r"must be non-negative integer counts for family 'multinomial'; got -1 in 1 row \(row 'b'\)",
        ),
        (np.array([[1.5, 2.0], [1.0, 1.0]]), None, r"got 1.5 in 1 row \(row 'a'\)"),
        (np.array([[np.nan, 2.0], [1.0, 1.0]]), None, r"must be finite numbers \(no NaN or inf\)"),
        (
            np.array([[1.0, 2.0], [1.0, 1.0]]),
            [3.0, 3.0],
            r"trials of response 'y' must be each row's total count",
        ),
    ],
    ids=["vector", "one column", "negative", "fraction", "nan", "trials"],
)
def test_validate_response_names_the_rows(y, trials, pattern):
    with pytest.raises(DataError, match=pattern):
        get_family("multinomial").validate_response(
            y, trials=trials, row_labels=["a", "b"][: len(y)] if len(y) == 2 else None
        )


# -- the formula and the data ----------------------------------------------------------------
def test_the_columns_are_the_levels_and_the_rows_totals_the_trials(counts):
    model = bayesml.Model(FORMULA, counts, family="multinomial")
    response = model.design.response
    np.testing.assert_array_equal(response.y, counts[["stay", "move", "quit"]].to_numpy(float))
    np.testing.assert_array_equal(response.trials, counts[["stay", "move", "quit"]].sum(axis=1))
    assert response.levels == ("stay", "move", "quit")
    assert model.design.observed_name == "stay_move_quit"
    assert "Levels:  stay, move, quit (reference stay; " in model.describe()


def test_two_columns_and_expressions_are_columns(counts):
    model = bayesml.Model("cbind(stay, move + quit) ~ x2", counts, family="multinomial")
    assert model.design.response.levels == ("stay", "move + quit")
    np.testing.assert_array_equal(model.design.response.y[:, 1], counts["move"] + counts["quit"])


def test_rows_without_trials_are_kept(counts):
    frame = counts.copy()
    frame.loc[0, ["stay", "move", "quit"]] = 0
    model = bayesml.Model(FORMULA, frame, family="multinomial")
    assert model.design.response.trials[0] == 0
    assert model.design.n_obs == len(frame)


@pytest.mark.parametrize(
    ("change", "formula", "family", "error", "pattern"),
    [
        (
            lambda f: f.assign(move=f["move"].where(f.index != 3, -2)),
            FORMULA,
            "multinomial",
            DataError,
            r"counts 'move' of cbind\(stay, move, quit\) must be non-negative integers for "
            r"family 'multinomial'; got -2 at row 3",
        ),
        (
            lambda f: f.assign(quit=f["quit"] + np.where(f.index == 7, 0.5, 0.0)),
            FORMULA,
            "multinomial",
            DataError,
            r"counts 'quit' of cbind\(stay, move, quit\) must be "
            r"non-negative integers .*got \d+\.5 at row 7",
        ),
        (
            lambda f: f,
            "cbind(stay) ~ x2",
            "multinomial",
            SpecError,
            r"formula: cbind\(\) takes 2 or more positional arguments, got 1",
        ),
        (
            lambda f: f,
            FORMULA,
            "binomial",
            FormulaError,
            r"cbind\(stay, move, quit\) has 3 columns: the counts of 3 categories, a multinomial "
            r"response; it needs family 'multinomial', got family 'binomial'",
        ),
        (
            lambda f: f,
            FORMULA,
            "poisson",
            FormulaError,
            r"it needs family 'multinomial', got family 'poisson'",
        ),
        (
            lambda f: f,
            "stay ~ x2",
            "multinomial",
            FormulaError,
            r"family 'multinomial' needs the counts of each category as its response, "
            r"cbind\(n1, n2, n3\) \(the first column is the reference category\); got stay",
        ),
        (
            lambda f: f,
            "stay/move ~ x2",
            "multinomial",
            FormulaError,
            r"needs the counts of each category",
        ),
        (
            lambda f: f,
            "cbind(stay, move, stay) ~ x2",
            "multinomial",
            FormulaError,
            r"names column stay twice; each category needs its own column",
        ),
        (
            lambda f: f.assign(move=f["move"].astype(str)),
            FORMULA,
            "multinomial",
            DataError,
            r"move",
        ),
    ],
    ids=[
        "negative",
        "fraction",
        "one column",
        "binomial",
        "poisson",
        "single",
        "ratio",
        "repeated",
        "text",
    ],
)
def test_bad_input_is_refused(counts, change, formula, family, error, pattern):
    with pytest.raises(error, match=pattern):
        bayesml.Model(formula, change(counts), family=family)


def test_levels_and_reference_are_refused(counts):
    with pytest.raises(
        SpecError,
        match=r"levels: only the families of a response with levels .* family is 'multinomial'",
    ):
        bayesml.Model(FORMULA, counts, family="multinomial", levels=["quit", "move", "stay"])
    with pytest.raises(
        DataError,
        match=r"reference='move': the reference category of a multinomial response is its first "
        r"cbind\(\) column; write that column first instead",
    ):
        bayesml.Model(FORMULA, counts, family="multinomial", reference="move")


def test_a_binomial_cbind_still_works(counts):
    model = bayesml.Model("cbind(stay, move) ~ x2", counts, family="binomial")
    np.testing.assert_array_equal(model.design.response.trials, counts["stay"] + counts["move"])


@pytest.mark.parametrize("method", ["gibbs", "hlik"])
def test_the_other_backends_refuse_it_naming_nuts(counts, method):
    model = bayesml.Model(FORMULA, counts, family="multinomial")
    with pytest.raises(FamilyError, match=r"method=\"nuts\"|method='nuts'"):
        if method == "hlik":
            model.fit(method="hlik")
        else:
            model.sample(method="gibbs", draws=10, tune=10)


# -- the posterior ---------------------------------------------------------------------------
def test_the_posterior_agrees_with_the_categorical_model_on_the_rows(fits):
    """Same likelihood up to a constant and the same priors → the same posterior. Each
    posterior mean of beta and sd_site agrees within 4 combined Monte Carlo standard errors
    (sqrt(mcse₁² + mcse₂²), from 2 × 1000 draws of each fit; the largest gap in this seeded run
    is 2.1 of them); posterior SDs within 15 % (an SD from an ESS of a few hundred has a Monte
    Carlo error of 4–5 %, about 6 % for the ratio of two fits; the largest gap here is 7 %)."""
    (multinomial, counted), (categorical, rows) = fits
    for name in ("beta", "sd_site"):
        a = counted["posterior"][name]
        b = rows["posterior"][name].rename({"choice__category": "stay_move_quit__category"})
        error = np.sqrt(mcse(a) ** 2 + mcse(b) ** 2)
        gap = np.abs(a.mean(("chain", "draw")) - b.mean(("chain", "draw"))).values
        np.testing.assert_array_less(gap, 4 * error, err_msg=name)
        np.testing.assert_allclose(
            a.std(("chain", "draw")), b.std(("chain", "draw")), rtol=0.15, err_msg=name
        )


def test_results_have_the_category_dimensions(fits):
    (model, result), _ = fits
    posterior = result["posterior"]
    assert posterior["beta"].dims == ("chain", "draw", "coef", "stay_move_quit__category")
    assert list(posterior["stay_move_quit__category"].values) == ["move", "quit"]
    assert posterior["u_site"].dims == (
        "chain",
        "draw",
        "site__level",
        "site__term",
        "stay_move_quit__category",
    )
    assert result["log_likelihood"]["stay_move_quit"].dims == ("chain", "draw", "obs")
    observed = result["observed_data"]["stay_move_quit"]
    assert observed.dims == ("obs", "category")
    assert list(observed["category"].values) == ["stay", "move", "quit"]
    np.testing.assert_array_equal(observed.values, model.design.response.y)
    replicated = result["posterior_predictive"]["stay_move_quit"]
    assert replicated.dims == ("chain", "draw", "obs", "category")
    np.testing.assert_array_equal(
        replicated.sum("category").values,
        np.broadcast_to(model.design.response.trials, replicated.shape[:3]),
    )


def test_the_log_likelihood_is_the_familys_at_the_posterior_draws(fits):
    (model, result), _ = fits
    posterior = result["posterior"].isel(draw=slice(0, 3))
    design = model.design
    eta = np.einsum("np,cdpk->cdnk", design.fixed.matrix, posterior["beta"].values)
    eta += posterior["u_site"].values[..., 0, :][:, :, design.random[0].group_index, :]
    expected = get_family("multinomial").log_likelihood(design.response.y, eta)
    np.testing.assert_allclose(
        result["log_likelihood"]["stay_move_quit"].isel(draw=slice(0, 3)).values,
        expected,
        rtol=1e-5,
    )


def test_loo_and_add_log_likelihood_work(fits):
    import arviz_stats

    (model, result), _ = fits
    assert np.isfinite(arviz_stats.loo(result).elpd)
    copy = result.copy()
    del copy["log_likelihood"]
    bayesml.add_log_likelihood(copy, model)
    np.testing.assert_allclose(
        copy["log_likelihood"]["stay_move_quit"].values,
        result["log_likelihood"]["stay_move_quit"].values,
    )


def test_predict_kinds(fits, counts):
    (model, result), _ = fits
    linear = model.predict(result, kind="linear")
    assert linear.dims == ("chain", "draw", "obs", "category")
    assert list(linear["category"].values) == ["move", "quit"]
    mean = model.predict(result, kind="mean")
    assert list(mean["category"].values) == ["stay", "move", "quit"]
    np.testing.assert_allclose(mean.sum("category").values, 1.0)
    response = model.predict(result, kind="response", random_seed=2)
    assert response.dims == ("chain", "draw", "obs", "category")
    assert list(response["category"].values) == ["stay", "move", "quit"]
    trials = model.design.response.trials
    np.testing.assert_array_equal(
        response.sum("category").values, np.broadcast_to(trials, response.shape[:3])
    )
    # new rows: counts out of their own totals; without the count columns no trials to draw from
    new = pd.DataFrame(
        {
            "x2": ["a", "c"],
            "site": ["s00", "a new site"],
            "stay": [1, 0],
            "move": [2, 0],
            "quit": [3, 40],
        }
    )
    drawn = model.predict(result, new, kind="response", random_seed=2)
    np.testing.assert_array_equal(drawn.sum("category").values[0, 0], [6, 40])
    probabilities = model.predict(result, new[["x2", "site"]], kind="mean", random_seed=2)
    assert probabilities.shape[2:] == (2, 3)
    with pytest.raises(
        DataError, match=r"kind='response' for a multinomial model needs the trials"
    ):
        model.predict(result, new[["x2", "site"]], kind="response", random_seed=2)


def test_the_predictive_checks_draw_each_categorys_total_count(fits):
    import matplotlib

    matplotlib.use("Agg")
    from bayesml.plots.predictive import AUTO_CHECK

    (model, result), _ = fits
    kind = bayesml.plots.response_kind(result, model=model)
    assert (kind, AUTO_CHECK[kind]) == ("category_counts", "bars")
    plot = bayesml.plots.ppc(result, model=model)
    ax = plot.viz["plot"]["stay_move_quit"].item()
    heights = [patch.get_height() for patch in ax.patches]
    np.testing.assert_array_equal(heights, model.design.response.y.sum(axis=0))
    assert [label.get_text() for label in ax.get_xticklabels()] == ["stay", "move", "quit"]
    assert ax.get_ylabel() == "count"
    prior = model.sample_prior(draws=50, random_seed=3)
    checked = bayesml.plots.prior_predictive_check(prior, model=model)
    title = checked.viz["plot"]["stay_move_quit"].item().get_title()
    assert title == "Prior predictive check: counts per category of stay_move_quit"
    matplotlib.pyplot.close("all")
