"""Every error and warning of the h-likelihood backend, with its message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayesml import hglm
from bayesml.backends.hlik import DivergenceError
from bayesml.backends.hlik.linear_algebra import AugmentedSystem
from bayesml.backends.hlik.problem import GroupedColumns, HlikProblem, RandomTerm
from bayesml.backends.hlik.rows import DataRows, RandomRows
from bayesml.backends.hlik.steps import solve_mean_model
from bayesml.datasets import load
from bayesml.errors import ConvergenceWarning, DataError, FamilyError, FormulaError, SpecError
from bayesml.families.random_effects import get_random_family

BACTERIA = "y ~ week + (1 | ID)"
N = 30
Y = np.random.default_rng(0).normal(size=N)
Z = np.eye(3)[np.arange(N) % 3]


def test_non_convergence_warns_with_iterations_and_last_change():
    with pytest.warns(
        ConvergenceWarning,
        match=r"did not converge in 3 iterations: the last relative change of the linear predictor was [0-9.e-]+ \(tol=1e-06\)",
    ) as record:
        fit = hglm(BACTERIA, "bacteria", family="binomial", max_iter=3)
    assert not fit.converged and fit.iterations == 3
    assert record[0].filename == __file__  # the warning points at the caller
    assert "did not converge in 3 iterations" in str(fit.summary())


def test_nan_in_the_iteration_is_a_divergence_naming_the_stage():
    n = 12
    group = GroupedColumns(np.arange(n) % 3, np.ones((n, 1)), 3)
    family = get_random_family("gaussian")
    term = RandomTerm("g", group, family, ("Intercept",), ("a", "b", "c"))
    from bayesml.families import get_family

    problem = HlikProblem(
        y=np.arange(n, dtype=float),
        prior_weights=np.ones(n),
        trials=None,
        X=np.ones((n, 1)),
        x_names=("Intercept",),
        offset=np.zeros(n),
        family=get_family("gaussian"),
        random=(term,),
        dispersion=1.0,
    )
    system = AugmentedSystem(problem.X, [(0, group)], 3)
    phi = np.full(n, np.nan)
    with pytest.raises(
        DivergenceError,
        match=r"diverged: NaN or infinite values in the IWLS weights of the mean model \(outer iteration 4, step 1\)",
    ):
        solve_mean_model(
            system,
            DataRows.of(problem),
            RandomRows.of(problem),
            np.zeros(1),
            np.zeros(3),
            phi,
            np.ones(3),
            max_steps=5,
            outer_iteration=4,
        )


def test_likelihoods_of_a_quasi_model_say_to_fix_the_dispersion():
    fit = hglm(BACTERIA, "bacteria", family="binomial")
    for name in ("hlik", "pvh", "pbvh", "cAIC"):
        with pytest.raises(
            FamilyError,
            match=r"binomial model with an estimated dispersion are not defined: it is a quasi-likelihood model; fix the dispersion with dispersion=1",
        ):
            getattr(fit, name)
    assert fit.to_dict()["likelihoods"] is None


def test_likelihoods_need_the_dispersion_fixed_at_one():
    fit = hglm(
        "S ~ factor(Gr) + (1 | System) + offset(log(t))", "pump", family="poisson", dispersion=2
    )
    with pytest.raises(
        FamilyError,
        match=r"poisson model are defined with the dispersion fixed at 1; got dispersion=2",
    ):
        _ = fit.hlik


def test_likelihoods_of_a_weighted_poisson_model_are_refused():
    fit = hglm(y=np.arange(N) % 4, Z=Z, family="poisson", dispersion=1, weights=np.full(N, 2.0))
    with pytest.raises(
        FamilyError,
        match=r"poisson model with prior weights \(besides binomial trials\) are not defined",
    ):
        _ = fit.cAIC


@pytest.mark.parametrize(
    ("family", "link", "shown"),
    [
        ("gaussian", "log", "'gaussian' with the log link"),
        ("negative_binomial", None, "'negative_binomial' with the log link"),
    ],
)
def test_unsupported_family_lists_the_supported_ones(family, link, shown):
    with pytest.raises(
        FamilyError,
        match=rf"^method='hlik' \(h-likelihood, R's hglm\) does not support family {shown}; it "
        r"supports gaussian\(identity\), bernoulli\(logit, probit, cloglog\), .*; use "
        r"Model.sample\(method='nuts'\) or Model.fit\(method='laplace'\) or "
        r"Model.fit\(method='agq'\)$",
    ):
        hglm(y=np.abs(Y) + 1, Z=Z, family=family, link=link)


def test_unsupported_random_family_lists_the_supported_ones():
    with pytest.raises(
        FamilyError, match=r"unknown random family 'poisson'; supported random families \(link\)"
    ):
        hglm(y=Y, Z=Z, random_family="poisson")
    with pytest.raises(FamilyError, match=r"random family 'beta' does not support link 'probit'"):
        hglm(y=Y, Z=Z, random_family="beta(probit)")


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        (
            {"estimation": "REML"},
            SpecError,
            r"estimation must be one of \['EQL', 'EQL1'\]; got estimation='REML'",
        ),
        ({"tol": 0}, SpecError, r"tol must be a number in \(0, 1\) or None; got tol=0"),
        ({"max_iter": 0}, SpecError, r"max_iter must be a whole number >= 1; got max_iter=0"),
        (
            {"dispersion": -1},
            SpecError,
            r"dispersion must be 'auto' \(the family's own: fixed at 1 for a family without a "
            r"dispersion parameter — bernoulli, binomial, poisson — estimated otherwise\), "
            r"'estimate' \(phi estimated, R hglm's default\) or a positive number \(phi fixed "
            r"at it, R hglm's fix.disp\); got dispersion=-1$",
        ),
        (
            {"dispersion": "fixed"},
            SpecError,
            r"dispersion must be 'auto' .*; got dispersion='fixed'$",
        ),
        (
            {"random_family": ["gaussian", "gamma"]},
            SpecError,
            r"random_family gives 2 families for 1 random terms \['Random1'\]",
        ),
        (
            {"random_family": {"g": "gamma"}},
            SpecError,
            r"random_family names unknown random term\(s\) \['g'\]; the terms are \['Random1'\]",
        ),
        (
            {"random_family": 3},
            FamilyError,
            r"random_family must be a name such as 'gamma', one per random term, or a mapping from term name to family; got 3",
        ),
        (
            {"random_family": [3]},
            FamilyError,
            r"a random family must be a name such as 'gamma' or 'inverse_gamma\(log\)'; got 3",
        ),
    ],
)
def test_bad_options(options, error, message):
    with pytest.raises(error, match=message):
        hglm(y=Y, Z=Z, **options)


def test_fixed_dispersion_takes_no_dispersion_model():
    with pytest.raises(
        SpecError,
        match=r"a fixed dispersion \(dispersion=<number>\) takes no dispersion model; give "
        r"dispersion='estimate' with it",
    ):
        hglm(y=Y, Z=Z, dispersion=1, X_disp=np.ones((N, 1)))


def test_formula_and_matrix_forms_do_not_mix():
    with pytest.raises(
        SpecError,
        match=r"give either a formula or the matrices, not both; got formula and \['y', 'Z'\]",
    ):
        hglm(BACTERIA, "bacteria", y=Y, Z=Z)
    with pytest.raises(SpecError, match=r"give a formula, or the matrices y= and Z="):
        hglm(y=Y)
    with pytest.raises(
        SpecError, match=r"data=, dispersion_formula=, covariance= and car= go with a formula"
    ):
        hglm(y=Y, Z=Z, dispersion_formula="~ x")


def test_a_model_without_random_terms_is_refused():
    with pytest.raises(SpecError, match=r"needs at least one random term, e.g. \(1 \| group\)"):
        hglm("y ~ week", "bacteria", family="binomial")


def test_data_validation_of_the_design_layer_applies():
    with pytest.raises(DataError, match="has no column 'wek'"):
        hglm("y ~ wek + (1 | ID)", "bacteria", family="binomial")
    with pytest.raises(
        DataError, match="response 'Reaction' must be non-negative integer counts of successes"
    ):
        hglm("Reaction ~ Days + (1 | Subject)", "sleepstudy", family="binomial")
    with pytest.raises(DataError, match="'S' .*non-negative|'S'.*count"):
        hglm("S ~ 1 + (1 | System)", load("pump").assign(S=-1), family="poisson")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y": Y[:-1]}, r"Z must have 29 rows \(one per observation\); got shape \(30, 3\)"),
        (
            {"X": np.ones((N - 1, 1))},
            r"X must have 30 rows \(one per observation\); got shape \(29, 1\)",
        ),
        ({"X": np.ones((N, 2))}, r"X is rank deficient \(rank 1 < 2 columns\)"),
        ({"Z": np.where(Z == 1, np.nan, 0.0)}, r"Z holds NaN or infinite values"),
        ({"y": np.where(np.arange(N) == 2, np.nan, Y)}, r"y holds NaN or infinite values"),
        ({"weights": -np.ones(N)}, r"weights must be finite and positive"),
        (
            {"weights": np.ones(N - 2)},
            r"weights must have 30 values \(one per observation\); got 28",
        ),
        ({"offset": np.ones(3)}, r"offset must have 30 values \(one per observation\); got 3"),
        (
            {"X_disp": np.ones((N - 1, 1))},
            r"X_disp must have 30 rows \(one per observation\); got shape \(29, 1\)",
        ),
        (
            {"z_blocks": [2, 2]},
            r"z_blocks must be positive whole numbers adding up to the 3 columns of Z; got \[2, 2\]",
        ),
    ],
)
def test_matrix_form_validation(kwargs, message):
    arguments = {"y": Y, "Z": Z, **kwargs}
    with pytest.raises((DataError, SpecError), match=message):
        hglm(**arguments)


def test_binomial_matrix_form_checks_the_counts():
    with pytest.raises(DataError, match="y \\* weights"):
        hglm(y=np.full(N, 0.37), Z=Z, family="binomial", weights=np.full(N, 10.0))


def test_dispersion_formula_errors():
    with pytest.raises(
        FormulaError, match=r"a one-sided formula has no response: write '~ x1 \+ x2'"
    ):
        hglm(
            "y ~ x1 + (1 | Device)",
            "semiconductor",
            family="gamma",
            link="log",
            dispersion_formula="y ~ x2",
        )
    with pytest.raises(DataError, match="has no column 'x9'"):
        hglm(
            "y ~ x1 + (1 | Device)",
            "semiconductor",
            family="gamma",
            link="log",
            dispersion_formula="~ x9",
        )


def test_formula_weights_must_name_a_column():
    with pytest.raises(
        SpecError, match="with a formula, weights must be the name of a data column; got ndarray"
    ):
        hglm(BACTERIA, "bacteria", family="binomial", weights=np.ones(220))


def test_offset_column_must_exist():
    with pytest.raises(DataError, match=r"offset='logt' is not a column of the data"):
        hglm("S ~ 1 + (1 | System)", "pump", family="poisson", offset="logt")


PUMP = "S ~ factor(Gr) + (1 | System) + offset(log(t))"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"covariance": {"Systems": np.eye(10)}},
            SpecError,
            r"covariance names unknown random term\(s\) \['Systems'\]; the terms are \['System'\]",
        ),
        ({"car": {"x": np.eye(10)}}, SpecError, r"car names unknown random term\(s\) \['x'\]"),
        (
            {"covariance": {"System": np.eye(10)}, "car": {"System": np.eye(10)}},
            SpecError,
            r"takes covariance= or car=, not both; got both for \['System'\]",
        ),
        (
            {"covariance": {"System": np.eye(9)}},
            DataError,
            r"covariance of 'System' must be a 10 × 10 matrix .*; got shape \(9, 9\)",
        ),
        (
            {"covariance": {"System": np.triu(np.ones((10, 10)))}},
            DataError,
            r"covariance of 'System' must be symmetric",
        ),
        (
            {"covariance": {"System": -np.eye(10)}},
            DataError,
            r"covariance of 'System' must be positive definite",
        ),
        (
            {"car": {"System": np.full((10, 10), np.nan)}},
            DataError,
            r"neighbour matrix of 'System' holds NaN",
        ),
        (
            {"covariance": {"System": pd.DataFrame(np.eye(10))}},
            DataError,
            r"covariance of 'System' has no row/column for level\(s\) \['10'\] of the grouping factor",
        ),
        (
            {"covariance": {"System": np.eye(10)}, "random_family": "gamma"},
            FamilyError,
            r"correlated random effects \(covariance=, car=\) need the gaussian random family; term 'System' has gamma\(log\)",
        ),
    ],
)
def test_correlated_effect_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        hglm(PUMP, "pump", family="poisson", dispersion=1, **kwargs)


def test_correlated_term_must_be_an_intercept():
    with pytest.raises(
        DataError,
        match=r"a correlated random term must be an intercept per level, \(1 \| Subject\); got 2 terms",
    ):
        hglm("Reaction ~ Days + (Days | Subject)", "sleepstudy", covariance={"Subject": np.eye(18)})


def test_zero_prior_weights_are_refused():
    data = load("sleepstudy").assign(w=1.0)
    data.loc[3, "w"] = 0.0
    with pytest.raises(
        DataError, match="prior weights must be positive for the h-likelihood backend"
    ):
        hglm("Reaction ~ Days + (1 | Subject)", data, weights="w")
