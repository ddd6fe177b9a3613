# Reference fit of nnet::multinom for bayesml's categorical family (issue 12 item 2).
# Run from the repository root:  Rscript tests/references/categorical_references.R
# Reads the bundled data set choices (bayesml/datasets/data/choices.csv, written by
# tests/references/categorical_data.py) and writes
# tests/references/categorical_references.json next to this script; the tests read the JSON.
# multinom's parameterisation is brms' categorical(): log P(y = k) / P(y = reference) = eta_k,
# with the first level ("stay") as the reference.
suppressPackageStartupMessages({
  library(nnet)
  library(jsonlite)
})

data <- read.csv("bayesml/datasets/data/choices.csv", stringsAsFactors = FALSE)
data$choice <- factor(data$choice, levels = c("stay", "move", "quit"))
data$x2 <- factor(data$x2, levels = c("a", "b", "c"))
fit <- multinom(choice ~ x1 + x2, data = data, trace = FALSE, maxit = 1000, reltol = 1e-12)
estimates <- coef(fit)
errors <- summary(fit)$standard.errors
bayesml_names <- c("Intercept", "x1", "x2[b]", "x2[c]")
by_category <- function(table) {
  out <- list()
  for (category in rownames(table)) {
    out[[category]] <- setNames(as.list(unname(table[category, ])), bayesml_names)
  }
  out
}
write_json(
  list(
    generated_by = "tests/references/categorical_references.R",
    R = R.version.string,
    nnet = as.character(packageVersion("nnet")),
    formula = "choice ~ x1 + x2",
    reference = "stay",
    beta = by_category(estimates),
    beta_se = by_category(errors),
    logLik = as.numeric(logLik(fit))
  ),
  "tests/references/categorical_references.json", auto_unbox = TRUE, digits = NA, pretty = TRUE
)
