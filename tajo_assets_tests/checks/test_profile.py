"""The checks' SQL pieces: the email rule in SQL agrees with the sync's own."""

import re

import pytest

from tajo_assets.checks.profile import (
    EMAIL_PATTERN,
    UnsupportedColumnName,
    render_check_sql,
)
from tajo_assets.sync.keys import MAX_EMAIL_LENGTH, normalize_email

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

    assert 'TRIM("email")' in sql and "FROM TAJO_STATE.AUDIENCE_X" in sql
    assert ":email_pattern" in sql
    with pytest.raises(ValueError, match="not a plain Snowflake identifier"):
        render_check_sql("count_rows", table="T; DROP TABLE X")
    with pytest.raises(UnsupportedColumnName, match="plain alias"):
        render_check_sql("profile_keys", table="T", key_column='e"mail')
