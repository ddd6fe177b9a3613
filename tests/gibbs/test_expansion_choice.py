"""``expansion="auto"``: each group's expansion moves chosen in warm-up from the draws, then frozen.

The estimator (mean squared jumps → AR(1) ESS per draw) is checked against AR(1) series of known
autocorrelation; the schedule and the decision against stand-in kernels whose mixing is known;
then whole runs: rats drops the moves, radon keeps them, the same seed gives the same choice and
draws, and the choice is reported in ``sample_stats``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import bayesml
from bayesml.backends.gibbs import sample_gibbs
from bayesml.backends.gibbs.autocorrelation import ar1_ess_per_draw, jump_autocorrelation
from bayesml.backends.gibbs.kernels import expansion_choice
from bayesml.backends.gibbs.kernels.base import GibbsState
from bayesml.backends.gibbs.kernels.expansion_choice import (
    BLOCK,
    MIN_TUNE,
    ExpansionChoice,
    GroupExpansionKernel,
    group_summary,
)

MODELS = Path(__file__).resolve().parents[2] / "models"


def _ar1(rho: float, length: int, rng: np.random.Generator) -> np.ndarray:
    """A stationary AR(1) series of unit variance."""
    noise = rng.normal(size=length) * np.sqrt(1.0 - rho**2)
    values = np.empty(length)
    values[0] = rng.normal()
    for t in range(1, length):
        values[t] = rho * values[t - 1] + noise[t]
    return values


# -- the estimator -------------------------------------------------------------------------------


def test_jump_autocorrelation_recovers_the_lag_one_autocorrelation_of_ar1_blocks():
    rng = np.random.default_rng(0)
    blocks = [
        np.column_stack([_ar1(0.9, 51, rng), _ar1(0.3, 51, rng), np.full(51, 2.0)])
        for _ in range(1000)
    ]
    rho = jump_autocorrelation(blocks, variance=np.array([1.0, 1.0, 0.0]))
    np.testing.assert_allclose(rho, [0.9, 0.3, 0.0], atol=0.02)


def test_ar1_ess_per_draw_is_one_minus_rho_over_one_plus_rho():
    np.testing.assert_allclose(ar1_ess_per_draw(np.array([0.0, 0.5, 0.9])), [1.0, 1 / 3, 1 / 19])
    assert ar1_ess_per_draw(np.array([1.0]))[0] == 0.0
    assert ar1_ess_per_draw(np.array([-1.0]))[0] == np.inf


def test_jump_autocorrelation_needs_blocks_of_two_values():
    with pytest.raises(ValueError, match=r"blocks must hold at least one block of two or more"):
        jump_autocorrelation([np.zeros((1, 2))], np.ones(2))


def test_group_summary_is_log_sd_then_atanh_of_the_correlations():
    cov = np.array([[4.0, 1.0], [1.0, 1.0]])
    np.testing.assert_allclose(
        group_summary(cov, correlated=True), [np.log(2.0), 0.0, np.arctanh(0.5)]
    )
    np.testing.assert_allclose(group_summary(np.diag([4.0, 9.0]), False), np.log([2.0, 3.0]))


# -- the schedule and the decision, with stand-in kernels ----------------------------------------


class _Redraw:
    """A stand-in move that draws the group's log SD afresh (ESS per draw 1)."""

    stats = {"expansion_evals_g": ("g__term",)}

    def __init__(self) -> None:
        self.calls: list[bool] = []

    def init(self, state, rng) -> None:
        pass

    def step(self, state, rng, tuning):
        self.calls.append(tuning)
        state.cov[0] = np.array([[np.exp(2.0 * rng.normal())]])
        return {"expansion_evals_g": np.array([3.0])}


class _Idle(_Redraw):
    """A stand-in move that changes nothing."""

    def step(self, state, rng, tuning):
        self.calls.append(tuning)
        return {"expansion_evals_g": np.array([3.0])}


def _state() -> GibbsState:
    return GibbsState(
        theta=np.zeros(1), eta=np.zeros(1), sigma2=1.0, cov=[np.eye(1)],
        coef_mixing=np.ones(0), data_precision=1.0, response_sums=np.zeros(1),
        weights=np.ones(1),
    )  # fmt: skip


def _run(move, *, tune: int, draws: int = 5, rho: float = 0.95, setting="auto"):
    """The wrapper after an update that moves log SD as an AR(1) series of autocorrelation rho."""
    kernel = GroupExpansionKernel([move], 0, "g", False, setting=setting, tune=tune)
    rng = np.random.default_rng(1)
    state = _state()
    kernel.init(state, rng)
    stats = []
    for sweep in range(tune + draws):
        log_sd = 0.5 * np.log(state.cov[0][0, 0])
        log_sd = rho * log_sd + np.sqrt(1.0 - rho**2) * rng.normal()
        state.cov[0] = np.array([[np.exp(2.0 * log_sd)]])
        stats.append(kernel.step(state, rng, tuning=sweep < tune))
    return kernel, stats


def test_warm_up_makes_the_moves_then_alternates_blocks_without_them():
    tune = 1000
    move = _Redraw()
    kernel, _ = _run(move, tune=tune, draws=0)
    start = int(tune * expansion_choice.BURN_IN_FRACTION)
    pairs = (tune - start) // (2 * BLOCK)
    made = np.ones(tune, dtype=bool)
    for pair in range(pairs):
        off = start + (2 * pair + 1) * BLOCK
        made[off : off + BLOCK] = False
    assert len(move.calls) == made.sum()
    assert made[:start].all() and not made[start + BLOCK : start + 2 * BLOCK].any()
    assert made[start + 2 * pairs * BLOCK :].all()  # the sweeps after the last pair of blocks


def test_moves_that_mix_much_better_are_kept():
    kernel, stats = _run(_Redraw(), tune=MIN_TUNE)
    choice = kernel.decide()
    assert choice.keep and choice.reason == "compared"
    assert choice.gain > 10  # ESS per draw 1 against 0.05/1.95
    assert all(step["expansion_evals_g"][0] == 3.0 for step in stats[MIN_TUNE:])


def test_moves_that_do_not_help_are_dropped_and_skipped_after_warm_up():
    move = _Idle()
    kernel, stats = _run(move, tune=1000, rho=0.5)
    choice = kernel.decide()
    assert not choice.keep and choice.reason == "compared"
    assert 1 / expansion_choice.MOVE_COST < choice.gain < expansion_choice.MOVE_COST
    assert all(move.calls)  # never called outside warm-up
    assert stats[1000:] == [{}] * 5


def test_short_warm_ups_and_fixed_settings_do_not_compare():
    move = _Idle()
    kernel, _ = _run(move, tune=MIN_TUNE - 1, rho=0.5)
    assert kernel.decide() == ExpansionChoice("g", True, "short warm-up")
    assert len(move.calls) == MIN_TUNE - 1 + 5
    move = _Redraw()
    kernel, _ = _run(move, tune=1000, setting=False)
    assert kernel.decide() == ExpansionChoice("g", False, "fixed")
    assert move.calls == []
    assert np.isnan(kernel.decide().gain)


# -- whole runs ----------------------------------------------------------------------------------


def _sample(model, **kwargs):
    options = {"draws": 20, "tune": 1000, "chains": 4, "random_seed": 5, "cores": 1}
    return sample_gibbs(model.design, model.priors, model.family, **(options | kwargs))


@pytest.fixture(scope="module")
def rats_model():
    return bayesml.Model.from_spec(MODELS / "rats.yaml")


def test_rats_drops_the_moves_and_the_same_seed_repeats_choice_and_draws(rats_model):
    """On rats the moves raise the ESS per draw by about 10 % (long runs): every chain drops
    them (0 of 40 seeds kept them in a trial of the rule)."""
    first, second = _sample(rats_model), _sample(rats_model)
    stats_group = first["sample_stats"]
    assert stats_group["expansion_rat"].dtype == bool
    assert stats_group["expansion_rat"].dims == ("chain", "draw")
    assert not stats_group["expansion_rat"].values.any()
    gains = np.array(stats_group.attrs["expansion_gain_rat"])
    assert gains.shape == (4,) and np.all((gains > 0.5) & (gains < expansion_choice.MOVE_COST))
    assert np.all(stats_group["expansion_evals_rat"].values == 0)  # no moves in the kept draws
    np.testing.assert_array_equal(
        first["sample_stats"].attrs["expansion_gain_rat"],
        second["sample_stats"].attrs["expansion_gain_rat"],
    )
    for name in ("beta", "u_rat", "sd_rat", "corr_rat", "sigma"):
        np.testing.assert_array_equal(
            first["posterior"][name].values, second["posterior"][name].values
        )


@pytest.mark.parametrize(
    "formula, priors",
    [
        ("log_radon ~ floor + (1 | county)", None),
        (
            "log_radon ~ floor + (1 + floor | county)",
            {"cov": {"dist": "inverse_wishart", "nu": 4, "scale": 0.2}},
        ),
    ],
    ids=["varying-intercepts", "varying-slopes-inverse-wishart"],
)
def test_radon_keeps_the_moves(formula, priors):
    """Without the moves the county SDs mix slowly: varying intercepts gain about twofold (37 of 40
    seeds kept them in a trial of the rule), varying slopes five- to twelvefold (40 of 40)."""
    model = bayesml.Model(formula, "radon", priors=priors)
    result = _sample(model, chains=2)
    stats_group = result["sample_stats"]
    assert stats_group["expansion_county"].values.all()
    assert np.all(np.array(stats_group.attrs["expansion_gain_county"]) > 1.5)
    assert np.all(stats_group["expansion_evals_county"].values > 0)


def test_fixed_settings_record_their_choice_without_gains(rats_model):
    result = _sample(rats_model, draws=5, tune=500, chains=2, expansion=True)
    assert result["sample_stats"]["expansion_rat"].values.all()
    assert np.isnan(result["sample_stats"].attrs["expansion_gain_rat"]).all()
    result = _sample(rats_model, draws=5, tune=5, chains=2, expansion=False)
    assert not result["sample_stats"]["expansion_rat"].values.any()


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_expansion_must_be_true_false_or_auto(rats_model, value):
    with pytest.raises(
        ValueError, match=r"expansion must be True, False or 'auto'; got expansion="
    ):
        _sample(rats_model, expansion=value)
    with pytest.raises(ValueError, match=rf"got expansion={value!r}$"):
        rats_model.sample(method="gibbs", sampler_kwargs={"expansion": value})
