# %% [markdown]
# # 01 — Quick start: a binomial GLMM from formula to posterior
#
# The bacteria data (MASS::bacteria): 50 children with otitis media were tested for
# *H. influenzae* at weeks 0, 2, 4, 6 and 11. Does the chance of finding the bacterium fall over
# the weeks? Children differ, so each gets a random intercept:
#
# $$\operatorname{logit} P(y_{ij} = \text{"y"}) = \beta_0 + \beta_1\,\text{week}_{ij} + u_i, \qquad u_i \sim N(0, \sigma_{\text{ID}}^2).$$
#
# In lme4 this is `glmer(y ~ week + (1 | ID), family = binomial)`; in bayesml the same formula,
# with priors you can see, sampled by NUTS, checked and plotted with ArviZ — and the h-likelihood
# fit (R's `hglm`) beside it. Run with `BAYESML_QUICK=1` for short chains.

# %%
import os

import arviz_stats as azs
import pandas as pd

import bayesml

QUICK = os.environ.get("BAYESML_QUICK") == "1"
SAMPLING = (
    dict(draws=300, tune=300, chains=2, random_seed=1)
    if QUICK
    else dict(draws=1000, tune=1000, chains=4, random_seed=1)
)
pd.set_option("display.precision", 3)

# %%
bacteria = bayesml.datasets.load("bacteria")
bacteria.head()

# %%
bacteria.groupby("week")["y"].apply(lambda y: (y == "y").mean()).rename("share with bacteria")

# %% [markdown]
# ## The model
#
# `success="y"` says which level of the two-level response counts as a success. `describe()`
# prints the model and every prior in force: here bayesml's defaults for a binomial model (the
# weakly informative priors of Gelman et al. 2008 on the coefficients, a half-normal on the SD).

# %%
model = bayesml.Model("y ~ week + (1 | ID)", bacteria, family="binomial", success="y")
print(model.describe())

# %% [markdown]
# Priors can be changed per parameter with the names the posterior uses, e.g. the SD of the
# child effects:

# %%
model = bayesml.Model(
    "y ~ week + (1 | ID)",
    bacteria,
    family="binomial",
    success="y",
    priors={"sd_ID": {"dist": "half_normal", "sigma": 2.5}},
)
print(model.describe())

# %% [markdown]
# ## Sampling
#
# `sample()` runs NUTS (nutpie when installed; the first fit of a model compiles it, later fits
# reuse the compiled model and the on-disk caches). The result is an ArviZ `xarray.DataTree`.
# `posterior_predictive=True` adds replicated data for checks.

# %%
posterior = model.sample(posterior_predictive=True, **SAMPLING)
posterior

# %%
bayesml.summary(posterior)

# %% [markdown]
# The odds of finding the bacterium fall by about 13 % a week (exp(β_week)), and children differ a
# lot: an SD of about 1.3 on the logit scale.

# %%
import numpy as np

week_effect = np.exp(posterior.posterior["beta"].sel(coef="week"))
print(f"odds ratio per week: {float(week_effect.mean()):.3f} "
      f"(94 % interval {float(week_effect.quantile(0.03)):.3f} to {float(week_effect.quantile(0.97)):.3f})")

# %% [markdown]
# ## Checking the fit
#
# Trace and rank plots for mixing, then a posterior predictive check of the share of positive
# tests in each week (for a binary outcome a density plot of replicated 0/1 data says little;
# a statistic that matters to the question does).

# %%
bayesml.plots.trace(posterior);

# %%
bayesml.plots.rank(posterior);

# %%
import matplotlib.pyplot as plt

replicated = posterior.posterior_predictive["y"].values.reshape(-1, len(bacteria))
observed = (bacteria["y"] == "y").to_numpy()
weeks = sorted(bacteria["week"].unique())
fig, ax = plt.subplots(figsize=(6, 3.5))
for position, week in enumerate(weeks):
    rows = (bacteria["week"] == week).to_numpy()
    shares = replicated[:, rows].mean(axis=1)
    ax.violinplot(shares, positions=[position], showextrema=False)
    ax.plot(position, observed[rows].mean(), "ko")
ax.set(xticks=range(len(weeks)), xticklabels=weeks, xlabel="week", ylabel="share with bacteria",
       title="Replicated shares (violins) and the observed share (dots)");

# %% [markdown]
# Leave-one-out cross-validation works directly on the result: the log-likelihood of every
# observation is stored.

# %%
azs.loo(posterior)

# %% [markdown]
# ## Maximum likelihood and the h-likelihood fit beside it
#
# `fit(method="laplace")` is lme4's `glmer`: the random effects integrated out by the Laplace
# approximation, the likelihood maximised (`method="agq", n_nodes=25` is `glmer(nAGQ = 25)`).
# Its summary reads like lme4's, and its numbers are lme4's (2.555, −0.144, SD 1.29).

# %%
ml_fit = model.fit(method="laplace")
print(ml_fit.summary())

# %% [markdown]
# `fit(method="hlik")` fits the same model by h-likelihood, the algorithm of R's `hglm` (EQL), with
# the dispersion fixed at 1 as a binomial model has it. `bayesml.compare` lines up the posterior and
# the point estimates by parameter name; the h-likelihood variance λ is shown as the SD √λ it
# implies. For binary data with few observations per child EQL shrinks the estimates toward zero,
# while the posterior is close to the maximum-likelihood fit; notebook 05 shows the HL(1,1)
# correction that reduces the shrinkage.

# %%
hlik_fit = model.fit(method="hlik", dispersion=1)
print(hlik_fit.summary())

# %%
comparison = bayesml.compare(posterior, ml_fit, hlik_fit, names=["nuts", "laplace", "hlik"])
comparison.table

# %%
comparison.plot();

# %% [markdown]
# ## Predictions, saving and reloading
#
# Predicted probabilities for a child not in the data (their effect is drawn from the population
# distribution, as lme4's `allow.new.levels`):

# %%
new_child = pd.DataFrame({"week": [0, 2, 4, 6, 11], "ID": "new child"})
probability = model.predict(posterior, new_child, kind="mean", random_seed=1)
pd.DataFrame({
    "week": new_child["week"],
    "mean": probability.mean(("chain", "draw")).values,
    "3%": probability.quantile(0.03, ("chain", "draw")).values,
    "97%": probability.quantile(0.97, ("chain", "draw")).values,
})

# %%
import tempfile
from pathlib import Path

path = Path(tempfile.mkdtemp()) / "bacteria.nc"
bayesml.save_result(posterior, path, spec=model.spec)
reloaded = bayesml.load_result(path)
bool((reloaded.posterior["beta"] == posterior.posterior["beta"]).all())
