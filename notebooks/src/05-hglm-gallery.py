# %% [markdown]
# # 05 — The hglm gallery
#
# The examples of R's `hglm` package (Rönnegård, Shen & Alam 2010, *The R Journal* 2(2); the
# hglm 2.x vignette), reproduced with bayesml's **h-likelihood** backend — Lee & Nelder's
# hierarchical GLMs fitted by the EQL algorithm of `hglm` — and, where the model can be written as
# a Bayesian one, beside a NUTS fit of the same spec:
#
# | data | model | Bayesian fit |
# |---|---|---|
# | bacteria | binomial GLMM, random intercept per child | `models/bacteria.yaml` |
# | seeds | binomial, Beta random effect per plate | `models/seeds.yaml` (normal random effect on the logit scale) |
# | pump | Poisson with exposure offset, Gamma random effect | `models/pump.yaml` (normal random effect on the log scale) |
# | semiconductor | gamma GLMM with a model for the dispersion | `models/semiconductor.yaml` (constant dispersion) |
# | salamander | binomial, crossed random effects (female, male) | the same formula |
# | QTLMAS | linear mixed model with a known relationship matrix | none (the animal design is given as a matrix) |
#
# Every number below that `hglm`'s documentation prints is printed next to ours. With
# `BAYESML_QUICK=1` (the test suite) the Bayesian fits use short chains.

# %%
import os

import numpy as np
import pandas as pd

import bayesml

QUICK = os.environ.get("BAYESML_QUICK") == "1"
SAMPLING = (
    dict(draws=200, tune=300, chains=2, random_seed=1)
    if QUICK
    else dict(draws=1000, tune=1000, chains=4, random_seed=1)
)
pd.set_option("display.precision", 4)


def side_by_side(ours, published, index):
    """A small table: bayesml's estimates beside the numbers hglm's documentation prints."""
    return pd.DataFrame({"bayesml": np.asarray(ours, dtype=float), "hglm 2.2-1": published}, index=index)


# %% [markdown]
# ## Bacteria: binomial GLMM
#
# Presence of *H. influenzae* in 50 children at up to five visits; a random intercept per child.
# As in `hglm`, the dispersion φ is estimated (a quasi-likelihood fit); `dispersion=1` fixes it.

# %%
bacteria_fit = bayesml.hglm("y ~ week + (1 | ID)", "bacteria", family="binomial")
print(bacteria_fit.summary())

# %%
side_by_side(
    [*bacteria_fit.fixef["estimate"], bacteria_fit.phi.value, bacteria_fit.lambda_values["ID"]],
    [2.30216, -0.13510, 0.7581, 1.613],
    ["(Intercept)", "week", "phi", "lambda (ID)"],
)

# %% [markdown]
# The h-likelihood diagnostics, `bayesml.plots.hlik_diagnostics`: standardised deviance
# residuals against fitted values, their normal QQ plot, and a normal QQ plot of the random
# effects v/√λ (`bacteria_fit.diagnostics()` has the deviance and leverage of every row).

# %%
bayesml.plots.hlik_diagnostics(bacteria_fit);

# %% [markdown]
# The Bayesian fit of the same model (`models/bacteria.yaml`, bayesml's default priors: weakly
# informative Cauchy priors on the coefficients, a half-normal prior on the SD). `bayesml.compare`
# lines the estimates up by name; the h-likelihood λ is the variance of the random intercepts, so
# it appears as the SD √λ.

# %%
bacteria_model = bayesml.Model.from_spec("../models/bacteria.yaml")
bacteria_posterior = bacteria_model.sample(**SAMPLING)
bayesml.compare(
    bacteria_posterior,
    bacteria_model.fit(method="hlik", dispersion=1),
    bacteria_model.fit(method="hlik", dispersion=1, estimation="EQL1"),
    names=["nuts", "hlik EQL (φ = 1)", "hlik EQL1 (φ = 1)"],
).table

# %% [markdown]
# The posterior sits near the maximum-likelihood fit (lme4's Laplace approximation: 2.555, −0.144,
# SD 1.29). For binary data with few observations per child, EQL — a first-order approximation to
# the marginal likelihood — shrinks the coefficients and the SD toward zero, which is what Lee &
# Nelder's HL(1,1) correction (`estimation="EQL1"`) is for: it moves the estimates toward the
# likelihood answer.
#
# ## Seeds: binomial with a Beta random effect
#
# Germinated seeds `r` of `n` on 21 plates, two seed varieties by two root extracts. `hglm` puts a
# Beta random effect on the plate's probability (a conjugate HGLM); φ is fixed at 1.

# %%
seeds_fit = bayesml.hglm(
    'r/n ~ extract * I(seed == "O73") + (1 | plate)',
    "seeds",
    family="binomial",
    weights="n",
    random_family="beta",
    dispersion=1,
)
side_by_side(
    [*seeds_fit.fixef["estimate"], seeds_fit.lambda_values["plate"]],
    [-0.54240, 1.33916, 0.07651, -0.82567, 0.02442],
    [*seeds_fit.fixef.index, "lambda (plate)"],
)

# %% [markdown]
# The Bayesian spec uses a normal random intercept on the logit scale instead (the usual GLMM).
# Its fixed effects are comparable; its SD is on the logit scale, not the Beta λ, so we compare
# the coefficients only.

# %%
seeds_model = bayesml.Model.from_spec("../models/seeds.yaml")
seeds_posterior = seeds_model.sample(**SAMPLING)
bayesml.compare(seeds_posterior, seeds_fit, names=["nuts (normal RE)", "hlik (Beta RE)"]).table.filter(like="beta", axis=0)

# %% [markdown]
# ## Pump failures: Poisson with a Gamma random effect

# %%
pump_fit = bayesml.hglm(
    "S ~ factor(Gr) + (1 | System) + offset(log(t))",
    "pump",
    family="poisson",
    random_family="gamma",
    dispersion=1,
)
side_by_side(
    [*pump_fit.fixef["estimate"], pump_fit.lambda_values["System"], pump_fit.hlik, pump_fit.cAIC],
    [0.07479, -1.66527, 1.047, -30.72315, 51.47419],
    [*pump_fit.fixef.index, "lambda (System)", "h-likelihood", "cAIC"],
)

# %% [markdown]
# The Bayesian spec puts a normal random intercept on the log rate. The Gamma random effect of
# `hglm` has mean 1 on the rate scale, the normal one mean 0 on the log scale, so the two
# intercepts are not the same quantity (they differ by about the mean of log v); the pump-group
# effect is comparable.

# %%
pump_model = bayesml.Model.from_spec("../models/pump.yaml")
pump_posterior = pump_model.sample(**SAMPLING)
bayesml.summary(pump_posterior)

# %% [markdown]
# ## Semiconductor: gamma GLMM with a dispersion model
#
# The curvature of 16 devices, 4 measurements each. `hglm` models log φ with its own linear
# predictor, `~ x2 + x3`.

# %%
semiconductor_fit = bayesml.hglm(
    "y ~ x1 + x3 + x5 + x6 + (1 | Device)",
    "semiconductor",
    family="gamma",
    link="log",
    dispersion_formula="~ x2 + x3",
)
side_by_side(
    [*semiconductor_fit.fixef["estimate"], *semiconductor_fit.phi.coef["estimate"], semiconductor_fit.lambda_values["Device"]],
    [-4.71168, 0.20979, 0.32893, -0.17314, -0.35690, -2.5887, -0.6861, -0.5024, 0.0486],
    [*semiconductor_fit.fixef.index, "phi: (Intercept)", "phi: x2", "phi: x3", "lambda (Device)"],
)

# %%
bayesml.plots.hlik_diagnostics(semiconductor_fit);

# %% [markdown]
# The Bayesian spec has one gamma shape for all rows (no dispersion model), so only the mean
# model's coefficients are comparable.

# %%
semiconductor_model = bayesml.Model.from_spec("../models/semiconductor.yaml")
semiconductor_posterior = semiconductor_model.sample(**SAMPLING)
bayesml.compare(semiconductor_posterior, semiconductor_fit, names=["nuts", "hlik"]).table.filter(like="beta", axis=0)

# %% [markdown]
# ## Salamander mating: crossed random effects
#
# Whether each female–male pair mated, by the animals' populations (rough-butt R, whiteside W),
# with crossed random effects for the female and the male. `hglm`'s vignette result was printed at
# a convergence tolerance of 1e-8, so we use it too.

# %%
salamander_fit = bayesml.hglm(
    "Mate ~ TypeF * TypeM + (1 | Female) + (1 | Male)",
    "salamander_mating",
    family="binomial",
    tol=1e-8,
)
side_by_side(
    [*salamander_fit.fixef["estimate"], salamander_fit.phi.value, salamander_fit.lambda_values["Female"], salamander_fit.lambda_values["Male"]],
    [0.7881, -2.2903, -0.5410, 2.8208, 0.9954, 0.7245, 0.6402],
    [*salamander_fit.fixef.index, "phi", "lambda (Female)", "lambda (Male)"],
)

# %%
salamander_model = bayesml.Model(
    "Mate ~ TypeF * TypeM + (1 | Female) + (1 | Male)", "salamander_mating", family="bernoulli"
)
salamander_posterior = salamander_model.sample(**SAMPLING)
comparison = bayesml.compare(
    salamander_posterior, salamander_model.fit(method="hlik", dispersion=1), names=["nuts", "hlik (φ = 1)"]
)
comparison.plot();

# %% [markdown]
# ## QTLMAS: a linear mixed model with a known relationship matrix
#
# One trait of 1000 animals from the QTLMAS 2009 workshop; the animal effects are correlated
# through the pedigree, and the data set carries the animal design already multiplied by the
# Cholesky factor of the relationship matrix (2025 columns). This is `hglm`'s matrix interface:
# `hglm(y=, X=, Z=)`.

# %%
qtlmas = bayesml.datasets.load("qtlmas")
Z = qtlmas[[f"Z{i}" for i in range(1, 2026)]].to_numpy(dtype=float)
y = qtlmas["P265"].to_numpy(dtype=float)
qtlmas_fit = bayesml.hglm(y=y, X=np.ones((y.size, 1)), Z=Z)
side_by_side(
    [qtlmas_fit.fixef["estimate"].iloc[0], qtlmas_fit.phi.value, qtlmas_fit.lambda_values["Random1"]],
    [7.28, 2.211, 1.503],
    ["(Intercept)", "phi (residual variance)", "lambda (animal variance)"],
)

# %% [markdown]
# `hglm`'s vignette stops after 2 iterations at its default tolerance; iterated to convergence the
# estimates are the REML ones (φ 2.046, λ 1.810), which bayesml reaches with
# `convergence="fixed_point"` (the default of `Model.fit(method="hlik")`; `bayesml.hglm` keeps
# hglm's stopping rule, as here). The heritability is λ / (λ + φ):

# %%
lam, phi = qtlmas_fit.lambda_values["Random1"], qtlmas_fit.phi.value
print(f"heritability at hglm's default tolerance: {lam / (lam + phi):.3f}")
