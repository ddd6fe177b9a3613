# %% [markdown]
# # 07 — Smooth effects with random effects
#
# A generalized additive mixed model (GAMM) replaces a straight line `β·x` by a smooth curve
# `f(x)` whose wiggliness is estimated from the data, and keeps the random effects of a GLMM
# beside it. bayesml writes these models as mgcv, gamm4 and brms do — `s(x)`, `s(x, bs="cr", k=5)`,
# `s(x, by=f)`, `s(x, z)`, `t2(x, z)` — and turns each smooth into gamm4's **mixed-model form**:
# the penalty's null space (a straight line for the default bases) becomes fixed effects
# (`s(x)_fixed1`), and the penalised rest becomes a random effect with ONE standard deviation,
# `sd_s(x)`. The smaller that SD, the stiffer the curve; at 0 the smooth *is* the straight line.
# So every backend fits smooths:
#
# | backend | what it is for a smooth |
# |---|---|
# | `Model.fit("hlik")` | gamm4's REML fit of a gaussian GAMM (`gamm4(..., REML = TRUE)`) |
# | `Model.fit("laplace")` | gamm4's `glmer` fit of a non-gaussian GAMM (Laplace approximation) |
# | `Model.sample("nuts")`, `("gibbs")` | the Bayesian GAMM of brms, with a prior on each `sd_s(x)` |
#
# The notebook has four parts: (1) is the effect of sleep deprivation in `sleepstudy` linear?
# (2) a simulated Poisson GAMM whose true curve we know, by Laplace and by NUTS; (3) one curve per
# group (`by=`) and a smooth surface (`t2`); (4) priors for smooth SDs, what EDF means, and a table
# of spellings for users coming from mgcv, gamm4 and brms. With `BAYESML_QUICK=1` (the test suite)
# the Bayesian fits use short chains.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import bayesml
from bayesml.results.smooths import smooth_curves

QUICK = os.environ.get("BAYESML_QUICK") == "1"
SAMPLING = (
    dict(draws=200, tune=300, chains=2, random_seed=1)
    if QUICK
    else dict(draws=1000, tune=1000, chains=4, random_seed=1)
)
pd.set_option("display.precision", 3)

# %% [markdown]
# ## 1. Sleep deprivation: is the effect linear?
#
# Reaction times of 18 subjects over ten days of restricted sleep (lme4's `sleepstudy`). The
# classic model is a straight line per subject, `Reaction ~ Days + (Days | Subject)`. Before
# trusting the straight line, let the data choose: a smooth of `Days` with a random intercept
# per subject, `Reaction ~ s(Days, k=5) + (1 | Subject)`. `k=5` is the basis dimension, the most
# wiggliness the smooth may have (ten distinct days leave room for little more); the default
# basis is mgcv's thin plate regression spline (`bs="tp"`).

# %%
sleepstudy = bayesml.datasets.load("sleepstudy")
sleep_model = bayesml.Model("Reaction ~ s(Days, k=5) + (1 | Subject)", sleepstudy)
print(sleep_model.describe())

# %% [markdown]
# `describe()` shows what the smooth became: one fixed column `s(Days)_fixed1` (the linear part,
# which no penalty touches) and 3 penalised coefficients sharing the SD `sd_s(Days)`. The
# h-likelihood fit of a gaussian model is gamm4's REML fit; given a fit, `describe` adds each
# smooth's **effective degrees of freedom** (EDF):

# %%
sleep_reml = sleep_model.fit("hlik")
print(sleep_model.describe(sleep_reml).split("Priors:")[0])
pd.Series(
    {
        "sd_Subject": np.sqrt(sleep_reml.lambda_values["Subject"]),
        "sd_s(Days)": np.sqrt(sleep_reml.lambda_values["s(Days)"]),
        "sigma": np.sqrt(sleep_reml.phi.value),
    },
    name="REML estimate",
)

# %% [markdown]
# **EDF 1.00: the smooth is a straight line.** The REML estimate of `sd_s(Days)` is 0.06 —
# effectively zero next to the subjects' SD of 37 and the residual SD of 31 — so the penalised
# part is shrunk away and only the linear null space is left. gamm4 0.2-6,
# `gamm4(Reaction ~ s(Days, k = 5), random = ~ (1 | Subject), data = sleepstudy)`, gives the same:
# edf 1, Subject SD 37.124, residual SD 30.991, the `s(Days)` SD 0.000.
#
# `plots.smooths` draws the smooth as mgcv's `plot.gam` does: its contribution to the linear
# predictor, centred over the data, with a 94 % band from mgcv's Bayesian covariance `Vp` and a
# rug of the observed values; the EDF is in the y label.

# %%
bayesml.plots.smooths(sleep_reml, model=sleep_model);

# %% [markdown]
# A cubic regression spline (`bs="cr"`, gamm4's usual choice) gives the same answer, and mgcv's
# spelling of the random intercept, `s(Subject, bs="re")`, is the same model as `(1 | Subject)`:

# %%
for formula in (
    'Reaction ~ s(Days, bs="cr", k=5) + (1 | Subject)',
    'Reaction ~ s(Days, k=5) + s(Subject, bs="re")',
):
    model = bayesml.Model(formula, sleepstudy)
    fit = model.fit("hlik")
    smooth_line = next(line for line in model.describe(fit).splitlines() if line.startswith("Smooth"))
    print(f"{formula}\n    {smooth_line}\n    Subject SD {float(np.sqrt(fit.lambda_values['Subject'])):.3f}")

# %% [markdown]
# ### A likelihood-ratio test against the straight line
#
# The linear model is the smooth model with `sd_s(Days) = 0`, so the two are nested: lme4's
# `anova` of maximum-likelihood fits (REML likelihoods of models with different fixed effects
# are not comparable, so `reml=False`). The smooth adds one parameter, its SD. The test is
# conservative, as every test of a variance at its boundary is.

# %%
linear_ml = bayesml.Model("Reaction ~ Days + (1 | Subject)", sleepstudy).fit("laplace", reml=False)
smooth_ml = sleep_model.fit("laplace", reml=False)
bayesml.anova(linear_ml, smooth_ml, names=["linear", "smooth"])

# %% [markdown]
# Identical log-likelihoods: the maximum-likelihood smooth is the straight line, and the smooth's
# extra parameter buys nothing (AIC and BIC prefer the line). The same holds with the random slope
# of the classic model (`s(Days, k=5) + (Days | Subject)`: EDF 1.00, log-likelihood −875.97 for
# both). The straight line of `Reaction ~ Days + (Days | Subject)` is a fair summary of these data.
#
# ### The Bayesian fit
#
# NUTS samples the same model with bayesml's default priors. The smooth's SD gets the default of
# every SD (`half_t(3, 2.5·mad(y))`, brms' default for its `sds` too, up to the scale).

# %%
sleep_posterior = sleep_model.sample(sampler_kwargs={"target_accept": 0.95}, **SAMPLING)
bayesml.summary(sleep_posterior)

# %%
print(sleep_model.describe(sleep_posterior).split("Priors:")[0])

# %% [markdown]
# The posterior says something more careful than the REML fit. `sd_s(Days)` is not pinned at
# zero: its 94 % interval runs from near 0 to over 100, because ten days cannot rule out a
# little curvature and the prior does not push the SD toward zero. The EDF that `describe` prints
# for a posterior is evaluated at the posterior mean of the SDs, so it sits above 1 (about 2.4).
# The linear part `s(Days)_fixed1` is less certain too (posterior SD about 6, against the REML
# fit's 2.3), since a curve may trade some of its slope for curvature.
# The picture makes the point better than the numbers: 20 posterior curves overlaid on the band.

# %%
bayesml.plots.smooths(sleep_posterior, model=sleep_model, draws=20);

# %% [markdown]
# The posterior mean is close to a straight line; some draws bend a little, mostly at the ends,
# where there are fewest days to hold them. A smooth SD near its lower boundary is a funnel for
# NUTS (a few divergent transitions and slow mixing of `sd_s(Days)` are the symptoms); a higher
# `target_accept`, as here, helps, and so does a prior that keeps the SD smaller (part 4).
#
# ## 2. A clearly nonlinear effect in a Poisson GAMM
#
# Simulated counts with a known truth, so that we can check what the fits recover: 400 counts
# from 20 sites, a wavy effect of `x`, a linear effect of a second covariate `z`, and a random
# intercept per site,
#
# $$\log \mu_i = 0.8 + f(x_i) + 0.3\,z_i + u_{\text{site}[i]}, \qquad f(x) = 0.8\sin(2\pi x) + 0.5x, \qquad u \sim N(0, 0.4^2).$$

# %%
rng = np.random.default_rng(7)
n_rows, n_sites = 400, 20


def f_true(x):
    return 0.8 * np.sin(2 * np.pi * x) + 0.5 * x


counts = pd.DataFrame({
    "x": rng.uniform(0, 1, n_rows),
    "z": rng.normal(0, 1, n_rows),
    "site": rng.choice([f"site{i:02d}" for i in range(n_sites)], n_rows),
})
site_effects = dict(zip(sorted(counts["site"].unique()), rng.normal(0, 0.4, n_sites), strict=True))
eta = 0.8 + f_true(counts["x"]) + 0.3 * counts["z"] + counts["site"].map(site_effects)
counts["count"] = rng.poisson(np.exp(eta))
counts.describe().T

# %% [markdown]
# The model is gamm4's `gamm4(count ~ s(x, bs = "cr") + z, random = ~ (1 | site), family =
# poisson)`, and brms' `brm(count ~ s(x, bs = "cr") + z + (1 | site), family = poisson)`. The
# maximum-likelihood fit (`"laplace"`, glmer's Laplace approximation, as gamm4 fits it) takes a
# second or two:

# %%
count_model = bayesml.Model('count ~ s(x, bs="cr") + z + (1 | site)', counts, family="poisson")
count_ml = count_model.fit("laplace")
print(count_ml.summary())

# %%
count_posterior = count_model.sample(sampler_kwargs={"target_accept": 0.95}, **SAMPLING)
comparison = bayesml.compare(count_posterior, count_ml, names=["nuts", "laplace"])
comparison.table

# %% [markdown]
# The two fits agree on everything with a standard error: `z` ≈ 0.28 (truth 0.3) and the linear
# part of the smooth. The SDs, which the Laplace fit reports without a standard error (as lme4
# does), are larger in the posterior — a posterior mean of a positive, right-skewed quantity lies
# above the likelihood's mode — and the site SD's posterior covers the true 0.4. Both EDFs, at the
# estimate and at the posterior mean of the SDs:

# %%
for name, result in (("laplace", count_ml), ("nuts", count_posterior)):
    line = next(row for row in count_model.describe(result).splitlines() if row.startswith("Smooth"))
    print(f"{name:8s} {line}")

# %% [markdown]
# About 6 of the 9 possible degrees of freedom (`k=10` minus the sum-to-zero constraint): a
# clearly nonlinear curve. `plots.smooths` draws one fit; the axes it returns take a second fit
# and the truth. The smooth is centred over the data (mgcv's identifiability constraint), so the
# true curve to compare is `f(x)` minus its mean over the 400 rows. `smooth_curves` (from
# `bayesml.results.smooths`) gives the numbers that `plots.smooths` draws.

# %%
figure = bayesml.plots.smooths(count_posterior, model=count_model, figsize=(7, 4.2))
ax = figure.axes[0]
ml_curve = smooth_curves(count_model.design, count_model.family, count_ml, smooth="s(x)")[0]
ax.fill_between(ml_curve.x, ml_curve.lower, ml_curve.upper, color="C1", alpha=0.25, linewidth=0,
                label="laplace: 94% CI (±1.88 SE)")
ax.plot(ml_curve.x, ml_curve.estimate, color="C1", linewidth=1.5, label="laplace estimate")
ax.plot(ml_curve.x, f_true(ml_curve.x) - f_true(counts["x"]).mean(), "k--", linewidth=1.5,
        label="true f(x), centred")
ax.set_title("s(x): NUTS (blue) and Laplace (orange) against the truth", fontsize="medium")
ax.legend(loc="upper right", fontsize="small", frameon=False);

# %% [markdown]
# Both bands cover the true curve, and the two fits are hard to tell apart: the posterior band is
# a little wider, because it also carries the uncertainty in `sd_s(x)` and the
# site SD, which the Laplace band takes as known (mgcv's `Vp` is conditional on the smoothing
# parameters). Numerically, the share of the grid where each band covers the truth and the
# largest gap between estimate and truth:

# %%
truth_on_grid = f_true(ml_curve.x) - f_true(counts["x"]).mean()
nuts_curve = smooth_curves(count_model.design, count_model.family, count_posterior, smooth="s(x)")[0]
pd.DataFrame(
    {
        "band covers truth (share of grid)": [
            np.mean((curve.lower <= truth_on_grid) & (truth_on_grid <= curve.upper))
            for curve in (ml_curve, nuts_curve)
        ],
        "max |estimate - truth|": [
            np.max(np.abs(curve.estimate - truth_on_grid)) for curve in (ml_curve, nuts_curve)
        ],
        "mean band width": [np.mean(curve.upper - curve.lower) for curve in (ml_curve, nuts_curve)],
    },
    index=["laplace", "nuts"],
)

# %% [markdown]
# On the response scale, `plots.conditional_effects` (brms' `conditional_effects`) draws the
# expected count against each covariate, the others at typical values (`z` at its mean, a typical
# site: the random intercept at 0), with the data behind:

# %%
bayesml.plots.conditional_effects(count_posterior, model=count_model);

# %% [markdown]
# The same curves come from `predict` on a grid of your own; `include_random_effects=False` keeps
# the smooth (its penalised part is population-level, as in mgcv's `predict.gam`) and sets the
# site effects to zero. The truth column is exp(0.8 + f(x)) at z = 0:

# %%
grid = pd.DataFrame({"x": [0.1, 0.25, 0.5, 0.75, 0.9], "z": 0.0})
expected = count_model.predict(count_posterior, grid, kind="mean", include_random_effects=False)
grid.assign(
    posterior_mean=expected.mean(("chain", "draw")).values,
    lower=expected.quantile(0.03, ("chain", "draw")).values,
    upper=expected.quantile(0.97, ("chain", "draw")).values,
    truth=np.exp(0.8 + f_true(grid["x"])),
)

# %% [markdown]
# The predictions lie about 10 % above the truth (a little more at x = 0.5, where the estimated
# curve also sits above the true one). That is mostly the intercept, not the smooth: the 20
# simulated site effects happen to average 0.10 on the log scale, and with 20
# sites the data cannot tell a typical site's level from the mean of those 20 (the intercept's
# standard error, 0.08, says as much).
#
# ## 3. One curve per group, and a smooth surface
#
# ### `by=`: a smooth per level of a factor
#
# `s(x, by=treatment)` fits one smooth per level, each with its own SD (`sd_s(x):treatmentcontrol`,
# `sd_s(x):treatmentdose`), so one group's curve may be straight while another's bends. As in
# mgcv, the smooths are centred, so the factor's main effect goes in the formula too. Simulated
# data: no effect of `x` under control, a hump under the dose.

# %%
rng = np.random.default_rng(3)
n_rows = 300
groups = pd.DataFrame({
    "x": rng.uniform(0, 1, n_rows),
    "z": rng.uniform(0, 1, n_rows),
    "treatment": rng.choice(["control", "dose"], n_rows),
    "g": rng.choice(list("abcdefghij"), n_rows),
})
group_effects = groups["g"].map(dict(zip("abcdefghij", rng.normal(0, 0.3, 10), strict=True)))
hump = np.where(groups["treatment"] == "dose", 1.5 * np.sin(np.pi * groups["x"]), 0.0)
groups["y"] = hump + group_effects + rng.normal(0, 0.3, n_rows)

by_model = bayesml.Model("y ~ treatment + s(x, by=treatment) + (1 | g)", groups)
by_fit = by_model.fit("hlik")
print(by_model.describe(by_fit).split("Priors:")[0])

# %%
bayesml.plots.smooths(by_fit, model=by_model);

# %% [markdown]
# EDF 1.00 for control (a flat line, within its band: no effect) and about 5 for the dose: each
# level got the wiggliness its data support. Note the y scales: each panel has its own, as in
# `plot.gam`.
#
# ### A smooth of two covariates
#
# `t2(x, z)` is mgcv's tensor product in mixed-model form (gamm4's choice for interactions of
# covariates on different scales): `cr` margins with `k=5` each and one SD per penalty (three
# here). `s(x, z)` is the isotropic thin plate alternative, for covariates on one scale. The true
# surface is `sin(2x) · cos(3z)`.

# %%
groups["y2"] = (
    np.sin(2 * groups["x"]) * np.cos(3 * groups["z"]) + group_effects + rng.normal(0, 0.2, n_rows)
)
surface_model = bayesml.Model("y2 ~ t2(x, z) + (1 | g)", groups)
surface_fit = surface_model.fit("hlik")
print(surface_model.describe(surface_fit).split("Priors:")[0])

# %%
surface_figure = bayesml.plots.smooths(surface_fit, model=surface_model)

# %%
x_grid, z_grid = np.meshgrid(np.linspace(0, 1, 50), np.linspace(0, 1, 50))
true_surface = np.sin(2 * x_grid) * np.cos(3 * z_grid)
true_surface -= (np.sin(2 * groups["x"]) * np.cos(3 * groups["z"])).mean()  # centred, as the smooth
fitted_norm = surface_figure.axes[0].collections[0].norm  # the fitted panel's colour scale
figure, ax = plt.subplots(figsize=(4.2, 3.3), layout="constrained")
filled = ax.contourf(x_grid, z_grid, true_surface, levels=15, cmap="RdBu_r", norm=fitted_norm)
figure.colorbar(filled, ax=ax, pad=0.02)
ax.set(xlabel="x", ylabel="z")
ax.set_title("the truth, centred over the data", fontsize="medium");

# %% [markdown]
# The fitted surface (the contour of its estimate, with the data points) has the shape of the
# truth (below it, on the same colour scale): positive at small z rising with x, negative at
# large z.
#
# ## 4. Priors for smooth SDs, and what EDF means
#
# **The prior key** of a smooth's SD is `sd_s(x)` (`sd_s(x):treatmentdose` for a level of a `by`
# smooth, `sd_t2(x,z)_x` and so on for a `t2`): more specific than `sd`, which sets every SD at
# once. `describe()` lists each with where it came from. The default is that of every SD:
# `half_t(3, 2.5·mad(y))` for a gaussian response, `half_t(3, 2.5)` on the link scale otherwise —
# brms does the same for its `sds` class. It is weakly informative, and the sleepstudy posterior
# above showed its one cost: it does not pull a smooth toward a straight line. A prior with less
# mass far from zero, such as a half-normal, does:

# %%
tight_model = bayesml.Model(
    "Reaction ~ s(Days, k=5) + (1 | Subject)",
    sleepstudy,
    priors={"sd_s(Days)": {"dist": "half_normal", "sigma": 10}},
)
print(tight_model.describe().split("Priors:")[1])
tight_posterior = tight_model.sample(sampler_kwargs={"target_accept": 0.95}, **SAMPLING)
bayesml.compare(sleep_posterior, tight_posterior, names=["default half_t", "half_normal(10)"]).table

# %%
print(tight_model.describe(tight_posterior).split("Priors:")[0].splitlines()[-1])

# %% [markdown]
# The smooth SD's posterior moves toward zero and the EDF toward 1; with the curvature held down,
# the posterior SD of the linear part halves, and the SDs of the subjects and the residuals stay
# where they were. How
# large is "large" for a smooth's SD? Its penalised coefficients multiply basis functions scaled
# by mgcv's `smooth2random`, so the SD is not in units of the response; judge a prior by the
# curves it allows (sample with a fixed SD, or look at `plots.smooths(..., draws=20)` as above),
# not by its number.
#
# **EDF** (mgcv's `edf`): a smooth with k basis functions and one sum-to-zero constraint has at
# most k − 1 degrees of freedom; the penalty shrinks the wiggly directions, and the EDF counts
# how many survive — the trace of the smooth's block of the hat matrix, `(CᵀWC + P)⁻¹CᵀWC`. EDF 1
# is a straight line (the null space alone; `sd_s(x)` at 0), EDF k − 1 the unpenalised
# regression spline. It is a property of the SDs: for a point fit at their estimates, for a
# posterior at their posterior means (a summary, not a posterior of the EDF). A smooth whose EDF
# is near k − 1 wants a larger `k`.
#
# ## From mgcv, gamm4 and brms
#
# | what | mgcv / gamm4 | brms | bayesml |
# |---|---|---|---|
# | smooth, thin plate | `s(x)` | `s(x)` | `s(x)` |
# | basis, dimension | `s(x, bs = "cr", k = 5)` | `s(x, bs = "cr", k = 5)` | `s(x, bs="cr", k=5)` |
# | smooth per level | `s(x, by = f)` (+ `f`) | `s(x, by = f)` (+ `f`) | `s(x, by=f)` (+ `f`) |
# | two covariates | `s(x, z)`, `t2(x, z)` | `s(x, z)`, `t2(x, z)` | `s(x, z)`, `t2(x, z)` |
# | random intercept | `s(g, bs = "re")`; gamm4 `random = ~ (1 \| g)` | `(1 \| g)` | `(1 \| g)` or `s(g, bs="re")` |
# | REML fit (gaussian) | `gamm4(y ~ s(x), random = ~ (1 \| g))` | — | `Model(...).fit("hlik")` |
# | GLMM fit | `gamm4(..., family = poisson)` | — | `Model(..., family="poisson").fit("laplace")` |
# | Bayesian fit | — | `brm(y ~ s(x) + (1 \| g))` | `Model(...).sample()` (`"nuts"`, `"gibbs"`) |
# | smooth's SD | `sigma/sqrt(sp)`; `VarCorr(fit$mer)` row `Xr` | `sds_sx_1` | `sd_s(x)`; `varcorr` row `s(x) (smooth)` |
# | its prior | — | `prior(..., class = sds)` | `priors={"sd_s(x)": ...}` |
# | EDF | `summary(fit$gam)$edf` | — | `model.describe(result)` |
# | plot the smooths | `plot(fit$gam)` | `conditional_smooths(fit)` | `plots.smooths(result, model=model)` |
# | effects on the response | `vis.gam`, `predict` | `conditional_effects(fit)` | `plots.conditional_effects(result, model=model)` |
# | population-level curve | `predict(fit$gam, newdata)` | `posterior_epred(fit, newdata, re_formula = NA)` | `model.predict(result, grid, include_random_effects=False)` |
