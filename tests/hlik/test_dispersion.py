"""The gamma GLMs for φ and λ against closed forms and direct maximum likelihood."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from bayesml.backends.hlik import DivergenceError
from bayesml.backends.hlik.dispersion import fit_gamma_glm
from bayesml.backends.hlik.problem import DispersionModel
from bayesml.errors import DataError
from bayesml.families import get_link

RNG = np.random.default_rng(11)
N = 80
COVARIATE = RNG.choice([-1.0, 1.0], N)
DESIGN = np.column_stack([np.ones(N), COVARIATE])
LEVERAGES = RNG.uniform(0.05, 0.4, N)
DEVIANCES = np.exp(-1.0 + 0.6 * COVARIATE) * RNG.gamma(0.5, 2.0, N) * (1 - LEVERAGES)


def _weighted_gamma_mle(design, link, start):
    response = DEVIANCES / (1 - LEVERAGES)
    weights = (1 - LEVERAGES) / 2

    def negative_loglik(coef):
        mu = link.inverse(design @ coef)
        return float(np.sum(weights * (response / mu + np.log(mu))))

    return optimize.minimize(negative_loglik, start, method="BFGS", options={"gtol": 1e-12}).x


def test_intercept_only_is_the_closed_form():
    fit = fit_gamma_glm(DEVIANCES, LEVERAGES, DispersionModel.intercept(N), what="phi")
    phi = DEVIANCES.sum() / (1 - LEVERAGES).sum()
    np.testing.assert_allclose(fit.fitted, phi)
    np.testing.assert_allclose(fit.coef, [np.log(phi)])
    np.testing.assert_allclose(fit.se, [np.sqrt(2 / (1 - LEVERAGES).sum())])
    assert fit.iterations == 0


def test_log_link_model_is_the_weighted_gamma_mle():
    model = DispersionModel(DESIGN, ("Intercept", "x"))
    fit = fit_gamma_glm(DEVIANCES, LEVERAGES, model, what="phi")
    np.testing.assert_allclose(
        fit.coef, _weighted_gamma_mle(DESIGN, model.link, np.zeros(2)), rtol=1e-5
    )
    weights = (1 - LEVERAGES) / 2  # working weights of a log-link gamma GLM are the prior weights
    np.testing.assert_allclose(
        fit.se, np.sqrt(np.diag(np.linalg.inv(DESIGN.T @ (weights[:, None] * DESIGN)))), rtol=1e-10
    )
    np.testing.assert_allclose(fit.fitted, np.exp(DESIGN @ fit.coef))


def test_inverse_link_model_is_the_weighted_gamma_mle():
    design = np.column_stack([np.ones(N), np.linspace(-0.5, 0.5, N)])
    model = DispersionModel(design, ("1/tau", "-rho/tau"), get_link("inverse"))
    fit = fit_gamma_glm(DEVIANCES, LEVERAGES, model, what="lambda")
    expected = _weighted_gamma_mle(design, model.link, np.array([1.0, 0.0]))
    np.testing.assert_allclose(fit.coef, expected, rtol=1e-4)
    np.testing.assert_allclose(fit.fitted, 1 / (design @ fit.coef))


def test_nan_deviances_are_a_divergence_naming_the_stage():
    deviances = DEVIANCES.copy()
    deviances[3] = np.nan
    model = DispersionModel(DESIGN, ("Intercept", "x"))
    with pytest.raises(
        DivergenceError, match=r"the gamma GLM for phi diverged \(NaN\) at its IWLS iteration 1"
    ):
        fit_gamma_glm(deviances, LEVERAGES, model, what="phi")


def test_rank_deficient_dispersion_design_is_refused():
    model = DispersionModel(np.column_stack([np.ones(N), np.ones(N)]), ("a", "b"))
    with pytest.raises(
        DataError,
        match=r"design of the dispersion model for phi is rank deficient \(rank 1 < 2 columns\)",
    ):
        fit_gamma_glm(DEVIANCES, LEVERAGES, model, what="phi")
