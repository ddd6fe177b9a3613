# Long brms/Stan runs of the wine model for bayesml's ordinal tests (issue 12 item 1).
# Run from the repository root:  Rscript tests/references/ordinal_brms.R
# Writes tests/references/ordinal_brms.json next to this script; the tests read the JSON, so
# neither CI nor users need R, brms or Stan (Debian: apt-get install r-cran-brms).
#
# Model: rating ~ temp + contact + (1 | judge) on the wine data bundled with bayesml
# (ordinal::wine), cumulative family with the logit and the probit link; convention of brms,
# ordinal::clmm and bayesml: P(rating <= k) = F(theta_k - eta).
#
# Priors, stated so that bayesml states the same ones (its keys in brackets):
#   b          normal(0, 5)                                  [fixed: normal(mu=0, sigma=5)]
#   Intercept  student_t(3, 0, 2.5) on each threshold,
#              thresholds ordered                            [cutpoints: student_t(nu=3, mu=0, sigma=2.5)]
#   sd         student_t(3, 0, 2.5) truncated at 0           [sd: half_t(nu=3, sigma=2.5)]
# brms centres the predictors by default, which puts the threshold prior on the thresholds of
# the centred model; center = FALSE puts it on the thresholds themselves, as bayesml does.
# 4 chains x 5000 draws after 2000 warm-up iterations, adapt_delta = 0.95.
suppressPackageStartupMessages({
  library(brms)
  library(jsonlite)
})

wine <- read.csv("bayesml/datasets/data/wine.csv", stringsAsFactors = TRUE)
wine$rating <- factor(wine$rating, levels = 1:5, ordered = TRUE)
wine$judge <- factor(wine$judge)

priors <- c(
  prior(normal(0, 5), class = "b"),
  prior(student_t(3, 0, 2.5), class = "Intercept"),
  prior(student_t(3, 0, 2.5), class = "sd")
)

# brms's parameter name -> bayesml's label
bayesml_name <- function(name) {
  switch(name,
    b_tempwarm = "beta[temp[warm]]",
    b_contactyes = "beta[contact[yes]]",
    sd_judge__Intercept = "sd_judge[Intercept]",
    sprintf("cutpoints[%s|%s]", sub("b_Intercept\\[(\\d+)\\]", "\\1", name),
            as.integer(sub("b_Intercept\\[(\\d+)\\]", "\\1", name)) + 1L)
  )
}

run <- function(link) {
  fit <- brm(
    bf(rating ~ temp + contact + (1 | judge), center = FALSE),
    data = wine, family = cumulative(link), prior = priors,
    chains = 4, cores = 4, iter = 7000, warmup = 2000, seed = 20261207,
    control = list(adapt_delta = 0.95), refresh = 0, silent = 2
  )
  draws <- as_draws_df(fit)
  names <- c("b_tempwarm", "b_contactyes", "sd_judge__Intercept",
             grep("^b_Intercept\\[", colnames(draws), value = TRUE))
  summary <- posterior::summarise_draws(
    posterior::subset_draws(posterior::as_draws_array(fit), variable = names),
    "mean", "sd", "mcse_mean", "ess_bulk", "rhat"
  )
  rows <- lapply(seq_len(nrow(summary)), function(i) {
    list(mean = summary$mean[i], sd = summary$sd[i], mcse_mean = summary$mcse_mean[i],
         ess_bulk = summary$ess_bulk[i], rhat = summary$rhat[i])
  })
  names(rows) <- vapply(summary$variable, bayesml_name, character(1))
  list(
    parameters = rows,
    divergences = sum(nuts_params(fit, pars = "divergent__")$Value),
    draws = nrow(draws)
  )
}

started <- Sys.time()
out <- list(
  generated_by = "tests/references/ordinal_brms.R",
  R = R.version.string,
  brms = as.character(packageVersion("brms")),
  rstan = as.character(packageVersion("rstan")),
  formula = "rating ~ temp + contact + (1 | judge)",
  priors = list(
    fixed = "normal(0, 5)",
    cutpoints = "student_t(3, 0, 2.5) on each threshold, ordered",
    sd = "student_t(3, 0, 2.5) truncated at 0 (half-t)"
  ),
  sampling = "4 chains x 5000 draws after 2000 warm-up iterations, adapt_delta = 0.95, seed 20261207",
  cumulative = list(logit = run("logit"), probit = run("probit"))
)
out$minutes <- as.numeric(difftime(Sys.time(), started, units = "mins"))
write_json(out, "tests/references/ordinal_brms.json", auto_unbox = TRUE, digits = NA,
           pretty = TRUE)
