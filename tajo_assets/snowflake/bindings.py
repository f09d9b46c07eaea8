"""Named placeholders (`:last_sync`) rewritten to SQL API bindings.

Our SQL names its parameters; the SQL API takes positional `?` placeholders with
`{"1": {"type": ..., "value": ...}}` bindings. A value is never pasted into the
statement text, so no value can change what a statement does.

Only names the caller binds are rewritten, and only in SQL code: never inside
string literals, quoted identifiers, `$$` strings or comments, never in `::`
casts, and never in semi-structured paths such as `v:field`.
"""

import math
import numbers
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

Binding = dict[str, str | None]

_MAX_NUMBER_PRECISION = 38
_MAX_NUMBER_SCALE = 37
_EPOCH = datetime(1970, 1, 1)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_MS_PER_DAY = 86_400_000

# Alternatives are tried left to right at each position: whatever is a literal,
# an identifier, a comment or a cast is consumed whole, so placeholders are only
# found in code. An unterminated literal or comment runs to the end of the text.
_SQL_TOKENS = re.compile(
    r"""
      '(?:[^'\\]|\\.|'')*'?
    | "(?:[^"]|"")*"?
    | \$\$.*?(?:\$\$|\Z)
    | (?:--|//)[^\n]*
    | /\*.*?(?:\*/|\Z)
    | ::
    | (?<![\w)\]"$]):(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?<![\w)\]"$])(?P<positional>\?|:[0-9]+)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class BoundStatement:
    """A statement with `?` placeholders and the SQL API bindings that fill them."""

    statement: str
    bindings: dict[str, Binding]


def bind(statement: str, values: Mapping[str, Any] | None) -> BoundStatement:
    """Replace each `:name` the caller binds with `?` and encode its value.

    A name used twice becomes two positional bindings with the same value.
    Raises ValueError when a bound name does not occur in the statement, or when
    the statement already has positional placeholders (`?`, `:1`); TypeError
    when a value has no SQL API binding type.
    """
    if not values:
        return BoundStatement(statement, {})
    pieces: list[str] = []
    bindings: dict[str, Binding] = {}
    used: set[str] = set()
    position = 0
    for token in _SQL_TOKENS.finditer(statement):
        if token.group("positional"):
            raise _mixed_placeholders(token.group("positional"))
        name = token.group("name")
        if name is None or name not in values:
            continue
        pieces += [statement[position : token.start()], "?"]
        bindings[str(len(bindings) + 1)] = encode_value(name, values[name])
        used.add(name)
        position = token.end()
    pieces.append(statement[position:])
    _check_all_used(values, used)
    return BoundStatement("".join(pieces), bindings)


def placeholder_names(statement: str) -> set[str]:
    """The `:name` placeholders a statement uses outside literals and comments."""
    return {
        token.group("name")
        for token in _SQL_TOKENS.finditer(statement)
        if token.group("name")
    }


def _mixed_placeholders(placeholder: str) -> ValueError:
    return ValueError(
        f"the statement has a positional placeholder {placeholder!r} and named "
        "bindings; use only :name placeholders when passing bindings"
    )


def _check_all_used(values: Mapping[str, Any], used: set[str]) -> None:
    unused = sorted(set(values) - used)
    if unused:
        names = ", ".join(f":{name}" for name in unused)
        raise ValueError(
            f"binding {names} does not occur in the statement outside string "
            "literals, quoted identifiers and comments; add the placeholder or "
            "remove the binding"
        )


def encode_value(name: str, value: Any) -> Binding:
    """The SQL API binding for one Python value; `name` is for error messages.

    None -> TEXT null; bool -> BOOLEAN; int -> FIXED; float -> REAL (NaN, inf);
    Decimal -> FIXED, or REAL beyond NUMBER(38, 37); str -> TEXT; date -> DATE
    (ms since epoch); naive datetime -> TIMESTAMP_NTZ and aware datetime ->
    TIMESTAMP_LTZ (ns since epoch, the instant); time -> TIME (ns since
    midnight); bytes -> BINARY (hex).
    """
    if value is None:
        return {"type": "TEXT", "value": None}
    for python_type, encode in _ENCODERS:
        if isinstance(value, python_type):
            binding_type, text = encode(name, value)
            return {"type": binding_type, "value": text}
    raise TypeError(
        f"binding :{name} has type {type(value).__name__}, which has no SQL "
        "API binding type; pass None, bool, int, float, Decimal, str, date, "
        "datetime, time or bytes (for JSON, bind json.dumps(value) and use "
        f"PARSE_JSON(:{name}))"
    )


def _boolean(_name: str, value: bool) -> tuple[str, str]:
    return "BOOLEAN", "true" if value else "false"


def _fixed(_name: str, value: numbers.Integral) -> tuple[str, str]:
    return "FIXED", str(int(value))


def _real(_name: str, value: numbers.Real) -> tuple[str, str]:
    number = float(value)
    if math.isnan(number):
        return "REAL", "NaN"
    if math.isinf(number):
        return "REAL", "inf" if number > 0 else "-inf"
    return "REAL", repr(number)


def _decimal(name: str, value: Decimal) -> tuple[str, str]:
    if not value.is_finite():
        return _real(name, float(value))
    _sign, digits, exponent = value.as_tuple()
    scale = max(0, -exponent)
    precision = max(len(digits) + max(0, exponent), scale)
    if precision <= _MAX_NUMBER_PRECISION and scale <= _MAX_NUMBER_SCALE:
        return "FIXED", format(value, "f")
    return _real(name, float(value))


def _text(_name: str, value: str) -> tuple[str, str]:
    return "TEXT", value


def _timestamp(_name: str, value: datetime) -> tuple[str, str]:
    if value.tzinfo is None or value.utcoffset() is None:
        return "TIMESTAMP_NTZ", str(_nanoseconds_since_epoch(value))
    instant = value.astimezone(UTC).replace(tzinfo=None)
    return "TIMESTAMP_LTZ", str(_nanoseconds_since_epoch(instant))


def _nanoseconds_since_epoch(wall_clock: datetime) -> int:
    delta = wall_clock - _EPOCH
    seconds = delta.days * 86_400 + delta.seconds
    return seconds * 1_000_000_000 + delta.microseconds * 1_000


def _date(_name: str, value: date) -> tuple[str, str]:
    # Bindings take milliseconds, although results carry days.
    return "DATE", str((value.toordinal() - _EPOCH_ORDINAL) * _MS_PER_DAY)


def _time(name: str, value: time) -> tuple[str, str]:
    if value.utcoffset() is not None:
        raise ValueError(
            f"binding :{name} is a time with a timezone, which Snowflake's TIME "
            "cannot hold; pass a naive time"
        )
    seconds = (value.hour * 60 + value.minute) * 60 + value.second
    return "TIME", str(seconds * 1_000_000_000 + value.microsecond * 1_000)


def _binary(_name: str, value: bytes | bytearray | memoryview) -> tuple[str, str]:
    return "BINARY", bytes(value).hex().upper()


# Order matters: bool is an int, datetime is a date.
_ENCODERS: tuple[
    tuple[type | tuple[type, ...], Callable[[str, Any], tuple[str, str]]], ...
] = (
    (bool, _boolean),
    (numbers.Integral, _fixed),
    (Decimal, _decimal),
    (numbers.Real, _real),
    (str, _text),
    (datetime, _timestamp),
    (date, _date),
    (time, _time),
    ((bytes, bytearray, memoryview), _binary),
)
