"""Encode Snowflake values for Brevo contact attributes.

Brevo knows four attribute types that a warehouse column can map onto: text,
float, date and boolean. Values keep their meaning on the way: 0, False and ""
are values; NULL is left out of the contact so Brevo keeps what it has (the
import is sent with emptyContactsAttributes=false); timestamps become the day
they fall on in the configured timezone, since Brevo dates have no time.
"""

import json
import math
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tajo_assets.snowflake import Column

Encoder = Callable[[Any], Any]

_BREVO_TYPE = {
    "fixed": "float",
    "real": "float",
    "decfloat": "float",
    "boolean": "boolean",
    "date": "date",
    "timestamp_ntz": "date",
    "timestamp_ltz": "date",
    "timestamp_tz": "date",
}


_SEMI_STRUCTURED = frozenset({"variant", "object", "array"})


class ValueEncodingError(ValueError):
    """A value that Brevo cannot hold; the row is rejected with this reason."""


def brevo_attribute_type(column: Column) -> str:
    """The Brevo attribute type a column's values are sent as."""
    return _BREVO_TYPE.get(column.type.lower(), "text")


def make_encoder(column: Column, timezone: ZoneInfo) -> Encoder:
    """A function turning one decoded value of `column` into Brevo's JSON form."""
    kind = brevo_attribute_type(column)
    if kind == "float":
        return _encode_number
    if kind == "boolean":
        return _encode_boolean
    if kind == "date":
        return lambda value: _encode_day(value, timezone)
    if column.type.lower() in _SEMI_STRUCTURED:
        return _encode_semi_structured
    return _encode_text


def _encode_number(value: Any) -> int | float:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        value = float(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueEncodingError(f"{value} is not a number Brevo can store")
        return value
    raise ValueEncodingError(f"expected a number, got {type(value).__name__}")


def _encode_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueEncodingError(f"expected a boolean, got {type(value).__name__}")


def _encode_day(value: Any, timezone: ZoneInfo) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone)
        # A naive timestamp (TIMESTAMP_NTZ) is wall-clock time in the configured zone.
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise ValueEncodingError(f"expected a date, got {type(value).__name__}")


def _encode_semi_structured(value: Any) -> str:
    """A VARIANT's string as itself; any other JSON value in JSON's spelling."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _encode_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.hex().upper()
    if isinstance(value, time):
        return value.isoformat()
    return str(value)
