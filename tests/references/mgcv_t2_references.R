# Reference numbers of mgcv's t2 tensor product smooths (Wood, Scheipl & Faraway 2013) in the
# mixed-model form gamm4 uses, for bayesml/design/tensor_smooths.py (issue 14, items 1-2).
# Run from the repository root:  Rscript tests/references/mgcv_t2_references.R
# Writes tests/references/mgcv_t2_references.json next to this script; the tests read the JSON.
#
# The JSON holds
# * `data`: simulated rows (seeded here, written out whole): x, z, w uniform on (0, 1), a grouping
#   factor g (20 levels, 15 rows each) with a random intercept, y Gaussian around a smooth of
#   (x, z); `new`: 12 new points, two of them outside the data range (extrapolation).
# * `cases`: smoothCon(t2(...), absorb.cons = TRUE) for several margin choices, each with
#   - `T_new`: the t2 model matrix *before* the identifiability constraint at the new points
#     (mgcv:::Predict.matrix.t2.smooth), column blocks in mgcv's order;
#   - `sub_cols`, `p_lab`: the sizes and mgcv's labels ("rr", "nr", "rn", ...) of the penalised
#     blocks;
#   - `Xf`, `rand` (list of blocks with their names Xr, Xr.0, ...): smooth2random(sm, type = 2),
#     as gamm4 calls it, at the first 60 rows of the data (the basis is built from all rows); `Xf_new`, `rand_new`: the same parameterisation at the new points;
#   - `PredictMat`: PredictMat(sm, new), which uses t2's prediction constraint sm$Cp (the whole
#     smooth sums to zero over the data), not the fitting one.
# * `gamm4_fit`: gamm4(y ~ t2(x, z), random = ~ (1 | g)) (REML, tight optimiser tolerances): the t2 term and its SE at a 5 x 5
#   grid (predict(type = "terms"), centred as mgcv centres it), the linear predictor without
#   random effects and its SE, the SD of each random term (the t2 penalties Xr, Xr.0, Xr.1 and
#   g), sigma, the fixed effects of the lmer fit (fixef_mer: the intercept and the t2 term's Xf
#   coefficients), the t2 term's conditional modes per random block (ranef_t2, in the column order
#   of the blocks of cases$cr_cr), the gam coefficients in mgcv's prediction parameterisation
#   (coef_gam: the columns of PredictMat), the EDF and the REML criterion.
suppressPackageStartupMessages({
  library(mgcv)
  library(gamm4)
  library(lme4)
  library(jsonlite)
})

RNGkind("Mersenne-Twister", "Inversion", "Rejection")
set.seed(20261208)
n_groups <- 20
per_group <- 15
n <- n_groups * per_group
x <- runif(n)
z <- runif(n)
w <- runif(n)
g <- factor(sprintf("g%02d", rep(seq_len(n_groups), each = per_group)))
f_true <- function(x, z) sin(2 * pi * x) * (1 + z) + 1.5 * (z - 0.5)^2 + x * z
sd_g <- 0.5
sigma <- 0.4
b <- rnorm(n_groups, 0, sd_g)
y <- f_true(x, z) + b[as.integer(g)] + rnorm(n, 0, sigma)
d <- data.frame(y = y, x = x, z = z, w = w, g = g)
new <- data.frame(
  x = c(0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95, 0.1, 0.9, 0.3, -0.1, 1.1),
  z = c(0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.6, 0.4, 0.8, 0.05, 0.5, 1.05),
  w = c(0.5, 0.3, 0.8, 0.1, 0.6, 0.9, 0.2, 0.7, 0.4, 0.55, -0.05, 0.5)
)

# The fitting parameterisation at new points: the penalised blocks scaled as smooth2random
# scales them, the null-space block with t2's fitting constraint (only the unpenalised columns,
# summing to zero over the data) absorbed as smoothCon absorbs it.
fit_form_at <- function(sm, T_data, T_at, rasm) {
  nup <- sum(sm$rank)
  p <- ncol(T_data)
  pen <- seq_len(nup)
  scale <- rasm$trans.D
  blocks <- list()
  start <- 0
  for (j in seq_along(sm$rank)) {
    idx <- start + seq_len(sm$rank[j])
    blocks[[j]] <- T_at[, idx, drop = FALSE] %*% diag(scale[idx], length(idx))
    start <- start + sm$rank[j]
  }
  if (p - nup <= 1) {
    Xf <- matrix(0, nrow(T_at), 0)  # no null space, or set-to-zero drops the only null column
  } else {
    null <- (nup + 1):p
    qrc <- qr(matrix(colSums(T_data[, null, drop = FALSE]), ncol = 1))
    Q <- qr.Q(qrc, complete = TRUE)
    Xf <- T_at[, null, drop = FALSE] %*% Q[, -1, drop = FALSE]
  }
  list(Xf = Xf, rand = blocks)
}

rows <- seq_len(60)  # the rows of the data-side matrices written out (the JSON stays small)
case <- function(label, term) {
  sm <- smoothCon(term, data = d, absorb.cons = TRUE)[[1]]
  T_data <- mgcv:::Predict.matrix.t2.smooth(sm, d)
  T_new <- mgcv:::Predict.matrix.t2.smooth(sm, new)
  rasm <- smooth2random(sm, names(d), type = 2)
  at_data <- fit_form_at(sm, T_data, T_data, rasm)
  stopifnot(ncol(at_data$Xf) == ncol(rasm$Xf), all(abs(at_data$Xf - rasm$Xf) < 1e-12))
  for (j in seq_along(rasm$rand)) {
    stopifnot(max(abs(at_data$rand[[j]] - rasm$rand[[j]])) < 1e-12)
  }
  at_new <- fit_form_at(sm, T_data, T_new, rasm)
  margins <- lapply(sm$margin, function(m) {
    list(bs = sub(".smooth", "", class(m)[1], fixed = TRUE), k = m$bs.dim, term = m$term,
         knots = if (!is.null(m$xp)) m$xp else m$knots, rank = m$rank,
         null_space_dim = m$null.space.dim)
  })
  list(
    label = label, term = sm$label, margins = margins,
    sub_cols = as.integer(attr(T_data, "sub.cols")), p_lab = attr(T_data, "p.lab"),
    rank = as.integer(sm$rank), null_space_dim = sm$null.space.dim,
    T_new = T_new,
    Xf = rasm$Xf[rows, , drop = FALSE],
    rand = unname(lapply(rasm$rand, function(r) unclass(r)[rows, , drop = FALSE])),
    rand_names = names(rasm$rand), trans_D = rasm$trans.D,
    Xf_new = at_new$Xf, rand_new = at_new$rand,
    PredictMat = PredictMat(sm, new)
  )
}
strip <- function(m) { attributes(m) <- list(dim = dim(m)); m }

cases <- list(
  cr_cr = case("t2(x, z)", t2(x, z)),
  cr_ps = case("t2(x, z, bs = c('cr', 'ps'), k = c(5, 6))", t2(x, z, bs = c("cr", "ps"), k = c(5, 6))),
  cc_cr = case("t2(x, z, bs = c('cc', 'cr'), k = c(5, 4))", t2(x, z, bs = c("cc", "cr"), k = c(5, 4))),
  cc_cc = case("t2(x, z, bs = 'cc', k = 5)", t2(x, z, bs = "cc", k = 5)),
  cr_cr_cr = case("t2(x, z, w, k = 4)", t2(x, z, w, k = 4))
)
for (nm in names(cases)) {
  for (f in c("T_new", "Xf", "Xf_new", "PredictMat")) cases[[nm]][[f]] <- strip(cases[[nm]][[f]])
  cases[[nm]]$rand <- lapply(cases[[nm]]$rand, strip)
}

# --- gamm4 fit -------------------------------------------------------------------------------
# Tight optimiser tolerances (gamm4 passes only optCtrl on to lme4's default nloptwrap): the REML
# criterion is flat in the SDs, and the default tolerances stop up to 5e-5 (relative) apart from
# one R process to the next; with these, runs agree to ~2e-6.
control <- lmerControl(optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-15, xtol_rel = 1e-12,
                                      ftol_rel = 1e-15, maxeval = 1e5))
fit <- gamm4(y ~ t2(x, z), random = ~ (1 | g), data = d, REML = TRUE, control = control)
grid <- expand.grid(x = seq(0, 1, length.out = 5), z = seq(0, 1, length.out = 5))
terms_pred <- predict(fit$gam, newdata = grid, type = "terms", se.fit = TRUE)
link_pred <- predict(fit$gam, newdata = grid, type = "link", se.fit = TRUE)
vc <- as.data.frame(VarCorr(fit$mer))
sds <- setNames(as.list(vc$sdcor[vc$grp != "Residual"]), vc$grp[vc$grp != "Residual"])
gamm4_fit <- list(
  formula = "gamm4(y ~ t2(x, z), random = ~ (1 | g), REML = TRUE)",
  optimiser = "lme4's nloptwrap with xtol_abs = xtol_rel = 1e-12, ftol_abs = ftol_rel = 1e-15: SDs reproducible to ~2e-6 relative between R processes (the REML criterion is flat)",
  grid = grid,
  t2 = unname(terms_pred$fit[, "t2(x,z)"]),
  t2_se = unname(terms_pred$se.fit[, "t2(x,z)"]),
  eta = unname(link_pred$fit), eta_se = unname(link_pred$se.fit),
  sd = sds,
  sigma = sigma(fit$mer),
  fixef_mer = as.list(fixef(fit$mer)),
  ranef_t2 = lapply(setNames(nm = c("Xr", "Xr.0", "Xr.1")), function(nm) ranef(fit$mer)[[nm]][, 1]),
  coef_gam = as.list(coef(fit$gam)),
  edf = sum(fit$gam$edf[-1]),
  reml = unname(REMLcrit(fit$mer))
)

out <- list(
  generated_by = "tests/references/mgcv_t2_references.R",
  R = R.version.string,
  mgcv = as.character(packageVersion("mgcv")),
  gamm4 = as.character(packageVersion("gamm4")),
  lme4 = as.character(packageVersion("lme4")),
  lapack = La_library(),
  notes = list(
    data = "seed 20261208 (Mersenne-Twister, Inversion, Rejection); y = sin(2 pi x)(1 + z) + 1.5 (z - 0.5)^2 + x z + b_g + e, sd_g = 0.5, sigma = 0.4",
    T_new = "t2 model matrix before the constraint at the new points, columns in mgcv's block order p_lab then the unpenalised block; signs of columns are arbitrary (eigenvectors)",
    rand = "smooth2random(type = 2) blocks at the data: the penalised columns of the unconstrained t2 model matrix T times trans_D (1 / ||T||_inf, from smoothCon's penalty scaling)",
    PredictMat = "prediction parameterisation: T_new Z with Z from qr(t(colSums(T))), mgcv's sm$Cp",
    null_space = "the unpenalised basis of each margin depends on the eigenvectors R's LAPACK returns for the penalty's repeated zero eigenvalue; see `lapack`"
  ),
  data = d, new = new, cases = cases, gamm4_fit = gamm4_fit
)
write_json(out, "tests/references/mgcv_t2_references.json", digits = NA, auto_unbox = TRUE,
           matrix = "rowmajor", pretty = FALSE)
cat("wrote tests/references/mgcv_t2_references.json\n")
