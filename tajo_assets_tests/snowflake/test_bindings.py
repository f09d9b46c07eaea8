"""Named placeholders rewritten to SQL API bindings, without a server."""

import math
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from tajo_assets.snowflake import bind
from tajo_assets.snowflake.bindings import encode_value


@pytest.mark.parametrize(
    ("statement", "rewritten"),
    [
        ("SELECT :a AS v", "SELECT ? AS v"),
        (
            "SELECT * FROM t WHERE x >= :a AND y IN (:a,:a)",
            "SELECT * FROM t WHERE x >= ? AND y IN (?,?)",
        ),
        ("SELECT 'it''s :a', :a", "SELECT 'it''s :a', ?"),
        ("SELECT 'back\\'slash :a', :a", "SELECT 'back\\'slash :a', ?"),
        ('SELECT "odd:a col", :a', 'SELECT "odd:a col", ?'),
        ('SELECT "quoted""x:a", :a', 'SELECT "quoted""x:a", ?'),
        ("SELECT $$ body :a $$, :a", "SELECT $$ body :a $$, ?"),
        ("SELECT :a -- a comment :a\n", "SELECT ? -- a comment :a\n"),
        ("SELECT :a // a comment :a\n", "SELECT ? // a comment :a\n"),
        ("SELECT /* :a\n:a */ :a", "SELECT /* :a\n:a */ ?"),
        ("SELECT :a::timestamp_ntz", "SELECT ?::timestamp_ntz"),
        ("SELECT x::a, :a", "SELECT x::a, ?"),
    ],
    ids=[
        "plain",
        "repeated",
        "doubled-quote-literal",
        "backslash-literal",
        "quoted-identifier",
        "quoted-identifier-with-doubled-quote",
        "dollar-string",
        "dash-comment",
        "slash-comment",
        "block-comment",
        "cast-after-placeholder",
        "cast-to-bound-name",
    ],
)
def test_only_placeholders_in_code_are_rewritten(statement, rewritten):
    bound = bind(statement, {"a": 7})

    placeholders = bound.statement.count("?")
    assert bound.statement == rewritten
    assert list(bound.bindings) == [str(i) for i in range(1, placeholders + 1)]
    assert all(b == {"type": "FIXED", "value": "7"} for b in bound.bindings.values())


def test_semi_structured_paths_are_left_alone():
    bound = bind('SELECT v:a, v[0]:a, "V":a, f(v):a, :a', {"a": 1})

    assert bound.statement == 'SELECT v:a, v[0]:a, "V":a, f(v):a, ?'


def test_names_not_bound_are_left_alone():
    bound = bind("SELECT :last_sync, :other_name", {"last_sync": "x"})

    assert bound.statement == "SELECT ?, :other_name"
    assert bound.bindings == {"1": {"type": "TEXT", "value": "x"}}


def test_bindings_are_numbered_in_text_order():
    bound = bind("SELECT :b, :a, :b", {"a": 1, "b": "two"})

    assert bound.statement == "SELECT ?, ?, ?"
    assert bound.bindings == {
        "1": {"type": "TEXT", "value": "two"},
        "2": {"type": "FIXED", "value": "1"},
        "3": {"type": "TEXT", "value": "two"},
    }


def test_value_with_quotes_never_enters_the_text():
    hostile = "2024-01-01' OR '1'='1"

    bound = bind(
        "SELECT * FROM t WHERE updated_at > :last_sync", {"last_sync": hostile}
    )

    assert hostile not in bound.statement
    assert bound.bindings["1"] == {"type": "TEXT", "value": hostile}


def test_no_bindings_leaves_the_statement_untouched():
    statement = "SELECT '?', :not_a_binding"

    assert bind(statement, None).statement == statement
    assert bind(statement, {}).bindings == {}


def test_unused_binding_is_an_error_naming_it():
    with pytest.raises(ValueError, match=r":since does not occur"):
        bind("SELECT ':since'", {"since": 1})


@pytest.mark.parametrize("statement", ["SELECT ?, :a", "SELECT :1, :a"])
def test_positional_placeholders_cannot_mix_with_named_bindings(statement):
    with pytest.raises(ValueError, match="positional placeholder"):
        bind(statement, {"a": 1})


@pytest.mark.parametrize(
    ("value", "binding_type", "text"),
    [
        (None, "TEXT", None),
        (True, "BOOLEAN", "true"),
        (False, "BOOLEAN", "false"),
        (0, "FIXED", "0"),
        (-(10**37), "FIXED", "-1" + "0" * 37),
        (1.5, "REAL", "1.5"),
        (math.nan, "REAL", "NaN"),
        (math.inf, "REAL", "inf"),
        (-math.inf, "REAL", "-inf"),
        (Decimal("1234.50"), "FIXED", "1234.50"),
        (Decimal("1E+3"), "FIXED", "1000"),
        (Decimal("-0.000001"), "FIXED", "-0.000001"),
        (Decimal("1" * 39), "REAL", repr(float("1" * 39))),
        (Decimal("NaN"), "REAL", "NaN"),
        ("", "TEXT", ""),
        ("it's", "TEXT", "it's"),
        (date(2020, 1, 1), "DATE", "1577836800000"),
        (date(1969, 12, 31), "DATE", "-86400000"),
        (
            datetime(2021, 3, 19, 17, 6, 59, 123456),
            "TIMESTAMP_NTZ",
            "1616173619123456000",
        ),
        (datetime(1969, 12, 31, 23, 59, 58, 500000), "TIMESTAMP_NTZ", "-1500000000"),
        (
            datetime(2021, 3, 19, 18, 6, 59, tzinfo=timezone(timedelta(hours=1))),
            "TIMESTAMP_LTZ",
            "1616173619000000000",
        ),
        (time(23, 1, 59, 123456), "TIME", "82919123456000"),
        (b"\xde\xad\xbe\xef", "BINARY", "DEADBEEF"),
        (bytearray(b"\x00\x01"), "BINARY", "0001"),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, str) else None,
)
def test_values_encode_to_documented_binding_types(value, binding_type, text):
    binding = encode_value("v", value)

    assert binding == {"type": binding_type, "value": text}


def test_aware_datetime_binds_the_instant():
    same_instant = [
        datetime(2021, 3, 19, 17, 6, 59, tzinfo=UTC),
        datetime(2021, 3, 19, 10, 6, 59, tzinfo=timezone(timedelta(hours=-7))),
    ]

    values = {encode_value("v", moment)["value"] for moment in same_instant}

    assert values == {"1616173619000000000"}


def test_unknown_type_names_the_binding():
    with pytest.raises(TypeError, match=r"binding :segment has type dict"):
        bind("SELECT :segment", {"segment": {"a": 1}})


def test_time_with_timezone_is_refused():
    with pytest.raises(ValueError, match=r":t is a time with a timezone"):
        encode_value("t", time(1, 2, tzinfo=UTC))
