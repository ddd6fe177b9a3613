# %% [markdown]
# # 03 — Separation: when maximum likelihood diverges
#
# In a logistic regression where a predictor separates the outcomes perfectly — every case with
# `x` above some value is a success, every case below a failure — the likelihood keeps increasing
# as the slope grows: the maximum-likelihood estimate is infinite. Gelman, Jakulin, Pittau & Su
# (2008), *A weakly informative default prior distribution for logistic and other regression
# models* (Annals of Applied Statistics 2(4)), propose a default that keeps the answer finite:
# inputs rescaled to mean 0 and SD 0.5 (binary inputs centred), independent Cauchy(0, 2.5) priors
# on the coefficients and Cauchy(0, 10) on the intercept. It is bayesml's default for binomial and
# Bernoulli models, and the results are reported on the original scale of the inputs.
#
# The second half fits the classic beetle mortality data with the logit, probit and
# complementary log-log links and compares their fitted probabilities.

# %%
import os

import arviz_stats as azs
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import special

import bayesml

QUICK = os.environ.get("BAYESML_QUICK") == "1"
SAMPLING = (
    dict(draws=300, tune=300, chains=2, random_seed=1)
    if QUICK
    else dict(draws=1000, tune=1000, chains=4, random_seed=1)
)
pd.set_option("display.precision", 3)

# %% [markdown]
# ## Perfectly separated data
#
# Forty cases: `dose` separates the outcome exactly at 0.3; `age` is noise.

# %%
rng = np.random.default_rng(2008)
separated = pd.DataFrame({"dose": rng.normal(size=40), "age": rng.normal(50, 10, size=40)})
separated["y"] = (separated["dose"] > 0.3).astype(int)
pd.crosstab(separated["dose"] > 0.3, separated["y"])

# %% [markdown]
# Iteratively reweighted least squares — the algorithm of `glm()` — never converges: the slope
# grows without bound while the deviance creeps to zero.

# %%
X = np.column_stack([np.ones(len(separated)), separated["dose"], separated["age"]])
y = separated["y"].to_numpy(dtype=float)
coefficients = np.zeros(3)
for iteration in range(1, 26):
    eta = X @ coefficients
    mu = special.expit(eta)
    weight = np.clip(mu * (1 - mu), 1e-12, None)
    coefficients = np.linalg.lstsq(X * np.sqrt(weight)[:, None], np.sqrt(weight) * (eta + (y - mu) / weight), rcond=None)[0]
    if iteration % 5 == 0:
        deviance = -2 * np.sum(y * np.log(np.clip(mu, 1e-300, None)) + (1 - y) * np.log(np.clip(1 - mu, 1e-300, None)))
        print(f"iteration {iteration:2d}: slope of dose {coefficients[1]:10.1f}, deviance {deviance:.2e}")

# %% [markdown]
# The Bayesian model with bayesml's default priors. `describe()` prints every prior in force,
# including the scaling of the inputs.

# %%
separated_model = bayesml.Model("y ~ dose + age", separated, family="bernoulli")
print(separated_model.describe())

# %% [markdown]
# The slope's posterior has a heavy right tail; a higher target acceptance rate (smaller steps)
# lets NUTS explore it without divergent transitions.

# %%
separated_posterior = separated_model.sample(sampler_kwargs={"target_accept": 0.95}, **SAMPLING)
bayesml.summary(separated_posterior)

# %% [markdown]
# The estimates are finite. The slope's posterior has a long right tail — the data say only that
# the slope is large, and the Cauchy prior says how large is plausible — so its median and
# quantiles describe it better than its mean:

# %%
slope = separated_posterior.posterior["beta"].sel(coef="dose").values.ravel()
pd.Series(np.quantile(slope, [0.05, 0.25, 0.5, 0.75, 0.95]), index=["5%", "25%", "50%", "75%", "95%"], name="beta[dose]")

# %%
bayesml.plots.posterior(separated_posterior, var_names=["beta"]);

# %% [markdown]
# ## Beetle mortality: logit, probit and complementary log-log
#
# Bliss (1935): beetles killed of those exposed at eight doses of carbon disulphide. The three
# specs in `models/` differ only in the link; their priors are flat, so the posterior is close to
# the likelihood (maximum likelihood, logit: α = −60.72, β = 34.27). With the dose not centred the
# intercept and the slope are correlated at about −0.9999, which a diagonal mass matrix handles
# poorly; nutpie's low-rank mass-matrix adaptation (`adaptation="low_rank"`) learns the
# correlation and gives about eight times the effective sample size here.

# %%
beetles = bayesml.datasets.load("beetles")
links = ["logit", "probit", "cloglog"]
beetle_models = {link: bayesml.Model.from_spec(f"../models/beetles_{link}.yaml") for link in links}
beetle_posteriors = {
    link: model.sample(sampler_kwargs={"adaptation": "low_rank"}, **SAMPLING)
    for link, model in beetle_models.items()
}
pd.concat({link: bayesml.summary(posterior)[["mean", "sd", "ci_lower", "ci_upper"]] for link, posterior in beetle_posteriors.items()})

# %% [markdown]
# Fitted probabilities at the observed doses beside the observed proportions. The logit and probit
# curves are symmetric about the LD50; the complementary log-log curve is not, and it follows the
# high-dose end better — the known result for these data.

# %%
fitted = pd.DataFrame({"dose": beetles["dose"], "observed": beetles["killed"] / beetles["n"]})
for link in links:
    probability = beetle_models[link].predict(beetle_posteriors[link], beetles[["dose"]], kind="mean")
    fitted[link] = probability.mean(("chain", "draw")).values
fitted

# %%
grid = pd.DataFrame({"dose": np.linspace(1.65, 1.90, 100)})
fig, ax = plt.subplots(figsize=(7, 4.5))
ax.scatter(fitted["dose"], fitted["observed"], color="black", zorder=3, label="observed")
for link in links:
    probability = beetle_models[link].predict(beetle_posteriors[link], grid, kind="mean")
    lower, upper = np.quantile(probability.values.reshape(-1, len(grid)), [0.03, 0.97], axis=0)
    line = ax.plot(grid["dose"], probability.mean(("chain", "draw")), label=link)[0]
    ax.fill_between(grid["dose"], lower, upper, color=line.get_color(), alpha=0.2)
ax.set(xlabel="log10 dose of CS₂", ylabel="probability killed", title="Fitted probabilities with 94 % intervals")
ax.legend();

# %% [markdown]
# The expected log predictive density by leave-one-out cross-validation (PSIS-LOO) ranks the links
# the same way. With eight binomial rows each leave-one-out step removes a whole dose group, so
# read the Pareto k diagnostics before trusting small differences.

# %%
azs.compare(beetle_posteriors)
