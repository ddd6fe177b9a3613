"""``Model.sample(method="auto")``: Gibbs for a Gaussian model where every block has an exact
update, NUTS otherwise, with the reason in the result and in ``describe()``. Not the default:
NUTS stays it (bench/README.md, *method="auto"*)."""

from __future__ import annotations

import importlib.util

import pytest

import bayesml
from bayesml.backends.registry import choose_sampling_method
from bayesml.errors import ArgumentError

SHORT = {"draws": 30, "tune": 30, "chains": 2, "random_seed": 1, "check": False}


@pytest.fixture(scope="module")
def sleepstudy():
    return bayesml.Model("Reaction ~ Days + (Days | Subject)", "sleepstudy")


def test_nuts_stays_the_default(sleepstudy):
    import inspect

    assert inspect.signature(bayesml.Model.sample).parameters["method"].default == "nuts"


def test_auto_says_why(sleepstudy):
    result = sleepstudy.sample("auto", **SHORT)
    assert result.attrs["bayesml_method"] == "gibbs"
    assert result.attrs["bayesml_method_reason"] == "auto: gibbs (every block has an exact update)"
    lines = sleepstudy.describe(result).splitlines()
    assert 'Sampler: gibbs, chosen by method="auto" (every block has an exact update)' in lines


def test_describe_says_what_auto_would_use(sleepstudy):
    assert (
        'Sampler: NUTS by default; method="auto" would use gibbs (every block has an exact update)'
        in sleepstudy.describe().splitlines()
    )


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (
            {"formula": "y ~ week + (1 | ID)", "family": "poisson", "data": "bacteria_counts"},
            "auto: nuts (family poisson with the log link has no exact Gibbs update)",
        ),
        (
            {
                "formula": "y ~ week + (1 | ID)",
                "family": "bernoulli",
                "link": "cloglog",
                "data": "bacteria",
                "success": "y",
            },
            "auto: nuts (family bernoulli with the cloglog link has no exact Gibbs update)",
        ),
        (
            {"formula": "Reaction ~ Days + (1 | Subject)", "data": "sleepstudy", "family": "student_t"},
            "auto: nuts (family student_t with the identity link has no exact Gibbs update)",
        ),
        (
            {
                "formula": "Reaction ~ Days + (1 | Subject)",
                "data": "sleepstudy",
                "dispersion_formula": "~ Days",
            },
            "auto: nuts (formulas for the family parameters sigma have no Gibbs update)",
        ),
        (
            {
                "formula": "Reaction ~ Days + (1 | Subject)",
                "data": "sleepstudy",
                "random_effects": "sampled",
            },
            "auto: nuts (Model(random_effects='sampled') sets up NUTS)",
        ),
    ],
)
def test_auto_takes_nuts_and_says_why(arguments, reason):
    import pandas as pd

    if arguments["data"] == "bacteria_counts":
        frame = bayesml.datasets.load("bacteria")
        arguments = {**arguments, "data": pd.DataFrame({**frame, "y": (frame["y"] == "y") * 3})}
    model = bayesml.Model(**arguments)
    method, why = choose_sampling_method(model._inputs)
    assert method == "nuts"
    assert why.startswith(reason)
    assert f'would use nuts ({why.removeprefix("auto: nuts (")}' in model.describe()


def test_binary_models_go_to_nuts_for_mixing(monkeypatch):
    """Probit and logit models have exact Gibbs updates, but the latent variables slow the
    mixing (bench/README.md): auto takes NUTS, and says why; without polyagamma it says that."""
    model = bayesml.Model("y ~ week + (1 | ID)", "bacteria", family="bernoulli", success="y")
    if importlib.util.find_spec("polyagamma") is not None:
        assert choose_sampling_method(model._inputs) == (
            "nuts",
            "auto: nuts (the Gibbs updates of a bernoulli model with the logit link mix more "
            "slowly than NUTS (bench/README.md))",
        )
    probit = model.replace(link="probit")
    assert "bernoulli model with the probit link mix more slowly" in (
        choose_sampling_method(probit._inputs)[1]
    )
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "polyagamma" else real(name, *a)
    )
    method, reason = choose_sampling_method(model._inputs)
    assert method == "nuts"
    assert "polyagamma package, which is not installed" in reason


def test_nuts_options_choose_nuts(sleepstudy):
    assert choose_sampling_method(sleepstudy._inputs, {"target_accept": 0.95}) == (
        "nuts",
        "auto: nuts (sampler_kwargs 'target_accept' is an option of NUTS)",
    )
    assert choose_sampling_method(sleepstudy._inputs, {"cores": 1, "thin": 2})[0] == "gibbs"


def test_gibbs_options_on_a_model_gibbs_cannot_fit():
    model = bayesml.Model(
        "Reaction ~ Days + (1 | Subject)", "sleepstudy", family="gamma", link="log"
    )
    with pytest.raises(
        ArgumentError,
        match=r"sampler_kwargs 'thin' are options of method='gibbs', which cannot fit this "
        r"model \(family gamma with the log link has no exact Gibbs update\)",
    ):
        model.sample("auto", sampler_kwargs={"thin": 2}, **SHORT)


def test_forcing_a_method_is_recorded(sleepstudy):
    result = sleepstudy.sample("gibbs", **SHORT)
    assert result.attrs["bayesml_method_reason"] == "method='gibbs' given"


def test_unknown_method_lists_auto(sleepstudy):
    with pytest.raises(
        ArgumentError, match=r"^method must be one of \['auto', 'gibbs', 'nuts'\]; got method='hmc'$"
    ):
        sleepstudy.sample("hmc")
    with pytest.raises(ArgumentError, match=r"method='hlik' is a fitting method: use Model.fit"):
        sleepstudy.sample("hlik")
