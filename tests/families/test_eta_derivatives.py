"""The families' derivatives in the linear predictor η (what the Laplace and AGQ fits need).

* ``eta_derivatives`` equals central finite differences (5-point stencils, step 1e-4) of
  ``log_likelihood(y, mu_from_eta(η))`` in η, for every family and link, at seeded random η,
  parameter values and responses drawn from the family;
* ``eta_information`` equals −E[∂²ℓ/∂η²] computed independently: exact sums over the support
  (counts, binomial successes, ordinal categories) or a seeded Monte Carlo mean of the observed
  curvature (continuous responses);
* everything stays finite at η = ±30 (where a Newton step may go), also far in a probit tail;
* ``laplace_curvature`` is "expected" for the exponential-dispersion families glmer fits and
  "observed" for the others; bad input gets a clear error.
"""

from __future__ import annotations

import numpy as np
import pytest

from bayesml.errors import DataError, FamilyError
from bayesml.families import FAMILIES, get_family

ROWS = 12
STEP = 1e-4
PROBABILITY_LINKS = ("logit", "probit", "cloglog")
ORDINAL = ("cumulative", "sratio", "acat")


def _params(name: str, rng: np.random.Generator) -> dict:
    """Random parameter values of family ``name`` (per-row ``zi``/``hu``)."""
    params: dict = {}
    for param in get_family(name).parameters:
        if param.name == "sigma":
            params["sigma"] = rng.uniform(0.5, 2.0)
        elif param.name == "nu":
            params["nu"] = rng.uniform(2.5, 10.0)
        elif param.name in ("alpha", "kappa"):
            params[param.name] = rng.uniform(1.0, 6.0)
        elif param.name in ("zi", "hu"):
            params[param.name] = rng.uniform(0.1, 0.6, size=ROWS)
        elif param.name == "cutpoints":
            params["cutpoints"] = np.sort(rng.normal(0.0, 1.5, size=4))
    return params


# family -> (the centre and spread of η at the test points, trials)
CENTRES = {
    "gaussian": {"identity": (0.0, 2.0), "log": (0.5, 1.0)},
    "student_t": {"identity": (0.0, 2.0), "log": (0.5, 1.0)},
    "lognormal": {"identity": (0.0, 1.0)},
    "bernoulli": {link: (0.0, 1.5) for link in PROBABILITY_LINKS},
    "binomial": {link: (0.0, 1.5) for link in PROBABILITY_LINKS},
    "poisson": {"log": (1.0, 1.0)},
    "negative_binomial": {"log": (1.0, 1.0)},
    "gamma": {"log": (0.5, 1.0), "inverse": (1.0, 0.5)},
    "beta": {"logit": (0.0, 1.5)},
    **{name: {link: (0.0, 1.5) for link in PROBABILITY_LINKS} for name in ORDINAL},
    "zero_inflated_poisson": {"log": (1.0, 1.0)},
    "zero_inflated_negative_binomial": {"log": (1.0, 1.0)},
    "zero_inflated_binomial": {link: (0.0, 1.5) for link in PROBABILITY_LINKS},
    "hurdle_poisson": {"log": (0.5, 1.0)},
    "hurdle_negative_binomial": {"log": (0.5, 1.0)},
    "hurdle_gamma": {"log": (0.5, 1.0)},
    "hurdle_lognormal": {"identity": (0.0, 1.0)},
}
TRIALS = {"binomial", "zero_inflated_binomial"}
CASES = [(name, link) for name, links in CENTRES.items() for link in links]


def _point(name: str, link: str, seed: int):
    """η, parameters, y (drawn from the family), trials and weights of ROWS rows."""
    rng = np.random.default_rng(seed)
    family = get_family(name, link)
    centre, spread = CENTRES[name][link]
    eta = centre + spread * rng.standard_normal(ROWS)
    if link == "inverse":
        eta = np.abs(eta) + 0.2
    params = _params(name, rng)
    trials = rng.integers(1, 20, size=ROWS).astype(float) if name in TRIALS else None
    y = family.draw(rng, family.mu_from_eta(eta), params, trials=trials)
    weights = rng.uniform(0.5, 3.0, size=ROWS) if family._weights_in_likelihood else None
    return family, eta, params, np.asarray(y, dtype=float), trials, weights


def _finite_differences(family, y, eta, params, trials, weights):
    """5-point central differences of the log-likelihood in η: gradient and curvature."""

    def loglik(shift):
        mu = family.mu_from_eta(eta + shift)
        return family.log_likelihood(y, mu, params, trials=trials, weights=weights)

    h = STEP
    f = {k: loglik(k * h) for k in (-2, -1, 0, 1, 2)}
    gradient = (f[-2] - 8.0 * f[-1] + 8.0 * f[1] - f[2]) / (12.0 * h)
    curvature = (-f[-2] + 16.0 * f[-1] - 30.0 * f[0] + 16.0 * f[1] - f[2]) / (12.0 * h * h)
    return gradient, curvature


@pytest.mark.parametrize(("name", "link"), CASES)
@pytest.mark.parametrize("seed", [1, 2])
def test_derivatives_equal_finite_differences_of_the_log_likelihood(name, link, seed):
    family, eta, params, y, trials, weights = _point(name, link, seed)
    gradient, curvature = family.eta_derivatives(y, eta, params, trials, weights)
    fd_gradient, fd_curvature = _finite_differences(family, y, eta, params, trials, weights)
    scale = 1.0 + np.abs(family.log_likelihood(y, family.mu_from_eta(eta), params,
                                               trials=trials, weights=weights))  # fmt: skip
    np.testing.assert_allclose(gradient, fd_gradient, rtol=1e-6, atol=1e-8 * scale.max())
    np.testing.assert_allclose(curvature, fd_curvature, rtol=1e-4, atol=1e-5 * scale.max())
    assert gradient.shape == curvature.shape == (ROWS,)


def _expected_negative_curvature(family, eta, params, trials, top):
    """−Σ_y p(y)·∂²ℓ/∂η² over y = 0, …, top (at most the trials), and Σ_y p(y)."""
    limit = np.full(eta.shape, float(top)) if trials is None else trials
    expected, mass = np.zeros_like(eta), np.zeros_like(eta)
    for k in range(top + 1):
        inside = k <= limit
        y = np.minimum(float(k), limit)
        p = np.exp(family.log_likelihood(y, family.mu_from_eta(eta), params, trials=trials))
        _, curvature = family.eta_derivatives(y, eta, params, trials)
        expected -= np.where(inside, p * curvature, 0.0)
        mass += np.where(inside, p, 0.0)
    return expected, mass


COUNTS = (
    "bernoulli",
    "binomial",
    "poisson",
    "negative_binomial",
    "zero_inflated_poisson",
    "zero_inflated_negative_binomial",
    "zero_inflated_binomial",
    "hurdle_poisson",
    "hurdle_negative_binomial",
)


@pytest.mark.parametrize(("name", "link"), [(n, lk) for n, lk in CASES if n in COUNTS])
def test_information_is_the_expected_negative_curvature_over_the_support(name, link):
    family, eta, params, _, trials, _ = _point(name, link, 3)
    # the reference's probabilities come from the clipped μ of log_likelihood, whose 1 − μ loses
    # digits near μ = 1: keep the rows where it has them
    eta = np.clip(eta, -2.5, 2.5)
    top = 1 if name == "bernoulli" else 20 if trials is not None else 400
    expected, mass = _expected_negative_curvature(family, eta, params, trials, top)
    np.testing.assert_allclose(mass, 1.0, rtol=1e-10)
    information = family.eta_information(np.zeros(ROWS), eta, params, trials)
    np.testing.assert_allclose(information, expected, rtol=1e-9)


@pytest.mark.parametrize(("name", "link"), [(n, lk) for n, lk in CASES if n in ORDINAL])
def test_ordinal_information_is_the_expected_negative_curvature_over_the_categories(name, link):
    family, eta, params, _, _, _ = _point(name, link, 3)
    categories = params["cutpoints"].size + 1
    expected = np.zeros(ROWS)
    for k in range(1, categories + 1):
        y = np.full(ROWS, float(k))
        p = np.exp(family.log_likelihood(y, eta, params))
        expected -= p * family.eta_derivatives(y, eta, params)[1]
    np.testing.assert_allclose(family.eta_information(np.ones(ROWS), eta, params), expected,
                               rtol=1e-9)  # fmt: skip


CONTINUOUS = (
    "gaussian",
    "student_t",
    "lognormal",
    "gamma",
    "beta",
    "hurdle_gamma",
    "hurdle_lognormal",
)


@pytest.mark.parametrize(("name", "link"), [(n, lk) for n, lk in CASES if n in CONTINUOUS])
def test_information_is_the_monte_carlo_mean_of_the_negative_curvature(name, link):
    family, eta, params, _, trials, weights = _point(name, link, 4)
    rng = np.random.default_rng(5)
    draws = 20_000
    mu = np.broadcast_to(family.mu_from_eta(eta), (draws, ROWS))
    y = family.draw(rng, mu, params, trials=trials, weights=weights)
    if name == "beta":  # draws that round to 0 or 1 (a small shape parameter) pulled inside
        y = np.clip(y, 1e-300, 1.0 - 1e-16)
    _, curvature = family.eta_derivatives(y, eta, params, trials, weights)
    information = family.eta_information(y[0], eta, params, trials, weights)
    standard_error = curvature.std(axis=0) / np.sqrt(draws)
    gap = np.abs(-curvature.mean(axis=0) - information)
    assert np.all(gap < 5.0 * standard_error + 1e-10 * information)


@pytest.mark.parametrize(("name", "link"), CASES)
@pytest.mark.parametrize("eta_value", [-30.0, 30.0])
def test_derivatives_and_information_are_finite_at_large_eta(name, link, eta_value):
    family, _, params, y, trials, weights = _point(name, link, 6)
    if link == "inverse":
        eta_value = abs(eta_value)
    eta = np.full(ROWS, eta_value)
    gradient, curvature = family.eta_derivatives(y, eta, params, trials, weights)
    information = family.eta_information(y, eta, params, trials, weights)
    assert np.all(np.isfinite(gradient)) and np.all(np.isfinite(curvature))
    assert np.all(np.isfinite(information)) and np.all(information >= 0.0)


@pytest.mark.parametrize("name", ["bernoulli", "binomial"])
def test_probit_tails_match_their_asymptotic_forms(name):
    """Far in the probit tail, log Φ(η) ≈ −η²/2 − log(−η) − log √(2π) for η → −∞: the gradient of
    a success tends to −η and its curvature to −1 + 1/η², both finite far beyond η = 30."""
    family = get_family(name, "probit")
    eta = np.array([-40.0, -60.0, -1e3, -1e6])
    trials = np.ones(4) if family.uses_trials else None
    t = -eta
    s = 1.0 / t**2
    # λ(η) = φ(η)/Φ(η) = t(1 + s − 2s² + 10s³ − 74s⁴ + …) and (log Φ)'' = −(1 − s + 6s² − 50s³ + …)
    # with s = 1/t², from the Mills ratio's series 1/t − 1/t³ + 3/t⁵ − 15/t⁷ + 105/t⁹
    mills = t * (1.0 + s * (1.0 + s * (-2.0 + s * (10.0 - 74.0 * s))))
    second = -(1.0 + s * (-1.0 + s * (6.0 - 50.0 * s)))
    gradient, curvature = family.eta_derivatives(np.ones(4), eta, trials=trials)
    np.testing.assert_allclose(gradient, mills, rtol=1e-12)
    np.testing.assert_allclose(curvature, second, rtol=1e-9)
    # and a failure far in the upper tail: the same by symmetry
    gradient, curvature = family.eta_derivatives(np.zeros(4), -eta, trials=trials)
    np.testing.assert_allclose(gradient, -mills, rtol=1e-12)
    np.testing.assert_allclose(curvature, second, rtol=1e-9)


def test_cloglog_small_probabilities_are_exact():
    """At η = −30, P = 1 − exp(−e^η) ≈ e^η: a success has gradient ≈ 1 − e^η/2 and curvature
    ≈ −e^η/2 + e^{2η}/6, which the series keeps (a direct formula would lose them)."""
    family = get_family("bernoulli", "cloglog")
    eta = np.array([-30.0, -10.0])
    u = np.exp(eta)
    gradient, curvature = family.eta_derivatives(np.ones(2), eta)
    np.testing.assert_allclose(gradient, 1.0 - u / 2.0 + u**2 / 12.0, rtol=1e-12)
    np.testing.assert_allclose(curvature, -u / 2.0 + u**2 / 6.0, rtol=1e-9)


def test_canonical_links_have_equal_observed_and_expected_curvature():
    rng = np.random.default_rng(7)
    eta = rng.normal(size=ROWS)
    for name, link in (("poisson", "log"), ("bernoulli", "logit"), ("gaussian", "identity")):
        family = get_family(name, link)
        params = {"sigma": 1.3} if name == "gaussian" else None
        y = family.draw(rng, family.mu_from_eta(eta), params)
        _, curvature = family.eta_derivatives(y, eta, params)
        np.testing.assert_allclose(-curvature, family.eta_information(y, eta, params))


def test_weights_multiply_the_gaussian_derivatives():
    family = get_family("gaussian")
    y, eta, w = np.array([1.0, 2.0]), np.array([0.5, 0.5]), np.array([2.0, 3.0])
    weighted = family.eta_derivatives(y, eta, {"sigma": 1.5}, weights=w)
    plain = family.eta_derivatives(y, eta, {"sigma": 1.5})
    for a, b in zip(weighted, plain, strict=True):
        np.testing.assert_allclose(a, w * b)
    np.testing.assert_allclose(
        family.eta_information(y, eta, {"sigma": 1.5}, weights=w),
        w * family.eta_information(y, eta, {"sigma": 1.5}),
    )


LAPLACE_EXPECTED = {"gaussian", "bernoulli", "binomial", "poisson"}  # gamma: glmmTMB's exact Laplace


def test_laplace_curvature_of_every_family():
    for name, family in FAMILIES.items():
        expected = "expected" if name in LAPLACE_EXPECTED else "observed"
        assert family.laplace_curvature == expected, name


def test_categorical_families_refuse_with_the_reason():
    for name in ("categorical", "multinomial"):
        family = get_family(name)
        assert not family.has_eta_derivatives
        with pytest.raises(FamilyError, match=f"{name}.*one linear predictor per category"):
            family.eta_derivatives(np.array([1.0]), np.zeros((1, 2)))
        with pytest.raises(FamilyError, match="one linear predictor per category"):
            family.eta_information(np.array([1.0]), np.zeros((1, 2)))


def test_bad_input_is_refused_clearly():
    poisson = get_family("poisson")
    with pytest.raises(FamilyError, match="'poisson' takes no prior weights"):
        poisson.eta_derivatives([1.0], [0.0], weights=[2.0])
    with pytest.raises(DataError, match="'binomial' needs trials"):
        get_family("binomial").eta_derivatives([1.0], [0.0])
    with pytest.raises(DataError, match="'poisson' takes no trials"):
        poisson.eta_information([1.0], [0.0], trials=[3.0])
    with pytest.raises(FamilyError, match="'gaussian' needs aux values for \\['sigma'\\]"):
        get_family("gaussian").eta_derivatives([1.0], [0.0])
    with pytest.raises(FamilyError, match="'sigma' of family 'gaussian' must be finite and pos"):
        get_family("gaussian").eta_derivatives([1.0], [0.0], {"sigma": -1.0})
    with pytest.raises(DataError, match="weights must be finite and non-negative; got -1"):
        get_family("gaussian").eta_derivatives([1.0], [0.0], {"sigma": 1.0}, weights=[-1.0])


def test_every_family_with_one_predictor_has_the_derivatives():
    tested = {name for name, _ in CASES}
    for name, family in FAMILIES.items():
        assert family.has_eta_derivatives == (not family.category_predictors), name
        if family.has_eta_derivatives:
            assert name in tested and set(CENTRES[name]) == set(family.links), name
