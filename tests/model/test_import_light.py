"""``import bayesml`` must not import PyMC, PyTensor or ArviZ (they cost seconds)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pymc", "pytensor", "arviz", "arviz_base", "arviz_stats", "nutpie", "numba", "jax")

SCRIPT = f"""
import json, sys
import bayesml
bayesml.Model, bayesml.ModelSpec, bayesml.Prior, bayesml.datasets  # lazy names resolve
model = bayesml.Model("Reaction ~ Days + (Days | Subject)", "sleepstudy")
model.describe()
heavy = sorted({{name.split(".")[0] for name in sys.modules}} & set({HEAVY!r}))
print(json.dumps(heavy))
"""


def test_import_and_describe_do_not_import_the_backends():
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(completed.stdout.strip().splitlines()[-1]) == []


def test_the_check_itself_sees_a_backend_import():
    """The same script after importing pytensor reports it, so the test above can fail."""
    script = SCRIPT.replace("import bayesml\n", "import bayesml\nimport pytensor\n", 1)
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert "pytensor" in json.loads(completed.stdout.strip().splitlines()[-1])


def test_every_public_name_resolves():
    """Each name in ``bayesml.__all__`` imports (the lazy table points at a real object)."""
    import bayesml

    missing = [name for name in bayesml.__all__ if getattr(bayesml, name, None) is None]
    assert missing == []
    assert callable(bayesml.sensitivity) and callable(bayesml.compare)
    assert callable(bayesml.power_sensitivity) and callable(bayesml.plots.trace)
