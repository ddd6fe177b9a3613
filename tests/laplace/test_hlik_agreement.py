"""Maximum likelihood where other backends give the same answer.

* A Gaussian identity-link model: the h-likelihood's EQL estimates at their fixed point are REML
  (Lee & Nelder), so ``Model.fit(method="hlik")`` with a tight tolerance equals
  ``Model.fit(method="laplace", reml=True)``: fixed effects and SDs to 1e-5.
* Weights as replicated rows: a Poisson model whose rows carry integer prior weights has the
  log-likelihood of the data with each row repeated that many times, so the estimates agree.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayesml

ML = json.loads(
    (Path(__file__).resolve().parents[1] / "references" / "ml_references.json").read_text()
)


def sds(result) -> np.ndarray:
    table = result.varcorr
    return table.loc[table["corr"].isna(), "sd"].to_numpy(dtype=float)


@pytest.mark.parametrize(
    ("formula", "data"),
    [
        ("Yield ~ 1 + (1 | Batch)", "Dyestuff"),
        ("strength ~ 1 + (1 | batch/cask)", "Pastes"),
        ("Reaction ~ Days + (1 | Subject)", "sleepstudy"),
    ],
)
def test_gaussian_h_likelihood_at_its_fixed_point_equals_reml(formula, data):
    frame = pd.DataFrame(ML["data"][data]) if data in ML["data"] else data
    model = bayesml.Model(formula, frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # hlik's own notes on its iterations
        hlik = model.fit(method="hlik", tol=1e-14, max_iter=20_000)
    reml = model.fit(method="laplace", reml=True)
    hlik_beta = np.asarray(hlik.point_estimates().beta, dtype=float)
    np.testing.assert_allclose(hlik_beta, reml.fixef["estimate"], rtol=1e-5, atol=1e-5)
    hlik_sds = np.sort(np.sqrt(np.array(list(hlik.lambda_values.values()), dtype=float)))
    np.testing.assert_allclose(hlik_sds, np.sort(sds(reml)[:-1]), rtol=1e-5)
    assert np.sqrt(hlik.phi.value) == pytest.approx(reml.sigma, rel=1e-5)


def test_integer_weights_equal_replicated_rows():
    rng = np.random.default_rng(20261309)
    groups, rows = 15, 6
    data = pd.DataFrame(
        {
            "g": np.repeat([f"g{i}" for i in range(groups)], rows),
            "x": np.round(rng.normal(size=groups * rows), 3),
        }
    )
    effects = rng.normal(scale=0.5, size=groups)[np.repeat(np.arange(groups), rows)]
    data["y"] = rng.poisson(np.exp(0.4 + 0.5 * data["x"] + effects))
    data["w"] = rng.integers(1, 4, size=len(data)).astype(float)
    weighted = bayesml.Model("y ~ x + (1 | g)", data, family="poisson", weights="w")
    expanded = data.loc[data.index.repeat(data["w"].astype(int))].reset_index(drop=True)
    replicated = bayesml.Model("y ~ x + (1 | g)", expanded, family="poisson")
    a = weighted.fit(method="laplace")
    b = replicated.fit(method="laplace")
    np.testing.assert_allclose(a.fixef["estimate"], b.fixef["estimate"], atol=1e-6)
    np.testing.assert_allclose(sds(a), sds(b), rtol=1e-5)
    # the log-likelihoods differ only by the Poisson constants' weighting (none: weights multiply
    # each row's whole log-likelihood, log y! included), so they are equal
    assert a.loglik == pytest.approx(b.loglik, abs=1e-6)
