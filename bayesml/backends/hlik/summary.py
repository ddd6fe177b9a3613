"""The text summary of an h-likelihood fit, in the layout of R ``hglm``'s ``summary()``:
mean model (fixed effects with t tests, random effects), dispersion model (φ and its
coefficients), dispersion of the random effects (λ and its model), likelihoods, convergence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from bayesml.backends.hlik.result import DispersionEstimate, HlikResult

__all__ = ["summary_text"]

_RANEF_SHOWN = 5  # blocks with more effects show the first three unless asked
_RULE = {
    "mean": ("----------", "MEAN MODEL"),
    "dispersion": ("----------------", "DISPERSION MODEL"),
    "likelihood": ("---------------", "LOG-LIKELIHOODS"),
}


def _heading(key: str) -> list[str]:
    rule, title = _RULE[key]
    return [rule, title, rule, ""]


def _stars(p: float) -> str:
    if not np.isfinite(p):
        return ""
    for cut, mark in ((0.001, "***"), (0.01, "**"), (0.05, "*"), (0.1, ".")):
        if p < cut:
            return mark
    return ""


def _format_table(frame: pd.DataFrame, digits: int) -> str:
    return frame.to_string(float_format=lambda x: f"{x:.{digits}g}")


def _fixed_effects(result: HlikResult, digits: int) -> list[str]:
    table = result.fixef.rename(
        columns={"estimate": "Estimate", "se": "Std. Error", "t": "t-value", "p": "Pr(>|t|)"}
    )
    table.index.name = None
    table[""] = [_stars(p) for p in result.fixef["p"]]
    return [
        "Summary of the fixed effects estimates:",
        "",
        _format_table(table, digits),
        "---",
        "Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1",
        f"Note: P-values are based on {result.df_residual} degrees of freedom",
    ]


def _random_effects(result: HlikResult, digits: int, print_ranef: bool) -> list[str]:
    lines: list[str] = []
    for block in result.lambda_:
        frame = result.ranef.loc[block].rename(columns={"estimate": "Estimate", "se": "Std. Error"})
        frame.index.name = None
        lines += [
            "",
            f"Summary of the random effects estimates ({block}, {result.random_families.get(block.split('|')[0], '')}):",
            "",
        ]
        if len(frame) <= _RANEF_SHOWN or print_ranef:
            lines.append(_format_table(frame, digits))
        else:
            lines += [
                _format_table(frame.iloc[:3], digits),
                "...",
                "NOTE: to show all the random effects, use summary(print_ranef=True).",
            ]
    return lines


def _coefficients(estimate: DispersionEstimate, digits: int) -> list[str]:
    assert estimate.coef is not None
    frame = estimate.coef.rename(columns={"estimate": "Estimate", "se": "Std. Error"})
    frame.index.name = None
    return [f"Link = {estimate.link}", "", "Effects:", _format_table(frame, digits)]


def _dispersion(result: HlikResult, digits: int) -> list[str]:
    lines = _heading("dispersion")
    lines.append(f"NOTE: h-likelihood estimates through {result.method} can be biased.")
    phi = result.phi
    if phi.fixed:
        lines += ["", f"Dispersion parameter held constant at: {float(phi.values[0]):g}"]
    else:
        if phi.constant:
            lines += [
                "",
                "Dispersion parameter for the mean model:",
                f"{float(phi.values[0]):.{digits}g}",
            ]
        lines += ["", "Model estimates for the dispersion term:", ""]
        lines += _coefficients(phi, digits)
        lines += [
            "",
            "Dispersion = 1 is used in Gamma model on deviances to calculate the standard error(s).",
        ]
    lines += ["", "Dispersion parameter for the random effects:"]
    values = {
        name: (f"{est.value:.{digits}g}" if est.constant else f"({est.values.size} values)")
        for name, est in result.lambda_.items()
    }
    lines.append("  ".join(f"{name}: {value}" for name, value in values.items()))
    lines += ["", "Dispersion model for the random effects:", ""]
    for name, estimate in result.lambda_.items():
        lines += [f"{name}:"] + _coefficients(estimate, digits) + [""]
        if name in result.car:
            car = result.car[name]
            lines += [
                f"CAR.tau (estimated spatial variance component): {car['tau']:.{digits}g}",
                f"CAR.rho (estimated spatial correlation): {car['rho']:.{digits}g}",
                "",
            ]
    lines.append(
        "Dispersion = 1 is used in Gamma model on deviances to calculate the standard error(s)."
    )
    return lines


def _likelihoods(result: HlikResult, digits: int) -> list[str]:
    if result.likelihoods is None:
        return []
    shown = max(digits + 3, 7)
    return (
        [""]
        + _heading("likelihood")
        + [
            f"h-likelihood: {result.hlik:.{shown}g}",
            "Adjusted profile likelihood",
            f"   Profiled over random effects: {result.pvh:.{shown}g}",
            f"   Profiled over fixed and random effects: {result.pbvh:.{shown}g}",
            f"Conditional AIC: {result.cAIC:.{shown}g}",
        ]
    )


def summary_text(result: HlikResult, *, digits: int = 4, print_ranef: bool = False) -> str:
    """The summary of ``result`` as text (see :meth:`HlikResult.summary`)."""
    families = ", ".join(f"{name}: {label}" for name, label in result.random_families.items())
    lines = [
        "Call:",
        f"  {result.description}",
        f"  family = {result.family}; random families: {families}; method = {result.method}",
        "",
    ]
    lines += _heading("mean") + _fixed_effects(result, digits)
    lines += _random_effects(result, digits, print_ranef)
    lines += [""] + _dispersion(result, digits) + _likelihoods(result, digits)
    status = "converged" if result.converged else "did not converge"
    lines += ["", f"{result.method} estimation {status} in {result.iterations} iterations."]
    return "\n".join(lines)
