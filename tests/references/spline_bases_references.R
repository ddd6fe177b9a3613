# Unpenalised spline bases as fixed-effect terms, bs() and ns() (issue 14, item 1): R's
# splines::bs and splines::ns, the reference of bayesml/design/spline_bases.py. Run from the
# repository root:
#   Rscript tests/references/spline_bases_references.R
# Writes tests/references/spline_bases_references.json next to this script; the tests read the
# JSON, so neither CI nor users need R.
#
# * bases: on a seeded vector x (30 uniform values on (0, 1)), each variant's basis matrix (rows),
#   its interior and boundary knots, and predict(basis, new) at new values inside and outside the
#   boundary knots (R extrapolates: bs by a Taylor polynomial about a pivot inside the outer
#   knot interval, with a warning; ns linearly from the boundary knots, without one).
# * interaction: model.matrix(~ f + bs(x, df = 3):f) with a two-level factor f.
# * lm: lm(Reaction ~ bs(Days, df = 5), sleepstudy): coefficients, their names, and the
#   predictions at new Days (inside and beyond 0..9).
# * lmer: lmer(Reaction ~ ns(Days, df = 3) + (1 | Subject), sleepstudy) with REML: fixed effects
#   and their standard errors, and the population predictions (re.form = NA) at the new Days.
suppressPackageStartupMessages({
  library(splines)
  library(lme4)
  library(jsonlite)
})

set.seed(20261207)
x <- round(runif(30), 6)
new <- c(min(x) - 0.2, min(x) - 0.01, 0.25, 0.5, 0.75, max(x) + 0.01, max(x) + 0.3)

rows <- function(m) unname(lapply(seq_len(nrow(m)), function(i) I(unname(as.numeric(m[i, ])))))

variant <- function(formula, basis) {
  predicted <- withCallingHandlers(
    predict(basis, new),
    warning = function(w) invokeRestart("muffleWarning")
  )
  list(
    formula = formula,
    basis = rows(unclass(basis)[, , drop = FALSE]),
    knots = I(as.numeric(attr(basis, "knots"))),
    boundary_knots = as.numeric(attr(basis, "Boundary.knots")),
    degree = if (is.null(attr(basis, "degree"))) 3L else attr(basis, "degree"),
    predict = rows(unclass(predicted))
  )
}

quiet <- function(expr) suppressWarnings(expr)
bases <- list(
  variant("bs(x, df=5)", bs(x, df = 5)),
  variant("bs(x, df=5, degree=2)", bs(x, df = 5, degree = 2)),
  variant("bs(x, df=3)", bs(x, df = 3)),
  variant("bs(x, df=4, degree=1)", bs(x, df = 4, degree = 1)),
  variant("bs(x, knots=c(0.3, 0.6))", bs(x, knots = c(0.3, 0.6))),
  variant("bs(x, knots=c(0.3, 0.6), Boundary.knots=c(0, 1))",
          bs(x, knots = c(0.3, 0.6), Boundary.knots = c(0, 1))),
  variant("ns(x, df=4)", ns(x, df = 4)),
  variant("ns(x, df=1)", ns(x, df = 1)),
  variant("ns(x, knots=c(0.3, 0.6))", ns(x, knots = c(0.3, 0.6))),
  variant("ns(x, df=3, Boundary.knots=c(0.1, 0.9))",
          quiet(ns(x, df = 3, Boundary.knots = c(0.1, 0.9))))
)

f <- factor(rep(c("a", "b"), length.out = length(x)))
frame <- data.frame(x = x, f = f)
mm <- model.matrix(~ f + bs(x, df = 3):f, frame)

data_dir <- "bayesml/datasets/data"
sleep <- read.csv(file.path(data_dir, "sleepstudy.csv"), stringsAsFactors = TRUE)
fit_lm <- lm(Reaction ~ bs(Days, df = 5), sleep)
new_days <- data.frame(Days = c(0, 2.5, 4, 9, 10, 12))
lm_predict <- suppressWarnings(predict(fit_lm, new_days))
fit_lmer <- lmer(Reaction ~ ns(Days, df = 3) + (1 | Subject), sleep, REML = TRUE,
                 control = lmerControl(optimizer = "bobyqa",
                                       optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))

out <- list(
  generated_by = "tests/references/spline_bases_references.R",
  r_version = R.version.string,
  x = x,
  new = new,
  bases = bases,
  interaction = list(
    formula = "~ f + bs(x, df=3):f",
    f = as.character(f),
    columns = colnames(mm),
    matrix = rows(mm)
  ),
  lm = list(
    formula = "Reaction ~ bs(Days, df=5)",
    names = names(coef(fit_lm)),
    coefficients = unname(coef(fit_lm)),
    new_days = new_days$Days,
    predict = unname(lm_predict)
  ),
  lmer = list(
    formula = "Reaction ~ ns(Days, df=3) + (1 | Subject)",
    names = names(fixef(fit_lmer)),
    fixef = unname(fixef(fit_lmer)),
    se = unname(sqrt(diag(as.matrix(vcov(fit_lmer))))),
    sigma = sigma(fit_lmer),
    new_days = new_days$Days,
    predict = unname(predict(fit_lmer, new_days, re.form = NA))
  )
)
write_json(out, "tests/references/spline_bases_references.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
