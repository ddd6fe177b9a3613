"""NUTS benchmark: bayesml against bambi on three classic hierarchical models.

Each (model, tool) pair is fitted in a fresh Python process twice: ``cold`` with empty PyTensor and
numba compile caches (a user's first fit) and ``warm`` in a second process that reuses the caches
of the first. Both tools sample with nutpie through ``pymc.sample`` with the same draws, tuning,
chains, seed and priors. The table of wall times, minimum bulk ESS over the hyperparameters and
ESS per second is written to ``bench/README.md`` between ``<!-- nuts:begin -->`` and
``<!-- nuts:end -->``.

Usage::

    python bench/nuts.py                 # 4 chains x 1000 draws, tune 1000; writes bench/README.md
    python bench/nuts.py --quick         # 2 chains x 300 draws, tune 300; prints only
    python bench/nuts.py --models radon radon_indep --tools bayesml --no-readme
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402  (bench/ is a folder of scripts run from anywhere)
    PhaseTimer,
    WorkerFailure,
    cache_env,
    machine_info,
    min_bulk_ess,
    package_versions,
    replace_section,
    run_worker,
)

BENCH_DIR = Path(__file__).resolve().parent
README = BENCH_DIR / "README.md"
BEGIN, END = "<!-- nuts:begin -->", "<!-- nuts:end -->"
SAMPLER = "nutpie"
RUNS = ("cold", "warm")
VERSIONED = ["bayesml", "bambi", "pymc", "pytensor", "nutpie", "numba", "arviz-stats", "numpy"]
#: dims of per-level or per-observation draws, which are not hyperparameters
SKIPPED_DIM_SUFFIXES = ("__level", "__factor_dim", "__obs__", "obs")


# -- models --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SharedPriors:
    """Priors both tools can state: normal coefficients, half-normal SDs, LKJ correlations."""

    intercept: tuple[float, float]  # normal(mu, sigma)
    fixed_sigma: float  # normal(0, fixed_sigma) on every other coefficient
    sd_sigma: float  # half_normal(sd_sigma) on every random-effect SD
    lkj_eta: float | None = None  # lkj(eta) on correlated terms
    residual_sigma: float | None = None  # half_normal on the gaussian residual SD

    def for_bayesml(self) -> dict[str, dict[str, Any]]:
        """The mapping for ``bayesml.Model(priors=...)``."""
        priors: dict[str, dict[str, Any]] = {
            "intercept": {"dist": "normal", "mu": self.intercept[0], "sigma": self.intercept[1]},
            "fixed": {"dist": "normal", "mu": 0, "sigma": self.fixed_sigma},
            "sd": {"dist": "half_normal", "sigma": self.sd_sigma},
        }
        if self.lkj_eta is not None:
            priors["cov"] = {"dist": "lkj", "eta": self.lkj_eta}
        if self.residual_sigma is not None:
            priors["sigma"] = {"dist": "half_normal", "sigma": self.residual_sigma}
        return priors

    def for_bambi(self, bambi: Any, fixed_terms: Sequence[str], group_terms: Sequence[str]) -> dict:
        """The mapping for ``bambi.Model(priors=...)`` (group terms non-centred, as bayesml's)."""
        prior = bambi.Prior
        priors = {"Intercept": prior("Normal", mu=self.intercept[0], sigma=self.intercept[1])}
        priors |= {term: prior("Normal", mu=0, sigma=self.fixed_sigma) for term in fixed_terms}
        priors |= {
            term: prior("Normal", mu=0, sigma=prior("HalfNormal", sigma=self.sd_sigma))
            for term in group_terms
        }
        if self.residual_sigma is not None:
            priors["sigma"] = prior("HalfNormal", sigma=self.residual_sigma)
        return priors

    def describe(self) -> str:
        """One line for the README."""
        parts = [
            f"Intercept ~ N({self.intercept[0]:g}, {self.intercept[1]:g})",
            f"slopes ~ N(0, {self.fixed_sigma:g})",
            f"SDs ~ HN({self.sd_sigma:g})",
        ]
        if self.lkj_eta is not None:
            parts.append(f"corr ~ LKJ({self.lkj_eta:g})")
        if self.residual_sigma is not None:
            parts.append(f"σ ~ HN({self.residual_sigma:g})")
        return ", ".join(parts)


@dataclass(frozen=True)
class Case:
    """One benchmark model, written for each tool."""

    name: str
    dataset: str
    formula: str  # bayesml
    family: str  # bayesml
    bambi_formula: str
    bambi_family: str
    fixed_terms: tuple[str, ...]  # bambi's names of the non-intercept coefficients
    group_terms: tuple[str, ...]  # bambi's names of the group-specific terms
    priors: SharedPriors
    success: str | None = None
    same_model: str = "yes"  # whether bambi fits the same model, and if not, how it differs


BAMBI_NO_LKJ = (
    "no: bambi 0.21 has no correlated group-specific terms (its LKJ code is commented out), so "
    "it fits independent intercepts and slopes; bayesml fits the LKJ model"
)

CASES: dict[str, Case] = {
    case.name: case
    for case in (
        Case(
            name="bacteria",
            dataset="bacteria",
            formula="y ~ week + (1 | ID)",
            family="bernoulli",
            success="y",
            bambi_formula="y['y'] ~ week + (1|ID)",
            bambi_family="bernoulli",
            fixed_terms=("week",),
            group_terms=("1|ID",),
            priors=SharedPriors(intercept=(0, 5), fixed_sigma=5, sd_sigma=2.5),
        ),
        Case(
            name="radon",
            dataset="radon",
            formula="log_radon ~ floor + (1 + floor | county)",
            family="gaussian",
            bambi_formula="log_radon ~ floor + (1 + floor | county)",
            bambi_family="gaussian",
            fixed_terms=("floor",),
            group_terms=("1|county", "floor|county"),
            priors=SharedPriors((0, 10), 10, 1, lkj_eta=2, residual_sigma=1),
            same_model=BAMBI_NO_LKJ,
        ),
        Case(
            name="radon_indep",
            dataset="radon",
            formula="log_radon ~ floor + (1 + floor || county)",
            family="gaussian",
            bambi_formula="log_radon ~ floor + (1 + floor | county)",
            bambi_family="gaussian",
            fixed_terms=("floor",),
            group_terms=("1|county", "floor|county"),
            priors=SharedPriors((0, 10), 10, 1, residual_sigma=1),
        ),
        Case(
            name="sleepstudy",
            dataset="sleepstudy",
            formula="Reaction ~ Days + (Days | Subject)",
            family="gaussian",
            bambi_formula="Reaction ~ Days + (Days | Subject)",
            bambi_family="gaussian",
            fixed_terms=("Days",),
            group_terms=("1|Subject", "Days|Subject"),
            priors=SharedPriors((250, 100), 50, 50, lkj_eta=2, residual_sigma=50),
            same_model=BAMBI_NO_LKJ,
        ),
        Case(
            name="sleepstudy_indep",
            dataset="sleepstudy",
            formula="Reaction ~ Days + (Days || Subject)",
            family="gaussian",
            bambi_formula="Reaction ~ Days + (Days | Subject)",
            bambi_family="gaussian",
            fixed_terms=("Days",),
            group_terms=("1|Subject", "Days|Subject"),
            priors=SharedPriors((250, 100), 50, 50, residual_sigma=50),
        ),
    )
}


@dataclass(frozen=True)
class Settings:
    """Sampler settings shared by both tools."""

    draws: int
    tune: int
    chains: int
    seed: int
    seeds: int = 3  # fits per run: the timed one, then seeds - 1 untimed refits for the ESS

    @property
    def cores(self) -> int:
        return min(self.chains, os.cpu_count() or 1)


# -- one fit (runs in the worker process) ---------------------------------------------------


@dataclass
class FitOutput:
    posterior: Any  # xarray.Dataset
    sampler: str
    divergences: int
    steps_per_draw: float  # mean number of leapfrog steps (gradient evaluations) per kept draw
    refit: Callable[[int], FitOutput] | None = None  # the same fit with another seed (untimed)


def _sampler_name(tree: Any) -> str:
    """The ``inference_library`` a result reports (posterior or sample_stats attributes)."""
    for group in ("posterior", "sample_stats"):
        name = tree[group].attrs.get("inference_library")
        if name:
            return str(name)
    return "unknown"


def _output(tree: Any) -> FitOutput:
    """Posterior, sampler, divergences and mean steps per draw of a result DataTree."""
    stats = tree["sample_stats"]
    return FitOutput(
        posterior=tree["posterior"].to_dataset(),
        sampler=_sampler_name(tree),
        divergences=int(stats["diverging"].values.sum()),
        steps_per_draw=float(stats["n_steps"].values.mean()),
    )


def _nutpie_hooks(timer: PhaseTimer) -> ExitStack:
    """Import nutpie (timed as ``import_sampler``) and time its compilation and sampling.

    ``compile`` is PyTensor's rewrites plus numba's compilation of the log density and of the
    function that computes the stored variables; ``sample`` is tuning plus draws.
    """
    with timer.measure("import_sampler"):
        import nutpie

    stack = ExitStack()
    stack.enter_context(timer.wrap(nutpie, "compile_pymc_model", "compile"))
    stack.enter_context(timer.wrap(nutpie, "sample", "sample"))
    return stack


def _fit_bayesml(case: Case, settings: Settings, timer: PhaseTimer, frame: Any) -> FitOutput:
    with timer.measure("import"):
        import bayesml
    with timer.measure("build"):
        model = bayesml.Model(
            case.formula,
            frame,
            family=case.family,
            success=case.success,
            priors=case.priors.for_bayesml(),
        )
        model.sampling_pymc_model  # noqa: B018  (builds the PyMC graph that NUTS samples)
    import bayesml.backends.pymc.results as results
    import bayesml.results as checks

    def fit(seed: int, **extra: Any) -> Any:
        return model.sample(
            draws=settings.draws,
            tune=settings.tune,
            chains=settings.chains,
            random_seed=seed,
            sampler_kwargs={"sampler": SAMPLER},
            **extra,
        )

    with _nutpie_hooks(timer), timer.measure("fit"):
        with (
            timer.wrap(results, "log_likelihood_dataset", "log_likelihood"),
            timer.wrap(results, "log_prior_dataset", "log_prior"),
            timer.wrap(checks, "check_sampling", "checks"),
        ):
            tree = fit(settings.seed)
    return replace(_output(tree), refit=lambda seed: _output(fit(seed)))


def _fit_bambi(case: Case, settings: Settings, timer: PhaseTimer, frame: Any) -> FitOutput:
    with timer.measure("import"):
        import bambi
    with timer.measure("build"):
        model = bambi.Model(
            case.bambi_formula,
            frame,
            family=case.bambi_family,
            priors=case.priors.for_bambi(bambi, case.fixed_terms, case.group_terms),
            center_predictors=False,  # else bambi's intercept prior is on the centred intercept
        )
        model.build()
    from bambi.backend.pymc import PyMCModel

    def fit(seed: int) -> Any:
        return model.fit(
            draws=settings.draws,
            tune=settings.tune,
            chains=settings.chains,
            cores=settings.cores,
            random_seed=seed,
            inference_method=SAMPLER,
            progressbar=False,
        )

    with _nutpie_hooks(timer), timer.measure("fit"):
        with timer.wrap(PyMCModel, "_clean_results", "clean_results"):
            tree = fit(settings.seed)
    return replace(_output(tree), refit=lambda seed: _output(fit(seed)))


#: tool name -> function(case, settings, timer, data frame) fitting the model in this process
TOOLS: dict[str, Callable[[Case, Settings, PhaseTimer, Any], FitOutput]] = {
    "bayesml": _fit_bayesml,
    "bambi": _fit_bambi,
}


def hyperparameter_draws(posterior: Any) -> dict[str, np.ndarray]:
    """(chain, draw) arrays of every fixed effect, SD, correlation and family parameter.

    Variables with a per-level or per-observation dimension (random effects, fitted means) are
    left out, as are the diagonal and lower triangle of correlation matrices.
    """
    draws: dict[str, np.ndarray] = {}
    for name, variable in posterior.data_vars.items():
        extra = [dim for dim in variable.dims if dim not in ("chain", "draw")]
        if any(str(dim).endswith(SKIPPED_DIM_SUFFIXES) for dim in extra):
            continue
        values = variable.transpose("chain", "draw", *extra).values
        if not extra:
            draws[str(name)] = values
            continue
        labels = [variable.coords[dim].values if dim in variable.coords else None for dim in extra]
        for index in np.ndindex(*values.shape[2:]):
            if str(name).startswith("corr_") and not index[0] < index[1]:
                continue
            parts = [
                str(axis[i]) if axis is not None else str(i)
                for axis, i in zip(labels, index, strict=True)
            ]
            draws[f"{name}[{', '.join(parts)}]"] = values[(slice(None), slice(None), *index)]
    return draws


def run_one(tool: str, case: Case, settings: Settings) -> dict[str, Any]:
    """Fit ``case`` with ``tool`` in this process and return the benchmark record."""
    from bayesml.datasets import load

    frame = load(case.dataset)
    timer = PhaseTimer()
    with timer.measure("total"):
        output = TOOLS[tool](case, settings, timer, frame)
    draws = hyperparameter_draws(output.posterior)
    ess, parameter = min_bulk_ess(draws)
    # the minimum ESS of one seed is a lottery (cold and warm runs, whose compiled code rounds
    # differently, follow different chains): average it over refits with other seeds, untimed
    ess_by_seed = [ess]
    repeat_seconds = None
    for offset in range(1, settings.seeds):
        started = time.perf_counter()
        refit = output.refit(settings.seed + offset)
        if repeat_seconds is None:  # the first refit in this process: a user's repeat fit
            repeat_seconds = time.perf_counter() - started
        ess_by_seed.append(min_bulk_ess(hyperparameter_draws(refit.posterior))[0])
    return {
        "tool": tool,
        "model": case.name,
        "settings": asdict(settings),
        "seconds": timer.seconds,
        "calls": timer.calls,
        "sampler": output.sampler,
        "divergences": output.divergences,
        "steps_per_draw": output.steps_per_draw,
        "min_ess": float(np.mean(ess_by_seed)),
        "min_ess_by_seed": ess_by_seed,
        "min_ess_parameter": parameter,
        "repeat_seconds": repeat_seconds,
        "parameters": sorted(draws),
    }


# -- the driver (parent process) ------------------------------------------------------------


def run_pair(
    tool: str, case: Case, settings: Settings, *, timeout: float, work: Path
) -> list[dict[str, Any]]:
    """Cold then warm runs of one (tool, model) pair, each in a new process, sharing fresh caches."""
    records = []
    with tempfile.TemporaryDirectory(prefix="bayesml-bench-cache-") as cache:
        env = cache_env(Path(cache))
        for run in RUNS:
            out = work / f"{tool}-{case.name}-{run}.json"
            arguments = [
                str(Path(__file__).resolve()),
                "--worker", tool, case.name, str(out),
                "--draws", str(settings.draws), "--tune", str(settings.tune),
                "--chains", str(settings.chains), "--seed", str(settings.seed),
                "--seeds", str(settings.seeds),
            ]  # fmt: skip
            record = run_worker(arguments, env=env, result_path=out, timeout=timeout)
            record["run"] = run
            record["load_average"] = list(os.getloadavg())
            records.append(record)
            print(_progress_line(record), flush=True)
    return records


def _progress_line(record: Mapping[str, Any]) -> str:
    seconds = record["seconds"]
    return (
        f"{record['model']:<14} {record['tool']:<8} {record['run']:<5} "
        f"total {seconds['total']:7.1f} s  compile {seconds.get('compile', 0):6.1f} s  "
        f"sample {seconds.get('sample', 0):6.1f} s  min ESS {record['min_ess']:7.0f} "
        f"({record['min_ess_parameter']})  load {record['load_average'][0]:.2f}"
    )


# -- the README section ---------------------------------------------------------------------


def phases(record: Mapping[str, Any]) -> dict[str, float]:
    """Setup (imports + build), compile, sampling, other (the rest of the fit) and total seconds."""
    seconds = record["seconds"]
    compile_s, sample_s = seconds.get("compile", 0.0), seconds.get("sample", 0.0)
    return {
        "setup": seconds["import"] + seconds["import_sampler"] + seconds["build"],
        "compile": compile_s,
        "sample": sample_s,
        "other": seconds["fit"] - compile_s - sample_s,
        "total": seconds["total"],
    }


def _cell(text: str) -> str:
    """Text for a markdown table cell (GitHub tables split on ``|`` even inside code spans)."""
    return text.replace("|", "\\|")


def _by_key(records: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str, str], Mapping[str, Any]]:
    return {(r["model"], r["tool"], r["run"]): r for r in records}


def _ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}" if denominator > 0 else "n/a"


def _model_table(cases: Sequence[Case]) -> list[str]:
    lines = [
        "| model | bayesml formula | bambi formula | priors (both tools) | same model in bambi? |",
        "|---|---|---|---|---|",
    ]
    for case in cases:
        family = case.family + (f", success = {case.success!r}" if case.success else "")
        lines.append(
            f"| {_cell(case.name)} | `{_cell(case.formula)}` ({family}) "
            f"| `{_cell(case.bambi_formula)}` ({case.bambi_family}) | {case.priors.describe()} "
            f"| {case.same_model} |"
        )
    return lines


def _timing_table(records: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = [
        "| model | tool | sampler | run | setup s | compile s | sampling s | other s | total s "
        "| min bulk ESS: mean (timed run, parameter) | ESS/s (total) | ESS/s (sampling) | steps/draw | divergences "
        "| load |",
        "|---|---|---|---|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|",
    ]
    for record in records:
        p = phases(record)
        lines.append(
            f"| {_cell(record['model'])} | {record['tool']} | {record['sampler']} | {record['run']} "
            f"| {p['setup']:.1f} | {p['compile']:.1f} | {p['sample']:.1f} | {p['other']:.1f} "
            f"| {p['total']:.1f} | {record['min_ess']:.0f} ({record['min_ess_by_seed'][0]:.0f}, "
            f"`{_cell(record['min_ess_parameter'])}`) "
            f"| {record['min_ess'] / p['total']:.1f} | {record['min_ess'] / p['sample']:.0f} "
            f"| {record['steps_per_draw']:.1f} | {record['divergences']} "
            f"| {record['load_average'][0]:.2f} |"
        )
    return lines


def _ratio_table(records: Sequence[Mapping[str, Any]], cases: Sequence[Case]) -> list[str]:
    index = _by_key(records)

    def ratio(model: str, run: str, per_second: Callable[[Mapping[str, Any]], float]) -> str:
        ours, theirs = index.get((model, "bayesml", run)), index.get((model, "bambi", run))
        return _ratio(per_second(ours), per_second(theirs)) if ours and theirs else "n/a"

    def per_total(record: Mapping[str, Any]) -> float:
        return record["min_ess"] / phases(record)["total"]

    def per_sampling(record: Mapping[str, Any]) -> float:
        return record["min_ess"] / phases(record)["sample"]

    def per_repeat(record: Mapping[str, Any]) -> float:
        seconds = record.get("repeat_seconds")
        return record["min_ess"] / seconds if seconds else float("nan")

    lines = [
        "| model | ESS/s total, cold | ESS/s total, warm | ESS/s repeat fit (warm) "
        "| ESS/s sampling only (warm) | min ESS (warm) |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for case in cases:
        cells = (
            ratio(case.name, "cold", per_total),
            ratio(case.name, "warm", per_total),
            ratio(case.name, "warm", per_repeat),
            ratio(case.name, "warm", per_sampling),
            ratio(case.name, "warm", lambda record: record["min_ess"]),
        )
        lines.append(f"| {_cell(case.name)} | " + " | ".join(cells) + " |")
    return lines


def _breakdown_table(records: Sequence[Mapping[str, Any]]) -> list[str]:
    columns = ("import", "import_sampler", "build", "compile", "sample", "log_likelihood",
               "log_prior", "checks", "clean_results")  # fmt: skip
    lines = [
        "| model | tool | run | " + " | ".join(columns) + " | rest of fit | total |",
        "|---|---|---|" + "--:|" * (len(columns) + 2),
    ]
    for record in records:
        seconds = record["seconds"]
        rest = seconds["fit"] - sum(seconds.get(c, 0.0) for c in columns[3:])
        cells = [f"{seconds[c]:.1f}" if c in seconds else "–" for c in columns]
        lines.append(
            f"| {_cell(record['model'])} | {record['tool']} | {record['run']} | "
            + " | ".join(cells)
            + f" | {rest:.1f} | {seconds['total']:.1f} |"
        )
    return lines


def render_section(
    records: Sequence[Mapping[str, Any]],
    cases: Sequence[Case],
    settings: Settings,
    meta: Mapping[str, Any],
) -> str:
    """The markdown between the nuts markers."""
    machine = meta["machine"]
    versions = ", ".join(f"{name} {version}" for name, version in meta["versions"].items())
    load_before, load_after = meta["load_before"], meta["load_after"]
    lines = [
        "## NUTS: bayesml against bambi",
        "",
        f"Generated by `python bench/nuts.py` on {meta['date']} in {meta['minutes']:.0f} minutes. "
        f"Machine: {machine['cpu_count']} CPUs ({machine['cpu_model']}), {machine['platform']}, "
        f"Python {machine['python']}. Load average (1, 5, 15 min) before the run "
        f"{', '.join(f'{x:.2f}' for x in load_before)}, after "
        f"{', '.join(f'{x:.2f}' for x in load_after)}; the `load` column is the 1-minute load "
        "after each run (other processes share the machine, so timings are noisy).",
        "",
        f"Versions: {versions}.",
        "",
        f"Settings: {settings.chains} chains × {settings.draws} draws after {settings.tune} tuning "
        f"steps, seed {settings.seed} for the timed fit (and seeds {settings.seed + 1}–"
        f"{settings.seed + settings.seeds - 1} for the untimed refits that the ESS is averaged over), "
        f"chains in parallel on {settings.cores} cores. Both tools "
        f"sample with **{SAMPLER}** (numba backend) through `pymc.sample`; the `sampler` column is "
        "the sampler each result reports.",
        "",
        "### Models and priors",
        "",
        *_model_table(cases),
        "",
        "bambi is given `center_predictors=False` so that its intercept prior is a prior on the same "
        "intercept as bayesml's; both write random effects non-centred (u = z·SD, z ~ N(0, 1)).",
        "",
        "### Timings",
        "",
        *_timing_table(records),
        "",
        "### Ratio bayesml / bambi",
        "",
        "Ratios of ESS per second (bayesml's over bambi's); above 1 favours bayesml. The headline "
        "is ESS/s over the total time, which is what a user waits for; the issue's target is ≥ 1 "
        "on every model, its goal ≥ 3. The sampling-only ratio compares the samplers' speed on "
        "each tool's PyMC graph. Where bambi fits another model (no LKJ: `radon`, `sleepstudy`) "
        "the ratios compare different posteriors; `radon_indep` and `sleepstudy_indep` are the "
        "same model in both tools.",
        "",
        *_ratio_table(records, cases),
        "",
        "### Where the time goes (seconds)",
        "",
        *_breakdown_table(records),
        "",
        "Columns: **setup** = importing the tool, then nutpie (`import_sampler`; it imports ArviZ, "
        "which bambi has already imported), and building the model and its PyMC graph; "
        "**compile** = `nutpie.compile_pymc_model` (PyTensor rewrites and numba compilation); "
        "**sampling** = `nutpie.sample` (tuning + draws); **other** = the rest of "
        "`Model.sample` / `Model.fit` (bayesml: log-likelihood, log-prior and convergence checks; "
        "bambi: tidying the result); **steps/draw** = mean leapfrog steps (gradient evaluations) per "
        "kept draw, which separates the posterior's geometry from the cost of one gradient; "
        "**total** = setup + fit, without data loading and interpreter "
        "start-up. **min bulk ESS** is the smallest rank-normalised bulk ESS "
        "(`arviz_stats`) over the fixed effects, random-effect SDs, correlations and σ, averaged "
        "over the timed fit and the refits with other seeds (one seed's minimum ESS varies by "
        "a factor of up to two between seeds, and between a cold and a warm run of one seed, "
        "whose compiled code rounds differently); ESS/s divides that mean by the timed fit's "
        "seconds. **repeat fit** = the first refit (the next seed, convergence checks included) "
        "in the warm run's process, after the model's first fit: what a user waits for on a "
        "second `sample` call. "
        "**cold**: fresh process, empty PyTensor and numba caches; **warm**: another fresh process "
        "reusing the caches the cold run filled.",
    ]
    return "\n".join(lines)


def write_readme(path: Path, section: str) -> None:
    """Replace the nuts section of ``path`` (created if missing)."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    path.write_text(replace_section(text, BEGIN, END, section))


# -- command line ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="2 chains x 300 draws, tune 300; no README"
    )
    parser.add_argument("--draws", type=int, default=None)
    parser.add_argument("--tune", type=int, default=None)
    parser.add_argument("--chains", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--seeds",
        type=int,
        default=None,
        help="fits per run for the mean min ESS (the first timed); default 3, 1 with --quick",
    )
    parser.add_argument("--models", nargs="+", choices=sorted(CASES), default=list(CASES))
    parser.add_argument("--tools", nargs="+", choices=sorted(TOOLS), default=list(TOOLS))
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per worker process")
    parser.add_argument(
        "--readme", type=Path, default=None, help=f"default {README} (not with --quick)"
    )
    parser.add_argument("--no-readme", action="store_true", help="print the section instead")
    parser.add_argument("--json", type=Path, default=None, help="also save the raw records here")
    parser.add_argument(
        "--worker", nargs=3, metavar=("TOOL", "MODEL", "OUT"), help=argparse.SUPPRESS
    )
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    defaults = (300, 300, 2) if args.quick else (1000, 1000, 4)
    draws, tune, chains = (
        given if given is not None else default
        for given, default in zip((args.draws, args.tune, args.chains), defaults, strict=True)
    )
    seeds = args.seeds if args.seeds is not None else (1 if args.quick else 3)
    if seeds < 1:
        raise SystemExit(f"--seeds must be at least 1; got {seeds}")
    return Settings(draws=draws, tune=tune, chains=chains, seed=args.seed, seeds=seeds)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = settings_from(args)
    if args.worker:
        tool, model, out = args.worker
        Path(out).write_text(json.dumps(run_one(tool, CASES[model], settings)))
        return 0
    cases = [CASES[name] for name in args.models]
    meta: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_info(),
        "versions": package_versions(VERSIONED),
        "load_before": list(os.getloadavg()),
    }
    start = dt.datetime.now(dt.UTC)
    records: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bayesml-bench-") as work:
        for case in cases:
            for tool in args.tools:
                try:
                    records += run_pair(tool, case, settings, timeout=args.timeout, work=Path(work))
                except WorkerFailure as error:
                    print(f"FAILED {case.name} {tool}: {error}", file=sys.stderr, flush=True)
                    return 1
    meta["load_after"] = list(os.getloadavg())
    meta["minutes"] = (dt.datetime.now(dt.UTC) - start).total_seconds() / 60
    if args.json is not None:
        args.json.write_text(json.dumps({"meta": meta, "records": records}, indent=1))
    section = render_section(records, cases, settings, meta)
    readme = args.readme or (None if args.quick else README)
    if args.no_readme or readme is None:
        print(section)
    else:
        write_readme(readme, section)
        print(f"wrote {readme}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
