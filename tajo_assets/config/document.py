"""Reading the YAML file: its data, and the line where each key was written.

YAML errors are translated here, once, into `ConfigError`s that name the file,
line and column. Keys written twice are refused: YAML would silently keep the
last one, and a setting would change without the user seeing why.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tajo_assets.config.errors import ConfigError, ConfigProblem, Location

_MERGE_KEY = "<<"


@dataclass(frozen=True)
class YamlDocument:
    """The parsed file and, per key path, the 1-based line of its key."""

    data: dict[str, Any]
    lines: dict[tuple[str, ...], int]

    def line_of(self, location: Location) -> int | None:
        """The line of the deepest written key on `location`, if any."""
        path = tuple(str(part) for part in location)
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None


def read_document(path: Path) -> YamlDocument:
    """Parse `path`; raise ConfigError if it is unreadable, invalid or empty."""
    node, data = _parse(_read_text(path), path)
    if node is None:
        raise _error(
            path,
            "the file is empty; write at least a connectors: block with "
            "snowflake: account: <your account> in it",
        )
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        raise _error(
            path,
            "the file must be a mapping of settings starting with connectors:, "
            f"but it holds a {_kind(node)}",
            line=node.start_mark.line + 1,
        )
    lines: dict[tuple[str, ...], int] = {}
    duplicates = _index_keys(node, (), lines, set())
    if duplicates:
        raise ConfigError(duplicates, path)
    return YamlDocument(data=data, lines=lines)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise _error(
            path, f"the file is not UTF-8 text ({error.reason}); save it as UTF-8"
        ) from None
    except OSError as error:
        raise _error(
            path, f"the file cannot be read ({error.strerror}); check its permissions"
        ) from None


def _parse(text: str, path: Path) -> tuple[yaml.Node | None, Any]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(path, error) from None
    except yaml.YAMLError as error:
        raise _error(path, f"YAML syntax error: {error}") from None
    except ValueError as error:
        # YAML reads an unquoted 2026-02-30 as a date and fails on it.
        raise _error(
            path,
            f"a date in the file does not exist ({error}); write a real date "
            "such as 2026-01-31, or quote the value if it is not a date",
        ) from None
    finally:
        loader.dispose()
    return node, data


def _syntax_error(path: Path, error: yaml.MarkedYAMLError) -> ConfigError:
    mark = error.problem_mark or error.context_mark
    context = error.context
    if context and error.context_mark and error.context_mark is not mark:
        context += f" (from line {error.context_mark.line + 1})"
    what = "; ".join(part for part in (context, error.problem) if part)
    return _error(
        path,
        f"YAML syntax error: {what}; check the indentation (spaces, not tabs) "
        "and the quoting on or just above this line",
        line=mark.line + 1 if mark else None,
        column=mark.column + 1 if mark else None,
    )


def _index_keys(
    node: yaml.Node,
    location: tuple[str, ...],
    lines: dict[tuple[str, ...], int],
    seen: set[int],
) -> list[ConfigProblem]:
    """Record the line of every key under `node`; return keys written twice."""
    if id(node) in seen:  # an alias of a node already indexed
        return []
    seen.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        children = [(str(i), None, item) for i, item in enumerate(node.value)]
    elif isinstance(node, yaml.MappingNode):
        children = [
            (key.value, key.start_mark.line + 1, value)
            for key, value in node.value
            if isinstance(key, yaml.ScalarNode) and key.value != _MERGE_KEY
        ]
    else:
        return []
    return _index_children(children, location, lines, seen)


def _index_children(
    children: list[tuple[str, int | None, yaml.Node]],
    location: tuple[str, ...],
    lines: dict[tuple[str, ...], int],
    seen: set[int],
) -> list[ConfigProblem]:
    duplicates: list[ConfigProblem] = []
    for key, line, child in children:
        path = (*location, key)
        if line is not None and path in lines:
            duplicates.append(
                ConfigProblem(
                    path,
                    f"written twice (first on line {lines[path]}); YAML keeps only "
                    "the last one, so remove or merge one of them",
                    line=line,
                )
            )
        elif line is not None:
            lines[path] = line
        duplicates += _index_keys(child, path, lines, seen)
    return duplicates


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "list"
    return "single value" if isinstance(node, yaml.ScalarNode) else "mapping"


def _error(
    path: Path, message: str, line: int | None = None, column: int | None = None
) -> ConfigError:
    return ConfigError([ConfigProblem((), message, line=line, column=column)], path)
