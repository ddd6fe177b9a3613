"""The backend seam: the registry, the options each backend validates, the support checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayesml
from bayesml.backends.registry import BACKENDS, check_supports, get_backend, methods
from bayesml.backends.seam import SAMPLING_DEFAULTS, SamplingOptions
from bayesml.errors import ArgumentError, FamilyError
from bayesml.families import FAMILIES, get_family


@pytest.fixture(scope="module")
def model() -> bayesml.Model:
    rng = np.random.default_rng(3)
    data = pd.DataFrame(
        {"y": rng.normal(size=40), "x": rng.normal(size=40), "g": list("abcd") * 10}
    )
    return bayesml.Model("y ~ x + (1 | g)", data)


def test_registry_lists_the_methods_by_kind():
    assert methods("sampling") == ["gibbs", "nuts"]
    assert methods("fitting") == ["agq", "hlik", "laplace"]
    for name, entry in BACKENDS.items():
        backend = get_backend(name, entry.kind)
        assert backend.name == name and backend.kind == entry.kind


def test_the_registry_does_not_import_pymc():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from bayesml.backends.registry import get_backend\n"
        "get_backend('nuts', 'sampling'); get_backend('gibbs', 'sampling')\n"
        "get_backend('hlik', 'fitting')\n"
        "assert 'pymc' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda m: m.sample(method="hmc"),
         r"^method must be one of \['auto', 'gibbs', 'nuts'\]; got method='hmc'$"),
        (lambda m: m.fit(method="reml"),
         r"^method must be one of \['agq', 'hlik', 'laplace'\]; got method='reml'$"),
        (lambda m: m.fit(method="nuts"),
         r"^method='nuts' is a sampling method: use Model.sample\(method='nuts'\); Model.fit takes "
         r"\['agq', 'hlik', 'laplace'\]$"),
        (lambda m: m.sample(method="hlik"),
         r"^method='hlik' is a fitting method: use Model.fit\(method='hlik'\); Model.sample takes "
         r"\['gibbs', 'nuts'\]$"),
    ],
)  # fmt: skip
def test_unknown_or_misplaced_methods_list_the_registered_ones(model, call, pattern):
    with pytest.raises(ArgumentError, match=pattern):
        call(model)


@pytest.mark.parametrize(
    ("method", "kwargs", "pattern"),
    [
        ("gibbs", {"thinning": 2},
         r"^method='gibbs' has no option 'thinning' in sampler_kwargs; its options: cores, "
         r"expansion, thin \(did you mean 'thin'\?\)$"),
        ("gibbs", {"draws": 2},
         r"^method='gibbs' has no option 'draws' in sampler_kwargs"),
        ("gibbs", {"probit_form": "latent"}, r"takes the probit form from the model"),
        ("nuts", {"cores": 0}, r"^sampler_kwargs\['cores'\] must be an integer >= 1; got cores=0$"),
        ("nuts", {"sampler": "stan"}, r"^sampler must be one of \['numpyro', 'nutpie', 'pymc'\]"),
    ],
)  # fmt: skip
def test_each_backend_validates_its_own_options(model, method, kwargs, pattern):
    with pytest.raises(ArgumentError, match=pattern):
        model.sample(method=method, draws=5, tune=5, chains=1, sampler_kwargs=kwargs)


def test_fit_options_are_validated_by_the_backend(model):
    with pytest.raises(
        ArgumentError,
        match=r"^method='hlik' has no option 'random_familly' in the keyword arguments of "
        r"Model.fit; its options: .* \(did you mean 'random_family'\?\)$",
    ):
        model.fit(random_familly="gamma")
    with pytest.raises(ValueError, match=r"^estimation must be one of \['EQL', 'EQL1'\]"):
        model.fit(estimation="REML")


def test_the_shared_sampling_options_are_checked_once():
    with pytest.raises(ArgumentError, match=r"^draws must be an integer >= 1; got draws=0$"):
        SamplingOptions(**(SAMPLING_DEFAULTS | {"draws": 0}))
    with pytest.raises(ArgumentError, match=r"^random_seed must be an integer >= 0"):
        SamplingOptions(**(SAMPLING_DEFAULTS | {"random_seed": -1}))
    assert SamplingOptions(**(SAMPLING_DEFAULTS | {"draws": np.int64(5)})).draws == 5


def test_the_sampling_defaults_are_those_of_model_sample():
    import inspect

    parameters = inspect.signature(bayesml.Model.sample).parameters
    assert {name: parameters[name].default for name in SAMPLING_DEFAULTS} == dict(SAMPLING_DEFAULTS)


@pytest.mark.parametrize(
    ("method", "kind", "family", "link", "instead"),
    [
        ("gibbs", "sampling", "poisson", None,
         r"use Model.sample\(method='nuts'\) or Model.fit\(method='hlik'\) or "
         r"Model.fit\(method='laplace'\) or Model.fit\(method='agq'\)"),
        ("hlik", "fitting", "student_t", None,
         r"use Model.sample\(method='nuts'\) or Model.fit\(method='laplace'\) or "
         r"Model.fit\(method='agq'\)"),
        ("hlik", "fitting", "gaussian", "log",
         r"use Model.sample\(method='nuts'\) or Model.fit\(method='laplace'\) or "
         r"Model.fit\(method='agq'\)"),
    ],
)  # fmt: skip
def test_an_unsupported_family_names_what_is_supported_and_what_to_use(
    method, kind, family, link, instead
):
    backend = get_backend(method, kind)
    with pytest.raises(FamilyError, match=rf"does not support family '{family}' .*; {instead}$"):
        check_supports(backend, get_family(family, link))


def test_nuts_supports_every_family_with_every_link():
    supported = get_backend("nuts", "sampling").supported_families()
    assert supported == {name: family.links for name, family in FAMILIES.items()}


def test_laplace_fits_every_family_with_every_link():
    supported = get_backend("laplace", "fitting").supported_families()
    assert supported == {name: family.links for name, family in FAMILIES.items()}


def test_the_support_check_comes_before_any_sampling(model, monkeypatch):
    backend = get_backend("gibbs", "sampling")
    monkeypatch.setattr(type(backend), "run", lambda *args: pytest.fail("ran"))
    poisson = bayesml.Model("y ~ x", model.data.assign(y=np.arange(40) % 5), family="poisson")
    with pytest.raises(FamilyError, match="method='gibbs'"):
        poisson.sample(method="gibbs", draws=5, tune=5, chains=1)


@pytest.mark.parametrize(
    ("keyword", "value", "method", "option"),
    [("sampler", "pymc", "nuts", "sampler"), ("thin", 2, "gibbs", "thin")],
)
def test_the_former_sample_keywords_still_work_with_a_warning(
    model, keyword, value, method, option
):
    seen = {}

    def run(self, inputs, options):
        seen["options"] = options
        raise StopIteration

    backend = get_backend(method, "sampling")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(backend), "run", run)
        with (
            pytest.warns(FutureWarning, match=rf"sampler_kwargs=\{{'{option}': \.\.\.\}}"),
            pytest.raises(StopIteration),
        ):
            model.sample(method=method, draws=5, tune=5, chains=1, **{keyword: value})
    assert getattr(seen["options"], option) == value


def test_an_unknown_keyword_of_sample_is_a_type_error(model):
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'draw'"):
        model.sample(draw=5)
