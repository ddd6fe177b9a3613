"""What a Gibbs chain keeps per draw does not grow with the rows (only with the levels)."""

from __future__ import annotations

import numpy as np
import pytest

import bayesml
from bayesml.backends.gibbs.problem import build_problem
from bayesml.backends.gibbs.sampler import run_chain

from ._helpers import grouped_data


def _trace_bytes(data, family: str, link: str | None) -> int:
    response = "y" if family == "gaussian" else "b"
    model = bayesml.Model(f"{response} ~ x + (1 | g)", data, family=family, link=link)
    problem = build_problem(model.design, model.priors, model.family)
    trace = run_chain(problem, np.random.SeedSequence(3), draws=12, tune=12)
    arrays = [trace.theta, *trace.cov, *trace.stats.values()]
    if trace.sigma is not None:
        arrays.append(trace.sigma)
    return sum(array.nbytes for array in arrays)


@pytest.mark.parametrize(
    ("family", "link"), [("gaussian", None), ("bernoulli", "probit"), ("bernoulli", "logit")]
)
def test_the_kept_draws_do_not_grow_with_the_rows(family, link):
    few = grouped_data(seed=1, groups=6, per_group=5)
    many = grouped_data(seed=1, groups=6, per_group=60)
    assert _trace_bytes(few, family, link) == _trace_bytes(many, family, link)
