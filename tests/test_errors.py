"""Every user-facing error derives from :class:`bayesml.BayesmlError`.

The source test walks ``bayesml/`` with ``ast`` and refuses a bare ``ValueError``, ``TypeError``,
``KeyError`` or ``RuntimeError`` outside :data:`ALLOWED`, whose entries are internal invariant
checks a user of the package cannot trigger. The other tests raise converted errors of several
layers and catch them as ``BayesmlError`` and as the built-in they also derive from.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayesml
from bayesml.errors import ArgumentError, ArgumentTypeError, PriorError, SamplingError

PACKAGE = Path(bayesml.__file__).parent
BUILT_INS = frozenset({"ValueError", "TypeError", "KeyError", "RuntimeError"})

# (path under bayesml/, enclosing function, exception) -> why it stays a built-in
ALLOWED: dict[tuple[str, str, str], str] = {
    ("backends/gibbs/autocorrelation.py", "jump_autocorrelation", "ValueError"): (
        "internal: the expansion chooser always passes blocks of two or more draws"
    ),
    ("backends/gibbs/linear_algebra.py", "DenseSolver.precision", "RuntimeError"): (
        "internal call-order invariant: the sampler calls set_weights before drawing"
    ),
    ("backends/gibbs/linear_algebra.py", "BlockSolver.draw", "RuntimeError"): (
        "internal call-order invariant: the sampler calls set_weights before drawing"
    ),
    ("backends/gibbs/linear_algebra.py", "BlockSolver.__init__", "ValueError"): (
        "internal: make_solver builds a BlockSolver only for a regression with grouping factors"
    ),
    ("backends/gibbs/slice_sampling.py", "slice_step", "ValueError"): (
        "internal: the kernels start every slice step at the current value, inside the support"
    ),
    ("backends/hlik/linear_algebra.py", "Factorization.inverse_random_block", "ValueError"): (
        "internal: the h-likelihood trace asks only for columns of the dense part"
    ),
    ("backends/pymc/deterministics.py", "add_deterministics", "ValueError"): (
        "internal: the samplers leave out only BuildInfo.row_variables, which no Deterministic "
        "needs; guards a builder change that would make one need them"
    ),
    ("backends/pymc/marginal.py", "build_marginal_model", "ValueError"): (
        "internal: the backend builds this graph only after choose_random_effects found no "
        "obstacle (it raises FamilyError for random_effects='integrated')"
    ),
    ("backends/pymc/priors.py", "positive_variable", "ValueError"): (
        "internal: parse_prior already refused a prior that is not for a positive parameter "
        "(PriorError); guards the prior registry and the PyMC builders against drifting apart"
    ),
    ("backends/pymc/priors.py", "unit_interval_variable", "ValueError"): (
        "internal: parse_prior already refused a prior that is not for a probability (PriorError)"
    ),
    ("backends/pymc/priors.py", "_vector_parts", "ValueError"): (
        "internal: parse_prior already refused a cutpoints prior that is not for real entries "
        "(PriorError)"
    ),
    ("backends/pymc/priors.py", "sd_scalars", "ValueError"): (
        "internal: a random term has at least one term by construction of the formula"
    ),
    ("backends/pymc/priors.py", "coefficient_scalars", "ValueError"): (
        "internal: parse_prior already refused a coefficient prior of another role (PriorError)"
    ),
    ("backends/pymc/priors.py", "_lkj_factor", "ValueError"): (
        "internal: resolve_priors gives one SD prior per term of a correlated group"
    ),
    ("backends/pymc/priors.py", "covariance_factor_entries", "ValueError"): (
        "internal: parse_prior already refused a cov prior other than lkj/inverse_wishart"
    ),
    ("backends/pymc/results.py", "log_prior_dataset", "ValueError"): (
        "internal: build_model always records the priors in BuildInfo"
    ),
    ("design/convert.py", "raw_values", "TypeError"): (
        "internal: every caller handles constants before asking for row values"
    ),
    ("design/encodings.py", "EncodingStore.state", "RuntimeError"): (
        "internal: new rows are encoded by the same expressions that learned the encodings"
    ),
    ("linalg/batched.py", "small_gaussian_draw", "ValueError"): (
        "internal: the Gibbs block solver calls it only for 1 x 1 and 2 x 2 matrices"
    ),
    ("results/log_prior.py", "log_prior_dataset", "ValueError"): (
        "internal: the backends pass one prior per sampled coefficient"
    ),
}

# exception classes of bayesml that are not BayesmlErrors -> why
ALLOWED_CLASSES: dict[tuple[str, str], str] = {
    ("priors/_constraints.py", "ConstraintViolation"): (
        "internal signal: Prior's validation catches it and raises PriorError naming the parameter"
    ),
    ("linalg/elimination.py", "NotPositiveDefinite"): (
        "numerical signal of the linalg layer (a numpy LinAlgError): the backends catch it and "
        "raise DataError saying which matrix failed"
    ),
}


def _sources() -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(PACKAGE.rglob("*.py"))
    ]


def _built_in_errors(tree: ast.Module) -> list[tuple[str, str, int]]:
    """(enclosing function, exception, line) of each ``raise E``/``E(...)`` of a BUILT_INS ``E``.

    Constructions count too, so a helper that builds the exception for a caller to raise is
    caught.
    """
    found: list[tuple[str, str, int]] = []

    def visit(node: ast.AST, scope: tuple[str, ...]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                visit(child, (*scope, child.name))
                continue
            target = None
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Name):
                target = child.func.id
            elif isinstance(child, ast.Raise) and isinstance(child.exc, ast.Name):
                target = child.exc.id
            if target in BUILT_INS:
                found.append((".".join(scope), target, child.lineno))
            visit(child, scope)

    visit(tree, ())
    return found


def test_no_bare_built_in_errors_outside_the_allow_list():
    offending, used = [], set()
    for path, tree in _sources():
        for function, exception, line in _built_in_errors(tree):
            key = (path, function, exception)
            if key in ALLOWED:
                used.add(key)
            else:
                offending.append(f"bayesml/{path}:{line} in {function or '<module>'}: {exception}")
    assert not offending, (
        "raise a subclass of bayesml.BayesmlError (ArgumentError, ArgumentTypeError, DataError, "
        "SpecError, ...) or, for an internal invariant a user cannot trigger, add the place to "
        "ALLOWED with the reason:\n" + "\n".join(offending)
    )
    assert not set(ALLOWED) - used, f"stale ALLOWED entries: {sorted(set(ALLOWED) - used)}"


def test_the_source_walk_finds_raises_and_constructions():
    tree = ast.parse(
        "def f():\n    raise ValueError('x')\n"
        "class C:\n    def g(self):\n        raise KeyError\n"
        "def h():\n    return TypeError('made here, raised elsewhere')\n"
        "def ok():\n    raise bayesml.errors.DataError('x')\n"
    )
    assert [(f, e) for f, e, _ in _built_in_errors(tree)] == [
        ("f", "ValueError"),
        ("C.g", "KeyError"),
        ("h", "TypeError"),
    ]


def test_every_exception_class_is_a_bayesml_error():
    classes = {
        (path, node.name): [ast.unparse(base).rsplit(".", 1)[-1] for base in node.bases]
        for path, tree in _sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    }
    ours, changed = {"BayesmlError"}, True
    while changed:
        before = len(ours)
        ours |= {name for (_, name), bases in classes.items() if ours.intersection(bases)}
        changed = len(ours) != before
    exception_like = {
        key
        for key, bases in classes.items()
        if any(base.endswith(("Error", "Exception")) for base in bases)
    }
    offending = sorted(key for key in exception_like if key[1] not in ours)
    assert set(offending) == set(ALLOWED_CLASSES), offending


def test_the_new_classes_keep_their_built_in():
    assert issubclass(ArgumentError, bayesml.BayesmlError) and issubclass(ArgumentError, ValueError)
    assert issubclass(ArgumentTypeError, bayesml.BayesmlError)
    assert issubclass(ArgumentTypeError, TypeError)
    assert issubclass(SamplingError, bayesml.BayesmlError)
    assert issubclass(SamplingError, RuntimeError)
    assert bayesml.SamplingError is SamplingError
    assert "SamplingError" in bayesml.__all__


# -- converted errors, layer by layer ----------------------------------------------------------
def test_workflow_errors():
    with pytest.raises(bayesml.BayesmlError, match="^compare needs at least one result; got none$"):
        bayesml.compare()
    with pytest.raises(bayesml.BayesmlError, match=r"^result 1 must be a posterior .* got list$"):
        bayesml.compare([1, 2])
    with pytest.raises(ArgumentTypeError, match="^model_or_spec must be a bayesml.Model"):
        bayesml.sensitivity(42, priors={"sigma": {"hn": {"dist": "half_normal", "sigma": 1}}})

    from bayesml.workflows.sensitivity_grid import prior_configurations

    with pytest.raises(ArgumentError, match="got neither$"):
        prior_configurations(None, None)
    with pytest.raises(TypeError, match=r"^configurations\[0\] must be a prior mapping; got int$"):
        prior_configurations(None, [1])


def test_plot_errors():
    with pytest.raises(ArgumentTypeError, match=r"^bayesml.plots.trace needs a result of Model"):
        bayesml.plots.trace([1, 2])
    with pytest.raises(ArgumentTypeError, match="^hlik_diagnostics needs an h-likelihood fit"):
        bayesml.plots.hlik_diagnostics(object())
    with pytest.raises(bayesml.BayesmlError, match=r"needs the columns .*; missing \['parameter'"):
        bayesml.plots.plot_estimates(pd.DataFrame({"x": [1.0]}))


def test_design_errors():
    from bayesml.design import build_design

    data = pd.DataFrame({"y": [1.0, 2.0, 4.0], "x": [0.0, 1.0, 2.0]})
    design = build_design(
        bayesml.parse_formula("y ~ x"), data, family=bayesml.get_family("gaussian")
    )
    with pytest.raises(ArgumentTypeError, match="^new data must be a pandas DataFrame; got list$"):
        design.fixed.transform([[1.0]])


def test_prior_and_formula_errors():
    from bayesml.formula import Response
    from bayesml.priors import parse_prior, prior_logpdf, rescale_prior, sampled_coefficient_priors

    with pytest.raises(ArgumentError, match="^role must be one of .*; got 'beta'$"):
        parse_prior({"dist": "normal", "sigma": 1}, role="beta", key_path="priors")
    with pytest.raises(PriorError, match="weakly_informative has no density of its own"):
        prior_logpdf(bayesml.Prior("weakly_informative"), np.zeros(2))
    with pytest.raises(PriorError, match=r"is not a location-scale prior"):
        rescale_prior(bayesml.Prior("half_normal", sigma=1), 2.0)
    with pytest.raises(PriorError, match="^no prior for the coefficient 'x'$"):
        sampled_coefficient_priors(["x"], intercept_prior=None, fixed_priors={})
    with pytest.raises(ArgumentError, match="^Response kind must be one of"):
        Response("bogus", ("y",))


def test_hlik_dispersion_that_varies_is_not_a_float():
    from bayesml.backends.hlik.result import DispersionEstimate

    phi = DispersionEstimate("phi", np.array([1.0, 2.0]), None)
    with pytest.raises(ArgumentTypeError, match=r"^phi varies across rows"):
        float(phi)
