"""Observed likelihoods against scipy.stats, the latent probit form and the row helpers."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
import pytest
import xarray as xr
from scipy import special, stats

from bayesml.backends.pymc.likelihoods import (
    LIKELIHOODS,
    add_latent_probit,
    add_likelihood,
    expand_binomial_rows,
    probit_pointwise_loglik,
)
from bayesml.errors import DataError, FamilyError
from bayesml.families import FAMILIES, get_family


@dataclass(frozen=True)
class Case:
    family: str
    link: str
    y: list[float]
    eta: list[float]
    aux: dict[str, float] = dataclasses.field(default_factory=dict)
    trials: list[int] | None = None
    weights: list[float] | None = None
    expected: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None  # (y, eta) -> logp


def _zero_inflated(logpmf):
    """scipy reference of a zero-inflated family from the log-pmf of its count part."""

    def reference(y, mu, a, n, w):
        inner, zi = logpmf(y, mu, a, n), a["zi"]
        return np.where(y == 0, np.log(zi + (1 - zi) * np.exp(inner)), np.log(1 - zi) + inner)

    return reference


def _hurdle(logpdf, zero_probability=lambda mu, a: 0.0):
    """scipy reference of a hurdle family: P(0) = hu, the positive part truncated at zero."""

    def reference(y, mu, a, n, w):
        positive = logpdf(np.where(y > 0, y, 1.0), mu, a) - np.log(1 - zero_probability(mu, a))
        return np.where(y == 0, np.log(a["hu"]), np.log(1 - a["hu"]) + positive)

    return reference


def _nb_logpmf(y, mu, a, n=None):
    return stats.nbinom.logpmf(y, a["alpha"], a["alpha"] / (a["alpha"] + mu))


# scipy.stats reference with bayesml's parameterisation: (y, mu, aux, trials, weights) -> logp
SCIPY = {
    "gaussian": lambda y, mu, a, n, w: stats.norm.logpdf(y, mu, a["sigma"] / np.sqrt(w)),
    "student_t": lambda y, mu, a, n, w: stats.t.logpdf(y, a["nu"], mu, a["sigma"] / np.sqrt(w)),
    "lognormal": lambda y, mu, a, n, w: stats.lognorm.logpdf(y, a["sigma"], scale=np.exp(mu)),
    "bernoulli": lambda y, mu, a, n, w: stats.bernoulli.logpmf(y, mu),
    "binomial": lambda y, mu, a, n, w: stats.binom.logpmf(y, n, mu),
    "poisson": lambda y, mu, a, n, w: stats.poisson.logpmf(y, mu),
    "negative_binomial": lambda y, mu, a, n, w: stats.nbinom.logpmf(
        y, a["alpha"], a["alpha"] / (a["alpha"] + mu)
    ),
    "gamma": lambda y, mu, a, n, w: stats.gamma.logpdf(y, a["alpha"], scale=mu / a["alpha"]),
    "beta": lambda y, mu, a, n, w: stats.beta.logpdf(y, mu * a["kappa"], (1 - mu) * a["kappa"]),
    "zero_inflated_poisson": _zero_inflated(lambda y, mu, a, n: stats.poisson.logpmf(y, mu)),
    "zero_inflated_negative_binomial": _zero_inflated(_nb_logpmf),
    "zero_inflated_binomial": _zero_inflated(lambda y, mu, a, n: stats.binom.logpmf(y, n, mu)),
    "hurdle_poisson": _hurdle(
        lambda y, mu, a: stats.poisson.logpmf(y, mu), lambda mu, a: stats.poisson.pmf(0, mu)
    ),
    "hurdle_negative_binomial": _hurdle(_nb_logpmf, lambda mu, a: np.exp(_nb_logpmf(0, mu, a))),
    "hurdle_gamma": _hurdle(
        lambda y, mu, a: stats.gamma.logpdf(y, a["alpha"], scale=mu / a["alpha"])
    ),
    "hurdle_lognormal": _hurdle(
        lambda y, mu, a: stats.lognorm.logpdf(y, a["sigma"], scale=np.exp(mu))
    ),
}

ETA = [-1.2, -0.3, 0.4, 1.1]
REAL_Y = [0.3, -1.0, 2.0, 0.5]
WEIGHTS = [1.0, 0.25, 4.0, 2.0]
BINARY_Y = [0, 1, 1, 0]
TAIL_ETA = [-40.0, -40.0, 40.0, 40.0]


def _cloglog_tail(y: np.ndarray, eta: np.ndarray) -> np.ndarray:
    return np.where(y == 1, np.log(-np.expm1(-np.exp(eta))), -np.exp(eta))


#: the inverse links of the ordinal families as scipy distributions (cloglog: 1 − exp(−eˣ))
LINK_DISTRIBUTIONS = {"logit": stats.logistic, "probit": stats.norm, "cloglog": stats.gumbel_l}


def _ordinal(name: str, link: str, cutpoints: list[float]):
    """log P(y) of an ordinal family from the definitions, with scipy's CDF F of the link."""
    cdf, theta = LINK_DISTRIBUTIONS[link].cdf, np.asarray(cutpoints)

    def probabilities(eta: float) -> np.ndarray:
        if name == "cumulative":  # P(y ≤ k) = F(θ_k − η)
            return np.diff(np.concatenate([[0.0], cdf(theta - eta), [1.0]]))
        if name == "sratio":  # P(y = k | y ≥ k) = F(θ_k − η)
            stop = cdf(theta - eta)
            return np.append(stop, 1.0) * np.concatenate([[1.0], np.cumprod(1.0 - stop)])
        q = cdf(eta - theta)  # acat: P(y = k + 1 | y ∈ {k, k + 1}) = F(η − θ_k)
        p = np.array([np.prod(q[:k]) * np.prod(1.0 - q[k:]) for k in range(theta.size + 1)])
        return p / p.sum()

    def expected(y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        return np.log([probabilities(e)[int(k) - 1] for k, e in zip(y, eta, strict=True)])

    return Case(name, link, ORDINAL_Y, ETA, {"cutpoints": list(cutpoints)}, expected=expected)


def _cumulative_tails(link: str) -> Case:
    """y = 1 far above η's cutpoints and y = K far below: log F(θ₁ − η), log(1 − F(θ_{K−1} − η))."""
    distribution, theta = LINK_DISTRIBUTIONS[link], [-0.5, 0.5]

    def expected(y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        return np.where(
            y == 1, distribution.logcdf(theta[0] - eta), distribution.logsf(theta[-1] - eta)
        )

    return Case("cumulative", link, [1, 3, 1, 3], [30.0, -30.0, 8.0, -8.0],
                {"cutpoints": theta}, expected=expected)  # fmt: skip


ORDINAL_Y = [1, 3, 4, 2]


def _categorical_reference(y, eta):
    """scipy's multinomial with one trial at P(y = k) ∝ exp(η_k), η of category 1 = 0 (in the far
    tails, log-softmax computed in extended precision)."""
    logits = np.column_stack([np.zeros(len(y)), eta]).astype(np.longdouble)
    log_p = logits - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True))
    log_p -= logits.max(1, keepdims=True)
    expected = log_p[np.arange(len(y)), y.astype(int) - 1].astype(float)
    usual = np.abs(eta).max(axis=1) < 5
    onehot = np.eye(3)[y.astype(int) - 1]
    scipy_values = stats.multinomial.logpmf(onehot, 1, special.softmax(logits.astype(float), axis=1))
    np.testing.assert_allclose(expected[usual], scipy_values[usual], rtol=1e-12)
    return expected


def _multinomial_reference(y, eta):
    """scipy's multinomial at P_k ∝ exp(η_k), η of the first column 0, N = the row's total."""
    logits = np.column_stack([np.zeros(len(y)), eta])
    return stats.multinomial.logpmf(y, y.sum(axis=1), special.softmax(logits, axis=1))


CASES = {
    "gaussian_identity": Case("gaussian", "identity", REAL_Y, ETA, {"sigma": 1.7}),
    "gaussian_log_weights": Case("gaussian", "log", REAL_Y, ETA, {"sigma": 0.8}, weights=WEIGHTS),
    "student_t_weights": Case(
        "student_t", "identity", REAL_Y, ETA, {"sigma": 1.2, "nu": 3.5}, weights=WEIGHTS
    ),
    "student_t_log": Case("student_t", "log", REAL_Y, ETA, {"sigma": 0.6, "nu": 7.0}),
    "lognormal": Case("lognormal", "identity", [0.4, 2.0, 1.3, 5.0], ETA, {"sigma": 0.7}),
    "bernoulli_logit": Case("bernoulli", "logit", BINARY_Y, ETA),
    "bernoulli_probit": Case("bernoulli", "probit", BINARY_Y, ETA),
    "bernoulli_cloglog": Case("bernoulli", "cloglog", BINARY_Y, ETA),
    "binomial_logit": Case("binomial", "logit", [0, 2, 5, 3], ETA, trials=[3, 4, 5, 6]),
    "binomial_probit": Case("binomial", "probit", [0, 2, 5, 3], ETA, trials=[3, 4, 5, 6]),
    "binomial_cloglog": Case("binomial", "cloglog", [0, 2, 5, 3], ETA, trials=[3, 4, 5, 6]),
    "poisson": Case("poisson", "log", [0, 2, 5, 1], ETA),
    "negative_binomial": Case("negative_binomial", "log", [0, 2, 5, 1], ETA, {"alpha": 2.5}),
    "gamma_log": Case("gamma", "log", [0.4, 2.0, 1.3, 5.0], ETA, {"alpha": 3.0}),
    "gamma_inverse": Case("gamma", "inverse", [0.4, 2.0, 1.3, 5.0], [0.3, 0.8, 1.5, 2.0],
                          {"alpha": 3.0}),
    "beta": Case("beta", "logit", [0.1, 0.45, 0.7, 0.95], ETA, {"kappa": 6.0}),
    "zero_inflated_poisson": Case("zero_inflated_poisson", "log", [0, 2, 0, 1], ETA, {"zi": 0.3}),
    "zero_inflated_negative_binomial": Case("zero_inflated_negative_binomial", "log",
                                            [0, 2, 0, 1], ETA, {"alpha": 2.5, "zi": 0.2}),
    "zero_inflated_binomial_logit": Case("zero_inflated_binomial", "logit", [0, 2, 0, 3], ETA,
                                         {"zi": 0.4}, trials=[3, 4, 5, 6]),
    "zero_inflated_binomial_cloglog": Case("zero_inflated_binomial", "cloglog", [0, 2, 0, 3],
                                           ETA, {"zi": 0.4}, trials=[3, 4, 5, 6]),
    "hurdle_poisson": Case("hurdle_poisson", "log", [0, 2, 5, 1], ETA, {"hu": 0.35}),
    "hurdle_negative_binomial": Case("hurdle_negative_binomial", "log", [0, 2, 5, 1], ETA,
                                     {"alpha": 1.5, "hu": 0.35}),
    "hurdle_gamma": Case("hurdle_gamma", "log", [0.0, 2.0, 1.3, 5.0], ETA,
                         {"alpha": 3.0, "hu": 0.25}),
    "hurdle_lognormal": Case("hurdle_lognormal", "identity", [0.4, 0.0, 1.3, 5.0], ETA,
                             {"sigma": 0.7, "hu": 0.25}),
    # In the tails μ rounds to 0 or 1, yet the log-likelihood must stay exact.
    "bernoulli_logit_tails": Case("bernoulli", "logit", [1, 0, 0, 1], TAIL_ETA,
                                  expected=lambda y, eta: -np.logaddexp(0, np.where(y, -eta, eta))),
    "bernoulli_probit_tails": Case("bernoulli", "probit", [1, 0, 0, 1], TAIL_ETA,
                                   expected=lambda y, eta: special.log_ndtr(np.where(y, eta, -eta))),
    "bernoulli_cloglog_tails": Case("bernoulli", "cloglog", [1, 0, 0, 1], [-40.0, -40.0, 3.0, 3.0],
                                    expected=_cloglog_tail),
    **{f"{name}_{link}": _ordinal(name, link, cutpoints)
       for name, cutpoints in (("cumulative", [-1.0, 0.2, 1.3]), ("sratio", [-0.4, 0.9, 0.1]),
                               ("acat", [0.6, -0.8, 1.2]))
       for link in ("logit", "probit", "cloglog")},
    **{f"cumulative_{link}_tails": _cumulative_tails(link) for link in ("logit", "probit")},
    # η of the non-reference categories (rows, K − 1); scipy's one-draw multinomial, and far tails
    "categorical_logit": Case("categorical", "logit", [1, 2, 3, 3, 1],
                              [[0.3, -1.2], [2.0, 0.5], [-0.7, 0.4], [40.0, -35.0], [-30.0, 800.0]],
                              expected=_categorical_reference),
    # counts (rows, K) with a zero count, a row of zero trials (log p = 0) and one count only
    "multinomial_logit": Case("multinomial", "logit",
                              [[3, 0, 2], [1, 4, 1], [0, 0, 0], [0, 7, 0], [10, 2, 5]],
                              [[0.3, -1.2], [2.0, 0.5], [-0.7, 0.4], [4.0, -3.5], [-1.0, 0.8]],
                              expected=_multinomial_reference),
}  # fmt: skip


def _observed_logps(cases: dict[str, Case]) -> dict[str, np.ndarray]:
    """Add every case to one model and evaluate all observed log-densities with one compile.

    η and the auxiliary parameters are symbolic inputs, as in a real model: with constants,
    PyTensor would fold the graph before its stabilising rewrites (log∘sigmoid → softplus) run.
    """
    inputs: dict[pt.TensorVariable, np.ndarray] = {}
    with pm.Model() as model:
        rvs = []
        for name, case in cases.items():
            eta = (pt.dmatrix if np.ndim(case.eta) == 2 else pt.dvector)(f"{name}_eta")
            aux = {
                key: (pt.dvector if np.ndim(value) else pt.dscalar)(f"{name}_{key}")
                for key, value in case.aux.items()
            }
            inputs[eta] = np.asarray(case.eta, dtype=float)
            inputs.update({aux[key]: np.asarray(value) for key, value in case.aux.items()})
            family = get_family(case.family, case.link)
            rvs.append(
                add_likelihood(
                    family,
                    name=name,
                    eta=eta,
                    observed=np.asarray(case.y, dtype=float),
                    aux=aux,
                    trials=case.trials,
                    weights=case.weights,
                )
            )
    function = pytensor.function(list(inputs), model.logp(vars=rvs, sum=False))
    return dict(zip(cases, function(*inputs.values()), strict=True))


@pytest.fixture(scope="module")
def observed_logps() -> dict[str, np.ndarray]:
    return _observed_logps(CASES)


def _reference(case: Case) -> np.ndarray:
    y, eta = np.asarray(case.y, dtype=float), np.asarray(case.eta)
    if case.expected is not None:
        return case.expected(y, eta)
    mu = get_family(case.family, case.link).link.inverse(eta)
    weights = np.ones_like(y) if case.weights is None else np.asarray(case.weights)
    return SCIPY[case.family](y, mu, case.aux, case.trials, weights)


def test_every_family_has_a_likelihood():
    assert set(LIKELIHOODS) == set(FAMILIES)
    assert {case.family for case in CASES.values()} == set(FAMILIES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_observed_logp_matches_scipy(observed_logps, name):
    np.testing.assert_allclose(observed_logps[name], _reference(CASES[name]), rtol=1e-9, atol=1e-12)


def test_compute_log_likelihood_works_on_the_observed_variable():
    y = np.array([0.0, 2.0, 5.0])
    with pm.Model(coords={"obs": range(3)}) as model:
        intercept = pm.Normal("intercept", 0.0, 1.0)
        add_likelihood(
            get_family("poisson"),
            name="y",
            eta=intercept + pt.zeros(3),
            observed=y,
            aux={},
            dims="obs",
        )
    draws = np.array([[0.1, 0.7, -0.3]])
    posterior = xr.Dataset(
        {"intercept": (("chain", "draw"), draws)}, coords={"chain": [0], "draw": [0, 1, 2]}
    )
    tree = xr.DataTree.from_dict({"posterior": posterior})
    loglik = pm.compute_log_likelihood(
        tree, model=model, extend_inferencedata=False, progressbar=False
    )
    expected = stats.poisson.logpmf(y, np.exp(draws[..., None]))
    np.testing.assert_allclose(loglik["y"].values, expected, rtol=1e-12)


def test_observed_may_be_model_data():
    with pm.Model() as model:
        data = pm.Data("y_data", np.array([1.0, 0.0]))
        rv = add_likelihood(
            get_family("bernoulli"), name="y", eta=np.zeros(2), observed=data, aux={}
        )
    assert rv in model.observed_RVs


def _add(family: str, **overrides):
    arguments = {"name": "y", "eta": np.zeros(2), "observed": np.array([1.0, 2.0]), "aux": {}}
    arguments.update(overrides)
    with pm.Model():
        return add_likelihood(get_family(family), **arguments)


@pytest.mark.parametrize(
    ("family", "overrides", "error", "pattern"),
    [
        ("poisson", {"weights": [1.0, 2.0]}, FamilyError,
         r"^prior weights are only supported for families \['gaussian', 'student_t'\]; got "
         r"weights with family 'poisson' \(for binomial data give the number of trials instead\)$"),
        ("gaussian", {"aux": {"sigma": pt.as_tensor(1.0)}, "weights": [1.0, 0.0]}, DataError,
         r"^weights must be finite and positive for family 'gaussian'; got 0 in 1 row\(s\) "
         r"\(row positions 1\)$"),
        ("gaussian", {"aux": {"sigma": pt.as_tensor(1.0)}, "weights": [[1.0, 2.0]]}, DataError,
         r"^weights must be one-dimensional; got an array of shape \(1, 2\)$"),
        ("gamma", {"aux": {"sigma": pt.as_tensor(1.0)}}, FamilyError,
         r"^family 'gamma' needs auxiliary parameters \['alpha'\]; got \['sigma'\]$"),
        ("poisson", {"observed": np.array([1.0, -2.0])}, DataError,
         r"^response 'y' must be non-negative integer counts for family 'poisson'; got -2 in 1 "
         r"row \(row position 1\)$"),
        ("poisson", {"trials": [3, 3]}, DataError, r"^family 'poisson' takes no trials"),
        ("binomial", {}, DataError,
         r"^family 'binomial' needs the number of trials for response 'y'; got trials=None$"),
    ],
)  # fmt: skip
def test_add_likelihood_errors(family, overrides, error, pattern):
    with pytest.raises(error, match=pattern):
        _add(family, **overrides)


def test_unregistered_family_is_refused():
    weibull = type("Weibull", (type(get_family("gaussian")),), {"name": "weibull"})()
    with pytest.raises(
        FamilyError, match=r"^no PyMC likelihood for family 'weibull'; expected one"
    ):
        with pm.Model():
            add_likelihood(weibull, name="y", eta=np.zeros(1), observed=[1.0], aux={})


# ----------------------------------------------------------------------------- row helpers


def test_expand_binomial_rows():
    rows, y01 = expand_binomial_rows([2, 0, 3], [3, 1, 3])
    assert rows.tolist() == [0, 0, 0, 1, 2, 2, 2]
    assert y01.tolist() == [1, 1, 0, 0, 1, 1, 1]
    assert rows.dtype == np.int64 and y01.dtype == np.int64


def test_expand_binomial_rows_checks_its_input():
    pattern = (
        r"^response 'y' counts successes, which must not exceed the trials; got 4 of 3 in 1 row"
    )
    with pytest.raises(DataError, match=pattern):
        expand_binomial_rows([4], [3])


def test_probit_pointwise_loglik_bernoulli_broadcasts_over_draws():
    rng = np.random.default_rng(11)
    eta = rng.normal(size=(2, 3, 4))
    y = np.array([0, 1, 1, 0])
    expected = stats.bernoulli.logpmf(y, special.ndtr(eta))
    np.testing.assert_allclose(probit_pointwise_loglik(eta, y), expected, rtol=1e-12)
    assert np.isfinite(probit_pointwise_loglik([-40.0], [0])).all()


def test_probit_pointwise_loglik_binomial_matches_scipy_and_the_expanded_rows():
    eta, y, n = np.array([-0.4, 0.9, 0.1]), np.array([0, 3, 2]), np.array([2, 4, 2])
    binomial = probit_pointwise_loglik(eta, y, trials=n)
    np.testing.assert_allclose(binomial, stats.binom.logpmf(y, n, special.ndtr(eta)), rtol=1e-12)
    rows, y01 = expand_binomial_rows(y, n)
    bernoulli = np.bincount(rows, weights=probit_pointwise_loglik(eta[rows], y01))
    log_choose = special.gammaln(n + 1) - special.gammaln(y + 1) - special.gammaln(n - y + 1)
    np.testing.assert_allclose(binomial, bernoulli + log_choose, rtol=1e-12)


def test_probit_pointwise_loglik_checks_y():
    with pytest.raises(DataError, match=r"^response 'y' must be 0 or 1 for family 'bernoulli'"):
        probit_pointwise_loglik([0.0], [2])


# ----------------------------------------------------------------------------- latent probit


def test_latent_probit_structure_and_logp_at_the_initial_point():
    y, eta = np.array([1, 0, 1]), np.array([0.3, -0.2, 1.5])
    with pm.Model() as model:
        z = add_latent_probit(name="latent", eta=eta, y=y)
    assert [rv.name for rv in model.free_RVs] == ["latent_abs"]
    assert [p.name for p in model.potentials] == ["latent_loglik"]
    point = model.initial_point()  # magnitudes 1 (log-scale 0): z = ±1 following y
    (z_value,) = model.replace_rvs_by_values([z])
    z_at = pytensor.function(model.value_vars, z_value)
    np.testing.assert_array_equal(z_at(*point.values()), [1.0, -1.0, 1.0])
    # HalfFlat adds 0 and the log-transform Jacobian log(1) = 0: only the normal density remains.
    expected = stats.norm.logpdf([1.0, -1.0, 1.0], eta, 1.0).sum()
    assert model.compile_logp()(point) == pytest.approx(expected, rel=1e-12)


def test_latent_probit_checks_y():
    with pytest.raises(
        DataError, match=r"^response 'z' must be 0 or 1 for family 'bernoulli'; got 3"
    ):
        with pm.Model():
            add_latent_probit(name="z", eta=np.zeros(2), y=[0, 3])


# Intercept-only probit model: 16 successes out of 20, prior N(0, 1).
SUCCESSES, TRIALS = np.array([4, 3, 5, 4]), np.array([5, 5, 5, 5])


def _exact_posterior_mean() -> float:
    grid = np.linspace(-4.0, 5.0, 20001)
    log_post = stats.norm.logpdf(grid) + probit_pointwise_loglik(
        grid[:, None], SUCCESSES, trials=TRIALS
    ).sum(axis=1)
    weights = np.exp(log_post - log_post.max())
    return float(np.sum(grid * weights) / np.sum(weights))


def _posterior_intercept(latent: bool, seed: int) -> np.ndarray:
    with pm.Model():
        intercept = pm.Normal("intercept", 0.0, 1.0)
        if latent:
            rows, y01 = expand_binomial_rows(SUCCESSES, TRIALS)
            add_latent_probit(name="z", eta=intercept + pt.zeros(rows.size), y=y01)
        else:
            add_likelihood(
                get_family("binomial", "probit"),
                name="y",
                eta=intercept + pt.zeros(SUCCESSES.size),
                observed=SUCCESSES,
                aux={},
                trials=TRIALS,
            )
        tree = pm.sample(
            draws=300, tune=300, chains=1, cores=1, random_seed=seed, progressbar=False,
            compute_convergence_checks=False, nuts_sampler="pymc",
        )  # fmt: skip
    return tree["posterior"]["intercept"].values.ravel()


def test_latent_and_marginal_probit_agree_with_the_exact_posterior_mean():
    exact = _exact_posterior_mean()  # ≈ 0.78, far from the prior mean 0
    for latent, seed in ((False, 101), (True, 202)):
        draws = _posterior_intercept(latent, seed)
        standard_error = draws.std() / np.sqrt(300 / 4)  # allow for autocorrelation (ESS ≥ 75)
        assert abs(draws.mean() - exact) < 4 * standard_error, (latent, draws.mean(), exact)
