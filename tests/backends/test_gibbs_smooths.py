"""Smooth terms under the Gibbs sampler: one SD per smooth (``shared_sd``).

A smooth's penalised block (one level, ``r`` terms, ``b ~ N(0, sd² I)``; design/smooths.py) has
one variance, drawn from the sum of squares of all ``r`` coefficients, and its scale expansion
moves the ``r`` coefficients and the SD together. Checks:

* the problem and the result have one SD per smooth (``sd_s(x)`` a scalar per draw, in the
  posterior, the log prior and the slice statistics);
* the SD's marginal posterior against quadrature of the exact one (a small Gaussian smooth model,
  σ pinned at 1, flat fixed effects integrated out in closed form), under a slice-sampled
  half-normal prior and a conjugate inverse-gamma prior, with and without the expansion move;
* the block solver eliminating a smooth's one level of 28 terms against a dense reference;
* the Gaussian two-smooth GAMMs of gamm4_references.json (cr and tp): posterior means of each smooth at its
  grid within 0.3 posterior SD of gamm4's fit (default weak priors);
* probit (Albert–Chib) and logit (Pólya-Gamma) smooths recover a known function (seeded data).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayesml
from bayesml.backends.gibbs import sample_gibbs
from bayesml.backends.gibbs.linear_algebra import BlockSolver, PriorPrecision
from bayesml.backends.gibbs.problem import build_problem
from bayesml.linalg.grouped import GroupedColumns

REFERENCES = Path(__file__).parents[1] / "references" / "gamm4_references.json"
PINNED_SIGMA = {"dist": "scaled_inv_chi2", "nu": 1e6, "s": 1.0}


def _sample(model, **kwargs):
    options = {"draws": 1000, "tune": 500, "chains": 2, "cores": 1, "log_likelihood": False}
    return sample_gibbs(
        model.design, model.priors, model.family, random_seed=11, **(options | kwargs)
    )


def _smooth_data(n: int = 60, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, n)
    g = rng.integers(0, 8, n)
    y = np.sin(2 * np.pi * x) + rng.normal(0.0, 0.5, 8)[g] + rng.normal(size=n)
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{i}" for i in g]})


def _smooth_draws(model, result, frame: pd.DataFrame, smooth) -> np.ndarray:
    """The smooth (null-space part + Xr·b) at the rows of ``frame``, one row per draw."""
    posterior = result["posterior"]
    fixed, (random,) = smooth.transform(frame)
    beta = posterior["beta"].sel(coef=list(smooth.fixed_labels))
    beta = beta.stack(sample=("chain", "draw")).transpose("sample", ...).values
    (block,) = smooth.block_names
    u = posterior[f"u_{block}"].stack(sample=("chain", "draw")).transpose("sample", ...).values
    return beta @ fixed.T + u[:, 0, :] @ random.T


def test_a_smooth_has_one_sd_in_the_problem_and_the_result():
    model = bayesml.Model(
        'y ~ s(x, bs="cr", k=8) + (1 | g)',
        _smooth_data(),
        priors={"sd_s(x)": {"dist": "half_normal", "sigma": 2.0}},
    )
    problem = build_problem(model.design, model.priors, model.family)
    group = {spec.name: spec for spec in problem.groups}["s(x)"]
    assert group.shared_sd and group.k == 6 and group.n_sds == 1
    assert len(group.sd_priors) == 1
    result = _sample(model, draws=40, tune=40, log_prior=True, expansion=True)
    posterior = result["posterior"]
    assert posterior["sd_s(x)"].dims == ("chain", "draw")
    assert posterior["sd_g"].dims == ("chain", "draw", "g__term")
    assert posterior["u_s(x)"].dims == ("chain", "draw", "s(x)__level", "s(x)__term")
    assert posterior["u_s(x)"].shape[2:] == (1, 6)
    assert result["log_prior"]["sd_s(x)"].dims == ("chain", "draw")
    expected = stats.halfnorm(scale=2.0).logpdf(posterior["sd_s(x)"].values)
    np.testing.assert_allclose(result["log_prior"]["sd_s(x)"].values, expected, rtol=1e-10)
    assert result["sample_stats"]["slice_evals_sd_s(x)"].dims == ("chain", "draw")
    assert result["sample_stats"]["expansion_evals_s(x)"].dims == ("chain", "draw")
    # the coefficients share one variance in every draw: nothing term-wise is left
    assert "s(x)__term" not in result["log_prior"].coords


def _log_marginal_posterior(model, prior_logpdf):
    """log p(sd | y) up to a constant for y ~ N(Xβ, I + sd² Xr Xrᵀ) with β flat (σ = 1)."""
    y = np.asarray(model.design.response.y, dtype=float)
    X = np.asarray(model.design.fixed.matrix, dtype=float)
    (block,) = model.design.random
    Xr = np.asarray(block.term_matrix, dtype=float)
    gram = Xr @ Xr.T

    def log_density(grid):
        out = np.empty_like(grid)
        for position, sd in enumerate(grid):
            V = np.eye(len(y)) + sd**2 * gram
            factor = np.linalg.cholesky(V)
            whitened_X = np.linalg.solve(factor, X)
            whitened_y = np.linalg.solve(factor, y)
            information = whitened_X.T @ whitened_X
            coef = np.linalg.solve(information, whitened_X.T @ whitened_y)
            residual = whitened_y - whitened_X @ coef
            out[position] = -0.5 * (
                2.0 * np.log(np.diag(factor)).sum()
                + np.linalg.slogdet(information)[1]
                + residual @ residual
            )
        return out + prior_logpdf(grid)

    return log_density


SD_PRIORS = {
    "half-normal (slice)": (
        {"dist": "half_normal", "sigma": 1.0},
        lambda sd: stats.halfnorm(scale=1.0).logpdf(sd),
    ),
    # σ² ~ InvGamma(2, 0.5): the density of σ is p(σ²)·2σ
    "inverse-gamma (conjugate)": (
        {"dist": "inverse_gamma", "alpha": 2.0, "beta": 0.5},
        lambda sd: stats.invgamma(2.0, scale=0.5).logpdf(sd**2) + np.log(2 * sd),
    ),
}


@pytest.mark.parametrize("expansion", [True, False], ids=["with-expansion", "without"])
@pytest.mark.parametrize("prior", list(SD_PRIORS))
def test_the_smooth_sd_matches_its_exact_marginal_posterior(prior, expansion):
    sd_prior, prior_logpdf = SD_PRIORS[prior]
    data = _smooth_data(n=60, seed=5)
    model = bayesml.Model(
        'y ~ s(x, bs="cr", k=6)',
        data,
        priors={
            "intercept": {"dist": "flat"},
            "fixed": {"dist": "flat"},
            "sd_s(x)": sd_prior,
            "sigma": PINNED_SIGMA,
        },
    )
    result = _sample(model, draws=4000, tune=400, expansion=expansion)
    grid = np.linspace(1e-4, 3.0, 1500)
    values = _log_marginal_posterior(model, prior_logpdf)(grid)
    weights = np.exp(values - values.max())
    weights /= weights.sum()
    mean = float(weights @ grid)
    sd = float(np.sqrt(weights @ (grid - mean) ** 2))
    import arviz_stats

    draws = result["posterior"]["sd_s(x)"]
    mcse = float(arviz_stats.mcse(draws, method="mean"))
    values = draws.values.reshape(-1)
    assert abs(values.mean() - mean) < 4 * mcse, (values.mean(), mean, mcse)
    assert values.std() == pytest.approx(sd, rel=0.10)


def test_block_solver_eliminates_a_smooths_one_level_exactly():
    """A smooth of 28 terms is the largest block: the solver eliminates its one level (one
    28 × 28 Cholesky factor) and must give the dense mean and covariance."""
    data = _smooth_data(n=120, seed=1)
    model = bayesml.Model('y ~ s(x, bs="cr", k=30) + (1 | g)', data)
    problem = build_problem(model.design, model.priors, model.family)
    regression = problem.regression
    solver = BlockSolver(regression)
    smooth = [group.name for group in problem.groups].index("s(x)")
    assert solver.eliminated == smooth and regression.parts[smooth].n_columns == 28
    rng = np.random.default_rng(2)
    weights = rng.uniform(0.5, 2.0, regression.n)
    solver.set_weights(weights)
    blocks = tuple((0.3 if group.shared_sd else 2.0) * np.eye(group.k) for group in problem.groups)
    prior = PriorPrecision(np.array([0.0, 0.1]), blocks)
    scale = 1.7
    T = regression.matrix.toarray()
    A = scale * T.T @ (weights[:, None] * T)
    A[np.arange(2), np.arange(2)] += prior.coefficients
    for index, part in enumerate(regression.parts):
        span = regression.part_slice(index)
        A[span, span] += np.kron(np.eye(part.n_levels), blocks[index])
    rhs = rng.normal(size=regression.dim)
    mean = solver.draw(scale, prior, rhs, np.zeros(regression.dim))
    np.testing.assert_allclose(mean, np.linalg.solve(A, rhs), rtol=1e-8, atol=1e-10)
    M = np.column_stack([solver.draw(scale, prior, rhs, e) - mean for e in np.eye(regression.dim)])
    np.testing.assert_allclose(M @ M.T, np.linalg.inv(A), rtol=1e-7, atol=1e-10)


def test_one_level_products_are_one_matrix_product():
    rng = np.random.default_rng(0)
    terms = rng.normal(size=(200, 12))
    weights = rng.uniform(0.5, 2.0, 200)
    one = GroupedColumns(np.zeros(200, dtype=np.int64), terms, 1).level_products(weights)
    # the same rows with an empty second level take the general (bincount) path
    two = GroupedColumns(np.zeros(200, dtype=np.int64), terms, 2).level_products(weights)
    np.testing.assert_allclose(one[0], terms.T @ (weights[:, None] * terms), rtol=1e-12)
    np.testing.assert_allclose(one[0], two[0], rtol=1e-12)


@pytest.fixture(scope="module")
def gamm4():
    return json.loads(REFERENCES.read_text())


def _grid_frame(references, covariate: str) -> pd.DataFrame:
    typical = references["typical"]
    frame = pd.DataFrame({name: np.full(25, typical[name]) for name in ("x0", "x2", "z")})
    frame[covariate] = references["grid"][covariate]
    frame["g"] = typical["g"]
    return frame


# the tp model takes ~8 s to build (the thin plate basis of 600 unique values), hence slow
@pytest.mark.parametrize("basis", ["cr", pytest.param("tp", marks=pytest.mark.slow)])
def test_gaussian_smooths_agree_with_gamm4(gamm4, basis):
    """Posterior means of s(x0) and s(x2) at gamm4's grids within 0.3 posterior SD of gamm4's
    fit (REML plug-in), default weak priors; posterior SDs near gamm4's SEs."""
    fit = gamm4["fits"][f"gaussian_{basis}"]
    model = bayesml.Model(fit["formula_bayesml"], pd.DataFrame(gamm4["data"]))
    result = _sample(model, draws=1000, tune=500, log_prior=False)
    assert set(result["posterior"]["sd_s(x0)"].dims) == {"chain", "draw"}
    for smooth in model.design.smooths:
        (covariate,) = smooth.columns
        values = _smooth_draws(model, result, _grid_frame(gamm4, covariate), smooth)
        mean, sd = values.mean(axis=0), values.std(axis=0)
        reference = fit["smooth_grid"][smooth.label]
        distance = np.abs(mean - np.array(reference["fit"])) / sd
        assert distance.max() < 0.3, (smooth.label, distance)
        np.testing.assert_allclose(sd, reference["se"], rtol=0.25)


def _binary_smooth_data(
    link: str, seed: int = 14, n: int = 500
) -> tuple[pd.DataFrame, float, float]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, n)
    amplitude = 1.0 if link == "probit" else 1.7
    eta = 0.2 + amplitude * np.sin(2 * np.pi * x)
    probability = stats.norm.cdf(eta) if link == "probit" else 1.0 / (1.0 + np.exp(-eta))
    y = (rng.uniform(size=n) < probability).astype(int)
    centre = float(np.mean(amplitude * np.sin(2 * np.pi * x)))  # mgcv's sum-to-zero constraint
    return pd.DataFrame({"y": y, "x": x}), amplitude, centre


@pytest.mark.parametrize("link", ["probit", "logit"])
def test_a_binary_smooth_recovers_the_simulated_function(link):
    data, amplitude, centre = _binary_smooth_data(link)
    model = bayesml.Model('y ~ s(x, bs="cr", k=8)', data, family="bernoulli", link=link)
    result = _sample(model, draws=500, tune=300, log_prior=False)
    grid = pd.DataFrame({"x": np.linspace(0.02, 0.98, 25)})
    values = _smooth_draws(model, result, grid, model.design.smooths[0])
    mean, sd = values.mean(axis=0), values.std(axis=0)
    truth = amplitude * np.sin(2 * np.pi * grid["x"].to_numpy()) - centre
    assert np.all(np.abs(mean - truth) < 3 * sd), (mean - truth) / sd
    assert np.corrcoef(mean, truth)[0, 1] > 0.97
    # a wiggly truth: the SD of the penalised part is well away from 0
    assert float(result["posterior"]["sd_s(x)"].quantile(0.03)) > 0.05
