"""Maximum likelihood against NUTS posteriors under flat-ish priors on a large simulated data set.

With 3,000 rows in 60 groups the likelihood dominates vague priors: the posterior means of the
fixed effects lie within a small fraction of a posterior SD of the Laplace estimates, and the
posterior SDs are near the Laplace standard errors. The random-effect SD's posterior is skewed,
so its median is compared, more loosely.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayesml


def _simulated() -> pd.DataFrame:
    rng = np.random.default_rng(20261207)
    n, groups = 3000, 60
    g = rng.integers(0, groups, n)
    x = rng.normal(size=n)
    effects = rng.normal(0.0, 0.6, groups)
    eta = 0.4 + 0.3 * x + effects[g]
    return pd.DataFrame({"y": rng.poisson(np.exp(eta)), "x": x, "g": g.astype(str)})


@pytest.mark.slow
def test_laplace_estimates_are_the_posterior_under_vague_priors():
    model = bayesml.Model(
        "y ~ x + (1 | g)",
        _simulated(),
        family="poisson",
        priors={
            "fixed": {"dist": "normal", "mu": 0, "sigma": 100},
            "intercept": {"dist": "normal", "mu": 0, "sigma": 100},
            "sd": {"dist": "half_normal", "sigma": 10},
        },
    )
    fit = model.fit(method="laplace")
    posterior = model.sample(
        method="nuts", draws=1000, tune=1000, chains=2, random_seed=3
    ).posterior
    beta = posterior["beta"]
    for label in fit.fixef.index:
        draws = beta.sel(coef=label).values.ravel()
        estimate, se = fit.fixef.loc[label, ["estimate", "se"]]
        assert abs(draws.mean() - estimate) < 0.15 * draws.std(), label
        assert draws.std() == pytest.approx(se, rel=0.15), label
    sd_name = next(name for name in posterior.data_vars if name.startswith("sd_g"))
    sd_draws = posterior[sd_name].values.ravel()
    ml_sd = fit.varcorr.loc[0, "sd"]
    assert abs(np.median(sd_draws) - ml_sd) < 0.3 * sd_draws.std()
