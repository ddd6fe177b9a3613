# Maximum-likelihood reference fits of lme4 for bayesml's Model.fit(method = "laplace" / "agq")
# (issue 13). Run from the repository root:  Rscript tests/references/ml_references.R
# Writes tests/references/ml_references.json next to this script; the tests read the JSON, so
# neither CI nor users need R.
#
# Every fit is keyed by bayesml's names, so a test compares without translating:
# * fixed effects by bayesml's coefficient labels ("Intercept", "week", "trt[drug]", "period[2]",
#   "I(week > 2)", "scale(HEIGHT)", "lbase:trt[progabide]"); `lme4_names` gives lme4's name of each
#   ("(Intercept)", "trtdrug", "I(week > 2)TRUE", ...). Factors get bayesml's level order (the
#   first level is the reference): bacteria's trt is placebo, drug, drug+ (R would sort it to
#   drug, drug+, placebo) and its response y is n/y with success "y", as bayesml codes them.
# * random-effect SDs and correlations by bayesml's group and term names ("ID" / "Intercept",
#   "Subject" / "Days", nested `(1 | batch/cask)`: lme4's group "cask:batch" is bayesml's
#   "batch:cask", and lme4's level "a:A" is bayesml's "A:a").
# * conditional modes (lme4's ranef, on the scale of the effects: b, not the spherical u) and their
#   conditional SDs (the square roots of the diagonal of ranef(fit, condVar = TRUE)'s postVar) for
#   the first five levels of each group in bayesml's level order (natural order: "X01", "X02", ...;
#   herd "1", "2", ...).
#
# The binomial constant at nAGQ > 1. lme4's Laplace deviance (nAGQ = 1) is -2 times the full
# log-likelihood, with the binomial coefficients log C(n, y) (it sums the family's aic()).
# Its adaptive Gauss-Hermite deviance (nAGQ > 1) sums deviance residuals instead, which leave out
# the log-likelihood of the saturated model, sum log dbinom(y, n, y / n): at nAGQ > 1
#   logLik (as lme4 prints it) = full log-likelihood - saturated log-likelihood,
# and the deviance that summary() prints (-2 logLik) is the same quantity times -2. For 0/1 data (bacteria)
# the saturated log-likelihood is 0 and the two agree; for cbpp it is not. Each AGQ fit records
# `logLik` and `deviance` as lme4 prints them, `saturated_logLik`, and `logLik_full` (= logLik +
# saturated_logLik, the log-likelihood with the binomial constant, comparable with the Laplace
# fits). Every binomial fit with one scalar grouping factor also records `logLik_integrate`: the
# marginal log-likelihood at lme4's estimates by R's integrate() per group (full constant; for a
# check of the quadrature independent of lme4).
suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})

data_dir <- "bayesml/datasets/data"
read <- function(name) read.csv(file.path(data_dir, paste0(name, ".csv")), stringsAsFactors = TRUE)

#: lme4's fixed-effect name -> bayesml's label; names not listed are the same in both
fixed_labels <- c(
  "(Intercept)" = "Intercept",
  "trtdrug" = "trt[drug]", "trtdrug+" = "trt[drug+]", "I(week > 2)TRUE" = "I(week > 2)",
  "period2" = "period[2]", "period3" = "period[3]", "period4" = "period[4]",
  "trtprogabide" = "trt[progabide]", "lbase:trtprogabide" = "lbase:trt[progabide]",
  "YEAR96" = "YEAR[96]", "YEAR97" = "YEAR[97]"
)
bayesml_label <- function(name) ifelse(name %in% names(fixed_labels), fixed_labels[name], name)
#: lme4's group name -> bayesml's
group_labels <- c("cask:batch" = "batch:cask")
bayesml_group <- function(name) ifelse(name %in% names(group_labels), group_labels[name], name)
#: lme4's level of a nested group ("a:A", inner:outer) -> bayesml's ("A:a", outer:inner)
bayesml_level <- function(group, level) {
  if (!grepl(":", group)) return(level)
  vapply(strsplit(level, ":", fixed = TRUE), function(p) paste(rev(p), collapse = ":"), "")
}
term_label <- function(term) ifelse(term == "(Intercept)", "Intercept", term)

warnings_of <- function(expr) {
  caught <- character()
  value <- withCallingHandlers(expr, warning = function(w) {
    caught <<- c(caught, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  list(value = value, warnings = caught)
}

fixed <- function(fit) {
  table <- summary(fit)$coefficients
  labels <- bayesml_label(rownames(table))
  list(
    estimate = as.list(setNames(table[, "Estimate"], labels)),
    se = as.list(setNames(table[, "Std. Error"], labels)),
    lme4_names = as.list(setNames(rownames(table), labels))
  )
}

varcorr <- function(fit) {
  vc <- as.data.frame(VarCorr(fit))
  vc <- vc[vc$grp != "Residual", ]
  sd <- list()
  corr <- list()
  for (i in seq_len(nrow(vc))) {
    group <- bayesml_group(vc$grp[i])
    if (is.na(vc$var2[i])) {
      sd[[group]][[term_label(vc$var1[i])]] <- vc$sdcor[i]
    } else {
      pair <- paste(term_label(vc$var1[i]), term_label(vc$var2[i]), sep = ":")
      corr[[group]][[pair]] <- vc$sdcor[i]
    }
  }
  list(sd = sd, corr = if (length(corr)) corr else setNames(list(), character()))
}

conditional_modes <- function(fit, n_levels = 5) {
  effects <- ranef(fit, condVar = TRUE)
  out <- list()
  for (group in names(effects)) {
    frame <- effects[[group]]
    post <- attr(frame, "postVar")
    if (is.list(post)) post <- post[[1]]  # lme4 >= 1.1-30 may keep a list per term block
    levels <- bayesml_level(group, rownames(frame))
    # bayesml's natural level order (numbers numerically, text alphabetically)
    numeric <- suppressWarnings(as.numeric(levels))
    order_ <- if (!anyNA(numeric)) order(numeric) else order(levels)
    keep <- order_[seq_len(min(n_levels, length(levels)))]
    mode <- list()
    condsd <- list()
    for (j in seq_along(frame)) {
      term <- term_label(names(frame)[j])
      mode[[term]] <- frame[keep, j]
      condsd[[term]] <- sqrt(post[j, j, keep])
    }
    out[[bayesml_group(group)]] <- list(levels = levels[keep], mode = mode, condsd = condsd)
  }
  out
}

convergence <- function(fit, caught) {
  info <- fit@optinfo
  list(
    optimizer = info$optimizer,
    code = info$conv$opt,
    lme4_messages = as.list(info$conv$lme4$messages),
    warnings = as.list(caught),
    feval = info$feval
  )
}

summarise <- function(b, data_name, formula_bayesml, family) {
  fit <- b$value
  caught <- b$warnings
  ll <- logLik(fit)
  n_groups <- as.list(ngrps(fit))
  names(n_groups) <- bayesml_group(names(n_groups))
  c(
    list(
      data = data_name,
      formula_lme4 = paste(deparse(formula(fit), width.cutoff = 500L), collapse = " "),
      formula_bayesml = formula_bayesml,
      family = family,
      method = if (isLMM(fit)) (if (isREML(fit)) "REML" else "ML") else
        (if (fit@devcomp$dims[["nAGQ"]] > 1) "AGQ" else "Laplace"),
      nAGQ = if (isLMM(fit)) NA else fit@devcomp$dims[["nAGQ"]],
      REML = isREML(fit)
    ),
    list(fixef = fixed(fit)),
    varcorr(fit),
    list(
      sigma = if (family == "gaussian") sigma(fit) else NA,
      logLik = as.numeric(ll),
      df = attr(ll, "df"),
      # as summary() prints it: -2 logLik (at nAGQ > 1 without the saturated binomial part)
      deviance = if (isREML(fit)) NA else summary(fit)$AICtab[["deviance"]],
      # lme4's deviance() of a GLMM: the sum of squared deviance residuals at the modes
      deviance_residuals = if (isLMM(fit)) NA else deviance(fit),
      REMLcrit = if (isREML(fit)) REMLcrit(fit) else NA,
      AIC = AIC(fit),
      BIC = BIC(fit),
      nobs = nobs(fit),
      ngrps = n_groups,
      isSingular = isSingular(fit),
      ranef = conditional_modes(fit),
      convergence = convergence(fit, caught),
      default_control = b$default
    )
  )
}

# The reference fits use bobyqa with tight tolerances (rhoend 1e-12, PIRLS tolPwrss 1e-12), so that
# they are the optimum to ~1e-6 rather than where lme4's default stopping rule happened to stop:
# with the default controls (bobyqa for the first stage, Nelder-Mead for the second) epil's
# logLik is 3e-3 lower and its coefficients differ by up to 4e-4, more than the tolerances of the
# tests (checked against nlminb at rel.tol 1e-12 to 1e-14: the tight fits agree with it to 1e-5
# or better in the coefficients and SDs, and to 2e-9 in logLik).
# Each fit also records `default_control`: the same model with lme4's default controls (what a
# user sees at the console), its optimizer, return code, warnings and estimates.
tight_glmer <- glmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5),
                            tolPwrss = 1e-12)
tight_lmer <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))

default_summary <- function(fit, caught) {
  c(list(fixef = fixed(fit)$estimate), varcorr(fit),
    list(sigma = if (isLMM(fit)) sigma(fit) else NA, logLik = as.numeric(logLik(fit)),
         convergence = convergence(fit, caught)))
}

fit_glmer <- function(formula, data, family, nAGQ = 1) {
  reference <- warnings_of(glmer(formula, data = data, family = family, nAGQ = nAGQ,
                                 control = tight_glmer))
  default <- warnings_of(glmer(formula, data = data, family = family, nAGQ = nAGQ))
  reference$default <- default_summary(default$value, default$warnings)
  reference
}
fit_lmer <- function(formula, data, REML) {
  reference <- warnings_of(lmer(formula, data = data, REML = REML, control = tight_lmer))
  default <- warnings_of(lmer(formula, data = data, REML = REML))
  reference$default <- default_summary(default$value, default$warnings)
  reference
}

# The binomial marginal log-likelihood of a random-intercept model at the fit's estimates, by
# integrate() over each group's effect (the full likelihood, with log C(n, y)).
integrate_binomial <- function(fit, successes, trials, group) {
  eta_fixed <- as.vector(model.matrix(fit) %*% fixef(fit))
  sd_ <- as.data.frame(VarCorr(fit))$sdcor[1]
  total <- 0
  for (g in unique(group)) {
    rows <- group == g
    integrand <- function(b) vapply(b, function(bi) {
      exp(sum(dbinom(successes[rows], trials[rows], plogis(eta_fixed[rows] + bi), log = TRUE)))
    }, 0) * dnorm(b, 0, sd_)
    total <- total + log(integrate(integrand, -Inf, Inf, rel.tol = 1e-12)$value)
  }
  total
}
saturated_binomial <- function(successes, trials) sum(dbinom(successes, trials, successes / trials, log = TRUE))

# --- the data, coded as bayesml.datasets.load codes them -------------------------------------
bacteria <- read("bacteria")
bacteria$y <- factor(bacteria$y, levels = c("n", "y"))  # success "y"
bacteria$trt <- factor(bacteria$trt, levels = c("placebo", "drug", "drug+"))
bacteria$ID <- factor(bacteria$ID)

cbpp <- read("cbpp")
cbpp$herd <- factor(cbpp$herd)
cbpp$period <- factor(cbpp$period)

epil <- read("epil")
epil$trt <- factor(epil$trt, levels = c("placebo", "progabide"))
epil$subject <- factor(epil$subject)
epil$obs <- factor(seq_len(nrow(epil)) - 1L)  # a row id as a Python user adds one: 0, 1, ...

grouseticks <- read("grouseticks")
for (column in c("INDEX", "BROOD", "YEAR", "LOCATION")) grouseticks[[column]] <- factor(grouseticks[[column]])

sleepstudy <- read("sleepstudy")
sleepstudy$Subject <- factor(sleepstudy$Subject)

data(Pastes, package = "lme4")
data(Dyestuff, package = "lme4")

fits <- list()

# --- glmer, Laplace -------------------------------------------------------------------------
# bacteria: the form of lme4_references.R, the h-likelihood tests and references.md
b <- fit_glmer(y ~ week + (1 | ID), bacteria, binomial)
fits$bacteria_laplace <- summarise(b, "bacteria", "y ~ week + (1 | ID)", "binomial")
fits$bacteria_laplace$logLik_integrate <- integrate_binomial(
  b$value, as.integer(bacteria$y == "y"), rep(1, nrow(bacteria)), bacteria$ID)

b <- fit_glmer(y ~ trt + I(week > 2) + (1 | ID), bacteria, binomial)
fits$bacteria_trt_laplace <- summarise(b, "bacteria",
                                       "y ~ trt + I(week > 2) + (1 | ID)", "binomial")
fits$bacteria_trt_laplace$logLik_integrate <- integrate_binomial(
  b$value, as.integer(bacteria$y == "y"), rep(1, nrow(bacteria)), bacteria$ID)

cbpp_formula <- cbind(incidence, size - incidence) ~ period + (1 | herd)
b <- fit_glmer(cbpp_formula, cbpp, binomial)
fits$cbpp_laplace <- summarise(b, "cbpp",
                               "cbind(incidence, size - incidence) ~ period + (1 | herd)", "binomial")
fits$cbpp_laplace$logLik_integrate <- integrate_binomial(b$value, cbpp$incidence, cbpp$size, cbpp$herd)

# epil: Breslow & Clayton's model with an observation-level effect, as
# tests/model/test_overdispersion.py and glmmtmb_references.R (obs: the row number from 0)
b <- fit_glmer(y ~ lbase * trt + lage + V4 + (1 | subject) + (1 | obs), epil, poisson)
fits$epil_laplace <- summarise(b, "epil",
                               "y ~ lbase * trt + lage + V4 + (1 | subject) + (1 | obs)", "poisson")
fits$epil_laplace$note <- "obs is a row id added to the data: obs = 0, 1, ..., 235 in row order"

b <- fit_glmer(TICKS ~ YEAR + scale(HEIGHT) + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION),
               grouseticks, poisson)
fits$grouseticks_laplace <- summarise(
  b, "grouseticks",
  "TICKS ~ YEAR + scale(HEIGHT) + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION)", "poisson")
fits$grouseticks_laplace$note <- "scale(HEIGHT): centred and divided by the sample SD (n - 1), in R and bayesml"

# --- glmer, adaptive Gauss-Hermite quadrature with 25 nodes ---------------------------------
b <- fit_glmer(y ~ week + (1 | ID), bacteria, binomial, nAGQ = 25)
fits$bacteria_agq25 <- summarise(b, "bacteria", "y ~ week + (1 | ID)", "binomial")
fits$bacteria_agq25$saturated_logLik <- saturated_binomial(as.integer(bacteria$y == "y"), rep(1, nrow(bacteria)))
fits$bacteria_agq25$logLik_full <- fits$bacteria_agq25$logLik + fits$bacteria_agq25$saturated_logLik
fits$bacteria_agq25$logLik_integrate <- integrate_binomial(
  b$value, as.integer(bacteria$y == "y"), rep(1, nrow(bacteria)), bacteria$ID)

b <- fit_glmer(cbpp_formula, cbpp, binomial, nAGQ = 25)
fits$cbpp_agq25 <- summarise(b, "cbpp",
                             "cbind(incidence, size - incidence) ~ period + (1 | herd)", "binomial")
fits$cbpp_agq25$saturated_logLik <- saturated_binomial(cbpp$incidence, cbpp$size)
fits$cbpp_agq25$logLik_full <- fits$cbpp_agq25$logLik + fits$cbpp_agq25$saturated_logLik
fits$cbpp_agq25$logLik_integrate <- integrate_binomial(b$value, cbpp$incidence, cbpp$size, cbpp$herd)

# --- lmer -----------------------------------------------------------------------------------
b <- fit_lmer(Reaction ~ Days + (Days | Subject), sleepstudy, TRUE)
fits$sleepstudy_reml <- summarise(b, "sleepstudy", "Reaction ~ Days + (Days | Subject)", "gaussian")
b <- fit_lmer(Reaction ~ Days + (Days | Subject), sleepstudy, FALSE)
fits$sleepstudy_ml <- summarise(b, "sleepstudy", "Reaction ~ Days + (Days | Subject)", "gaussian")
b <- fit_lmer(strength ~ 1 + (1 | batch/cask), Pastes, TRUE)
fits$pastes_reml <- summarise(b, "Pastes", "strength ~ 1 + (1 | batch/cask)", "gaussian")
b <- fit_lmer(Yield ~ 1 + (1 | Batch), Dyestuff, TRUE)
fits$dyestuff_reml <- summarise(b, "Dyestuff", "Yield ~ 1 + (1 | Batch)", "gaussian")

out <- list(
  generated_by = "tests/references/ml_references.R",
  R = R.version.string,
  lme4 = as.character(packageVersion("lme4")),
  notes = list(
    labels = paste("fixef, sd, corr, ngrps and ranef are keyed by bayesml's names;",
                   "fixef$lme4_names gives lme4's name of each coefficient"),
    corr = "corr is keyed 'term1:term2' within a group (lme4's order)",
    ranef = paste("conditional modes b (not u) and their conditional SDs from condVar, for the first",
                  "five levels of each group in bayesml's level order"),
    logLik = paste("Laplace and lmer: the full log-likelihood (REML: logLik is -REMLcrit/2, deviance NA).",
                   "nAGQ > 1: lme4's logLik and deviance omit the saturated binomial log-likelihood;",
                   "logLik_full = logLik + saturated_logLik is the full one.",
                   "logLik_integrate: the full marginal log-likelihood at lme4's estimates by integrate()"),
    sigma = "the residual SD for gaussian fits, NA otherwise",
    deviance = paste("deviance: as summary() prints it, -2 logLik (NA for REML; REMLcrit instead);",
                     "deviance_residuals: lme4's deviance() of a GLMM, the sum of squared deviance",
                     "residuals at the conditional modes (not -2 logLik)"),
    convergence = paste("optimizer, its return code (0: converged), lme4's convergence messages,",
                        "the warnings of the fit, and the number of function evaluations;",
                        "the reference fits use bobyqa with rhoend 1e-12 (and tolPwrss 1e-12 for",
                        "glmer); default_control is the same model with lme4's default controls")
  ),
  fits = fits,
  data = list(
    Pastes = list(strength = Pastes$strength, batch = as.character(Pastes$batch),
                  cask = as.character(Pastes$cask)),
    Dyestuff = list(Yield = Dyestuff$Yield, Batch = as.character(Dyestuff$Batch))
  )
)
write_json(out, "tests/references/ml_references.json", auto_unbox = TRUE, digits = NA,
           pretty = TRUE, na = "null")
