"""Properties of value encoding, keys and fingerprints, checked on generated input.

Hypothesis draws the values; the example-based tests beside this file pin the
cases we know by name. The warehouse properties run their SQL in the Snowflake
sandbox over HTTP, one statement per drawn batch of rows.
"""

import dataclasses
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tajo_assets.brevo.errors import BrevoRequestError
from tajo_assets.brevo.imports import (
    contacts_budget,
    encode_json,
    largest_contact_bytes,
    split_import_bodies,
)
from tajo_assets.config import FieldMapping
from tajo_assets.snowflake import Column
from tajo_assets.sync.encode import (
    LARGEST_EXACT_INTEGER,
    ValueEncodingError,
    make_encoder,
)
from tajo_assets.sync.keys import (
    KINDS,
    key_problem,
    key_sql,
    mask_email,
    normalize_email,
    normalize_key,
)
from tajo_assets.sync.mapping import TOO_LARGE, Rejection, resolve_mapping
from tajo_assets.sync.plan import _fingerprint
from tajo_assets_tests.sandbox.snowflake_fixtures import (  # noqa: F401 (fixture)
    SqlApi,
    shared_snowflake,
)

ZONES = [ZoneInfo(name) for name in ("UTC", "Asia/Kolkata", "America/St_Johns")]
# Fixtures shared by every example are module-scoped, so the health check on
# function-scoped fixtures does not apply; warehouse examples are slower.
WAREHOUSE = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def encode(kind: str, value, zone=UTC):
    return make_encoder(Column("C", kind), zone)(value)


def round_trips(value) -> bool:
    """Whether `value` survives the exact bytes the client sends."""
    return json.loads(encode_json({"v": value}))["v"] == value


# Value encoding -------------------------------------------------------------------


@given(st.integers(min_value=-LARGEST_EXACT_INTEGER, max_value=LARGEST_EXACT_INTEGER))
def test_a_whole_number_a_double_holds_arrives_exactly(number):
    encoded = encode("fixed", Decimal(number))

    assert encoded == number and type(encoded) is int
    assert float(encoded) == number and round_trips(encoded)


@given(
    st.integers(min_value=LARGEST_EXACT_INTEGER + 1)
    | st.integers(max_value=-LARGEST_EXACT_INTEGER - 1)
)
def test_a_whole_number_a_double_cannot_hold_is_refused_not_rounded(number):
    with pytest.raises(ValueEncodingError, match="send it as text"):
        encode("fixed", Decimal(number))


@given(st.decimals(allow_nan=False, allow_infinity=False, places=8))
def test_a_fraction_arrives_as_the_nearest_double(value):
    assume(value != value.to_integral_value())

    encoded = encode("fixed", value)

    assert encoded == float(value) and round_trips(encoded)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_finite_float_arrives_unchanged(value):
    encoded = encode("real", value)

    assert encoded == value and round_trips(encoded)


@given(st.text())
def test_text_in_any_script_arrives_unchanged(text):
    encoded = encode("text", text)

    assert encoded == text and round_trips(encoded)


@given(
    st.text(st.characters(exclude_categories=["Cc", "Cs"], exclude_characters='"\\'))
)
def test_printable_text_is_sent_as_its_own_utf8_bytes(text):
    # No \u escapes: a character costs its UTF-8 bytes in the import body.
    assert encode_json(encode("text", text)) == b'"' + text.encode() + b'"'


@given(st.datetimes(timezones=st.sampled_from(ZONES)), st.sampled_from(ZONES))
def test_a_timestamp_arrives_as_its_day_in_the_configured_zone(moment, zone):
    assert (
        encode("timestamp_tz", moment, zone)
        == moment.astimezone(zone).date().isoformat()
    )


@given(st.datetimes(), st.sampled_from(ZONES))
def test_a_naive_timestamp_keeps_its_written_day(moment, zone):
    assert encode("timestamp_ntz", moment, zone) == moment.date().isoformat()


@given(st.dates())
def test_a_date_arrives_as_year_month_day(day):
    encoded = encode("date", day)

    assert date.fromisoformat(encoded) == day and len(encoded) == 10


# Keys ---------------------------------------------------------------------------

EDGES = " \t\n\r\xa0"
# Not "İ": DuckDB lower-cases it to "i", Python to "i" and a combining dot, so
# the sandbox and Python disagree on it (which Snowflake does is unverified).
email_like = st.text(
    alphabet=st.sampled_from("aZ09._+-@ " + EDGES + "éÉßÅ"), max_size=24
)


@given(st.sampled_from(KINDS), st.text())
def test_normalizing_a_key_twice_changes_nothing(kind, raw):
    once = normalize_key(kind, raw)

    assert normalize_key(kind, once) == once


@given(email_like, st.text(alphabet=EDGES, max_size=3), st.booleans())
def test_an_email_is_the_same_key_whatever_its_case_and_padding(raw, pad, upper):
    variant = pad + (raw.upper() if upper else raw) + pad
    assume(variant.lower() == raw.lower() or not upper)

    assert normalize_key("email", variant) == normalize_key("email", raw)


@given(st.emails())
def test_a_valid_email_is_its_own_key_and_is_masked_past_its_first_letter(address):
    key = normalize_email(address)
    assume(key is not None)

    assert key_problem("email", key) is None
    local, domain = key.split("@", 1)
    assert mask_email(key) == f"{local[0]}***@{domain}"


@WAREHOUSE
@given(kind=st.sampled_from(KINDS), raws=st.lists(email_like, min_size=1, max_size=20))
def test_the_warehouse_normalizes_generated_keys_as_python_does(
    shared_snowflake,  # noqa: F811
    kind,
    raws,
):
    selects = " UNION ALL ".join(
        f"SELECT {number} AS N, ? AS RAW" for number in range(len(raws))
    )
    statement = f"SELECT {key_sql(kind, 'RAW')} FROM ({selects}) AS s ORDER BY N"  # noqa: S608
    bindings = {
        str(number): {"type": "TEXT", "value": raw}
        for number, raw in enumerate(raws, start=1)
    }

    response = shared_snowflake.submit(
        statement, bindings=bindings, **shared_snowflake.context
    )

    assert response.status_code == 200, response.text
    warehouse = [row[0] or None for row in response.json()["data"]]
    assert warehouse == [normalize_key(kind, raw) for raw in raws]


# Fingerprints -------------------------------------------------------------------

FINGERPRINTED = [
    Column("NAME", "text"),
    Column("SCORE", "fixed", scale=2),
    Column("OPTED_IN", "boolean"),
    Column("SEEN_AT", "timestamp_ntz"),
]
SQL_TYPES = ("VARCHAR", "NUMBER(12, 2)", "BOOLEAN", "TIMESTAMP_NTZ")
tricky_text = st.text(alphabet=st.sampled_from("a1:|~ "), max_size=5)
rows = st.tuples(
    st.none() | tricky_text,
    st.none() | st.decimals(min_value=-999, max_value=999, places=2),
    st.none() | st.booleans(),
    st.none()
    | st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 1, 3)).map(
        lambda moment: moment.replace(microsecond=0)
    ),
)


def as_sent(row: tuple) -> tuple:
    """What Brevo receives of a row: its timestamp only as a day."""
    name, score, opted_in, seen_at = row
    return name, score, opted_in, None if seen_at is None else seen_at.date()


def _binding(value) -> dict:
    if value is None:
        return {"type": "TEXT", "value": None}
    if isinstance(value, bool):
        return {"type": "BOOLEAN", "value": str(value).lower()}
    return {"type": "TEXT", "value": str(value)}


@WAREHOUSE
@given(st.lists(rows, min_size=2, max_size=12))
def test_two_rows_share_a_fingerprint_exactly_when_brevo_would_get_the_same(
    shared_snowflake,  # noqa: F811
    drawn,
):
    columns = ", ".join(
        f"CAST(? AS {sql_type}) AS {column.name}"
        for column, sql_type in zip(FINGERPRINTED, SQL_TYPES, strict=True)
    )
    selects = " UNION ALL ".join(
        f"SELECT {n} AS N, {columns}" for n in range(len(drawn))
    )
    fingerprint = _fingerprint(FINGERPRINTED, set()).replace(":definition", "'d1'")
    statement = f"SELECT {fingerprint} FROM ({selects}) AS s ORDER BY N"  # noqa: S608
    values = [value for row in drawn for value in row]
    bindings = {
        str(number): _binding(value) for number, value in enumerate(values, start=1)
    }

    response = shared_snowflake.submit(
        statement, bindings=bindings, **shared_snowflake.context
    )

    assert response.status_code == 200, response.text
    fingerprints = [row[0] for row in response.json()["data"]]
    for first in range(len(drawn)):
        for second in range(first + 1, len(drawn)):
            same_sent = as_sent(drawn[first]) == as_sent(drawn[second])
            assert (fingerprints[first] == fingerprints[second]) == same_sent


# Contact size -------------------------------------------------------------------

# Brevo attribute names: a letter, then letters, digits and "_".
name_text = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from("AB"),
    st.text(alphabet=st.sampled_from("AB_1"), max_size=39),
)
field_value = (
    st.text(alphabet=st.sampled_from('aé🙂\x01"\\ '), max_size=300)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.integers(min_value=-LARGEST_EXACT_INTEGER, max_value=LARGEST_EXACT_INTEGER)
    | st.booleans()
)


@given(
    kind=st.sampled_from(["email", "ext_id"]),
    key=st.text(alphabet=st.sampled_from("k-K"), min_size=1, max_size=3_000),
    fields=st.dictionaries(name_text, field_value, min_size=1, max_size=20),
    request_bytes=st.integers(min_value=1_000, max_value=12_000),
)
def test_a_contact_is_rejected_as_too_large_exactly_when_it_fits_no_body(
    kind, key, fields, request_bytes
):
    names = [f"C{i}" for i in range(len(fields))]
    columns = [Column("KEY", "text")] + [
        Column(name, _kind_of(value))
        for name, value in zip(names, fields.values(), strict=True)
    ]
    targets = {"key": kind} | dict(zip(names, fields, strict=True))
    budget = contacts_budget(request_bytes)
    mapping = resolve_mapping(
        FieldMapping(targets),
        columns,
        "query q",
        ZoneInfo("UTC"),
        max_contact_bytes=largest_contact_bytes(budget),
    )
    # An email's local part has at most 64 characters; long keys are ext_ids.
    address = f"p{key.lower().replace('-', '')[:60]}@example.com"
    row = (address if kind == "email" else key, *fields.values())

    contact = mapping.to_contact(row)

    if isinstance(contact, Rejection):
        assert contact.code == TOO_LARGE
        with pytest.raises(BrevoRequestError):
            list(split_import_bodies([mapping_entry(mapping, row)], budget))
    else:
        assert list(split_import_bodies([contact], budget)) == [[contact]]


def _kind_of(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "fixed"
    if isinstance(value, float):
        return "real"
    return "text"


def mapping_entry(mapping, row) -> dict:
    """The entry `mapping` would send for `row` with no size limit."""
    unlimited = dataclasses.replace(mapping, max_contact_bytes=None)
    return unlimited.to_contact(row)
