"""Sampling diagnostics and summaries on synthetic draws with known properties."""

import warnings

import numpy as np
import pytest
from arviz_base import from_dict

from bayesml.errors import SamplingWarning
from bayesml.results import check_sampling, summary


def _tree(posterior: dict, diverging=None, dims=None, coords=None):
    groups = {"posterior": posterior}
    if diverging is not None:
        groups["sample_stats"] = {"diverging": diverging}
    return from_dict(groups, dims=dims or {}, coords=coords or {})


def test_well_mixed_independent_chains_give_no_warning():
    rng = np.random.default_rng(1)
    tree = _tree({"beta": rng.normal(size=(4, 500, 2))}, np.zeros((4, 500), bool), dims={"beta": ["coef"]}, coords={"coef": ["Intercept", "x"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error", SamplingWarning)
        result = check_sampling(tree)
    assert result.divergences == 0
    assert result.rhat_bad == ()
    assert result.ess_bulk_min > 1000


def test_divergences_are_counted_in_the_warning():
    rng = np.random.default_rng(2)
    diverging = np.zeros((2, 300), bool)
    diverging[0, :7] = True
    tree = _tree({"sigma": rng.gamma(2.0, size=(2, 300))}, diverging)
    with pytest.warns(SamplingWarning, match=r"^7 of 600 post-warm-up draws diverged"):
        check_sampling(tree)


def test_chains_stuck_apart_flag_rhat_and_name_the_entry():
    rng = np.random.default_rng(3)
    draws = rng.normal(size=(2, 400, 2))
    draws[1, :, 1] += 3.0  # second chain of beta[x] sits elsewhere
    tree = _tree({"beta": draws}, dims={"beta": ["coef"]}, coords={"coef": ["Intercept", "x"]})
    with pytest.warns(SamplingWarning, match=r"^R-hat above 1.01 for 1 parameter \(max 1\.\d{3}\): beta\[x\]\. "):
        result = check_sampling(tree)
    assert result.rhat_bad == ("beta[x]",)


@pytest.mark.parametrize(
    ("value", "shown"), [(1.0104, "1.0104"), (1.0101, "1.0101"), (1.037, "1.037"), (1.0100004, "1.0100004")]
)
def test_the_largest_r_hat_shows_the_digits_that_put_it_above_the_threshold(value, shown):
    from bayesml.results.diagnostics import _above

    assert _above(value, 1.01) == shown


def test_several_entries_are_counted_in_the_plural_and_a_correlation_once():
    rng = np.random.default_rng(6)
    draws = rng.normal(size=(2, 400, 2))
    draws[1] += 3.0  # both coefficients' chains sit apart
    corr = np.broadcast_to(np.eye(2), (2, 400, 2, 2)).copy()
    corr[..., 0, 1] = corr[..., 1, 0] = np.where(np.arange(2)[:, None] == 0, -0.5, 0.5) + rng.normal(scale=0.01, size=(2, 400))
    tree = _tree(
        {"beta": draws, "corr_g": corr},
        dims={"beta": ["coef"], "corr_g": ["g__term", "g__term_bis"]},
        coords={"coef": ["Intercept", "x"], "g__term": ["Intercept", "x"], "g__term_bis": ["Intercept", "x"]},
    )
    with pytest.warns(SamplingWarning, match=r"^R-hat above 1.01 for 3 parameters \(max [0-9.]+\): beta\[Intercept\], beta\[x\], corr_g\[Intercept, x\]\. "):
        result = check_sampling(tree)
    assert result.rhat_bad == ("beta[Intercept]", "beta[x]", "corr_g[Intercept, x]")


def test_autocorrelated_chain_flags_low_ess():
    rng = np.random.default_rng(4)
    steps = rng.normal(scale=0.05, size=(2, 300))
    tree = _tree({"sigma": np.cumsum(steps, axis=1) + 5})
    with pytest.warns(SamplingWarning, match=r"effective sample size below 200 \(100 per chain\) for 1 parameter \("):
        check_sampling(tree)


def test_summary_keeps_shared_names_and_one_triangle_of_correlations():
    rng = np.random.default_rng(5)
    corr = np.broadcast_to(np.array([[1.0, 0.3], [0.3, 1.0]]), (2, 100, 2, 2)).copy()
    corr[..., 0, 1] = corr[..., 1, 0] = rng.uniform(-0.5, 0.5, size=(2, 100))
    tree = _tree(
        {
            "beta": rng.normal(size=(2, 100, 2)),
            "sd_g": rng.gamma(3.0, size=(2, 100, 2)),
            "corr_g": corr,
            "u_g": rng.normal(size=(2, 100, 3, 2)),
            "sigma": rng.gamma(3.0, size=(2, 100)),
        },
        dims={"beta": ["coef"], "sd_g": ["g__term"], "corr_g": ["g__term", "g__term_bis"], "u_g": ["g__level", "g__term"]},
        coords={"coef": ["Intercept", "x"], "g__term": ["Intercept", "x"], "g__term_bis": ["Intercept", "x"], "g__level": ["a", "b", "c"]},
    )
    table = summary(tree)
    assert list(table.index) == [
        "beta[Intercept]", "beta[x]", "sd_g[Intercept]", "sd_g[x]", "corr_g[Intercept, x]", "sigma",
    ]
    assert float(table.loc["corr_g[Intercept, x]", "mean"]) == pytest.approx(corr[..., 0, 1].mean(), abs=0.01)
    with_u = summary(tree, include_random_effects=True)
    assert "u_g[a, x]" in with_u.index
