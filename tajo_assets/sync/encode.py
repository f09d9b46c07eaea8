"""Encode Snowflake values for Brevo contact attributes.

Brevo knows four attribute types that a warehouse column can map onto: text,
float, date and boolean; a `category` attribute is configured with its labels.
Values keep their meaning on the way: 0, False and "" are values; timestamps
become the day they fall on in the configured timezone, since Brevo dates have
no time. What a NULL does is the attribute's NULL policy (see
`tajo_assets.sync.mapping`).
"""

import json
import math
from collections.abc import Callable, Mapping, Sequence
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


CLEARED = ""
"""An attribute sent to be erased. Brevo's batch and contact updates erase an
attribute given an empty value; an import does so only when sent with
emptyContactsAttributes=true (spec `requestContactImport`)."""

# Labels shown in a rejection reason, at most.
_SHOWN_LABELS = 5

LARGEST_EXACT_INTEGER = 2**53
"""Brevo's number attributes are doubles: whole numbers beyond this lose digits."""


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


def make_category_encoder(
    attribute: str, labels: Sequence[str], sent: Mapping[str, Any]
) -> Encoder:
    """Encode a value of a category attribute as the option Brevo stores.

    The value is read as text and must be one of the configured `labels`
    (`attributes.<NAME>.values`); `sent` maps each label to what Brevo takes for
    it: the option's integer value in Brevo's enumeration, since Brevo ignored a
    label sent for a category attribute (sendinblue/APIv3-python-library#65).
    The reason of a refusal never repeats the row's value.
    """
    configured = frozenset(labels)
    shown = ", ".join(labels[:_SHOWN_LABELS]) + (
        ", ..." if len(labels) > _SHOWN_LABELS else ""
    )

    def encode(value: Any) -> Any:
        label = _encode_text(value)
        if label not in configured:
            raise ValueEncodingError(
                f"a value that is not one of attributes.{attribute}.values "
                f"({shown}); add it there, or fix the column"
            )
        if label not in sent:
            raise ValueEncodingError(
                f"Brevo's category attribute {attribute} has no option {label!r}; "
                "add it to the attribute in Brevo"
            )
        return sent[label]

    return encode


def as_text(encode: Encoder) -> Encoder:
    """`encode`, with each value then sent in its text form.

    For a text attribute Brevo already has under a number, date or boolean
    column: numbers and booleans go as JSON spells them ("12.5", "true"),
    dates as YYYY-MM-DD, so the text attribute takes them as they are.
    """

    def encode_text(value: Any) -> str:
        encoded = encode(value)
        if isinstance(encoded, str):
            return encoded
        return json.dumps(encoded)

    return encode_text


def _encode_number(value: Any) -> int | float:
    """A number as Brevo stores it. A fraction becomes the nearest double (a
    fraction is an approximation either way); a whole number too large for a
    double to hold exactly (an id, say) is refused rather than rounded."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueEncodingError(f"{value} is not a number Brevo can store")
        if value != value.to_integral_value():
            return _encode_number(float(value))
        # Checked before int(): a DECFLOAT of thousands of digits is valid.
        _check_exact(value)
        return int(value)
    if isinstance(value, int):
        _check_exact(value)
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueEncodingError(f"{value} is not a number Brevo can store")
        return value
    raise ValueEncodingError(f"expected a number, got {type(value).__name__}")


def encode_whole_number(value: int | Decimal) -> int:
    """A whole number as Brevo stores it; ValueEncodingError past 2^53."""
    return _encode_number(value)


def _check_exact(value: int | Decimal) -> None:
    """Refuse a whole number a double cannot hold exactly."""
    if abs(value) > LARGEST_EXACT_INTEGER:
        # Counted only here: this runs for every whole number sent.
        if isinstance(value, Decimal):
            digits = value.adjusted() + 1
        else:
            digits = len(str(abs(value)))
        raise ValueEncodingError(
            f"a whole number of {digits} digits, beyond the "
            f"{LARGEST_EXACT_INTEGER} that Brevo's number attributes hold "
            "exactly; send it as text (CAST it AS VARCHAR in the query)"
        )


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
