"""Decode SQL API result values (always JSON strings) into Python values.

The wire format is the SQL API default, which the client never changes: NUMBER as
decimal text, DATE as days since the epoch, TIME and timestamps as seconds with
nine decimals, TIMESTAMP_TZ as "<seconds> <offset minutes + 1440>", BINARY as hex,
semi-structured values as JSON text, SQL NULL as JSON null.

Decoding is a hot path: a `RowDecoder` picks one function per column once, then
decodes a whole partition column by column.
"""

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import cache
from operator import itemgetter
from typing import Any

from tajo_assets.snowflake.errors import SnowflakeResponseError

Decoder = Callable[[str], Any]

_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_NANOS_PER_SECOND = 1_000_000_000
# A value without a decimal point and with more digits than this is nanoseconds
# (one page of the SQL API docs describes that form); seconds have at most 12.
_MAX_SECONDS_DIGITS = 12
_TZ_OFFSET_BIAS_MINUTES = 1440
_BOOLEANS = {"true": True, "false": False, "TRUE": True, "FALSE": False}
# Snowflake writes a NULL inside an ARRAY as a bare `undefined`.
_JSON_UNDEFINED = re.compile(r'"(?:[^"\\]|\\.)*"|\bundefined\b')


@dataclass(frozen=True)
class Column:
    """One column of a result, as `resultSetMetaData.rowType` describes it.

    `type` is the wire type name in lower case (`fixed`, `text`,
    `timestamp_ntz`, ...); precision, scale, length and nullable may be None.
    """

    name: str
    type: str
    precision: int | None = None
    scale: int | None = None
    nullable: bool | None = None
    length: int | None = None

    @classmethod
    def from_row_type(cls, item: Mapping[str, Any]) -> "Column":
        return cls(
            name=str(item.get("name", "")),
            type=str(item.get("type", "")).lower(),
            precision=item.get("precision"),
            scale=item.get("scale"),
            nullable=item.get("nullable"),
            length=item.get("length"),
        )


class RowDecoder:
    """Turns the string rows of one result into tuples of Python values.

    Built once per result, from its columns; raises SnowflakeResponseError at
    construction for a column type it cannot decode, naming the column.
    """

    def __init__(self, columns: Sequence[Column]) -> None:
        self.columns = tuple(columns)
        self._decoders = [decoder_for(column) for column in self.columns]

    def decode(self, rows: Sequence[Sequence[str | None]]) -> list[tuple]:
        """Decode one partition's `data`; JSON null becomes None in any column."""
        if not rows:
            return []
        self._check_widths(rows)
        decoded = []
        for index, (column, decoder) in enumerate(
            zip(self.columns, self._decoders, strict=True)
        ):
            # itemgetter over the rows beats zip(*rows) several times on big data.
            values = list(map(itemgetter(index), rows))
            if decoder is not None:
                values = _decode_column(column, decoder, values)
            decoded.append(values)
        return list(zip(*decoded, strict=True))

    def _check_widths(self, rows: Sequence[Sequence[str | None]]) -> None:
        width = len(self.columns)
        if any(len(row) != width for row in rows):
            raise SnowflakeResponseError(
                f"a result row does not have the {width} columns rowType describes",
                advice="report this to Snowflake support with the statement handle",
            )


def _decode_column(
    column: Column, decoder: Decoder, values: Sequence[str | None]
) -> list[Any]:
    try:
        return [None if value is None else decoder(value) for value in values]
    except (ValueError, KeyError, TypeError, InvalidOperation) as error:
        raise SnowflakeResponseError(
            f"column {column.name} holds a value that is not a valid "
            f"{column.type} in the SQL API's default format",
            advice="check that no *_OUTPUT_FORMAT parameter is sent, and report "
            "it with the statement handle if none is",
        ) from error


def decoder_for(column: Column) -> Decoder | None:
    """The function that decodes one non-null value of `column`.

    None means the wire string is already the value (text columns).
    """
    kind = column.type.lower()
    if kind == "fixed":
        return _fixed_decoder(column.scale)
    if kind in _DECODERS:
        return _DECODERS[kind]
    if kind == "text":
        return None
    raise SnowflakeResponseError(
        f"column {column.name} has type {column.type!r}, which this client "
        "cannot decode",
        advice=f"cast it in the query, for example {column.name}::TEXT",
    )


def _fixed_decoder(scale: int | None) -> Decoder:
    if scale == 0:
        return int
    if scale is None:
        return _number
    return Decimal


def _number(text: str) -> int | Decimal:
    if "." in text or "e" in text or "E" in text:
        return Decimal(text)
    return int(text)


def _boolean(text: str) -> bool:
    return _BOOLEANS[text]


def _date(text: str) -> date:
    return date.fromordinal(_EPOCH_ORDINAL + int(text))


def _since_epoch(text: str) -> timedelta:
    """Seconds with nine decimals ("1616173619.123456789", "-1.500000000"), or
    whole nanoseconds; Python keeps microseconds, so the last digits are cut.
    """
    whole, _, fraction = text.partition(".")
    if fraction and not whole.startswith("-") and len(whole) <= _MAX_SECONDS_DIGITS:
        return timedelta(0, int(whole), int(fraction[:6].ljust(6, "0")))
    return timedelta(microseconds=_nanoseconds(text) // 1_000)


def _nanoseconds(text: str) -> int:
    whole, dot, fraction = text.partition(".")
    if not dot:
        number = int(whole)
        if len(whole.lstrip("-")) > _MAX_SECONDS_DIGITS:
            return number
        return number * _NANOS_PER_SECOND
    nanos = int(fraction[:9].ljust(9, "0"))
    if whole.startswith("-"):
        nanos = -nanos
    return int(whole) * _NANOS_PER_SECOND + nanos


def _time(text: str) -> time:
    return (_EPOCH + _since_epoch(text)).time()


def _timestamp_ntz(text: str) -> datetime:
    return _EPOCH + _since_epoch(text)


def _timestamp_ltz(text: str) -> datetime:
    return _EPOCH_UTC + _since_epoch(text)


def _timestamp_tz(text: str) -> datetime:
    instant, _, biased_offset = text.partition(" ")
    epoch = _epoch_wall_clock(int(biased_offset) - _TZ_OFFSET_BIAS_MINUTES)
    return epoch + _since_epoch(instant)


@cache
def _epoch_wall_clock(offset_minutes: int) -> datetime:
    """The epoch as read on a clock at this UTC offset (adding keeps the zone)."""
    offset = timedelta(minutes=offset_minutes)
    zone = UTC if offset_minutes == 0 else timezone(offset)
    return (_EPOCH + offset).replace(tzinfo=zone)


def _binary(text: str) -> bytes:
    return bytes.fromhex(text)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return json.loads(_JSON_UNDEFINED.sub(_null_for_undefined, text))


def _null_for_undefined(match: re.Match[str]) -> str:
    text = match.group()
    return "null" if text == "undefined" else text


_DECODERS: dict[str, Decoder] = {
    "real": float,
    "decfloat": Decimal,
    "boolean": _boolean,
    "date": _date,
    "time": _time,
    "timestamp_ntz": _timestamp_ntz,
    "timestamp_ltz": _timestamp_ltz,
    "timestamp_tz": _timestamp_tz,
    "binary": _binary,
    "variant": _json,
    "object": _json,
    "array": _json,
    "vector": _json,
}
