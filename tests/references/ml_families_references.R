# Maximum-likelihood references for the families and responses of bayesml's method="laplace"
# that tests/references/ml_references.R (lme4 on lme4's data) and glmmtmb_references.R do not
# cover (issue 13). Run from the repository root:
#   Rscript tests/references/ml_families_references.R
# Writes tests/references/ml_families_references.json next to this script (data included, so the
# tests need no R).
#
# Small data simulated here with R's RNG (seeded; rounded to 4 decimals, which the fits use):
# * gamma (log link): glmmTMB's Gamma(link = "log") — TMB's Laplace with the exact Hessian, where
#   bayesml's gamma uses the expected information (glmer's choice), so the two Laplace fits differ
#   slightly; and the exact maximum likelihood of the same model, each group's integral by
#   integrate() (maximised by nlminb), the reference of bayesml's method="agq" with many nodes.
# * beta (logit): glmmTMB's beta_family(); sigma(fit) is the precision phi = bayesml's kappa.
# * student_t (identity): glmmTMB's t_family(); sigma(fit) = sigma, df = exp(psi) = bayesml's nu.
# * lognormal: lmer(log(y) ~ ..., REML = FALSE), whose log-likelihood minus sum(log y) is that of
#   y (the Gaussian model is exact, lognormal's likelihood is its Jacobian away).
# * negative binomial with a correlated random slope: glmmTMB nbinom2, (1 + x | g).
# * binomial with nested factors, cbind(y, n - y) ~ x + (1 | a/b): glmer (Laplace).
# * Poisson with an offset, y ~ x + offset(log(t)) + (1 | g): glmer.
# * Gaussian with prior (precision) weights: lmer(REML = FALSE, weights = w).
suppressPackageStartupMessages({
  library(lme4)
  library(glmmTMB)
  library(jsonlite)
})

column <- function(table, name) setNames(as.list(table[, name]), rownames(table))
rename <- function(x) {
  names(x)[names(x) == "(Intercept)"] <- "Intercept"
  x
}
fixef_of <- function(table) {
  list(estimate = rename(column(table, "Estimate")), se = rename(column(table, "Std. Error")))
}
sd_of <- function(vc) {
  out <- list()
  for (group in names(vc)) {
    sds <- attr(vc[[group]], "stddev")
    names(sds)[names(sds) == "(Intercept)"] <- "Intercept"
    out[[group]] <- as.list(sds)
  }
  out
}

groups <- function(n_groups, each) factor(sprintf("g%02d", rep(seq_len(n_groups), each = each)))

# -- gamma, log link ---------------------------------------------------------------------------
set.seed(20261301)
g <- groups(30, 8)
x <- round(rnorm(length(g)), 4)
u <- rnorm(30, 0, 0.5)
y <- round(rgamma(length(g), shape = 3, rate = 3 / exp(0.5 + 0.4 * x + u[as.integer(g)])), 4)
gamma_data <- data.frame(y = y, x = x, g = g)
gamma_tmb <- glmmTMB(y ~ x + (1 | g), family = Gamma(link = "log"), data = gamma_data)
# exact ML: the integral over each group's intercept by integrate()
gamma_exact_deviance <- function(par) {
  beta <- par[1:2]; sd <- exp(par[3]); shape <- exp(par[4])
  eta <- beta[1] + beta[2] * gamma_data$x
  total <- 0
  for (level in levels(gamma_data$g)) {
    rows <- gamma_data$g == level
    log_f <- function(v) sum(dgamma(gamma_data$y[rows], shape = shape,
                                     rate = shape / exp(eta[rows] + v), log = TRUE)) +
      dnorm(v, 0, sd, log = TRUE)
    # centred at the mode, over 15 local SDs either side (beyond: below 1e-40 of the peak)
    mode <- optimize(log_f, c(-10, 10), maximum = TRUE, tol = 1e-10)$maximum
    spread <- 1 / sqrt(shape * sum(rows) + 1 / sd^2)
    peak <- log_f(mode)
    f <- function(b) sapply(b, function(v) exp(log_f(v) - peak))
    value <- integrate(f, mode - 15 * spread, mode + 15 * spread, rel.tol = 1e-12,
                       abs.tol = 0, subdivisions = 1000L)$value
    total <- total + log(value) + peak
  }
  -2 * total
}
start <- c(fixef(gamma_tmb)$cond, log(attr(VarCorr(gamma_tmb)$cond$g, "stddev")),
           log(1 / sigma(gamma_tmb)^2))
exact <- nlminb(start, gamma_exact_deviance, control = list(rel.tol = 1e-12, eval.max = 1000L, iter.max = 500L))
stopifnot(exact$convergence == 0)
gamma_ref <- list(
  data = as.list(gamma_data), formula = "y ~ x + (1 | g)",
  glmmtmb = list(
    fixef = fixef_of(summary(gamma_tmb)$coefficients$cond), sd = sd_of(VarCorr(gamma_tmb)$cond),
    alpha = 1 / sigma(gamma_tmb)^2,  # glmmTMB's sigma of Gamma is the CV, 1/sqrt(shape)
    logLik = as.numeric(logLik(gamma_tmb))
  ),
  exact = list(
    fixef = list(estimate = list(Intercept = exact$par[1], x = exact$par[2])),
    sd = list(g = list(Intercept = exp(exact$par[3]))), alpha = exp(exact$par[4]),
    logLik = -0.5 * exact$objective, message = exact$message
  )
)

# -- beta, logit link --------------------------------------------------------------------------
set.seed(20261302)
g <- groups(30, 8)
x <- round(rnorm(length(g)), 4)
u <- rnorm(30, 0, 0.6)
mu <- plogis(-0.3 + 0.7 * x + u[as.integer(g)])
y <- round(rbeta(length(g), mu * 12, (1 - mu) * 12), 4)
y <- pmin(pmax(y, 1e-4), 1 - 1e-4)
beta_data <- data.frame(y = y, x = x, g = g)
beta_tmb <- glmmTMB(y ~ x + (1 | g), family = beta_family(), data = beta_data)
beta_ref <- list(
  data = as.list(beta_data), formula = "y ~ x + (1 | g)",
  fixef = fixef_of(summary(beta_tmb)$coefficients$cond), sd = sd_of(VarCorr(beta_tmb)$cond),
  kappa = sigma(beta_tmb), logLik = as.numeric(logLik(beta_tmb))
)

# -- Student-t, identity link ------------------------------------------------------------------
set.seed(20261303)
g <- groups(30, 8)
x <- round(rnorm(length(g)), 4)
u <- rnorm(30, 0, 1)
y <- round(2 + 0.8 * x + u[as.integer(g)] + 0.7 * rt(length(g), df = 4), 4)
t_data <- data.frame(y = y, x = x, g = g)
t_tmb <- glmmTMB(y ~ x + (1 | g), family = t_family(), data = t_data)
t_ref <- list(
  data = as.list(t_data), formula = "y ~ x + (1 | g)",
  fixef = fixef_of(summary(t_tmb)$coefficients$cond), sd = sd_of(VarCorr(t_tmb)$cond),
  sigma = sigma(t_tmb), nu = exp(unname(t_tmb$fit$par["psi"])),
  logLik = as.numeric(logLik(t_tmb))
)

# -- lognormal through lmer on log(y) ----------------------------------------------------------
set.seed(20261304)
g <- groups(25, 6)
x <- round(rnorm(length(g)), 4)
u <- rnorm(25, 0, 0.5)
y <- round(exp(1 + 0.5 * x + u[as.integer(g)] + rnorm(length(g), 0, 0.4)), 4)
lognormal_data <- data.frame(y = y, x = x, g = g)
lognormal_lmer <- lmer(log(y) ~ x + (1 | g), data = lognormal_data, REML = FALSE,
                       control = lmerControl(optimizer = "bobyqa",
                                             optCtrl = list(rhobeg = 0.2, rhoend = 1e-10)))
lognormal_ref <- list(
  data = as.list(lognormal_data), formula = "y ~ x + (1 | g)",
  fixef = fixef_of(summary(lognormal_lmer)$coefficients), sd = sd_of(VarCorr(lognormal_lmer)),
  sigma = sigma(lognormal_lmer),
  logLik = as.numeric(logLik(lognormal_lmer)) - sum(log(lognormal_data$y))
)

# -- negative binomial with a correlated random slope ------------------------------------------
set.seed(20261305)
g <- groups(40, 10)
x <- round(rnorm(length(g)), 4)
L <- chol(matrix(c(0.25, 0.06, 0.06, 0.09), 2))
u <- matrix(rnorm(80), 40) %*% L
y <- rnbinom(length(g), size = 3, mu = exp(1 + 0.4 * x + u[as.integer(g), 1] +
                                              u[as.integer(g), 2] * x))
nb_data <- data.frame(y = y, x = x, g = g)
nb_tmb <- glmmTMB(y ~ x + (1 + x | g), family = nbinom2, data = nb_data)
nb_vc <- VarCorr(nb_tmb)$cond$g
nb_ref <- list(
  data = as.list(nb_data), formula = "y ~ x + (1 + x | g)",
  fixef = fixef_of(summary(nb_tmb)$coefficients$cond), sd = sd_of(VarCorr(nb_tmb)$cond),
  corr = attr(nb_vc, "correlation")[1, 2], alpha = sigma(nb_tmb),
  logLik = as.numeric(logLik(nb_tmb))
)

# -- binomial, nested factors, cbind -----------------------------------------------------------
set.seed(20261306)
a <- factor(sprintf("a%d", rep(1:8, each = 12)))
b <- factor(sprintf("b%d", rep(rep(1:4, each = 3), 8)))  # 4 b's within each a, 3 rows each
x <- round(rnorm(length(a)), 4)
ua <- rnorm(8, 0, 0.7)
ab <- interaction(a, b, drop = TRUE)
uab <- rnorm(nlevels(ab), 0, 0.4)
n <- sample(5:15, length(a), replace = TRUE)
y <- rbinom(length(a), n, plogis(-0.2 + 0.6 * x + ua[as.integer(a)] + uab[as.integer(ab)]))
nested_data <- data.frame(y = y, n = n, x = x, a = a, b = b)
nested_glmer <- glmer(cbind(y, n - y) ~ x + (1 | a/b), family = binomial, data = nested_data,
                      control = glmerControl(optimizer = "bobyqa",
                                             optCtrl = list(rhoend = 1e-10, maxfun = 1e5)))
nested_ref <- list(
  data = as.list(nested_data), formula_r = "cbind(y, n - y) ~ x + (1 | a/b)",
  fixef = fixef_of(summary(nested_glmer)$coefficients), sd = sd_of(VarCorr(nested_glmer)),
  logLik = as.numeric(logLik(nested_glmer))
)

# -- Poisson with an offset --------------------------------------------------------------------
set.seed(20261307)
g <- groups(20, 8)
x <- round(rnorm(length(g)), 4)
t <- round(runif(length(g), 0.5, 5), 4)
u <- rnorm(20, 0, 0.5)
y <- rpois(length(g), t * exp(0.3 + 0.5 * x + u[as.integer(g)]))
offset_data <- data.frame(y = y, x = x, t = t, g = g)
offset_glmer <- glmer(y ~ x + offset(log(t)) + (1 | g), family = poisson, data = offset_data,
                      control = glmerControl(optimizer = "bobyqa",
                                             optCtrl = list(rhoend = 1e-10, maxfun = 1e5)))
offset_ref <- list(
  data = as.list(offset_data), formula = "y ~ x + offset(log(t)) + (1 | g)",
  fixef = fixef_of(summary(offset_glmer)$coefficients), sd = sd_of(VarCorr(offset_glmer)),
  logLik = as.numeric(logLik(offset_glmer))
)

# -- Gaussian with precision weights -----------------------------------------------------------
set.seed(20261308)
g <- groups(20, 6)
x <- round(rnorm(length(g)), 4)
w <- round(runif(length(g), 0.5, 3), 4)
u <- rnorm(20, 0, 0.8)
y <- round(1 + 0.5 * x + u[as.integer(g)] + rnorm(length(g), 0, 0.6) / sqrt(w), 4)
weights_data <- data.frame(y = y, x = x, w = w, g = g)
weights_lmer <- lmer(y ~ x + (1 | g), data = weights_data, weights = w, REML = FALSE,
                     control = lmerControl(optimizer = "bobyqa",
                                           optCtrl = list(rhobeg = 0.2, rhoend = 1e-10)))
weights_ref <- list(
  data = as.list(weights_data), formula = "y ~ x + (1 | g)",
  fixef = fixef_of(summary(weights_lmer)$coefficients), sd = sd_of(VarCorr(weights_lmer)),
  sigma = sigma(weights_lmer), logLik = as.numeric(logLik(weights_lmer))
)

out <- list(
  generated_by = "tests/references/ml_families_references.R",
  R = R.version.string,
  lme4 = as.character(packageVersion("lme4")),
  glmmTMB = as.character(packageVersion("glmmTMB")),
  gamma = gamma_ref,
  beta = beta_ref,
  student_t = t_ref,
  lognormal = lognormal_ref,
  negative_binomial_slope = nb_ref,
  binomial_nested = nested_ref,
  poisson_offset = offset_ref,
  gaussian_weights = weights_ref
)
write_json(out, "tests/references/ml_families_references.json", auto_unbox = TRUE, digits = NA,
           pretty = TRUE)
