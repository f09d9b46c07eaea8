"""pydantic's validation errors, retold as configuration problems.

This is the one place that reads pydantic's error details. Each becomes a
`ConfigProblem` naming the key path, the value received (hidden for secrets)
and what is allowed, taken from the field's description where that helps.
"""

import types
from collections.abc import Collection, Mapping
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, RootModel, ValidationError
from pydantic.fields import FieldInfo

from tajo_assets.config.errors import (
    INVALID_VALUE,
    PROBLEMS,
    ConfigProblem,
    Location,
    describe_value,
    suggest,
)

_MAPPING = "a mapping: an indented block of 'key: value' lines"
_EXPECTED = {
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "string_type": "text",
    "string_too_short": "non-empty text",
    "string_too_long": "text of at most {max_length} characters",
    "dict_type": _MAPPING,
    "model_type": _MAPPING,
    "model_attributes_type": _MAPPING,
    "greater_than": "a number greater than {gt}",
    "greater_than_equal": "a number of at least {ge}",
    "less_than": "a number less than {lt}",
    "less_than_equal": "a number of at most {le}",
    "enum": "one of {expected}",
    "literal_error": "one of {expected}",
    INVALID_VALUE: "{expected}",
}


def translate(
    error: ValidationError,
    root: type[BaseModel],
    secret_paths: Collection[Location] = (),
    origins: Mapping[Location, str] | None = None,
) -> list[ConfigProblem]:
    """One or more problems per pydantic error detail, in pydantic's order.

    `origins` maps key paths to the text written before `${VAR}` references
    were replaced, so a message shows both.
    """
    problems: list[ConfigProblem] = []
    for detail in error.errors(include_url=False):
        problems += _problems_for(detail, root, secret_paths, origins or {})
    return problems


def _problems_for(
    detail: Any,
    root: type[BaseModel],
    secret_paths: Collection[Location],
    origins: Mapping[Location, str],
) -> list[ConfigProblem]:
    kind, location = detail["type"], tuple(detail["loc"])
    if kind == PROBLEMS:
        return [
            ConfigProblem((*location, *inner), message)
            for inner, message in detail["ctx"]["problems"]
        ]
    if kind == "extra_forbidden":
        return [ConfigProblem(location, _unknown_key(root, location))]
    if kind == "missing":
        return [ConfigProblem(location, _missing(root, location))]
    is_key = location[-1:] == ("[key]",)
    location = location[:-1] if is_key else location
    received = _received(detail["input"], location, secret_paths, origins)
    message = f"got {'the name ' if is_key else ''}{received}; {_expected(detail)}"
    if kind != INVALID_VALUE and not is_key:
        message += _described(root, location)
    return [ConfigProblem(location, message)]


def _unknown_key(root: type[BaseModel], location: Location) -> str:
    section = _type_at(root, location[:-1])
    known = list(_fields_by_key(section)) if _is_section(section) else []
    key = str(location[-1])
    hint = suggest(key, known)
    home = _nested_home(section, key) if known and not hint else None
    if home is not None:
        hint = f"; did you mean {'.'.join(str(p) for p in (*location[:-1], *home))}?"
    allowed = ", ".join(known)
    if hint:
        return f"unknown key{hint} Allowed keys here: {allowed}"
    return f"unknown key; allowed keys here: {allowed}"


def _nested_home(section: type[BaseModel], key: str, depth: int = 3) -> Location | None:
    """Where `key` is a setting in a section nested under `section`, if anywhere."""
    if depth == 0:
        return None
    for name, field in _fields_by_key(section).items():
        inner = _unwrap(field.annotation)
        if not _is_section(inner):
            continue
        if key in _fields_by_key(inner):
            return (name, key)
        deeper = _nested_home(inner, key, depth - 1)
        if deeper is not None:
            return (name, *deeper)
    return None


def _missing(root: type[BaseModel], location: Location) -> str:
    field = _field_at(root, location)
    needed = f": {field.description}" if field and field.description else ""
    return f"missing; this setting is required{needed}"


def _received(
    value: Any,
    location: Location,
    secret_paths: Collection[Location],
    origins: Mapping[Location, str],
) -> str:
    # A secret, or the section holding one, written as text may be the secret.
    if any(location in (path, path[:-1]) for path in secret_paths):
        return "a value that is not shown (it may hold a secret)"
    shown = describe_value(value)
    if location in origins:
        shown += f" (from {describe_value(origins[location])})"
    return shown


def _expected(detail: Any) -> str:
    template = _EXPECTED.get(detail["type"])
    context = detail.get("ctx", {})
    if (
        detail["type"] in ("enum", "literal_error")
        and " or " not in context["expected"]
    ):
        template = "{expected}"
    if template is None:
        return "expected: " + detail["msg"][0].lower() + detail["msg"][1:]
    return "expected " + template.format(**context)


def _described(root: type[BaseModel], location: Location) -> str:
    field = _field_at(root, location)
    return f" ({field.description})" if field and field.description else ""


def _field_at(root: type[BaseModel], location: Location) -> FieldInfo | None:
    section = _type_at(root, location[:-1])
    if not location or not _is_section(section):
        return None
    return _fields_by_key(section).get(str(location[-1]))


def _type_at(root: type[BaseModel], location: Location) -> Any:
    """The type expected at `location`, found by following the models' fields."""
    current: Any = root
    for part in location:
        current = _unwrap(current)
        if _is_section(current):
            field = _fields_by_key(current).get(str(part))
            if field is None:
                return None
            current = field.annotation
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        else:
            return None
    return _unwrap(current)


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated, Optional and RootModel wrappers down to the inner type."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        elif isinstance(annotation, type) and issubclass(annotation, RootModel):
            annotation = annotation.model_fields["root"].annotation
        else:
            return annotation


def _is_section(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _fields_by_key(section: type[BaseModel]) -> dict[str, FieldInfo]:
    """Fields under the key written in the file (the alias, where there is one)."""
    return {field.alias or name: field for name, field in section.model_fields.items()}
