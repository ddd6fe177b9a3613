# lme4's side of bench/ml.py: time glmer (Laplace) or lmer (REML and ML) on a CSV that bench/ml.py
# wrote, and write the estimates and timings as JSON. Not meant to be run by hand:
#   Rscript bench/ml.R DATA.csv METHOD REPEATS OUTPUT.json
# METHOD is "laplace" (glmer(y ~ x + (1 | g1), family = binomial, nAGQ = 1), default control),
# "reml" or "ml" (lmer(y ~ x + (1 | g1), REML = TRUE / FALSE), default control). The fit runs
# REPEATS times in this R process; only the call of glmer/lmer is timed (proc.time() around it:
# elapsed, user and system seconds), not R's start, loading lme4 or reading the CSV, which are
# timed separately. Warnings are recorded, not printed.
started <- proc.time()
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 4) stop("usage: Rscript bench/ml.R DATA.csv METHOD REPEATS OUTPUT.json")
csv <- args[[1]]
method <- args[[2]]
repeats <- as.integer(args[[3]])
output <- args[[4]]

t0 <- proc.time()
suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})
load_seconds <- (proc.time() - t0)[["elapsed"]]

t0 <- proc.time()
data <- read.csv(csv)
data$g1 <- factor(data$g1)
read_seconds <- (proc.time() - t0)[["elapsed"]]

timed_fits <- function(fit_once) {
  elapsed <- numeric(repeats)
  cpu <- numeric(repeats)
  messages <- character()
  fit <- NULL
  for (i in seq_len(repeats)) {
    gc()
    t0 <- proc.time()
    fit <- withCallingHandlers(
      fit_once(),
      warning = function(w) {
        messages <<- c(messages, conditionMessage(w))
        invokeRestart("muffleWarning")
      }
    )
    spent <- proc.time() - t0
    elapsed[i] <- spent[["elapsed"]]
    cpu[i] <- spent[["user.self"]] + spent[["sys.self"]]
  }
  vc <- as.data.frame(VarCorr(fit))
  list(
    seconds = I(elapsed),
    cpu_seconds = I(cpu),
    fixef = as.list(fixef(fit)),
    sd = vc$sdcor[vc$grp == "g1"],
    sigma = sigma(fit),
    logLik = as.numeric(logLik(fit)),
    optimizer = fit@optinfo$optimizer,
    evaluations = fit@optinfo$feval,
    warnings = I(unique(c(messages, unlist(fit@optinfo$conv$lme4$messages))))
  )
}

fit_once <- switch(
  method,
  laplace = function() glmer(y ~ x + (1 | g1), data = data, family = binomial, nAGQ = 1),
  reml = function() lmer(y ~ x + (1 | g1), data = data, REML = TRUE),
  ml = function() lmer(y ~ x + (1 | g1), data = data, REML = FALSE),
  stop(sprintf("METHOD must be 'laplace', 'reml' or 'ml'; got '%s'", method))
)
fit <- timed_fits(fit_once)

record <- list(
  r_version = R.version.string,
  lme4_version = as.character(packageVersion("lme4")),
  matrix_version = as.character(packageVersion("Matrix")),
  blas = if (!is.null(extSoftVersion()[["BLAS"]])) extSoftVersion()[["BLAS"]] else "",
  load_seconds = load_seconds,
  read_seconds = read_seconds,
  rows = nrow(data),
  groups = nlevels(data$g1),
  method = method,
  fit = fit,
  script_seconds = (proc.time() - started)[["elapsed"]]
)
writeLines(toJSON(record, auto_unbox = TRUE, digits = NA), output)
