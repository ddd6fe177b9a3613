"""The vectorised R-hat and ESS agree with arviz-stats, entry by entry."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from bayesml.results.convergence import ess_bulk, ess_tail, rank_diagnostics, rhat_rank


def autoregressive_draws(chains: int, draws: int, seed: int = 0) -> np.ndarray:
    """AR(1) chains from anti-correlated to nearly stuck, heavy tails, ties, a constant entry."""
    rng = np.random.default_rng(seed)
    phi = np.linspace(-0.3, 0.97, 24)
    noise = rng.standard_t(3, size=(chains, draws, phi.size))
    values = np.zeros_like(noise)
    for t in range(1, draws):
        values[:, t] = phi * values[:, t - 1] + noise[:, t]
    values[:, :, 3] += np.arange(chains)[:, None] * 0.7  # chains that disagree
    values[:, :, 5] = np.round(values[:, :, 5])  # many ties
    values[:, :, 7] = 2.0  # constant
    values[:, :, 9] = values[:, :, 9] > 0  # binary
    return values


def arviz_values(draws: np.ndarray) -> dict[str, np.ndarray]:
    import arviz_stats

    dataset = xr.Dataset({"v": (("chain", "draw", "entry"), draws)})
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "rhat": arviz_stats.rhat(dataset)["v"].values,
            "ess_bulk": arviz_stats.ess(dataset, method="bulk")["v"].values,
            "ess_tail": arviz_stats.ess(dataset, method="tail")["v"].values,
        }


@pytest.mark.parametrize(("chains", "draws"), [(4, 1000), (3, 301), (2, 40), (1, 200)])
def test_agree_with_arviz_stats(chains, draws):
    values = autoregressive_draws(chains, draws)
    expected = arviz_values(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        ours = rank_diagnostics(values)
    for key in ("rhat", "ess_bulk", "ess_tail"):
        np.testing.assert_allclose(ours[key], expected[key], rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(rhat_rank(values), expected["rhat"], rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(ess_bulk(values), expected["ess_bulk"], rtol=1e-9)
    np.testing.assert_allclose(ess_tail(values), expected["ess_tail"], rtol=1e-9)


def test_single_chain_has_no_rhat_and_short_runs_have_nothing():
    values = autoregressive_draws(1, 100)
    assert np.isnan(rank_diagnostics(values)["rhat"]).all()
    assert np.isfinite(rank_diagnostics(values)["ess_bulk"][:3]).all()
    short = rank_diagnostics(autoregressive_draws(2, 3))
    assert all(np.isnan(v).all() for v in short.values())


def test_non_finite_entries_are_nan():
    values = autoregressive_draws(2, 100)
    values[1, 10, 2] = np.inf
    result = rank_diagnostics(values)
    assert np.isnan(result["rhat"][2]) and np.isnan(result["ess_bulk"][2])
    assert np.isfinite(result["ess_bulk"][[0, 1, 4]]).all()


def test_stuck_chains_are_flagged():
    rng = np.random.default_rng(3)
    values = rng.normal(size=(4, 500, 2))
    values[2:, :, 0] += 3.0  # two chains elsewhere
    rhat = rank_diagnostics(values)["rhat"]
    assert rhat[0] > 1.5 and rhat[1] < 1.01
