"""YAML text <-> plain data for specs: safe loading with located errors, readable dumping."""

from __future__ import annotations

from typing import Any

import yaml

from bayesml.errors import SpecError

__all__ = ["parse_yaml", "dump_yaml"]


def parse_yaml(text: str, *, source: str | None = None) -> Any:
    """Read YAML text with ``yaml.safe_load``, refusing duplicate keys.

    Parameters
    ----------
    text
        The YAML document.
    source
        File name shown in error messages; ``"YAML"`` when None.

    Raises
    ------
    SpecError
        For a syntax error or a key given twice in one mapping, with the line and column.
    """
    where = source or "YAML"
    try:
        # compose builds only the node tree (no objects); it locates duplicate keys, which
        # safe_load would silently resolve by keeping the last value
        _check_duplicate_keys(yaml.compose(text, Loader=yaml.SafeLoader), where)
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        position = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = error.problem or error.context or "invalid YAML"
        raise SpecError(f"{where}{position}: invalid YAML: {problem}") from error
    except yaml.YAMLError as error:
        raise SpecError(f"{where}: invalid YAML: {error}") from error


def _check_duplicate_keys(node: yaml.Node | None, where: str) -> None:
    """Raise SpecError at the second occurrence of a key in any mapping of the tree."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in seen:
                    mark = key_node.start_mark
                    raise SpecError(
                        f"{where}, line {mark.line + 1}, column {mark.column + 1}: "
                        f"duplicate key {key_node.value!r}"
                    )
                seen.add(key_node.value)
            _check_duplicate_keys(value_node, where)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicate_keys(item, where)


class _SpecDumper(yaml.SafeDumper):
    """SafeDumper writing multi-line strings as literal blocks (``|``)."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_SpecDumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    """Plain data as block-style YAML, keys in the given order."""
    return yaml.dump(
        data, Dumper=_SpecDumper, sort_keys=False, allow_unicode=True, default_flow_style=False
    )
