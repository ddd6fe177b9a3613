# %% [markdown]
# # 06 — Counts, zeros and ordered ratings
#
# Three responses that a gaussian or a plain Poisson model gets wrong, each with a random
# intercept, in the order of the textbook chapter on generalized multilevel models:
#
# 1. **Counts with too many zeros**: salamanders in 23 Appalachian streams (glmmTMB's
#    `Salamanders`). A Poisson GLMM, then a zero-inflated Poisson, a hurdle Poisson and a negative
#    binomial, judged by rootograms and by leave-one-out cross-validation, with glmmTMB's
#    maximum-likelihood fits beside them; and extra-Poisson variance through an observation-level
#    random effect.
# 2. **Ordered ratings**: the bitterness of wine rated 1–5 by nine judges (`ordinal::wine`), a
#    cumulative-logit model with cutpoints, as `ordinal::clmm` fits it; the probit version, also
#    by Gibbs sampling.
# 3. **Unordered categories**, briefly: a multinomial-logit model of stay / move / quit.
#
# With `BAYESML_QUICK=1` (the test suite) every fit uses short chains.

# %%
import json
import os
from pathlib import Path

import arviz_stats as azs
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import bayesml

QUICK = os.environ.get("BAYESML_QUICK") == "1"
SAMPLING = (
    dict(draws=200, tune=300, chains=2, random_seed=1)
    if QUICK
    else dict(draws=1000, tune=1000, chains=4, random_seed=1)
)
pd.set_option("display.precision", 3)

# maximum-likelihood fits of the same models in R (the scripts that wrote them are beside them)
REFERENCES = Path("..") / "tests" / "references"
glmmtmb = json.loads((REFERENCES / "glmmtmb_references.json").read_text())
clmm = json.loads((REFERENCES / "ordinal_references.json").read_text())["clmm"]
brms = json.loads((REFERENCES / "ordinal_brms.json").read_text())["cumulative"]

# %% [markdown]
# ## 1. Salamanders: counts with excess zeros
#
# Each row is one survey of one stream (`site`) for one species (`spp`, seven species and life
# stages); `mined` says whether mountaintop coal mining drains into the stream. 60 % of the counts
# are zero, and the zeros pile up in the mined streams and in some species:

# %%
salamanders = bayesml.datasets.load("salamanders")
salamanders.head()

# %%
salamanders.groupby(["mined", "spp"], observed=True)["count"].agg(
    rows="size", mean="mean", share_zero=lambda y: (y == 0).mean()
).unstack("mined")

# %% [markdown]
# ### A Poisson GLMM first
#
# `count ~ spp + mined + (1 | site)`: a log-linear model of the mean count with a random
# intercept per stream (glmmTMB's `family = poisson`). `posterior_predictive=True` keeps
# replicated data sets for the checks below.

# %%
formula = "count ~ spp + mined + (1 | site)"
poisson_model = bayesml.Model(formula, salamanders, family="poisson")
poisson_fit = poisson_model.sample(posterior_predictive=True, **SAMPLING)
bayesml.summary(poisson_fit)

# %% [markdown]
# The sampler warns that the intercept and `beta[mined[no]]` mix slowly: mining is a property of
# the stream, so its coefficient trades off against the 23 stream effects. Longer chains would
# settle it; the model is about to be replaced anyway.
#
# A **rootogram** (`bayesml.plots.rootogram`; `plots.ppc` picks it for a count response) sets the
# observed number of rows with each count (black points) against the number the replicated data
# sets predict (blue diamonds, with their 94 % interval), on a square-root axis so that the rare
# large counts stay visible.

# %%
bayesml.plots.rootogram(poisson_fit);

# %% [markdown]
# The Poisson model predicts far fewer zeros than the 387 observed (about 310) and too many ones:
# with one mean per species, mining status and stream, a Poisson distribution cannot produce both
# the zeros and the large counts (up to 36). Two ways out are common: a second process that makes
# extra zeros (zero-inflated and hurdle models), or a count distribution with more variance
# (negative binomial, or a random effect per observation).
#
# ### Zero-inflated Poisson
#
# A zero-inflated Poisson mixes a point mass at zero — a **structural** zero, with probability
# `zi` — with a Poisson count, which can itself be zero:
#
# $$P(y = 0) = zi + (1 - zi)\,e^{-\mu}, \qquad P(y = k) = (1 - zi)\,\text{Poisson}(k \mid \mu), \quad k > 0.$$
#
# `zi=` gives the zero probability its own formula, on the logit scale (glmmTMB's `ziformula`,
# brms' `zi ~`). `describe()` shows both linear predictors and every prior; the zero part's
# coefficients are `beta_zi` in the posterior.

# %%
zip_model = bayesml.Model(formula, salamanders, family="zero_inflated_poisson", zi="~ spp + mined")
print(zip_model.describe())

# %%
zip_fit = zip_model.sample(posterior_predictive=True, **SAMPLING)
bayesml.summary(zip_fit)

# %%
bayesml.plots.rootogram(zip_fit);

# %% [markdown]
# The zeros and the ones are now where the data put them. The tail is still a little short:
# counts of 11 to 14 and the 36 lie above the predictions. (The intercept still mixes slowly, for
# the reason given above.)
#
# **Reading the zero part.** `beta_zi` is on the logit scale of the probability of a structural
# zero: a positive coefficient means *more* structural zeros (the sign convention of glmmTMB and
# brms). The count part's coefficients say how many salamanders there are where there are any.
# Streams without mining have fewer structural zeros (`beta_zi[mined[no]]` < 0) *and* larger
# counts (`beta[mined[no]]` > 0):

# %%
ratios = {
    "odds of a structural zero": np.exp(zip_fit.posterior["beta_zi"].sel(coef_zi="mined[no]")),
    "mean count where present": np.exp(zip_fit.posterior["beta"].sel(coef="mined[no]")),
}
for what, ratio in ratios.items():
    low, high = ratio.quantile([0.03, 0.97]).values
    print(f"unmined vs mined, {what}: x {float(ratio.mean()):.2f} (94 % interval {low:.2f} to {high:.2f})")

# %% [markdown]
# Probabilities are easier to read than log-odds: the structural-zero probability of each
# species in each kind of stream, with the random intercept at its mean of zero, is the inverse
# logit of the zero part's linear predictor (glmmTMB's `predict(type = "zprob")`):


# %%
def cell_linear_predictor(coefficients, spp, mined):
    """Linear predictor of a treatment-coded ``~ spp + mined`` part in one cell (draws); the
    reference levels are GP and mined."""
    coef = coefficients.dims[-1]  # coef, coef_zi or coef_hu
    eta = coefficients.sel({coef: "Intercept"})
    if spp != "GP":
        eta = eta + coefficients.sel({coef: f"spp[{spp}]"})
    if mined == "no":
        eta = eta + coefficients.sel({coef: "mined[no]"})
    return eta


def inverse_logit(x):
    return 1 / (1 + np.exp(-x))


reference_cells = glmmtmb["zipoisson_zi_formula"]["cells"]
cells = pd.DataFrame({"spp": reference_cells["spp"], "mined": reference_cells["mined"]})
structural_zero = [
    inverse_logit(cell_linear_predictor(zip_fit.posterior["beta_zi"], spp, mined))
    for spp, mined in zip(cells["spp"], cells["mined"], strict=True)
]
cells["P(structural zero)"] = [float(p.mean()) for p in structural_zero]
cells["3%"] = [float(p.quantile(0.03)) for p in structural_zero]
cells["97%"] = [float(p.quantile(0.97)) for p in structural_zero]
cells["glmmTMB"] = reference_cells["zprob"]
cells.set_index(["mined", "spp"])

# %% [markdown]
# In mined streams most zeros are structural (P ≈ 0.55–0.9: the species is simply not there); in
# unmined streams most species are present at most visits. The expected count, E y = (1 − zi) μ,
# combines both parts; `predict(kind="mean")` returns it. The last column is glmmTMB's
# maximum-likelihood estimate of the same probability, inside every interval.
#
# Beside glmmTMB's coefficients (`glmmTMB(count ~ spp + mined + (1 | site), ziformula = ~ spp +
# mined, family = poisson)`, written by `tests/references/glmmtmb_references.R`): the species
# effects agree to within a quarter of a posterior SD. The stream-level quantities differ more.
# The posterior mean of `sd_site` lies about one posterior SD above glmmTMB's estimate — with 23
# streams its posterior is skewed, and a mean lies above the likelihood's mode — and the
# intercepts and mining effects, which are estimated from differences between streams, move with
# it. The zero-part coefficients of PR and DF, species with few non-zero counts, have posterior
# SDs well above glmmTMB's standard errors: their likelihood is skewed, which a standard error at
# the mode cannot show.


# %%
def bayesml_label(r_label):
    """R's coefficient label (``sppPR``, ``minedno``) as bayesml writes it (``spp[PR]``)."""
    if r_label == "(Intercept)":
        return "Intercept"
    factor = next(name for name in ("spp", "mined") if r_label.startswith(name))
    return f"{factor}[{r_label.removeprefix(factor)}]"


def beside_glmmtmb(fit, reference, zero_part):
    """Posterior means and SDs beside glmmTMB's estimates and standard errors."""
    rows = []
    for part, variable in (("conditional", "beta"), ("zero", f"beta_{zero_part}")):
        draws = fit.posterior[variable]
        for label, estimate in reference[part]["estimate"].items():
            coef = bayesml_label(label)
            values = draws.sel({draws.dims[-1]: coef})
            rows.append({
                "parameter": f"{variable}[{coef}]",
                "posterior mean": float(values.mean()),
                "posterior sd": float(values.std()),
                "glmmTMB": estimate,
                "glmmTMB se": reference[part]["se"][label],
            })
    sd = fit.posterior["sd_site"]
    rows.append({"parameter": "sd_site[Intercept]", "posterior mean": float(sd.mean()),
                 "posterior sd": float(sd.std()), "glmmTMB": reference["sd_site"], "glmmTMB se": np.nan})
    table = pd.DataFrame(rows).set_index("parameter")
    table["difference / posterior sd"] = (table["posterior mean"] - table["glmmTMB"]) / table["posterior sd"]
    return table.round(3)


beside_glmmtmb(zip_fit, glmmtmb["zipoisson_zi_formula"], "zi")

# %% [markdown]
# ### Hurdle Poisson
#
# A hurdle model splits the data differently: *every* zero comes from the zero part, with
# probability `hu` = P(y = 0), and the positive counts from a Poisson truncated at zero. So `hu`
# answers "is the count zero?" and the count part "how many, given some?" — two separate
# questions, where the zero-inflated model's zeros come from both parts. `hu=` takes a formula as
# `zi=` does (glmmTMB's `truncated_poisson` with a `ziformula`).

# %%
hurdle_model = bayesml.Model(formula, salamanders, family="hurdle_poisson", hu="~ spp + mined")
hurdle_fit = hurdle_model.sample(posterior_predictive=True, **SAMPLING)
bayesml.summary(hurdle_fit)

# %%
bayesml.plots.rootogram(hurdle_fit);

# %% [markdown]
# A hurdle model reproduces the number of zeros by construction (the zero part is a logistic
# regression of y = 0). `beta_hu` is therefore steeper than `beta_zi`: unmined streams have
# much lower odds of a zero count, whether or not the species lives there. Beside glmmTMB's
# `family = truncated_poisson` fit with the same zero formula, every coefficient agrees to within
# a quarter of a posterior SD; `sd_site` is again larger than the likelihood's mode:

# %%
beside_glmmtmb(hurdle_fit, glmmtmb["hurdle_poisson_hu_formula"], "hu")

# %% [markdown]
# ### Negative binomial
#
# The other route keeps one process and widens the count distribution: a negative binomial with
# variance μ + μ²/α (brms' `shape`, glmmTMB's `nbinom2` θ) puts more mass at zero *and* in the
# tail than a Poisson with the same mean.

# %%
nb_model = bayesml.Model(formula, salamanders, family="negative_binomial")
nb_fit = nb_model.sample(posterior_predictive=True, **SAMPLING)
bayesml.summary(nb_fit)

# %%
bayesml.plots.rootogram(nb_fit);

# %% [markdown]
# ### Which model predicts best? Leave-one-out cross-validation
#
# Every result carries the pointwise log-likelihood, so `arviz_stats.compare` ranks the models by
# their expected log predictive density (PSIS-LOO; higher is better). `elpd_diff` is each
# model's distance from the best, `dse` its standard error: a difference of several `dse` is
# one the data support.

# %%
count_fits = {"poisson": poisson_fit, "zero-inflated poisson": zip_fit,
              "hurdle poisson": hurdle_fit, "negative binomial": nb_fit}
azs.compare(count_fits, round_to=1)

# %% [markdown]
# The Poisson model is far behind. The negative binomial is ahead of the zero-inflated and hurdle
# Poisson models by more than two standard errors: those fix the zeros but keep Poisson variance
# for the positive counts, and the rootograms showed that the tail is longer than that. (The
# `diag_elpd` column flags one or two rows per model whose Pareto k is high; their contributions
# are less certain, but cannot close gaps of this size.)
#
# Which model to report is also a question about the science: does a zero mean "absent"
# (zero-inflated), "not seen this time" (the hurdle's two questions), or just a small count of a
# variable population (negative binomial)? A zero-inflated negative binomial
# (`family="zero_inflated_negative_binomial"`) combines both ideas; its zero part is then weakly
# identified, because the count part can make most of the zeros itself (glmmTMB's standard errors
# of that part reach 2.2 on the logit scale), so give `beta_zi` a prior you can defend.
#
# ### Extra-Poisson variance with an observation-level random effect
#
# A third classic remedy for overdispersion (the lecture notes' "overdispersed Poisson") needs
# nothing new: a random intercept per row, `(1 | obs)`, makes each count Poisson with a
# log-normally distributed mean (a Poisson–lognormal model; glmer's usual trick). The data need a
# column that numbers the rows.

# %%
salamanders["obs"] = np.arange(len(salamanders))
olre_model = bayesml.Model(formula + " + (1 | obs)", salamanders, family="poisson")
olre_fit = olre_model.sample(posterior_predictive=True, **SAMPLING)
bayesml.summary(olre_fit)

# %%
bayesml.plots.rootogram(olre_fit);

# %% [markdown]
# `sd_obs` ≈ 1 is the extra variation on the log scale, and the rootogram now covers the tail.
# With 644 row effects on top of the stream effects the intercept and `beta[mined[no]]` mix
# slowly again (the warnings): run longer chains before reporting this model.
# Comparing this model by PSIS-LOO, though, fails: it has one parameter per row, so leaving a row
# out moves that row's own effect a lot, and the Pareto k diagnostics say so for a quarter of
# the rows. Its ELPD estimate would put it ahead of the negative binomial, but with that many high
# k values the estimate cannot be trusted (it is usually too optimistic). K-fold
# cross-validation gives a number to compare; so does integrating the row effect out, which is
# exactly what the negative binomial is — a Poisson whose mean has a gamma rather than a
# log-normal distribution.

# %%
olre_loo = azs.loo(olre_fit, pointwise=True)
print(f"rows with Pareto k above {olre_loo.good_k:.2f}: "
      f"{int((olre_loo.pareto_k > olre_loo.good_k).sum())} of {len(salamanders)}")
olre_loo

# %% [markdown]
# ## 2. Ordered ratings: wine bitterness
#
# 72 ratings of bitterness on a scale of 1 (least) to 5 (most bitter): nine judges each tasted
# wines made at two temperatures (`temp`) with or without skin contact (`contact`) — the data of
# Randall (1989), `ordinal::wine`. The rating is an ordered category: 3 is more than 2, but the
# step from 2 to 3 need not be the step from 3 to 4.

# %%
wine = bayesml.datasets.load("wine")
pd.crosstab([wine["temp"], wine["contact"]], wine["rating"])

# %% [markdown]
# ### The cumulative model
#
# `family="cumulative"` is the proportional-odds model of `ordinal::clmm`, brms' `cumulative()`
# and bambi: a latent linear predictor η and K − 1 ordered **cutpoints** θ₁ < … < θ₄ with
#
# $$P(y \le k) = F(\theta_k - \eta), \qquad \eta = \beta_\text{temp} + \beta_\text{contact} + u_\text{judge},$$
#
# F the logistic CDF (link `logit`) or the normal CDF (`probit`). The minus sign is the
# convention of clmm, brms and bambi: a **positive coefficient moves ratings up**. There is no
# intercept — the cutpoints take its place (a formula with one is accepted; it is absorbed, as
# clmm does). `describe()` shows the levels in order, the threshold labels `1|2`, …, `4|5` (R's),
# and the cutpoints' prior, set under the key `cutpoints` (a Student-t on each, kept in order).
# We state the priors of `models/wine.yaml`, which a brms run below used too; bayesml's defaults
# are nearly the same.

# %%
wine_priors = {
    "fixed": {"dist": "normal", "mu": 0, "sigma": 5},
    "cutpoints": {"dist": "student_t", "nu": 3, "mu": 0, "sigma": 2.5},
    "sd": {"dist": "half_t", "nu": 3, "sigma": 2.5},
}
wine_model = bayesml.Model(
    "rating ~ temp + contact + (1 | judge)", wine, family="cumulative", priors=wine_priors
)
print(wine_model.describe())

# %%
wine_fit = wine_model.sample(posterior_predictive=True, **SAMPLING)
bayesml.summary(wine_fit)

# %% [markdown]
# The cutpoints are in the posterior as `cutpoints`, with the dimension `rating__threshold`
# labelled as clmm labels them. Beside two outside fits: brms (Stan, 4 × 5000 draws, the same
# priors; `tests/references/ordinal_brms.R`) and `clmm(rating ~ temp + contact + (1 | judge),
# link = "logit", nAGQ = 10)`, the maximum-likelihood fit (`tests/references/ordinal_references.R`):


# %%
def beside_brms_and_clmm(fit, brms_reference, clmm_reference):
    """Posterior means and SDs beside brms' posterior and ordinal::clmm's estimates."""
    clmm_labels = {"beta[temp[warm]]": "tempwarm", "beta[contact[yes]]": "contactyes"}
    rows = []
    for name, reference in brms_reference["parameters"].items():
        variable, _, label = name.partition("[")
        draws = fit.posterior[variable]
        values = draws.sel({draws.dims[-1]: label[:-1]})
        if variable == "beta":
            estimate = clmm_reference["beta"][clmm_labels[name]]
            se = clmm_reference["beta_se"][clmm_labels[name]]
        elif variable == "cutpoints":
            estimate = clmm_reference["cutpoints"][label[:-1]]
            se = clmm_reference["cutpoints_se"][label[:-1]]
        else:
            estimate, se = clmm_reference["sd_judge"], np.nan
        rows.append({
            "parameter": name,
            "posterior mean": float(values.mean()),
            "posterior sd": float(values.std()),
            "brms mean": reference["mean"],
            "brms sd": reference["sd"],
            "clmm": estimate,
            "clmm se": se,
        })
    table = pd.DataFrame(rows).set_index("parameter")
    table["(mean - brms) / sd"] = (table["posterior mean"] - table["brms mean"]) / table["brms sd"]
    return table.round(3)


beside_brms_and_clmm(wine_fit, brms["logit"], clmm["logit"])

# %% [markdown]
# Warm fermentation raises the log-odds of a higher rating by about 3, skin contact by about
# 1.7. bayesml's posterior is brms' to within Monte Carlo error (a few hundredths of a posterior
# SD with full chains). Both differ from clmm's maximum-likelihood estimates by up to about half
# a posterior SD — the cutpoints lie lower together, the judges' SD is larger — which is the
# difference between a posterior mean and a likelihood's maximum with 72 ratings from nine
# judges: the likelihood of the judges' SD is flat to the right of its mode, and the posterior
# mean reports that asymmetry where the maximum does not.
#
# For an ordinal response `plots.ppc` draws **bars**: the observed rows per category against the
# replicated ones (brms' `pp_check(type = "bars")`).

# %%
bayesml.plots.ppc(wine_fit);

# %% [markdown]
# ### Predicted category probabilities
#
# Coefficients on the latent scale are hard to explain to a wine maker; probabilities of each
# rating are not. `predict(kind="mean")` returns, for each row, the probability of every
# category (a `category` dim). With `include_random_effects=False` the judge is a typical one
# (u = 0), so the new rows need no `judge` column.

# %%
wine_cells = pd.DataFrame({"temp": ["cold", "cold", "warm", "warm"], "contact": ["no", "yes", "no", "yes"]})
probabilities = wine_model.predict(wine_fit, wine_cells, kind="mean", include_random_effects=False)
probabilities

# %%
table = probabilities.mean(("chain", "draw")).to_pandas()
table.index = [f"{t}, contact {c}" for t, c in zip(wine_cells["temp"], wine_cells["contact"], strict=True)]
table.columns.name = "rating"
table

# %%
fig, ax = plt.subplots(figsize=(7, 3.8))
categories = probabilities["category"].values
for offset, (label, cell) in zip(np.linspace(-0.18, 0.18, 4), enumerate(table.index), strict=True):
    draws = probabilities.isel(obs=label)
    mean = draws.mean(("chain", "draw")).values
    low, high = draws.quantile([0.03, 0.97], ("chain", "draw")).values
    x = np.arange(len(categories)) + offset
    ax.errorbar(x, mean, yerr=(mean - low, high - mean), fmt="o-", capsize=3, label=cell)
ax.set(xticks=range(len(categories)), xticklabels=categories, xlabel="rating (bitterness)",
       ylabel="probability", ylim=(0, 1),
       title="Predicted rating for a typical judge: posterior mean and 94 % interval")
ax.legend(frameon=False);

# %% [markdown]
# Cold wine without skin contact is mostly rated 2; warm wine with contact mostly 4 or 5. The
# intervals are wide: 72 ratings from nine judges pin down the direction of the effects better
# than the exact probabilities.
#
# ### Probit link
#
# With `link="probit"` the latent scale is a standard normal instead of a logistic (whose SD is
# π/√3 ≈ 1.8), so every coefficient and cutpoint shrinks by a factor of about 1.6–1.8; the
# fitted probabilities hardly change. Again beside brms and clmm:

# %%
wine_probit_model = bayesml.Model(
    "rating ~ temp + contact + (1 | judge)", wine, family="cumulative", link="probit",
    priors=wine_priors,
)
wine_probit_fit = wine_probit_model.sample(**SAMPLING)
beside_brms_and_clmm(wine_probit_fit, brms["probit"], clmm["probit"])

# %% [markdown]
# The probit model is also a **latent normal** model: z ~ N(η, 1), y = k when θ₍ₖ₋₁₎ < z ≤ θₖ
# (Albert & Chib 1993). Its Gibbs sampler (`method="gibbs"`) draws z from truncated normals, the
# coefficients and the judges' effects from a normal, and the cutpoints by a Metropolis–Hastings
# step with the latent normals integrated out (Cowles 1996) — an algorithm that shares nothing
# with NUTS's gradient-based sampler. Two
# such samplers that agree are a strong check of both (notebook 04 does the same for a binary
# probit).

# %%
wine_gibbs_fit = wine_probit_model.sample(method="gibbs", **SAMPLING)
comparison = bayesml.compare(wine_probit_fit, wine_gibbs_fit, names=["nuts", "gibbs"])
comparison.table

# %%
comparison.plot();

# %% [markdown]
# ## 3. Unordered categories: stay, move or quit
#
# When the categories have no order, `family="categorical"` fits a multinomial logit: each
# category other than the reference gets its own linear predictor,
# log P(y = k) / P(y = reference) = η_k (`nnet::multinom`, brms' `categorical()`). The bundled
# `choices` data are simulated (600 rows, 20 sites; `tests/references/categorical_data.py` holds
# the true values), with `stay` as the reference.

# %%
choice_model = bayesml.Model(
    "choice ~ x1 + x2 + (1 | site)", "choices", family="categorical", reference="stay"
)
print(choice_model.describe())

# %%
choice_fit = choice_model.sample(**SAMPLING)
bayesml.summary(choice_fit)

# %% [markdown]
# Every coefficient and every SD has a category dimension (`choice__category`): `beta[x1, move]`
# is the change in the log-odds of moving rather than staying per unit of x1. Beside the values
# the data were simulated with (each estimate should lie within a posterior SD or so of its true
# value, as they do):

# %%
truth = pd.DataFrame(
    {"move": [-0.4, 0.8, 0.5, -0.3, 0.6], "quit": [-1.0, -0.6, 0.2, 0.9, 0.9]},
    index=["Intercept", "x1", "x2[b]", "x2[c]", "sd_site"],
)
posterior_means = choice_fit.posterior["beta"].mean(("chain", "draw")).to_pandas()
posterior_means.loc["sd_site"] = (
    choice_fit.posterior["sd_site"].sel(site__term="Intercept").mean(("chain", "draw")).to_pandas()
)
pd.concat({"posterior mean": posterior_means, "true value": truth}, axis=1)

# %% [markdown]
# Probabilities of the three outcomes along x1, for a typical site (`predict(kind="mean")`, a
# `category` dim with all three levels):

# %%
grid = pd.DataFrame({"x1": np.linspace(-2.5, 2.5, 41), "x2": "a"})
choice_probabilities = choice_model.predict(choice_fit, grid, kind="mean", include_random_effects=False)
fig, ax = plt.subplots(figsize=(6.5, 3.6))
for category in choice_probabilities["category"].values:
    draws = choice_probabilities.sel(category=category)
    low, high = draws.quantile([0.03, 0.97], ("chain", "draw")).values
    ax.fill_between(grid["x1"], low, high, alpha=0.25)
    ax.plot(grid["x1"], draws.mean(("chain", "draw")), label=category)
ax.set(xlabel="x1", ylabel="probability", ylim=(0, 1), title="P(choice) at x2 = a, typical site (94 % intervals)")
ax.legend(title="choice", frameon=False, loc="center left", bbox_to_anchor=(1, 0.5));

# %% [markdown]
# ## Summary
#
# - **Counts with excess zeros**: `family="zero_inflated_poisson", zi="~ ..."` (glmmTMB's
#   `ziformula`) when some zeros mean "not there"; `family="hurdle_poisson", hu="~ ..."` (glmmTMB's
#   `truncated_poisson`) when "any at all?" and "how many?" are separate questions. The zero part's
#   coefficients are `beta_zi` / `beta_hu`, on the logit scale of the zero probability.
# - **Overdispersed counts**: `family="negative_binomial"` (glmmTMB's `nbinom2`), or a Poisson with
#   an observation-level effect `(1 | obs)` — whose LOO needs K-fold rather than PSIS.
# - **Checks**: `bayesml.plots.rootogram` (or `plots.ppc`) for counts, `plots.ppc`'s bars for
#   ordered categories, `arviz_stats.compare` on the results for LOO.
# - **Ordered ratings**: `family="cumulative"` with `link="logit"` or `"probit"`
#   (`ordinal::clmm`), P(y ≤ k) = F(θₖ − η), cutpoints labelled `1|2`, …; category probabilities
#   from `predict(kind="mean")`; the probit model by NUTS or by Gibbs.
# - **Unordered categories**: `family="categorical", reference=...` (`nnet::multinom`, with random
#   effects per category).
