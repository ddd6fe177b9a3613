"""bayesml: Bayesian hierarchical generalized linear models.

Describe a multilevel model once — an lme4-style formula or a YAML spec file — choose the
hyperpriors, and fit it with NUTS (PyMC), Gibbs-style samplers or the h-likelihood backend.

``import bayesml`` is light: PyMC, PyTensor and ArviZ are imported only when a model is sampled.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from bayesml._lazy import lazy_exports
from bayesml._version import __version__

if TYPE_CHECKING:
    from bayesml import datasets
    from bayesml.errors import (
        ArgumentError,
        ArgumentTypeError,
        BayesmlError,
        ConvergenceWarning,
        DataError,
        FamilyError,
        FormulaError,
        MissingDependencyError,
        ModelChangeWarning,
        PriorError,
        SamplingError,
        SamplingWarning,
        SmoothExtrapolationWarning,
        SpecError,
    )
    from bayesml.families import get_family, get_link
    from bayesml.formula import parse_formula
    from bayesml.hglm_interface import hglm
    from bayesml.model import Model
    from bayesml.priors import Prior
    from bayesml.results import summary
    from bayesml.results.chunks import set_chunk_budget
    from bayesml.results.loglik import add_log_likelihood
    from bayesml.results_io import load_result, save_result
    from bayesml.spec import ModelSpec, load_spec
    from bayesml.workflows.anova import anova
    from bayesml.workflows.compare import compare
    from bayesml.workflows.power_scaling import power_sensitivity
    from bayesml.workflows.sbc import sbc
    from bayesml.workflows.sbc_point import coverage
    from bayesml.workflows.sbc_point_result import CoverageResult
    from bayesml.workflows.sbc_result import SBCResult
    from bayesml.workflows.sensitivity import load_sensitivity, sensitivity


__all__ = [
    "__version__",
    "add_log_likelihood",
    "anova",
    "ArgumentError",
    "ArgumentTypeError",
    "BayesmlError",
    "ConvergenceWarning",
    "DataError",
    "FamilyError",
    "FormulaError",
    "MissingDependencyError",
    "Model",
    "ModelChangeWarning",
    "ModelSpec",
    "Prior",
    "PriorError",
    "SamplingError",
    "SamplingWarning",
    "SBCResult",
    "SmoothExtrapolationWarning",
    "SpecError",
    "compare",
    "coverage",
    "CoverageResult",
    "datasets",
    "get_family",
    "get_link",
    "hglm",
    "load_result",
    "load_sensitivity",
    "load_spec",
    "parse_formula",
    "plots",
    "power_sensitivity",
    "save_result",
    "sbc",
    "sensitivity",
    "set_chunk_budget",
    "summary",
]

_ERRORS = tuple(name for name in __all__ if name.endswith(("Error", "Warning")))

# public name -> module that defines it (imported on first use)
_LAZY = {
    "Model": "bayesml.model",
    "ModelSpec": "bayesml.spec",
    "load_spec": "bayesml.spec",
    "Prior": "bayesml.priors",
    "get_family": "bayesml.families",
    "get_link": "bayesml.families",
    "hglm": "bayesml.hglm_interface",
    "parse_formula": "bayesml.formula",
    "summary": "bayesml.results",
    "add_log_likelihood": "bayesml.results.loglik",
    "set_chunk_budget": "bayesml.results.chunks",
    "save_result": "bayesml.results_io",
    "load_result": "bayesml.results_io",
    "sensitivity": "bayesml.workflows.sensitivity",
    "load_sensitivity": "bayesml.workflows.sensitivity",
    "power_sensitivity": "bayesml.workflows.power_scaling",
    "compare": "bayesml.workflows.compare",
    "sbc": "bayesml.workflows.sbc",
    "SBCResult": "bayesml.workflows.sbc_result",
    "coverage": "bayesml.workflows.sbc_point",
    "CoverageResult": "bayesml.workflows.sbc_point_result",
    "anova": "bayesml.workflows.anova",
    **dict.fromkeys(_ERRORS, "bayesml.errors"),
}
_SUBMODULES = ("datasets", "plots")

_lazy_getattr, _ = lazy_exports(__name__, _LAZY, cache=globals())


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"bayesml.{name}")
    return _lazy_getattr(name)


def __dir__() -> list[str]:
    return __all__
