"""Wire strings of every SQL API type decoded to Python values, without a server."""

import math
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from tajo_assets.snowflake import Column, SnowflakeResponseError
from tajo_assets.snowflake.decode import RowDecoder


def decode_one(column_type: str, wire: str | None, **column_fields):
    column = Column("V", column_type, **column_fields)
    return RowDecoder([column]).decode([[wire]])[0][0]


WIRE_CASES = [
    ("fixed", {"scale": 0}, "123", 123),
    ("fixed", {"scale": 0}, "-99999999999999999999999999999999999999", -(10**38 - 1)),
    ("fixed", {"scale": 2}, "12345678.91", Decimal("12345678.91")),
    ("fixed", {"scale": None}, "42", 42),
    ("fixed", {"scale": None}, "4.2", Decimal("4.2")),
    ("FIXED", {"scale": 0}, "7", 7),
    ("decfloat", {}, "1.5E+40", Decimal("1.5E+40")),
    ("real", {}, "1.5", 1.5),
    ("real", {}, "-inf", -math.inf),
    ("text", {}, "", ""),
    ("TEXT", {}, "a'b\"c", "a'b\"c"),
    ("boolean", {}, "true", True),
    ("boolean", {}, "false", False),
    ("date", {}, "18262", date(2020, 1, 1)),
    ("date", {}, "0", date(1970, 1, 1)),
    ("date", {}, "-1", date(1969, 12, 31)),
    ("date", {}, "-719162", date(1, 1, 1)),
    ("time", {}, "82919.000000000", time(23, 1, 59)),
    ("time", {}, "0.000001999", time(0, 0, 0, 1)),
    ("timestamp_ntz", {}, "1616173619.000000000", datetime(2021, 3, 19, 17, 6, 59)),
    (
        "timestamp_ntz",
        {},
        "-1.500000000",
        datetime(1969, 12, 31, 23, 59, 58, 500000),
    ),
    (
        "timestamp_ntz",
        {},
        "-1.000000500",
        datetime(1969, 12, 31, 23, 59, 58, 999999),
    ),
    (
        "TIMESTAMP_LTZ",
        {},
        "1616173619.123456789",
        datetime(2021, 3, 19, 17, 6, 59, 123456, tzinfo=UTC),
    ),
    (
        "timestamp_tz",
        {},
        "1616173619.000000000 1500",
        datetime(2021, 3, 19, 18, 6, 59, tzinfo=timezone(timedelta(hours=1))),
    ),
    (
        "timestamp_tz",
        {},
        "1616173619.000000000 960",
        datetime(2021, 3, 19, 9, 6, 59, tzinfo=timezone(timedelta(hours=-8))),
    ),
    ("binary", {}, "DEADBEEF", b"\xde\xad\xbe\xef"),
    ("binary", {}, "", b""),
    ("variant", {}, '{\n  "a": [\n    1,\n    2\n  ]\n}', {"a": [1, 2]}),
    ("object", {}, '{"k": "it\'s"}', {"k": "it's"}),
    ("array", {}, "[\n  1,\n  undefined,\n  3\n]", [1, None, 3]),
    ("array", {}, '["undefined", undefined]', ["undefined", None]),
    ("variant", {}, '"plain string"', "plain string"),
    ("vector", {}, "[1.000000,2.500000]", [1.0, 2.5]),
]


@pytest.mark.parametrize(
    ("column_type", "fields", "wire", "expected"),
    WIRE_CASES,
    ids=[f"{case[0]}:{case[2]!r}" for case in WIRE_CASES],
)
def test_wire_values_decode(column_type, fields, wire, expected):
    value = decode_one(column_type, wire, **fields)

    assert value == expected
    assert type(value) is type(expected)


def test_timestamp_tz_keeps_its_own_offset():
    value = decode_one("timestamp_tz", "1616173619.000000000 1500")

    assert value.utcoffset() == timedelta(hours=1)
    assert value.astimezone(UTC) == datetime(2021, 3, 19, 17, 6, 59, tzinfo=UTC)


def test_real_nan():
    assert math.isnan(decode_one("real", "NaN"))


@pytest.mark.parametrize(
    ("column_type", "wire", "expected"),
    [
        (
            "timestamp_ntz",
            "1616173619123456789",
            datetime(2021, 3, 19, 17, 6, 59, 123456),
        ),
        (
            "timestamp_ltz",
            "1616173619123456789",
            datetime(2021, 3, 19, 17, 6, 59, 123456, tzinfo=UTC),
        ),
        ("timestamp_ntz", "1616173619", datetime(2021, 3, 19, 17, 6, 59)),
        ("time", "82919123456789", time(23, 1, 59, 123456)),
    ],
    ids=["ntz-nanoseconds", "ltz-nanoseconds", "ntz-whole-seconds", "time-nanoseconds"],
)
def test_integer_forms_are_read_defensively(column_type, wire, expected):
    assert decode_one(column_type, wire) == expected


@pytest.mark.parametrize(
    "column_type",
    [
        "fixed",
        "real",
        "text",
        "boolean",
        "date",
        "time",
        "timestamp_ntz",
        "timestamp_ltz",
        "timestamp_tz",
        "binary",
        "variant",
        "object",
        "array",
    ],
)
def test_null_decodes_to_none_in_every_type(column_type):
    assert decode_one(column_type, None, scale=0) is None


def test_unknown_type_names_the_column():
    with pytest.raises(SnowflakeResponseError) as raised:
        RowDecoder([Column("ID", "fixed", scale=0), Column("SHAPE", "hologram")])

    message = str(raised.value)
    assert "column SHAPE has type 'hologram'" in message
    assert "SHAPE::TEXT" in message


def test_bad_value_names_the_column_but_not_the_value():
    decoder = RowDecoder([Column("SIGNUP_DATE", "date")])

    with pytest.raises(SnowflakeResponseError) as raised:
        decoder.decode([["2020-01-01"]])

    message = str(raised.value)
    assert "column SIGNUP_DATE" in message
    assert "2020-01-01" not in message


def test_row_of_wrong_width_is_refused():
    decoder = RowDecoder([Column("A", "text"), Column("B", "text")])

    with pytest.raises(SnowflakeResponseError, match="2 columns"):
        decoder.decode([["x", "y"], ["only one"]])


def test_rows_decode_column_by_column_into_tuples():
    decoder = RowDecoder(
        [
            Column("ID", "fixed", scale=0),
            Column("EMAIL", "text"),
            Column("OK", "boolean"),
        ]
    )

    rows = decoder.decode([["1", "a@example.com", "true"], ["2", None, None]])

    assert rows == [(1, "a@example.com", True), (2, None, None)]


def test_a_large_batch_decodes_every_row():
    decoder = RowDecoder(
        [
            Column("ID", "fixed", scale=0),
            Column("EMAIL", "text"),
            Column("LTV", "fixed", scale=2),
            Column("LAST_ORDER", "date"),
            Column("UPDATED_AT", "timestamp_ntz"),
        ]
    )
    rows = [
        [str(i), "someone@example.com", "1234.56", "18262", "1616173619.123456789"]
        for i in range(100_000)
    ]

    decoded = decoder.decode(rows)

    assert len(decoded) == 100_000
    assert decoded[-1] == (
        99_999,
        "someone@example.com",
        Decimal("1234.56"),
        date(2020, 1, 1),
        datetime(2021, 3, 19, 17, 6, 59, 123456),
    )
