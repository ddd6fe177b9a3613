"""The families beyond glmer fitted by ``method="laplace"``, against glmmTMB 1.1.5.

tests/references/glmmtmb_references.R fits, by glmmTMB's Laplace approximation (TMB: the exact
Hessian of the joint log-likelihood in the random effects, as bayesml's families with an
"observed" ``laplace_curvature``), ``count ~ spp + mined + (1 | site)`` on salamanders with a
zero-inflated or hurdle Poisson/NB2 and a constant zero part (``ziformula = ~ 1``) or one with
the fixed terms (``~ spp + mined``); a simulated zero-inflated NB2 with ``ziformula = ~ w``; and
the NB2 model of the epilepsy counts. The maximum is the same function's maximum, so the
estimates agree to the optimisers' tolerance: fixed effects to 1e-4 (absolute or relative), SDs
and the NB shape to 1e-3 relative, the zero probability's coefficients to 1e-3 and the
log-likelihoods to 1e-3 absolute. One exception: the hurdle NB2 with a constant hurdle has a
small site SD (0.074) and a flat likelihood along spp[PR], where glmmTMB and bayesml reach the
same log-likelihood (7e-8 apart, bayesml's higher) 1.1e-4 apart in that coefficient (5e-4 of its
standard error): the fixed effects are compared to 1e-4 or 1e-3 standard errors, whichever is
larger.

Each salamanders fit takes seconds (a zero formula tens of seconds on a loaded 2-core machine), so
the fast suite keeps one of each kind and the rest are marked slow.

glmmTMB's ``sigma(fit)`` of nbinom2 is bayesml's ``alpha`` (Var = μ + μ²/α); its ``zi`` (logit
scale) is bayesml's ``zi`` of the zero-inflated and ``hu`` of the hurdle families.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import logit

import bayesml
from bayesml.backends.laplace.problem import MLProblem
from bayesml.errors import FamilyError

REFERENCES = json.loads(
    (Path(__file__).resolve().parents[1] / "references" / "glmmtmb_references.json").read_text()
)
FORMULA = "count ~ spp + mined + (1 | site)"
ZERO_FORMULA = "~ spp + mined"


def bayesml_label(r_name: str) -> str:
    """glmmTMB's coefficient name -> bayesml's: ``sppPR`` -> ``spp[PR]``, ``trtprogabide`` ->
    ``trt[progabide]``, ``lbase:trtprogabide`` -> ``lbase:trt[progabide]``."""
    if r_name == "(Intercept)":
        return "Intercept"
    parts = []
    for part in r_name.split(":"):
        for factor in ("spp", "mined", "trt"):
            if part.startswith(factor) and part != factor:
                part = f"{factor}[{part[len(factor) :]}]"
                break
        parts.append(part)
    return ":".join(parts)


def fit(model: bayesml.Model, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither non-convergence nor a singular fit here
        return model.fit(method="laplace", **options)


def check_fixed_effects(result, reference: dict) -> None:
    for r_name, estimate in reference["conditional"]["estimate"].items():
        label = bayesml_label(r_name)
        got = result.fixef.loc[label, "estimate"]
        se = reference["conditional"]["se"][r_name]
        tolerance = max(1e-4, 1e-4 * abs(estimate), 1e-3 * se)
        assert abs(got - estimate) < tolerance, (label, got, estimate)
        assert result.fixef.loc[label, "se"] == pytest.approx(se, rel=2e-3), label


def zero_coefficients(result, model: bayesml.Model, name: str) -> pd.Series:
    """The coefficients of a family parameter's formula (logit scale) from the result's
    ``family_coef``, checked against those recovered from the per-row values it gives (least
    squares on the formula's design)."""
    table = result.family_coef
    rows = [label for label in table.index if label.startswith(f"{name}: ")]
    coefficients = pd.Series(
        table.loc[rows, "estimate"].to_numpy(), index=[row.split(": ", 1)[1] for row in rows]
    )
    problem = MLProblem.of(model._inputs)
    slot = next(slot for slot in problem.parameters.slots if slot.name == name)
    values = np.asarray(result.family_parameters[name], dtype=float)
    recovered, *_ = np.linalg.lstsq(slot.design, logit(values), rcond=None)
    np.testing.assert_allclose(coefficients.to_numpy(), recovered, rtol=1e-8, atol=1e-10)
    return coefficients


def zero_standard_errors(result, name: str) -> pd.Series:
    """The SEs of a family parameter's formula coefficients, by bayesml's term label."""
    table = result.family_coef
    rows = [label for label in table.index if label.startswith(f"{name}: ")]
    return pd.Series(table.loc[rows, "se"].to_numpy(), index=[r.split(": ", 1)[1] for r in rows])


CONSTANT = [
    ("zero_inflated_poisson", "zipoisson_constant", "zi"),
    pytest.param(
        "zero_inflated_negative_binomial", "zinbinom2_constant", "zi", marks=pytest.mark.slow
    ),
    ("hurdle_poisson", "hurdle_poisson_constant", "hu"),
    pytest.param(
        "hurdle_negative_binomial", "hurdle_nbinom2_constant", "hu", marks=pytest.mark.slow
    ),
]


@pytest.mark.parametrize(("family", "key", "zero"), CONSTANT)
def test_salamanders_with_a_constant_zero_part_equal_glmmtmb(family, key, zero):
    reference = REFERENCES[key]
    result = fit(bayesml.Model(FORMULA, "salamanders", family=family))
    check_fixed_effects(result, reference)
    sd = result.varcorr.set_index("group").loc["site", "sd"]
    assert sd == pytest.approx(reference["sd_site"], rel=1e-3)
    assert result.loglik == pytest.approx(reference["logLik"], abs=1e-3)
    if "alpha" in reference:
        assert result.family_parameters["alpha"] == pytest.approx(reference["alpha"], rel=1e-3)
    if reference["zi"] > 1e-3:
        assert result.family_parameters[zero] == pytest.approx(reference["zi"], rel=1e-4)
    else:  # the NB2's structural zeros go to the boundary 0 (glmmTMB: logit zi = -16.4)
        assert result.family_parameters[zero] < 1e-5


FORMULAS = [
    ("zero_inflated_poisson", "zipoisson_zi_formula", "zi"),
    pytest.param("hurdle_poisson", "hurdle_poisson_hu_formula", "hu", marks=pytest.mark.slow),
    pytest.param(
        "zero_inflated_negative_binomial", "zinbinom2_zi_formula", "zi", marks=pytest.mark.slow
    ),
    pytest.param(
        "hurdle_negative_binomial", "hurdle_nbinom2_hu_formula", "hu", marks=pytest.mark.slow
    ),
]


@pytest.mark.parametrize(("family", "key", "zero"), FORMULAS)
def test_salamanders_with_a_zero_formula_equal_glmmtmb(family, key, zero):
    reference = REFERENCES[key]
    model = bayesml.Model(FORMULA, "salamanders", family=family, **{zero: ZERO_FORMULA})
    result = fit(model)
    check_fixed_effects(result, reference)
    sd = result.varcorr.set_index("group").loc["site", "sd"]
    assert sd == pytest.approx(reference["sd_site"], rel=1e-3)
    assert result.loglik == pytest.approx(reference["logLik"], abs=1e-3)
    if "alpha" in reference:
        assert result.family_parameters["alpha"] == pytest.approx(reference["alpha"], rel=1e-3)
    # the zero probability in every spp x mined cell (identified where a ridge leaves single
    # coefficients of the NB2's zero part loosely determined)
    data = bayesml.datasets.load("salamanders")
    cells = pd.DataFrame(reference["cells"])
    per_row = pd.DataFrame(
        {
            "spp": data["spp"].astype(str),
            "mined": data["mined"].astype(str),
            "zprob": np.asarray(result.family_parameters[zero]),
        }
    )
    merged = per_row.merge(cells, on=["spp", "mined"], suffixes=("", "_glmmtmb"))
    assert len(merged) == len(data)
    np.testing.assert_allclose(merged["zprob"], merged["zprob_glmmtmb"], rtol=1e-3, atol=1e-5)


@pytest.mark.slow
def test_zero_formula_coefficients_equal_glmmtmb_on_the_poisson():
    reference = REFERENCES["zipoisson_zi_formula"]
    model = bayesml.Model(FORMULA, "salamanders", family="zero_inflated_poisson", zi=ZERO_FORMULA)
    coefficients = zero_coefficients(fit(model), model, "zi")
    for r_name, estimate in reference["zero"]["estimate"].items():
        got = coefficients[bayesml_label(r_name)]
        assert got == pytest.approx(estimate, rel=1e-3, abs=1e-3), (r_name, got, estimate)


def test_simulated_zero_inflated_negative_binomial_with_a_zi_formula_equals_glmmtmb():
    reference = REFERENCES["zinbinom2_simulated"]
    data = pd.DataFrame(reference["data"])
    model = bayesml.Model(
        reference["formula"],
        data,
        family="zero_inflated_negative_binomial",
        zi=reference["ziformula"],
    )
    result = fit(model)
    check_fixed_effects(result, reference)
    assert result.varcorr.loc[0, "sd"] == pytest.approx(reference["sd_g"], rel=1e-3)
    assert result.family_parameters["alpha"] == pytest.approx(reference["alpha"], rel=1e-3)
    assert result.loglik == pytest.approx(reference["logLik"], abs=1e-3)
    coefficients = zero_coefficients(result, model, "zi")
    errors = zero_standard_errors(result, "zi")
    for r_name, estimate in reference["zero"]["estimate"].items():
        got = coefficients[bayesml_label(r_name)]
        assert got == pytest.approx(estimate, rel=1e-3, abs=1e-3), (r_name, got, estimate)
        if "se" in reference["zero"]:
            se = reference["zero"]["se"][r_name]
            assert errors[bayesml_label(r_name)] == pytest.approx(se, rel=2e-3), r_name
    assert "Models of family parameters (link scale):" in str(result.summary())


def test_epilepsy_negative_binomial_equals_glmmtmb():
    reference = REFERENCES["epil"]["nbinom2"]
    model = bayesml.Model(
        "y ~ lbase * trt + lage + V4 + (1 | subject)", "epil", family="negative_binomial"
    )
    result = fit(model)
    check_fixed_effects(result, reference)
    assert result.varcorr.loc[0, "sd"] == pytest.approx(reference["sd_subject"], rel=1e-3)
    assert result.family_parameters["alpha"] == pytest.approx(reference["alpha"], rel=1e-3)
    assert result.loglik == pytest.approx(reference["logLik"], abs=1e-3)


@pytest.mark.slow  # the same model as glmer's in ml_references (tests/laplace/test_lme4_references)
def test_epilepsy_poisson_with_an_observation_level_effect_equals_glmmtmb():
    reference = REFERENCES["epil"]["poisson_obs"]
    epil = bayesml.datasets.load("epil")
    data = epil.assign(obs=np.arange(len(epil)))
    model = bayesml.Model(
        "y ~ lbase * trt + lage + V4 + (1 | subject) + (1 | obs)", data, family="poisson"
    )
    result = fit(model)
    check_fixed_effects(result, reference)
    sds = result.varcorr.set_index("group")["sd"]
    assert sds["subject"] == pytest.approx(reference["sd_subject"], rel=1e-3)
    assert sds["obs"] == pytest.approx(reference["sd_obs"], rel=1e-3)
    assert result.loglik == pytest.approx(reference["logLik"], abs=1e-3)


def test_a_zero_formula_with_random_terms_is_refused_naming_the_alternative():
    model = bayesml.Model(
        FORMULA, "salamanders", family="zero_inflated_poisson", zi="~ mined + (1 | site)"
    )
    with pytest.raises(FamilyError, match=r"fixed terms only.*'zi'.*method='nuts'"):
        model.fit(method="laplace")


def test_the_start_of_a_zero_inflated_count_model_is_finite():
    """The zeros of the response must not start β at log(tiny) ≈ −236 (the modes diverged from
    there and every salamanders fit failed)."""
    model = bayesml.Model(FORMULA, "salamanders", family="zero_inflated_poisson")
    beta = MLProblem.of(model._inputs).start_beta()
    assert np.all(np.abs(beta) < 5.0)
    model = bayesml.Model(FORMULA, "salamanders", family="hurdle_negative_binomial")
    assert np.all(np.abs(MLProblem.of(model._inputs).start_beta()) < 5.0)
