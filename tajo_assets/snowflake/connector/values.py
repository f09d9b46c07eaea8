"""The connector's values as the SQL API transport decodes them.

The connector returns most Snowflake types as `RowDecoder` does; the
converters here fix the rest, column by column.
"""

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timezone
from decimal import Decimal
from typing import Any

from tajo_assets.snowflake.decode import Column, decoder_for
from tajo_assets.snowflake.errors import SnowflakeResponseError

_JSON_TYPES = ("variant", "object", "array", "vector")

Converter = Callable[[Any], Any]


class RowConverter:
    """Turns the connector's rows into the values the SQL API transport gives.

    The connector already returns most types as `RowDecoder` does; this fixes
    the rest: LTZ instants in UTC, TZ values on a fixed-offset `timezone`,
    semi-structured values parsed from JSON text, NUMBER by its scale.
    Raises SnowflakeResponseError at construction for a type neither
    transport reads, naming the column.
    """

    def __init__(self, columns: Sequence[Column]) -> None:
        self._active = [
            (index, converter)
            for index, column in enumerate(columns)
            if (converter := converter_for(column)) is not None
        ]

    def convert(self, rows: Sequence[Sequence[Any]]) -> list[tuple]:
        """Convert one batch; None stays None in any column."""
        if not self._active:
            return [tuple(row) for row in rows]
        converted = []
        for row in rows:
            values = list(row)
            for index, converter in self._active:
                if values[index] is not None:
                    values[index] = converter(values[index])
            converted.append(tuple(values))
        return converted


def converter_for(column: Column) -> Converter | None:
    """The function that fixes one non-null connector value of `column`.

    None means the connector's value is already the SQL API transport's.
    """
    kind = column.type
    if kind == "fixed":
        return _fixed_converter(column.scale)
    if kind in _CONVERTERS:
        return _CONVERTERS[kind]
    if kind in _JSON_TYPES:
        return _json_converter(column)
    if kind in ("text", "time", "timestamp_ntz"):
        return None
    raise SnowflakeResponseError(
        f"column {column.name} has type {column.type!r}, which this client "
        "cannot decode",
        advice=f"cast it in the query, for example {column.name}::TEXT",
    )


def _fixed_converter(scale: int | None) -> Converter | None:
    if scale == 0:
        return _integer
    if scale is None:
        return None
    return _decimal


def _integer(value: Any) -> int:
    return value if type(value) is int else int(value)


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _date(value: date) -> date:
    # fakesnow reports some DATE results (DATE_TRUNC, DATEADD) as datetimes.
    return value.date() if isinstance(value, datetime) else value


def _instant_in_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _fixed_offset(value: datetime) -> datetime:
    """The same wall clock and offset, on `datetime.timezone` (UTC for +00:00)."""
    offset = value.utcoffset()
    if offset is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC if not offset else timezone(offset))


def _json_converter(column: Column) -> Converter:
    """Parse JSON text with the SQL API decoder; leave parsed values alone."""
    parse = decoder_for(column) or str

    def convert(value: Any) -> Any:
        return parse(value) if isinstance(value, str) else value

    return convert


_CONVERTERS: dict[str, Converter] = {
    "real": float,
    "decfloat": _decimal,
    "boolean": bool,
    "date": _date,
    "timestamp_ltz": _instant_in_utc,
    "timestamp_tz": _fixed_offset,
    "binary": bytes,
}
