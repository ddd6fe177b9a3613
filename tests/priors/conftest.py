"""Small fake designs for the priors tests (the priors layer only reads a few attributes)."""

from types import SimpleNamespace

import numpy as np
import pytest

from bayesml.families import RESPONSE_KINDS, Family, Parameter


def fake_design(y, columns=None, *, intercept=True, blocks=()):
    """A design with response ``y``, fixed columns ``{label: values}`` and random ``blocks``.

    ``blocks`` holds ``(name, term_labels, correlated)`` tuples.
    """
    y = np.asarray(y, dtype=float)
    columns = dict(columns or {})
    names = (["Intercept"] if intercept else []) + list(columns)
    parts = ([np.ones(len(y))] if intercept else []) + [
        np.asarray(v, float) for v in columns.values()
    ]
    matrix = np.column_stack(parts) if parts else np.empty((len(y), 0))
    return SimpleNamespace(
        response=SimpleNamespace(y=y, trials=None),
        fixed=SimpleNamespace(matrix=matrix, column_names=tuple(names), has_intercept=intercept),
        random=tuple(
            SimpleNamespace(name=name, term_labels=tuple(labels), correlated=correlated)
            for name, labels, correlated in blocks
        ),
    )


def fake_family(name, link, aux=()):
    """A new family called ``name`` with parameters ``aux`` (no default priors), as a family
    module would declare it: the priors layer needs nothing else."""

    class Fancy(Family):
        links = ("identity", "log")
        response = RESPONSE_KINDS["real"]
        parameters = tuple(Parameter(a, f"the parameter {a}") for a in aux)

    Fancy.name = name
    return Fancy().with_link(link)


@pytest.fixture
def radon_like():
    """Gaussian-scale response, a continuous and a binary column, a correlated and a plain group."""
    y = [1.0, 2.0, 3.0, 4.0, 10.0]
    return fake_design(
        y,
        {"floor": [0, 1, 2, 3, 4], "extract[Cucumber]": [0, 1, 1, 0, 1]},
        blocks=[("county", ("Intercept", "floor"), True), ("plate", ("Intercept",), False)],
    )


@pytest.fixture
def make_design():
    """The :func:`fake_design` factory."""
    return fake_design


@pytest.fixture
def make_family():
    """The :func:`fake_family` factory."""
    return fake_family
