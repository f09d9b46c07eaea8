"""Connector settings: each bad value is named with what was received and allowed."""

import logging

import pytest

from tajo_assets.config import BrevoTier
from tajo_assets_tests.config.support import SNOWFLAKE_ONLY, line_about

SNOWFLAKE = "connectors.snowflake"


def _snowflake_with(setting: str) -> str:
    return SNOWFLAKE_ONLY + f"    {setting}\n"


@pytest.mark.parametrize(
    ("setting", "key", "received", "allowed"),
    [
        pytest.param(
            'schedule: "61 * * * *"',
            "schedule",
            "got '61 * * * *'",
            "expected a cron expression of 5 fields (minute hour day-of-month month "
            "day-of-week), e.g. '0 */6 * * *'",
            id="cron-minute-out-of-range",
        ),
        pytest.param(
            'schedule: "0 */6 * * * *"',
            "schedule",
            "got '0 */6 * * * *'",
            "expected a cron expression of 5 fields",
            id="cron-six-fields",
        ),
        pytest.param(
            'schedule: "0 0 30 2 *"',
            "schedule",
            "got '0 0 30 2 *'",
            "expected a cron expression of 5 fields",
            id="cron-february-30",
        ),
        pytest.param(
            "schedule: every 6 hours",
            "schedule",
            "got 'every 6 hours'",
            "expected a cron expression of 5 fields",
            id="cron-words",
        ),
        pytest.param(
            "timezone: Europe/Madird",
            "timezone",
            "got 'Europe/Madird'",
            "expected an IANA time zone name such as 'UTC' or 'Europe/Madrid'; "
            "did you mean 'Europe/Madrid'?",
            id="timezone-typo",
        ),
        pytest.param(
            "timezone: utc",
            "timezone",
            "got 'utc'",
            "did you mean 'UTC'?",
            id="timezone-wrong-case",
        ),
        pytest.param(
            "timezone: ../../etc/passwd",
            "timezone",
            "got '../../etc/passwd'",
            "expected an IANA time zone name",
            id="timezone-path",
        ),
        pytest.param(
            "timezone: posix/Europe/Berlin",
            "timezone",
            "got 'posix/Europe/Berlin'",
            "expected an IANA time zone name",
            id="timezone-tz-database-file",
        ),
        pytest.param(
            "timezone: localtime",
            "timezone",
            "got 'localtime'",
            "expected an IANA time zone name",
            id="timezone-localtime",
        ),
        pytest.param(
            "statement_timeout_s: 0",
            "statement_timeout_s",
            "got 0",
            "expected a number of at least 1 (seconds a statement may run",
            id="timeout-zero",
        ),
        pytest.param(
            "statement_timeout_s: 172801",
            "statement_timeout_s",
            "got 172801",
            "expected a number of at most 172800",
            id="timeout-over-48h",
        ),
        pytest.param(
            "statement_timeout_s: an hour",
            "statement_timeout_s",
            "got 'an hour'",
            "expected a whole number (seconds a statement may run before Snowflake "
            "cancels it, 1 to 172800 = 48 h)",
            id="timeout-text",
        ),
        pytest.param(
            "statement_timeout_s: true",
            "statement_timeout_s",
            "got true",
            "expected a whole number, not true or false",
            id="timeout-boolean",
        ),
        pytest.param(
            "base_url: http://example.com:8765",
            "base_url",
            "got 'http://example.com:8765'",
            "expected an https:// URL, or http:// only for 127.0.0.1 or localhost",
            id="http-base-url-off-loopback",
        ),
        pytest.param(
            "base_url: http://10.0.0.5",
            "base_url",
            "got 'http://10.0.0.5'",
            "http:// only for 127.0.0.1 or localhost",
            id="http-base-url-private-address",
        ),
        pytest.param(
            "base_url: http://127.0.0.1:99999",
            "base_url",
            "got 'http://127.0.0.1:99999'",
            "expected a well-formed URL, e.g. https://host:port/path",
            id="base-url-port-out-of-range",
        ),
        pytest.param(
            "base_url: ftp://127.0.0.1",
            "base_url",
            "got 'ftp://127.0.0.1'",
            "expected an https:// URL",
            id="base-url-other-scheme",
        ),
        pytest.param(
            "base_url: https://host/v2?x=1",
            "base_url",
            "got 'https://host/v2?x=1'",
            "expected a base URL without '?query' or '#fragment'",
            id="base-url-with-query",
        ),
        pytest.param(
            'state_schema: "tajo state"',
            "state_schema",
            "got 'tajo state'",
            "expected an unquoted Snowflake identifier",
            id="state-schema-with-space",
        ),
        pytest.param(
            "enabled: maybe",
            "enabled",
            "got 'maybe'",
            "expected true or false",
            id="enabled-not-boolean",
        ),
        pytest.param(
            "log_level: loud",
            "log_level",
            "got 'loud'",
            "expected one of 'debug', 'verbose', 'info', 'warning' or 'error'",
            id="log-level-unknown",
        ),
        pytest.param(
            "auth:\n      method: password",
            "auth.method",
            "got 'password'",
            "expected one of 'key_pair', 'oauth' or 'pat'",
            id="auth-method-unknown",
        ),
        pytest.param(
            "warehouse: [TAJO_WH]",
            "warehouse",
            "got a list",
            "expected text (virtual warehouse to run in)",
            id="warehouse-as-list",
        ),
        pytest.param(
            "warehouse: '  '",
            "warehouse",
            "got '  '",
            "expected non-empty text",
            id="warehouse-blank",
        ),
        pytest.param(
            "sync: yes",
            "sync",
            "got true",
            "expected a mapping: an indented block of 'key: value' lines "
            "(flags customers, segments, analytics",
            id="sync-flags-as-boolean",
        ),
        pytest.param(
            "sync:\n      customers: sometimes",
            "sync.customers",
            "got 'sometimes'",
            "expected true or false (sync customers as Brevo contacts)",
            id="sync-flag-not-boolean",
        ),
        pytest.param(
            "queries: [SELECT 1]",
            "queries",
            "got a list",
            "expected a mapping",
            id="queries-as-list",
        ),
        pytest.param(
            "queries:\n      Customer Segments: SELECT 1",
            "queries.Customer Segments",
            "got the name 'Customer Segments'",
            "expected a lower-case name of letters, digits and _ that does not start "
            "with a digit, e.g. 'customer_segments'; did you mean 'customer_segments'?",
            id="query-name-not-lower-case",
        ),
        pytest.param(
            "queries:\n      audience: '  '",
            "queries.audience",
            "got '  '",
            "expected non-empty text",
            id="query-sql-blank",
        ),
    ],
)
def test_bad_snowflake_value_names_key_value_and_what_is_allowed(
    load_error, setting: str, key: str, received: str, allowed: str
):
    message = load_error(_snowflake_with(setting))

    line = line_about(message, f"{SNOWFLAKE}.{key}")
    assert f"{SNOWFLAKE}.{key}: {received}; " in line
    assert allowed in line


@pytest.mark.parametrize(
    ("text", "key_path", "suggestion"),
    [
        pytest.param(
            SNOWFLAKE_ONLY + "    acount: x\n",
            "connectors.snowflake.acount",
            "did you mean 'account'?",
            id="snowflake-typo",
        ),
        pytest.param(
            SNOWFLAKE_ONLY + "    Warehouse: W\n",
            "connectors.snowflake.Warehouse",
            "did you mean 'warehouse'?",
            id="snowflake-wrong-case",
        ),
        pytest.param(
            SNOWFLAKE_ONLY + "    private_key: ${KEY}\n",
            "connectors.snowflake.private_key",
            "did you mean connectors.snowflake.auth.private_key?",
            id="secret-outside-auth",
        ),
        pytest.param(
            "debug: true\n" + SNOWFLAKE_ONLY,
            "debug",
            "did you mean connectors.snowflake.debug?",
            id="debug-at-top-level",
        ),
        pytest.param(
            SNOWFLAKE_ONLY + "  brevo:\n    apikey: ${KEY}\n",
            "connectors.brevo.apikey",
            "did you mean 'api_key'?",
            id="brevo-typo",
        ),
        pytest.param(
            "connector:\n  snowflake:\n    account: a\nconnectors:\n  snowflake:\n"
            "    account: a\n",
            "connector",
            "did you mean 'connectors'?",
            id="top-level-typo",
        ),
        pytest.param(
            SNOWFLAKE_ONLY + "sync:\n  audience:\n    query: q\n",
            "sync",
            "did you mean 'syncs'?",
            id="sync-for-syncs",
        ),
    ],
)
def test_unknown_key_suggests_the_closest_known_key(
    load_error, text: str, key_path: str, suggestion: str
):
    message = load_error(text, env={"KEY": "k"})

    line = line_about(message, key_path)
    assert f"{key_path}: unknown key; {suggestion} Allowed keys here: " in line


def test_unknown_key_without_a_close_match_lists_allowed_keys(load_error):
    message = load_error(SNOWFLAKE_ONLY + "  brevo:\n    colour: blue\n")

    line = line_about(message, "connectors.brevo.colour")
    assert line.endswith(
        "unknown key; allowed keys here: api_key, base_url, tier, import_body_bytes"
    )
    assert "blue" not in line


@pytest.mark.parametrize(
    ("text", "key_path", "fragment"),
    [
        pytest.param(
            "field_mapping:\n  email: email\n",
            "connectors",
            "missing; this "
            "setting is required: a connectors: block with snowflake: inside",
            id="no-connectors",
        ),
        pytest.param(
            "connectors:\n  brevo:\n    tier: general\n",
            "connectors.snowflake",
            "missing; this setting is required: a snowflake: block with at "
            "least account: <your account>",
            id="no-snowflake",
        ),
        pytest.param(
            "connectors:\n  snowflake:\n    warehouse: W\n",
            "connectors.snowflake.account",
            "missing; set your Snowflake account, e.g. account: "
            '"myorg-myaccount.snowflakecomputing.com", or set enabled: false',
            id="no-account-while-enabled",
        ),
        pytest.param(
            "connectors: a string\n",
            "connectors",
            "got 'a string'; expected a mapping",
            id="connectors-as-text",
        ),
        pytest.param(
            "connectors:\n  snowflake:\n",
            "connectors.snowflake",
            "got an empty value; expected a mapping",
            id="snowflake-empty",
        ),
    ],
)
def test_missing_or_misshapen_sections_say_what_to_write(
    load_error, text: str, key_path: str, fragment: str
):
    message = load_error(text)

    assert fragment in line_about(message, key_path)


@pytest.mark.parametrize(
    ("setting", "account", "hint"),
    [
        pytest.param(
            "account: https://myorg-acct.snowflakecomputing.com/",
            "https://myorg-acct.snowflakecomputing.com/",
            "did you mean 'myorg-acct.snowflakecomputing.com'?",
            id="account-as-url",
        ),
        pytest.param("account: my org", "my org", "", id="account-with-space"),
    ],
)
def test_bad_account_says_which_forms_are_allowed(
    load_error, setting: str, account: str, hint: str
):
    message = load_error(f"connectors:\n  snowflake:\n    {setting}\n")

    line = line_about(message, "connectors.snowflake.account")
    assert f"got '{account}'; expected a Snowflake account identifier" in line
    assert hint in line


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        pytest.param(
            "base_url: http://127.0.0.1:8765",
            "http://127.0.0.1:8765",
            id="ipv4-loopback",
        ),
        pytest.param(
            "base_url: http://localhost:8765/", "http://localhost:8765", id="localhost"
        ),
        pytest.param(
            "base_url: http://[::1]:8765", "http://[::1]:8765", id="ipv6-loopback"
        ),
        pytest.param(
            "base_url: https://acme.snowflakecomputing.com/",
            "https://acme.snowflakecomputing.com",
            id="https",
        ),
    ],
)
def test_allowed_base_urls_load_without_trailing_slash(
    load_text, setting: str, expected: str
):
    config = load_text(_snowflake_with(setting))

    assert config.snowflake.base_url == expected


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        pytest.param('"*/15 * * * *"', "*/15 * * * *", id="every-15-minutes"),
        pytest.param('"0  6 * *   1-5"', "0 6 * * 1-5", id="extra-spaces"),
        pytest.param('"0 6 * * mon"', "0 6 * * mon", id="weekday-name"),
        pytest.param("'@daily'", "@daily", id="daily-alias"),
    ],
)
def test_valid_cron_schedules_load(load_text, schedule: str, expected: str):
    config = load_text(_snowflake_with(f"schedule: {schedule}"))

    assert config.snowflake.schedule == expected


def test_snowflake_settings_load_as_written(load_text):
    config = load_text(
        _snowflake_with(
            "user: TAJO_INTEGRATION\n    timezone: Europe/Madrid\n"
            "    statement_timeout_s: 172800\n    state_schema: TAJO_$STATE_2\n"
            "    query_tag: nightly"
        )
        + "  brevo:\n    tier: advanced\n    base_url: http://127.0.0.1:9000/v3\n"
    )

    snowflake = config.snowflake
    assert snowflake.user == "TAJO_INTEGRATION"
    assert snowflake.timezone == "Europe/Madrid"
    assert snowflake.statement_timeout_s == 172800
    assert snowflake.state_schema == "TAJO_$STATE_2"
    assert snowflake.query_tag == "nightly"
    assert config.brevo.tier is BrevoTier.ADVANCED
    assert config.brevo.base_url == "http://127.0.0.1:9000/v3"


@pytest.mark.parametrize("tier", ["general", "advanced", "extended"])
def test_every_brevo_tier_is_accepted(load_text, tier: str):
    config = load_text(SNOWFLAKE_ONLY + f"  brevo:\n    tier: {tier}\n")

    assert config.brevo.tier is BrevoTier(tier)


@pytest.mark.parametrize("tier", ["premium", "Extended", "20"])
def test_a_bad_brevo_tier_names_the_tiers(load_error, tier: str):
    message = load_error(SNOWFLAKE_ONLY + f"  brevo:\n    tier: {tier}\n")

    line = line_about(message, "connectors.brevo.tier")
    assert "expected one of 'general', 'advanced' or 'extended'" in line
    assert "general (10 contact calls/s), advanced (20/s) or extended (60/s)" in line


def test_numbers_where_names_are_expected_are_read_as_names(load_text):
    config = load_text(_snowflake_with("warehouse: 12\n    role: 7"))

    assert (config.snowflake.warehouse, config.snowflake.role) == ("12", "7")


def test_long_received_value_is_shortened(load_error):
    message = load_error(_snowflake_with("schedule: " + "x" * 500))

    line = line_about(message, f"{SNOWFLAKE}.schedule")
    assert f"got '{'x' * 60}'...; expected a cron expression" in line


def test_empty_optional_setting_counts_as_not_set(load_text):
    config = load_text(
        _snowflake_with('base_url: "${SNOWFLAKE_BASE_URL:-}"\n    warehouse: ""')
    )

    assert (config.snowflake.base_url, config.snowflake.warehouse) == (None, None)


def test_brevo_base_url_off_loopback_over_http_is_refused(load_error):
    message = load_error(
        SNOWFLAKE_ONLY + "  brevo:\n    base_url: http://api.brevo.com/v3\n"
    )

    line = line_about(message, "connectors.brevo.base_url")
    assert "got 'http://api.brevo.com/v3'; expected an https:// URL" in line


@pytest.mark.parametrize(
    ("settings", "level"),
    [
        pytest.param("", logging.INFO, id="default-info"),
        pytest.param("log_level: debug", logging.DEBUG, id="debug"),
        pytest.param("log_level: verbose", logging.DEBUG, id="verbose-is-debug"),
        pytest.param("log_level: warning", logging.WARNING, id="warning"),
        pytest.param("log_level: error", logging.ERROR, id="error"),
        pytest.param(
            "debug: true\n    log_level: error", logging.DEBUG, id="debug-flag-wins"
        ),
    ],
)
def test_python_log_level_follows_log_level_and_debug(load_text, settings, level):
    assert load_text(_snowflake_with(settings)).python_log_level == level


def test_disabled_snowflake_needs_no_account(load_text):
    config = load_text("connectors:\n  snowflake:\n    enabled: false\n")

    assert (config.snowflake.enabled, config.snowflake.account) == (False, None)


@pytest.mark.parametrize(
    ("setting", "key"),
    [
        pytest.param('role: "TAJO_ROLE\\nGRANT ROLE X TO ROLE PUBLIC;\\n--"', "role"),
        pytest.param('user: "TAJO\\rDROP USER ADMIN"', "user"),
        pytest.param('warehouse: "WH\\0"', "warehouse"),
        pytest.param('database: "DB\\tX"', "database"),
        pytest.param('schema: "A\\nB"', "schema"),
    ],
)
def test_names_with_control_characters_are_refused_naming_the_key(
    load_error, setting: str, key: str
):
    # Names are printed into SQL and its `--` comments by tajo setup-sql.
    message = load_error(_snowflake_with(setting))

    line = line_about(message, f"{SNOWFLAKE}.{key}")
    assert "expected text on one line, without line breaks" in line


def test_a_line_break_from_the_environment_is_refused_too(load_error):
    message = load_error(
        _snowflake_with("user: ${SNOWFLAKE_USER}"),
        env={"SNOWFLAKE_USER": "TAJO\nDROP DATABASE PROD_DB;"},
    )

    line = line_about(message, f"{SNOWFLAKE}.user")
    assert "(from '${SNOWFLAKE_USER}'); expected text on one line" in line


def test_queries_keep_their_line_breaks(load_text):
    config = load_text(
        _snowflake_with("queries:\n      q: |\n        SELECT 1\n        FROM t\n")
    )

    assert config.queries()["q"] == "SELECT 1\nFROM t"
