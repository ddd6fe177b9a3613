"""Deep freezing and thawing of nested spec data."""

import pickle

import pytest

from bayesml.spec import FrozenMapping
from bayesml.spec._frozen import freeze, thaw


def test_freeze_and_thaw_round_trip():
    data = {"a": [1, {"b": [2, 3]}], "c": {"d": None}}
    frozen = freeze(data)
    assert isinstance(frozen, FrozenMapping)
    assert frozen["a"] == (1, FrozenMapping({"b": (2, 3)}))
    assert thaw(frozen) == data
    assert hash(frozen) == hash(freeze(data))


def test_frozen_mapping_is_read_only_and_equal_to_dict():
    frozen = freeze({"x": 1})
    assert frozen == {"x": 1} and dict(frozen) == {"x": 1}
    with pytest.raises(TypeError):
        frozen["x"] = 2
    with pytest.raises(AttributeError):
        frozen.update({"x": 2})
    assert repr(frozen) == "FrozenMapping({'x': 1})"


def test_frozen_mapping_pickles():
    frozen = freeze({"x": [1, 2]})
    assert pickle.loads(pickle.dumps(frozen)) == frozen


def test_thaw_uses_to_dict():
    class Thing:
        def to_dict(self):
            return {"dist": "flat"}

    assert thaw(freeze({"p": Thing()})) == {"p": {"dist": "flat"}}
