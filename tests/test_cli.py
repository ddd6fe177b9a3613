"""The bayesml command, run in-process through ``main(argv)``."""

import re
from pathlib import Path

import pytest

from bayesml import __version__
from bayesml.cli import build_parser, format_error, main
from bayesml.datasets import DATASETS
from bayesml.errors import DataError, FormulaError, SpecError

MODELS = Path(__file__).resolve().parents[1] / "models"


def run(argv, capsys):
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def write_spec(folder, text, name="model.yaml"):
    path = folder / name
    path.write_text(text)
    return path


# -- argument parsing ---------------------------------------------------------------------------


def test_fit_arguments():
    args = build_parser().parse_args(
        [
            "fit",
            "m.yaml",
            "--data",
            "d.csv",
            "--draws",
            "10",
            "--tune",
            "0",
            "--chains",
            "2",
            "--seed",
            "7",
            "--sampler",
            "pymc",
            "--out",
            "r.nc",
        ]
    )
    assert (args.command, args.spec, args.data) == ("fit", "m.yaml", "d.csv")
    assert (args.draws, args.tune, args.chains, args.seed) == (10, 0, 2, 7)
    assert (args.sampler, args.out) == ("pymc", Path("r.nc"))


def test_fit_defaults_come_from_the_spec():
    args = build_parser().parse_args(["fit", "m.yaml"])
    assert (args.draws, args.tune, args.chains, args.seed, args.sampler, args.out) == (None,) * 6


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fit", "m.yaml", "--draws", "0"], r"argument --draws: expected an integer >= 1, got 0"),
        (["fit", "m.yaml", "--tune", "-1"], r"argument --tune: expected an integer >= 0, got -1"),
        (
            ["fit", "m.yaml", "--chains", "two"],
            r"argument --chains: expected an integer, got 'two'",
        ),
        (["fit", "m.yaml", "--sampler", "stan"], r"argument --sampler: invalid choice: 'stan'"),
        (["fit"], r"the following arguments are required: SPEC"),
        ([], r"the following arguments are required: COMMAND"),
        (["plot", "m.yaml"], r"argument COMMAND: invalid choice: 'plot'"),
    ],
)
def test_usage_errors_exit_2(argv, message, capsys):
    status, out, err = run(argv, capsys)
    assert status == 2
    assert out == ""
    assert re.match(r"bayesml( fit)?: error: ", err.splitlines()[-1])
    assert re.search(message, err)


def test_version(capsys):
    status, out, _ = run(["--version"], capsys)
    assert status == 0
    assert out.strip() == f"bayesml {__version__}"


def test_help(capsys):
    status, out, _ = run(["fit", "--help"], capsys)
    assert status == 0
    assert "--sampler {pymc,nutpie,numpyro}" in out


# -- datasets -----------------------------------------------------------------------------------


def test_datasets_lists_the_bundled_data(capsys):
    status, out, err = run(["datasets"], capsys)
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["name", "rows", "description"]
    rats = next(line for line in lines if line.startswith("rats "))
    assert rats.split()[1] == "150"
    assert len(lines) == 1 + len(DATASETS)
    assert any(line.startswith("choices ") for line in lines)


# -- errors -------------------------------------------------------------------------------------


def test_missing_spec_file(tmp_path, capsys):
    status, out, err = run(["fit", str(tmp_path / "nothere.yaml")], capsys)
    assert status == 2 and out == ""
    assert err == f"bayesml: error: spec file not found: {tmp_path / 'nothere.yaml'}\n"


def test_bad_spec_key(tmp_path, capsys):
    path = write_spec(tmp_path, "formula: y ~ x\nfamilly: poisson\n")
    status, out, err = run(["show", str(path)], capsys)
    assert status == 2 and out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith(
        f"bayesml: error: {path}: familly: unknown key 'familly' (did you mean 'family'?)"
    )
    assert "Traceback" not in err


def test_bad_formula_keeps_the_caret(tmp_path, capsys):
    path = write_spec(tmp_path, "data: rats\nformula: weight ~ day + (1 | )\n")
    status, out, err = run(["fit", str(path)], capsys)
    assert status == 2 and out == ""
    first, formula, caret = err.splitlines()
    assert first.startswith(f"bayesml: error: {path}: formula: expected a grouping factor")
    assert formula.strip() == "weight ~ day + (1 | )"
    assert caret.index("^") == formula.index(")")


def test_yaml_syntax_error(tmp_path, capsys):
    path = write_spec(tmp_path, "formula: y ~ x\nfamily: [poisson\n")
    status, _, err = run(["show", str(path)], capsys)
    assert status == 2
    assert err.startswith(f"bayesml: error: {path}, line 3, column 1: invalid YAML: ")
    assert len(err.splitlines()) == 1


def test_format_error_joins_lines_except_for_formulas():
    assert format_error(DataError("bad rows:\n  3, 5")) == "bayesml: error: bad rows: 3, 5"
    formula_error = FormulaError("unexpected ')'", "y ~ x)", 5, 6)
    assert format_error(formula_error).splitlines() == [
        "bayesml: error: unexpected ')'",
        "    y ~ x)",
        "         ^",
    ]
    wrapped = SpecError(str(formula_error), "formula")
    wrapped.__cause__ = formula_error
    assert len(format_error(wrapped).splitlines()) == 3


# -- end to end (Model) -------------------------------------------------------------------------


def test_show_prints_description_model_and_priors(capsys):
    status, out, err = run(["show", str(MODELS / "radon.yaml")], capsys)
    assert status == 0 and err == ""
    assert out.startswith("radon\nMinnesota household radon")
    assert "Formula: log_radon ~ floor + (1 + floor | county)" in out
    assert "Group county: 85 levels" in out
    assert "lkj(eta=2)" in out and "(priors.cov)" in out


def test_show_with_data_override(tmp_path, capsys, monkeypatch):
    from bayesml.datasets import load

    load("beetles").head(5).to_csv(tmp_path / "few.csv", index=False)
    monkeypatch.chdir(tmp_path)  # --data paths are relative to the working directory
    status, out, _ = run(["show", str(MODELS / "beetles_logit.yaml"), "--data", "few.csv"], capsys)
    assert status == 0
    assert "Data:    5 observations" in out


def test_data_error_from_the_model(tmp_path, capsys):
    path = write_spec(tmp_path, "data: rats\nformula: weight ~ age\n")
    status, out, err = run(["show", str(path)], capsys)
    assert status == 2 and out == ""
    assert err.startswith("bayesml: error: ") and "age" in err
    assert len(err.splitlines()) == 1


def test_fit_prints_summary_and_writes_netcdf(tmp_path, capsys):
    from bayesml.results_io import load_result, result_spec
    from bayesml.spec import load_spec

    out_file = tmp_path / "beetles.nc"
    status, out, err = run(
        [
            "fit",
            str(MODELS / "beetles_logit.yaml"),
            "--draws",
            "40",
            "--tune",
            "40",
            "--chains",
            "1",
            "--seed",
            "5",
            "--sampler",
            "pymc",
            "--out",
            str(out_file),
        ],
        capsys,
    )
    assert status == 0, err
    assert "beta[Intercept]" in out and "beta[dose]" in out
    assert out.rstrip().endswith(f"wrote {out_file}")
    assert all(line.startswith("bayesml: warning: ") for line in err.splitlines())
    result = load_result(out_file)
    assert result["posterior"]["beta"].shape == (1, 40, 2)
    saved = result_spec(result)
    assert saved == load_spec(MODELS / "beetles_logit.yaml").with_options(
        draws=40, tune=40, chains=1, seed=5, sampler="pymc"
    ).replace(base_dir=None)
