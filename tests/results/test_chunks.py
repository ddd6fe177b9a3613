"""Draws-by-rows groups computed in chunks of draws: the same numbers as at once, under the budget.

Most tests use made-up posterior draws of the right shapes (no sampling): what is checked is the
arithmetic and the chunking, not the sampler.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import bayesml
from bayesml.errors import ArgumentError
from bayesml.results import chunks, loglik, prediction
from bayesml.results.chunks import DEFAULT_CHUNK_BYTES, chunk_budget, draw_chunks
from bayesml.results.draws import fitted_eta_draws, population_effect_draws
from bayesml.results.loglik import log_likelihood_dataset

CHAINS, DRAWS = 2, 7


def _data(seed: int = 3, n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 5, n)
    x = rng.normal(size=n)
    eta = -0.2 + 0.6 * x + rng.normal(0, 0.5, 5)[g]
    trials = rng.integers(1, 8, n)
    return pd.DataFrame(
        {
            "x": x,
            "g": [f"g{i}" for i in g],
            "b": rng.binomial(1, 1 / (1 + np.exp(-eta))),
            "s": rng.binomial(trials, 1 / (1 + np.exp(-eta))),
            "n": trials,
            "y": eta + rng.normal(size=n),
            "w": rng.uniform(0.5, 3.0, n),
            "c": rng.poisson(np.exp(eta)),
        }
    )


#: family -> (formula, Model keywords)
FAMILIES = {
    "bernoulli": ("b ~ x + (1 | g)", {"family": "bernoulli"}),
    "binomial": ("cbind(s, n - s) ~ x + (1 | g)", {"family": "binomial"}),
    "gaussian": ("y ~ x + (1 + x | g)", {"weights": "w"}),
    "poisson": ("c ~ x + (1 + x | g)", {"family": "poisson"}),
}


def _model(name: str) -> bayesml.Model:
    formula, keywords = FAMILIES[name]
    return bayesml.Model(formula, _data(), **keywords)


def _posterior(model: bayesml.Model, seed: int = 5) -> xr.Dataset:
    """Made-up draws with the shared names, shapes and coordinates of ``model``'s posterior."""
    rng = np.random.default_rng(seed)
    design = model.design
    sample = {"chain": np.arange(CHAINS), "draw": np.arange(DRAWS)}
    data = {
        "beta": xr.DataArray(
            rng.normal(0, 0.5, (CHAINS, DRAWS, len(design.fixed.column_names))),
            dims=("chain", "draw", "coef"),
            coords={**sample, "coef": list(design.fixed.column_names)},
        )
    }
    for block in design.random:
        k = len(block.term_labels)
        level, term = f"{block.name}__level", f"{block.name}__term"
        data[f"u_{block.name}"] = xr.DataArray(
            rng.normal(0, 0.5, (CHAINS, DRAWS, len(block.levels), k)),
            dims=("chain", "draw", level, term),
            coords={**sample, level: list(block.levels), term: list(block.term_labels)},
        )
        data[f"sd_{block.name}"] = xr.DataArray(
            rng.uniform(0.3, 1.0, (CHAINS, DRAWS, k)),
            dims=("chain", "draw", term),
            coords={**sample, term: list(block.term_labels)},
        )
    for param in model.family.parameters:
        data[param.name] = xr.DataArray(
            rng.uniform(0.5, 2.0, (CHAINS, DRAWS)), dims=("chain", "draw"), coords=sample
        )
    return xr.Dataset(data)


def _full_log_likelihood(model: bayesml.Model, posterior: xr.Dataset) -> np.ndarray:
    """The pointwise log-likelihood of every draw at once, in float64 (the former computation)."""
    design, family = model.design, model.family
    mu = family.link.inverse(fitted_eta_draws(posterior, design))
    return family.log_likelihood(
        design.response.y,
        mu,
        loglik.parameter_draws(posterior, family),
        trials=design.response.trials,
        weights=design.response.weights,
    )


def _row_bytes(model: bayesml.Model) -> int:
    return model.design.n_obs * 8


# -- the chunk plan --------------------------------------------------------------------------


def test_chunks_cover_every_draw_once_in_c_order():
    for budget_draws in (1, 2, 3, 7, 8, 13, 14, 100):
        plan = draw_chunks(CHAINS, DRAWS, 10, budget=10 * budget_draws)
        seen = np.zeros((CHAINS, DRAWS), dtype=int)
        order = []
        for chunk in plan:
            seen[chunk.index] += 1
            block = np.arange(CHAINS * DRAWS).reshape(CHAINS, DRAWS)[chunk.index]
            order.extend(block.ravel())
            assert block.size <= max(budget_draws, 1)
        assert (seen == 1).all()
        assert order == list(range(CHAINS * DRAWS))


def test_whole_chains_are_one_chunk_when_they_fit():
    assert [c.index for c in draw_chunks(4, 10, 8, budget=8 * 25)] == [
        (slice(0, 2), slice(0, 10)),
        (slice(2, 4), slice(0, 10)),
    ]
    # a draw larger than the budget still makes a chunk of one draw
    assert len(draw_chunks(2, 3, 1000, budget=10)) == 6


def test_the_budget_is_set_checked_and_restored():
    assert chunks.get_chunk_budget() == DEFAULT_CHUNK_BYTES == 16 * 2**20
    with chunk_budget(1024) as budget:
        assert budget == chunks.get_chunk_budget() == 1024
        assert bayesml.set_chunk_budget(2048) == 1024
    assert chunks.get_chunk_budget() == DEFAULT_CHUNK_BYTES
    previous = bayesml.set_chunk_budget(4096)
    assert bayesml.set_chunk_budget(None) == 4096 and previous == DEFAULT_CHUNK_BYTES
    for bad in (0, -5, 1.5, "64MB", True):
        with pytest.raises(ArgumentError, match=r"^the chunk budget must be a number of bytes"):
            bayesml.set_chunk_budget(bad)
    assert chunks.get_chunk_budget() == DEFAULT_CHUNK_BYTES


# -- log_likelihood --------------------------------------------------------------------------


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_chunked_log_likelihood_equals_the_whole_computation(family):
    model = _model(family)
    posterior = _posterior(model)
    expected = _full_log_likelihood(model, posterior)
    with chunk_budget(3 * _row_bytes(model)):
        stored = log_likelihood_dataset(posterior, model.design, model.family)
        exact = log_likelihood_dataset(posterior, model.design, model.family, dtype="float64")
    values = stored[model.design.observed_name]
    assert values.dims == ("chain", "draw", "obs") and values.dtype == np.float32
    np.testing.assert_allclose(values.values, expected, rtol=2e-7, atol=1e-30)
    np.testing.assert_allclose(exact[model.design.observed_name].values, expected, rtol=1e-13)


def test_the_log_likelihood_chunks_respect_the_budget(monkeypatch):
    model = _model("poisson")
    posterior = _posterior(model)
    shapes = []

    def recording(part, design):
        eta = fitted_eta_draws(part, design)
        shapes.append(eta.shape)
        return eta

    monkeypatch.setattr(loglik, "fitted_eta_draws", recording)
    budget = 3 * _row_bytes(model)
    with chunk_budget(budget):
        log_likelihood_dataset(posterior, model.design, model.family)
    # 3 draws per chunk: draws 0-2, 3-5, 6 of each chain
    assert shapes == [(1, 3, 40), (1, 3, 40), (1, 1, 40)] * CHAINS
    assert all(np.prod(shape) * 8 <= budget for shape in shapes)
    shapes.clear()
    log_likelihood_dataset(posterior, model.design, model.family)  # default budget: one chunk
    assert shapes == [(CHAINS, DRAWS, 40)]


def test_loo_on_the_float32_group_gives_the_float64_elpd():
    import arviz_stats

    model = _model("bernoulli")
    template = _posterior(model)
    rng = np.random.default_rng(8)
    chains, draws = 2, 250
    # draws near each other, as a posterior's are, so that loo's importance weights are sane
    posterior = xr.Dataset(
        {
            name: xr.DataArray(
                values.isel(chain=0, draw=0).values
                + rng.normal(0, 0.1, (chains, draws, *values.shape[2:])),
                dims=values.dims,
                coords={k: v for k, v in values.coords.items() if k not in ("chain", "draw")},
            )
            for name, values in template.data_vars.items()
        }
    )
    trees = {
        dtype: xr.DataTree.from_dict(
            {
                "posterior": posterior,
                "log_likelihood": log_likelihood_dataset(
                    posterior, model.design, model.family, dtype=dtype
                ),
            }
        )
        for dtype in ("float32", "float64")
    }
    single, double = (arviz_stats.loo(trees[d]) for d in ("float32", "float64"))
    assert trees["float32"]["log_likelihood"]["b"].dtype == np.float32
    # each pointwise value is rounded by at most 6e-8 relative: the elpd by as much
    assert abs(single.elpd - double.elpd) <= 1e-6 * abs(double.elpd)
    np.testing.assert_allclose(single.elpd_i.values, double.elpd_i.values, rtol=1e-6)
    np.testing.assert_allclose(single.pareto_k.values, double.pareto_k.values, atol=1e-4)


# -- predictions -----------------------------------------------------------------------------


def _new_data() -> pd.DataFrame:
    """Rows of seen levels and of two levels the model never saw."""
    data = _data(seed=9, n=12)
    data["g"] = ["g0", "g1", "new1", "g4", "new2", "new1"] * 2
    return data


def _result(model: bayesml.Model) -> xr.DataTree:
    return xr.DataTree.from_dict({"posterior": _posterior(model)})


@pytest.mark.parametrize("kind", ["linear", "mean", "response"])
@pytest.mark.parametrize("family", ["gaussian", "poisson"])
def test_chunked_predictions_with_new_levels_equal_the_whole_computation(family, kind):
    model = _model(family)
    result = _result(model)
    new = _new_data()
    whole = model.predict(result, new, kind=kind, random_seed=4)
    with chunk_budget(2 * len(new) * 8):
        chunked = model.predict(result, new, kind=kind, random_seed=4)
    assert chunked.dims == ("chain", "draw", "obs") and chunked.dtype == whole.dtype
    # response draws come from one generator chunk after chunk, in (chain, draw) order
    np.testing.assert_array_equal(chunked.values, whole.values)


def test_new_level_predictions_match_a_computation_by_hand():
    model = _model("poisson")
    result = _result(model)
    posterior = result["posterior"].to_dataset()
    new = _new_data()
    with chunk_budget(3 * len(new) * 8):
        linear = model.predict(result, new, kind="linear", random_seed=11)
        mean = model.predict(result, new, kind="mean", random_seed=11)
    rng = np.random.default_rng(11)
    population = population_effect_draws(posterior, "g", 2, rng)  # levels new1, new2 (sorted)
    levels = list(model.design.random[0].levels)
    effects = np.concatenate([posterior["u_g"].values, population], axis=2)
    index = [
        levels.index(g) if g in levels else len(levels) + ["new1", "new2"].index(g)
        for g in new["g"]
    ]
    rows = effects[:, :, index, :]  # (chain, draw, row, term): Intercept, x
    beta = posterior["beta"].values
    x = new["x"].to_numpy()
    expected = beta[..., [0]] + beta[..., [1]] * x + rows[..., 0] + rows[..., 1] * x
    np.testing.assert_allclose(linear.values, expected, rtol=1e-12)
    np.testing.assert_allclose(mean.values, np.exp(expected), rtol=1e-12)


def test_fitted_predictions_and_the_predictive_group_are_chunked(monkeypatch):
    model = _model("binomial")
    result = _result(model)
    posterior = result["posterior"].to_dataset()
    whole_mean = model.predict(result, kind="mean")
    whole_predictive = prediction.predictive_dataset(
        model.design, model.family, posterior, np.random.default_rng(2)
    )
    shapes = []
    original = prediction.linear_predictor_draws

    def recording(part, *args, **kwargs):
        eta = original(part, *args, **kwargs)
        shapes.append(eta.shape)
        return eta

    monkeypatch.setattr(prediction, "linear_predictor_draws", recording)
    budget = 4 * _row_bytes(model)
    with chunk_budget(budget):
        mean = model.predict(result, kind="mean")
        predictive = prediction.predictive_dataset(
            model.design, model.family, posterior, np.random.default_rng(2)
        )
    assert shapes and all(np.prod(shape) * 8 <= budget for shape in shapes)
    assert len(shapes) == 2 * CHAINS * 2  # two chunks (4 + 3 draws) per chain, twice
    np.testing.assert_allclose(mean.values, whole_mean.values, rtol=1e-13)
    np.testing.assert_array_equal(predictive["s"].values, whole_predictive["s"].values)
    # binomial draws stay below the trials of each row
    assert (predictive["s"].values <= model.design.response.trials).all()


# -- add_log_likelihood and its errors ----------------------------------------------------


def test_add_log_likelihood_adds_the_group_in_chunks():
    model = _model("gaussian")
    result = _result(model)
    expected = _full_log_likelihood(model, result["posterior"].to_dataset())
    with chunk_budget(2 * _row_bytes(model)):
        returned = bayesml.add_log_likelihood(result, model)
    assert returned is result
    np.testing.assert_allclose(result["log_likelihood"]["y"].values, expected, rtol=2e-7)


def test_add_log_likelihood_refuses_what_it_cannot_use():
    model = _model("gaussian")
    with pytest.raises(bayesml.ArgumentTypeError, match=r"^result must be an xarray.DataTree"):
        bayesml.add_log_likelihood(_posterior(model), model)
    with pytest.raises(bayesml.ArgumentTypeError, match=r"^model must be the bayesml.Model"):
        bayesml.add_log_likelihood(_result(model), "model")
    with pytest.raises(bayesml.DataError, match=r"^result has no 'posterior' group"):
        bayesml.add_log_likelihood(xr.DataTree(), model)
    other = _result(_model("poisson"))  # the poisson model has no sigma
    with pytest.raises(
        bayesml.DataError,
        match=r"^result was not sampled from this model: its posterior has no sigma",
    ):
        bayesml.add_log_likelihood(other, model)
    fewer_levels = _result(bayesml.Model("y ~ x + (1 + x | g)", _data().iloc[:6], weights="w"))
    with pytest.raises(bayesml.DataError, match=r"its u_g has \(\d, 2\) \(levels, terms\)"):
        bayesml.add_log_likelihood(fewer_levels, model)


# -- convergence diagnostics: blocks of entries ---------------------------------------------


def test_rank_diagnostics_in_blocks_of_entries_equal_all_at_once():
    from bayesml.results.convergence import rank_diagnostics

    rng = np.random.default_rng(12)
    draws = np.cumsum(rng.normal(size=(3, 80, 25)), axis=1) * 0.1 + rng.normal(size=(3, 80, 25))
    draws[:, :, 4] = 1.0  # a constant entry
    whole = rank_diagnostics(draws)
    with chunk_budget(3 * 80 * 8 * 4):  # four entries per block
        blocks = rank_diagnostics(draws)
    for key in ("rhat", "ess_bulk", "ess_tail"):
        np.testing.assert_array_equal(blocks[key], whole[key])
        assert blocks[key].shape == (25,)
