"""Gibbs against published numbers and against NUTS on the same models.

rats runs in the fast suite (a few seconds of Gibbs); the comparisons with NUTS (nutpie, through
``bayesml.Model.sample``) are slow. Agreement means: posterior means within 4 Monte Carlo standard
errors of their difference, posterior SDs within 10 %, for every β, SD, correlation and σ.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import bayesml

MODELS = Path(__file__).resolve().parents[2] / "models"
SUMMARISED = ("beta", "sd_", "corr_", "sigma")


def _gibbs(model, **kwargs):
    options = {"draws": 2000, "tune": 500, "chains": 4, "random_seed": 11, "log_prior": False}
    return model.sample(method="gibbs", check=False, **(options | kwargs))


def _nuts(model, **kwargs):
    options = {
        "draws": 1000,
        "tune": 1000,
        "chains": 4,
        "random_seed": 12,
        "log_prior": False,
        "check": False,
    }
    return model.sample(**(options | kwargs))


def _scalars(result) -> dict[str, np.ndarray]:
    """Every scalar parameter (upper-triangle correlations only) as an array (chain, draw)."""
    posterior = result["posterior"].to_dataset()
    out = {}
    for name, values in posterior.data_vars.items():
        if not name.startswith(SUMMARISED):
            continue
        array = values.values
        if name.startswith("corr_"):
            rows, cols = np.triu_indices(array.shape[-1], 1)
            array = array[..., rows, cols]
        flat = array.reshape(array.shape[0], array.shape[1], -1)
        for position in range(flat.shape[-1]):
            out[f"{name}[{position}]"] = flat[..., position]
    return out


def _mcse(draws: np.ndarray) -> float:
    import arviz_stats

    return float(arviz_stats.mcse(np.asarray(draws, dtype=float), method="mean"))


def assert_agree(gibbs, nuts) -> None:
    first, second = _scalars(gibbs), _scalars(nuts)
    assert first.keys() == second.keys()
    problems = []
    for name in first:
        a, b = first[name], second[name]
        bound = 4 * np.hypot(_mcse(a), _mcse(b))
        if abs(a.mean() - b.mean()) > bound:
            problems.append(
                f"{name}: means {a.mean():.4g} vs {b.mean():.4g} (4 MCSE = {bound:.3g})"
            )
        if abs(a.std() / b.std() - 1) > 0.10:
            problems.append(f"{name}: SDs {a.std():.4g} vs {b.std():.4g}")
    assert not problems, "; ".join(problems)


@pytest.fixture(scope="module")
def rats_model():
    return bayesml.Model.from_spec(MODELS / "rats.yaml")


def test_rats_weight_at_birth_and_daily_gain_match_the_lecture_notes(rats_model):
    """BUGS rats: about 106 g at birth and 6.2 g per day (inverse-Wishart Σ, day not centred)."""
    result = _gibbs(rats_model, draws=1000, tune=300, chains=2, sampler_kwargs={"cores": 1})
    beta = result["posterior"]["beta"]
    birth = float(beta.sel(coef="Intercept").mean())
    gain = float(beta.sel(coef="day").mean())
    assert 105.5 < birth < 107.5, birth
    assert round(gain, 1) == 6.2, gain


@pytest.mark.slow
def test_rats_gibbs_agrees_with_nuts(rats_model):
    assert_agree(_gibbs(rats_model), _nuts(rats_model))


@pytest.mark.slow
def test_sleepstudy_with_an_inverse_wishart_prior_gibbs_agrees_with_nuts():
    model = bayesml.Model(
        "Reaction ~ Days + (Days | Subject)",
        "sleepstudy",
        priors={"cov": {"dist": "inverse_wishart", "nu": 4, "scale": [[625, 0], [0, 36]]}},
    )
    assert_agree(_gibbs(model), _nuts(model))


@pytest.mark.slow
def test_radon_varying_slopes_gibbs_agrees_with_nuts():
    """The spec's LKJ prior: the Metropolis covariance update and the expansion moves."""
    model = bayesml.Model.from_spec(MODELS / "radon.yaml")
    assert_agree(_gibbs(model, draws=4000), _nuts(model))


@pytest.mark.slow
def test_bacteria_probit_glmm_gibbs_agrees_with_nuts():
    """Albert–Chib latent variables with a random intercept, default (weakly informative) priors."""
    model = bayesml.Model(
        "y ~ week + (1 | ID)", "bacteria", family="binomial", link="probit", success="y"
    )
    assert_agree(_gibbs(model, draws=4000), _nuts(model))


@pytest.mark.slow
def test_bacteria_logit_glmm_by_polya_gamma_agrees_with_nuts():
    pytest.importorskip("polyagamma")
    model = bayesml.Model.from_spec(MODELS / "bacteria.yaml")
    assert_agree(_gibbs(model, draws=4000), _nuts(model))
