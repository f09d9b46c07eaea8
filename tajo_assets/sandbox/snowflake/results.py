"""Result sets as the SQL API sends them: JSON strings, partitions, gzip.

Every value becomes a JSON string (or null) in Snowflake's default encoding:
DATE as days since the epoch, TIME and TIMESTAMP_NTZ/LTZ as seconds with nine
decimals, TIMESTAMP_TZ as "<seconds> <offset minutes + 1440>", BINARY as
upper-case hex, BOOLEAN as "true"/"false", NUMBER as plain decimal text and
semi-structured values as JSON text. A result is encoded once, split into
partitions of at most `partition_rows` rows, and partitions after the first are
gzip-compressed once; `ResultStore` keeps them in memory for a bounded time.
"""

import datetime as dt
import gzip
import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# Snowflake's column type codes, as the Python connector's cursor description
# reports them (fakesnow follows the same numbering).
TYPE_NAMES = {
    0: "fixed",
    1: "real",
    2: "text",
    3: "date",
    4: "timestamp",
    5: "variant",
    6: "timestamp_ltz",
    7: "timestamp_tz",
    8: "timestamp_ntz",
    9: "object",
    10: "array",
    11: "binary",
    12: "time",
    13: "boolean",
}
_EPOCH = dt.datetime(1970, 1, 1)
_EPOCH_UTC = _EPOCH.replace(tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def _seconds_text(microseconds: int) -> str:
    """Exact decimal seconds with nine digits, e.g. -1.500000000."""
    sign = "-" if microseconds < 0 else ""
    whole, fraction = divmod(abs(microseconds), 1_000_000)
    return f"{sign}{whole}.{fraction:06d}000"


def _fixed(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _real(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return repr(float(value))


def _date(value: dt.date) -> str:
    return str((value - _EPOCH.date()).days)


def _time(value: dt.time) -> str:
    micros = (value.hour * 3600 + value.minute * 60 + value.second) * 1_000_000
    return _seconds_text(micros + value.microsecond)


def _timestamp_ntz(value: dt.datetime) -> str:
    # NTZ is wall-clock time, encoded as if it were UTC.
    return _seconds_text((value.replace(tzinfo=None) - _EPOCH) // _MICROSECOND)


def _instant(value: dt.datetime) -> str:
    if value.tzinfo is None:
        return _timestamp_ntz(value)
    return _seconds_text((value - _EPOCH_UTC) // _MICROSECOND)


def _timestamp_tz(value: dt.datetime) -> str:
    offset = value.utcoffset() or dt.timedelta(0)
    return f"{_instant(value)} {int(offset.total_seconds() // 60) + 1440}"


def _boolean(value: bool) -> str:
    return "true" if value else "false"


def _binary(value: bytes) -> str:
    return bytes(value).hex().upper()


def _semi_structured(value: Any) -> str:
    # Snowflake renders VARIANT, OBJECT and ARRAY as indented JSON text.
    parsed = json.loads(value) if isinstance(value, str) else value
    return json.dumps(parsed, indent=2, ensure_ascii=False)


_ENCODERS: dict[str, Callable[[Any], str]] = {
    "fixed": _fixed,
    "real": _real,
    "text": str,
    "date": _date,
    "time": _time,
    "timestamp": _timestamp_ntz,
    "timestamp_ntz": _timestamp_ntz,
    "timestamp_ltz": _instant,
    "timestamp_tz": _timestamp_tz,
    "boolean": _boolean,
    "binary": _binary,
    "variant": _semi_structured,
    "object": _semi_structured,
    "array": _semi_structured,
}


def row_type(description: Sequence[Any]) -> list[dict]:
    """`resultSetMetaData.rowType` from a DB-API cursor description.

    Integers the spec declares are always integers (0 where not applicable);
    database, schema and table are unknown for computed results and left "".
    """
    return [_column(column) for column in description]


def _column(column: Any) -> dict:
    type_name = TYPE_NAMES.get(column.type_code, "text")
    size = column.internal_size if type_name in {"text", "binary"} else None
    return {
        "name": column.name,
        "database": "",
        "schema": "",
        "table": "",
        "type": type_name,
        "nullable": bool(column.is_nullable),
        "precision": column.precision or 0,
        "scale": column.scale or 0,
        "length": size or 0,
        "byteLength": size,
        "collation": None,
    }


def encode_rows(
    rows: Sequence[Sequence[Any]], columns: list[dict], *, nullable: bool = True
) -> list[tuple[str | None, ...]]:
    """Encode rows column by column; NULL is JSON null, or "null" if not nullable.

    Rows come back as tuples, which serialize as the same JSON arrays.
    """
    null = None if nullable else "null"
    encoders = [_ENCODERS.get(column["type"], str) for column in columns]
    encoded_columns = [
        _encode_column(encode, column_values, null)
        for encode, column_values in zip(
            encoders, zip(*rows, strict=False), strict=False
        )
    ]
    if not encoded_columns:
        return [() for _ in rows]
    return list(zip(*encoded_columns, strict=True))


def _encode_column(
    encode: Callable[[Any], str], values: Sequence[Any], null: str | None
) -> Sequence[str | None]:
    """One column's values encoded; the common cases skip a call per value."""
    if encode is str:
        # Text comes back from DuckDB as str: only NULLs may need a spelling.
        if null is None and all(
            type(value) is str or value is None for value in values
        ):
            return values
        return [null if value is None else str(value) for value in values]
    if encode is _fixed:
        return [
            null
            if value is None
            else str(value)
            if type(value) is int
            else _fixed(value)
            for value in values
        ]
    return [null if value is None else encode(value) for value in values]


@dataclass(frozen=True)
class StoredResult:
    """One statement's finished result, ready to send."""

    first_response: bytes  # the whole ResultSet with partition 0
    later_partitions: tuple[bytes, ...]  # gzip bodies of partitions 1..n-1
    num_rows: int

    @property
    def partition_count(self) -> int:
        return 1 + len(self.later_partitions)

    @property
    def size_bytes(self) -> int:
        return len(self.first_response) + sum(map(len, self.later_partitions))


def store_result(
    status_fields: dict,
    columns: list[dict],
    data: Sequence[Sequence[str | None]],
    *,
    partition_rows: int,
    stats: dict[str, int] | None = None,
) -> StoredResult:
    """Split `data` into partitions and serialize the responses once."""
    chunks = [data[i : i + partition_rows] for i in range(0, len(data), partition_rows)]
    chunks = chunks or [[]]
    later = [_dumps({"data": chunk}) for chunk in chunks[1:]]
    compressed = [gzip.compress(body, compresslevel=5) for body in later]
    partition_info = [
        {"rowCount": len(chunks[0]), "uncompressedSize": _size(chunks[0])}
    ]
    partition_info += [
        {
            "rowCount": len(chunk),
            "uncompressedSize": len(body),
            "compressedSize": len(gz),
        }
        for chunk, body, gz in zip(chunks[1:], later, compressed, strict=True)
    ]
    body = {
        **status_fields,
        "resultSetMetaData": {
            "numRows": len(data),
            "format": "jsonv2",
            "partitionInfo": partition_info,
            "rowType": columns,
        },
        "data": chunks[0],
    }
    if stats:
        body["stats"] = stats
    return StoredResult(_dumps(body), tuple(compressed), len(data))


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _size(chunk: list) -> int:
    return len(_dumps(chunk))


class ResultStore:
    """Finished results by statement handle, bounded in count and age.

    The oldest result goes first when more than `max_results` are held, and any
    result older than `ttl_s` is dropped; `get` then returns None.
    """

    def __init__(
        self,
        *,
        max_results: int,
        ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_results = max_results
        self.ttl_s = ttl_s
        self._clock = clock
        self._results: OrderedDict[str, tuple[float, StoredResult]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, handle: str, result: StoredResult) -> None:
        with self._lock:
            self._results[handle] = (self._clock(), result)
            self._evict()

    def get(self, handle: str) -> StoredResult | None:
        with self._lock:
            self._evict()
            entry = self._results.get(handle)
            return entry[1] if entry else None

    def clear(self) -> None:
        with self._lock:
            self._results.clear()

    def _evict(self) -> None:
        oldest_kept = self._clock() - self.ttl_s
        while self._results:
            handle, (stored_at, _) = next(iter(self._results.items()))
            if stored_at >= oldest_kept and len(self._results) <= self.max_results:
                break
            del self._results[handle]
