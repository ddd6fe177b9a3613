"""The ``bayesml`` command: ``fit``, ``show`` and ``datasets``.

Errors raised by bayesml are printed as ``bayesml: error: <message>`` on stderr and give exit
status 2, like argparse's own usage errors; no traceback is shown.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bayesml._version import __version__
from bayesml.errors import BayesmlError, ConvergenceWarning, FormulaError, SamplingWarning

__all__ = ["main", "build_parser", "format_error"]

PROG = "bayesml"
ERROR_STATUS = 2
#: sampling settings used when neither the command line nor the spec's options give them
SAMPLING_DEFAULTS = {"draws": 1000, "tune": 1000, "chains": 4}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``bayesml`` command."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Bayesian hierarchical GLMs from lme4-style formulas or YAML specs."
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fit = commands.add_parser("fit", help="sample a model's posterior and save it as netCDF")
    _add_spec_arguments(fit)
    fit.add_argument("--draws", type=_positive_int, help="kept draws per chain (default 1000)")
    fit.add_argument(
        "--tune", type=_non_negative_int, help="warm-up draws per chain (default 1000)"
    )
    fit.add_argument("--chains", type=_positive_int, help="number of chains (default 4)")
    fit.add_argument("--seed", type=_non_negative_int, help="random seed")
    fit.add_argument("--sampler", choices=("pymc", "nutpie", "numpyro"), help="NUTS sampler")
    fit.add_argument("--out", type=Path, help="output netCDF file (default: <spec name>.nc)")

    show = commands.add_parser("show", help="print a model: formula, family, groups and priors")
    _add_spec_arguments(show)

    commands.add_parser("datasets", help="list the bundled data sets")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``bayesml`` command.

    Parameters
    ----------
    argv
        Arguments after the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        Exit status: 0 on success, 2 for a usage error or an error raised by bayesml.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version and usage errors; argparse printed them
        return exit_.code if isinstance(exit_.code, int) else ERROR_STATUS
    try:
        return COMMANDS[args.command](args)
    except (BayesmlError, OSError) as error:
        print(format_error(error), file=sys.stderr)
        return ERROR_STATUS
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


def format_error(error: BaseException) -> str:
    """``bayesml: error: <message>`` on one line; a formula error keeps its caret display."""
    message = str(error)
    if not _shows_formula(error):
        message = " ".join(line.strip() for line in message.splitlines())
    return f"{PROG}: error: {message}"


def _format_warning(warning: warnings.WarningMessage) -> str:
    """``bayesml: warning: <message>``; warnings from other libraries also name their class."""
    own = issubclass(warning.category, SamplingWarning | ConvergenceWarning)
    origin = "" if own else f" ({warning.category.__name__})"
    return f"{PROG}: warning: {warning.message}{origin}"


def _shows_formula(error: BaseException) -> bool:
    """Whether the message carries a formula with a caret under the offending token."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, FormulaError):
            return True
        cause = cause.__cause__
    return False


# -- commands -----------------------------------------------------------------------------------


def _fit(args: argparse.Namespace) -> int:
    from bayesml import summary
    from bayesml.results_io import save_result

    model = _model(args, overrides=_sampling_overrides(args))
    options = model.spec.options
    settings = {key: options.get(key, default) for key, default in SAMPLING_DEFAULTS.items()}
    with warnings.catch_warnings(record=True) as caught:
        for category in (SamplingWarning, ConvergenceWarning):
            warnings.simplefilter("always", category)
        result = model.sample(
            "nuts",
            **settings,
            random_seed=options.get("seed", options.get("random_seed")),
            sampler_kwargs={"sampler": options.get("sampler")},
        )
    for warning in caught:
        print(_format_warning(warning), file=sys.stderr)
    print(summary(result))  # rounded, with the interval it shows
    out = args.out if args.out is not None else Path(Path(args.spec).stem + ".nc")
    save_result(result, out, spec=model.spec)
    print(f"\nwrote {out}")
    return 0


def _show(args: argparse.Namespace) -> int:
    model = _model(args)
    spec = model.spec
    header = [text for text in (spec.name, spec.description) if text]
    if header:
        print("\n".join(header).rstrip("\n") + "\n")
    print(model.describe())
    return 0


def _datasets(args: argparse.Namespace) -> int:
    from bayesml.datasets import list_datasets

    table = list_datasets()
    width = max(len(name) for name in table["name"])
    print(f"{'name':<{width}}  {'rows':>5}  description")
    for row in table.itertuples(index=False):
        print(f"{row.name:<{width}}  {row.rows:>5}  {row.description}")
    return 0


#: command name -> function(parsed arguments) -> exit status
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "fit": _fit,
    "show": _show,
    "datasets": _datasets,
}


# -- helpers ------------------------------------------------------------------------------------


def _add_spec_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", metavar="SPEC", help="YAML spec file, e.g. models/rats.yaml")
    parser.add_argument(
        "--data", metavar="CSV", help="CSV file (or bundled data set) to use instead of the spec's"
    )


def _model(args: argparse.Namespace, overrides: dict[str, Any] | None = None) -> Any:
    """Load the spec, apply option overrides and build the model."""
    from bayesml.spec import load_spec

    spec = load_spec(args.spec)
    if overrides:
        spec = spec.with_options(**overrides)
    from bayesml.model import Model  # after the spec: a bad spec fails fast

    return Model.from_spec(spec, data=_data_reference(args.data))


def _data_reference(data: str | None) -> str | None:
    """A ``--data`` value as the spec would hold it: a bundled name, or an absolute path.

    Relative paths on the command line mean the working directory, not the spec's directory.
    """
    if data is None:
        return None
    from bayesml.datasets import names

    if data in names() and not Path(data).exists():
        return data
    return str(Path(data).expanduser().resolve())


def _sampling_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Options given on the command line; ``--seed`` replaces a spec's ``random_seed``."""
    overrides = {
        key: getattr(args, key)
        for key in ("draws", "tune", "chains", "sampler", "seed")
        if getattr(args, key) is not None
    }
    if "seed" in overrides:
        overrides["random_seed"] = None
    return overrides


def _positive_int(text: str) -> int:
    return _bounded_int(text, minimum=1)


def _non_negative_int(text: str) -> int:
    return _bounded_int(text, minimum=0)


def _bounded_int(text: str, *, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {value}")
    return value


if __name__ == "__main__":
    sys.exit(main())
