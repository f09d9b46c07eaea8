from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tajo_assets.snowflake import Column
from tajo_assets.sync.encode import (
    ValueEncodingError,
    brevo_attribute_type,
    make_encoder,
)

KOLKATA = ZoneInfo("Asia/Kolkata")


def encode(kind: str, value, tz=UTC, scale: int | None = None):
    return make_encoder(Column("C", kind, scale=scale), tz)(value)


@pytest.mark.parametrize(
    ("kind", "brevo"),
    [
        ("fixed", "float"),
        ("REAL", "float"),
        ("text", "text"),
        ("boolean", "boolean"),
        ("date", "date"),
        ("timestamp_ntz", "date"),
        ("timestamp_ltz", "date"),
        ("timestamp_tz", "date"),
        ("variant", "text"),
        ("binary", "text"),
        ("time", "text"),
    ],
)
def test_attribute_type_follows_the_snowflake_column(kind, brevo):
    assert brevo_attribute_type(Column("C", kind)) == brevo


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        pytest.param("fixed", 0, 0, id="zero-is-a-value"),
        pytest.param("fixed", 120, 120, id="int"),
        pytest.param("fixed", Decimal("12.50"), 12.5, id="decimal-fraction"),
        pytest.param("fixed", Decimal("7.00"), 7, id="decimal-whole"),
        pytest.param("real", -0.25, -0.25, id="float"),
        pytest.param("boolean", False, False, id="false-is-a-value"),
        pytest.param("text", "", "", id="empty-text-is-a-value"),
        pytest.param("text", "नमस्ते مرحبا 🙂", "नमस्ते مرحبا 🙂", id="non-latin"),
        pytest.param("date", date(1969, 7, 20), "1969-07-20", id="date"),
        pytest.param("binary", b"\xde\xad", "DEAD", id="binary-hex"),
        pytest.param("variant", {"a": [1, "é"]}, '{"a":[1,"é"]}', id="variant"),
        pytest.param("time", time(8, 30), "08:30:00", id="time"),
        pytest.param("variant", True, "true", id="variant-json-true"),
        pytest.param("variant", "plain", "plain", id="variant-string"),
        pytest.param("array", [1, None], "[1,null]", id="array"),
    ],
)
def test_values_keep_their_meaning(kind, value, expected):
    encoded = encode(kind, value)
    assert encoded == expected
    assert type(encoded) is type(expected)


def test_naive_timestamp_is_wall_clock_time_in_the_configured_zone():
    # 23:30 on the 1st, as written in the column, stays the 1st in any zone.
    assert (
        encode("timestamp_ntz", datetime(2026, 3, 1, 23, 30), KOLKATA) == "2026-03-01"
    )


def test_timestamp_with_offset_becomes_the_day_in_the_configured_zone():
    late_utc = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)  # 01:30 on the 2nd in Kolkata
    assert encode("timestamp_ltz", late_utc, KOLKATA) == "2026-03-02"
    minus_five = timezone(timedelta(hours=-5))
    evening = datetime(2026, 3, 1, 22, 0, tzinfo=minus_five)  # 03:00Z on the 2nd
    assert encode("timestamp_tz", evening, UTC) == "2026-03-02"
    assert encode("timestamp_tz", evening, minus_five) == "2026-03-01"


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        pytest.param("real", float("nan"), "not a number Brevo can store", id="nan"),
        pytest.param("real", float("inf"), "not a number Brevo can store", id="inf"),
        pytest.param("fixed", "12", "expected a number, got str", id="text-in-number"),
        pytest.param("boolean", 1, "expected a boolean, got int", id="int-in-bool"),
        pytest.param("date", "2026-01-01", "expected a date, got str", id="text-date"),
        pytest.param(
            "fixed", 2**53 + 1, "a whole number of 16 digits", id="int-past-2^53"
        ),
        pytest.param(
            "fixed", Decimal(-(2**60)), "beyond the 9007199254740992", id="decimal-past"
        ),
        pytest.param(
            "decfloat", Decimal("Infinity"), "not a number Brevo", id="decimal-inf"
        ),
        pytest.param(
            "decfloat", Decimal("1E+5000"), "of 5001 digits", id="decfloat-huge"
        ),
    ],
)
def test_values_brevo_cannot_hold_are_refused_with_a_reason(kind, value, message):
    with pytest.raises(ValueEncodingError, match=message):
        encode(kind, value)


def test_a_tiny_decfloat_fraction_is_the_nearest_double():
    assert encode("decfloat", Decimal("1E-5000")) == 0.0
