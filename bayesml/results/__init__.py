"""Results: posterior quantities computed from draws, diagnostics and summaries (numpy/xarray only)."""

from bayesml.results.diagnostics import check_sampling
from bayesml.results.draws import linear_predictor_draws
from bayesml.results.loglik import pointwise_log_likelihood
from bayesml.results.summary import summary

__all__ = ["check_sampling", "linear_predictor_draws", "pointwise_log_likelihood", "summary"]
