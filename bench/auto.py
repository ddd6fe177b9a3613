"""Should ``Model.sample()`` default to ``method="auto"``? Gibbs against NUTS on the models Gibbs
covers, at the default priors a user gets, first fit and repeat fits.

``method="auto"`` (issue 15, item 2) takes the Gibbs sampler where every block of the model has
an exact update and NUTS otherwise. The rule for keeping it as the default: on every model below
it must win on the **first fit** (ESS/s over the whole first ``model.sample`` call in a fresh
process with empty compile caches) without losing more than 20 % of NUTS's ESS/s on **repeat
fits** (the same ``Model`` sampled again in the same process, NUTS reusing its compiled model).

Models, with their default priors unless said (what ``method="auto"`` meets in practice):

* ``bacteria``: ``y ~ week + (1 | ID)``, bernoulli logit (Pólya-Gamma Gibbs);
* ``radon``: ``log_radon ~ floor + (1 + floor | county)``, gaussian, correlated (LKJ);
* ``sleepstudy``: ``Reaction ~ Days + (Days | Subject)``, gaussian, correlated (LKJ);
* ``rats``: ``models/rats.yaml`` (BUGS rats, inverse-Wishart Σ).

Each (model, method) pair runs in a fresh process with empty PyTensor/numba caches (its first
fit, and the whole process's wall time, imports included); the NUTS process then makes one
untimed Gibbs fit and ``--repeats`` timed fits of each method, alternating G N, N G, ... (the
machinery of ``bench/gibbs.py``). The section between ``<!-- auto:begin -->`` and
``<!-- auto:end -->`` of ``bench/README.md`` records the tables, the verdict per model and the
machine's load.

Usage::

    python bench/auto.py            # 4 chains x 1000 draws, tune 1000; writes bench/README.md
    python bench/auto.py --quick    # 2 chains x 300 draws, tune 300; prints only
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import gibbs as gibbs_bench  # noqa: E402  (bench/ is a folder of scripts)
from bench.common import (  # noqa: E402
    WorkerFailure,
    cache_env,
    machine_info,
    package_versions,
    replace_section,
    run_worker,
)

BENCH_DIR = Path(__file__).resolve().parent
README = BENCH_DIR / "README.md"
BEGIN, END = "<!-- auto:begin -->", "<!-- auto:end -->"
METHODS = gibbs_bench.METHODS  # ("gibbs", "nuts"): the NUTS process makes the repeat fits
FIRST_FIT_MARGIN = 1.0  # Gibbs's first-fit ESS/s must exceed NUTS's
REPEAT_LOSS = 0.20  # Gibbs's repeat-fit ESS/s may be at most 20 % below NUTS's
Settings = gibbs_bench.Settings


def _bacteria():
    import bayesml

    return bayesml.Model("y ~ week + (1 | ID)", "bacteria", family="bernoulli", success="y")


def _radon():
    import bayesml

    return bayesml.Model("log_radon ~ floor + (1 + floor | county)", "radon")


def _sleepstudy():
    import bayesml

    return bayesml.Model("Reaction ~ Days + (Days | Subject)", "sleepstudy")


def _rats():
    import bayesml

    return bayesml.Model.from_spec(gibbs_bench.MODELS_DIR / "rats.yaml")


CASES: dict[str, tuple[Callable[[], Any], str]] = {
    "bacteria": (_bacteria, "`y ~ week + (1 | ID)`, bernoulli logit, default priors"),
    "radon": (_radon, "`log_radon ~ floor + (1 + floor | county)`, gaussian, default priors"),
    "sleepstudy": (_sleepstudy, "`Reaction ~ Days + (Days | Subject)`, gaussian, default priors"),
    "rats": (_rats, "`weight ~ day + (1 + day | rat)`, models/rats.yaml (inverse-Wishart Σ)"),
}


def auto_choice(case: str) -> tuple[str, str]:
    """What ``method="auto"`` takes for ``case`` and why."""
    from bayesml.backends.registry import choose_sampling_method

    model = CASES[case][0]()
    return choose_sampling_method(model._inputs)


def worker(case: str, method: str, settings: Settings, *, repeat: bool) -> dict[str, Any]:
    """One process: the first fit of ``case`` with ``method`` (and the repeat fits)."""
    gibbs_bench.CASES = CASES  # run_one builds the model from this table
    record = gibbs_bench.run_one(case, method, settings, repeat=repeat)
    record["auto"] = list(auto_choice(case))
    return record


def run_all(cases, settings: Settings, *, timeout: float, work: Path) -> list[dict[str, Any]]:
    records = []
    for case in cases:
        for method in METHODS:
            out = work / f"{case}-{method}.json"
            with tempfile.TemporaryDirectory(prefix="bayesml-auto-bench-") as cache:
                arguments = [
                    str(Path(__file__).resolve()), "--worker", case, method, str(out),
                    "--draws", str(settings.draws), "--tune", str(settings.tune),
                    "--chains", str(settings.chains), "--seed", str(settings.seed),
                    "--repeats", str(settings.repeats),
                    *(["--repeat-fits"] if method == METHODS[-1] else []),
                ]  # fmt: skip
                record = run_worker(
                    arguments, env=cache_env(Path(cache)), result_path=out, timeout=timeout
                )
            record["load_average"] = list(os.getloadavg())
            records.append(record)
            print(gibbs_bench._progress_line(record), flush=True)
    return records


def _rate(fit: Mapping[str, Any]) -> float:
    return fit["min_ess"] / fit["seconds"]


def verdict_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per model: first-fit and repeat-fit ESS/s ratios Gibbs/NUTS and whether auto passes."""
    firsts = gibbs_bench.first_fits(records)
    repeats = gibbs_bench.repeat_summary(records)
    processes = {(r["case"], r["method"]): r.get("process_seconds") for r in records}
    # the choice of the code that builds the section (the workers' may predate a change of rule)
    autos = {case: auto_choice(case) for case in dict.fromkeys(r["case"] for r in records)}
    rows = []
    for case in dict.fromkeys(r["case"] for r in records):
        if (case, "gibbs") not in firsts or (case, "nuts") not in firsts:
            continue
        first = _rate(firsts[(case, "gibbs")]) / _rate(firsts[(case, "nuts")])
        repeat = None
        if (case, "gibbs") in repeats and (case, "nuts") in repeats:
            repeat = repeats[(case, "gibbs")]["rate"] / repeats[(case, "nuts")]["rate"]
        passed = first > FIRST_FIT_MARGIN and (repeat is None or repeat >= 1 - REPEAT_LOSS)
        rows.append(
            {
                "case": case,
                "auto": autos[case],
                "first_ratio": first,
                "repeat_ratio": repeat,
                "process_gibbs": processes[(case, "gibbs")],
                "process_nuts": processes[(case, "nuts")],
                "passed": passed,
            }
        )
    return rows


def verdict_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| model | `method=\"auto\"` takes | process, Gibbs (s) | process, NUTS (s) "
        "| first fit ESS/s Gibbs/NUTS | repeat fit ESS/s Gibbs/NUTS | auto passes |",
        "|---|---|--:|--:|--:|--:|---|",
    ]
    for row in rows:
        repeat = "–" if row["repeat_ratio"] is None else f"{row['repeat_ratio']:.2f}"
        lines.append(
            f"| {row['case']} | {row['auto'][0]} | {row['process_gibbs']:.1f} | "
            f"{row['process_nuts']:.1f} | {row['first_ratio']:.1f} | {repeat} | "
            f"{'yes' if row['passed'] else 'no'} |"
        )
    return "\n".join(lines)


def readme_section(records: list[dict[str, Any]], settings: Settings) -> str:
    info = machine_info()
    versions = package_versions(gibbs_bench.VERSIONED + ["polyagamma"])
    rows = verdict_rows(records)
    models = "\n".join(
        f"- `{name}`: {CASES[name][1]}" for name in dict.fromkeys(r["case"] for r in records)
    )
    loads = [r["first"]["load_average"][0] for r in records] + [
        fit["load_average"][0] for r in records for fits in r["repeats"].values() for fit in fits
    ]
    all_passed = all(row["passed"] for row in rows)
    return "\n".join(
        [
            '## `method="auto"`: Gibbs or NUTS by default (`bench/auto.py`)',
            "",
            "`python bench/auto.py` rewrites this section (`--quick` prints a smaller run). "
            f"{settings.chains} chains × {settings.draws} draws after {settings.tune} warm-up "
            "iterations. First fit: the first `model.sample` call in a fresh process with empty "
            "compile caches (Gibbs starting its worker processes, NUTS compiling); *process* is "
            "that process's whole wall time, imports and model building included. Repeat fits: "
            f"{settings.repeats} timed fits of each method on the same `Model` in the NUTS "
            "process, alternating the methods; medians. ESS is the smallest bulk ESS over β, "
            "the SDs, the correlations and σ; ESS/s divides it by the call's wall time.",
            "",
            f"Rule: `method=\"auto\"` stays the default if on every model Gibbs's first-fit "
            f"ESS/s beats NUTS's and its repeat-fit ESS/s is at least "
            f"{1 - REPEAT_LOSS:.0%} of NUTS's.",
            "",
            models,
            "",
            gibbs_bench.table(records),
            "",
            verdict_table(rows),
            "",
            f"Verdict of this run: {'every model passes' if all_passed else 'not every model passes'}"
            " (the decision and its reasons are in the text above this section). The *takes* "
            "column is the choice of `method=\"auto\"` in the code that wrote this section.",
            "",
            f"Run on {dt.date.today().isoformat()}: {info['cpu_count']} × {info['cpu_model']}; "
            f"{info['platform']}; Python {info['python']}; "
            + ", ".join(f"{name} {version}" for name, version in versions.items())
            + f"; 1-minute load average after each fit {min(loads):.2f}–{max(loads):.2f}"
            + (
                f"; other benchmarks running at the start: {len(records[0]['other_benchmarks'])}"
                if records[0].get("other_benchmarks")
                else ""
            )
            + ".",
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
    parser.add_argument("--repeats", type=int, default=Settings.repeats)
    parser.add_argument("--repeat-fits", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="2 chains x 300 draws; no README")
    parser.add_argument("--models", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--no-readme", action="store_true", help="print the tables only")
    parser.add_argument("--json", type=Path, help="also write the records to this file")
    parser.add_argument("--from-json", type=Path, help="rebuild the section from saved records")
    parser.add_argument("--timeout", type=float, default=1200.0)
    args = parser.parse_args(argv)
    settings = Settings(args.draws, args.tune, args.chains, args.seed, args.repeats)
    if args.quick:
        settings = Settings(300, 300, 2, args.seed, args.repeats)
    if args.worker:
        case, method, out = args.worker
        record = worker(case, method, settings, repeat=args.repeat_fits)
        Path(out).write_text(json.dumps(record))
        return 0
    if args.from_json:
        records = json.loads(args.from_json.read_text())
        settings = Settings(**records[0]["settings"])
    else:
        others = gibbs_bench.other_benchmarks()
        for command in others:
            print(f"warning: another benchmark is running and will distort the timings: {command}")
        with tempfile.TemporaryDirectory(prefix="bayesml-auto-bench-work-") as work:
            try:
                records = run_all(args.models, settings, timeout=args.timeout, work=Path(work))
            except WorkerFailure as error:
                print(error, file=sys.stderr)
                return 1
        records[0]["other_benchmarks"] = others
    section = readme_section(records, settings)
    print()
    print(section)
    if args.json and not args.from_json:
        args.json.write_text(json.dumps(records, indent=2))
    if not (args.quick or args.no_readme):
        README.write_text(replace_section(README.read_text(), BEGIN, END, section))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
