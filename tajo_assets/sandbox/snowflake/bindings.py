"""SQL API bindings turned into the parameters DuckDB receives.

A binding is `{"type": <Snowflake binding type>, "value": <string or null>}`
under a positional key ("1", "2", ...). Values travel as parameters, never as
SQL text, so no value can change the statement. A value given as a JSON array
binds one row per element (a batch), as the SQL API does.
"""

import binascii
import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from tajo_assets.sandbox.snowflake.errors import (
    BAD_BINDING_VALUE,
    BATCH_LENGTH_MISMATCH,
    BIND_VARIABLE_NOT_SET,
    UNSUPPORTED_BINDING_TYPE,
    StatementFailed,
)
from tajo_assets.sandbox.snowflake.statement_text import Placeholders

_EPOCH = dt.datetime(1970, 1, 1)
_INTEGER = re.compile(r"^[+-]?\d+$")
_TRUE = {"true", "t", "yes", "y", "on", "1"}
_FALSE = {"false", "f", "no", "n", "off", "0"}


def _fixed(text: str) -> int | Decimal:
    if _INTEGER.match(text):
        return int(text)
    number = Decimal(text)
    if not number.is_finite():
        raise ValueError(text)
    return number


def _real(text: str) -> float:
    return float(text)


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE | _FALSE:
        return lowered in _TRUE
    raise ValueError(text)


def _date(text: str) -> dt.date:
    return (_EPOCH + dt.timedelta(milliseconds=int(text))).date()


def _time(text: str) -> dt.time:
    return (_EPOCH + _nanoseconds(int(text))).time()


def _timestamp_ntz(text: str) -> dt.datetime:
    return _EPOCH + _nanoseconds(int(text))


def _timestamp_ltz(text: str) -> dt.datetime:
    return _timestamp_ntz(text).replace(tzinfo=dt.UTC)


def _timestamp_tz(text: str) -> dt.datetime:
    nanoseconds, offset = text.split(" ")
    zone = dt.timezone(dt.timedelta(minutes=int(offset) - 1440))
    return _timestamp_ltz(nanoseconds).astimezone(zone)


def _binary(text: str) -> bytes:
    return binascii.unhexlify(text)


def _nanoseconds(count: int) -> dt.timedelta:
    # Python keeps microseconds; Snowflake's nanosecond digits below that are lost.
    return dt.timedelta(microseconds=count // 1000)


_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "FIXED": _fixed,
    "REAL": _real,
    "DECFLOAT": Decimal,
    "TEXT": str,
    "BOOLEAN": _boolean,
    "DATE": _date,
    "TIME": _time,
    "TIMESTAMP_NTZ": _timestamp_ntz,
    "TIMESTAMP_LTZ": _timestamp_ltz,
    "TIMESTAMP_TZ": _timestamp_tz,
    "BINARY": _binary,
}


def binding_value(binding_type: str, value: object) -> Any:
    """One bound value as a Python value; raises `StatementFailed` 100037/002040."""
    converter = _CONVERTERS.get(binding_type.upper())
    if converter is None:
        raise StatementFailed(
            UNSUPPORTED_BINDING_TYPE,
            "22000",
            f"Unsupported data type '{binding_type}'. Binding types are: "
            f"{', '.join(_CONVERTERS)}.",
        )
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad_value(binding_type, value, "binding values must be JSON strings")
    try:
        return converter(value)
    except (ValueError, ArithmeticError, InvalidOperation, binascii.Error):
        raise _bad_value(binding_type, value, _FORMATS[binding_type.upper()]) from None


_FORMATS = {
    "FIXED": "send a decimal number such as '42' or '-1.5'",
    "REAL": "send a number such as '1.5', 'NaN' or 'inf'",
    "DECFLOAT": "send a decimal number",
    "TEXT": "send a string",
    "BOOLEAN": "send 'true' or 'false'",
    "DATE": "send milliseconds since 1970-01-01 UTC",
    "TIME": "send nanoseconds since midnight",
    "TIMESTAMP_NTZ": "send nanoseconds since the epoch",
    "TIMESTAMP_LTZ": "send nanoseconds since the epoch",
    "TIMESTAMP_TZ": "send '<nanoseconds since the epoch> <UTC offset minutes + 1440>'",
    "BINARY": "send hex digits",
}


def _bad_value(binding_type: str, value: object, fix: str) -> StatementFailed:
    return StatementFailed(
        BAD_BINDING_VALUE,
        "22018",
        f"{binding_type.upper()} value '{value}' is not recognized; {fix}.",
    )


def statement_parameters(
    bindings: dict[str, dict], placeholders: Placeholders
) -> list[list[Any]]:
    """One parameter list per execution: one list, or one per row of a batch.

    Raises `StatementFailed` for a placeholder without a binding (002049), bad
    values (100037) and batch arrays of unequal length (002099). Bindings no
    placeholder uses are ignored, as Snowflake ignores them.
    """
    _check_placeholders(bindings, placeholders)
    needed = [bindings[str(position)] for position in placeholders.positions]
    arrays = [b["value"] for b in needed if isinstance(b.get("value"), list)]
    if not arrays:
        return [[binding_value(b["type"], b.get("value")) for b in needed]]
    rows = len(arrays[0])
    if any(len(array) != rows for array in arrays) or len(arrays) != len(needed):
        raise StatementFailed(
            BATCH_LENGTH_MISMATCH,
            "22000",
            "Array bind values must all be arrays of the same length; send one "
            "array per placeholder with one element per row.",
        )
    return [
        [binding_value(b["type"], b["value"][row]) for b in needed]
        for row in range(rows)
    ]


def _check_placeholders(bindings: dict[str, dict], placeholders: Placeholders) -> None:
    if placeholders.named:
        raise _not_set(f":{placeholders.named[0]}", "use ? or :1, :2, ... placeholders")
    if placeholders.style == "mixed":
        raise _not_set("?", "use either ? or :1, :2, ... placeholders, not both")
    for position in placeholders.positions:
        if str(position) not in bindings:
            marker = "?" if placeholders.style == "qmark" else f":{position}"
            raise _not_set(marker, f"add binding '{position}' to 'bindings'")


def _not_set(marker: str, fix: str) -> StatementFailed:
    return StatementFailed(
        BIND_VARIABLE_NOT_SET,
        "42601",
        f"SQL compilation error:\nBind variable {marker} not set; {fix}.",
    )
