"""Workflows built on fitted models: prior-sensitivity runs, backend comparison.

The public entry points are re-exported by :mod:`bayesml` (``bayesml.sensitivity``,
``bayesml.load_sensitivity``, ``bayesml.power_sensitivity``, ``bayesml.compare``).
"""
