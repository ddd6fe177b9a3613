"""Gibbs benchmark: ESS per second of the Gibbs sampler and of NUTS (nutpie) on the same models.

Models: BUGS rats (``models/rats.yaml``: inverse-Wishart Σ, day not centred), radon varying
intercepts and slopes with an inverse-Wishart prior, and the bacteria probit GLMM (Albert–Chib
latent variables for Gibbs; default priors). Two kinds of fit are timed, each (model) in fresh
Python processes with empty PyTensor/numba caches:

* **first fit**: the first call of ``model.sample(method=...)`` in a fresh process, one process
  per (model, method) (NUTS compiles the model; Gibbs starts its worker processes);
* **repeat fit**: in the NUTS process, after its first fit, one untimed Gibbs fit (it starts the
  Gibbs workers), then ``REPEATS`` timed fits of each method on the same ``Model``, alternating
  the methods in the order G N, N G, G N, ... so that a change of machine load over the run
  falls on both; the table reports the median time, the median ESS and the median of the
  per-fit ESS/s.

ESS is the smallest bulk ESS over the fixed effects, SDs, correlations and σ (not the random
effects); ESS/s divides it by the wall time of the call. Gibbs runs with its default
``expansion="auto"``; the section counts the chains that kept each group's expansion moves.
Results go to ``bench/README.md`` between ``<!-- gibbs:begin -->`` and ``<!-- gibbs:end -->``.

Usage::

    python bench/gibbs.py            # 4 chains x 1000 draws, tune 1000; writes bench/README.md
    python bench/gibbs.py --quick    # 2 chains x 300 draws, tune 300; prints only
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

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
MODELS_DIR = BENCH_DIR.parent / "models"
README = BENCH_DIR / "README.md"
BEGIN, END = "<!-- gibbs:begin -->", "<!-- gibbs:end -->"
METHODS = ("gibbs", "nuts")
GAUSSIAN_CASES = ("rats", "radon_iw")
VERSIONED = ["bayesml", "numpy", "scipy", "pymc", "nutpie", "numba"]
HYPERPARAMETERS = ("beta", "sd_", "corr_", "sigma")


@dataclass(frozen=True)
class Settings:
    """Draws, warm-up and chains of every fit, the seed and the number of timed repeat fits."""

    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    seed: int = 20240601
    repeats: int = 3


def _rats():
    import bayesml

    return bayesml.Model.from_spec(MODELS_DIR / "rats.yaml")


def _radon_iw():
    import bayesml

    return bayesml.Model(
        "log_radon ~ floor + (1 + floor | county)",
        "radon",
        priors={
            "intercept": {"dist": "normal", "mu": 0, "sigma": 10},
            "fixed": {"dist": "normal", "mu": 0, "sigma": 10},
            "cov": {"dist": "inverse_wishart", "nu": 4, "scale": 0.2},
            "sigma": {"dist": "half_normal", "sigma": 1},
        },
    )


def _bacteria_probit():
    import bayesml

    return bayesml.Model(
        "y ~ week + (1 | ID)", "bacteria", family="binomial", link="probit", success="y"
    )


#: case name -> (builder of the bayesml.Model, description for the README)
CASES: dict[str, tuple[Callable[[], Any], str]] = {
    "rats": (_rats, "`weight ~ day + (1 + day | rat)`, models/rats.yaml (IW(3, diag(200, 0.2)))"),
    "radon_iw": (
        _radon_iw,
        "`log_radon ~ floor + (1 + floor | county)`, N(0, 10) coefficients, IW(4, 0.2·I), σ ~ HN(1)",
    ),
    "bacteria_probit": (
        _bacteria_probit,
        "`y ~ week + (1 | ID)`, binomial probit, default priors (weakly informative, half-t SD)",
    ),
}


# -- one fit (worker process) ----------------------------------------------------------------


def hyperparameter_draws(posterior: Any) -> dict[str, np.ndarray]:
    """(chain, draw) arrays of β, the SDs, the upper-triangle correlations and σ."""
    draws: dict[str, np.ndarray] = {}
    for name, variable in posterior.data_vars.items():
        if not str(name).startswith(HYPERPARAMETERS):
            continue
        extra = [dim for dim in variable.dims if dim not in ("chain", "draw")]
        values = variable.transpose("chain", "draw", *extra).values
        for index in np.ndindex(*values.shape[2:]):
            if str(name).startswith("corr_") and not index[0] < index[1]:
                continue
            label = f"{name}[{', '.join(map(str, index))}]" if index else str(name)
            draws[label] = values[(slice(None), slice(None), *index)]
    return draws


def _sample(method: str, model: Any, settings: Settings, seed: int) -> Any:
    """``model.sample(method=...)``, the users' entry point to both samplers."""
    return model.sample(
        method=method,
        draws=settings.draws,
        tune=settings.tune,
        chains=settings.chains,
        random_seed=seed,
        log_prior=False,
        check=False,
    )


def _timed_fit(method: str, model: Any, settings: Settings, seed: int) -> dict[str, Any]:
    start = time.perf_counter()
    result = _sample(method, model, settings, seed)
    seconds = time.perf_counter() - start
    ess, parameter = min_bulk_ess(hyperparameter_draws(result["posterior"].to_dataset()))
    divergences = 0
    if "diverging" in result["sample_stats"]:
        divergences = int(result["sample_stats"]["diverging"].values.sum())
    return {
        "seconds": seconds,
        "min_ess": ess,
        "parameter": parameter,
        "divergences": divergences,
        "expansion": expansion_choices(result["sample_stats"].to_dataset()),
        "load_average": list(os.getloadavg()),
    }


def expansion_choices(sample_stats: Any) -> dict[str, list[bool]]:
    """Gibbs: group -> whether each chain kept the group's expansion moves (``expansion_<group>``,
    the boolean sample_stats); {} for NUTS."""
    return {
        str(name).removeprefix("expansion_"): [bool(chain[0]) for chain in variable.values]
        for name, variable in sample_stats.data_vars.items()
        if str(name).startswith("expansion_") and variable.dtype == bool
    }


def repeat_order(repeats: int, methods: tuple[str, ...]) -> list[str]:
    """The methods of the timed repeat fits: G N, N G, G N, ... (each method ``repeats`` times)."""
    order: list[str] = []
    for repeat in range(repeats):
        order.extend(methods if repeat % 2 == 0 else tuple(reversed(methods)))
    return order


def run_one(case: str, method: str, settings: Settings, *, repeat: bool) -> dict[str, Any]:
    """The first fit of ``case`` with ``method`` in this process; with ``repeat``, then the timed
    repeat fits of every method (see the module text)."""
    start = time.perf_counter()
    model = CASES[case][0]()
    build = time.perf_counter() - start
    first = _timed_fit(method, model, settings, settings.seed)
    repeats: dict[str, list[dict[str, Any]]] = {}
    if repeat:
        for other in METHODS:
            if other != method:  # its first fit in this process, untimed
                _sample(other, model, settings, settings.seed)
        for index, name in enumerate(repeat_order(settings.repeats, METHODS)):
            fit = _timed_fit(name, model, settings, settings.seed + 1 + index // len(METHODS))
            repeats.setdefault(name, []).append(fit)
    return {
        "case": case,
        "method": method,
        "settings": asdict(settings),
        "build": build,
        "first": first,
        "repeats": repeats,
    }


# -- the driver (parent process) ---------------------------------------------------------------


def other_benchmarks() -> list[str]:
    """Command lines of other running ``bench/`` scripts (they would distort the timings)."""
    mine = {os.getpid(), os.getppid()}
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            pid = int(entry.name)
            words = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        text = " ".join(word.decode(errors="replace") for word in words if word)
        if pid not in mine and "python" in text and "bench/" in text and "--worker" not in text:
            found.append(text)
    return found


def run_all(cases, methods, settings: Settings, *, timeout: float, work: Path) -> list[dict]:
    """Every (case, method) pair in a fresh process with fresh compile caches; the NUTS process
    (the last method) also makes the repeat fits of every method."""
    records = []
    for case in cases:
        for method in methods:
            out = work / f"{case}-{method}.json"
            repeat = method == methods[-1] and len(methods) == len(METHODS)
            with tempfile.TemporaryDirectory(prefix="bayesml-gibbs-bench-") as cache:
                arguments = [
                    str(Path(__file__).resolve()), "--worker", case, method, str(out),
                    "--draws", str(settings.draws), "--tune", str(settings.tune),
                    "--chains", str(settings.chains), "--seed", str(settings.seed),
                    "--repeats", str(settings.repeats),
                    *(["--repeat-fits"] if repeat else []),
                ]  # fmt: skip
                record = run_worker(
                    arguments, env=cache_env(Path(cache)), result_path=out, timeout=timeout
                )
            record["load_average"] = list(os.getloadavg())
            records.append(record)
            print(_progress_line(record), flush=True)
    return records


def _progress_line(record: Mapping[str, Any]) -> str:
    first = record["first"]
    line = (
        f"{record['case']:<16} {record['method']:<6} first {first['seconds']:6.2f} s "
        f"(ESS {first['min_ess']:6.0f})"
    )
    for method, fits in record["repeats"].items():
        times = " ".join(f"{fit['seconds']:.2f}" for fit in fits)
        line += f"; repeat {method}: {times} s"
    return line


# -- the README section ------------------------------------------------------------------------


def _rate(fit: Mapping[str, Any]) -> float:
    return fit["min_ess"] / fit["seconds"]


def first_fits(records: list[dict]) -> dict[tuple[str, str], dict[str, Any]]:
    """(case, method) -> its first fit."""
    return {(r["case"], r["method"]): r["first"] for r in records}


def repeat_summary(records: list[dict]) -> dict[tuple[str, str], dict[str, Any]]:
    """(case, method) -> median seconds, median ESS, median ESS/s and the parameter of the
    lowest ESS (the most frequent one) over its timed repeat fits."""
    summary = {}
    for record in records:
        for method, fits in record["repeats"].items():
            parameters = [fit["parameter"] for fit in fits]
            summary[(record["case"], method)] = {
                "seconds": float(np.median([fit["seconds"] for fit in fits])),
                "min_ess": float(np.median([fit["min_ess"] for fit in fits])),
                "rate": float(np.median([_rate(fit) for fit in fits])),
                "parameter": max(set(parameters), key=parameters.count),
                "count": len(fits),
                "all_seconds": [fit["seconds"] for fit in fits],
            }
    return summary


def table(records: list[dict]) -> str:
    """The markdown table: one row per (case, method)."""
    firsts, repeats = first_fits(records), repeat_summary(records)
    lines = [
        "| model | method | first fit (s) | min ESS | ESS/s | repeat fits (s) | median (s) "
        "| median min ESS | median ESS/s | lowest-ESS parameter |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for case, method in firsts:
        first = firsts[(case, method)]
        row = f"| {case} | {method} | {first['seconds']:.2f} | {first['min_ess']:.0f} | "
        row += f"{_rate(first):.0f} | "
        repeat = repeats.get((case, method))
        if repeat is None:
            row += f"– | – | – | – | `{first['parameter']}` |"
        else:
            times = ", ".join(f"{value:.2f}" for value in repeat["all_seconds"])
            row += (
                f"{times} | {repeat['seconds']:.2f} | {repeat['min_ess']:.0f} | "
                f"{repeat['rate']:.0f} | `{repeat['parameter']}` |"
            )
        lines.append(row)
    return "\n".join(lines)


def verdicts(records: list[dict]) -> list[str]:
    """The target, Gibbs ESS/s ≥ NUTS ESS/s on the Gaussian models, for both kinds of fit."""
    firsts, repeats = first_fits(records), repeat_summary(records)
    lines = []
    for case in GAUSSIAN_CASES:
        parts = []
        if (case, "gibbs") in firsts and (case, "nuts") in firsts:
            ratio = _rate(firsts[(case, "gibbs")]) / _rate(firsts[(case, "nuts")])
            parts.append(f"first fit: Gibbs/NUTS = {ratio:.2f} ({_verdict(ratio)})")
        if (case, "gibbs") in repeats and (case, "nuts") in repeats:
            ratio = repeats[(case, "gibbs")]["rate"] / repeats[(case, "nuts")]["rate"]
            parts.append(f"repeat fit (medians): Gibbs/NUTS = {ratio:.2f} ({_verdict(ratio)})")
        if parts:
            lines.append(f"- {case}: " + "; ".join(parts))
    return lines


def expansion_lines(records: list[dict]) -> list[str]:
    """Per model and group: the Gibbs chains that kept the expansion moves, over all its fits."""
    fits: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        found = fits.setdefault(record["case"], [])
        found += [record["first"]] if record["method"] == "gibbs" else []
        found += record["repeats"].get("gibbs", [])
    lines = []
    for case, case_fits in fits.items():
        kept: dict[str, list[bool]] = {}
        for fit in case_fits:
            for group, chains in fit.get("expansion", {}).items():
                kept.setdefault(group, []).extend(chains)
        if kept:
            counts = ", ".join(
                f"`{group}` {sum(chains)} of {len(chains)} chains" for group, chains in kept.items()
            )
            lines.append(f"- {case} ({len(case_fits)} fits): {counts}")
    return lines


def _verdict(ratio: float) -> str:
    return "met" if ratio >= 1.0 else "not met"


def _loads(records: list[dict]) -> str:
    values = [r["first"]["load_average"][0] for r in records]
    values += [
        fit["load_average"][0] for r in records for fits in r["repeats"].values() for fit in fits
    ]
    return f"{min(values):.2f}–{max(values):.2f}"


def readme_section(records: list[dict], settings: Settings, versions: Mapping[str, str]) -> str:
    info = machine_info()
    models = "\n".join(
        f"- `{name}`: {CASES[name][1]}" for name in dict.fromkeys(r["case"] for r in records)
    )
    version_text = ", ".join(f"{name} {version}" for name, version in versions.items())
    others = records[0].get("other_benchmarks") or []
    concurrent = (
        f"other benchmarks running at the start: {len(others)}"
        if others
        else "no other benchmark running at the start"
    )
    return "\n".join(
        [
            "## Gibbs against NUTS (`bench/gibbs.py`)",
            "",
            "`python bench/gibbs.py` (about 6 minutes on 2 cores, most of it NUTS compiling with "
            "empty caches) rewrites this section; `--quick` prints a smaller run; "
            "`--from-json runs.json` rewrites it from the records a run saved with `--json`.",
            "",
            f"{settings.chains} chains × {settings.draws} draws after {settings.tune} warm-up "
            "iterations, for both methods; chains in parallel processes (Gibbs) or threads "
            "(nutpie) on every core. Times are the wall time of `model.sample(...)` (sampling "
            "and building the result, `log_prior=False`, `check=False`); ESS is the smallest "
            "bulk ESS over β, the SDs, the correlations and σ.",
            "",
            "- **First fit**: each (model, method) pair in a fresh process with empty compile "
            "caches; the first call of `model.sample` includes NUTS's compilation and the start "
            "of Gibbs's worker processes.",
            f"- **Repeat fit**: in the NUTS process, after its first fit and one untimed Gibbs "
            f"fit, {settings.repeats} timed fits of each method on the same `Model` (NUTS reuses "
            "its compiled model, Gibbs its worker processes), alternating the methods "
            "(G N, N G, G N, …) so that both see the same machine load; the table gives each "
            "time, the median time, the median of the minimum ESS and the median of the per-fit "
            "ESS/s, which the target compares.",
            "",
            models,
            "",
            table(records),
            "",
            "Target, Gibbs ESS/s ≥ NUTS ESS/s on the Gaussian models:",
            "",
            *verdicts(records),
            "",
            'Gibbs parameter-expansion moves kept (`expansion="auto"`, chosen per chain and '
            "grouping factor in warm-up; README, *Gibbs samplers*):",
            "",
            *(expansion_lines(records) or ["- (not recorded by this run)"]),
            "",
            f"Run on {dt.date.today().isoformat()}: {info['cpu_count']} × {info['cpu_model']}; "
            f"{info['platform']}; Python {info['python']}; {version_text}; 1-minute load "
            f"average after each fit {_loads(records)}; {concurrent}.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--worker", nargs=3, metavar=("CASE", "METHOD", "OUT"), help=argparse.SUPPRESS
    )
    parser.add_argument("--draws", type=int, default=Settings.draws)
    parser.add_argument("--tune", type=int, default=Settings.tune)
    parser.add_argument("--chains", type=int, default=Settings.chains)
    parser.add_argument("--seed", type=int, default=Settings.seed)
    parser.add_argument(
        "--repeats", type=int, default=Settings.repeats, help="timed repeat fits per method"
    )
    parser.add_argument("--repeat-fits", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--quick", action="store_true", help="2 chains x 300 draws, tune 300; no README"
    )
    parser.add_argument("--models", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--no-readme", action="store_true", help="print the tables only")
    parser.add_argument("--json", type=Path, help="also write the records to this file")
    parser.add_argument("--timeout", type=float, default=1200.0)
    parser.add_argument(
        "--from-json", type=Path, help="rebuild the README section from saved records; no runs"
    )
    args = parser.parse_args(argv)
    settings = Settings(args.draws, args.tune, args.chains, args.seed, args.repeats)
    if args.quick:
        settings = Settings(300, 300, 2, args.seed, args.repeats)
    if args.worker:
        case, method, out = args.worker
        record = run_one(case, method, settings, repeat=args.repeat_fits)
        Path(out).write_text(json.dumps(record))
        return 0
    if args.from_json:
        records = json.loads(args.from_json.read_text())
        settings = Settings(**records[0]["settings"])
    else:
        others = other_benchmarks()
        for command in others:
            print(f"warning: another benchmark is running and will distort the timings: {command}")
        with tempfile.TemporaryDirectory(prefix="bayesml-gibbs-bench-work-") as work:
            try:
                records = run_all(
                    args.models, args.methods, settings, timeout=args.timeout, work=Path(work)
                )
            except WorkerFailure as error:
                print(error, file=sys.stderr)
                return 1
        records[0]["other_benchmarks"] = others
    section = readme_section(records, settings, package_versions(VERSIONED))
    print()
    print(section)
    if args.json and not args.from_json:
        args.json.write_text(json.dumps(records, indent=2))
    if not (args.quick or args.no_readme):
        README.write_text(replace_section(README.read_text(), BEGIN, END, section))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
