"""Model specs: the immutable description of a model and its YAML form.

>>> from bayesml.spec import ModelSpec
>>> spec = ModelSpec.from_dict({"formula": "weight ~ day + (1 + day | rat)", "data": "rats"})
>>> print(spec.to_yaml(), end="")
data: rats
formula: weight ~ day + (1 + day | rat)
family: gaussian
"""

from bayesml.spec._frozen import FrozenMapping
from bayesml.spec._model_spec import SPEC_KEYS, ModelSpec, load_spec
from bayesml.spec._options import OPTIONS

__all__ = ["FrozenMapping", "ModelSpec", "OPTIONS", "SPEC_KEYS", "load_spec"]
