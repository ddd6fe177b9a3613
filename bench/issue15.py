"""Issue 15's benchmarks in one command: scale, first posterior, sensitivity run, ESS/s vs bambi.

Parts (``--parts``; all by default, each writes into the ``issue15`` section of ``bench/README.md``):

``nuts``
    Runs ``bench/nuts.py`` (its own section: bacteria, radon, radon_indep, sleepstudy,
    sleepstudy_indep, cold and warm, against bambi) and reads its records back for the issue's
    target, ESS/s over the whole fit ≥ 3× bambi's. ``--nuts-json FILE`` uses the records of an
    earlier ``bench/nuts.py --json FILE`` run instead of running it.
``scale``
    A logistic GLMM of 10⁵ rows × 2,000 groups and a Poisson GLMM with three crossed factors
    (2·10⁴ rows; 200, 300 and 50 levels), simulated with fixed seeds, fitted by bayesml's NUTS
    (nutpie), bayesml's Gibbs sampler (Pólya-Gamma for the logit; the Poisson model has no Gibbs
    sampler, and the record says what bayesml answers) and bambi (nutpie), with the same priors.
    Each (model, tool) runs in a fresh process with empty compile caches: the **first fit**
    (import + ``Model(...)`` + sampling, from the data frame to the posterior), then a **repeat
    fit** of the same model object with another seed. Peak memory is the process's peak RSS
    (``getrusage``) and the peak of the summed RSS of the process and its children (Gibbs chains
    run in worker processes), polled every 50 ms.
``gibbs1e6``
    The logistic GLMM at 10⁶ rows × 20,000 groups with the Gibbs sampler at its defaults: time and
    peak memory (target: completes).
``first``
    Time to the first posterior of a small model (sleepstudy, ``Reaction ~ Days + (Days |
    Subject)``, ``model.sample()`` at its defaults) from a fresh process, interpreter start-up and
    imports included: once with empty caches, once in a second process with the caches the first
    filled (the target, < 3 s, is on warm disk caches).
``sensitivity``
    ``bayesml.sensitivity`` on radon with 8 prior configurations (half-normal and half-Cauchy SD
    priors × four scales) against one fit of the same model, each in a fresh process (cold caches,
    then warm); the target is a ratio under 2.

Usage::

    python bench/issue15.py                          # everything at the defaults (about 45 minutes on 2 cores)
    python bench/issue15.py --scale-draws 250        # scale part at 4 chains x 250 draws, tune 250
    python bench/issue15.py --parts scale first --label "after" --json runs.json
    python bench/issue15.py --from-json runs.json    # rewrite the section from saved records
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402  (bench/ is a folder of scripts run from anywhere)
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
BEGIN, END = "<!-- issue15:begin -->", "<!-- issue15:end -->"
PARTS = ("nuts", "scale", "gibbs1e6", "first", "sensitivity")
VERSIONED = ["bayesml", "bambi", "pymc", "pytensor", "nutpie", "numba", "polyagamma", "numpy"]
SEED = 20261207
GB = 10**9
NUTS_TARGET = 3.0
FIRST_TARGET_S = 3.0
SENSITIVITY_TARGET = 2.0


# -- simulated models --------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleCase:
    """A simulated GLMM: rows, (factor, levels, SD) per random intercept, family, β = (b0, b1)."""

    name: str
    rows: int
    factors: tuple[tuple[str, int, float], ...]
    family: str
    beta: tuple[float, float]

    @property
    def formula(self) -> str:
        return "y ~ x + " + " + ".join(f"(1 | {name})" for name, _, _ in self.factors)

    @property
    def bambi_formula(self) -> str:
        return "y ~ x + " + " + ".join(f"(1|{name})" for name, _, _ in self.factors)

    def describe(self) -> str:
        levels = " × ".join(f"{levels:,}" for _, levels, _ in self.factors)
        kind = "crossed factors" if len(self.factors) > 1 else "groups"
        sds = ", ".join(f"{sd:g}" for _, _, sd in self.factors)
        return (
            f"`{self.formula}`, {self.family} ({'logit' if self.family == 'bernoulli' else 'log'}"
            f"), {self.rows:,} rows, {levels} {kind}; true β = {self.beta}, SDs {sds}"
        )

    def simulate(self, seed: int = SEED) -> pd.DataFrame:
        """Seeded data: η = b0 + b1·x + Σ u_f[level], x ~ N(0, 1), u_f ~ N(0, SD_f²)."""
        rng = np.random.default_rng(seed)
        x = rng.normal(size=self.rows)
        eta = self.beta[0] + self.beta[1] * x
        columns: dict[str, Any] = {"x": x}
        for name, levels, sd in self.factors:
            index = rng.integers(0, levels, self.rows)
            eta = eta + rng.normal(0.0, sd, levels)[index]
            columns[name] = pd.Categorical(index)
        if self.family == "bernoulli":
            y = rng.binomial(1, 1.0 / (1.0 + np.exp(-eta)))
        else:
            y = rng.poisson(np.exp(eta))
        return pd.DataFrame({"y": y, **columns})


SCALE_CASES: dict[str, ScaleCase] = {
    case.name: case
    for case in (
        ScaleCase("logit_1e5", 100_000, (("g", 2_000, 0.7),), "bernoulli", (-0.3, 0.5)),
        ScaleCase(
            "poisson_crossed",
            20_000,
            (("f1", 200, 0.5), ("f2", 300, 0.7), ("f3", 50, 0.3)),
            "poisson",
            (0.5, 0.3),
        ),
        ScaleCase("logit_1e6", 1_000_000, (("g", 20_000, 0.7),), "bernoulli", (-0.3, 0.5)),
    )
}
SCALE_TOOLS = ("bayesml-nuts", "bayesml-gibbs", "bambi-nuts")
#: priors both tools can state (bench/nuts.py's bacteria priors)
PRIORS = {"intercept": (0.0, 5.0), "fixed_sigma": 5.0, "sd_sigma": 2.5}


def _bayesml_priors() -> dict[str, dict[str, Any]]:
    mu, sigma = PRIORS["intercept"]
    return {
        "intercept": {"dist": "normal", "mu": mu, "sigma": sigma},
        "fixed": {"dist": "normal", "mu": 0, "sigma": PRIORS["fixed_sigma"]},
        "sd": {"dist": "half_normal", "sigma": PRIORS["sd_sigma"]},
    }


def _bambi_priors(bambi: Any, case: ScaleCase) -> dict[str, Any]:
    prior = bambi.Prior
    mu, sigma = PRIORS["intercept"]
    priors = {
        "Intercept": prior("Normal", mu=mu, sigma=sigma),
        "x": prior("Normal", mu=0, sigma=PRIORS["fixed_sigma"]),
    }
    for name, _, _ in case.factors:
        priors[f"1|{name}"] = prior(
            "Normal", mu=0, sigma=prior("HalfNormal", sigma=PRIORS["sd_sigma"])
        )
    return priors


@dataclass(frozen=True)
class Draws:
    """Chains × draws after ``tune``; ``None`` everywhere means the sampler's defaults."""

    draws: int | None = None
    tune: int | None = None
    chains: int | None = None

    def kwargs(self) -> dict[str, int]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    def text(self) -> str:
        if self.draws is None and self.tune is None and self.chains is None:
            return "defaults (4 chains × 1000 draws, tune 1000)"
        return f"{self.chains or 4} chains × {self.draws or 1000} draws, tune {self.tune or 1000}"


# -- workers (each runs in a fresh process) ------------------------------------------------------


def _hyperparameters(posterior: Any) -> dict[str, np.ndarray]:
    from bench.nuts import hyperparameter_draws

    return hyperparameter_draws(posterior)


def _peak_self_bytes() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (
        1024 if sys.platform != "darwin" else 1
    )


def _summary(posterior: Any, seconds: float) -> dict[str, Any]:
    draws = _hyperparameters(posterior)
    ess, parameter = min_bulk_ess(draws)
    means = {label: float(np.mean(values)) for label, values in draws.items()}
    return {
        "seconds": seconds,
        "min_ess": ess,
        "parameter": parameter,
        "ess_per_s": ess / seconds,
        "means": means,
        "load": os.getloadavg()[0],
    }


def _method_attrs(tree: Any) -> dict[str, str]:
    """What the result says about the method and sampler chosen, and its compile/sampling time."""
    words = ("method", "inference_library", "sampler", "chosen", "seconds")
    attrs: dict[str, str] = {}
    for group in ("", "posterior", "sample_stats"):
        node = tree if not group else tree[group] if group in tree.children else None
        if node is None:
            continue
        for key, value in node.attrs.items():
            if any(word in key for word in words) and "settings" not in key:
                attrs[f"{group + '.' if group else ''}{key}"] = str(value)[:200]
    return attrs


def scale_worker(case_name: str, tool: str, draws: Draws, repeat: bool) -> dict[str, Any]:
    """First fit (import + build + sample) and a repeat fit of one case with one tool."""
    from bench.memory import _Monitor

    case = SCALE_CASES[case_name]
    monitor = _Monitor()
    monitor.start()
    frame = case.simulate()
    record: dict[str, Any] = {"case": case_name, "tool": tool, "draws": asdict(draws)}
    phases: dict[str, float] = {}
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if tool.startswith("bayesml"):
            method = tool.split("-", 1)[1]
            import bayesml

            phases["import"] = time.perf_counter() - start
            model = bayesml.Model(case.formula, frame, family=case.family, priors=_bayesml_priors())
            phases["build"] = time.perf_counter() - start - phases["import"]

            def fit(seed: int) -> Any:
                return model.sample(method, random_seed=seed, **draws.kwargs())

        else:
            import bambi

            phases["import"] = time.perf_counter() - start
            model = bambi.Model(
                case.bambi_formula,
                frame,
                family=case.family,
                priors=_bambi_priors(bambi, case),
                center_predictors=False,
            )
            model.build()
            phases["build"] = time.perf_counter() - start - phases["import"]
            chains = draws.chains or 4

            def fit(seed: int) -> Any:
                return model.fit(
                    draws=draws.draws or 1000,
                    tune=draws.tune or 1000,
                    chains=chains,
                    cores=min(chains, os.cpu_count() or 1),
                    random_seed=seed,
                    inference_method="nutpie",
                    progressbar=False,
                )

        fit_start = time.perf_counter()
        try:
            tree = fit(SEED)
        except Exception as error:  # noqa: BLE001  (the record says what the tool answered)
            monitor.stop()
            record["error"] = f"{type(error).__name__}: {str(error)[:400]}"
            record["seconds_to_error"] = time.perf_counter() - start
            return record
        phases["sample"] = time.perf_counter() - fit_start
        first_seconds = time.perf_counter() - start
        record["first"] = _summary(tree["posterior"].to_dataset(), first_seconds)
        record["first"]["divergences"] = _divergences(tree)
        record["attrs"] = _method_attrs(tree)
        del tree
        if repeat:
            again = time.perf_counter()
            tree = fit(SEED + 1)
            record["repeat"] = _summary(tree["posterior"].to_dataset(), time.perf_counter() - again)
            record["repeat"]["divergences"] = _divergences(tree)
            del tree
    monitor.stop()
    record["phases"] = phases
    record["peak_process_bytes"] = _peak_self_bytes()
    record["peak_tree_bytes"] = monitor.peak_total
    record["warnings"] = sorted({f"{w.category.__name__}: {str(w.message)[:160]}" for w in caught})
    return record


def _divergences(tree: Any) -> int:
    stats = tree["sample_stats"] if "sample_stats" in tree.children else None
    if stats is None or "diverging" not in stats:
        return 0
    return int(stats["diverging"].values.sum())


def first_worker() -> dict[str, Any]:
    """A small model's first posterior at the defaults; phases from the worker's own start."""
    start = time.perf_counter()
    import bayesml

    imported = time.perf_counter()
    model = bayesml.Model("Reaction ~ Days + (Days | Subject)", "sleepstudy")
    built = time.perf_counter()
    tree = model.sample(random_seed=1)
    done = time.perf_counter()
    ess, parameter = min_bulk_ess(_hyperparameters(tree["posterior"].to_dataset()))
    return {
        "import": imported - start,
        "build": built - imported,
        "sample": done - built,
        "in_process": done - start,
        "min_ess": ess,
        "parameter": parameter,
        "attrs": _method_attrs(tree),
    }


SENSITIVITY_SCALES = (0.5, 1.0, 2.0, 4.0)
SENSITIVITY_FAMILIES = ("half_normal", "half_cauchy")
RADON_FORMULA = "log_radon ~ floor + (1 + floor | county)"


def sensitivity_priors() -> dict[str, dict[str, dict[str, Any]]]:
    """8 alternatives for the SD prior: two families × four scales."""
    return {
        "sd": {
            f"{family}({scale:g})": {"dist": family, "sigma": scale}
            for family in SENSITIVITY_FAMILIES
            for scale in SENSITIVITY_SCALES
        }
    }


def sensitivity_worker(kind: str) -> dict[str, Any]:
    """``one``: one default fit of radon; ``run``: the 8-configuration sensitivity run."""
    start = time.perf_counter()
    import bayesml

    imported = time.perf_counter()
    model = bayesml.Model(RADON_FORMULA, "radon")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if kind == "one":
            tree = model.sample(random_seed=1)
            configurations, failures = 1, 0
            attrs = _method_attrs(tree)
        else:
            run = bayesml.sensitivity(model, priors=sensitivity_priors(), random_seed=1)
            configurations, failures = len(run.results), len(run.failures)
            attrs = {}
    done = time.perf_counter()
    return {
        "kind": kind,
        "import": imported - start,
        "in_process": done - start,
        "configurations": configurations,
        "failures": failures,
        "attrs": attrs,
        "warnings": sorted({f"{w.category.__name__}: {str(w.message)[:120]}" for w in caught})[:8],
    }


# -- the driver --------------------------------------------------------------------------------


def _worker_run(
    arguments: list[str], env: Mapping[str, str], work: Path, name: str, timeout: float
) -> dict[str, Any]:
    out = work / f"{name}.json"
    try:
        record = run_worker(
            [str(Path(__file__).resolve()), *arguments, "--out", str(out)],
            env=env,
            result_path=out,
            timeout=timeout,
        )
    except WorkerFailure as error:
        record = {"failure": str(error)[-1500:]}
    record["load_after"] = list(os.getloadavg())
    return record


def run_nuts(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    if args.nuts_json is not None:
        saved = json.loads(Path(args.nuts_json).read_text())
        saved["source"] = (
            f"records of an earlier `bench/nuts.py --json` run ({args.nuts_json.name})"
        )
        return saved
    out = work / "nuts.json"
    command = [sys.executable, str(BENCH_DIR / "nuts.py"), "--json", str(out)]
    if args.quick:
        command.append("--quick")
    print("running", " ".join(command[1:]), flush=True)
    subprocess.run(command, check=True, timeout=args.timeout * 10)
    saved = json.loads(out.read_text())
    saved["source"] = "`bench/nuts.py`, run by this script" + (" (`--quick`)" if args.quick else "")
    return saved


def run_scale(args: argparse.Namespace, work: Path, cases: Sequence[str]) -> list[dict[str, Any]]:
    draws = (
        Draws(args.scale_draws, args.scale_draws, args.scale_chains)
        if args.scale_draws
        else Draws()
    )
    records = []
    for case in cases:
        for tool in args.tools:
            if case == "logit_1e6" and tool != "bayesml-gibbs":
                continue
            with tempfile.TemporaryDirectory(prefix="bayesml-issue15-") as cache:
                arguments = ["--scale-worker", case, tool, json.dumps(asdict(draws))]
                if case == "logit_1e6":
                    big = Draws(args.big_draws, args.big_draws) if args.big_draws else Draws()
                    arguments = [
                        "--scale-worker",
                        case,
                        tool,
                        json.dumps(asdict(big)),
                        "--no-repeat",
                    ]
                record = _worker_run(
                    arguments, cache_env(Path(cache)), work, f"{case}-{tool}", args.timeout
                )
            record.setdefault("case", case)
            record.setdefault("tool", tool)
            record.setdefault("draws", json.loads(arguments[3]))
            records.append(record)
            print(_scale_line(record), flush=True)
    return records


def _scale_line(record: Mapping[str, Any]) -> str:
    head = f"{record['case']:<16} {record['tool']:<14}"
    if "first" not in record:
        return f"{head} {record.get('error') or record.get('failure', '')[:300]}"
    first, repeat = record["first"], record.get("repeat")
    text = (
        f"{head} first {first['seconds']:7.1f} s ESS {first['min_ess']:6.0f} "
        f"({first['ess_per_s']:.1f}/s)"
    )
    if repeat:
        text += f"  repeat {repeat['seconds']:7.1f} s ESS {repeat['min_ess']:6.0f} ({repeat['ess_per_s']:.1f}/s)"
    return (
        text + f"  peak {record['peak_tree_bytes'] / GB:.2f} GB  load {record['load_after'][0]:.2f}"
    )


def run_first(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    records = []
    with tempfile.TemporaryDirectory(prefix="bayesml-issue15-") as cache:
        env = cache_env(Path(cache))
        for run in ("cold", "warm"):
            record = _worker_run(["--first-worker"], env, work, f"first-{run}", args.timeout)
            record["run"] = run
            records.append(record)
            print(
                f"first posterior {run}: {record.get('process_seconds', float('nan')):.1f} s",
                flush=True,
            )
    return records


def run_sensitivity(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    records = []
    for kind in ("one", "run"):
        with tempfile.TemporaryDirectory(prefix="bayesml-issue15-") as cache:
            env = cache_env(Path(cache))
            for run in ("cold", "warm"):
                record = _worker_run(
                    ["--sensitivity-worker", kind], env, work, f"sens-{kind}-{run}", args.timeout
                )
                record["run"], record["kind"] = run, kind
                records.append(record)
                print(
                    f"sensitivity {kind} {run}: {record.get('process_seconds', float('nan')):.1f} s",
                    flush=True,
                )
    return records


# -- the README section --------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**MISSED**"


def nuts_lines(saved: Mapping[str, Any]) -> list[str]:
    records = saved["records"]
    meta = saved["meta"]
    by_key = {(r["model"], r["tool"], r["run"]): r for r in records}
    models = list(dict.fromkeys(r["model"] for r in records))
    lines = [
        f"From {saved['source']}, {meta['date']} (its section above has the details; load "
        f"before {', '.join(f'{x:.2f}' for x in meta['load_before'])}, after "
        f"{', '.join(f'{x:.2f}' for x in meta['load_after'])}). ESS/s = the mean minimum bulk ESS "
        "over the hyperparameters / the whole fit's seconds (import, build, compile, sampling, "
        "result). **cold**: a fresh process with empty compile caches (a user's first fit); "
        "**warm**: the next fresh process, with the caches the first filled. `bench/nuts.py` has "
        "no same-process repeat fit; the scale models below have one.",
        "",
        "| model | bayesml ESS/s cold | bambi ESS/s cold | ratio cold | bayesml ESS/s warm | bambi ESS/s warm | ratio warm | target ≥ 3× (both) |",
        "|---|--:|--:|--:|--:|--:|--:|---|",
    ]

    def rate(model: str, tool: str, run: str) -> float | None:
        record = by_key.get((model, tool, run))
        return None if record is None else record["min_ess"] / record["seconds"]["total"]

    for model in models:
        cells, ratios = [], []
        for run in ("cold", "warm"):
            ours, theirs = rate(model, "bayesml", run), rate(model, "bambi", run)
            ratio = ours / theirs if ours and theirs else None
            ratios.append(ratio)
            cells += [_fmt(ours), _fmt(theirs), _fmt(ratio, 2)]
        ok = all(r is not None and r >= NUTS_TARGET for r in ratios)
        lines.append(f"| {model} | {' | '.join(cells)} | {_verdict(ok)} |")
    return lines


def scale_lines(records: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = [
        "| model | tool | first fit (s) | min ESS | ESS/s first | repeat fit (s) | min ESS | ESS/s repeat | lowest-ESS parameter | divergences | peak RSS process (GB) | peak RSS with children (GB) | load |",
        "|---|---|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|",
    ]
    for r in records:
        if "first" not in r:
            why = r.get("error") or r.get("failure", "failed")
            if "seconds_to_error" in r:
                why += f" (after {r['seconds_to_error']:.1f} s)"
            lines.append(
                f"| {r['case']} | {r['tool']} | {_cell(why)} |||||||||| {r['load_after'][0]:.2f} |"
            )
            continue
        first, repeat = r["first"], r.get("repeat") or {}
        lines.append(
            f"| {r['case']} | {r['tool']} | {first['seconds']:.1f} | {first['min_ess']:.0f} | "
            f"{first['ess_per_s']:.2f} | {_fmt(repeat.get('seconds'))} | {_fmt(repeat.get('min_ess'), 0)} | "
            f"{_fmt(repeat.get('ess_per_s'), 2)} | `{_cell(first['parameter'])}` | "
            f"{first['divergences']}{'/' + str(repeat['divergences']) if repeat else ''} | "
            f"{r['peak_process_bytes'] / GB:.2f} | {r['peak_tree_bytes'] / GB:.2f} | {r['load_after'][0]:.2f} |"
        )
    return lines


def scale_ratios(records: Sequence[Mapping[str, Any]]) -> list[str]:
    by = {(r["case"], r["tool"]): r for r in records if "first" in r}
    lines = []
    for case in dict.fromkeys(r["case"] for r in records):
        theirs = by.get((case, "bambi-nuts"))
        for tool in ("bayesml-nuts", "bayesml-gibbs"):
            ours = by.get((case, tool))
            if ours is None or theirs is None:
                continue
            first = ours["first"]["ess_per_s"] / theirs["first"]["ess_per_s"]
            text = f"- {case}, {tool} / bambi: ESS/s first fit {first:.2f}"
            ok = first >= NUTS_TARGET
            if "repeat" in ours and "repeat" in theirs:
                again = ours["repeat"]["ess_per_s"] / theirs["repeat"]["ess_per_s"]
                text += f", repeat fit {again:.2f}"
                ok = ok and again >= NUTS_TARGET
            lines.append(f"{text}: ≥ 3× {_verdict(ok)}")
    return lines


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def first_lines(records: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = [
        "| run | process wall time (s) | of which import (s) | `Model(...)` (s) | `sample()` (s) | min ESS | method / sampler | target < 3 s (warm) | load |",
        "|---|--:|--:|--:|--:|--:|---|---|--:|",
    ]
    for r in records:
        if "failure" in r:
            lines.append(
                f"| {r['run']} | {_cell(r['failure'][-300:])} ||||||| {r['load_after'][0]:.2f} |"
            )
            continue
        verdict = _verdict(r["process_seconds"] < FIRST_TARGET_S) if r["run"] == "warm" else "–"
        attrs = ", ".join(f"{k}={v}" for k, v in r["attrs"].items()) or "–"
        lines.append(
            f"| {r['run']} | {r['process_seconds']:.2f} | {r['import']:.2f} | {r['build']:.2f} | "
            f"{r['sample']:.2f} | {r['min_ess']:.0f} | {_cell(attrs)} | {verdict} | {r['load_after'][0]:.2f} |"
        )
    return lines


def sensitivity_lines(records: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = [
        "| what | run | process wall time (s) | in-process time (s) | configurations fitted | failed | load |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    by = {(r["kind"], r["run"]): r for r in records}
    for r in records:
        what = (
            "one fit (`model.sample()`)" if r["kind"] == "one" else "sensitivity, 8 configurations"
        )
        if "failure" in r:
            lines.append(
                f"| {what} | {r['run']} | {_cell(r['failure'][-300:])} |||| {r['load_after'][0]:.2f} |"
            )
            continue
        lines.append(
            f"| {what} | {r['run']} | {r['process_seconds']:.1f} | {r['in_process']:.1f} | "
            f"{r['configurations']} | {r['failures']} | {r['load_after'][0]:.2f} |"
        )
    lines.append("")
    for run in ("cold", "warm"):
        one, many = by.get(("one", run)), by.get(("run", run))
        if one and many and "in_process" in one and "in_process" in many:
            ratio = many["in_process"] / one["in_process"]
            lines.append(
                f"- {run}: sensitivity run / one fit = {many['in_process']:.1f} s / "
                f"{one['in_process']:.1f} s = {ratio:.2f}: target < 2 {_verdict(ratio < SENSITIVITY_TARGET)}"
            )
    return lines


def render(saved: Mapping[str, Any]) -> str:
    meta = saved["meta"]
    machine = meta["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
    lines = [
        "## Issue 15 targets (`bench/issue15.py`)",
        "",
        f"**{meta['label']}.** Generated by `python bench/issue15.py {meta['argv']}` on {meta['date']} "
        f"in {meta['minutes']:.0f} minutes. Machine: {machine['cpu_count']} CPUs ({machine['cpu_model']}), "
        f"{machine['platform']}, Python {machine['python']}; no GPU. Load average (1, 5, 15 min) before "
        f"{', '.join(f'{x:.2f}' for x in meta['load_before'])}, after "
        f"{', '.join(f'{x:.2f}' for x in meta['load_after'])}; the `load` columns are the 1-minute load "
        "after each process. Other work shared the machine's 2 cores (timings are noisy; memory is not). "
        f"Code: commit `{meta['commit']}`{' with uncommitted edits in the working tree' if meta['dirty'] else ''}.",
        "",
        f"Versions: {versions}.",
        "",
        "Rerun everything with `python bench/issue15.py` (it runs `bench/nuts.py` too and rewrites "
        "both sections); `--parts` picks parts, `--scale-draws N` shortens the scale fits, "
        "`--from-json` rewrites the section from saved records.",
    ]
    if "nuts" in saved:
        lines += [
            "",
            "### ESS/s over the whole fit against bambi (target ≥ 3×)",
            "",
            *nuts_lines(saved["nuts"]),
        ]
    scale = saved.get("scale") or []
    if scale:
        draws = Draws(**next((r["draws"] for r in scale if "draws" in r), {}))
        lines += [
            "",
            "### Scale: a 10⁵-row logistic GLMM and a crossed Poisson GLMM",
            "",
            *(
                f"- `{c.name}`: {c.describe()}"
                for c in SCALE_CASES.values()
                if c.name != "logit_1e6"
            ),
            "",
            f"Priors (all tools): Intercept ~ N(0, 5), x ~ N(0, 5), SDs ~ HN(2.5). Draws: {draws.text()} "
            "for every tool"
            + (
                ""
                if draws == Draws()
                else " (fewer than the defaults, to keep the run "
                "short on 2 cores: the target is a ratio of ESS/s, and both tools run the same draws)"
            )
            + ". "
            "bayesml: `Model(...).sample('nuts' | 'gibbs', random_seed=...)`, defaults otherwise "
            "(NUTS: nutpie; Gibbs: Pólya-Gamma for the logit, chains in worker processes); bambi: "
            "`Model(..., center_predictors=False).fit(inference_method='nutpie')`. **first fit**: "
            "a fresh process with empty compile caches, from the simulated data frame to the "
            "posterior (import, `Model(...)`, compile, sampling, result); **repeat fit**: the same "
            "model object sampled again with another seed. ESS: the smallest bulk ESS over β and "
            "the SDs. Peak RSS: the fit process (`getrusage`), and with its children (the Gibbs "
            "workers; summed RSS polled every 50 ms).",
            "",
            *scale_lines([r for r in scale if r["case"] != "logit_1e6"]),
            "",
            *scale_ratios([r for r in scale if r["case"] != "logit_1e6"]),
        ]
    big = [r for r in scale if r["case"] == "logit_1e6"]
    if big:
        lines += [
            "",
            "### 10⁶ rows with Gibbs",
            "",
            f"{SCALE_CASES['logit_1e6'].describe()}; `Model(...).sample('gibbs')`, "
            f"{Draws(**big[0].get('draws', {})).text()}, first fit only (a fresh process, cold "
            "caches). Target: completes on this 24 GB machine.",
            "",
            *scale_lines(big),
        ]
        for r in big:
            lines.append("")
            if "first" in r:
                verdict = "met"
            elif "error" in r or "stopped" in r.get("failure", ""):
                verdict = "**MISSED**"
            else:
                verdict = "not measured (the run did not finish; see the row)"
            lines.append(f"Target: completes: {verdict}.")
    if saved.get("first"):
        lines += [
            "",
            "### Time to the first posterior from a fresh process",
            "",
            "`python -c` equivalent of `import bayesml; bayesml.Model('Reaction ~ Days + (Days | "
            "Subject)', 'sleepstudy').sample(random_seed=1)` (defaults: 4 chains × 1000 draws), "
            "timed from the process's start (interpreter, imports and loading the data set "
            "included) to the result; **cold**: empty compile caches, **warm**: a second process "
            "with the caches the first filled.",
            "",
            *first_lines(saved["first"]),
        ]
    if saved.get("sensitivity"):
        lines += [
            "",
            "### Prior sensitivity on radon: 8 configurations against one fit",
            "",
            f"`{RADON_FORMULA}` (gaussian, default priors); `bayesml.sensitivity(model, "
            "priors={'sd': {...}}, random_seed=1)` at its defaults (NUTS 4 × 1000, 500 prior "
            "predictive draws per configuration) with the SD prior half-normal or half-Cauchy at "
            f"scales {', '.join(f'{s:g}' for s in SENSITIVITY_SCALES)}; one fit is `model.sample("
            "random_seed=1)`. Each row is a fresh process; the ratio compares in-process times "
            "(import to result), cold with cold and warm with warm caches.",
            "",
            *sensitivity_lines(saved["sensitivity"]),
        ]
    lines += [
        "",
        "### Not run: numpyro/JAX on a GPU",
        "",
        "The issue asks for the numpyro/JAX path (`sampler='numpyro'`, nutpie's JAX backend) on the "
        "10⁵-row model where a GPU is available. This machine has none (and the session that wrote "
        "this section had no GPU lent), so that comparison was not run.",
    ]
    return "\n".join(lines)


# -- command line --------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument(
        "--cases",
        nargs="+",
        choices=["logit_1e5", "poisson_crossed"],
        default=["logit_1e5", "poisson_crossed"],
    )
    parser.add_argument("--tools", nargs="+", choices=SCALE_TOOLS, default=list(SCALE_TOOLS))
    parser.add_argument(
        "--scale-draws",
        type=int,
        default=None,
        help="draws = tune for the scale fits (default: the defaults, 1000)",
    )
    parser.add_argument("--scale-chains", type=int, default=None)
    parser.add_argument(
        "--big-draws",
        type=int,
        default=None,
        help="draws = tune for the 10⁶-row Gibbs fit (default: the defaults, 1000)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="bench/nuts.py --quick and --scale-draws 100"
    )
    parser.add_argument(
        "--nuts-json", type=Path, default=None, help="records of a bench/nuts.py --json run"
    )
    parser.add_argument("--label", default="Latest run")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per worker process")
    parser.add_argument("--json", type=Path, default=None, help="save the records here")
    parser.add_argument(
        "--from-json", type=Path, default=None, help="rewrite the section from saved records"
    )
    parser.add_argument("--no-readme", action="store_true", help="print the section instead")
    parser.add_argument("--scale-worker", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--no-repeat", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--first-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sensitivity-worker", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _git(*arguments: str) -> str:
    try:
        return subprocess.run(
            ["git", *arguments], cwd=BENCH_DIR, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.scale_worker:
        case, tool, draws = args.scale_worker
        record = scale_worker(case, tool, Draws(**json.loads(draws)), repeat=not args.no_repeat)
        args.out.write_text(json.dumps(record))
        return 0
    if args.first_worker:
        args.out.write_text(json.dumps(first_worker()))
        return 0
    if args.sensitivity_worker:
        args.out.write_text(json.dumps(sensitivity_worker(args.sensitivity_worker)))
        return 0
    if args.from_json is not None:
        saved = json.loads(args.from_json.read_text())
    else:
        if args.quick and args.scale_draws is None:
            args.scale_draws = 100
        start = time.perf_counter()
        saved: dict[str, Any] = {
            "meta": {
                "label": args.label,
                "argv": " ".join(sys.argv[1:] if argv is None else argv),
                "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "machine": machine_info(),
                "versions": package_versions(VERSIONED),
                "load_before": list(os.getloadavg()),
                "commit": _git("rev-parse", "--short", "HEAD"),
                "dirty": bool(_git("status", "--porcelain", "--", "bayesml")),
            }
        }

        def save() -> None:
            saved["meta"]["load_after"] = list(os.getloadavg())
            saved["meta"]["minutes"] = (time.perf_counter() - start) / 60
            if args.json is not None:
                args.json.write_text(json.dumps(saved, indent=1))

        with tempfile.TemporaryDirectory(prefix="bayesml-issue15-work-") as tmp:
            work = Path(tmp)
            # the longest part, the 10⁶-row Gibbs fit, runs last; the records are saved after each
            if "nuts" in args.parts:
                saved["nuts"] = run_nuts(args, work)
                save()
            if "scale" in args.parts:
                saved["scale"] = run_scale(args, work, args.cases)
                save()
            if "first" in args.parts:
                saved["first"] = run_first(args, work)
                save()
            if "sensitivity" in args.parts:
                saved["sensitivity"] = run_sensitivity(args, work)
                save()
            if "gibbs1e6" in args.parts:
                saved["scale"] = saved.get("scale", []) + run_scale(args, work, ["logit_1e6"])
                save()
    section = render(saved)
    if args.no_readme:
        print(section)
    else:
        README.write_text(replace_section(README.read_text(), BEGIN, END, section))
        print(f"wrote {README}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
