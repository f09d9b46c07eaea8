"""Environment variable references in configuration values.

In any string value:

- `${NAME}` becomes the value of the variable NAME; if NAME is unset, that is
  a problem at the value's key path.
- `${NAME:-default}` becomes `default` when NAME is unset or empty.
- `$${` is a literal `${`.
- Any other `$` stays as written, so Snowflake's `$$` string quotes and `$1`
  in SQL need no escaping.

Keys are never interpolated. Secret settings are left as written (see
`SecretRef`): their values must stay in the environment, not in the model.
"""

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from tajo_assets.config.errors import ConfigProblem, Location

VARIABLE_NAME = r"[A-Za-z_][A-Za-z0-9_]*"

_REFERENCE = re.compile(
    r"\$(?:(?P<escaped>\$)(?=\{)|\{(?P<body>[^}]*)\}|(?P<unclosed>\{))"
)
_BODY = re.compile(rf"(?P<name>{VARIABLE_NAME})(?::-(?P<default>.*))?", re.DOTALL)


@dataclass
class Interpolated:
    """A configuration tree with its references replaced."""

    data: Any
    problems: list[ConfigProblem] = field(default_factory=list)
    # Key path -> the text as written, for every value a reference changed.
    origins: dict[Location, str] = field(default_factory=dict)


def interpolate(
    tree: Any, env: Mapping[str, str], keep_as_written: Collection[Location] = ()
) -> Interpolated:
    """Replace references in every string value of `tree` (dicts and lists).

    Values at `keep_as_written` key paths are returned untouched. A value whose
    references cannot all be resolved is kept as written and reported.
    """
    result = Interpolated(data=None)
    result.data = _walk(tree, (), env, set(keep_as_written), result)
    return result


def substitute(text: str, env: Mapping[str, str]) -> tuple[str, list[str]]:
    """`text` with its references replaced, and a message per failed reference."""
    failures: list[str] = []

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        if match["unclosed"]:
            failures.append(
                "has '${' without a closing '}'; close the reference, "
                "or write '$${' for a literal '${'"
            )
            return match[0]
        return _resolve(match["body"], env, failures)

    return _REFERENCE.sub(replace, text), failures


def _walk(
    node: Any,
    location: Location,
    env: Mapping[str, str],
    keep: set[Location],
    result: Interpolated,
) -> Any:
    if location in keep:
        return node
    if isinstance(node, dict):
        return {
            key: _walk(value, (*location, key), env, keep, result)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [
            _walk(item, (*location, index), env, keep, result)
            for index, item in enumerate(node)
        ]
    if not isinstance(node, str) or "$" not in node:
        return node
    return _substitute_value(node, location, env, result)


def _substitute_value(
    text: str, location: Location, env: Mapping[str, str], result: Interpolated
) -> str:
    value, failures = substitute(text, env)
    for failure in failures:
        result.problems.append(ConfigProblem(location, failure))
    if failures:
        return text
    if value != text:
        result.origins[location] = text
    return value


def _resolve(body: str, env: Mapping[str, str], failures: list[str]) -> str:
    reference = _BODY.fullmatch(body)
    if reference is None:
        failures.append(
            f"'${{{body}}}' is not a variable reference; write ${{NAME}} or "
            "${NAME:-default} (NAME: letters, digits and _), or $$ for a literal $"
        )
        return ""
    name, default = reference["name"], reference["default"]
    value = env.get(name)
    if value:
        return value
    if default is not None:
        return default
    if value is not None:
        return value
    failures.append(
        f"environment variable {name} is not set; export {name} before loading "
        f"the configuration, or write ${{{name}:-default}} to give a default"
    )
    return ""
