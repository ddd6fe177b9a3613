"""load_spec and from_yaml: files, base_dir and located YAML errors."""

import pytest

from bayesml.errors import SpecError
from bayesml.spec import ModelSpec, load_spec

SPEC = """\
name: example
data: data/example.csv
formula: y ~ x + (1 | g)
family: poisson
options:
  seed: 5
"""


def test_load_spec_sets_base_dir_to_the_file_directory(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "example.yaml").write_text(SPEC)
    spec = load_spec(folder / "example.yaml")
    assert spec.base_dir == folder.resolve()
    assert spec.data == "data/example.csv"  # kept as written; resolved by whoever reads it
    assert spec.options == {"seed": 5}
    assert spec == ModelSpec.from_yaml(SPEC, base_dir=folder.resolve())


def test_load_spec_accepts_a_string_path(tmp_path, monkeypatch):
    (tmp_path / "example.yaml").write_text(SPEC)
    monkeypatch.chdir(tmp_path)
    assert load_spec("example.yaml").base_dir == tmp_path.resolve()


def test_missing_file(tmp_path):
    with pytest.raises(SpecError, match=r"^spec file not found: .*nothere\.yaml$"):
        load_spec(tmp_path / "nothere.yaml")


def test_directory_is_not_a_spec(tmp_path):
    with pytest.raises(SpecError, match=r"^cannot read spec file "):
        load_spec(tmp_path)


def test_syntax_error_gives_file_line_and_column(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("formula: y ~ x\nfamily: [poisson\npriors: {}\n")
    with pytest.raises(
        SpecError, match=r"^.*broken\.yaml, line 3, column \d+: invalid YAML: "
    ) as caught:
        load_spec(path)
    assert caught.value.key_path is None


def test_syntax_error_in_text_names_yaml():
    with pytest.raises(SpecError, match=r"^YAML, line 1, column 15: invalid YAML: mapping values"):
        ModelSpec.from_yaml("formula: y ~ x: z")


def test_duplicate_keys_are_refused(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(
        "formula: y ~ x\npriors:\n  sd: {dist: half_normal, sigma: 1}\n"
        "  sd: {dist: half_normal, sigma: 2}\n"
    )
    with pytest.raises(SpecError, match=r"dup\.yaml, line 4, column 3: duplicate key 'sd'$"):
        load_spec(path)


def test_spec_errors_start_with_the_file_name(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("formula: y ~ x\nfamily: [gaussian]\n")
    with pytest.raises(
        SpecError, match=r"^.*bad\.yaml: family: expected a string, got list"
    ) as caught:
        load_spec(path)
    assert caught.value.key_path == "family"
    assert caught.value.reason == "expected a string, got list ['gaussian']"


def test_empty_file(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing yet\n")
    with pytest.raises(SpecError, match=r"empty\.yaml: a spec must be a mapping .*got null$"):
        load_spec(path)


def test_yaml_is_loaded_safely():
    with pytest.raises(SpecError, match="invalid YAML: could not determine a constructor"):
        ModelSpec.from_yaml("formula: !!python/object/apply:os.system ['true']\n")
