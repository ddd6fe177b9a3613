"""Workflows built on fitted models: prior-sensitivity runs, backend comparison, calibration.

The public entry points are re-exported by :mod:`bayesml` (``bayesml.sensitivity``,
``bayesml.load_sensitivity``, ``bayesml.power_sensitivity``, ``bayesml.compare``,
``bayesml.sbc``, ``bayesml.coverage``). ``sbc`` (the function: it takes the place of the
module's name here), ``SBCResult``, ``coverage`` and ``CoverageResult`` are names of this package
too.
"""

from bayesml.workflows.sbc import sbc
from bayesml.workflows.sbc_point import coverage
from bayesml.workflows.sbc_point_result import CoverageResult
from bayesml.workflows.sbc_result import SBCResult

__all__ = ["CoverageResult", "SBCResult", "coverage", "sbc"]
