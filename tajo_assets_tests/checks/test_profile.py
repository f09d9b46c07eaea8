"""The checks' SQL pieces: the key rules in SQL agree with the sync's own."""

import re

import pytest

from tajo_assets.checks.profile import (
    EMAIL_PATTERN,
    KEY_FORMATS,
    UnsupportedColumnName,
    render_check_sql,
)
from tajo_assets.sync.keys import (
    MAX_EMAIL_LENGTH,
    key_problem,
    key_sql,
    normalize_email,
    normalize_key,
)

KEYS = [
    "ann@example.com",
    "  Ann.Lee@Example.COM ",
    "o'neil+news@mail.example.co.uk",
    "x@a-b.io",
    "first.last@sub-domain.example.org",
    "ann@example",
    "ann@@example.com",
    "ann@mail@example.com",
    "ann.lee.000001@",
    "@example.com",
    ".ann@example.com",
    "ann.@example.com",
    "an..n@example.com",
    "ann@-example.com",
    "ann@example-.com",
    "ann@example.c",
    "ann@example.123",
    "ann lee@example.com",
    "ann@exa mple.com",
    "ann@" + "a" * 63 + ".com",
    "ann@" + "a" * 64 + ".com",
    "a" * 250 + "@x.io",
    "a" * 240 + "@x.io",
    "",
    "   ",
]


@pytest.mark.parametrize("raw", KEYS, ids=lambda raw: raw[:40] or "<empty>")
def test_the_sql_email_rule_accepts_exactly_what_the_sync_sends(raw):
    # What profile_keys.sql does: trim, lower-case, length, then the pattern
    # (REGEXP_LIKE matches the whole string, as fullmatch does).
    key = raw.strip().lower()
    in_sql = len(key) <= MAX_EMAIL_LENGTH and bool(re.fullmatch(EMAIL_PATTERN, key))

    assert in_sql == (normalize_email(raw) is not None)


def test_the_pattern_uses_no_group_syntax_snowflake_lacks():
    assert "(?" not in EMAIL_PATTERN and "\\" not in EMAIL_PATTERN


def test_names_are_validated_before_they_reach_the_sql_text():
    sql = render_check_sql(
        "profile_keys", table="TAJO_STATE.AUDIENCE_X", key_column="email"
    )

    assert key_sql("email", '"email"') in sql and "FROM TAJO_STATE.AUDIENCE_X" in sql
    assert ":key_pattern" in sql
    with pytest.raises(ValueError, match="not a plain Snowflake identifier"):
        render_check_sql("count_rows", table="T; DROP TABLE X")
    with pytest.raises(UnsupportedColumnName, match="plain alias"):
        render_check_sql("profile_keys", table="T", key_column='e"mail')


PHONES = [
    "+33612345678",
    "0033 6 12 34 56 78",
    "+44 (0)20 7946 0958",
    "+1234567",
    "+123456",
    "+123456789012345",
    "+1234567890123456",
    "+0612345678",
    "0612345678",
    "33612345678",
    "+33 6 12 34 56 7a",
]


@pytest.mark.parametrize("raw", PHONES)
def test_the_sql_sms_rule_accepts_exactly_what_the_sync_sends(raw):
    # REGEXP_LIKE matches the whole key, as fullmatch does.
    rule = KEY_FORMATS["sms"]
    key = normalize_key("sms", raw)
    in_sql = len(key) <= rule.max_length and bool(re.fullmatch(rule.pattern, key))

    assert in_sql == (key_problem("sms", key) is None)


def test_an_ext_id_key_is_normalized_but_not_held_to_a_format():
    sql = render_check_sql(
        "profile_keys", table="T", key_column="CUSTOMER_ID", key_kind="ext_id"
    )

    assert key_sql("ext_id", '"CUSTOMER_ID"') in sql and "LOWER" not in sql
    assert "NULL AS VALID_KEYS" in sql and ":key_pattern" not in sql
    with pytest.raises(ValueError, match="unknown identifier kind 'phone'"):
        render_check_sql("profile_keys", table="T", key_column="X", key_kind="phone")
