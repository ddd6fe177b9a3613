"""Complete separation: x = 1..20 and y = 1[x > 10], bernoulli logit with the default priors.

Maximum likelihood diverges (the slope runs to +∞), and so does the posterior under flat priors,
which is improper here: ``fixed: {dist: flat}`` is not tested, the sampler would only drift.
The default ``weakly_informative`` priors (Gelman et al. 2008: Cauchy(0, 2.5) on the coefficient
of the input scaled to sd 0.5, Cauchy(0, 10) on the intercept of the scaled model) make the
posterior proper, but with a Cauchy tail in the slope: as b → ∞ the likelihood tends to 1, so the
posterior density of b decays like the prior's, ∝ 1/b². Hence the posterior *mean* of the slope
does not exist (Gelman et al. report the posterior mode), and these tests use quantiles, against
a quadrature reference (tests/model/_reference.py): slope quartiles 2.77, 7.82, 24.6 per unit of x.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayesml

from ._reference import separation_slope_quantiles
from ._sampling import flat, mcse, sample_recording

X = np.arange(1, 21, dtype=float)
Y = (X > 10).astype(int)
QUARTILES = (0.25, 0.5, 0.75)


@pytest.fixture(scope="module")
def separated():
    model = bayesml.Model("y ~ x", pd.DataFrame({"x": X, "y": Y}), family="bernoulli")
    result, warned = sample_recording(
        model, method="nuts", draws=1000, tune=1000, chains=4, random_seed=2, log_prior=False
    )
    return model, result, warned


def test_reference_quantiles_are_stable():
    """The quadrature reference itself (a regression check of tests/model/_reference.py)."""
    np.testing.assert_allclose(
        separation_slope_quantiles(X, Y, QUARTILES), [2.769, 7.816, 24.64], rtol=2e-3
    )


def test_default_priors_are_the_weakly_informative_ones(separated):
    model, _, _ = separated
    text = model.describe()
    assert "cauchy(mu=0, sigma=2.5) on the scaled input (centre 10.5, scale 11.83)" in text
    assert "cauchy(mu=0, sigma=10) on the intercept of the scaled inputs" in text


def test_separated_posterior_is_finite_and_of_the_reference_magnitude(separated):
    """Rough check that the prior is in force: finite draws, the right sign, and a median slope
    within a factor of two of the exact one (a flat prior would drift far beyond)."""
    _, result, _ = separated
    slope = flat(result["posterior"]["beta"].sel(coef="x"))
    assert np.all(np.isfinite(slope))
    assert np.mean(slope > 0) > 0.99
    reference_median = separation_slope_quantiles(X, Y, (0.5,))[0]
    assert reference_median / 2 < np.median(slope) < 2 * reference_median


def test_separated_posterior_matches_quadrature_without_divergences(separated):
    """The Cauchy priors are sampled as μ + σ·tan(π(v − ½)); sampled directly, about 30 % of the
    transitions diverged here and the quartiles were off (R-hat 1.27)."""
    _, result, _ = separated
    diverging = int(result["sample_stats"]["diverging"].values.sum())
    assert diverging < 0.01 * result["posterior"].sizes["draw"] * result["posterior"].sizes["chain"]
    slope = result["posterior"]["beta"].sel(coef="x")
    reference = separation_slope_quantiles(X, Y, QUARTILES)
    for prob, exact in zip(QUARTILES, reference, strict=True):
        assert abs(np.quantile(flat(slope), prob) - exact) < 4 * mcse(slope, "quantile", prob)
