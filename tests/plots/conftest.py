"""Small fits of each kind of response, shared by the plot tests: gaussian, binary and binomial
(short Gibbs runs: no NUTS compilation) and counts (a result assembled from simulated draws)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
pytest.importorskip("arviz_plots")

import matplotlib.pyplot as plt  # noqa: E402

import bayesml  # noqa: E402
from bayesml.errors import SamplingWarning  # noqa: E402

GIBBS = {
    "draws": 50,
    "tune": 50,
    "chains": 2,
    "log_prior": False,
    "posterior_predictive": True,
    "prior_predictive": True,
    "sampler_kwargs": {"cores": 1},
}


def simulate(seed: int = 4, groups: int = 6, per_group: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), per_group)
    x = rng.normal(size=g.size)
    u = rng.normal(0.0, [0.8, 0.3], size=(groups, 2))
    y = 1.0 + 0.5 * x + u[g, 0] + u[g, 1] * x + rng.normal(0.0, 0.5, g.size)
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{i}" for i in g]})


def _gibbs(model: bayesml.Model, seed: int):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        return model.sample("gibbs", random_seed=seed, **GIBBS)


@pytest.fixture(scope="session")
def data() -> pd.DataFrame:
    return simulate()


@pytest.fixture(scope="session")
def result(data):
    """Gaussian, correlated intercept and slope: both predictive groups."""
    return _gibbs(bayesml.Model("y ~ x + (1 + x | g)", data), 2)


@pytest.fixture(scope="session")
def hlik_fit(data):
    return bayesml.hglm("y ~ x + (1 + x || g)", data)


@pytest.fixture(scope="session")
def proportions() -> pd.DataFrame:
    """Successes s of n = 1..12 trials per row, probit of 0.3 + 0.8 x, in 6 groups."""
    rng = np.random.default_rng(7)
    g = np.repeat(np.arange(6), 8)
    x = rng.normal(size=g.size)
    n = rng.integers(1, 13, size=g.size)
    p = 0.5 * (1 + np.tanh(0.3 + 0.8 * x + rng.normal(0, 0.3, 6)[g]))
    return pd.DataFrame(
        {
            "s": rng.binomial(n, p),
            "n": n,
            "x": x,
            "g": [f"g{i}" for i in g],
            "b": rng.binomial(1, p),
        }
    )


@pytest.fixture(scope="session")
def binomial_model(proportions):
    return bayesml.Model(
        "cbind(s, n - s) ~ x + (1 | g)", proportions, family="binomial", link="probit"
    )


@pytest.fixture(scope="session")
def binomial_result(binomial_model):
    return _gibbs(binomial_model, 3)


@pytest.fixture(scope="session")
def binary_result(proportions):
    model = bayesml.Model("b ~ x + (1 | g)", proportions, family="bernoulli", link="probit")
    return _gibbs(model, 5)


@pytest.fixture(scope="session")
def count_model():
    rng = np.random.default_rng(11)
    g = np.repeat(np.arange(5), 8)
    x = rng.normal(size=g.size)
    mu = np.exp(1.2 + 0.4 * x + rng.normal(0, 0.3, 5)[g])
    frame = pd.DataFrame({"y": rng.poisson(mu), "x": x, "g": [f"g{i}" for i in g], "mu": mu})
    return bayesml.Model("y ~ x + (1 | g)", frame, family="poisson")


@pytest.fixture(scope="session")
def count_result(count_model):
    """A poisson result assembled from draws: the posterior predictive around the true means,
    a vague prior predictive (means up to e^20), the observed data and the model's spec."""
    rng = np.random.default_rng(12)
    frame = count_model.data
    mu = frame["mu"].to_numpy()
    coords = {"chain": [0, 1], "draw": np.arange(40), "obs": np.arange(len(frame))}
    posterior_mu = mu * np.exp(rng.normal(0, 0.1, size=(2, 40, 1)))
    prior_mu = np.exp(rng.normal(0, 8, size=(1, 80, 1)) + rng.normal(0, 1, size=(1, 80, mu.size)))
    tree = xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset({"beta": (("chain", "draw"), rng.normal(size=(2, 40)))}),
            "posterior_predictive": xr.Dataset(
                {"y": (("chain", "draw", "obs"), rng.poisson(posterior_mu))}, coords=coords
            ),
            "prior_predictive": xr.Dataset(
                {"y": (("chain", "draw", "obs"), rng.poisson(prior_mu))},
                coords={**coords, "chain": [0], "draw": np.arange(80)},
            ),
            "observed_data": xr.Dataset(
                {"y": ("obs", frame["y"].to_numpy(dtype=float))}, coords={"obs": coords["obs"]}
            ),
        }
    )
    tree.attrs["bayesml_spec"] = count_model.spec.to_yaml()
    return tree


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")
