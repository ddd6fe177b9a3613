# Reference numbers of mgcv and gamm4 for bayesml's smooth terms (issue 14: GAMMs in every
# backend). Run from the repository root:  Rscript tests/references/gamm4_references.R
# Writes tests/references/gamm4_references.json next to this script; the tests read the JSON, so
# neither CI nor users need R.
#
# The JSON holds
# * `data`: simulated data (seeded here, written out whole so that Python reads the same rows):
#   600 rows, 30 groups g ("g01" ... "g30", 20 rows each), x0 and x2 uniform on (0, 1) with
#   gamSim(1)'s smooth effects f0 and f2, a linear covariate z ~ N(0, 1), a random intercept, a
#   Gaussian response y and a Poisson response count on the same covariates. `truth` gives the
#   simulation's parameters and f0, f2 at the prediction grids.
# * `fits`: gamm4 fits (REML for the Gaussian models, glmer's Laplace fit for the Poisson one),
#   keyed by name, with the bayesml formula beside the gamm4 one.
# * `bases`: mgcv's basis construction for s(x0, bs = ..., k = 10) with bs = "cr", "tp", "cc", "ps"
#   (smoothCon with absorb.cons = TRUE, as gamm4 and gam call it) and its mixed-model form
#   (smooth2random(type = 2), as gamm4 calls it).
# See `notes` in the JSON (written below) for the scales and conventions of every entry.
suppressPackageStartupMessages({
  library(mgcv)
  library(gamm4)
  library(lme4)
  library(jsonlite)
})

# --- simulated data --------------------------------------------------------------------------
RNGkind("Mersenne-Twister", "Inversion", "Rejection")
set.seed(20261207)
f0 <- function(x) 2 * sin(pi * x)                                          # gamSim(1)'s f0
f2 <- function(x) 0.2 * x^11 * (10 * (1 - x))^6 + 10 * (10 * x)^3 * (1 - x)^10  # gamSim(1)'s f2
n_groups <- 30
per_group <- 20
n <- n_groups * per_group
truth <- list(
  gaussian = list(intercept = 0, z = 0.5, sd_g = 0.7, sigma = 1,
                  eta = "intercept + f0(x0) + f2(x2) + z * z + b_g"),
  poisson = list(intercept = -0.5, z = 0.3, sd_g = 0.4, scale_f0 = 0.5, scale_f2 = 0.15,
                 eta = "intercept + scale_f0 * f0(x0) + scale_f2 * f2(x2) + z * z + b_g, log link"),
  f0 = "2 sin(pi x)",
  f2 = "0.2 x^11 (10 (1 - x))^6 + 10 (10 x)^3 (1 - x)^10"
)
g <- factor(sprintf("g%02d", rep(seq_len(n_groups), each = per_group)))
x0 <- runif(n)
x2 <- runif(n)
z <- rnorm(n)
b_gauss <- rnorm(n_groups, 0, truth$gaussian$sd_g)
b_pois <- rnorm(n_groups, 0, truth$poisson$sd_g)
y <- truth$gaussian$intercept + f0(x0) + f2(x2) + truth$gaussian$z * z +
  b_gauss[as.integer(g)] + rnorm(n, 0, truth$gaussian$sigma)
eta_pois <- truth$poisson$intercept + truth$poisson$scale_f0 * f0(x0) +
  truth$poisson$scale_f2 * f2(x2) + truth$poisson$z * z + b_pois[as.integer(g)]
count <- rpois(n, exp(eta_pois))
d <- data.frame(y = y, count = count, x0 = x0, x2 = x2, z = z, g = g)
truth$gaussian$b_g <- b_gauss
truth$poisson$b_g <- b_pois

# Prediction grids: 25 equally spaced values from the smallest to the largest observed value.
grid_of <- function(x) seq(min(x), max(x), length.out = 25)
grid <- list(x0 = grid_of(d$x0), x2 = grid_of(d$x2))
truth$f0_grid <- f0(grid$x0)
truth$f2_grid <- f2(grid$x2)
# "Typical values" of the other covariates on a grid: the sample mean of each numeric covariate
# (the first level of g, which the population-level predictions of fit$gam do not use).
typical <- list(x0 = mean(d$x0), x2 = mean(d$x2), z = mean(d$z), g = levels(d$g)[1])

warnings_of <- function(expr) {
  caught <- character()
  value <- withCallingHandlers(expr, warning = function(w) {
    caught <<- c(caught, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  list(value = value, warnings = caught)
}

# --- gamm4 fits ------------------------------------------------------------------------------
# Tight optimiser settings, so that the references are the optimum rather than where the default
# stopping rule stopped: gamm4 passes control$optCtrl to lme4's optimiser (nloptwrap's BOBYQA for
# lmer fits; bobyqa then Nelder-Mead for glmer fits, whose options differ, so glmer fits use the
# defaults and record how far the default fit is from a restart at tighter settings).
tight_lmer <- lmerControl(optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-14, xtol_rel = 1e-12,
                                         ftol_rel = 1e-14, maxeval = 1e5))

smooth_labels <- function(fit) vapply(fit$gam$smooth, function(sm) sm$label, "")

summarise_gamm4 <- function(b, formula_bayesml, family, default = NULL) {
  fit <- b$value
  mer <- fit$mer
  gam <- fit$gam
  labels <- smooth_labels(fit)
  # the mer fit's fixed effects: X-prefixed columns of gamm4's model matrix
  fe <- fixef(mer)
  fe_names <- sub("^X", "", names(fe))
  fixef_mer <- as.list(setNames(as.numeric(fe), fe_names))
  se_mer <- as.list(setNames(sqrt(diag(as.matrix(vcov(mer)))), fe_names))
  # variance components: smooth groups (lme4 names Xr, Xr.0, ...) and the random intercept
  vc <- as.data.frame(VarCorr(mer))
  vc <- vc[vc$grp != "Residual", ]
  sm_lmer <- vapply(fit$gam$smooth, function(sm) sm$lmer.name[1], "")
  sd_smooth <- list()
  lmer_group <- list()
  for (i in seq_along(labels)) {
    sd_smooth[[labels[i]]] <- vc$sdcor[vc$grp == sm_lmer[i]]
    lmer_group[[labels[i]]] <- sm_lmer[i]
  }
  sd_random <- list(g = list(Intercept = vc$sdcor[vc$grp == "g"]))
  # EDF per smooth
  edf <- list()
  for (sm in gam$smooth) edf[[sm$label]] <- sum(gam$edf[sm$first.para:sm$last.para])
  # fitted smooths at the grids: predict.gam type = "terms" (each smooth as gam centres it: the
  # sum-to-zero constraint over the data) and type = "link" (population level: no random effects)
  smooth_grid <- list()
  for (sm in gam$smooth) {
    v <- sm$term
    nd <- data.frame(x0 = rep(typical$x0, 25), x2 = typical$x2, z = typical$z,
                     g = factor(typical$g, levels = levels(d$g)))
    nd[[v]] <- grid[[v]]
    p_terms <- predict(gam, newdata = nd, type = "terms", se.fit = TRUE)
    p_link <- predict(gam, newdata = nd, type = "link", se.fit = TRUE)
    smooth_grid[[sm$label]] <- list(
      covariate = v, x = grid[[v]],
      fit = as.numeric(p_terms$fit[, sm$label]), se = as.numeric(p_terms$se.fit[, sm$label]),
      link_fit = as.numeric(p_link$fit), link_se = as.numeric(p_link$se.fit)
    )
  }
  # gam's coefficients on the constrained mgcv basis (smoothCon with absorb.cons = TRUE); these do
  # not depend on the arbitrary signs of the eigenvectors smooth2random uses
  ll <- logLik(mer)
  out <- list(
    data = "data",
    formula_gamm4 = paste(deparse(fit$gam$formula, width.cutoff = 500L), collapse = " "),
    random_gamm4 = "~ (1 | g)",
    formula_bayesml = formula_bayesml,
    family = family,
    method = if (family == "gaussian") "REML" else "Laplace",
    fixef_mer = fixef_mer,
    se_mer = se_mer,
    fixef_names = list(
      Intercept = "(Intercept)", z = "z",
      note = paste("names are gamm4's model-matrix columns without its X prefix;",
                   "'s(x0)Fx1' is the null-space (linear) coefficient of s(x0) in smooth2random's",
                   "Xf column (see bases$*$smooth2random: its sign is that of an eigenvector)")),
    sd_smooth = sd_smooth,
    lmer_group = lmer_group,
    sd_random = sd_random,
    sigma = if (family == "gaussian") sigma(mer) else NA,
    sp = as.list(setNames(gam$sp, labels)),
    logLik = as.numeric(ll),
    df = attr(ll, "df"),
    REMLcrit = if (family == "gaussian") REMLcrit(mer) else NA,
    nobs = nobs(mer),
    edf = edf,
    edf_summary = as.list(setNames(summary(gam)$edf, labels)),
    coefficients = as.list(gam$coefficients),
    smooth_grid = smooth_grid,
    ranef_g = list(levels = rownames(ranef(mer)$g)[1:5], mode = ranef(mer)$g[1:5, 1]),
    convergence = list(code = mer@optinfo$conv$opt, optimizer = mer@optinfo$optimizer,
                       lme4_messages = as.list(mer@optinfo$conv$lme4$messages),
                       warnings = as.list(b$warnings), feval = mer@optinfo$feval)
  )
  if (!is.null(default)) {
    dfit <- default$value
    dvc <- as.data.frame(VarCorr(dfit$mer))
    out$default_control <- list(
      fixef_mer = as.list(setNames(as.numeric(fixef(dfit$mer)), sub("^X", "", names(fixef(dfit$mer))))),
      sd_smooth = as.list(setNames(vapply(sm_lmer, function(n) dvc$sdcor[dvc$grp == n], 0), labels)),
      sd_g = dvc$sdcor[dvc$grp == "g"],
      sigma = if (family == "gaussian") sigma(dfit$mer) else NA,
      logLik = as.numeric(logLik(dfit$mer)),
      warnings = as.list(default$warnings)
    )
  }
  out
}

fits <- list()
fits_objects <- list()
for (bs in c("cr", "tp")) {
  form <- as.formula(sprintf("y ~ s(x0, bs = \"%s\", k = 10) + s(x2, bs = \"%s\", k = 10) + z", bs, bs))
  b <- warnings_of(gamm4(form, random = ~ (1 | g), data = d, REML = TRUE, control = tight_lmer))
  default <- warnings_of(gamm4(form, random = ~ (1 | g), data = d, REML = TRUE))
  key <- paste0("gaussian_", bs)
  fits_objects[[key]] <- b$value
  fits[[key]] <- summarise_gamm4(
    b, sprintf("y ~ s(x0, bs=\"%s\", k=10) + s(x2, bs=\"%s\", k=10) + z + (1 | g)", bs, bs),
    "gaussian", default)
  # Cross-check: the same REML criterion by mgcv::gam with the random intercept as s(g, bs = "re")
  form_gam <- update(form, . ~ . + s(g, bs = "re"))
  cross <- gam(form_gam, data = d, method = "REML", control = gam.control(epsilon = 1e-12))
  sig <- sqrt(cross$sig2)
  fits[[key]]$cross_check_gam_reml <- list(
    formula = paste(deparse(form_gam, width.cutoff = 500L), collapse = " "),
    sigma = sig,
    sd_smooth = as.list(setNames(sig / sqrt(cross$sp[1:2]), names(fits[[key]]$sd_smooth))),
    sd_g = as.numeric(sig / sqrt(cross$sp[3])),
    note = paste("mgcv::gam(method = 'REML') of the same model (random intercept as s(g, bs = 're')):",
                 "the same restricted likelihood, so its SDs (sigma / sqrt(sp)) agree with gamm4's")
  )
}

form_pois <- count ~ s(x0, bs = "cr", k = 10) + s(x2, bs = "cr", k = 10) + z
b <- warnings_of(gamm4(form_pois, random = ~ (1 | g), data = d, family = poisson))
fits$poisson_cr <- summarise_gamm4(
  b, "count ~ s(x0, bs=\"cr\", k=10) + s(x2, bs=\"cr\", k=10) + z + (1 | g)", "poisson")
# gamm4 passes no optimiser choice to glmer's stage 2 (Nelder-Mead). To check that its default
# stopping rule stopped at the optimum, the same Laplace deviance (lme4's devfun on gamm4's own
# X and Z, stage 2: theta and the fixed effects) is minimised again from gamm4's estimates by
# bobyqa with rhoend 1e-12 and then nlminb at rel.tol 1e-14. Recorded as tight_refit: the
# estimates there (for a Poisson model theta is the SD) and logLik = -deviance / 2.
mer <- b$value$mer
mf <- data.frame(count = d$count, Xr = getME(mer, "flist")$Xr, Xr.0 = getME(mer, "flist")$Xr.0, g = d$g)
mf$X <- getME(mer, "X")
gf <- glFormula(count ~ X - 1 + (1 | Xr) + (1 | Xr.0) + (1 | g), data = mf, family = poisson)
stopifnot(identical(names(gf$reTrms$flist), names(getME(mer, "flist"))))
gf$reTrms$Zt <- getME(mer, "Zt")
devfun <- do.call(mkGlmerDevfun, gf)
invisible(optimizeGlmer(devfun))
devfun <- updateGlmerDevfun(devfun, gf$reTrms)
start <- c(getME(mer, "theta"), fixef(mer))
n_theta <- length(getME(mer, "theta"))
lower <- c(rep(0, n_theta), rep(-Inf, length(fixef(mer))))
stopifnot(abs(devfun(start) + 2 * as.numeric(logLik(mer))) < 1e-8)
o <- minqa::bobyqa(start, devfun, lower = lower, control = list(rhoend = 1e-12, maxfun = 1e5))
o2 <- nlminb(o$par, devfun, lower = lower,
             control = list(rel.tol = 1e-14, x.tol = 1e-12, eval.max = 1e4, iter.max = 1e4))
best <- if (o2$objective <= o$fval) o2$par else o$par
theta <- setNames(best[seq_len(n_theta)], names(getME(mer, "flist")))  # g, Xr.0, Xr
fits$poisson_cr$tight_refit <- list(
  fixef_mer = as.list(setNames(best[-seq_len(n_theta)], sub("^X", "", names(fixef(mer))))),
  sd_smooth = list("s(x0)" = theta[["Xr"]], "s(x2)" = theta[["Xr.0"]]),
  sd_random = list(g = list(Intercept = theta[["g"]])),
  logLik = -min(o2$objective, o$fval) / 2,
  note = paste("lme4's stage-2 Laplace deviance on gamm4's design minimised again from gamm4's",
               "estimates (bobyqa rhoend 1e-12, then nlminb rel.tol 1e-14)")
)

# --- basis construction ----------------------------------------------------------------------
new_x <- c(0.05, 0.25, 0.5, 0.75, 0.95)
bases <- list()
rows <- 1:20
for (bs in c("cr", "tp", "cc", "ps")) {
  spec <- s(x0, bs = bs, k = 10)
  spec$term  # x0
  raw <- smoothCon(spec, data = d, absorb.cons = FALSE)[[1]]
  sm <- smoothCon(spec, data = d, absorb.cons = TRUE)[[1]]
  re <- smooth2random(sm, names(d), type = 2)
  Xr <- re$rand[[1]]
  entry <- list(
    call = sprintf("smoothCon(s(x0, bs = \"%s\", k = 10), data = d, absorb.cons = TRUE)", bs),
    class = class(sm)[1],
    bs_dim = sm$bs.dim,
    df = sm$df,
    rank = sm$rank,
    null_space_dim = sm$null.space.dim,
    S_scale = sm$S.scale,
    # cr and cc keep their knots in sm$xp, ps in sm$knots; tp has none
    knots = if (!is.null(sm$xp)) as.numeric(sm$xp) else if (!is.null(sm$knots)) as.numeric(sm$knots) else NA,
    unconstrained = list(
      X_first20 = raw$X[rows, , drop = FALSE],
      S = raw$S[[1]],
      constraint = raw$C,
      S_scale = raw$S.scale
    ),
    X_first20 = sm$X[rows, , drop = FALSE],
    S = sm$S[[1]],
    new_x = new_x,
    X_new = PredictMat(sm, data.frame(x0 = new_x)),
    X_colsums = colSums(sm$X),
    smooth2random = list(
      Xf_first20 = re$Xf[rows, , drop = FALSE],
      Xr_first20 = Xr[rows, , drop = FALSE],
      Xr_colsums_sq = colSums(Xr^2),
      trans_D = re$trans.D,
      trans_U = re$trans.U,
      eigenvalues_S = eigen(sm$S[[1]], symmetric = TRUE)$values
    )
  )
  if (bs == "tp") {
    entry$tp <- list(shift = as.numeric(sm$shift), n_unique = nrow(sm$Xu), p_order = sm$p.order[1],
                     UZ_dim = dim(sm$UZ))
  }
  if (bs == "ps") entry$ps <- list(m = sm$m)
  if (bs %in% c("cr", "cc")) {
    # mgcv's place.knots: k knots at the type-7 quantiles of the sorted unique values
    entry$knots_are_quantiles <- isTRUE(all.equal(
      as.numeric(sm$xp), quantile(unique(d$x0), seq(0, 1, length.out = 10), names = FALSE),
      tolerance = 1e-14))
  }
  # the same smooth inside the gamm4 fit (gam.setup's smoothCon): the largest absolute differences
  # of S and of PredictMat at new_x from the standalone construction above
  key <- paste0("gaussian_", bs)
  if (key %in% names(fits_objects)) {
    inside <- fits_objects[[key]]$gam$smooth[[1]]
    entry$max_abs_diff_from_gamm4_fit <- list(
      S = max(abs(inside$S[[1]] - sm$S[[1]])),
      X_new = max(abs(PredictMat(inside, data.frame(x0 = new_x)) - PredictMat(sm, data.frame(x0 = new_x)))))
  }
  bases[[bs]] <- entry
}

out <- list(
  generated_by = "tests/references/gamm4_references.R",
  R = R.version.string,
  mgcv = as.character(packageVersion("mgcv")),
  gamm4 = as.character(packageVersion("gamm4")),
  lme4 = as.character(packageVersion("lme4")),
  notes = list(
    data = paste("data: the simulated rows, columns y (Gaussian), count (Poisson), x0, x2, z, g;",
                 "seed 20261207 (Mersenne-Twister, Inversion, Rejection). truth: the simulation's",
                 "parameters, the group effects b_g per level g01..g30 for each response, and f0, f2",
                 "(not centred) at the grids"),
    grid = paste("grid$x0, grid$x2: 25 equally spaced values from the smallest to the largest",
                 "observed value of each covariate. typical: the values of the other covariates on",
                 "a grid: the sample means of x0, x2, z; g is its first level, unused by fit$gam's",
                 "population-level predictions"),
    smooth_grid = paste("fit: predict(fit$gam, newdata, type = 'terms', se.fit = TRUE)'s column of",
                        "the smooth: the smooth on the link scale, centred as mgcv constrains it",
                        "(sum to zero over the data rows), with its standard error from gam's",
                        "Bayesian covariance Vp (conditional on the smoothing parameters). link_fit,",
                        "link_se: type = 'link' at the same rows (intercept + both smooths + z times",
                        "typical z, no random effects)"),
    sd_smooth = paste("sd_smooth: the SD of each smooth's penalised random effect, sqrt of the",
                      "variance of its lmer group (lmer_group: 'Xr' for the first smooth, 'Xr.0'",
                      "for the second) in VarCorr(fit$mer). The random effects are the coefficients",
                      "of smooth2random's Xr (the penalised eigen-directions of S scaled by",
                      "1/sqrt(eigenvalue), S as smoothCon scales it: S_scale in bases), iid N(0,",
                      "sd^2). mgcv's smoothing parameter: sp = sigma^2 / sd^2 for the Gaussian",
                      "fits (sd = sigma / sqrt(sp)) and sp = 1 / sd^2 for the Poisson fit",
                      "(scale 1); fit$gam$sp is recorded as sp. sd_random$g$Intercept: the random",
                      "intercept's SD"),
    fixef_mer = paste("fixef(fit$mer): Intercept, z and each smooth's null-space coefficient",
                      "('s(x0)Fx1', 's(x2)Fx1'; one each: the linear function left after the",
                      "sum-to-zero constraint). The null-space coefficient multiplies smooth2random's",
                      "Xf column, an eigenvector of S with eigenvalue 0 (trans_D = 1 there), whose",
                      "sign is LAPACK's choice: compare it up to sign, or compare coefficients (gam's",
                      "coefficients on the constrained mgcv basis, sign-free) or the fitted",
                      "smooths. se_mer: sqrt(diag(vcov(fit$mer)))"),
    coefficients = paste("fit$gam$coefficients: on the constrained smoothCon basis (X of bases),",
                         "back-transformed by gamm4 from the mixed-model form; 's(x0).1' ...",
                         "'s(x0).9' (9 = k - 1 after the constraint). Free of smooth2random's",
                         "eigenvector signs; for cr they are comparable directly, for tp only if",
                         "the tp basis columns themselves match (see bases)"),
    reproducibility = paste("Rerunning this script reproduces the data and the bases bit for bit;",
                            "the fits move in the last digits from run to run (lme4's optimisers:",
                            "about 1e-8 relative for gaussian_cr, up to ~2e-5 for gaussian_tp,",
                            "whose REML surface is flat in the s(x2) SD, and ~1e-5 for poisson_cr;",
                            "cross_check_gam_reml and tight_refit show the same size of",
                            "difference), far inside the tolerances of issue 14's checks (1e-3",
                            "relative for SDs, 1 % of the SE for the smooths)"),
    edf = paste("edf: fit$gam$edf summed over each smooth's coefficients; edf_summary:",
                "summary(fit$gam)$edf (the same numbers)"),
    logLik = paste("logLik(fit$mer): Gaussian fits are REML (logLik = -REMLcrit / 2, of the",
                   "mixed model whose fixed effects are Intercept, z and the null-space columns);",
                   "the Poisson fit is glmer's Laplace approximation (nAGQ = 1) with the full",
                   "Poisson constant"),
    control = paste("Gaussian fits: nloptwrap BOBYQA with xtol_rel 1e-12, ftol_rel 1e-14;",
                    "default_control: the same model with gamm4's default controls.",
                    "cross_check_gam_reml: mgcv::gam(method = 'REML') with s(g, bs = 're'),",
                    "whose SDs should agree with gamm4's. Poisson: gamm4's default controls (bobyqa",
                    "stage 1, Nelder-Mead stage 2; gamm4 gives no way to choose the optimiser);",
                    "tight_refit: lme4's Laplace deviance on gamm4's design minimised again from",
                    "there at tight tolerances (bobyqa, then nlminb) - the optimum to ~1e-9"),
    bases = paste("bases$cr|tp|cc|ps: smoothCon(s(x0, bs = ..., k = 10), data = d, absorb.cons =",
                  "TRUE) on the simulated data (penalty scaled as gam and gamm4 scale it:",
                  "scale.penalty = TRUE, S_scale the factor). Matrices are lists of rows.",
                  "knots: cr and cc: sm$xp, k = 10 knots at the type-7 quantiles of the sorted",
                  "unique x0 values (mgcv's place.knots; knots_are_quantiles checks it), ends at",
                  "the data range (cc identifies the two ends: 9 basis functions, 8 after the",
                  "constraint); ps: sm$knots, k + m[1] + 2 = 14 equally spaced B-spline knots",
                  "extending the data range by 3 intervals at each end (m = c(2, 2): cubic B-splines,",
                  "second-order difference penalty); tp: none, the basis is built on the unique",
                  "data values (n_unique, shift = their mean subtracted first; p_order 0 means",
                  "mgcv's default m = 2). max_abs_diff_from_gamm4_fit: the standalone smoothCon",
                  "against the smooth inside the gamm4 fit of that basis (S and PredictMat).",
                  "unconstrained: the same without absorb.cons (X, S, the",
                  "constraint row C = colSums(X)). X_first20: the constrained design at data rows",
                  "1-20; X_new: PredictMat at new_x. smooth2random: gamm4's mixed-model form",
                  "(type = 2): with eigen(S) = U diag(ev) U', trans_D = c(1/sqrt(ev[1:rank]), 1,",
                  "...), Xr = (X U D)[, 1:rank] (random, iid N(0, sd^2)), Xf = (X U D)[,",
                  "(rank+1):df] (fixed). Eigenvector signs are arbitrary (LAPACK): compare Xr and",
                  "Xf column by column up to sign, or sign-free: Xr %*% t(Xr) (= X S^+ X'),",
                  "Xr_colsums_sq, eigenvalues_S. The tp basis itself comes from an eigen-",
                  "decomposition (mgcv's C code) of the thin plate spline over the unique data",
                  "values, so its X columns also carry arbitrary signs and only the column span,",
                  "X S^+ X' and the eigenvalues of S are sign-free")
  ),
  grid = grid,
  typical = typical,
  truth = truth,
  fits = fits,
  bases = bases,
  data = list(y = d$y, count = d$count, x0 = d$x0, x2 = d$x2, z = d$z, g = as.character(d$g))
)
write_json(out, "tests/references/gamm4_references.json", auto_unbox = TRUE, digits = NA,
           pretty = FALSE, na = "null")
