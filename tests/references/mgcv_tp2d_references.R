# Reference numbers of mgcv's thin plate regression spline of two covariates, s(x, z, bs = "tp"),
# for bayesml.design.thin_plate (issue 14, item 2). Run from the repository root:
#   Rscript tests/references/mgcv_tp2d_references.R
# Writes tests/references/mgcv_tp2d_references.json next to this script (the tests read the JSON).
#
# The JSON holds `data` (x, z, w: 150 seeded uniform points, written out whole, with 10 rows
# repeated so that ties are exercised) and, for each entry of `bases` (see `notes`),
# smoothCon(spec, absorb.cons = TRUE, scale.penalty = TRUE) (as gam and gamm4 call it):
# the unconstrained basis (first 20 rows, or all if fewer), its penalty and constraint, the constrained basis (first
# 20 rows), penalty, column sums, PredictMat at `new` (inside and outside the data's range) and
# smooth2random(type = 2). Eigenvector signs are LAPACK's/Lanczos's choice: compare up to the signs
# of columns.
suppressPackageStartupMessages({
  library(mgcv)
  library(jsonlite)
})

RNGkind("Mersenne-Twister", "Inversion", "Rejection")
set.seed(20261208)
n_distinct <- 140
x <- runif(n_distinct)
z <- runif(n_distinct)
w <- runif(n_distinct)
repeated <- 1:10
d <- data.frame(x = c(x, x[repeated]), z = c(z, z[repeated]), w = c(w, w[repeated]))
new <- data.frame(x = c(0.1, 0.5, 0.9, 0.3, -0.2, 1.3, 0.5),
                  z = c(0.2, 0.5, 0.8, 0.7, 0.4, 0.5, 1.4),
                  w = c(0.5, 0.1, 0.9, 0.4, 0.6, -0.3, 0.2))
knot_rows <- 1:40
rows <- 1:20

entry_of <- function(spec, knots = NULL, data = d) {
  raw <- smoothCon(spec, data = data, absorb.cons = FALSE, scale.penalty = TRUE, knots = knots)[[1]]
  sm <- smoothCon(spec, data = data, absorb.cons = TRUE, scale.penalty = TRUE, knots = knots)[[1]]
  re <- smooth2random(sm, names(d), type = 2)
  Xr <- re$rand[[1]]
  rows <- seq_len(min(20, nrow(sm$X)))
  list(
    term = sm$term,
    p_order = sm$p.order[1],
    class = class(sm)[1],
    bs_dim = sm$bs.dim,
    rank = sm$rank,
    null_space_dim = sm$null.space.dim,
    S_scale = sm$S.scale,
    shift = as.numeric(sm$shift),
    n_unique = nrow(sm$Xu),
    unconstrained = list(
      X_first20 = raw$X[rows, , drop = FALSE],
      S = raw$S[[1]],
      constraint = raw$C,
      null_space_dim = raw$null.space.dim
    ),
    X_first20 = sm$X[rows, , drop = FALSE],
    rows = nrow(sm$X),
    S = sm$S[[1]],
    X_colsums = colSums(sm$X),
    X_new = PredictMat(sm, new[names(new) %in% sm$term]),
    smooth2random = list(
      Xf_first20 = re$Xf[rows, , drop = FALSE],
      Xr_first20 = Xr[rows, , drop = FALSE],
      Xr_colsums_sq = colSums(Xr^2),
      trans_D = re$trans.D,
      eigenvalues_S = eigen(sm$S[[1]], symmetric = TRUE)$values
    )
  )
}

out <- list(
  generated_by = "tests/references/mgcv_tp2d_references.R",
  R = R.version.string,
  mgcv = as.character(packageVersion("mgcv")),
  notes = paste("data: 140 uniform (x, z, w) points, seed 20261208 (Mersenne-Twister, Inversion,",
                "Rejection), then its first 10 rows repeated (150 rows, 140 unique). new: points to",
                "predict at, the last three outside [0, 1]^d. bases: smoothCon of k12: s(x, z, k = 12);",
                "default: s(x, z) (k = -1: mgcv's M + 27 = 30); xzw_k20: s(x, z, w, k = 20) (m = 3,",
                "M = 10); knots_k12: s(x, z, k = 12) with knots = the first 40 rows of data;",
                "x_pure_knot: s(x, k = 8) on the first 8 rows (k = number of unique values: no eigen",
                "step); x_m3_k10: s(x, k = 10, m = 3). Column signs of the bases are arbitrary",
                "(eigenvectors)"),
  data = d,
  new = new,
  bases = list(
    k12 = entry_of(s(x, z, k = 12)),
    default = entry_of(s(x, z)),
    xzw_k20 = entry_of(s(x, z, w, k = 20)),
    knots_k12 = entry_of(s(x, z, k = 12), knots = list(x = d$x[knot_rows], z = d$z[knot_rows])),
    x_pure_knot = entry_of(s(x, k = 8), data = d[1:8, ]),
    x_m3_k10 = entry_of(s(x, k = 10, m = 3))
  )
)
write_json(out, "tests/references/mgcv_tp2d_references.json", digits = NA, auto_unbox = TRUE,
           pretty = FALSE, matrix = "rowmajor")
