"""The NUTS implementations the backend can use, and which one is the default (no PyMC import).

``"nutpie"`` (default when installed: Rust NUTS over a numba-compiled log density, the fastest
to compile and run for these models), ``"pymc"`` (PyMC's own NUTS) and ``"numpyro"`` (JAX).
"""

from __future__ import annotations

import importlib.util

from bayesml.errors import ArgumentError, MissingDependencyError

__all__ = ["SAMPLERS", "check_sampler", "default_sampler"]

#: sampler name -> (module that must be importable, extra that provides it)
SAMPLERS: dict[str, tuple[str | None, str | None]] = {
    "nutpie": ("nutpie", "nutpie"),
    "pymc": (None, None),
    "numpyro": ("numpyro", "numpyro"),
}


def default_sampler() -> str:
    """The fastest installed sampler: nutpie if it is importable, else PyMC's NUTS."""
    return "nutpie" if importlib.util.find_spec("nutpie") is not None else "pymc"


def check_sampler(sampler: str | None) -> str:
    """Validate a sampler name and that its optional dependency is installed.

    Raises
    ------
    ArgumentError
        For an unknown name, listing the samplers.
    MissingDependencyError
        When the sampler's package is not installed, naming the extra that provides it.
    """
    if sampler is None:
        return default_sampler()
    if sampler not in SAMPLERS:
        raise ArgumentError(f"sampler must be one of {sorted(SAMPLERS)}; got sampler={sampler!r}")
    module, extra = SAMPLERS[sampler]
    if module is not None and importlib.util.find_spec(module) is None:
        raise MissingDependencyError(
            f"sampler={sampler!r} needs the {module} package, which is not installed; "
            f"install it with: pip install 'bayesml[{extra}]'"
        )
    return sampler
